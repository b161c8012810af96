// `sentinel simulate` (sim/simulate.h): determinism, AWS layouts and shapes, labels, lists.
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/records.h"
#include "sim/simulate.h"
#include "sim_test_support.h"

namespace fs = std::filesystem;
using sentinel::sim::SimulateOptions;

namespace {

using sentinel::sim::testing::gunzip;
using sentinel::sim::testing::read_all;

class SimulateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("sentinel_simulate_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
  }
  void TearDown() override { fs::remove_all(base_); }

  SimulateOptions small(const std::string& dir, std::uint64_t seed) {
    SimulateOptions o;
    o.out_dir = base_ / dir;
    o.seed = seed;
    o.accounts = 2;
    o.days = 2;
    o.events = 6000;
    return o;
  }

  fs::path base_;
};

std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_all(e.path());
  }
  return files;
}

TEST_F(SimulateTest, SameSeedSameBytesOtherSeedOtherData) {
  ASSERT_TRUE(sentinel::sim::simulate(small("a", 11)).ok());
  ASSERT_TRUE(sentinel::sim::simulate(small("b", 11)).ok());
  ASSERT_TRUE(sentinel::sim::simulate(small("c", 12)).ok());
  const auto a = snapshot(base_ / "a");
  ASSERT_GT(a.size(), 20u);
  EXPECT_EQ(a, snapshot(base_ / "b"));
  EXPECT_NE(read_all(base_ / "a" / "labels.jsonl"), read_all(base_ / "c" / "labels.jsonl"));
}

TEST_F(SimulateTest, FilesFollowAwsLayoutsAndShapes) {
  auto sum = sentinel::sim::simulate(small("a", 3));
  ASSERT_TRUE(sum.ok());
  const std::regex ct(
      R"(AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/(\d{12})_CloudTrail_([a-z0-9-]+)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz)");
  const std::regex flow(
      R"(AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/(\d{12})_vpcflowlogs_([a-z0-9-]+)_fl-[0-9a-f]+_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz)");
  const std::regex dns(
      R"(AWSLogs/(\d{12})/vpcdnsquerylogs/(vpc-[0-9a-f]+)/\d{4}/\d{2}/\d{2}/(vpc-[0-9a-f]+)_vpcdnsquerylogs_(\d{12})_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz)");
  simdjson::dom::parser parser;
  std::uint64_t ct_records = 0, flow_records = 0, dns_records = 0;
  std::set<std::string> identity_types;
  bool saw_mfa_login = false, saw_failed_login = false, saw_nxdomain = false, saw_reject = false;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "a" / "AWSLogs")) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), base_ / "a").string();
    const std::string text = gunzip(read_all(e.path()));
    std::smatch m;
    if (std::regex_match(rel, m, ct)) {
      EXPECT_EQ(m[1], m[3]);
      EXPECT_EQ(m[2], m[4]);
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << rel;
      // Bind the array first: range-for over a temporary simdjson result dangles.
      simdjson::dom::array records;
      ASSERT_EQ(doc["Records"].get_array().get(records), simdjson::SUCCESS) << rel;
      for (auto r : records) {
        ++ct_records;
        std::string_view s;
        ASSERT_EQ(r["eventTime"].get_string().get(s), simdjson::SUCCESS);
        ASSERT_EQ(r["eventID"].get_string().get(s), simdjson::SUCCESS);
        ASSERT_EQ(r["recipientAccountId"].get_string().get(s), simdjson::SUCCESS);
        EXPECT_EQ(s, std::string_view(m[1].str()));
        ASSERT_EQ(r["awsRegion"].get_string().get(s), simdjson::SUCCESS);
        EXPECT_EQ(s, std::string_view(m[2].str()));
        ASSERT_EQ(r["userIdentity"]["type"].get_string().get(s), simdjson::SUCCESS);
        identity_types.emplace(s);
        std::string_view name;
        ASSERT_EQ(r["eventName"].get_string().get(name), simdjson::SUCCESS);
        if (name == "ConsoleLogin") {
          std::string_view mfa, result;
          ASSERT_EQ(r["additionalEventData"]["MFAUsed"].get_string().get(mfa), simdjson::SUCCESS);
          ASSERT_EQ(r["responseElements"]["ConsoleLogin"].get_string().get(result),
                    simdjson::SUCCESS);
          if (result == "Success" && mfa == "Yes") saw_mfa_login = true;
          if (result == "Failure") saw_failed_login = true;
        }
      }
    } else if (std::regex_match(rel, m, flow)) {
      EXPECT_EQ(m[1], m[3]);
      std::istringstream in(text);
      std::string line;
      ASSERT_TRUE(std::getline(in, line));
      EXPECT_EQ(line, sentinel::sim::kFlowHeaderV5);
      while (std::getline(in, line)) {
        ++flow_records;
        std::istringstream f(line);
        std::vector<std::string> w;
        for (std::string x; f >> x;) w.push_back(x);
        ASSERT_EQ(w.size(), 25u) << line;
        EXPECT_EQ(w[0], "5");
        EXPECT_EQ(w[1], m[1].str());
        if (w[12] == "REJECT") saw_reject = true;
      }
    } else if (std::regex_match(rel, m, dns)) {
      EXPECT_EQ(m[2], m[3]);
      EXPECT_EQ(m[1], m[4]);
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) {
        ++dns_records;
        simdjson::dom::element r;
        ASSERT_EQ(parser.parse(line).get(r), simdjson::SUCCESS) << line;
        std::string_view s;
        ASSERT_EQ(r["query_name"].get_string().get(s), simdjson::SUCCESS);
        EXPECT_EQ(s.back(), '.');
        ASSERT_EQ(r["srcport"].get_string().get(s), simdjson::SUCCESS);
        ASSERT_EQ(r["vpc_id"].get_string().get(s), simdjson::SUCCESS);
        EXPECT_EQ(s, std::string_view(m[2].str()));
        ASSERT_EQ(r["rcode"].get_string().get(s), simdjson::SUCCESS);
        if (s == "NXDOMAIN") saw_nxdomain = true;
      }
    } else {
      ADD_FAILURE() << "unexpected file " << rel;
    }
  }
  EXPECT_EQ(ct_records, sum->cloudtrail);
  EXPECT_EQ(flow_records, sum->flows);
  EXPECT_EQ(dns_records, sum->dns);
  const std::uint64_t total = ct_records + flow_records + dns_records;
  EXPECT_GE(total, 6000u + sum->attack_records);
  EXPECT_LT(total, 6000u + sum->attack_records + 200u);  // + the scheduled console sign-ins
  for (const char* t : {"IAMUser", "AssumedRole", "AWSService", "Root"}) {
    EXPECT_TRUE(identity_types.count(t)) << t;
  }
  EXPECT_TRUE(saw_mfa_login && saw_failed_login && saw_nxdomain && saw_reject);
  for (const char* f : {"labels.jsonl", "sentinel.yaml", "ip-ranges.json", "manifest.json",
                        "lists/tor_exits.txt", "lists/malicious_ips.txt"}) {
    EXPECT_TRUE(fs::exists(base_ / "a" / f)) << f;
  }
}

