#include "ingest/parsers/guardduty/guardduty.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/time.h"
#include "ingest/event_json.h"
#include "parser_capture.h"

namespace sentinel::ingest {
namespace {

using parser_test::parse_json;
using parser_test::RejectCopy;

/// The findings' ids beside their JSON lines and rows.
class CaptureSink : public parser_test::CaptureSink<GuardDutyFinding> {
 public:
  std::vector<std::string> ids;

 private:
  void keep(const GuardDutyFinding& g) override { ids.emplace_back(g.id); }
};

void run(std::string_view text, CaptureSink& sink, std::string_view account = {},
         std::string_view region = {}) {
  parser_test::parse_text<GuardDutyParser>(text, sink, "findings.json", account, region);
}

int64_t ms(std::string_view iso) {
  int64_t t = kNoTime;
  EXPECT_TRUE(parse_iso8601_ms(iso, &t)) << iso;
  return t;
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  std::size_t p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p != std::string::npos) s.replace(p, from.size(), to);
  return s;
}

// A camelCase finding as the API, EventBridge `detail` and the S3 export write it.
const std::string kCamel =
    R"({"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws",)"
    R"("id":"c1","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/c1",)"
    R"("type":"UnauthorizedAccess:IAMUser/TorIPCaller","resource":{"resourceType":"AccessKey",)"
    R"("accessKeyDetails":{"userName":"alice","userType":"IAMUser"}},"service":{)"
    R"("serviceName":"guardduty","detectorId":"d1","action":{"actionType":"AWS_API_CALL",)"
    R"("awsApiCallAction":{"api":"ListBuckets","remoteIpDetails":{"ipAddressV4":"198.51.100.7",)"
    R"("geoLocation":{"lat":0,"lon":0}}}},"resourceRole":"TARGET","additionalInfo":{"sample":true},)"
    R"("evidence":null,"eventFirstSeen":"2022-01-12T19:22:44.000Z",)"
    R"("eventLastSeen":"2022-01-28T21:12:25.000Z","archived":false,"count":4,)"
    R"("featureName":"CloudTrail"},"severity":5,"createdAt":"2022-01-12T19:22:44.454Z",)"
    R"("updatedAt":"2022-01-28T21:12:25.478Z","title":"API ListBuckets was invoked from a Tor exit node.",)"
    R"("description":"API ListBuckets was invoked from a Tor exit node IP address 198.51.100.7."})";

// The AWS CLI / boto3 shape: PascalCase keys in a `Findings` page, pretty-printed.
constexpr std::string_view kPascalPage = R"({
    "Findings": [
        {
            "AccountId": "210987654321",
            "Arn": "arn:aws:guardduty:us-west-2:210987654321:detector/d2/finding/p1",
            "CreatedAt": "2024-03-01T10:00:00.000Z",
            "Description": "EC2 instance i-1 is querying a domain name associated with a known C&C server.",
            "Id": "p1",
            "Partition": "aws",
            "Region": "us-west-2",
            "Resource": {
                "ResourceType": "Instance",
                "InstanceDetails": { "InstanceId": "i-1" }
            },
            "SchemaVersion": "2.0",
            "Service": {
                "Action": {
                    "ActionType": "DNS_REQUEST",
                    "DnsRequestAction": { "Domain": "evil.example", "Blocked": false }
                },
                "Archived": true,
                "Count": 12,
                "DetectorId": "d2",
                "EventFirstSeen": "2024-03-01T09:58:00.000Z",
                "EventLastSeen": "2024-03-01T11:02:00.000Z",
                "ResourceRole": "TARGET",
                "ServiceName": "guardduty"
            },
            "Severity": 9.5,
            "Title": "C&C domain queried by EC2 instance i-1.",
            "Type": "Backdoor:EC2/C&CActivity.B!DNS",
            "UpdatedAt": "2024-03-01T11:05:00.000Z"
        }
    ],
    "NextToken": ""
}
)";

