#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "core/time.h"
#include "core/utf8.h"
#include "findings/finding.h"
#include "findings/formats/asff.h"
#include "findings/formats/guardduty.h"
#include "findings/formats/ocsf.h"
#include "findings/formats/table.h"

namespace sentinel::findings {
namespace {

using simdjson::dom::element;

Finding sample() {
  Finding f;
  f.rule_id = "iam.malicious_ip_caller";
  f.id = finding_id(f.rule_id, "AKIAEXAMPLE|203.0.113.9");
  f.type = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom";
  f.severity = 5;
  f.title = "API called from a listed IP";
  f.description = "ListBuckets was called from 203.0.113.9, on list bad-ips.";
  f.account_id = "123456789012";
  f.region = "us-east-1";
  f.resource_json =
      R"({"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"AKIAEXAMPLE",)"
      R"("principalId":"AIDAEXAMPLE","userName":"alice","userType":"IAMUser"}})";
  f.action_json = R"({"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListBuckets",)"
                  R"("serviceName":"s3.amazonaws.com","callerType":"Remote IP",)"
                  R"("remoteIpDetails":{"ipAddressV4":"203.0.113.9"}}})";
  f.resource_role = "TARGET";
  f.additional_info_json = R"({"threatListName":"bad-ips"})";
  f.unusual_json = R"({"feature":"ip","value":"203.0.113.9","profile":"UNSEEN"})";
  f.threat_intel = {{"bad-ips", {"scanner"}}};
  f.created_ms = f.first_seen_ms = 1'705'284'000'000;  // 2024-01-15T02:00:00.000Z
  f.updated_ms = f.last_seen_ms = 1'705'287'600'123;   // 2024-01-15T03:00:00.123Z
  f.count = 1;
  f.evidence = {"ev-1", "ev-2"};
  f.evidence_total = 5;
  f.tags = {"attack.t1078"};
  return f;
}

// Parses `json` (one object) with simdjson; fails the test when it is not valid JSON.
element parse(simdjson::dom::parser& p, const std::string& json) {
  element root;
  auto err = p.parse(json).get(root);
  EXPECT_EQ(err, simdjson::SUCCESS) << json;
  EXPECT_TRUE(root.is_object()) << json;
  return root;
}

std::string str(element e, std::string_view path) {
  std::string_view s;
  EXPECT_EQ(e.at_pointer(path).get_string().get(s), simdjson::SUCCESS) << path;
  return std::string(s);
}

int64_t num(element e, std::string_view path) {
  int64_t v = 0;
  EXPECT_EQ(e.at_pointer(path).get_int64().get(v), simdjson::SUCCESS) << path;
  return v;
}

bool has(element e, std::string_view path) {
  return e.at_pointer(path).error() == simdjson::SUCCESS;
}

TEST(GuardDutyFormat, EveryMemberInGuardDutyShape) {
  Finding f = sample();
  std::string out;
  write_guardduty(f, &out);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  simdjson::dom::parser p;
  element r = parse(p, out);
  EXPECT_EQ(str(r, "/schemaVersion"), "2.0");
  EXPECT_EQ(str(r, "/accountId"), "123456789012");
  EXPECT_EQ(str(r, "/arn"),
            "arn:aws:guardduty:us-east-1:123456789012:detector/sentinel/finding/" + f.id);
  EXPECT_EQ(str(r, "/createdAt"), "2024-01-15T02:00:00.000Z");
  EXPECT_EQ(str(r, "/updatedAt"), "2024-01-15T03:00:00.123Z");
  EXPECT_EQ(str(r, "/id"), f.id);
  EXPECT_EQ(str(r, "/partition"), "aws");
  EXPECT_EQ(str(r, "/region"), "us-east-1");
  EXPECT_EQ(str(r, "/type"), f.type);
  EXPECT_EQ(str(r, "/title"), f.title);
  EXPECT_EQ(str(r, "/description"), f.description);
  double sev = 0;
  ASSERT_EQ(r["severity"].get_double().get(sev), simdjson::SUCCESS);
  EXPECT_EQ(sev, 5.0);
  EXPECT_EQ(str(r, "/resource/resourceType"), "AccessKey");
  EXPECT_EQ(str(r, "/resource/accessKeyDetails/userName"), "alice");
  EXPECT_EQ(str(r, "/service/serviceName"), "sentinel");
  EXPECT_EQ(str(r, "/service/detectorId"), "sentinel");
  EXPECT_EQ(str(r, "/service/action/actionType"), "AWS_API_CALL");
  EXPECT_EQ(str(r, "/service/action/awsApiCallAction/api"), "ListBuckets");
  bool archived = true;
  ASSERT_EQ(r.at_pointer("/service/archived").get_bool().get(archived), simdjson::SUCCESS);
  EXPECT_FALSE(archived);
  EXPECT_EQ(num(r, "/service/count"), 1);
  EXPECT_EQ(str(r, "/service/eventFirstSeen"), "2024-01-15T02:00:00.000Z");
  EXPECT_EQ(str(r, "/service/eventLastSeen"), "2024-01-15T03:00:00.123Z");
  EXPECT_EQ(str(r, "/service/resourceRole"), "TARGET");
  EXPECT_EQ(str(r, "/service/additionalInfo/type"), "default");
  EXPECT_EQ(str(r, "/service/additionalInfo/value"), f.additional_info_json);
  EXPECT_EQ(str(r, "/service/additionalInfo/threatListName"), "bad-ips");
  EXPECT_EQ(str(r, "/service/additionalInfo/evidence/ids/0"), "ev-1");
  EXPECT_EQ(str(r, "/service/additionalInfo/evidence/ids/1"), "ev-2");
  EXPECT_EQ(num(r, "/service/additionalInfo/evidence/total"), 5);
  EXPECT_EQ(str(r, "/service/additionalInfo/unusual/profile"), "UNSEEN");
  EXPECT_EQ(str(r, "/service/evidence/threatIntelligenceDetails/0/threatListName"), "bad-ips");
  EXPECT_EQ(str(r, "/service/evidence/threatIntelligenceDetails/0/threatNames/0"), "scanner");
}

TEST(GuardDutyFormat, BadEmbeddedJsonAndBytesStayValid) {
  Finding f = sample();
  f.resource_json = "not json";
  f.action_json.clear();
  f.additional_info_json.clear();
  f.unusual_json.clear();
  f.threat_intel.clear();
  f.title = "bad \xff byte \x1b[31m";
  std::string out;
  write_guardduty(f, &out);
  simdjson::dom::parser p;
  element r = parse(p, out);
  EXPECT_TRUE(has(r, "/resource"));
  EXPECT_FALSE(has(r, "/resource/resourceType"));
  EXPECT_FALSE(has(r, "/service/evidence"));
  EXPECT_EQ(str(r, "/service/additionalInfo/value"), "{}");
}

TEST(Iso8601Millis, AlwaysThreeDigits) {
  EXPECT_EQ(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_millis(1'705'284'000'007), "2024-01-15T02:00:00.007Z");
}

TEST(AsffFormat, EveryRequiredAttribute) {
  Finding f = sample();
  std::string out;
  write_asff(f, &out);
  simdjson::dom::parser p;
  element r = parse(p, out);
  EXPECT_EQ(str(r, "/SchemaVersion"), "2018-10-08");
  EXPECT_FALSE(str(r, "/Id").empty());
  EXPECT_LE(str(r, "/Id").size(), 512u);
  EXPECT_EQ(str(r, "/ProductArn"),
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default");
  EXPECT_EQ(str(r, "/GeneratorId"), "iam.malicious_ip_caller");
  EXPECT_EQ(str(r, "/AwsAccountId"), "123456789012");
  simdjson::dom::array types;
  ASSERT_EQ(r["Types"].get_array().get(types), simdjson::SUCCESS);
  ASSERT_GE(types.size(), 1u);
  EXPECT_EQ(str(r, "/Types/0"),
            "TTPs/Initial Access/UnauthorizedAccess:IAMUser-MaliciousIPCaller.Custom");
  for (element t : types) {
    std::string_view s = t.get_string().value();
    EXPECT_EQ(std::count(s.begin(), s.end(), '/'), 2) << s;
  }
  int64_t ms = 0;
  EXPECT_TRUE(parse_iso8601_ms(str(r, "/CreatedAt"), &ms));
  EXPECT_EQ(ms, f.created_ms);
  EXPECT_TRUE(parse_iso8601_ms(str(r, "/UpdatedAt"), &ms));
  EXPECT_EQ(ms, f.updated_ms);
  EXPECT_TRUE(parse_iso8601_ms(str(r, "/FirstObservedAt"), &ms));
  EXPECT_TRUE(parse_iso8601_ms(str(r, "/LastObservedAt"), &ms));
  EXPECT_EQ(str(r, "/Severity/Label"), "MEDIUM");
  EXPECT_EQ(num(r, "/Severity/Normalized"), 50);
  EXPECT_EQ(str(r, "/Title"), f.title);
  EXPECT_EQ(str(r, "/Description"), f.description);
  EXPECT_EQ(str(r, "/Resources/0/Type"), "AwsIamAccessKey");
  EXPECT_EQ(str(r, "/Resources/0/Id"), "AKIAEXAMPLE");
  EXPECT_EQ(str(r, "/Resources/0/Partition"), "aws");
  EXPECT_EQ(str(r, "/Resources/0/Region"), "us-east-1");
  EXPECT_EQ(str(r, "/ProductFields/sentinel~1type"), f.type);
  EXPECT_EQ(str(r, "/ProductFields/sentinel~1count"), "1");
  EXPECT_EQ(str(r, "/RecordState"), "ACTIVE");
}

TEST(AsffFormat, SeverityAtBandEdges) {
  struct Case {
    double severity;
    int normalized;
    const char* label;
  } cases[] = {
      {0, 0, "INFORMATIONAL"},  {0.1, 1, "LOW"},         {1.0, 10, "LOW"},
      {3.9, 39, "LOW"},         {3.95, 39, "LOW"},       {4.0, 40, "MEDIUM"},
      {6.9, 69, "MEDIUM"},      {7.0, 70, "HIGH"},       {8.9, 89, "HIGH"},
      {9.0, 90, "CRITICAL"},    {10.0, 100, "CRITICAL"}, {12.0, 100, "CRITICAL"},
      {-1, 0, "INFORMATIONAL"},
  };
  simdjson::dom::parser p;
  for (const Case& c : cases) {
    EXPECT_EQ(asff_normalized(c.severity), c.normalized) << c.severity;
    EXPECT_EQ(asff_label(asff_normalized(c.severity)), c.label) << c.severity;
    Finding f = sample();
    f.severity = c.severity;
    std::string out;
    write_asff(f, &out);
    element r = parse(p, out);
    EXPECT_EQ(str(r, "/Severity/Label"), c.label) << c.severity;
    EXPECT_EQ(num(r, "/Severity/Normalized"), c.normalized) << c.severity;
    // The ASFF label agrees with GuardDuty's band wherever GuardDuty defines one (>= 1.0).
    if (c.severity >= 1.0 && c.severity <= 10.0) {
      std::string gd(severity_label(c.severity));
      for (char& ch : gd) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      EXPECT_EQ(gd, c.label) << c.severity;
    }
  }
}

TEST(AsffFormat, DescriptionTruncatedAtUtf8Boundary) {
  Finding f = sample();
  // 1020 ASCII bytes then 2-byte characters: a byte cut would split one.
  f.description = std::string(1020, 'a');
  for (int i = 0; i < 20; ++i) f.description += "\xc3\xa9";  // é
  std::string out;
  write_asff(f, &out);
  simdjson::dom::parser p;
  element r = parse(p, out);
  std::string d = str(r, "/Description");
  EXPECT_LE(d.size(), kAsffMaxDescription);
  EXPECT_TRUE(utf8_valid(d));
  EXPECT_EQ(d.find("\xef\xbf\xbd"), std::string::npos);  // no U+FFFD from a split character
  EXPECT_EQ(d.substr(d.size() - 3), "...");

  for (std::size_t width : {2u, 3u, 4u}) {
    std::string ch = width == 2 ? "\xc3\xa9" : width == 3 ? "\xe2\x82\xac" : "\xf0\x9f\x98\x80";
    std::string s;
    while (s.size() < 3000) s += ch;
    for (std::size_t limit = 4; limit < 40; ++limit) {
      std::string t = truncate_utf8(s, limit);
      EXPECT_LE(t.size(), limit);
      EXPECT_TRUE(utf8_valid(t)) << width << " " << limit;
      EXPECT_EQ((t.size() - 3) % width, 0u);
    }
  }
  EXPECT_EQ(truncate_utf8("short", 1024), "short");

  f.description.clear();  // Description needs at least one character
  out.clear();
  write_asff(f, &out);
  element r2 = parse(p, out);
  EXPECT_FALSE(str(r2, "/Description").empty());

  f.title = std::string(300, 't');
  out.clear();
  write_asff(f, &out);
  element r3 = parse(p, out);
  EXPECT_LE(str(r3, "/Title").size(), kAsffMaxTitle);
}

TEST(AsffFormat, TypesMapping) {
  EXPECT_EQ(asff_types("Recon:EC2/PortProbeUnprotectedPort"),
            (std::vector<std::string>{"TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"}));
  EXPECT_EQ(asff_types("Exfiltration:S3/AnomalousBehavior"),
            (std::vector<std::string>{"Effects/Data Exfiltration/Exfiltration:S3-AnomalousBehavior",
                                      "Unusual Behaviors/Data/Exfiltration:S3-AnomalousBehavior"}));
  EXPECT_EQ(asff_types("Behavior:EC2/NetworkPortUnusual"),
            (std::vector<std::string>{"Unusual Behaviors/VM/Behavior:EC2-NetworkPortUnusual"}));
  EXPECT_EQ(asff_types("Policy:IAMUser/RootCredentialUsage"),
            (std::vector<std::string>{"Software and Configuration Checks/AWS Security Best "
                                      "Practices/Policy:IAMUser-RootCredentialUsage"}));
  EXPECT_EQ(asff_types("CryptoCurrency:EC2/BitcoinTool.B!DNS"),
            (std::vector<std::string>{
                "Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B!DNS"}));
  EXPECT_EQ(asff_types("Backdoor:EC2/C&CActivity.B"),
            (std::vector<std::string>{"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B"}));
}

TEST(AsffFormat, ResourcesFromResourceJson) {
  Finding f = sample();
  f.resource_json = R"({"resourceType":"Instance","instanceDetails":{"instanceId":"i-0abc"}})";
  auto refs = resource_refs(f);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].type, "AwsEc2Instance");
  EXPECT_EQ(refs[0].id, "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc");
  f.resource_json =
      R"({"resourceType":"S3Bucket","s3BucketDetails":[{"name":"b1","arn":"arn:aws:s3:::b1"},)"
      R"({"name":"b2"}]})";
  refs = resource_refs(f);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].type, "AwsS3Bucket");
  EXPECT_EQ(refs[1].id, "arn:aws:s3:::b2");
  f.resource_json = R"({"resourceType":"EKSCluster"})";
  refs = resource_refs(f);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].type, "Other");
  EXPECT_EQ(refs[0].id, "EKSCluster");
  f.resource_json = "";
  EXPECT_EQ(resource_refs(f)[0].id, "Unknown");
}