TEST_F(SimulateTest, LabelsNameEachScenarioWithSpanActorsAndTypes) {
  auto o = small("a", 5);
  o.scenarios = {"tor-credential-compromise", "portscan", "dga-domains", "anomalous-discovery"};
  auto sum = sentinel::sim::simulate(o);
  ASSERT_TRUE(sum.ok());
  ASSERT_EQ(sum->skipped.size(), 1u);  // anomalous-discovery needs 8 days of history
  EXPECT_NE(sum->skipped[0].find("anomalous-discovery"), std::string::npos);
  simdjson::dom::parser parser;
  std::istringstream in(read_all(base_ / "a" / "labels.jsonl"));
  std::set<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    simdjson::dom::element l;
    ASSERT_EQ(parser.parse(line).get(l), simdjson::SUCCESS);
    std::string_view name_v, start, end;
    ASSERT_EQ(l["scenario"].get_string().get(name_v), simdjson::SUCCESS) << line;
    const std::string name(name_v);
    seen.insert(name);
    ASSERT_EQ(l["start"].get_string().get(start), simdjson::SUCCESS) << line;
    ASSERT_EQ(l["end"].get_string().get(end), simdjson::SUCCESS) << line;
    EXPECT_LE(start, end);
    EXPECT_GE(start, "2024-05-06T00:00:00Z");
    EXPECT_LE(end, "2024-05-08T00:00:00Z");
    simdjson::dom::array actors, expected, sources;
    ASSERT_EQ(l["actors"].get_array().get(actors), simdjson::SUCCESS) << line;
    ASSERT_EQ(l["expected"].get_array().get(expected), simdjson::SUCCESS) << line;
    ASSERT_EQ(l["sources"].get_array().get(sources), simdjson::SUCCESS) << line;
    EXPECT_GT(actors.size(), 0u) << name;
    EXPECT_GT(expected.size(), 0u) << name;
    std::int64_t events = 0;
    ASSERT_EQ(l["events"].get_int64().get(events), simdjson::SUCCESS) << line;
    EXPECT_GT(events, 0) << name;
    if (name == "tor-credential-compromise") {
      EXPECT_EQ(start.substr(11, 5), "02:30");  // the story's 02:30 UTC
      std::set<std::string> srcs;
      for (auto x : sources) srcs.emplace(std::string_view(x.get_string().value_unsafe()));
      EXPECT_EQ(srcs, (std::set<std::string>{"cloudtrail", "vpcflow", "route53"}));
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"tor-credential-compromise", "portscan", "dga-domains"}));
}

