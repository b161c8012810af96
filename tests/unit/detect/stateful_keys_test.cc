// Stateful keys and values computed by functions (group_by / distinct.field / first_seen.features
// as {fn: {name, args}}), severity cases on stateful findings, named lists in sequence steps,
// and the shipped rules that use them (DNSDataExfiltration per base domain, AnomalousBehavior
// with the caller's network, ConsoleLoginSuccess.B by country with a geo database).
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detect/functions/registry.h"
#include "detect/rules/native.h"
#include "enrich/geo.h"
#include "fixtures/enrich/test_mmdb.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {
namespace {

namespace fs = std::filesystem;
using ingest::LogType;

detect::Rule R(const std::string& yaml) {
  return rule(yaml, detect::RuleDefs{});
}

// One engine over the inputs (one object each), with options.
std::vector<findings::Finding> run_with(std::vector<detect::Rule> rules,
                                        const detect::EngineOptions& opts,
                                        const std::vector<std::pair<LogType, std::string>>& inputs,
                                        std::vector<std::string>* errors = nullptr) {
  std::vector<std::string> errs;
  detect::Engine engine(std::move(rules), opts, &errs);
  if (errors != nullptr) *errors = errs;
  if (errors == nullptr) {
    EXPECT_TRUE(errs.empty()) << (errs.empty() ? "" : errs.front());
  }
  for (const auto& [type, data] : inputs) {
    EXPECT_EQ(feed(
                  type, data, [&](const detect::EventView& v) { engine.on_event(v); },
                  type == LogType::kVpcFlow ? "flows.log" : "t.json"),
              0)
        << data;
    engine.end_of_input_object();
  }
  engine.finish();
  return engine.take_findings();
}

std::string dns_at(const std::string& name, const std::string& ts) {
  std::string r = dns(name, "i-0abc");
  const std::string from = "2024-01-15T02:30:00Z";
  r.replace(r.find(from), from.size(), ts);
  return r;
}

std::string ts(int minute, int second) {
  char b[32];
  std::snprintf(b, sizeof b, "2024-01-15T02:%02d:%02dZ", minute, second);
  return b;
}

const char* const kPerBaseDomain =
    "id: t.tunnel\ntype: Trojan:EC2/DNSDataExfiltration\nlog_types: [route53]\n"
    "match: {query_type: A}\n"
    "stateful:\n  distinct:\n    field: query_name\n    count: 10\n    window: 10m\n"
    "    group_by: [srcids.instance, {fn: {name: base_domain, args: [query_name]}}]\n";

TEST(StatefulKeys, LoaderParsesFunctionKeysAndNamesThem) {
  detect::Rule r = R(kPerBaseDomain);
  ASSERT_EQ(r.stateful.group_by.size(), 2u);
  EXPECT_FALSE(r.stateful.group_by[0].is_call());
  EXPECT_TRUE(r.stateful.group_by[1].is_call());
  EXPECT_EQ(r.stateful.group_by[1].fn, "base_domain");
  EXPECT_EQ(r.stateful.group_by[1].text, "base_domain(query_name)");
  ASSERT_EQ(r.stateful.group_by[1].args.size(), 1u);
  EXPECT_EQ(r.stateful.group_by[1].args[0].text, "query_name");

  detect::Rule d =
      R("id: t.d\ntype: A:B/C\nmatch: {eventName: ConsoleLogin}\n"
        "stateful: {distinct: {field: {fn: {name: asn, args: [sourceIPAddress]}}, count: 2, "
        "window: 15m, group_by: [userIdentity.arn]}}\n");
  EXPECT_EQ(d.stateful.distinct_field.text, "asn(sourceIPAddress)");
  detect::Rule f =
      R("id: t.f\ntype: A:B/C\nmatch: {eventName: GetSecretValue}\n"
        "stateful: {first_seen: {features: [eventName, {fn: {name: asn, args: [sourceIPAddress]}}],"
        " group_by: [userIdentity.arn], learning: 1d}}\n");
  ASSERT_EQ(f.stateful.features.size(), 2u);
  EXPECT_EQ(f.stateful.features[1].text, "asn(sourceIPAddress)");
}

TEST(StatefulKeys, MalformedKeysAreRefusedWithTheKey) {
  detect::Rule r;
  std::string err;
  // An operator has no place in a key: a key is a value.
  ASSERT_FALSE(detect::compile_native_rule(
      YAML::Load("id: t\ntype: A:B/C\nmatch: {eventName: X}\n"
                 "stateful: {threshold: {count: 2, window: 1m, group_by: "
                 "[{fn: {name: asn, args: [sourceIPAddress], eq: 1}}]}}\n"),
      {}, "t.yaml", &r, &err));
  EXPECT_NE(err.find("stateful.threshold.group_by"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'eq'"), std::string::npos) << err;
  ASSERT_FALSE(detect::compile_native_rule(
      YAML::Load("id: t\ntype: A:B/C\nmatch: {eventName: X}\n"
                 "stateful: {distinct: {field: {name: asn}, count: 2, window: 1m}}\n"),
      {}, "t.yaml", &r, &err));
  EXPECT_NE(err.find("stateful.distinct.field"), std::string::npos) << err;
  // An unknown function is refused when the engine binds the rule, naming the key.
  detect::Rule u = R(
      "id: t.u\ntype: A:B/C\nmatch: {eventName: X}\n"
      "stateful: {threshold: {count: 2, window: 1m, group_by: [{fn: {name: nope, args: [a]}}]}}\n");
  std::vector<std::string> errors;
  run_with({u}, {}, {}, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("group_by 'nope(a)'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("unknown function"), std::string::npos) << errors[0];
}

TEST(StatefulKeys, DistinctCountsPerComputedBaseDomain) {
  // 12 unique names under one base domain: one finding. The same 12 spread over two base
  // domains (6 each): none, although the instance asked for 12 different names.
  std::vector<std::string> one, two;
  for (int i = 0; i < 12; ++i) {
    const std::string label = "x" + std::to_string(i) + "q7zk";
    // Under co.uk the registered domain is the third label from the right.
    one.push_back(dns_at(label + ".t.tunnela.co.uk", ts(30, i)));
    two.push_back(
        dns_at(label + (i % 2 == 0 ? ".t.tunnela.co.uk" : ".t.tunnelb.co.uk"), ts(30, i)));
  }
  std::string a, b;
  for (const auto& r : one) a += r + "\n";
  for (const auto& r : two) b += r + "\n";
  auto fs1 = run_with({R(kPerBaseDomain)}, {}, {{LogType::kRoute53, a}});
  ASSERT_EQ(fs1.size(), 1u);
  auto fs2 = run_with({R(kPerBaseDomain)}, {}, {{LogType::kRoute53, b}});
  EXPECT_EQ(fs2.size(), 0u);
  // 24 names, 12 per base domain: two findings (two keys), ids differ.
  std::string c = a;
  for (int i = 0; i < 12; ++i) {
    c += dns_at("y" + std::to_string(i) + "q7zk.t.tunnelb.co.uk", ts(31, i)) + "\n";
  }
  auto fs3 = run_with({R(kPerBaseDomain)}, {}, {{LogType::kRoute53, c}});
  ASSERT_EQ(fs3.size(), 2u);
  EXPECT_NE(fs3[0].id, fs3[1].id);
}

std::string call(const std::string& day, const std::string& ip, const std::string& name) {
  return ct(R"("eventTime":")" + day +
            R"(T09:00:00Z","eventSource":"secretsmanager.amazonaws.com",)"
            R"("eventName":")" +
            name + R"(","sourceIPAddress":")" + ip + R"(","userAgent":"aws-cli/2.15","eventID":")" +
            day + ip + name +
            R"(","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice",)"
            R"("userName":"alice"})");
}

const char* const kNetworkBaseline =
    "id: t.net\ntype: CredentialAccess:IAMUser/AnomalousBehavior\n"
    "match: {eventName: [GetSecretValue, GetParameter]}\n"
    "stateful: {first_seen: {features: [eventName, {fn: {name: asn, args: [sourceIPAddress]}}],"
    " group_by: [userIdentity.arn], learning: 7d}}\n";

TEST(StatefulKeys, FirstSeenNetworkFallsBackToTheSlash24WithoutAnAsnDatabase) {
  std::vector<std::pair<LogType, std::string>> learn;
  for (const char* d : {"2024-03-01", "2024-03-03", "2024-03-05", "2024-03-07"}) {
    learn.push_back({LogType::kCloudTrail, records({call(d, "203.0.113.77", "GetSecretValue")})});
  }
  // Another address of the same /24: the same network, nothing new.
  auto same = learn;
  same.push_back(
      {LogType::kCloudTrail, records({call("2024-03-09", "203.0.113.90", "GetSecretValue")})});
  EXPECT_EQ(run_with({R(kNetworkBaseline)}, {}, same).size(), 0u);
  // Another /24: an UNSEEN network for a known API, explained with the call's text.
  auto other = learn;
  other.push_back(
      {LogType::kCloudTrail, records({call("2024-03-09", "198.51.100.200", "GetSecretValue")})});
  auto fs = run_with({R(kNetworkBaseline)}, {}, other);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_NE(fs[0].unusual_json.find("asn(sourceIPAddress)"), std::string::npos)
      << fs[0].unusual_json;
  EXPECT_NE(fs[0].unusual_json.find("198.51.100.0/24"), std::string::npos) << fs[0].unusual_json;
}

// SSH brute force in both directions in one rule: the severity follows the finding's sample
// event (TARGET: a public source, Low 2; ACTOR: a private source, High 8).
const char* const kBruteForce =
    "id: t.ssh\ntype: UnauthorizedAccess:EC2/SSHBruteForce\nlog_types: [vpcflow]\n"
    "severity: {default: 2, cases: [{when: {fn: {name: ip_class, args: [srcaddr], eq: private}},"
    " value: 8}]}\n"
    "match: {dstport: 22, protocol: 6}\n"
    "stateful: {distinct: {field: srcport, count: 5, window: 10m, group_by: [srcaddr, dstaddr]}}\n";

std::string ssh_flows(const std::string& src, const std::string& dst, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const long t = 1705285800 + 10L * i;
    out += "2 111122223333 eni-0a1b2c3d " + src + " " + dst + " " + std::to_string(41000 + i) +
           " 22 6 22 3300 " + std::to_string(t) + " " + std::to_string(t + 5) + " ACCEPT OK\n";
  }
  return out;
}

