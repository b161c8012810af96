#include "findings/formats/asff.h"

#include <simdjson.h>

#include <cmath>

#include "core/json_writer.h"
#include "core/utf8.h"
#include "findings/formats/guardduty.h"

namespace sentinel::findings {

namespace {

// A number as JSON writes it (shortest round-trip form: 8, 5.5).
std::string number_text(double v) {
  std::string s;
  JsonWriter(&s).number(v);
  return s;
}

std::string_view get_string(simdjson::dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// ASFF "Unusual Behaviors" category for the resource part of a GuardDuty type.
std::string_view unusual_category(std::string_view resource) {
  if (resource == "EC2") return "VM";
  if (resource == "IAMUser") return "User";
  if (resource == "S3") return "Data";
  if (resource == "Lambda") return "Serverless";
  if (resource == "RDS") return "Database";
  if (resource == "Kubernetes" || resource == "EKS" || resource == "ECS" || resource == "Runtime" ||
      resource == "Container") {
    return "Container";
  }
  return "Application";
}

std::string_view purpose_namespace(std::string_view purpose) {
  if (purpose == "Backdoor" || purpose == "Trojan") return "TTPs/Command and Control";
  if (purpose == "CredentialAccess") return "TTPs/Credential Access";
  if (purpose == "CryptoCurrency" || purpose == "Cryptocurrency") {
    return "Effects/Resource Consumption";
  }
  if (purpose == "DefenseEvasion" || purpose == "Stealth") return "TTPs/Defense Evasion";
  if (purpose == "Discovery" || purpose == "Recon" || purpose == "Pentest") {
    return "TTPs/Discovery";
  }
  if (purpose == "Execution") return "TTPs/Execution";
  if (purpose == "Exfiltration") return "Effects/Data Exfiltration";
  if (purpose == "Impact") return "Effects/Data Destruction";
  if (purpose == "InitialAccess" || purpose == "UnauthorizedAccess") {
    return "TTPs/Initial Access";
  }
  if (purpose == "Persistence") return "TTPs/Persistence";
  if (purpose == "PrivilegeEscalation") return "TTPs/Privilege Escalation";
  if (purpose == "Policy") return "Software and Configuration Checks/AWS Security Best Practices";
  if (purpose == "AttackSequence") return "Effects/Data Exposure";
  return {};
}

}  // namespace

std::vector<std::string> asff_types(std::string_view type) {
  const std::size_t colon = type.find(':');
  const std::string_view purpose = colon == std::string_view::npos ? type : type.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? "" : type.substr(colon + 1);
  const std::string_view resource = rest.substr(0, rest.find('/'));
  std::string classifier(type.empty() ? std::string_view("Unknown") : type);
  for (char& c : classifier) {
    if (c == '/') c = '-';
  }

  std::vector<std::string> types;
  std::string_view ns = purpose_namespace(purpose);
  const std::string unusual = "Unusual Behaviors/" + std::string(unusual_category(resource));
  const bool anomalous = purpose == "Behavior" ||
                         type.find("AnomalousBehavior") != std::string_view::npos ||
                         type.find("/Unusual") != std::string_view::npos;
  if (!ns.empty()) types.push_back(std::string(ns) + "/" + classifier);
  if (anomalous || ns.empty()) types.push_back(unusual + "/" + classifier);
  return types;
}

int asff_normalized(double severity) {
  if (!(severity > 0)) return 0;  // also NaN
  // The epsilon absorbs binary representation (3.9 * 10 = 38.999...); the floor keeps 3.95 in
  // LOW as GuardDuty's band does.
  double n = std::floor(severity * 10 + 1e-6);
  if (n > 100) return 100;
  return static_cast<int>(n);
}

std::string_view asff_label(int normalized) {
  if (normalized >= 90) return "CRITICAL";
  if (normalized >= 70) return "HIGH";
  if (normalized >= 40) return "MEDIUM";
  if (normalized >= 1) return "LOW";
  return "INFORMATIONAL";
}

std::string truncate_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  constexpr std::string_view kEllipsis = "...";
  const std::size_t budget = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) len = 1;  // an invalid byte: one character (U+FFFD in JSON output)
    if (i + len > budget) break;
    i += len;
  }
  std::string out(s.substr(0, i));
  if (max_bytes >= kEllipsis.size()) out += kEllipsis;
  return out;
}