TEST(GuardDuty, S3ExportLinesCamelCase) {
  CaptureSink sink;
  int n = 0;
  sink.check = [&](const GuardDutyFinding& g) {
    if (n++ != 0) return;
    EXPECT_EQ(g.meta.type, LogType::kGuardDuty);
    EXPECT_EQ(g.meta.time_ms, ms("2022-01-28T21:12:25.478Z"));
    EXPECT_EQ(g.meta.account, "123456789012");
    EXPECT_EQ(g.meta.region, "us-east-1");
    EXPECT_EQ(g.meta.ref.record, 0);
    EXPECT_EQ(g.meta.ref.line, 1u);
    EXPECT_EQ(g.schema_version, "2.0");
    EXPECT_EQ(g.account_id, "123456789012");
    EXPECT_EQ(g.partition, "aws");
    EXPECT_EQ(g.id, "c1");
    EXPECT_EQ(g.arn, "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/c1");
    EXPECT_EQ(g.type, "UnauthorizedAccess:IAMUser/TorIPCaller");
    EXPECT_EQ(g.title, "API ListBuckets was invoked from a Tor exit node.");
    EXPECT_EQ(g.description,
              "API ListBuckets was invoked from a Tor exit node IP address 198.51.100.7.");
    EXPECT_TRUE(g.has_severity);
    EXPECT_DOUBLE_EQ(g.severity, 5.0);
    EXPECT_FALSE(g.has_confidence);
    EXPECT_EQ(g.created_at_raw, "2022-01-12T19:22:44.454Z");
    EXPECT_EQ(g.created_at, ms("2022-01-12T19:22:44.454Z"));
    EXPECT_EQ(g.updated_at, ms("2022-01-28T21:12:25.478Z"));
    EXPECT_EQ(g.resource_type, "AccessKey");
    EXPECT_EQ(g.action_type, "AWS_API_CALL");
    EXPECT_EQ(g.service_name, "guardduty");
    EXPECT_EQ(g.detector_id, "d1");
    EXPECT_EQ(g.feature_name, "CloudTrail");
    EXPECT_EQ(g.resource_role, "TARGET");
    EXPECT_EQ(g.count, 4);
    EXPECT_EQ(g.event_first_seen, ms("2022-01-12T19:22:44.000Z"));
    EXPECT_EQ(g.event_last_seen, ms("2022-01-28T21:12:25.000Z"));
    EXPECT_TRUE(g.has_archived);
    EXPECT_FALSE(g.archived);
    EXPECT_TRUE(g.sample);
    EXPECT_FALSE(g.envelope.present);
    EXPECT_EQ(g.raw, kCamel);
  };
  std::string second = replace(replace(kCamel, R"("id":"c1")", R"("id":"c2")"),
                               R"("additionalInfo":{"sample":true})", R"("additionalInfo":{})");
  run(kCamel + "\n" + second + "\n", sink);
  EXPECT_TRUE(sink.rejects.empty());
  EXPECT_EQ(sink.ids, (std::vector<std::string>{"c1", "c2"}));

  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_EQ(std::string_view(e["log_type"]), "guardduty");
  EXPECT_EQ(std::string_view(e["time"]), "2022-01-28T21:12:25.478Z");
  EXPECT_EQ(std::string_view(e["type"]), "UnauthorizedAccess:IAMUser/TorIPCaller");
  EXPECT_EQ(double(e["severity"]), 5.0);
  EXPECT_EQ(std::string_view(e["severity_label"]), "Medium");
  EXPECT_EQ(std::string_view(e["action_type"]), "AWS_API_CALL");
  EXPECT_EQ(int64_t(e["count"]), 4);
  EXPECT_EQ(std::string_view(e["event_first_seen"]), "2022-01-12T19:22:44Z");
  EXPECT_EQ(std::string_view(e["created_at"]), "2022-01-12T19:22:44.454Z");
  EXPECT_EQ(bool(e["archived"]), false);
  EXPECT_EQ(bool(e["sample"]), true);
  EXPECT_EQ(std::string_view(e["record"]["resource"]["accessKeyDetails"]["userName"]), "alice");
  EXPECT_EQ(sink.json[1].find(R"("sample":true)"), std::string::npos);
  EXPECT_EQ(sink.rows[0],
            "2022-01-28T21:12:25Z 5.0 Medium UnauthorizedAccess:IAMUser/TorIPCaller 123456789012 "
            "us-east-1 AccessKey x4 [sample]: API ListBuckets was invoked from a Tor exit node.");
}