TEST(StatefulSeverity, CasesDecideOnTheSampleEventForDistinctFindings) {
  auto target = run_with({R(kBruteForce)}, {},
                         {{LogType::kVpcFlow, ssh_flows("203.0.113.50", "10.0.1.5", 6)}});
  ASSERT_EQ(target.size(), 1u);
  EXPECT_EQ(target[0].severity, 2);
  auto actor = run_with({R(kBruteForce)}, {},
                        {{LogType::kVpcFlow, ssh_flows("10.0.1.5", "198.51.100.20", 6)}});
  ASSERT_EQ(actor.size(), 1u);
  EXPECT_EQ(actor[0].severity, 8);
}

TEST(StatefulSeverity, ThresholdAndSequenceFindingsUseTheCompletingEvent) {
  // The third call completes the threshold: its user decides.
  const char* yaml =
      "id: t.th\ntype: A:B/C\n"
      "severity: {default: 5, cases: [{when: {userIdentity.userName: root}, value: 9}]}\n"
      "match: {eventName: GetSecretValue}\n"
      "stateful: {threshold: {count: 3, window: 1h, group_by: [sourceIPAddress]}}\n";
  auto rec = [](int i, const char* user) {
    return ct(
        R"("eventTime":"2024-01-15T02:0)" + std::to_string(i) +
        R"(:00Z","eventName":"GetSecretValue","sourceIPAddress":"198.51.100.7","eventID":"e)" +
        std::to_string(i) + R"(","userIdentity":{"type":"IAMUser","userName":")" + user + "\"}");
  };
  auto root = run_with(
      {R(yaml)}, {},
      {{LogType::kCloudTrail, records({rec(1, "alice"), rec(2, "alice"), rec(3, "root")})}});
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].severity, 9);
  auto alice = run_with(
      {R(yaml)}, {},
      {{LogType::kCloudTrail, records({rec(1, "root"), rec(2, "alice"), rec(3, "alice")})}});
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].severity, 5);
}