TEST(OcsfFormat, DetectionFindingRequiredFields) {
  Finding f = sample();
  std::string out;
  write_ocsf(f, &out);
  simdjson::dom::parser p;
  element r = parse(p, out);
  EXPECT_EQ(num(r, "/class_uid"), 2004);
  EXPECT_EQ(num(r, "/category_uid"), 2);
  EXPECT_EQ(num(r, "/activity_id"), 1);
  EXPECT_EQ(num(r, "/type_uid"), 200401);
  EXPECT_EQ(num(r, "/type_uid"), num(r, "/class_uid") * 100 + num(r, "/activity_id"));
  EXPECT_EQ(num(r, "/severity_id"), 3);
  EXPECT_EQ(num(r, "/time"), f.updated_ms);
  EXPECT_EQ(num(r, "/status_id"), 1);
  EXPECT_EQ(str(r, "/metadata/product/vendor_name"), "Sentinel");
  EXPECT_EQ(str(r, "/metadata/product/name"), "Sentinel");
  EXPECT_FALSE(str(r, "/metadata/product/version").empty());
  EXPECT_EQ(str(r, "/metadata/version"), "1.1.0");
  EXPECT_EQ(str(r, "/finding_info/uid"), f.id);
  EXPECT_EQ(str(r, "/finding_info/title"), f.title);
  EXPECT_EQ(str(r, "/finding_info/desc"), f.description);
  EXPECT_EQ(str(r, "/finding_info/types/0"), f.type);
  EXPECT_EQ(num(r, "/finding_info/created_time"), f.created_ms);
  EXPECT_EQ(num(r, "/finding_info/modified_time"), f.updated_ms);
  EXPECT_EQ(num(r, "/finding_info/first_seen_time"), f.first_seen_ms);
  EXPECT_EQ(num(r, "/finding_info/last_seen_time"), f.last_seen_ms);
  EXPECT_EQ(str(r, "/finding_info/analytic/uid"), f.rule_id);
  EXPECT_EQ(num(r, "/finding_info/analytic/type_id"), 2);  // baseline: Behavioral
  EXPECT_EQ(str(r, "/resources/0/type"), "AwsIamAccessKey");
  EXPECT_EQ(str(r, "/resources/0/uid"), "AKIAEXAMPLE");
  EXPECT_EQ(str(r, "/cloud/provider"), "AWS");
  EXPECT_EQ(str(r, "/cloud/region"), "us-east-1");
  EXPECT_EQ(str(r, "/cloud/account/uid"), "123456789012");
  EXPECT_EQ(str(r, "/unmapped/action/actionType"), "AWS_API_CALL");
  EXPECT_EQ(str(r, "/unmapped/resourceRole"), "TARGET");
}