TEST(GuardDuty, EventBridgeEnvelope) {
  std::string event = R"({
  "version": "0",
  "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad",
  "detail-type": "GuardDuty Finding",
  "source": "aws.guardduty",
  "account": "123456789012",
  "time": "2022-01-28T21:13:00Z",
  "region": "us-east-1",
  "resources": [],
  "detail": )" + kCamel +
                      R"(
}
)";
  CaptureSink sink;
  sink.check = [&](const GuardDutyFinding& g) {
    EXPECT_TRUE(g.envelope.present);
    EXPECT_EQ(g.envelope.id, "c8c4daa7-a20c-2f03-0070-b7393dd542ad");
    EXPECT_EQ(g.envelope.detail_type, "GuardDuty Finding");
    EXPECT_EQ(g.envelope.source, "aws.guardduty");
    EXPECT_EQ(g.envelope.account, "123456789012");
    EXPECT_EQ(g.envelope.region, "us-east-1");
    EXPECT_EQ(g.envelope.time, "2022-01-28T21:13:00Z");
    EXPECT_EQ(g.envelope.time_ms, ms("2022-01-28T21:13:00Z"));
    EXPECT_EQ(g.id, "c1");  // the finding's, not the event's
    EXPECT_EQ(g.raw, kCamel);
    EXPECT_EQ(g.meta.time_ms, ms("2022-01-28T21:12:25.478Z"));
    EXPECT_EQ(g.meta.ref.line, 1u);
  };
  run(event, sink);
  EXPECT_TRUE(sink.rejects.empty());
  ASSERT_EQ(sink.json.size(), 1u);
  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_EQ(std::string_view(e["envelope"]["detail_type"]), "GuardDuty Finding");
  EXPECT_EQ(std::string_view(e["envelope"]["id"]), "c8c4daa7-a20c-2f03-0070-b7393dd542ad");
  EXPECT_EQ(std::string_view(e["record"]["id"]), "c1");
}

TEST(GuardDuty, EventBridgePrettyDetailIsMinifiedAndTimeFallsBack) {
  // No createdAt/updatedAt: the event time is the envelope's.
  CaptureSink sink;
  sink.check = [](const GuardDutyFinding& g) {
    EXPECT_EQ(g.meta.time_ms, ms("2024-05-01T00:00:00Z"));
    EXPECT_EQ(g.meta.account, "999");
    EXPECT_EQ(g.meta.region, "eu-central-1");
    EXPECT_NE(g.raw.find('\n'), std::string_view::npos);
    EXPECT_EQ(g.raw.front(), '{');
    EXPECT_EQ(g.raw.back(), '}');
  };
  run(R"({"detail": {
      "id": "x1",
      "type": "Recon:EC2/PortProbeUnprotectedPort",
      "severity": 2
    },
  "source": "aws.guardduty", "detail-type": "GuardDuty Finding", "account": "999",
  "region": "eu-central-1", "time": "2024-05-01T00:00:00Z"})",
      sink);
  EXPECT_TRUE(sink.rejects.empty());
  ASSERT_EQ(sink.json.size(), 1u);
  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_NE(sink.json[0].find(
                R"("record":{"id":"x1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2})"),
            std::string::npos);
  EXPECT_EQ(std::string_view(e["severity_label"]), "Low");
}

TEST(GuardDuty, OtherEventBridgeEventsAreNotFindings) {
  CaptureSink sink;
  run(R"({"detail-type":"GuardDuty Runtime Protection Healthy","source":"aws.guardduty","detail":{"a":1}}
{"detail-type":"AWS API Call via CloudTrail","source":"aws.guardduty","detail":{"eventName":"CreateDetector"}}
{"detail-type":"GuardDuty Finding","source":"aws.guardduty"}
{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"x":1}}
)",
      sink);
  EXPECT_TRUE(sink.json.empty());
  ASSERT_EQ(sink.rejects.size(), 4u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kNotAnEvent);
  EXPECT_EQ(sink.rejects[1].reason, RejectReason::kNotAnEvent);
  EXPECT_EQ(sink.rejects[2].reason, RejectReason::kMissingField);
  EXPECT_NE(sink.rejects[2].detail.find("detail"), std::string::npos);
  EXPECT_EQ(sink.rejects[3].reason, RejectReason::kNotAnEvent);
}

