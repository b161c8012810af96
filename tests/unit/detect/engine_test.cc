// The Engine: the rule index (which rules an event meets), stateless findings (ids, folding,
// group_by), severity cases, templates, and byte-identical output whatever the file order.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/rules/native.h"
#include "findings/formats/guardduty.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {

namespace {

using ingest::LogType;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

detect::Rule R(const std::string& yaml) {
  return rule(yaml, detect::RuleDefs{});
}

std::string call(const std::string& id, const std::string& name, const std::string& user,
                 const std::string& time = "2024-01-15T02:00:00Z",
                 const std::string& ip = "203.0.113.9") {
  return ct("\"eventID\":\"" + id + "\",\"eventTime\":\"" + time +
            "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"" + name +
            "\",\"sourceIPAddress\":\"" + ip +
            "\",\"userIdentity\":{\"type\":\"IAMUser\","
            "\"userName\":\"" +
            user + "\"}");
}

// ---------------------------------------------------------------------------------------------
// The index

const char* kIndexed =
    "id: indexed\ntype: \"A:B/C\"\nmatch: {eventName: [ConsoleLogin, GetObject]}\n";
const char* kUnindexed = "id: unindexed\ntype: \"A:B/C\"\nmatch: {userIdentity.type: Root}\n";
const char* kFlowRule = "id: flows\ntype: \"A:B/C\"\nlog_types: [vpcflow]\nmatch: {protocol: 6}\n";

std::vector<std::pair<LogType, std::string>> mixed_input() {
  return {{LogType::kCloudTrail,
           records({call("e1", "ConsoleLogin", "a"), call("e2", "ListBuckets", "a"),
                    call("e3", "GETOBJECT", "a"), call("e4", "DeleteTrail", "a")})},
          {LogType::kVpcFlow, std::string(kFlowLine) + "\n" + kFlowLine + "\n"},
          {LogType::kRoute53, dns("www.example.com.", "i-1") + "\n"}};
}

TEST(EngineIndex, IndexedRuleMeetsOnlyItsEventNames) {
  detect::EngineStats st;
  auto fs = run({R(kIndexed)}, mixed_input(), &st, nullptr);
  EXPECT_EQ(st.events, 7u);
  // ConsoleLogin and GETOBJECT (the index is case-insensitive; eq itself is not).
  EXPECT_EQ(st.evaluations, 2u);
  EXPECT_EQ(st.matches, 1u);
  EXPECT_EQ(fs.size(), 1u);
}

TEST(EngineIndex, UnindexedRuleMeetsEveryEventOfItsLogTypeOnly) {
  detect::EngineStats st;
  // userIdentity.type: Root is a string literal: the rule goes behind the field prefilter, which
  // scans userIdentity.type once per CloudTrail event (4) and evaluates the rule only where the
  // literal matched.
  run({R(kUnindexed)}, mixed_input(), &st, nullptr);
  EXPECT_EQ(st.prefilter_scans, 4u);
  EXPECT_EQ(st.evaluations, st.matches);
  // A rule no prefilter can stand for (a numeric comparison) meets every event of its type.
  run({R("id: every\ntype: \"A:B/C\"\nmatch: {eventVersion: {exists: true}}\n")}, mixed_input(),
      &st, nullptr);
  EXPECT_EQ(st.evaluations, 4u);
  run({R(kFlowRule)}, mixed_input(), &st, nullptr);
  EXPECT_EQ(st.evaluations, 2u);
  EXPECT_EQ(st.matches, 2u);
  run({R(kIndexed), R(kUnindexed), R(kFlowRule)}, mixed_input(), &st, nullptr);
  EXPECT_EQ(st.prefilter_scans, 4u);
}

TEST(EngineIndex, RuleOnSeveralLogTypes) {
  detect::EngineStats st;
  run({R("id: both\ntype: \"A:B/C\"\nlog_types: [cloudtrail, vpcflow]\n"
         "match: {eventName: ConsoleLogin}\n")},
      mixed_input(), &st, nullptr);
  // Indexed for CloudTrail (1 event); for flows the eventName literal goes to the prefilter,
  // and flows have no eventName, so no flow is evaluated.
  EXPECT_EQ(st.evaluations, 1u);
  EXPECT_EQ(st.matches, 1u);
}

TEST(EngineIndex, DisabledRulesAreDropped) {
  std::vector<std::string> errors;
  detect::Engine e({R(std::string(kIndexed) + "enabled: false\n"), R(kUnindexed)},
                   detect::EngineOptions{}, &errors);
  ASSERT_EQ(e.rules().size(), 1u);
  EXPECT_EQ(e.rules()[0].id, "unindexed");
}

// ---------------------------------------------------------------------------------------------
// Stateless findings

const char* kGrouped = R"(id: grouped
type: "Recon:IAMUser/Grouped"
title: "{eventName} by {userIdentity.userName}"
match: {eventSource: iam.amazonaws.com}
group_by: [userIdentity.userName]
)";

