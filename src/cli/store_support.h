#pragma once
/// Shared by `ingest` and `analyze`: reads inputs on worker threads into FileBatches and writes
/// them into the store in input order on the calling thread, with per-file checkpoints, and
/// (for analyze) an engine whose state is saved in the same transactions.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/runner.h"
#include "cli/stats.h"
#include "config/config.h"
#include "detect/engine.h"
#include "ingest/sources/inputs.h"
#include "store/store.h"
#include "store/writer.h"

namespace sentinel::cli {

struct IngestSettings {
  RunOptions run;
  store::StoreOptions store;
  /// When set, every event also goes to this engine (one reader thread, files in order), and
  /// its state is saved (`engine_state`) in each transaction.
  detect::Engine* engine = nullptr;
  bool progress = false;  ///< files, events/s and ETA on stderr
};

struct IngestOutcome {
  Stats stats;                 ///< what was read (new files only)
  store::WriteCounts written;  ///< what the store gained
  uint64_t files_total = 0;
  uint64_t files_unchanged = 0;  ///< skipped: the same content is already stored
  double seconds = 0;
  bool ok = true;
  std::string error;  ///< the store error that stopped the run
};

/// Reads `inputs` into the store. With an engine, the caller restores its state first; the last
/// transaction also runs `finish_txn` (findings) before it commits.
IngestOutcome ingest_inputs(store::Store& st, const std::vector<ingest::Input>& inputs,
                            const IngestSettings& settings,
                            const std::function<bool(store::Writer&)>& finish_txn = nullptr);

/// Reads the `store:` section of sentinel.yaml (db, compression_level, cache_mb); problems go
/// to *errors as "<file>: store.<key>: <problem>". *db_path is set only when the section has one.
bool store_options_from_config(const config::Config& cfg, store::StoreOptions* out,
                               std::string* db_path, std::vector<std::string>* errors);

/// The one-paragraph report of an ingest run (escaped).
std::string ingest_report(const IngestOutcome& o, const std::string& db);

/// Replays the stored CloudTrail, Route 53 and GuardDuty records of the store at `path` through
/// the parsers into `sink`, in event-time order per log type (`filter --db`, `alarms --db`).
/// Flow records are not replayed. False (with *error naming the file) when it cannot be read.
bool replay_store(const std::string& path, ingest::EventSink* sink, std::string* error);

/// Parses a retention like 90d, 12h, 30m, 2w into milliseconds; false when malformed.
bool parse_duration_ms(std::string_view s, int64_t* ms);

}  // namespace sentinel::cli