TEST(GuardDuty, CliPageWithPascalCaseKeys) {
  CaptureSink sink;
  sink.check = [](const GuardDutyFinding& g) {
    EXPECT_EQ(g.schema_version, "2.0");
    EXPECT_EQ(g.account_id, "210987654321");
    EXPECT_EQ(g.meta.account, "210987654321");
    EXPECT_EQ(g.meta.region, "us-west-2");
    EXPECT_EQ(g.id, "p1");
    EXPECT_EQ(g.type, "Backdoor:EC2/C&CActivity.B!DNS");
    EXPECT_DOUBLE_EQ(g.severity, 9.5);
    EXPECT_EQ(guardduty_severity_label(g.severity), "Critical");
    EXPECT_EQ(g.resource_type, "Instance");
    EXPECT_EQ(g.action_type, "DNS_REQUEST");
    EXPECT_EQ(g.count, 12);
    EXPECT_TRUE(g.has_archived);
    EXPECT_TRUE(g.archived);
    EXPECT_EQ(g.resource_role, "TARGET");
    EXPECT_EQ(g.detector_id, "d2");
    EXPECT_EQ(g.event_last_seen, ms("2024-03-01T11:02:00.000Z"));
    EXPECT_EQ(g.meta.time_ms, ms("2024-03-01T11:05:00.000Z"));
    EXPECT_EQ(g.meta.ref.record, 0);
    EXPECT_EQ(g.meta.ref.offset, 28u);  // the `{` of the element
  };
  run(kPascalPage, sink);
  EXPECT_TRUE(sink.rejects.empty());
  ASSERT_EQ(sink.json.size(), 1u);
  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_EQ(std::string_view(e["record"]["Service"]["Action"]["ActionType"]), "DNS_REQUEST");
  EXPECT_EQ(std::string_view(e["severity_label"]), "Critical");
  EXPECT_EQ(sink.rows[0].substr(0, 31), "2024-03-01T11:05:00Z 9.5 Critic");
}

TEST(GuardDuty, ApiPageLowerCaseAndTopLevelArray) {
  std::string two = kCamel + "," + replace(kCamel, R"("id":"c1")", R"("id":"c2")");
  for (const std::string& input :
       {R"({"findings":[)" + two + "]}", "[" + two + "]", "[\n  " + two + "\n]\n"}) {
    CaptureSink sink;
    run(input, sink);
    EXPECT_TRUE(sink.rejects.empty()) << input.substr(0, 20);
    EXPECT_EQ(sink.ids, (std::vector<std::string>{"c1", "c2"})) << input.substr(0, 20);
  }
}

TEST(GuardDuty, ContainerTheFramerDidNotSplit) {
  // elastic's sample: S3-export lines, then an empty API page. Also a page whose key is not first.
  CaptureSink sink;
  std::vector<int64_t> records;
  sink.check = [&](const GuardDutyFinding& g) { records.push_back(g.meta.ref.record); };
  run(kCamel + "\n{\"findings\":[]}\n{\"NextToken\":\"t\",\"Findings\":[" +
          replace(kCamel, R"("id":"c1")", R"("id":"c3")") + ",{\"id\":\"c4\"},7]}\n",
      sink);
  EXPECT_EQ(sink.ids, (std::vector<std::string>{"c1", "c3"}));
  EXPECT_EQ(records, (std::vector<int64_t>{0, 2}));
  ASSERT_EQ(sink.rejects.size(), 2u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kNotAnEvent);  // {"id":"c4"}: no finding key
  EXPECT_EQ(sink.rejects[1].reason, RejectReason::kNotAnEvent);  // 7
}