// A NamedLists with one list, as sentinel.yaml's threat lists reach the engine.
class OneList : public detect::NamedLists {
 public:
  bool contains(std::string_view name, const detect::Value& v,
                std::string* matched) const override {
    if (name != "tor_exits" || v.kind != detect::Value::Kind::kString) return false;
    if (v.str != "198.51.100.66") return false;
    *matched = "Tor exits";
    return true;
  }
};

TEST(StatefulSequence, StepsUseConfiguredNamedLists) {
  const char* yaml =
      "id: t.seq\ntype: A:B/C\nmatch: {eventName: [ListBuckets, StopLogging]}\n"
      "stateful:\n  sequence:\n    window: 1h\n    group_by: [userIdentity.accessKeyId]\n"
      "    steps:\n"
      "      - {name: tor_recon, match: {eventName: ListBuckets, sourceIPAddress: {in_list: "
      "tor_exits}}}\n"
      "      - {name: stop, match: {eventName: StopLogging}}\n";
  auto rec = [](int i, const char* name, const char* ip) {
    return ct(R"("eventTime":"2024-01-15T02:0)" + std::to_string(i) + R"(:00Z","eventName":")" +
              name + R"(","sourceIPAddress":")" + ip + R"(","eventID":"e)" + std::to_string(i) +
              R"(","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAX"})");
  };
  OneList lists;
  detect::EngineOptions opts;
  opts.lists = &lists;
  auto tor = run_with({R(yaml)}, opts,
                      {{LogType::kCloudTrail, records({rec(1, "ListBuckets", "198.51.100.66"),
                                                       rec(2, "StopLogging", "10.0.0.1")})}});
  EXPECT_EQ(tor.size(), 1u) << "the first step's address is on the configured list";
  auto other = run_with({R(yaml)}, opts,
                        {{LogType::kCloudTrail, records({rec(1, "ListBuckets", "198.51.100.67"),
                                                         rec(2, "StopLogging", "10.0.0.1")})}});
  EXPECT_EQ(other.size(), 0u);
}