TEST(EngineFindings, SameMatchTwiceFoldsIntoOneFinding) {
  auto fs = run(
      {R(kGrouped)},
      {{LogType::kCloudTrail, records({call("e1", "ListUsers", "alice", "2024-01-15T02:00:00Z"),
                                       call("e2", "ListUsers", "alice", "2024-01-15T02:05:00Z")})}},
      nullptr, nullptr);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].count, 2u);
  EXPECT_EQ(fs[0].evidence, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(fs[0].evidence_total, 2u);
  EXPECT_EQ(fs[0].rule_id, "grouped");
  EXPECT_EQ(fs[0].type, "Recon:IAMUser/Grouped");
  EXPECT_EQ(fs[0].account_id, "111122223333");
  EXPECT_EQ(fs[0].region, "us-east-1");
  EXPECT_EQ(fs[0].first_seen_ms, 1705284000000);
  EXPECT_EQ(fs[0].last_seen_ms, 1705284300000);
  EXPECT_EQ(fs[0].title, "ListUsers by alice");
}

TEST(EngineFindings, DifferentGroupValuesGiveDifferentFindings) {
  auto fs = run({R(kGrouped)},
                {{LogType::kCloudTrail,
                  records({call("e1", "ListUsers", "alice"), call("e2", "ListUsers", "bob"),
                           call("e3", "GetUser", "alice")})}},
                nullptr, nullptr);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_NE(fs[0].id, fs[1].id);
  uint64_t total = fs[0].count + fs[1].count;
  EXPECT_EQ(total, 3u);
}

TEST(EngineFindings, IdsAreDeterministic) {
  auto input = std::vector<std::pair<LogType, std::string>>{
      {LogType::kCloudTrail,
       records({call("e1", "ListUsers", "alice"), call("e2", "ListUsers", "bob")})}};
  auto a = run({R(kGrouped)}, input, nullptr, nullptr);
  auto b = run({R(kGrouped)}, input, nullptr, nullptr);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].id.size(), 32u);
    EXPECT_EQ(a[i].id.find_first_not_of("0123456789abcdef"), std::string::npos) << a[i].id;
  }
  // A different rule id gives different finding ids for the same group.
  std::string other = kGrouped;
  other.replace(other.find("id: grouped"), 11, "id: grouped2");
  auto c = run({R(other)}, input, nullptr, nullptr);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[0].id, a[0].id);
  EXPECT_NE(c[1].id, a[1].id);
}

TEST(EngineFindings, WithoutGroupByTheRenderedResourceAndActionAreTheKey) {
  const char* r = R"(id: by_render
type: "Recon:IAMUser/Render"
match: {eventSource: iam.amazonaws.com}
resource: {resourceType: AccessKey, accessKeyDetails: {userName: "{userIdentity.userName}"}}
action: {actionType: AWS_API_CALL, awsApiCallAction: {api: "{eventName}"}}
)";
  auto fs = run({R(r)},
                {{LogType::kCloudTrail,
                  records({call("e1", "ListUsers", "alice", "2024-01-15T02:00:00Z", "192.0.2.1"),
                           call("e2", "ListUsers", "alice", "2024-01-15T02:01:00Z", "192.0.2.2"),
                           call("e3", "GetUser", "alice"), call("e4", "ListUsers", "bob")})}},
                nullptr, nullptr);
  ASSERT_EQ(fs.size(), 3u);
  uint64_t counts = 0;
  for (const auto& f : fs) counts += f.count;
  EXPECT_EQ(counts, 4u);
}