TEST(GuardDuty, SeverityBands) {
  const std::pair<const char*, const char*> cases[] = {
      {"9.0", "Critical"}, {"10", "Critical"}, {"8.9", "High"}, {"7", "High"},  {"6.9", "Medium"},
      {"4.0", "Medium"},   {"3.9", "Low"},     {"0.1", "Low"},  {"2e0", "Low"},
  };
  for (const auto& [sev, label] : cases) {
    CaptureSink sink;
    run(R"({"id":"s","type":"Recon:EC2/Portscan","severity":)" + std::string(sev) + "}", sink);
    ASSERT_EQ(sink.json.size(), 1u) << sev;
    EXPECT_NE(sink.json[0].find(std::string(R"("severity_label":")") + label + "\""),
              std::string::npos)
        << sev << " " << sink.json[0];
  }
}

TEST(GuardDuty, RejectsNameTheField) {
  const std::vector<parser_test::RejectCase> cases = {
      {replace(kCamel, R"("id":"c1",)", ""), RejectReason::kMissingField, "id"},
      {replace(kCamel, R"("id":"c1")", R"("id":null)"), RejectReason::kMissingField, "id"},
      {replace(kCamel, R"("type":"UnauthorizedAccess:IAMUser/TorIPCaller",)", ""),
       RejectReason::kMissingField, "type"},
      {replace(kCamel, R"("severity":5)", R"("severity":"5")"), RejectReason::kBadFieldType,
       "severity"},
      {replace(kCamel, R"("severity":5)", R"("severity":{"Label":"HIGH"})"),
       RejectReason::kBadFieldType, "severity"},
      {replace(kCamel, R"("count":4)", R"("count":"4")"), RejectReason::kBadFieldType,
       "service.count"},
      {replace(kCamel, R"("count":4)", R"("count":1.5)"), RejectReason::kBadFieldType,
       "service.count"},
      {replace(kCamel, R"("archived":false)", R"("archived":"false")"), RejectReason::kBadFieldType,
       "service.archived"},
      {replace(kCamel, R"("id":"c1")", R"("id":42)"), RejectReason::kBadFieldType, "id"},
      {replace(
           kCamel,
           R"("resource":{"resourceType":"AccessKey","accessKeyDetails":{"userName":"alice","userType":"IAMUser"}})",
           R"("resource":["AccessKey"])"),
       RejectReason::kBadFieldType, "resource"},
      {replace(kCamel, R"("actionType":"AWS_API_CALL")", R"("actionType":["AWS_API_CALL"])"),
       RejectReason::kBadFieldType, "service.action.actionType"},
      {replace(kCamel, R"("createdAt":"2022-01-12T19:22:44.454Z")", R"("createdAt":"last week")"),
       RejectReason::kBadTime, "createdAt"},
      {replace(kCamel, R"("eventLastSeen":"2022-01-28T21:12:25.000Z")",
               R"("eventLastSeen":"2022-13-45")"),
       RejectReason::kBadTime, "service.eventLastSeen"},
      {replace(kCamel, R"("updatedAt":"2022-01-28T21:12:25.478Z")", R"("updatedAt":1643404345)"),
       RejectReason::kBadFieldType, "updatedAt"},
  };
  parser_test::expect_each_rejected<GuardDutyParser, GuardDutyFinding>(cases, "findings.json");
}

TEST(GuardDuty, BadAndInvalidRecordsAmongGoodOnes) {
  CaptureSink sink;
  std::string bad_utf8 = replace(kCamel, "Tor exit node.", "Tor \xff\xfe node.");
  std::string bad_json = replace(kCamel, R"("evidence":null)", R"("evidence":nul)");
  run(kCamel + "\n" + bad_utf8 + "\n{\"schemaVersion\":\"2.0\",}\n" + bad_json + "\n" +
          replace(kCamel, R"("id":"c1")", R"("id":"c5")") + "\n{\"hello\":\"world\"}\n",
      sink);
  EXPECT_EQ(sink.ids, (std::vector<std::string>{"c1", "c5"}));
  ASSERT_EQ(sink.rejects.size(), 4u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kInvalidUtf8);
  EXPECT_EQ(sink.rejects[0].line, 2u);
  EXPECT_EQ(sink.rejects[1].reason, RejectReason::kInvalidJson);
  EXPECT_EQ(sink.rejects[1].line, 3u);
  EXPECT_EQ(sink.rejects[2].reason, RejectReason::kInvalidJson);
  EXPECT_EQ(sink.rejects[2].line, 4u);
  EXPECT_EQ(sink.rejects[3].reason, RejectReason::kNotAnEvent);
  EXPECT_EQ(sink.rejects[3].line, 6u);
}

