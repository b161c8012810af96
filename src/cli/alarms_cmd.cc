// `sentinel alarms PATH...|--db FILE [--config FILE] [--pack FILE]...`: CloudWatch metric filters
// and alarms evaluated over the logs on event time: each alarm's state, data points and transitions
// (docs/alarms.md).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/detect_support.h"
#include "cli/stats.h"
#include "cli/store_support.h"
#include "config/config.h"
#include "core/escape.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "cwl/metrics.h"
#include "findings/formats/guardduty.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cli {

namespace {

struct AlarmsOptions {
  ReadOptions read;
  std::string config;
  std::vector<std::string> packs;
  std::string output = "table";
  std::string db;
};

class MetricSink : public WorkerSink {
 public:
  explicit MetricSink(const cwl::MonitorConfig* cfg)
      : acc(cfg), scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    stats.add_event(e.meta, e.event_source);
    acc.observe(detect::EventView(e, scratch_.get()));
  }
  void on_flow(const ingest::FlowRecord& f) override {
    stats.add_event(f.meta, {});
    acc.observe(detect::EventView(f, scratch_.get()));
  }
  void on_dns(const ingest::DnsQuery& q) override {
    stats.add_event(q.meta, {});
    acc.observe(detect::EventView(q, scratch_.get()));
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    stats.add_event(g.meta, g.type);
    acc.observe(detect::EventView(g, scratch_.get()));
  }
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_reject(const Reject& r) override {
    stats.add_reject(r);
    std::string line = format_reject(r);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void on_file(const ingest::Input& in, const ingest::FileReport& rep) override {
    stats.add_file(in, rep);
  }

  cwl::Accumulator acc;
  Stats stats;

 private:
  detect::EventView::ScratchPtr scratch_;
};

std::string iso(int64_t ms) {
  std::string s;
  append_iso8601(&s, ms);
  return s;
}

void write_table(const std::vector<cwl::AlarmReport>& reps, std::string* out) {
  for (const auto& r : reps) {
    const cwl::AlarmSpec& s = *r.spec;
    std::string head =
        std::string(cwl::alarm_state_name(r.run.state)) + "  " + s.name + "  (" +
        s.metric_namespace + "/" + s.metric_name + " " +
        std::string(cwl::statistic_name(s.statistic)) + " over " + std::to_string(s.period_s) +
        " s, " + std::string(cwl::comparison_name(s.comparison)) + " " +
        cwl::reason_number(s.threshold) + ", " + std::to_string(s.datapoints_to_alarm) + " of " +
        std::to_string(s.evaluation_periods) +
        ", missing data: " + std::string(cwl::missing_data_name(s.missing)) + ")";
    append_terminal_safe(out, head);
    out->append("\n  reason: ");
    append_terminal_safe(out, r.run.reason);
    out->append("\n  datapoints:");
    if (r.run.datapoints.empty()) out->append(" none");
    for (const auto& dp : r.run.datapoints) {
      out->append("\n    " + iso(dp.start_ms) + "  " + cwl::reason_number(dp.value));
      if (cwl::breaches(s, dp.value)) out->append("  breaching");
    }
    out->append("\n  transitions:");
    if (r.run.transitions.empty()) out->append(" none");
    for (const auto& t : r.run.transitions) {
      std::string line = "\n    " + iso(t.time_ms) + "  " +
                         std::string(cwl::alarm_state_name(t.from)) + " -> " +
                         std::string(cwl::alarm_state_name(t.to)) + "  ";
      out->append(line);
      append_terminal_safe(out, t.reason);
    }
    out->append("\n\n");
  }
}

void write_json(const std::vector<cwl::AlarmReport>& reps, std::string* out) {
  for (const auto& r : reps) {
    const cwl::AlarmSpec& s = *r.spec;
    JsonWriter w(out);
    w.begin_object();
    w.field("AlarmName", s.name);
    w.field("StateValue", cwl::alarm_state_name(r.run.state));
    w.field("StateReason", r.run.reason);
    w.field("Namespace", s.metric_namespace);
    w.field("MetricName", s.metric_name);
    w.field("Statistic", cwl::statistic_name(s.statistic));
    w.field("Period", s.period_s);
    w.field("EvaluationPeriods", s.evaluation_periods);
    w.field("DatapointsToAlarm", s.datapoints_to_alarm);
    w.field("Threshold", s.threshold);
    w.field("ComparisonOperator", cwl::comparison_name(s.comparison));
    w.field("TreatMissingData", cwl::missing_data_name(s.missing));
    w.key("Datapoints");
    w.begin_array();
    for (const auto& dp : r.run.datapoints) {
      w.begin_object();
      w.field("Timestamp", iso(dp.start_ms));
      w.field("Value", dp.value);
      w.end_object();
    }
    w.end_array();
    w.key("History");
    w.begin_array();
    for (const auto& t : r.run.transitions) {
      w.begin_object();
      w.field("Timestamp", iso(t.time_ms));
      w.field("OldState", cwl::alarm_state_name(t.from));
      w.field("NewState", cwl::alarm_state_name(t.to));
      w.field("StateReason", t.reason);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    out->push_back('\n');
  }
}

}  // namespace

/// Loads the monitor configuration: sentinel.yaml's sections, then each pack; with neither, the
/// shipped CIS pack. Shared with `respond` through this declaration.
bool load_monitor(const std::string& config_path, const std::vector<std::string>& packs,
                  cwl::MonitorConfig* out, std::vector<std::string>* errors);

bool load_monitor(const std::string& config_path, const std::vector<std::string>& packs,
                  cwl::MonitorConfig* out, std::vector<std::string>* errors) {
  bool ok = true;
  if (!config_path.empty()) {
    config::Config cfg;
    if (!config::load_config(config_path, &cfg, errors)) return false;
    YAML::Node mf = config::section(cfg, "metric_filters");
    YAML::Node al = config::section(cfg, "alarms");
    try {
      ok = cwl::load_monitor_config(mf, al, config_path, out, errors) && ok;
    } catch (const YAML::Exception& e) {
      errors->push_back(config_path + ": a value has the wrong shape: " + e.what());
      ok = false;
    }
  }
  std::vector<std::string> files = packs;
  if (files.empty() && out->filters.empty() && out->alarms.empty()) {
    files.push_back(default_rules_dir() + "/alarms/cis.yaml");
  }
  for (const auto& f : files) ok = cwl::load_monitor_file(f, out, errors) && ok;
  if (!ok) return false;
  // An alarm on a metric no filter publishes would sit in INSUFFICIENT_DATA forever: say so.
  for (std::size_t i = 0; i < out->alarms.size(); ++i) {
    const auto& a = out->alarms[i];
    bool published = false;
    for (const auto& f : out->filters) {
      published =
          published || (f.metric_namespace == a.metric_namespace && f.metric_name == a.metric_name);
    }
    if (!published) {
      errors->push_back("alarms[" + std::to_string(i) + "] (" + a.name + ").metric_name: no " +
                        "metric filter publishes " + a.metric_namespace + "/" + a.metric_name);
      ok = false;
    }
  }
  return ok;
}

void add_alarms_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "alarms",
      "Evaluate CloudWatch metric filters and alarms over the logs (default: the CIS pack)");
  auto o = std::make_shared<AlarmsOptions>();
  add_read_options(cmd, &o->read);
  cmd->get_option("PATH")->required(false);  // --db reads the store instead
  cmd->add_option("--db", o->db, "Evaluate over the events of a Sentinel store instead of files");
  cmd->add_option("--config", o->config, "sentinel.yaml with metric_filters: and alarms:");
  cmd->add_option("--pack", o->packs,
                  "A metric filter / alarm pack (repeat for more; default without --config: "
                  "rules/alarms/cis.yaml)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--output", o->output,
                  "table (default), json (DescribeAlarms-like lines), findings (GuardDuty JSON "
                  "lines for transitions to ALARM)")
      ->check(CLI::IsMember({"table", "json", "findings"}));
  cmd->callback([o, code] {
    RunOptions ro;
    if (!to_run_options(o->read, &ro)) {
      *code = kExitUsage;
      return;
    }
    cwl::MonitorConfig mc;
    std::vector<std::string> errors;
    if (!load_monitor(o->config, o->packs, &mc, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      *code = kExitUsage;
      return;
    }
    cwl::Accumulator acc(&mc);
    Stats total;
    if (!o->db.empty()) {
      MetricSink sink(&mc);
      std::string err;
      if (!replay_store(o->db, &sink, &err)) {
        std::fprintf(stderr, "sentinel: %s\n", terminal_safe(err).c_str());
        *code = kExitNothingReadable;
        return;
      }
      acc.merge(sink.acc);
      total.merge(sink.stats);
    } else if (o->read.paths.empty()) {
      std::fprintf(stderr, "sentinel: give PATH... or --db FILE\n");
      *code = kExitUsage;
      return;
    } else {
      ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
      for (const auto& e : inputs.errors) {
        std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      }
      auto sinks = run_inputs(inputs.inputs, ro,
                              [&mc](unsigned) { return std::make_unique<MetricSink>(&mc); });
      for (auto& s : sinks) {
        auto& ms = static_cast<MetricSink&>(*s);
        acc.merge(ms.acc);
        total.merge(ms.stats);
      }
    }
    std::vector<cwl::AlarmReport> reps = cwl::run_alarms(mc, acc);
    std::string out;
    if (o->output == "json") {
      write_json(reps, &out);
    } else if (o->output == "findings") {
      for (const auto& r : reps) {
        for (const auto& f : r.findings) {
          findings::write_guardduty(f, &out);
          out.push_back('\n');
        }
      }
    } else {
      write_table(reps, &out);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::size_t in_alarm = 0, to_alarm = 0;
    for (const auto& r : reps) {
      in_alarm += r.run.state == cwl::AlarmState::kAlarm;
      to_alarm += r.findings.size();
    }
    std::fflush(stdout);
    std::fprintf(stderr,
                 "sentinel: %zu metric filters, %zu alarms (%zu in ALARM, %zu transitions to "
                 "ALARM) over %llu events from %llu files (%llu rejects, %llu without a time, "
                 "%llu metric values unreadable)\n",
                 mc.filters.size(), mc.alarms.size(), in_alarm, to_alarm,
                 static_cast<unsigned long long>(total.events()),
                 static_cast<unsigned long long>(total.files()),
                 static_cast<unsigned long long>(total.rejects()),
                 static_cast<unsigned long long>(acc.no_time),
                 static_cast<unsigned long long>(acc.bad_value));
    // A store is readable once opened (replay_store failed above otherwise), even when empty.
    *code = o->db.empty() && total.readable_files() == 0 ? kExitNothingReadable : kExitOk;
  });
}

namespace {
const CommandRegistration kAlarmsRegistration{62, &add_alarms_command};
}  // namespace

}  // namespace sentinel::cli