std::vector<ResourceRef> resource_refs(const Finding& f) {
  std::vector<ResourceRef> refs;
  const std::string partition = f.partition.empty() ? "aws" : f.partition;
  std::string_view resource_type;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool parsed = is_json_object(f.resource_json) &&
                      parser.parse(f.resource_json).get(root) == simdjson::SUCCESS &&
                      root.is_object();
  if (parsed) {
    resource_type = get_string(root, "resourceType");
    if (resource_type == "AccessKey") {
      simdjson::dom::element d;
      if (root["accessKeyDetails"].get(d) == simdjson::SUCCESS) {
        std::string_view id = get_string(d, "accessKeyId");
        if (id.empty()) id = get_string(d, "principalId");
        if (id.empty()) id = get_string(d, "userName");
        if (!id.empty()) {
          refs.push_back(
              {"AwsIamAccessKey", std::string(id), std::string(get_string(d, "userName"))});
        }
      }
    } else if (resource_type == "Instance") {
      simdjson::dom::element d;
      if (root["instanceDetails"].get(d) == simdjson::SUCCESS) {
        std::string_view iid = get_string(d, "instanceId");
        if (!iid.empty()) {
          std::string arn = "arn:" + partition + ":ec2:" + f.region + ":" + f.account_id +
                            ":instance/" + std::string(iid);
          refs.push_back({"AwsEc2Instance", std::move(arn), std::string(iid)});
        }
      }
    } else if (resource_type == "S3Bucket") {
      simdjson::dom::array buckets;
      if (root["s3BucketDetails"].get_array().get(buckets) == simdjson::SUCCESS) {
        for (simdjson::dom::element b : buckets) {
          std::string_view name = get_string(b, "name");
          std::string arn(get_string(b, "arn"));
          if (arn.empty() && !name.empty()) arn = "arn:" + partition + ":s3:::" + std::string(name);
          if (!arn.empty()) refs.push_back({"AwsS3Bucket", std::move(arn), std::string(name)});
        }
      }
    }
  }
  if (refs.empty()) {
    refs.push_back({"Other", resource_type.empty() ? "Unknown" : std::string(resource_type), ""});
  }
  return refs;
}

void write_asff(const Finding& f, std::string* out) {
  JsonWriter w(out);
  const std::string partition = f.partition.empty() ? "aws" : f.partition;
  const int normalized = asff_normalized(f.severity);
  const std::vector<std::string> types = asff_types(f.type);

  w.begin_object();
  w.field("SchemaVersion", "2018-10-08");
  // The GuardDuty-style ARN is unique across accounts and regions, as ASFF Id must be.
  w.field("Id", guardduty_arn(f));
  w.field("ProductArn", "arn:" + partition + ":securityhub:" + f.region + ":" + f.account_id +
                            ":product/" + f.account_id + "/default");
  w.field("ProductName", "Sentinel");
  w.field("CompanyName", "Sentinel");
  w.field("GeneratorId", f.rule_id.empty() ? f.type : f.rule_id);
  w.field("AwsAccountId", f.account_id);
  w.key("Types");
  w.begin_array();
  for (const auto& t : types) w.string(t);
  w.end_array();
  w.field("FirstObservedAt", iso8601_millis(f.first_seen_ms));
  w.field("LastObservedAt", iso8601_millis(f.last_seen_ms));
  w.field("CreatedAt", iso8601_millis(f.created_ms));
  w.field("UpdatedAt", iso8601_millis(f.updated_ms));
  w.key("Severity");
  w.begin_object();
  w.field("Label", asff_label(normalized));
  w.field("Normalized", normalized);
  w.field("Original", number_text(f.severity));
  w.end_object();
  std::string title = truncate_utf8(f.title.empty() ? f.type : f.title, kAsffMaxTitle);
  if (title.empty()) title = "Sentinel finding";
  w.field("Title", title);
  std::string_view desc = f.description;
  if (desc.empty()) desc = title;
  w.field("Description", truncate_utf8(desc, kAsffMaxDescription));
  w.key("ProductFields");
  w.begin_object();
  w.field("sentinel/type", f.type);
  w.field("sentinel/count", std::to_string(f.count));
  w.field("sentinel/ruleId", f.rule_id);
  w.field("sentinel/findingId", f.id);
  if (!f.resource_role.empty()) w.field("sentinel/resourceRole", f.resource_role);
  w.field("sentinel/evidenceTotal", std::to_string(f.evidence_total));
  w.end_object();
  w.key("Resources");
  w.begin_array();
  for (const ResourceRef& r : resource_refs(f)) {
    w.begin_object();
    w.field("Type", r.type);
    w.field("Id", r.id);
    w.field("Partition", partition);
    w.field("Region", f.region);
    w.end_object();
  }
  w.end_array();
  w.field("RecordState", f.archived ? "ARCHIVED" : "ACTIVE");
  w.key("Workflow");
  w.begin_object();
  w.field("Status", f.archived ? "SUPPRESSED" : "NEW");
  w.end_object();
  // Where Security Hub wants providers to put Severity and Types (updatable later).
  w.key("FindingProviderFields");
  w.begin_object();
  w.key("Severity");
  w.begin_object();
  w.field("Label", asff_label(normalized));
  w.end_object();
  w.key("Types");
  w.begin_array();
  for (const auto& t : types) w.string(t);
  w.end_array();
  w.end_object();
  w.end_object();
}

}  // namespace sentinel::findings