TEST(OcsfFormat, UpdateSuppressedAndSeverityIds) {
  Finding f = sample();
  f.count = 4;
  f.archived = true;
  f.suppressed_by = "bastion";
  f.unusual_json.clear();
  std::string out;
  write_ocsf(f, &out);
  simdjson::dom::parser p;
  element r = parse(p, out);
  EXPECT_EQ(num(r, "/activity_id"), 2);
  EXPECT_EQ(num(r, "/type_uid"), 200402);
  EXPECT_EQ(num(r, "/status_id"), 3);
  EXPECT_EQ(num(r, "/finding_info/analytic/type_id"), 1);  // Rule
  EXPECT_EQ(str(r, "/unmapped/suppressedBy"), "bastion");
  EXPECT_EQ(ocsf_severity_id(0.5), 2);
  EXPECT_EQ(ocsf_severity_id(3.9), 2);
  EXPECT_EQ(ocsf_severity_id(4.0), 3);
  EXPECT_EQ(ocsf_severity_id(7.0), 4);
  EXPECT_EQ(ocsf_severity_id(9.0), 5);
}

TEST(TableFormat, OneLineWithEscapes) {
  Finding f = sample();
  f.severity = 8;
  f.count = 3;
  f.title = "evil\x1b[2J\r\nFAKE LINE";
  f.type = "Recon:IAMUser/X\x07";
  f.region = "us-east-1\n";
  std::string out;
  write_table(f, &out);
  for (unsigned char c : out) {
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw control byte " << static_cast<int>(c);
  }
  EXPECT_EQ(out.rfind("High", 0), 0u);
  EXPECT_NE(out.find("\\x1b[2J\\r\\nFAKE LINE"), std::string::npos) << out;
  EXPECT_NE(out.find("123456789012"), std::string::npos);
  EXPECT_NE(out.find("us-east-1\\n"), std::string::npos);
  EXPECT_NE(out.find("x3"), std::string::npos);
  EXPECT_EQ(out.find("suppressed"), std::string::npos);
  f.archived = true;
  f.suppressed_by = "rule\x1b";
  out.clear();
  write_table(f, &out);
  EXPECT_NE(out.find("[suppressed by rule\\x1b]"), std::string::npos) << out;
}

}  // namespace
}  // namespace sentinel::findings