TEST_F(SimulateTest, BackgroundNeverTouchesListedAddressesOrRoot) {
  auto o = small("a", 8);
  o.scenarios = {"none"};
  ASSERT_TRUE(sentinel::sim::simulate(o).ok());
  EXPECT_EQ(read_all(base_ / "a" / "labels.jsonl"), "");
  std::vector<std::string> listed;
  for (const auto& e : fs::directory_iterator(base_ / "a" / "lists")) {
    std::istringstream in(read_all(e.path()));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#') listed.push_back(line);
    }
  }
  ASSERT_GT(listed.size(), 100u);
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "a" / "AWSLogs")) {
    if (e.is_regular_file()) all += gunzip(read_all(e.path()));
  }
  for (const auto& v : listed) {
    // Quoted (JSON) or space-delimited (flow lines) occurrences only: no false prefix hits.
    EXPECT_EQ(all.find("\"" + v + "\""), std::string::npos) << v;
    EXPECT_EQ(all.find(" " + v + " "), std::string::npos) << v;
  }
  EXPECT_EQ(all.find("\"type\":\"Root\""), std::string::npos);
  EXPECT_EQ(all.find("kali"), std::string::npos);
}

TEST_F(SimulateTest, RejectsUnknownScenariosAndBadOptions) {
  auto o = small("a", 1);
  o.scenarios = {"no-such-thing"};
  auto r = sentinel::sim::simulate(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unknown_scenario");
  o.scenarios.clear();
  o.accounts = 0;
  EXPECT_FALSE(sentinel::sim::simulate(o).ok());
  o.accounts = 2;
  o.days = 0;
  EXPECT_FALSE(sentinel::sim::simulate(o).ok());
}

TEST(SimulateCatalogue, EveryScenarioHasAUniqueNameAndExpectedTypes) {
  std::set<std::string> names;
  for (const auto& s : sentinel::sim::list_scenarios()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    // A scenario expects our findings, or writes GuardDuty's own (--guardduty), or both.
    EXPECT_FALSE(s.expected.empty() && s.guardduty.empty()) << s.name;
    for (const auto& t : s.expected) EXPECT_NE(t.find(':'), std::string::npos) << t;
    for (const auto& t : s.guardduty) EXPECT_NE(t.find(':'), std::string::npos) << t;
  }
  EXPECT_GE(names.size(), 70u);
}

// --guardduty adds GuardDuty's S3 export (AWSLogs/<acct>/GuardDuty/<region>/YYYY/MM/DD/<uuid>
// .jsonl.gz, one finding a line, schemaVersion 2.0) and changes nothing else in the logs; every
// finding belongs to a label that lists its type under "guardduty".
TEST_F(SimulateTest, GuardDutyFindingsAreExportedAsGuardDutyDoesAndLeaveTheLogsAlone) {
  auto plain = small("plain", 4);
  auto with = small("with", 4);
  with.guardduty = true;
  auto sp = sentinel::sim::simulate(plain);
  auto sw = sentinel::sim::simulate(with);
  ASSERT_TRUE(sp.ok() && sw.ok());
  EXPECT_EQ(sp->guardduty, 0u);
  EXPECT_GE(sw->guardduty, 6u);
  // GuardDuty-only scenarios are left out quietly unless named.
  for (const auto& k : sp->skipped) EXPECT_EQ(k.find("guardduty"), std::string::npos) << k;
  EXPECT_EQ(sw->injected.size(), sp->injected.size() + 3);

  const auto a = snapshot(base_ / "plain" / "AWSLogs");
  auto b = snapshot(base_ / "with" / "AWSLogs");
  const std::regex gd(
      R"((\d{12})/GuardDuty/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl\.gz)");
  simdjson::dom::parser parser;
  std::map<std::string, std::set<std::string>> types_by_account;
  std::uint64_t findings = 0;
  for (auto it = b.begin(); it != b.end();) {
    std::smatch m;
    if (!std::regex_match(it->first, m, gd)) {
      ++it;
      continue;
    }
    std::istringstream in(gunzip(it->second));
    for (std::string line; std::getline(in, line);) {
      ++findings;
      simdjson::dom::element f;
      ASSERT_EQ(parser.parse(line).get(f), simdjson::SUCCESS) << line;
      std::string_view v;
      ASSERT_EQ(f["schemaVersion"].get_string().get(v), simdjson::SUCCESS);
      EXPECT_EQ(v, "2.0");
      ASSERT_EQ(f["accountId"].get_string().get(v), simdjson::SUCCESS);
      EXPECT_EQ(v, m[1].str());
      ASSERT_EQ(f["region"].get_string().get(v), simdjson::SUCCESS);
      EXPECT_EQ(v, m[2].str());
      std::string_view id, arn, type, created, first, last;
      ASSERT_EQ(f["id"].get_string().get(id), simdjson::SUCCESS);
      EXPECT_TRUE(std::regex_match(std::string(id), std::regex("[0-9a-f]{32}"))) << id;
      ASSERT_EQ(f["arn"].get_string().get(arn), simdjson::SUCCESS);
      EXPECT_TRUE(std::regex_match(std::string(arn),
                                   std::regex("arn:aws:guardduty:" + m[2].str() + ":" + m[1].str() +
                                              ":detector/[0-9a-f]{32}/finding/" + std::string(id))))
          << arn;
      ASSERT_EQ(f["type"].get_string().get(type), simdjson::SUCCESS);
      types_by_account[m[1].str()].emplace(type);
      double sev = 0;
      ASSERT_EQ(f["severity"].get_double().get(sev), simdjson::SUCCESS);
      EXPECT_TRUE(sev >= 1 && sev < 9) << sev;
      ASSERT_EQ(f["resource"]["resourceType"].get_string().get(v), simdjson::SUCCESS);
      ASSERT_EQ(f["service"]["serviceName"].get_string().get(v), simdjson::SUCCESS);
      EXPECT_EQ(v, "guardduty");
      ASSERT_EQ(f["service"]["featureName"].get_string().get(v), simdjson::SUCCESS);
      ASSERT_EQ(f["createdAt"].get_string().get(created), simdjson::SUCCESS);
      ASSERT_EQ(f["service"]["eventFirstSeen"].get_string().get(first), simdjson::SUCCESS);
      ASSERT_EQ(f["service"]["eventLastSeen"].get_string().get(last), simdjson::SUCCESS);
      EXPECT_EQ(created.size(), 24u) << created;  // 2024-05-07T02:41:09.316Z
      EXPECT_LE(first, last);
      EXPECT_LT(last, created);
      // Exported in the 10 minutes after it was raised: that day's folder, or the next one's.
      EXPECT_LE(created.substr(0, 10), m[3].str() + "-" + m[4].str() + "-" + m[5].str());
    }
    it = b.erase(it);
  }
  EXPECT_EQ(findings, sw->guardduty);
  EXPECT_EQ(a, b) << "--guardduty changed the CloudTrail, flow or DNS files";

  // Labels: the GuardDuty types of each scenario, only with --guardduty.
  std::map<std::string, std::set<std::string>> labelled;
  std::istringstream in(read_all(base_ / "with" / "labels.jsonl"));
  for (std::string line; std::getline(in, line);) {
    simdjson::dom::element l;
    ASSERT_EQ(parser.parse(line).get(l), simdjson::SUCCESS);
    std::string_view acct;
    ASSERT_EQ(l["account"].get_string().get(acct), simdjson::SUCCESS);
    simdjson::dom::array gd_types;
    if (l["guardduty"].get_array().get(gd_types) != simdjson::SUCCESS) continue;
    for (auto t : gd_types) labelled[std::string(acct)].emplace(t.get_string().value_unsafe());
  }
  EXPECT_EQ(labelled, types_by_account);
  EXPECT_EQ(read_all(base_ / "plain" / "labels.jsonl").find("\"guardduty\""), std::string::npos);
}

TEST_F(SimulateTest, GuardDutyOnlyScenarioNamedWithoutTheFlagIsReportedSkipped) {
  auto o = small("a", 2);
  o.scenarios = {"eks-anonymous-access", "portscan"};
  auto r = sentinel::sim::simulate(o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_NE(r->skipped[0].find("--guardduty"), std::string::npos);
  EXPECT_EQ(r->injected, std::vector<std::string>{"portscan"});
}

}  // namespace
