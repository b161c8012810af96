#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <exception>

#include "cli/commands.h"
#include "core/escape.h"
#include "ingest/event.h"

namespace sentinel::cli {

void add_read_options(CLI::App* cmd, ReadOptions* o) {
  cmd->add_option("PATH", o->paths,
                  "Files or directories to read (walked recursively; .gz is decoded); - for stdin")
      ->required();
  cmd->add_option("--type", o->type,
                  "Log type: auto (by S3 path, then content), cloudtrail, vpcflow, route53, "
                  "guardduty")
      ->check(CLI::IsMember({"auto", "cloudtrail", "vpcflow", "route53", "guardduty"}));
  cmd->add_option("--flow-format", o->flow_format,
                  "VPC flow log format string, e.g. '${version} ${account-id} ...' (default: "
                  "the file's header line, else the v2 default format)");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--max-decompressed", o->max_decompressed_mb,
                  "Largest decompressed object accepted, in MiB (default 100)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--strict", o->strict, "Exit 1 when any record or file is rejected");
}

bool to_run_options(const ReadOptions& o, RunOptions* out) {
  out->threads = o.threads;
  if (!ingest::parse_log_type(o.type, &out->parse.forced_type)) {
    std::fprintf(stderr, "sentinel: unknown --type '%s'\n", terminal_safe(o.type).c_str());
    return false;
  }
  out->parse.flow_format = o.flow_format;
  out->parse.max_decompressed = o.max_decompressed_mb << 20;
  return true;
}

namespace {
struct Registered {
  int order;
  CommandAdder add;
};
std::vector<Registered>& registry() {
  static std::vector<Registered> r;
  return r;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, CommandAdder add) {
  registry().push_back({order, add});
}

void add_registered_commands(CLI::App& app, int* code) {
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(),
                   [](const Registered& a, const Registered& b) { return a.order < b.order; });
  for (const auto& c : r) c.add(app, code);
}

}  // namespace sentinel::cli

int main(int argc, char** argv) {
  using namespace sentinel::cli;
  CLI::App app{
      "Sentinel: the AWS security-monitoring stack over the logs you already have.\n"
      "Reads CloudTrail, VPC Flow Logs, Route 53 Resolver query logs and GuardDuty findings\n"
      "(plain or .gz, S3 AWSLogs/ trees, NDJSON, EventBridge envelopes)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sentinel 0.1.0");
  int code = kExitOk;
  add_registered_commands(app, &code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sentinel: %s\n", sentinel::terminal_safe(e.what()).c_str());
    return kExitNothingReadable;
  }
  return code;
}
