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

/// Commands register themselves from their own .cc file, so adding one touches no shared file:
///   namespace { const CommandRegistration kDetectRegistration{40, &add_detect_command}; }
/// Give the registration (and every other file-local name) a name of its own, not
/// `kRegistration`: the CLI is a unity build (docs/testing.md), where several .cc files are
/// compiled as one and two files' anonymous-namespace names collide.
/// `order` sets the order of `sentinel --help` (lower first).
using CommandAdder = void (*)(CLI::App& app, int* code);
struct CommandRegistration {
  CommandRegistration(int order, CommandAdder add);
};
/// Adds every registered command to `app`, in order.
void add_registered_commands(CLI::App& app, int* code);

}  // namespace sentinel::cli