TEST(StatefulKeys, SnapshotsAndFingerprintCoverFunctionKeysAndSeverity) {
  // Split runs give the same findings with function keys and stateful severity cases.
  std::vector<std::string> files;
  for (int m = 0; m < 6; ++m) {
    std::string f;
    for (int i = 0; i < 4; ++i) {
      f += dns_at("z" + std::to_string(m * 4 + i) + "k.tunnel.example.com", ts(30 + m, i)) + "\n";
    }
    files.push_back(f);
  }
  auto rules = [] { return std::vector<detect::Rule>{R(kPerBaseDomain)}; };
  auto feed_range = [&](detect::Engine& e, std::size_t a, std::size_t b) {
    for (std::size_t i = a; i < b; ++i) {
      feed(
          LogType::kRoute53, files[i], [&](const detect::EventView& v) { e.on_event(v); },
          "t.json");
      e.end_of_input_object();
    }
  };
  std::vector<std::string> errs;
  detect::Engine whole(rules(), {}, &errs);
  feed_range(whole, 0, files.size());
  whole.finish();
  auto expected = whole.take_findings();
  ASSERT_EQ(expected.size(), 1u);
  detect::Engine day1(rules(), {}, &errs);
  feed_range(day1, 0, 2);
  const std::string snap = day1.save_state();
  detect::Engine day2(rules(), {}, &errs);
  std::string err;
  ASSERT_TRUE(day2.restore_state(snap, &err)) << err;
  feed_range(day2, 2, files.size());
  day2.finish();
  auto got = day2.take_findings();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, expected[0].id);
  EXPECT_EQ(got[0].count, expected[0].count);
  // The fingerprint tells a function key from the field it reads, so a snapshot taken with
  // one is refused by an engine built with the other.
  std::string plain = kPerBaseDomain;
  const std::string call = "{fn: {name: base_domain, args: [query_name]}}";
  plain.replace(plain.find(call), call.size(), "query_name");
  detect::Engine other({R(plain)}, {}, &errs);
  EXPECT_NE(other.rules_fingerprint(), day1.rules_fingerprint());
  EXPECT_FALSE(other.restore_state(snap, &err));
  std::string dom = kPerBaseDomain;
  dom.replace(dom.find("base_domain"), 11, "dns_base_domain");
  detect::Engine renamed({R(dom)}, {}, &errs);
  EXPECT_NE(renamed.rules_fingerprint(), day1.rules_fingerprint());
}