TEST(EngineFindings, SeverityCasesPickTheFirstMatchingCase) {
  const char* r = R"(id: sev
type: "Policy:IAMUser/Sev"
severity:
  default: 3
  cases:
    - {when: {userIdentity.type: Root}, value: 8}
    - {when: {eventSource: ec2.amazonaws.com}, value: 6}
    - {when: {eventSource: ec2.amazonaws.com}, value: 9}
match: {eventName: RunInstances}
group_by: [eventID]
)";
  auto ev = [](const std::string& id, const std::string& type, const std::string& source) {
    return ct("\"eventID\":\"" + id + "\",\"eventSource\":\"" + source +
              "\",\"eventName\":\"RunInstances\",\"userIdentity\":{\"type\":\"" + type + "\"}");
  };
  auto fs = run({R(r)},
                {{LogType::kCloudTrail, records({ev("root-ec2", "Root", "ec2.amazonaws.com"),
                                                 ev("user-ec2", "IAMUser", "ec2.amazonaws.com"),
                                                 ev("user-s3", "IAMUser", "s3.amazonaws.com")})}},
                nullptr, nullptr);
  ASSERT_EQ(fs.size(), 3u);
  std::map<std::string, double> sev;
  for (const auto& f : fs) sev[f.evidence.at(0)] = f.severity;
  EXPECT_EQ(sev["root-ec2"], 8);
  EXPECT_EQ(sev["user-ec2"], 6);
  EXPECT_EQ(sev["user-s3"], 3);
}

TEST(EngineFindings, TemplatesRenderFieldsAndDropEmptyMembers) {
  const char* r = R"(id: tpl
type: "Policy:IAMUser/Tpl"
title: "{eventName} by {userIdentity.userName} from {sourceIPAddress}{no.such.field}!"
description: "{{literal}} count={requestParameters.count} ro={readOnly} missing=[{errorCode}]"
match: {eventName: CreateUser}
resource:
  resourceType: AccessKey
  accessKeyDetails:
    accessKeyId: "{userIdentity.accessKeyId}"
    userName: "{userIdentity.userName}"
  instanceDetails: {instanceId: "{no.such.instance}"}
  tags: ["{no.such.tag}"]
action:
  actionType: AWS_API_CALL
  awsApiCallAction:
    api: "{eventName}"
    errorCode: "{errorCode}"
    blocked: false
    port: 443
    remoteIpDetails: {ipAddressV4: "{sourceIPAddress}"}
resource_role: ACTOR
)";
  auto fs =
      run({R(r)},
          {{LogType::kCloudTrail,
            records({ct(R"("eventID":"t1","eventName":"CreateUser","sourceIPAddress":"192.0.2.7",)"
                        R"("readOnly":false,"errorCode":null,"requestParameters":{"count":7},)"
                        R"("userIdentity":{"type":"IAMUser","userName":"mallory"})")})}},
          nullptr, nullptr);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].title, "CreateUser by mallory from 192.0.2.7!");
  EXPECT_EQ(fs[0].description, "{literal} count=7 ro=false missing=[]");
  EXPECT_EQ(fs[0].resource_json,
            R"({"resourceType":"AccessKey","accessKeyDetails":{"userName":"mallory"}})");
  EXPECT_EQ(
      fs[0].action_json,
      R"({"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"CreateUser","blocked":false,"port":443,"remoteIpDetails":{"ipAddressV4":"192.0.2.7"}}})");
  EXPECT_EQ(fs[0].resource_role, "ACTOR");
}

// ---------------------------------------------------------------------------------------------
// Stateful output is independent of file order

const char* kThreshold = R"(id: burst
type: "CredentialAccess:IAMUser/Burst"
title: "{count} failures from {sourceIPAddress}"
severity: 5
match: {eventName: ConsoleLogin, responseElements.ConsoleLogin: Failure}
stateful:
  threshold: {count: 3, window: 10m, group_by: [sourceIPAddress]}
resource: {resourceType: AccessKey, accessKeyDetails: {userName: "{userIdentity.userName}"}}
action: {actionType: AWS_API_CALL, awsApiCallAction: {remoteIpDetails: {ipAddressV4: "{sourceIPAddress}"}}}
)";

std::string failure(int i, const std::string& ip, int minute) {
  char t[32];
  std::snprintf(t, sizeof t, "2024-01-15T02:%02d:00Z", minute);
  return ct("\"eventID\":\"f-" + std::to_string(i) + "\",\"eventTime\":\"" + t +
            "\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
            "\"sourceIPAddress\":\"" +
            ip +
            "\",\"responseElements\":{\"ConsoleLogin\":\"Failure\"},"
            "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\"}");
}

