#include "cli/detect_support.h"

#include <cstdio>
#include <filesystem>

#include "core/escape.h"
#include "detect/rules/native.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cli {

void DetectSink::on_cloudtrail(const ingest::CloudTrailEvent& e) {
  stats.add_event(e.meta, e.event_source);
  engine_->on_event(detect::EventView(e, scratch_.get()));
}

void DetectSink::on_flow(const ingest::FlowRecord& f) {
  stats.add_event(f.meta, {});
  engine_->on_event(detect::EventView(f, scratch_.get()));
}

void DetectSink::on_dns(const ingest::DnsQuery& q) {
  stats.add_event(q.meta, {});
  engine_->on_event(detect::EventView(q, scratch_.get()));
}

void DetectSink::on_guardduty(const ingest::GuardDutyFinding& g) {
  stats.add_event(g.meta, g.type);
  engine_->on_event(detect::EventView(g, scratch_.get()));
}

void DetectSink::on_reject(const Reject& r) {
  stats.add_reject(r);
  if (print_) {
    std::string line = format_reject(r);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

std::string default_rules_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory("rules", ec)) return "rules";
  return std::string(SENTINEL_SOURCE_DIR) + "/rules";
}

std::unique_ptr<detect::Engine> build_engine(const std::vector<std::string>& rule_flags,
                                             const config::Config& cfg, bool require_rules) {
  std::vector<std::string> rule_paths = rule_flags;
  if (rule_paths.empty()) rule_paths = cfg.rules;
  if (rule_paths.empty()) rule_paths.push_back(default_rules_dir());
  std::vector<detect::Rule> rules;
  detect::LoadErrors load_errors;
  for (const auto& p : rule_paths) {
    // Detection never runs the rules' embedded tests: skip them (most of a pack's bytes).
    std::vector<detect::Rule> loaded =
        detect::load_rules(p, &load_errors, detect::LoadOptions{.tests = false});
    if (rules.empty()) {
      rules = std::move(loaded);  // (one folder: no copy of its rules)
      continue;
    }
    rules.reserve(rules.size() + loaded.size());
    for (auto& r : loaded) rules.push_back(std::move(r));
  }
  for (const auto& e : load_errors.messages) {
    std::fprintf(stderr, "sentinel: rule refused: %s\n", terminal_safe(e).c_str());
  }
  if (require_rules && rules.empty()) {
    std::fprintf(stderr, "sentinel: no rules loaded (pass --rules DIR)\n");
    return nullptr;
  }
  detect::EngineOptions eo;
  eo.lists = cfg.lists.get();
  eo.functions = &cfg.functions;
  std::vector<std::string> bind_errors;
  auto engine = std::make_unique<detect::Engine>(std::move(rules), eo, &bind_errors);
  for (const auto& e : bind_errors) {
    std::fprintf(stderr, "sentinel: rule refused: %s\n", terminal_safe(e).c_str());
  }
  return engine;
}

}  // namespace sentinel::cli