// ---- With a geo database (built by tests/fixtures/enrich/make_test_mmdb.pl) -------------

class StatefulGeo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mmdb_.build("stateful-geo"); }
  static void TearDownTestSuite() { mmdb_.remove(); }
  void SetUp() override {
    SENTINEL_REQUIRE_TEST_MMDB(mmdb_);
    auto db = enrich::GeoDb::open(mmdb_.city(), mmdb_.asn());
    ASSERT_TRUE(db.ok());
    geo_ = std::move(*db);
    functions_ = detect::FunctionRegistry::with_enrichment({nullptr, geo_.get(), nullptr});
    opts_.functions = &functions_;
  }
  // The shipped rule file's rules.
  static std::vector<detect::Rule> shipped(const std::string& rel) {
    detect::LoadErrors errors;
    auto rules = detect::load_rules(std::string(SENTINEL_SOURCE_DIR) + "/rules/" + rel, &errors);
    EXPECT_TRUE(errors.messages.empty());
    return rules;
  }
  static inline sentinel::testing::TestMmdb mmdb_;
  std::unique_ptr<enrich::GeoDb> geo_;
  detect::FunctionRegistry functions_;
  detect::EngineOptions opts_;
};

std::string login(const std::string& time, const std::string& ip, const std::string& id) {
  return ct(R"("eventTime":"2024-01-15T)" + time +
            R"(Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",)"
            R"("sourceIPAddress":")" +
            ip + R"(","eventID":")" + id +
            R"(","responseElements":{"ConsoleLogin":"Success"},)"
            R"("userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob",)"
            R"("userName":"bob"})");
}

TEST_F(StatefulGeo, ConsoleLoginSuccessBCountsCountriesWithAGeoDatabase) {
  const auto rules = shipped("cloudtrail/console_login_success_b.yaml");
  // Berlin then Paris five minutes later: two countries.
  const std::string far =
      records({login("09:00:00", "203.0.113.5", "a"), login("09:05:00", "203.0.113.200", "b")});
  // Two addresses in Berlin: one place with the database (a mobile phone and an office).
  const std::string near =
      records({login("09:00:00", "203.0.113.5", "a"), login("09:05:00", "203.0.113.6", "b")});
  auto f = run_with(rules, opts_, {{LogType::kCloudTrail, far}});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].description.find("DE"), std::string::npos) << f[0].description;
  EXPECT_NE(f[0].description.find("FR"), std::string::npos) << f[0].description;
  EXPECT_EQ(run_with(rules, opts_, {{LogType::kCloudTrail, near}}).size(), 0u);
  // Without the database the addresses stand in for places: the near pair fires.
  EXPECT_EQ(run_with(rules, {}, {{LogType::kCloudTrail, near}}).size(), 1u);
}

TEST_F(StatefulGeo, NetworkFeatureIsTheAsnWithADatabase) {
  // With the ASN database, two /24s of one AS are one network: 203.0.113.0/24 is AS64496 and
  // so is every address in it; an address the database does not know falls back to its /24.
  std::vector<std::pair<LogType, std::string>> learn;
  for (const char* d : {"2024-03-01", "2024-03-03", "2024-03-05", "2024-03-07"}) {
    learn.push_back({LogType::kCloudTrail, records({call(d, "203.0.113.77", "GetSecretValue")})});
  }
  auto same_as = learn;
  same_as.push_back(
      {LogType::kCloudTrail, records({call("2024-03-09", "203.0.113.200", "GetSecretValue")})});
  EXPECT_EQ(run_with({R(kNetworkBaseline)}, opts_, same_as).size(), 0u);
  auto unknown = learn;
  unknown.push_back(
      {LogType::kCloudTrail, records({call("2024-03-09", "198.51.100.9", "GetSecretValue")})});
  auto fs = run_with({R(kNetworkBaseline)}, opts_, unknown);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_NE(fs[0].unusual_json.find("64496"), std::string::npos) << fs[0].unusual_json;
  EXPECT_NE(fs[0].unusual_json.find("198.51.100.0/24"), std::string::npos) << fs[0].unusual_json;
}

}  // namespace
}  // namespace sentinel::testing::dt
