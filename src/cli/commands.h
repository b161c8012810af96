#pragma once
/// Subcommands of the `sentinel` binary: each adds itself to the CLI11 app and returns the
/// exit code through *code when it runs.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli/runner.h"

namespace sentinel::cli {

/// Options every reading command shares (PATH..., --type, --flow-format, --threads, ...).
struct ReadOptions {
  std::vector<std::string> paths;
  std::string type = "auto";
  std::string flow_format;
  unsigned threads = 0;
  std::size_t max_decompressed_mb = 100;
  bool strict = false;
};

/// Adds the shared options to `cmd`.
void add_read_options(CLI::App* cmd, ReadOptions* o);
/// Turns them into RunOptions; false (with a message on stderr) on a bad value.
bool to_run_options(const ReadOptions& o, RunOptions* out);

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNothingReadable = 1;
inline constexpr int kExitUsage = 2;

void add_parse_command(CLI::App& app, int* code);
void add_stats_command(CLI::App& app, int* code);
void add_detect_command(CLI::App& app, int* code);
void add_rules_command(CLI::App& app, int* code);

}  // namespace sentinel::cli
