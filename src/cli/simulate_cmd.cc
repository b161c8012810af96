// `sentinel simulate`: writes a labelled synthetic dataset (see docs/simulator.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/escape.h"
#include "sim/simulate.h"

namespace sentinel::cli {

namespace {

struct SimulateCliOptions {
  sim::SimulateOptions sim;
  std::string out;
  bool list = false;
};

void print_list() {
  std::string s;
  for (const auto& info : sim::list_scenarios()) {
    s += info.name;
    s += "\n    ";
    s += info.summary;
    if (!info.expected.empty()) {
      s += "\n    expects:";
      for (const auto& t : info.expected) s += " " + t;
    }
    if (!info.guardduty.empty()) {
      s += "\n    GuardDuty findings (--guardduty):";
      for (const auto& t : info.guardduty) s += " " + t;
    }
    if (info.min_days > 1) s += "\n    needs --days " + std::to_string(info.min_days);
    s += "\n";
  }
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace

void add_simulate_command(CLI::App& app, int* code) {
  auto o = std::make_shared<SimulateCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Write a labelled synthetic AWS log dataset (CloudTrail, VPC flow, Route 53 Resolver, "
      "optionally GuardDuty findings) with a benign background and injected attacks");
  cmd->add_option("--out", o->out, "output folder (created; existing files are overwritten)");
  cmd->add_option("--scenario", o->sim.scenarios,
                  "scenarios to inject (repeatable; default: all that fit --days; 'none': "
                  "background only)");
  cmd->add_option("--accounts", o->sim.accounts, "AWS accounts (1-12)")->capture_default_str();
  cmd->add_option("--days", o->sim.days, "days of logs, starting 2024-05-06 (1-366)")
      ->capture_default_str();
  cmd->add_option("--events", o->sim.events,
                  "background records over all log types (35% CloudTrail, 45% flows, 20% DNS)")
      ->capture_default_str();
  cmd->add_option("--seed", o->sim.seed, "generator seed (same options, same bytes)")
      ->capture_default_str();
  cmd->add_option("--gzip-level", o->sim.gzip_level, "libdeflate level 1-12")
      ->check(CLI::Range(1, 12))
      ->capture_default_str();
  cmd->add_flag("--guardduty", o->sim.guardduty,
                "also write the GuardDuty findings of what these logs cannot show (Runtime "
                "Monitoring, EKS audit logs, Malware Protection), as GuardDuty exports them to S3");
  cmd->add_flag("--list", o->list, "list the scenarios and the finding types they expect");
  cmd->callback([o, code] {
    if (o->list) {
      print_list();
      *code = kExitOk;
      return;
    }
    if (o->out.empty()) {
      std::fprintf(stderr, "sentinel simulate: --out DIR is required\n");
      *code = kExitUsage;
      return;
    }
    o->sim.out_dir = o->out;
    auto r = sim::simulate(o->sim);
    if (!r) {
      std::fprintf(stderr, "sentinel simulate: %s: %s\n", r.error().code.c_str(),
                   terminal_safe(r.error().message).c_str());
      *code = r.error().code == "io_error" ? kExitNothingReadable : kExitUsage;
      return;
    }
    const auto& s = *r;
    std::fprintf(stderr,
                 "Wrote %llu files (%.1f MB gzip): %llu CloudTrail records, %llu flow records, "
                 "%llu DNS queries%s; %zu scenarios injected (%llu records)%s\n",
                 static_cast<unsigned long long>(s.files), static_cast<double>(s.gz_bytes) / 1e6,
                 static_cast<unsigned long long>(s.cloudtrail),
                 static_cast<unsigned long long>(s.flows), static_cast<unsigned long long>(s.dns),
                 o->sim.guardduty
                     ? (", " + std::to_string(s.guardduty) + " GuardDuty findings").c_str()
                     : "",
                 s.injected.size(), static_cast<unsigned long long>(s.attack_records),
                 s.skipped.empty() ? "" : "; skipped:");
    for (const auto& k : s.skipped) std::fprintf(stderr, "  %s\n", terminal_safe(k).c_str());
    std::fprintf(stderr,
                 "Labels: %s/labels.jsonl. Detect: sentinel detect %s/AWSLogs --config "
                 "%s/sentinel.yaml\n",
                 terminal_safe(o->out).c_str(), terminal_safe(o->out).c_str(),
                 terminal_safe(o->out).c_str());
    *code = kExitOk;
  });
}

namespace {
const CommandRegistration kSimulateRegistration{70, &add_simulate_command};
}  // namespace

}  // namespace sentinel::cli
