#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/detect_support.h"
#include "config/config.h"
#include "core/escape.h"
#include "detect/rules/native.h"
#include "enrich/finding_enricher.h"
#include "findings/formats/asff.h"
#include "findings/formats/guardduty.h"
#include "findings/formats/ocsf.h"
#include "findings/formats/table.h"
#include "findings/suppression.h"

namespace sentinel::cli {

namespace {

struct DetectOptions {
  ReadOptions read;
  std::string config;
  std::vector<std::string> rules;
  std::string output;
  double min_severity = -1;
  double fail_on = -1;
  bool show_archived = false;
};

// Exit code when --fail-on is met: distinct from errors, for CI.
constexpr int kExitFindings = 3;

void write_out(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

void print_findings(const std::vector<findings::Finding>& fs, const std::string& format) {
  std::string out;
  if (format == "jsonl" || format == "ocsf") {
    for (const auto& f : fs) {
      if (format == "ocsf") {
        findings::write_ocsf(f, &out);
      } else {
        findings::write_guardduty(f, &out);
      }
      out.push_back('\n');
    }
  } else if (format == "guardduty" || format == "asff") {
    out = "{\"Findings\":[";
    for (std::size_t i = 0; i < fs.size(); ++i) {
      if (i > 0) out.push_back(',');
      if (format == "asff") {
        findings::write_asff(fs[i], &out);
      } else {
        findings::write_guardduty(fs[i], &out);
      }
    }
    out += "]}\n";
  } else {
    for (const auto& f : fs) {
      findings::write_table(f, &out);
      out.push_back('\n');
    }
  }
  write_out(out);
}

std::string summary(const std::vector<findings::Finding>& fs, uint64_t archived) {
  std::map<std::string, std::pair<uint64_t, double>> by_type;
  uint64_t bands[4] = {0, 0, 0, 0};
  for (const auto& f : fs) {
    auto& e = by_type[f.type];
    ++e.first;
    e.second = std::max(e.second, f.severity);
    std::string_view l = findings::severity_label(f.severity);
    bands[l == "Critical" ? 3 : l == "High" ? 2 : l == "Medium" ? 1 : 0]++;
  }
  std::string s = "\nFindings: " + std::to_string(fs.size()) + " (critical " +
                  std::to_string(bands[3]) + ", high " + std::to_string(bands[2]) + ", medium " +
                  std::to_string(bands[1]) + ", low " + std::to_string(bands[0]) + ")";
  if (archived > 0) s += ", " + std::to_string(archived) + " suppressed";
  s += "\n";
  std::vector<std::pair<std::string, std::pair<uint64_t, double>>> rows(by_type.begin(),
                                                                        by_type.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.second != b.second.second ? a.second.second > b.second.second
                                              : a.first < b.first;
  });
  char buf[512];
  for (const auto& [type, v] : rows) {
    std::snprintf(buf, sizeof buf, "  %-8s %5.1f  %4llu  %s\n",
                  std::string(findings::severity_label(v.second)).c_str(), v.second,
                  static_cast<unsigned long long>(v.first), terminal_safe(type).c_str());
    s += buf;
  }
  return s;
}

}  // namespace

void add_detect_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "detect", "Run the detection rules over the logs and print GuardDuty-shaped findings");
  auto o = std::make_shared<DetectOptions>();
  add_read_options(cmd, &o->read);
  cmd->add_option("--config", o->config, "sentinel.yaml (rules, lists, enrichment, suppression)");
  cmd->add_option("--rules", o->rules,
                  "A rule file or folder (native YAML and Sigma); repeat for more; default: the "
                  "config's, else ./rules")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--output", o->output, "table (default), jsonl, guardduty, asff, ocsf")
      ->check(CLI::IsMember({"table", "jsonl", "guardduty", "asff", "ocsf"}));
  cmd->add_option("--min-severity", o->min_severity, "Only findings at or above this severity");
  cmd->add_option("--fail-on", o->fail_on,
                  "Exit 3 when a finding at or above this severity is raised (for CI)");
  cmd->add_flag("--show-archived", o->show_archived, "Also print suppressed findings");
  cmd->callback([o, code] {
    RunOptions ro;
    if (!to_run_options(o->read, &ro)) {
      *code = kExitUsage;
      return;
    }
    // Stateful rules need every event of a key in one engine, in file order: one reader thread.
    ro.threads = 1;
    std::vector<std::string> errors;
    config::Config cfg;
    if (!config::load_config(o->config, &cfg, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      *code = kExitUsage;
      return;
    }
    for (const auto& w : cfg.warnings) {
      std::fprintf(stderr, "sentinel: warning: %s\n", terminal_safe(w).c_str());
    }
    std::unique_ptr<detect::Engine> engine_ptr = build_engine(o->rules, cfg, true);
    if (!engine_ptr) {
      *code = kExitUsage;
      return;
    }
    detect::Engine& engine = *engine_ptr;
    ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    // Event time matters to stateful rules: read objects in the order AWS delivered them.
    ingest::order_by_delivery_time(&inputs.inputs);
    auto sinks = run_inputs(inputs.inputs, ro, [&engine](unsigned) {
      return std::make_unique<DetectSink>(&engine, /*print_rejects=*/true);
    });
    Stats total;
    for (auto& s : sinks) total.merge(static_cast<DetectSink&>(*s).stats);
    engine.finish();
    std::vector<findings::Finding> all = engine.take_findings();
    const double min_sev = o->min_severity >= 0 ? o->min_severity : cfg.min_severity;
    std::vector<findings::Finding> shown;
    uint64_t archived = 0;
    bool fail = false;
    for (auto& f : all) {
      if (cfg.geo != nullptr) enrich::enrich_remote_ips(&f, *cfg.geo);
      findings::suppress(f, cfg.suppression);
      if (f.archived) ++archived;
      if (f.severity < min_sev) continue;
      if (f.archived && !o->show_archived) continue;
      if (!f.archived && o->fail_on >= 0 && f.severity >= o->fail_on) fail = true;
      shown.push_back(std::move(f));
    }
    const std::string format = o->output.empty() ? cfg.output : o->output;
    print_findings(shown, format);
    detect::EngineStats es = engine.stats();
    std::string s = summary(shown, archived);
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "Read %llu events from %llu files (%llu rejects); %zu rules, %llu rule "
                  "evaluations, %llu matches\n",
                  static_cast<unsigned long long>(total.events()),
                  static_cast<unsigned long long>(total.files()),
                  static_cast<unsigned long long>(total.rejects()), engine.rules().size(),
                  static_cast<unsigned long long>(es.evaluations),
                  static_cast<unsigned long long>(es.matches));
    s += buf;
    if (es.late_events > 0 || es.state_evictions > 0) {
      std::snprintf(buf, sizeof buf,
                    "State: %llu late events ignored, %llu keys evicted at the cap (raise "
                    "max_keys), %llu expired after their TTL, %llu live\n",
                    static_cast<unsigned long long>(es.late_events),
                    static_cast<unsigned long long>(es.state_evictions),
                    static_cast<unsigned long long>(es.state_expired),
                    static_cast<unsigned long long>(es.state_keys));
      s += buf;
      // Which rules hit their cap (an evicted key forgets its window or baseline).
      for (const auto& [rule, st] : engine.state_stats()) {
        if (st.cap_evictions == 0) continue;
        std::snprintf(buf, sizeof buf, "  rule %s: %llu keys evicted at max_keys %llu\n",
                      terminal_safe(rule->id).c_str(),
                      static_cast<unsigned long long>(st.cap_evictions),
                      static_cast<unsigned long long>(rule->stateful.max_keys));
        s += buf;
      }
    }
    // The summary goes to stdout for people (table) and to stderr for machine formats.
    std::FILE* to = format == "table" ? stdout : stderr;
    std::fwrite(s.data(), 1, s.size(), to);
    if (total.readable_files() == 0) {
      *code = kExitNothingReadable;
    } else if (o->read.strict && total.rejects() > 0) {
      *code = kExitNothingReadable;
    } else {
      *code = fail ? kExitFindings : kExitOk;
    }
  });
}

namespace {
const CommandRegistration kDetectRegistration{40, &add_detect_command};
}  // namespace

}  // namespace sentinel::cli
