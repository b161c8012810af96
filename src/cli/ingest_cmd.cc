#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/store_support.h"
#include "config/config.h"
#include "core/escape.h"

namespace sentinel::cli {

namespace {

struct IngestOptions {
  ReadOptions read;
  std::string db;
  std::string config;
  bool progress = false;
  bool no_progress = false;
};

}  // namespace

void add_ingest_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "ingest",
      "Store the logs in the embedded store (SQLite): idempotent, resumable, raw records kept");
  auto o = std::make_shared<IngestOptions>();
  add_read_options(cmd, &o->read);
  cmd->add_option("--db", o->db,
                  "The store file (default: the config's store.db, else ./sentinel.db)");
  cmd->add_option("--config", o->config, "sentinel.yaml (section store:)");
  cmd->add_flag("--progress", o->progress,
                "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--no-progress", o->no_progress, "Never show progress");
  cmd->callback([o, code] {
    IngestSettings s;
    if (!to_run_options(o->read, &s.run)) {
      *code = kExitUsage;
      return;
    }
    config::Config cfg;
    std::vector<std::string> errors;
    std::string db = "sentinel.db";
    if (!config::load_config(o->config, &cfg, &errors) ||
        !store_options_from_config(cfg, &s.store, &db, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      *code = kExitUsage;
      return;
    }
    if (!o->db.empty()) db = o->db;
    s.progress = !o->no_progress && (o->progress || ::isatty(2) != 0);
    auto st = store::Store::open(db, store::OpenMode::kReadWrite, s.store);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    IngestOutcome out = ingest_inputs(**st, inputs.inputs, s);
    std::string report = ingest_report(out, db);
    std::fwrite(report.data(), 1, report.size(), stdout);
    if (!out.ok) {
      std::fprintf(stderr, "sentinel: %s: store error, the last transaction was rolled back: %s\n",
                   terminal_safe(db).c_str(), terminal_safe(out.error).c_str());
      *code = kExitNothingReadable;
    } else if (out.stats.readable_files() == 0 && out.files_unchanged == 0) {
      std::fprintf(stderr, "sentinel: nothing readable\n");
      *code = kExitNothingReadable;
    } else if (o->read.strict && (out.stats.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
  });
}

namespace {
const CommandRegistration kIngestRegistration{50, &add_ingest_command};
}  // namespace

}  // namespace sentinel::cli
