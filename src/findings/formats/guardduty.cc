#include "findings/formats/guardduty.h"

#include "core/json_writer.h"
#include "core/time.h"

namespace sentinel::findings {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

void raw_object_trimmed(JsonWriter& w, std::string_view json) {
  w.raw(is_json_object(json) ? trim(json) : std::string_view("{}"));
}

void time_field(JsonWriter& w, std::string_view key, int64_t ms) {
  w.key(key);
  w.string(iso8601_millis(ms));
}

}  // namespace

bool is_json_object(std::string_view json) {
  json = trim(json);
  return json.size() >= 2 && json.front() == '{' && json.back() == '}';
}

void append_iso8601_millis(std::string* out, int64_t ms) {
  const std::size_t start = out->size();
  append_iso8601(out, ms, true);
  // append_iso8601 leaves out `.000`; GuardDuty always writes three digits.
  if (out->size() - start == 20) out->insert(out->size() - 1, ".000");
}

std::string iso8601_millis(int64_t ms) {
  std::string s;
  append_iso8601_millis(&s, ms);
  return s;
}

std::string guardduty_arn(const Finding& f) {
  std::string arn = "arn:";
  arn += f.partition.empty() ? "aws" : f.partition;
  arn += ":guardduty:";
  arn += f.region;
  arn += ':';
  arn += f.account_id;
  arn += ":detector/";
  arn += kDetectorId;
  arn += "/finding/";
  arn += f.id;
  return arn;
}

void write_threat_intelligence_details(JsonWriter& w, const std::vector<ThreatIntel>& intel) {
  w.key("threatIntelligenceDetails");
  w.begin_array();
  for (const ThreatIntel& t : intel) {
    w.begin_object();
    w.field("threatListName", t.list_name);
    w.key("threatNames");
    w.begin_array();
    for (const auto& n : t.threat_names) w.string(n);
    w.end_array();
    w.end_object();
  }
  w.end_array();
}

void write_guardduty(const Finding& f, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("schemaVersion", "2.0");
  w.field("accountId", f.account_id);
  w.field("arn", guardduty_arn(f));
  time_field(w, "createdAt", f.created_ms);
  w.field("description", f.description);
  w.field("id", f.id);
  w.field("partition", f.partition.empty() ? std::string_view("aws") : f.partition);
  w.field("region", f.region);
  w.key("resource");
  raw_object_trimmed(w, f.resource_json);

  w.key("service");
  w.begin_object();
  w.key("action");
  raw_object_trimmed(w, f.action_json);
  if (!f.threat_intel.empty()) {
    w.key("evidence");
    w.begin_object();
    write_threat_intelligence_details(w, f.threat_intel);
    w.end_object();
  }
  w.field("archived", f.archived);
  w.field("count", static_cast<uint64_t>(f.count));
  w.field("detectorId", kDetectorId);
  time_field(w, "eventFirstSeen", f.first_seen_ms);
  time_field(w, "eventLastSeen", f.last_seen_ms);
  if (!f.resource_role.empty()) w.field("resourceRole", f.resource_role);
  w.field("serviceName", kServiceName);

  w.key("additionalInfo");
  w.begin_object();
  const bool have_info = is_json_object(f.additional_info_json);
  const std::string_view info = have_info ? trim(f.additional_info_json) : "{}";
  w.field("value", info);
  w.field("type", "default");
  std::string_view inner = trim(info.substr(1, info.size() - 2));
  if (!inner.empty()) {
    // Splice the members themselves so filters can reach service.additionalInfo.<name>.
    out->push_back(',');
    out->append(inner);
  }
  w.key("evidence");
  w.begin_object();
  w.key("ids");
  w.begin_array();
  for (const auto& e : f.evidence) w.string(e);
  w.end_array();
  w.field("total", static_cast<uint64_t>(f.evidence_total));
  w.end_object();
  if (is_json_object(f.unusual_json)) {
    w.key("unusual");
    w.raw(trim(f.unusual_json));
  }
  if (!f.rule_id.empty()) w.field("ruleId", f.rule_id);
  if (!f.tags.empty()) {
    w.key("tags");
    w.begin_array();
    for (const auto& t : f.tags) w.string(t);
    w.end_array();
  }
  w.end_object();  // additionalInfo
  w.end_object();  // service

  w.field("severity", f.severity);
  w.field("title", f.title);
  w.field("type", f.type);
  time_field(w, "updatedAt", f.updated_ms);
  w.end_object();
}

}  // namespace sentinel::findings
