// Flat rule tests (detect/ir/flat_match): for every comparison the fast tests take (equality,
// prefix, suffix, substring, IPv4 networks on the parsed source address) and every case where
// they must hand over to the comparison's own tree (an empty, null or absent value, a number, a
// host name or a network as the source, an IPv6 source, an Insights record, another log type),
// the flat program decides exactly as Predicate::eval does; and the engine, which evaluates
// rules through it, raises on exactly the events the rules' trees match.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/ir/flat_match.h"
#include "detect/ir/optimize.h"
#include "detect/rules/native.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {

namespace {

using ingest::LogType;

std::string rec(const std::string& id, const std::string& name, const std::string& ip_json,
                const std::string& identity_json, const std::string& ua_json) {
  std::string body = "\"eventID\":\"" + id +
                     "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"" + name + "\"";
  if (!ip_json.empty()) body += ",\"sourceIPAddress\":" + ip_json;
  if (!identity_json.empty()) body += ",\"userIdentity\":" + identity_json;
  if (!ua_json.empty()) body += ",\"userAgent\":" + ua_json;
  return ct(body);
}

// Records covering what the fast tests read and every way they must fall back.
std::string corpus() {
  std::vector<std::string> r = {
      rec("e01", "ConsoleLogin", "\"203.0.113.9\"", R"({"type":"IAMUser"})",
          "\"aws-cli/2.13.0 Python/3.11\""),
      rec("e02", "ConsoleLogin", "\"10.1.2.3\"", R"({"type":"Root"})", "\"Boto3/1.2 scanner-7\""),
      rec("e03", "GetObject", "\"2001:db8::1\"", R"({"type":"iamuser"})", "\"AWS-CLI/2.0\""),
      rec("e04", "GetObject", "\"ec2.amazonaws.com\"", R"({"type":"AssumedRole"})",
          "\"console.amazonaws.com\""),
      rec("e05", "ConsoleLogin", "\"10.0.0.0/16\"", "{}", "\"\""),
      rec("e06", "consolelogin", "\"\"", R"({"type":null})", "null"),
      rec("e07", "ConsoleLogin", "null", R"({"type":""})", ""),
      rec("e08", "GETOBJECT", "", "", "\"aws-cli/1.0\""),
      rec("e09", "ConsoleLogin", "\"203.0.113.300\"", R"({"type":"IAMUserX"})", "\"x\""),
      rec("e10", "ConsoleLogin", "\"::ffff:203.0.113.9\"", R"({"type":"IAMUser"})", "\"y\""),
      rec("e11", "ConsoleLogin", "\"203.0.114.1\"", R"({"type":"IAMUser "})", "\"aws-cli\""),
      rec("e12", "GetObject", "\"198.51.100.7\"", R"({"type":"IAMUSER"})", "\"AWS-CLI/2\""),
      // An Insights record: eventName and eventSource come from insightDetails.
      R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","awsRegion":"us-east-1",)"
      R"("eventID":"e13","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333",)"
      R"("sourceIPAddress":"203.0.113.9","insightDetails":{"state":"Start",)"
      R"("eventSource":"iam.amazonaws.com","eventName":"ConsoleLogin",)"
      R"("insightType":"ApiCallRateInsight"}})",
  };
  return records(r);
}

// Match clauses: every fast kind, negated and folded, one and several patterns, and some that
// stay trees (regex, folded substring, many patterns, JSON paths, OR, functions of the event).
const std::vector<std::string>& matches() {
  static const std::vector<std::string> m = {
      "{userIdentity.type: IAMUser}",
      "{userIdentity.type: {neq: IAMUser}}",
      "{userIdentity.type: {ieq: iamuser}}",
      "{userIdentity.type: {ieq: IAMUSER}}",
      "{userIdentity.type: [Root, AssumedRole]}",
      "{userIdentity.type: {neq: [Root, AssumedRole]}}",
      "{userIdentity.type: {startswith: 'IAMUser '}}",
      "{userIdentity.type: {startswith: IAM}}",
      "{userIdentity.type: {istartswith: iam}}",
      "{userIdentity.type: {endswith: User}}",
      "{userIdentity.type: {iendswith: USER}}",
      "{userIdentity.type: {contains: AMU}}",
      "{userIdentity.type: {icontains: amu}}",
      "{userIdentity.type: {contains: ''}}",
      "{userIdentity.type: ''}",
      "{userAgent: {startswith: aws-cli}}",
      "{userAgent: {istartswith: AWS-CLI/2}}",
      "{userAgent: {contains: scanner-}}",
      "{userAgent: {neq: x}}",
      "{sourceIPAddress: {cidr: 203.0.113.0/24}}",
      "{sourceIPAddress: {cidr: [10.0.0.0/8, 198.51.100.0/24]}}",
      "{sourceIPAddress: {cidr: 0.0.0.0/0}}",
      "{sourceIPAddress: {cidr: 10.0.0.0/8}, userIdentity.type: {neq: IAMUser}}",
      "{sourceIPAddress: {cidr: [203.0.113.9/32, \"2001:db8::/32\"]}}",
      "{sourceIPAddress: {cidr: \"::/0\"}}",
      "{not: {sourceIPAddress: {cidr: 10.0.0.0/8}}}",
      "{sourceIPAddress: \"203.0.113.9\"}",
      "{sourceIPAddress: {endswith: amazonaws.com}}",
      "{eventName: ConsoleLogin}",
      "{eventName: {ieq: consolelogin}, sourceIPAddress: {cidr: 203.0.113.0/24}}",
      "{eventName: [ConsoleLogin, GetObject], userIdentity.type: {neq: Root}}",
      "{eventSource: iam.amazonaws.com, userIdentity.type: IAMUser}",
      "{eventName: {re: '^Get'}}",
      "{any: [{userIdentity.type: Root}, {sourceIPAddress: {cidr: 203.0.113.0/24}}]}",
      "{userIdentity.type: {exists: true}}",
      "{userIdentity: {exists: true}}",
      "{userIdentity.type: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, IAMUser]}",
      "{awsRegion: us-east-1, recipientAccountId: '111122223333', eventID: e02}",
  };
  return m;
}

detect::Rule make_rule(std::size_t i) {
  return rule("id: r" + std::to_string(i) +
                  "\ntype: \"A:B/C\"\ngroup_by: [eventID]\nmatch: " + matches()[i] + "\n",
              detect::RuleDefs{});
}

TEST(FlatMatch, DecidesAsTheTreeDoes) {
  std::vector<detect::Rule> rules;
  std::vector<detect::Predicate> compiled;
  for (std::size_t i = 0; i < matches().size(); ++i) rules.push_back(make_rule(i));
  compiled.reserve(rules.size());
  for (const auto& r : rules) compiled.push_back(detect::optimized(r.match));
  detect::FlatProgram flat;
  std::vector<std::pair<uint32_t, uint32_t>> range;
  for (const auto& p : compiled) {
    const auto first = static_cast<uint32_t>(flat.tests.size());
    range.emplace_back(first, flat.add(p));
  }
  // The fast kinds are used (the cases below would otherwise test only the tree).
  std::set<detect::FlatTest::Kind> kinds;
  for (const auto& t : flat.tests) kinds.insert(t.kind);
  for (auto k : {detect::FlatTest::Kind::kEq, detect::FlatTest::Kind::kStartsWith,
                 detect::FlatTest::Kind::kEndsWith, detect::FlatTest::Kind::kContains,
                 detect::FlatTest::Kind::kCidr4, detect::FlatTest::Kind::kTree}) {
    EXPECT_EQ(kinds.count(k), 1u) << static_cast<int>(k);
  }
  int events = 0;
  int agreed_true = 0;
  auto check = [&](const detect::EventView& ev) {
    ++events;
    detect::EvalContext ctx;
    for (std::size_t i = 0; i < compiled.size(); ++i) {
      const bool tree = rules[i].match.eval(ev, ctx);
      const bool fast = flat.eval(range[i].first, range[i].second, ev, ctx);
      EXPECT_EQ(fast, tree) << matches()[i] << " on event " << ev.event_id();
      agreed_true += tree ? 1 : 0;
    }
  };
  EXPECT_EQ(feed(LogType::kCloudTrail, corpus(), check, "trail.json"), 0);
  EXPECT_EQ(events, 13);
  EXPECT_GT(agreed_true, 60);  // both answers occur
  // Other log types read no CloudTrail field: the tests hand over to the tree.
  events = 0;
  EXPECT_EQ(feed(LogType::kVpcFlow, std::string(kFlowLine) + "\n", check, "flows.log"), 0);
  EXPECT_EQ(feed(LogType::kRoute53, dns("www.example.com.", "i-1") + "\n", check, "dns.log"), 0);
  EXPECT_EQ(events, 2);
}

// Through the engine: rules placed by the eventName index (their name conjunct decided by the
// lookup, the rest flat), unindexed rules and rules sharing a bucket raise on exactly the events
// their trees match.
TEST(FlatMatch, EngineRaisesWhereTheTreesMatch) {
  const std::string input = corpus();
  std::map<std::string, std::set<std::string>> expected;
  {
    std::vector<detect::Rule> rules;
    for (std::size_t i = 0; i < matches().size(); ++i) rules.push_back(make_rule(i));
    feed(
        LogType::kCloudTrail, input,
        [&](const detect::EventView& ev) {
          detect::EvalContext ctx;
          for (const auto& r : rules) {
            if (r.match.eval(ev, ctx)) expected[r.id].insert(ev.event_id());
          }
        },
        "trail.json");
  }
  std::vector<detect::Rule> rules;
  for (std::size_t i = 0; i < matches().size(); ++i) rules.push_back(make_rule(i));
  detect::EngineStats st;
  auto fs = run(std::move(rules), {{LogType::kCloudTrail, input}}, &st, nullptr);
  std::map<std::string, std::set<std::string>> got;
  for (const auto& f : fs) got[f.rule_id].insert(f.evidence.front());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(st.events, 13u);
  EXPECT_GT(fs.size(), 60u);
}

}  // namespace
}  // namespace sentinel::testing::dt
