#pragma once
/// Runs Readers over the inputs on a pool of threads. Each thread has its own sink; outputs that
/// must keep file order are handed over per file and written in input order.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingest/event.h"
#include "ingest/parser.h"
#include "ingest/reader.h"
#include "ingest/sources/inputs.h"

namespace sentinel::cli {

/// A per-thread sink that may also produce text per file (parse) and is merged at the end.
class WorkerSink : public ingest::EventSink {
 public:
  /// Called after each file; returns text to write to stdout for that file (in input order).
  virtual std::string take_output() { return {}; }
  /// Called after each file with its report.
  virtual void on_file(const ingest::Input& in, const ingest::FileReport& rep) = 0;
};

struct RunOptions {
  unsigned threads = 0;  ///< 0 = hardware concurrency
  ingest::ParseOptions parse;
};

/// Reads every input; `make_sink(i)` creates thread i's sink. Output text is written to stdout in
/// input order. Returns the sinks for merging.
std::vector<std::unique_ptr<WorkerSink>> run_inputs(
    const std::vector<ingest::Input>& inputs, const RunOptions& options,
    const std::function<std::unique_ptr<WorkerSink>(unsigned)>& make_sink);

/// Writes a reject line to stderr: `sentinel: PATH:LINE (record N): reason: detail`, escaped.
std::string format_reject(const Reject& r);

}  // namespace sentinel::cli