TEST(GuardDuty, AccountAndRegionFallBackToThePath) {
  CaptureSink sink;
  sink.check = [](const GuardDutyFinding& g) {
    EXPECT_EQ(g.meta.account, "111");
    EXPECT_EQ(g.meta.region, "ap-south-1");
    EXPECT_EQ(g.meta.time_ms, ms("2020-01-01T00:00:00Z"));  // createdAt when no updatedAt
  };
  run(R"({"id":"a","type":"Recon:EC2/Portscan","severity":2,"createdAt":"2020-01-01T00:00:00Z"})",
      sink, "111", "ap-south-1");
  EXPECT_EQ(sink.json.size(), 1u);
}

TEST(GuardDuty, Sniffing) {
  EXPECT_TRUE(looks_like_guardduty(kCamel));
  EXPECT_TRUE(looks_like_guardduty(kPascalPage));
  EXPECT_TRUE(looks_like_guardduty(R"({"findings": [ ]})"));
  EXPECT_TRUE(looks_like_guardduty(
      R"({"version":"0","id":"x","detail-type": "GuardDuty Finding","source":"aws.guardduty"})"));
  // Security Hub's ASFF page: same container key, no GuardDuty finding shape.
  EXPECT_FALSE(looks_like_guardduty(
      R"({"Findings":[{"SchemaVersion":"2018-10-08","Id":"x","Types":["TTPs/Discovery"]}]})"));
  EXPECT_FALSE(looks_like_guardduty(
      R"({"Records":[{"eventVersion":"1.08","eventSource":"guardduty.amazonaws.com"}]})"));
  EXPECT_FALSE(looks_like_guardduty(
      R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","type":"A"})"));
}

// Panther's GuardDuty rule tests: one test per line, the finding under `log`. Panther-normalised
// (`2025-02-25 20:40:06.721` times, `evidence: null`), not byte-faithful raw findings. What we can
// honestly check: every `log` parses as a finding or is rejected with a named reason, and the
// counts stay what we observed: all 8 parse (2 Critical attack sequences with severity 9, then
// High 8, Low 1, Medium 5, each twice: as a real finding and as GuardDuty sample data); 4 carry
// `additionalInfo.sample` = true, which is what Panther's "As Sample Data" tests turn on.
TEST(GuardDuty, PantherCorpusConformance) {
  std::string ndjson;
  int tests = 0;
  if (!parser_test::read_panther_logs("tests_AWS_GuardDuty.jsonl", &ndjson, &tests)) {
    GTEST_SKIP() << "corpus not found";
  }
  EXPECT_EQ(tests, 8);
  CaptureSink sink;
  int critical = 0;
  int samples = 0;
  sink.check = [&](const GuardDutyFinding& g) {
    EXPECT_NE(g.meta.time_ms, kNoTime);
    EXPECT_TRUE(g.has_severity);
    if (guardduty_severity_label(g.severity) == "Critical") ++critical;
    if (g.sample) ++samples;
  };
  run(ndjson, sink);
  EXPECT_EQ(sink.json.size(), 8u);
  EXPECT_EQ(critical, 2);
  EXPECT_EQ(samples, 4);
  for (const RejectCopy& r : sink.rejects) ADD_FAILURE() << reject_name(r.reason) << r.detail;
}