std::string guardduty_json(const std::vector<findings::Finding>& fs) {
  std::string out;
  for (const auto& f : fs) {
    findings::write_guardduty(f, &out);
    out += "\n";
  }
  return out;
}

TEST(EngineFindings, ThresholdOutputIsByteIdenticalWhateverTheFileOrder) {
  const std::string file1 =
      records({failure(1, "203.0.113.50", 30), failure(2, "203.0.113.50", 31),
               failure(3, "198.51.100.7", 31), failure(4, "203.0.113.50", 32)});
  const std::string file2 =
      records({failure(5, "198.51.100.7", 33), failure(6, "198.51.100.7", 34),
               failure(7, "203.0.113.50", 35), failure(8, "198.51.100.7", 36)});
  auto a = run({R(kThreshold)}, {{LogType::kCloudTrail, file1}, {LogType::kCloudTrail, file2}},
               nullptr, nullptr);
  auto b = run({R(kThreshold)}, {{LogType::kCloudTrail, file2}, {LogType::kCloudTrail, file1}},
               nullptr, nullptr);
  ASSERT_EQ(a.size(), 2u);
  const std::string ja = guardduty_json(a);
  EXPECT_EQ(ja, guardduty_json(b));
  EXPECT_HAS(ja, "Burst");
  EXPECT_HAS(ja, "203.0.113.50");
  EXPECT_HAS(ja, "198.51.100.7");
  EXPECT_HAS(ja, "\"accountId\":\"111122223333\"");
}

TEST(EngineFindings, ThresholdBelowCountRaisesNothing) {
  auto fs = run({R(kThreshold)},
                {{LogType::kCloudTrail,
                  records({failure(1, "203.0.113.50", 30), failure(2, "203.0.113.50", 31),
                           failure(3, "198.51.100.7", 32)})}},
                nullptr, nullptr);
  EXPECT_TRUE(fs.empty());
}

}  // namespace
}  // namespace sentinel::testing::dt

namespace sentinel::testing::dt {
namespace {

// The field prefilter only narrows which rules are evaluated: every string operator it stands
// for must find exactly what the rule's own evaluation finds.
TEST(EnginePrefilter, FindsWhatEvaluationFinds) {
  const std::string ua =
      "aws-cli/2.13.0 Python/3.11.4 Linux/6.3.0-KALI1-amd64 exe/x86_64.kali.2023";
  const std::string rec = ct(R"("eventID":"p1","eventTime":"2024-01-15T02:00:00Z",)"
                             R"("eventSource":"s3.amazonaws.com","eventName":"ListBuckets",)"
                             R"("userAgent":")" +
                             ua + R"(","userIdentity":{"type":"IAMUser"})");
  struct Case {
    const char* op;
    const char* value;
    bool hit;
  } cases[] = {{"contains", "Linux/6.3", true},
               {"contains", "linux/6.3", false},
               {"icontains", "kali1", true},
               {"startswith", "aws-cli/", true},
               {"istartswith", "AWS-CLI/", true},
               {"endswith", "kali.2023", true},
               {"endswith", "kali", false},
               {"glob", "aws-cli/*kali*", true},
               {"iglob", "*KALI?-AMD64*", true},
               {"glob", "*kali?-amd64*", false},
               {"eq", "aws-cli/2.13.0", false},
               {"ieq",
                "AWS-CLI/2.13.0 PYTHON/3.11.4 "
                "LINUX/6.3.0-KALI1-AMD64 "
                "EXE/X86_64.KALI.2023",
                true},
               {"glob", "aws-cli/2.1?.0 *", true},
               {"glob", "aws\\*", false}};
  for (const auto& c : cases) {
    std::string yaml = std::string("id: p\ntype: \"A:B/C\"\nmatch: {userAgent: {") + c.op + ": '" +
                       c.value + "'}}\n";
    detect::EngineStats st;
    auto fs = run({R(yaml)}, {{ingest::LogType::kCloudTrail, records({rec})}}, &st, nullptr);
    EXPECT_EQ(fs.size(), c.hit ? 1u : 0u) << c.op << " " << c.value;
    EXPECT_EQ(st.prefilter_scans, 1u) << c.op;
  }
}

}  // namespace
}  // namespace sentinel::testing::dt

