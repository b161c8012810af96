#include "cli/detect_support.h"

#include <cstdio>
#include <filesystem>

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

}  // namespace sentinel::cli
