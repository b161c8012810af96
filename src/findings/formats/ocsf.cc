#include "findings/formats/ocsf.h"

#include "core/json_writer.h"
#include "findings/formats/asff.h"
#include "findings/formats/guardduty.h"

namespace sentinel::findings {

namespace {

constexpr int kCategoryFindings = 2;
constexpr int kClassDetectionFinding = 2004;
constexpr int kActivityCreate = 1;
constexpr int kActivityUpdate = 2;
constexpr int kStatusNew = 1;
constexpr int kStatusSuppressed = 3;
constexpr int kAnalyticRule = 1;
constexpr int kAnalyticBehavioral = 2;

void ocsf_raw_object(JsonWriter& w, std::string_view json) {
  w.raw(is_json_object(json) ? json : std::string_view("{}"));
}

}  // namespace

int ocsf_severity_id(double severity) {
  std::string_view label = severity_label(severity);
  if (label == "Critical") return 5;
  if (label == "High") return 4;
  if (label == "Medium") return 3;
  return 2;
}

void write_ocsf(const Finding& f, std::string* out) {
  JsonWriter w(out);
  const int activity = f.count > 1 ? kActivityUpdate : kActivityCreate;
  const int severity_id = ocsf_severity_id(f.severity);
  const std::string partition = f.partition.empty() ? "aws" : f.partition;

  w.begin_object();
  w.field("activity_id", activity);
  w.field("activity_name", activity == kActivityCreate ? "Create" : "Update");
  w.field("category_uid", kCategoryFindings);
  w.field("category_name", "Findings");
  w.field("class_uid", kClassDetectionFinding);
  w.field("class_name", "Detection Finding");
  w.field("type_uid", static_cast<int64_t>(kClassDetectionFinding) * 100 + activity);
  w.field("type_name",
          activity == kActivityCreate ? "Detection Finding: Create" : "Detection Finding: Update");
  w.field("severity_id", severity_id);
  w.field("severity", severity_label(f.severity));
  w.field("time", f.updated_ms);
  w.field("start_time", f.first_seen_ms);
  w.field("end_time", f.last_seen_ms);
  w.field("count", static_cast<uint64_t>(f.count));
  w.field("message", f.title);
  w.field("status_id", f.archived ? kStatusSuppressed : kStatusNew);
  w.field("status", f.archived ? "Suppressed" : "New");

  w.key("metadata");
  w.begin_object();
  w.key("product");
  w.begin_object();
  w.field("vendor_name", "Sentinel");
  w.field("name", "Sentinel");
  w.field("version", kProductVersion);
  w.end_object();
  w.field("version", kOcsfVersion);
  w.field("uid", f.id);
  w.key("profiles");
  w.begin_array();
  w.string("cloud");
  w.end_array();
  w.end_object();

  w.key("finding_info");
  w.begin_object();
  w.field("uid", f.id);
  w.field("title", f.title.empty() ? f.type : f.title);
  w.field("desc", f.description);
  w.key("types");
  w.begin_array();
  w.string(f.type);
  w.end_array();
  w.field("created_time", f.created_ms);
  w.field("modified_time", f.updated_ms);
  w.field("first_seen_time", f.first_seen_ms);
  w.field("last_seen_time", f.last_seen_ms);
  w.key("analytic");
  w.begin_object();
  w.field("uid", f.rule_id);
  w.field("name", f.rule_id);
  const bool baseline = is_json_object(f.unusual_json);
  w.field("type_id", baseline ? kAnalyticBehavioral : kAnalyticRule);
  w.field("type", baseline ? "Behavioral" : "Rule");
  w.end_object();
  if (!f.evidence.empty()) {
    // The evidence events, by id (OCSF's related_events are Related Event objects).
    w.key("related_events");
    w.begin_array();
    for (const auto& e : f.evidence) {
      w.begin_object();
      w.field("uid", e);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();

  w.key("resources");
  w.begin_array();
  for (const ResourceRef& r : resource_refs(f)) {
    w.begin_object();
    w.field("uid", r.id);
    if (!r.name.empty()) w.field("name", r.name);
    w.field("type", r.type);
    w.field("region", f.region);
    w.field("cloud_partition", partition);
    w.end_object();
  }
  w.end_array();

  w.key("cloud");
  w.begin_object();
  w.field("provider", "AWS");
  w.field("region", f.region);
  w.key("account");
  w.begin_object();
  w.field("uid", f.account_id);
  w.end_object();
  w.end_object();

  w.key("unmapped");
  w.begin_object();
  w.field("severity", f.severity);
  w.key("resource");
  ocsf_raw_object(w, f.resource_json);
  w.key("action");
  ocsf_raw_object(w, f.action_json);
  if (!f.resource_role.empty()) w.field("resourceRole", f.resource_role);
  if (is_json_object(f.additional_info_json)) {
    w.key("additionalInfo");
    w.raw(f.additional_info_json);
  }
  if (baseline) {
    w.key("unusual");
    w.raw(f.unusual_json);
  }
  w.field("evidenceTotal", static_cast<uint64_t>(f.evidence_total));
  if (!f.threat_intel.empty()) {
    write_threat_intelligence_details(w, f.threat_intel);
  }
  if (!f.tags.empty()) {
    w.key("tags");
    w.begin_array();
    for (const auto& t : f.tags) w.string(t);
    w.end_array();
  }
  if (f.archived) w.field("suppressedBy", f.suppressed_by);
  w.end_object();
  w.end_object();
}

}  // namespace sentinel::findings
