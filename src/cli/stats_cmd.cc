#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/stats.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cli {

namespace {

class StatsSink : public WorkerSink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    stats.add_event(e.meta, e.event_source);
  }
  void on_flow(const ingest::FlowRecord& f) override { stats.add_event(f.meta, {}); }
  void on_dns(const ingest::DnsQuery& q) override { stats.add_event(q.meta, {}); }
  void on_guardduty(const ingest::GuardDutyFinding& g) override { stats.add_event(g.meta, g.type); }
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_reject(const Reject& r) override { stats.add_reject(r); }
  void on_file(const ingest::Input& in, const ingest::FileReport& rep) override {
    stats.add_file(in, rep);
  }
  Stats stats;
};

}  // namespace

void add_stats_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "stats",
      "Print what was read: files, events per log type / account / region / event source, "
      "time range, and rejects per reason");
  auto opts = std::make_shared<ReadOptions>();
  auto output = std::make_shared<std::string>("text");
  add_read_options(cmd, opts.get());
  cmd->add_option("--output", *output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->callback([opts, output, code] {
    RunOptions ro;
    if (!to_run_options(*opts, &ro)) {
      *code = kExitUsage;
      return;
    }
    ingest::InputList inputs = ingest::expand_inputs(opts->paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    auto start = std::chrono::steady_clock::now();
    auto sinks =
        run_inputs(inputs.inputs, ro, [](unsigned) { return std::make_unique<StatsSink>(); });
    Stats total;
    for (auto& s : sinks) total.merge(static_cast<StatsSink&>(*s).stats);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string out = *output == "json" ? total.to_json(secs) : total.to_text(secs);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (total.readable_files() == 0) {
      std::fprintf(stderr, "sentinel: nothing readable\n");
      *code = kExitNothingReadable;
    } else if (opts->strict && (total.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
  });
}

namespace {
const CommandRegistration kRegistration{20, &add_stats_command};
}  // namespace

}  // namespace sentinel::cli
