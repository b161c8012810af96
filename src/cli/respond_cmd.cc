// `sentinel respond PATH... [--config FILE] [--execute] [--db FILE]`: detection, CloudWatch
// alarms, then the response actions of sentinel.yaml `respond:` for the findings they raise
// (docs/response.md). Dry run unless `respond.mode: execute` or --execute.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/detect_support.h"
#include "config/config.h"
#include "core/escape.h"
#include "cwl/metrics.h"
#include "detect/rules/native.h"
#include "enrich/finding_enricher.h"
#include "findings/suppression.h"
#include "respond/respond.h"

namespace sentinel::cli {

bool load_monitor(const std::string& config_path, const std::vector<std::string>& packs,
                  cwl::MonitorConfig* out, std::vector<std::string>* errors);

namespace {

struct RespondOptions {
  ReadOptions read;
  std::string config;
  std::vector<std::string> rules;
  std::vector<std::string> packs;
  std::string db;
  bool execute = false;
  bool no_alarms = false;
};

// Detection plus metric accumulation, in one pass over the events.
class RespondSink : public DetectSink {
 public:
  RespondSink(detect::Engine* engine, const cwl::MonitorConfig* mc)
      : DetectSink(engine, /*print_rejects=*/true),
        acc(mc),
        scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    DetectSink::on_cloudtrail(e);
    acc.observe(detect::EventView(e, scratch_.get()));
  }
  void on_flow(const ingest::FlowRecord& f) override {
    DetectSink::on_flow(f);
    acc.observe(detect::EventView(f, scratch_.get()));
  }
  void on_dns(const ingest::DnsQuery& q) override {
    DetectSink::on_dns(q);
    acc.observe(detect::EventView(q, scratch_.get()));
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    DetectSink::on_guardduty(g);
    acc.observe(detect::EventView(g, scratch_.get()));
  }
  cwl::Accumulator acc;

 private:
  detect::EventView::ScratchPtr scratch_;
};

void respond_fail(const std::vector<std::string>& errors, int* code) {
  for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
  *code = kExitUsage;
}

}  // namespace

void add_respond_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "respond",
      "Detect, evaluate alarms, then run the response actions of sentinel.yaml (dry run unless "
      "--execute)");
  auto o = std::make_shared<RespondOptions>();
  add_read_options(cmd, &o->read);
  cmd->add_option("--config", o->config, "sentinel.yaml (rules, alarms, respond:)");
  cmd->add_option("--rules", o->rules, "A rule file or folder (repeat for more)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--pack", o->packs, "A metric filter / alarm pack (repeat for more)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--no-alarms", o->no_alarms, "Do not evaluate CloudWatch alarms");
  cmd->add_option("--db", o->db,
                  "SQLite file for the respond_audit table (required with --execute: it makes "
                  "replays idempotent)");
  cmd->add_flag("--execute", o->execute, "Act (default: dry run, unless respond.mode: execute)");
  cmd->callback([o, code] {
    RunOptions ro;
    if (!to_run_options(o->read, &ro)) {
      *code = kExitUsage;
      return;
    }
    ro.threads = 1;  // stateful rules need file order
    std::vector<std::string> errors;
    config::Config cfg;
    if (!config::load_config(o->config, &cfg, &errors)) return respond_fail(errors, code);
    respond::RespondConfig rc;
    if (!respond::load_respond_config(config::section(cfg, "respond"),
                                      o->config.empty() ? "sentinel.yaml" : o->config, cfg.base_dir,
                                      &rc, &errors)) {
      return respond_fail(errors, code);
    }
    if (o->execute) rc.execute = true;
    if (rc.actions.empty()) {
      std::fprintf(stderr, "sentinel: no response actions (respond.actions in --config)\n");
      *code = kExitUsage;
      return;
    }
    std::unique_ptr<respond::AuditLog> audit;
    if (!o->db.empty()) {
      std::string err;
      audit = respond::AuditLog::open(o->db, &err);
      if (!audit) return respond_fail({err}, code);
    } else if (rc.execute) {
      return respond_fail({"--execute needs --db FILE: the audit table is what keeps replays from "
                           "acting twice"},
                          code);
    }
    cwl::MonitorConfig mc;
    if (!o->no_alarms && !load_monitor(o->config, o->packs, &mc, &errors)) {
      return respond_fail(errors, code);
    }
    std::unique_ptr<detect::Engine> engine_ptr = build_engine(o->rules, cfg, false);
    detect::Engine& engine = *engine_ptr;
    ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
    for (const auto& e : inputs.errors) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
    }
    ingest::order_by_delivery_time(&inputs.inputs);
    auto sinks = run_inputs(inputs.inputs, ro,
                            [&](unsigned) { return std::make_unique<RespondSink>(&engine, &mc); });
    Stats total;
    cwl::Accumulator acc(&mc);
    for (auto& s : sinks) {
      auto& rs = static_cast<RespondSink&>(*s);
      total.merge(rs.stats);
      acc.merge(rs.acc);
    }
    engine.finish();
    std::vector<findings::Finding> all = engine.take_findings();
    for (auto& r : cwl::run_alarms(mc, acc)) {
      for (auto& f : r.findings) all.push_back(std::move(f));
    }
    for (auto& f : all) {
      if (cfg.geo != nullptr) enrich::enrich_remote_ips(&f, *cfg.geo);
      findings::suppress(f, cfg.suppression);
    }
    respond::RespondSummary sum = respond::respond(rc, all, audit.get());
    std::string out;
    if (audit) {
      // What this run did, from the audit table (the last sum.matched rows are this run's).
      auto rows = audit->rows();
      std::size_t from = rows.size() >= sum.matched ? rows.size() - sum.matched : 0;
      for (std::size_t i = from; i < rows.size(); ++i) {
        const auto& r = rows[i];
        out += r.outcome + "\t" + r.action + "\t" + r.finding_id + "\t";
        append_terminal_safe(&out, r.detail);
        out += "\n";
      }
    } else {
      for (const auto& f : all) {
        if (f.archived) continue;
        for (const auto& a : rc.actions) {
          if (!a.when.matches(f)) continue;
          out += "dry_run\t" + a.name + "\t" + f.id + "\t";
          append_terminal_safe(&out, f.type);
          out += "\n";
        }
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    std::fprintf(stderr,
                 "sentinel: %zu findings; %llu actions matched: %llu ok, %llu failed, %llu dry "
                 "run, %llu already delivered%s\n",
                 all.size(), static_cast<unsigned long long>(sum.matched),
                 static_cast<unsigned long long>(sum.ok),
                 static_cast<unsigned long long>(sum.failed),
                 static_cast<unsigned long long>(sum.dry_run),
                 static_cast<unsigned long long>(sum.already_done),
                 rc.execute ? "" : " (dry run: pass --execute or set respond.mode: execute)");
    if (total.readable_files() == 0) {
      *code = kExitNothingReadable;
    } else {
      *code = sum.failed > 0 ? kExitNothingReadable : kExitOk;
    }
  });
}

namespace {
const CommandRegistration kRespondRegistration{64, &add_respond_command};
}  // namespace

}  // namespace sentinel::cli