// Old findings: a retired type is read as its current one (rules, store and outputs use it), the
// type as written is kept as original_type, and the raw record is untouched.
TEST(GuardDuty, RetiredTypeIsReadAsItsCurrentTypeAndTheOriginalIsKept) {
  const std::string old_iam =
      replace(kCamel, "UnauthorizedAccess:IAMUser/TorIPCaller", "Recon:IAMUser/UserPermissions");
  const std::string old_ec2 =
      replace(replace(kCamel, "\"id\":\"c1\"", "\"id\":\"c2\""),
              "UnauthorizedAccess:IAMUser/TorIPCaller", "UnauthorizedAccess:EC2/TorIPCaller");
  CaptureSink sink;
  std::vector<std::pair<std::string, std::string>> seen;  // type, original_type
  sink.check = [&](const GuardDutyFinding& g) {
    seen.emplace_back(std::string(g.type), std::string(g.original_type));
    EXPECT_NE(g.raw.find(g.original_type.empty() ? g.type : g.original_type),
              std::string_view::npos);
  };
  run(old_iam + "\n" + old_ec2 + "\n" + kCamel + "\n", sink);
  ASSERT_TRUE(sink.rejects.empty());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, "Discovery:IAMUser/AnomalousBehavior");
  EXPECT_EQ(seen[0].second, "Recon:IAMUser/UserPermissions");
  // Two current types: the first the map lists.
  EXPECT_EQ(seen[1].first, "UnauthorizedAccess:EC2/TorClient");
  EXPECT_EQ(seen[1].second, "UnauthorizedAccess:EC2/TorIPCaller");
  // A current type is kept as written, without original_type.
  EXPECT_EQ(seen[2].first, "UnauthorizedAccess:IAMUser/TorIPCaller");
  EXPECT_EQ(seen[2].second, "");

  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  std::string_view v;
  ASSERT_EQ(e["type"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "Discovery:IAMUser/AnomalousBehavior");
  ASSERT_EQ(e["original_type"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "Recon:IAMUser/UserPermissions");
  ASSERT_EQ(e["record"]["type"].get_string().get(v), simdjson::SUCCESS);
  EXPECT_EQ(v, "Recon:IAMUser/UserPermissions");
  EXPECT_EQ(parse_json(p, sink.json[2])["original_type"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_NE(sink.rows[0].find(
                "Discovery:IAMUser/AnomalousBehavior (retired Recon:IAMUser/UserPermissions) "),
            std::string::npos)
      << sink.rows[0];
  EXPECT_EQ(sink.rows[2].find("retired"), std::string::npos) << sink.rows[2];

  // PascalCase (CLI) pages are mapped the same way.
  CaptureSink pascal;
  run(replace(std::string(kPascalPage), "Backdoor:EC2/C&CActivity.B!DNS",
              "CryptoCurrency:EC2/BitcoinTool.A"),
      pascal);
  ASSERT_EQ(pascal.json.size(), 1u);
  EXPECT_NE(pascal.json[0].find(R"("type":"CryptoCurrency:EC2/BitcoinTool.B","original_type":)"
                                R"("CryptoCurrency:EC2/BitcoinTool.A")"),
            std::string::npos)
      << pascal.json[0];
}

// The compiled-in map is data/guardduty/retired_types.tsv, row by row, and maps to current types
// only (no retired type names another retired type).
TEST(GuardDuty, RetiredTypeTableEqualsTheDataFile) {
  std::ifstream in(std::filesystem::path(SENTINEL_SOURCE_DIR) / "data" / "guardduty" /
                   "retired_types.tsv");
  ASSERT_TRUE(in) << "data/guardduty/retired_types.tsv is missing";
  std::vector<std::array<std::string, 3>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::array<std::string, 3> r;
    std::size_t a = line.find('\t'), b = line.find('\t', a + 1);
    ASSERT_NE(b, std::string::npos) << line;
    r[0] = line.substr(0, a);
    r[1] = line.substr(a + 1, b - a - 1);
    r[2] = line.substr(b + 1);
    rows.push_back(r);
  }
  const auto table = retired_guardduty_types();
  ASSERT_EQ(table.size(), rows.size()) << "regenerate retired_types.cc from the .tsv";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(table[i].retired, rows[i][0]) << "row " << i;
    EXPECT_EQ(table[i].current, rows[i][1]) << "row " << i;
    EXPECT_EQ(table[i].note, rows[i][2]) << "row " << i;
    const std::string_view cur = current_guardduty_type(rows[i][0]);
    EXPECT_EQ(cur, rows[i][1] == "-" ? std::string() : rows[i][1].substr(0, rows[i][1].find(',')));
    EXPECT_TRUE(current_guardduty_type(cur).empty()) << cur << " is itself retired";
  }
  EXPECT_TRUE(current_guardduty_type("Recon:EC2/Portscan").empty());
  EXPECT_TRUE(current_guardduty_type("").empty());
}

}  // namespace
}  // namespace sentinel::ingest