namespace sentinel::testing::dt {
namespace {

// Rules that require a number (`dstport: 22`) are found by one hash lookup per event; they must
// match exactly what their own comparison matches, for typed numbers and for numbers as text.
TEST(EngineNumberIndex, FindsWhatEvaluationFinds) {
  auto flows = [](const std::string& yaml) {
    detect::EngineStats st;
    auto fs =
        run({R(yaml)}, {{ingest::LogType::kVpcFlow, std::string(kFlowLine) + "\n"}}, &st, nullptr);
    return std::make_pair(fs.size(), st.evaluations);
  };
  const std::string head = "id: n\ntype: \"A:B/C\"\nlog_types: [vpcflow]\nmatch: ";
  EXPECT_EQ(flows(head + "{dstport: 22}\n"), std::make_pair(std::size_t{1}, uint64_t{1}));
  EXPECT_EQ(flows(head + "{dstport: [21, 22, 23]}\n"), std::make_pair(std::size_t{1}, uint64_t{1}));
  EXPECT_EQ(flows(head + "{dstport: 23}\n"), std::make_pair(std::size_t{0}, uint64_t{0}));
  EXPECT_EQ(flows(head + "{dstport: 22, action: ACCEPT}\n"),
            std::make_pair(std::size_t{0}, uint64_t{1}));
  // A number written twice, and two rules under one number: each rule evaluated once.
  EXPECT_EQ(flows(head + "{dstport: [22, 22.0, 22]}\n"),
            std::make_pair(std::size_t{1}, uint64_t{1}));
  {
    detect::EngineStats st;
    auto fs = run({R("id: a\n" + head.substr(6) + "{dstport: [22, 22]}\n"),
                   R("id: b\n" + head.substr(6) + "{dstport: 22, action: ACCEPT}\n")},
                  {{ingest::LogType::kVpcFlow, std::string(kFlowLine) + "\n"}}, &st, nullptr);
    EXPECT_EQ(fs.size(), 1u);
    EXPECT_EQ(st.evaluations, 2u);
  }
  auto trail = [](const std::string& body, const std::string& match) {
    auto fs = run({R("id: n\ntype: \"A:B/C\"\nmatch: " + match + "\n")},
                  {{ingest::LogType::kCloudTrail, records({ct(body)})}}, nullptr, nullptr);
    return fs.size();
  };
  EXPECT_EQ(
      trail(R"("eventName":"A","requestParameters":{"port":443})", "{requestParameters.port: 443}"),
      1u);
  EXPECT_EQ(trail(R"("eventName":"A","requestParameters":{"port":"443"})",
                  "{requestParameters.port: 443}"),
            1u);
  EXPECT_EQ(trail(R"("eventName":"A","requestParameters":{"port":"0443"})",
                  "{requestParameters.port: 443}"),
            0u);
  EXPECT_EQ(trail(R"("eventName":"A","requestParameters":{"port":[80,443]})",
                  "{requestParameters.port: 443}"),
            1u);
}

}  // namespace
}  // namespace sentinel::testing::dt

namespace sentinel::testing::dt {
namespace {

// A finding names the list its match hit (GuardDuty's threatIntelligenceDetails).
class OneList : public detect::NamedLists {
 public:
  bool contains(std::string_view name, const detect::Value& v,
                std::string* matched) const override {
    if (name != "bad" || v.str != "203.0.113.9") return false;
    *matched = "Bad IPs";
    return true;
  }
};

TEST(EngineFindings, ThreatListThatMatchedIsNamed) {
  OneList lists;
  detect::EngineOptions opts;
  opts.lists = &lists;
  std::vector<std::string> errors;
  detect::Engine engine(
      {R("id: t\ntype: \"A:B/C.Custom\"\nmatch: {sourceIPAddress: {in_list: bad}}\n")}, opts,
      &errors);
  ASSERT_TRUE(errors.empty());
  feed(
      ingest::LogType::kCloudTrail, records({call("e1", "ListBuckets", "a")}),
      [&](const detect::EventView& v) { engine.on_event(v); }, "t.json");
  engine.finish();
  auto fs = engine.take_findings();
  ASSERT_EQ(fs.size(), 1u);
  ASSERT_EQ(fs[0].threat_intel.size(), 1u);
  EXPECT_EQ(fs[0].threat_intel[0].list_name, "Bad IPs");
}

}  // namespace
}  // namespace sentinel::testing::dt
