// search, investigate and flows analytics over a store ingested from the fixture incident
// (tests/unit/investigate/data: a deleted security group, 2 AM bucket reads, flows with
// flow-direction between a gateway and a backend VPC), the GuardDuty example and the public corpus
// (OTRF S3 exfiltration through leaked instance credentials; Panther's compromised-root-creds
// CloudTrail and VPC flow v2 log).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/ip.h"
#include "core/time.h"
#include "ingest/reader.h"
#include "store/batch.h"
#include "store/flows_analytics.h"
#include "store/investigate_timeline.h"
#include "store/search_query.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  const char* env = std::getenv("SENTINEL_SOURCE_DIR");
  return env ? fs::path(env) : fs::path(SENTINEL_SOURCE_DIR);
}

fs::path corpus_dir() {
  const char* env = std::getenv("SENTINEL_CORPUS");
  return env ? fs::path(env) : source_dir() / ".." / "shared" / "corpus";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kOtrf =
    "OTRF__Security-Datasets/_extracted/ec2_proxy_s3_exfiltration_2020-09-14011940.json";
const char* kRootTrail =
    "panther-labs__panther-analysis/_extracted/test_scenarios/"
    "compromised-root-creds__attacker_cloudtrail.cloudtrail.json";
const char* kRootFlows =
    "panther-labs__panther-analysis/_extracted/test_scenarios/"
    "compromised-root-creds__attacker_vpc.vpcflow.log";

class InvestigateTest : public ::testing::Test {
 protected:
  // A failure here must fail every test (gtest reports tests after a fatal failure in
  // SetUpTestSuite as skipped), so the setup records its error and SetUp() asserts on it.
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("sentinel-investigate-test-" + std::to_string(::getpid())));
    setup_error_ = new std::string(build_store());
  }
  static std::string build_store() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    fs::create_directories(*dir_, ec);
    if (ec) return "cannot create " + dir_->string() + ": " + ec.message();
    auto st = Store::open((*dir_ / "t.db").string(), OpenMode::kReadWrite);
    if (!st.ok()) return "open: " + st.error().message;
    std::vector<fs::path> files;
    const fs::path fixture = source_dir() / "tests/unit/investigate/data";
    if (!fs::exists(fixture)) return "the fixture is missing: " + fixture.string();
    for (const fs::path& root : {fixture, source_dir() / "examples/aws-logs/guardduty"}) {
      if (!fs::exists(root)) continue;
      for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    }
    const bool have_corpus = fs::exists(corpus_dir() / kOtrf);
    if (!have_corpus && std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true") {
      return "the corpus is missing: " + corpus_dir().string();
    }
    corpus_ = have_corpus;
    if (have_corpus) {
      for (const char* p : {kOtrf, kRootTrail, kRootFlows}) files.push_back(corpus_dir() / p);
    }
    std::sort(files.begin(), files.end());
    Writer w(st->get());
    if (!w.ok()) return "writer: " + w.error();
    if (!w.begin()) return "begin: " + w.error();
    for (const auto& p : files) {
      ingest::ParseOptions po;
      if (p.string().find("vpcflow.log") != std::string::npos)
        po.forced_type = ingest::LogType::kVpcFlow;
      BatchBuilder builder(6);
      FileBatch batch;
      const std::string bytes = slurp(p);
      batch.path = p.string();
      batch.size = bytes.size();
      batch.sha256 = sha256(bytes);
      builder.begin(&batch);
      ingest::Reader reader(po);
      auto rep = reader.read(p.string(), builder);
      builder.finish();
      batch.type = rep.type;
      batch.readable = true;
      WriteCounts c;
      if (!w.add(batch, &c)) return p.string() + ": " + w.error();
    }
    if (!w.commit()) return "commit: " + w.error();
    return {};
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete setup_error_;
  }
  void SetUp() override {
    ASSERT_TRUE(setup_error_->empty()) << "building the test store: " << *setup_error_;
    auto st = Store::open((*dir_ / "t.db").string(), OpenMode::kReadOnly);
    ASSERT_TRUE(st.ok()) << st.error().message;
    st_ = std::move(*st);
  }

  SearchResult search(const SearchFilter& f) {
    auto r = run_search(*st_, f);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : SearchResult{};
  }
  static int64_t at(const char* iso) {
    int64_t ms = 0;
    EXPECT_TRUE(parse_iso8601_ms(iso, &ms));
    return ms;
  }

  static fs::path* dir_;
  static std::string* setup_error_;
  static bool corpus_;
  std::unique_ptr<Store> st_;
};

fs::path* InvestigateTest::dir_ = nullptr;
std::string* InvestigateTest::setup_error_ = nullptr;
bool InvestigateTest::corpus_ = false;

std::vector<std::string> ids_of(const SearchResult& r) {
  std::vector<std::string> v;
  for (const auto& h : r.hits) v.push_back(h.id);
  return v;
}

TEST_F(InvestigateTest, WhoDeletedTheSecurityGroup) {
  SearchFilter f;
  f.event = "Delete*SecurityGroup*";
  SearchResult r = search(f);
  // The attempt that failed (carol) and the one that succeeded (dave); not the revoke, not the
  // network ACL entry, not the authorize.
  ASSERT_EQ(r.hits.size(), 2u);
  EXPECT_EQ(r.hits[0].principal, "arn:aws:sts::123456789012:assumed-role/NetOps/dave");
  EXPECT_EQ(r.hits[0].error, "");
  EXPECT_EQ(r.hits[0].id, "5e1f7c2a-3b4d-4e6f-8a9b-000000000003");
  EXPECT_EQ(r.hits[1].principal, "arn:aws:iam::123456789012:user/carol");
  EXPECT_EQ(r.hits[1].error, "Client.DependencyViolation");

  f.errors = true;
  r = search(f);
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(r.hits[0].principal, "arn:aws:iam::123456789012:user/carol");

  // Case does not matter in a pattern; the resource narrows to that group.
  SearchFilter g;
  g.event = "delete*securitygroup";
  g.resource = "sg-0a1b2c3d4e5f67890";
  EXPECT_EQ(search(g).hits.size(), 2u);
  g.resource = "sg-0f9e8d7c6b5a43210";
  EXPECT_EQ(search(g).hits.size(), 0u);
}

TEST_F(InvestigateTest, WhoReadTheBucketAt2AM) {
  SearchFilter f;
  f.resource = "payroll-exports";
  f.hour_from = 2;
  f.hour_to = 3;
  SearchResult r = search(f);
  ASSERT_EQ(r.hits.size(), 2u);
  for (const auto& h : r.hits) {
    EXPECT_EQ(h.principal, "arn:aws:iam::123456789012:user/eve");
    EXPECT_EQ(h.action, "GetObject");
    EXPECT_EQ(h.source_ip, "203.0.113.50");
  }
  // Without the hour, the 14:05 read by the reporting user is there too.
  f.hour_from = f.hour_to = -1;
  EXPECT_EQ(search(f).hits.size(), 3u);
  // The same question as a time range.
  f.since_ms = at("2024-03-09T02:00:00Z");
  f.until_ms = at("2024-03-09T03:00:00Z");
  EXPECT_EQ(ids_of(search(f)), (std::vector<std::string>{"5e1f7c2a-3b4d-4e6f-8a9b-000000000007",
                                                         "5e1f7c2a-3b4d-4e6f-8a9b-000000000006"}));
}

TEST_F(InvestigateTest, CorpusBucketReadsThroughLeakedInstanceCredentials) {
  if (!corpus_) GTEST_SKIP() << "corpus not present";
  SearchFilter f;
  f.resource = "mordors3stack-s3bucket-llp2yingx64a";
  f.types = kSearchCloudTrail;
  SearchResult r = search(f);
  ASSERT_FALSE(r.hits.empty());
  // Count what the corpus says independently: S3 calls whose request names the bucket.
  simdjson::dom::parser parser;
  std::istringstream lines(slurp(corpus_dir() / kOtrf));
  std::string line;
  std::size_t expected = 0;
  while (std::getline(lines, line)) {
    simdjson::dom::element e;
    if (parser.parse(line).get(e) != simdjson::SUCCESS) continue;
    simdjson::dom::element req;
    if (e["requestParameters"].get(req) != simdjson::SUCCESS) continue;
    if (simdjson::to_string(req).find("mordors3stack-s3bucket-llp2yingx64a") != std::string::npos) {
      ++expected;
    }
  }
  EXPECT_EQ(r.hits.size(), expected);
  for (const auto& h : r.hits) {
    EXPECT_NE(h.principal.find("assumed-role/MordorNginxStack-BankingWAFRole"), std::string::npos)
        << h.principal;
  }
}

TEST_F(InvestigateTest, PrincipalBySessionRoleArnOrAccessKey) {
  SearchFilter f;
  f.principal = "dave";
  EXPECT_EQ(search(f).hits.size(), 4u);
  f.principal = "arn:aws:iam::123456789012:role/NetOps";  // the session issuer
  EXPECT_EQ(search(f).hits.size(), 4u);
  f.principal = "arn:aws:sts::123456789012:assumed-role/NetOps/dave";
  EXPECT_EQ(search(f).hits.size(), 4u);
  f.principal = "NetOps";  // the role name
  EXPECT_EQ(search(f).hits.size(), 4u);
  SearchFilter k;
  k.access_key = "ASIAEXAMPLEDAVE00001";
  EXPECT_EQ(search(k).hits.size(), 4u);
  k.access_key = "AKIANOTINTHESTORE000";
  EXPECT_EQ(search(k).hits.size(), 0u);
  SearchFilter n;
  n.principal = "nobody-by-this-name";
  EXPECT_EQ(search(n).hits.size(), 0u);
}

TEST_F(InvestigateTest, EveryCallFromTheCorpusAttackerIp) {
  if (!corpus_) GTEST_SKIP() << "corpus not present";
  SearchFilter f;
  f.ip = "92.55.146.245";
  f.types = kSearchCloudTrail | kSearchFlows;
  SearchResult r = search(f);
  // Independently from the files: records with that sourceIPAddress, flow lines with that IP.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(slurp(corpus_dir() / kRootTrail)).get(doc), simdjson::SUCCESS);
  // The store keeps one event per (eventID, recipientAccountId): these test records all carry
  // eventID "1", so they count once per account.
  std::set<std::string> unique;
  for (auto rec : doc["Records"].get_array()) {
    std::string_view ip, id, account;
    if (rec["sourceIPAddress"].get(ip) != simdjson::SUCCESS || ip != "92.55.146.245") continue;
    if (rec["eventID"].get(id) != simdjson::SUCCESS) id = "";
    if (rec["recipientAccountId"].get(account) != simdjson::SUCCESS) account = "";
    unique.insert(std::string(id) + "/" + std::string(account));
  }
  const std::size_t ct = unique.size();
  std::size_t fl = 0;
  std::istringstream lines(slurp(corpus_dir() / kRootFlows));
  std::string line;
  while (std::getline(lines, line)) fl += line.find(" 92.55.146.245 ") != std::string::npos;
  std::size_t got_ct = 0, got_fl = 0;
  for (const auto& h : r.hits) {
    got_ct += h.type == "cloudtrail";
    got_fl += h.type == "flows";
  }
  EXPECT_GT(ct, 0u);
  EXPECT_EQ(got_ct, ct);
  EXPECT_EQ(got_fl, fl);
  // Newest first.
  for (std::size_t i = 1; i < r.hits.size(); ++i)
    EXPECT_GE(r.hits[i - 1].time_ms, r.hits[i].time_ms);
}

TEST_F(InvestigateTest, SearchesUseTheIndexes) {
  auto plan = [&](const SearchFilter& f) {
    auto p = explain_search(*st_, f);
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : std::string();
  };
  // Schema 3: the candidate rows come from the postings and are read by rowid.
  const std::string by_rowid = "USING INTEGER PRIMARY KEY (rowid=?)";
  SearchFilter f;
  f.ip = "198.51.100.23";
  std::string p = plan(f);
  EXPECT_NE(p.find("postings of the source IP"), std::string::npos) << p;
  EXPECT_NE(p.find(by_rowid), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN c"), std::string::npos) << p;
  f = {};
  f.access_key = "ASIAEXAMPLEDAVE00001";
  f.since_ms = at("2024-03-09T00:00:00Z");
  p = plan(f);
  EXPECT_NE(p.find("postings of the access key"), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN c"), std::string::npos) << p;
  f = {};
  f.principal = "dave";
  p = plan(f);
  EXPECT_NE(p.find("postings of the principal"), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN c"), std::string::npos) << p;
  // A role ARN searches its sessions through the same postings.
  f.principal = "arn:aws:iam::123456789012:role/NetOps";
  p = plan(f);
  EXPECT_NE(p.find("postings of the principal"), std::string::npos) << p;
  // An event pattern with a time range: the postings of the hours at least.
  f = {};
  f.event = "Delete*";
  f.since_ms = at("2024-03-09T00:00:00Z");
  p = plan(f);
  EXPECT_NE(p.find("postings of the hours"), std::string::npos) << p;
  EXPECT_EQ(p.find("SCAN c"), std::string::npos) << p;
}

TEST_F(InvestigateTest, OutputIsEscapedAndDefused) {
  SearchFilter f;
  f.ip = "203.0.113.50";
  f.types = kSearchCloudTrail;
  SearchResult r = search(f);
  ASSERT_EQ(r.hits.size(), 3u);
  std::string table;
  render_search(r, SearchFormat::kTable, &table);
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_EQ(table.find('\x07'), std::string::npos);
  std::string jsonl;
  render_search(r, SearchFormat::kJsonl, &jsonl);
  EXPECT_NE(jsonl.find("\\u001b"), std::string::npos);  // JSON keeps it, escaped
  // CSV: a cell that starts with = is defused.
  Table t;
  t.columns = {"a"};
  t.rows = {{"=HYPERLINK(\"x\")"}};
  std::string csv;
  render_csv(t, &csv);
  EXPECT_NE(csv.find("'=HYPERLINK"), std::string::npos) << csv;
}

TEST_F(InvestigateTest, FlowsWhyAcceptedPair) {
  auto r = flows_why(*st_, "10.0.1.10", "10.1.2.20", 5432, kNoLowerTime, kNoUpperTime, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->accepted_ab, 2);
  EXPECT_EQ(r->rejected_ab, 0);
  EXPECT_EQ(r->accepted_ba, 2);
  EXPECT_EQ(r->verdict.rfind("10.0.1.10 reaches 10.1.2.20: 2 accepted flow(s) on 5432/tcp", 0), 0u)
      << r->verdict;
}

TEST_F(InvestigateTest, FlowsWhyRejectedAtTheDestination) {
  auto r = flows_why(*st_, "10.0.1.55", "10.1.2.20", 0, kNoLowerTime, kNoUpperTime, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected_ab, 2);
  EXPECT_EQ(r->verdict.rfind("10.0.1.55 cannot reach 10.1.2.20", 0), 0u) << r->verdict;
  EXPECT_NE(r->verdict.find("ingress at 10.1.2.20 (eni-0c3d4e5f6a7b80002)"), std::string::npos)
      << r->verdict;
  bool saw_egress_accept = false;
  for (const auto& g : r->groups) {
    if (g.action == "REJECT") {
      EXPECT_EQ(g.owner, 1);
      EXPECT_EQ(g.interface_id, "eni-0c3d4e5f6a7b80002");
    } else {
      saw_egress_accept = g.owner == 0 && g.interface_id == "eni-0e5f6a7b8c9d00003";
    }
  }
  EXPECT_TRUE(saw_egress_accept);
  // Nothing at all between two addresses that never talked.
  auto none = flows_why(*st_, "10.0.1.55", "10.0.9.9", 0, kNoLowerTime, kNoUpperTime, nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->verdict.rfind("no flows between", 0), 0u);
  EXPECT_FALSE(
      flows_why(*st_, "10.0.1.55", "db.internal", 0, kNoLowerTime, kNoUpperTime, nullptr).ok());
}

TEST_F(InvestigateTest, FlowsWhyCorpusV2WithoutFlowDirection) {
  if (!corpus_) GTEST_SKIP() << "corpus not present";
  // The instance's REJECT toward 172.31.77.1: v2 records carry no flow-direction, so the side
  // comes from the interface's own address (172.31.77.31 is in all its records).
  auto r = flows_why(*st_, "172.31.77.31", "172.31.77.1", 0, kNoLowerTime, kNoUpperTime, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected_ab, 1);
  EXPECT_EQ(r->verdict.rfind("172.31.77.31 cannot reach 172.31.77.1", 0), 0u) << r->verdict;
  EXPECT_NE(r->verdict.find("egress at 172.31.77.31 (eni-0b13344793d4fde67)"), std::string::npos)
      << r->verdict;
  auto ok =
      flows_why(*st_, "92.55.146.245", "172.31.77.31", 22, kNoLowerTime, kNoUpperTime, nullptr);
  ASSERT_TRUE(ok.ok());
  // Both ends opened SSH sessions to the other (the attacker in, then the instance out to the
  // attacker): all accepted either way.
  EXPECT_NE(ok->verdict.find(" reaches "), std::string::npos) << ok->verdict;
  EXPECT_NE(ok->verdict.find("nothing rejected"), std::string::npos) << ok->verdict;
  EXPECT_EQ(ok->accepted_ab + ok->accepted_ba, 4);
}

TEST_F(InvestigateTest, MatrixTotalsBetweenNamedNetworks) {
  YAML::Node n = YAML::Load(
      "gateway: {vpcs: [vpc-0aaa1111bbbb22220], cidrs: [10.0.0.0/16]}\n"
      "backend: [10.1.0.0/16, vpc-0ccc3333dddd44440]\n");
  NetworkMap nets;
  std::vector<std::string> errors;
  ASSERT_TRUE(parse_networks(n, &nets.nets, &errors)) << errors.front();
  // Only the fixture's day (the corpus is other days).
  auto r = flows_matrix(*st_, nets, at("2024-03-09T00:00:00Z") / 1000,
                        at("2024-03-10T00:00:00Z") / 1000, nullptr);
  ASSERT_TRUE(r.ok());
  auto cell = [&](const std::string& a, const std::string& b) {
    for (const auto& c : *r) {
      if (c.from == a && c.to == b) return c;
    }
    return MatrixCell{};
  };
  EXPECT_EQ(cell("gateway", "backend").bytes, 1500 + 1500 + 4 * 180);
  EXPECT_EQ(cell("gateway", "backend").flows, 6);
  EXPECT_EQ(cell("gateway", "backend").rejects, 2);
  EXPECT_EQ(cell("backend", "gateway").bytes, 18000);
  EXPECT_EQ(cell("backend", "gateway").rejects, 0);
  EXPECT_EQ(cell("gateway", "gateway").bytes, 2530000);
  EXPECT_EQ(cell("gateway", "gateway").flows, 12);
  EXPECT_EQ(cell("gateway", "(internet)").bytes, 5060000);
  EXPECT_EQ(cell("(internet)", "gateway").bytes, 4000);
  int64_t flows = 0;
  for (const auto& c : *r) flows += c.flows;
  EXPECT_EQ(flows, 23);

  std::vector<NamedNetwork> bad;
  EXPECT_FALSE(parse_networks(YAML::Load("x: [10.0.0.0/33]"), &bad, &errors));
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [](const std::string& e) {
    return e.find("networks.x[0]: '10.0.0.0/33' is not a CIDR") != std::string::npos;
  })) << errors.back();
}

TEST_F(InvestigateTest, VolumeFlagsTheExfiltrationHour) {
  VolumeOptions o;
  o.entity = "eni-0a1b2c3d4e5f60001";
  auto r = flows_volume(*st_, o, nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  std::vector<std::string> flagged;
  for (const auto& p : r->front().points) {
    if (p.outlier) flagged.push_back(format_iso8601(p.start * 1000));
  }
  EXPECT_EQ(flagged, std::vector<std::string>{"2024-03-09T03:00:00Z"});
  EXPECT_EQ(r->front().points.size(), 12u);
}

TEST(VolumeScore, RobustZ) {
  VolumeSeries s;
  for (int64_t v : {100, 110, 90, 105, 95, 100, 5000}) s.points.push_back({0, v, 0, false});
  score_series(&s, 3.5);
  EXPECT_DOUBLE_EQ(s.median, 100);
  EXPECT_DOUBLE_EQ(s.mad, 5);
  EXPECT_TRUE(s.points.back().outlier);
  EXPECT_FALSE(s.points[1].outlier);
  VolumeSeries flat;
  for (int i = 0; i < 6; ++i) flat.points.push_back({0, 100, 0, false});
  score_series(&flat, 3.5);
  for (const auto& p : flat.points) EXPECT_FALSE(p.outlier);
  VolumeSeries mostly_flat;  // MAD 0: the mean absolute deviation stands in
  for (int64_t v : {100, 100, 100, 100, 100, 100, 100, 9000})
    mostly_flat.points.push_back({0, v, 0, false});
  score_series(&mostly_flat, 3.5);
  EXPECT_TRUE(mostly_flat.points.back().outlier);
  EXPECT_FALSE(mostly_flat.points.front().outlier);
}

TEST_F(InvestigateTest, TopByDestinationBytes) {
  TopOptions o;
  o.by = FlowGroup::kDst;
  o.limit = 3;
  auto r = flows_top(*st_, o, nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().key, "198.51.100.99");
  EXPECT_EQ(r->front().bytes, 5000000);
  o.by = FlowGroup::kSrc;
  o.action = ActionFilter::kReject;
  o.metric = FlowMetric::kFlows;
  r = flows_top(*st_, o, nullptr);
  ASSERT_TRUE(r.ok());
  bool pod = false;
  for (const auto& x : *r) pod = pod || (x.key == "10.0.1.55" && x.flows == 2 && x.rejects == 2);
  EXPECT_TRUE(pod);
}

TEST_F(InvestigateTest, InvestigateAnIp) {
  InvestigateOptions o;
  auto r = investigate(*st_, "203.0.113.50", o);
  ASSERT_TRUE(r.ok());
  const Investigation& inv = *r;
  EXPECT_EQ(inv.kind, EntityKind::kIp);
  EXPECT_EQ(inv.cloudtrail_events, 3);
  EXPECT_EQ(inv.flow_records, 2);
  EXPECT_EQ(format_iso8601(inv.first_ms), "2024-03-09T02:30:00Z");
  EXPECT_EQ(format_iso8601(inv.last_ms), "2024-03-09T02:50:00Z");
  ASSERT_FALSE(inv.apis.empty());
  EXPECT_EQ(inv.apis.top[0].value, "s3:GetObject");
  EXPECT_EQ(inv.apis.top[0].count, 3);
  auto has = [](const CountedList& l, const std::string& x) {
    return std::any_of(l.top.begin(), l.top.end(), [&](const Counted& c) { return c.value == x; });
  };
  EXPECT_TRUE(has(inv.resources, "payroll-exports"));
  EXPECT_TRUE(has(inv.resources, "arn:aws:s3:::payroll-exports"));
  EXPECT_TRUE(has(inv.principals, "arn:aws:iam::123456789012:user/eve"));
  ASSERT_EQ(inv.peers.size(), 1u);
  EXPECT_EQ(inv.peers[0].address, "10.0.1.10");
  EXPECT_EQ(inv.peers[0].bytes_out, 4000);
  EXPECT_EQ(inv.peers[0].bytes_in, 60000);
  ASSERT_EQ(inv.timeline.size(), 5u);
  for (std::size_t i = 1; i < inv.timeline.size(); ++i) {
    EXPECT_LE(inv.timeline[i - 1].time_ms, inv.timeline[i].time_ms);
  }
  std::string text, json;
  render_investigation_text(inv, &text);
  render_investigation_json(inv, &json);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(int64_t(doc["counts"]["cloudtrail"]), 3);
}

// The summary is counted from every matching row while only the latest entries are listed:
// for every address in the store, the totals, the APIs with their failures and the bytes to
// and from peers equal what SQL over the views counts, and a short timeline keeps the newest.
TEST_F(InvestigateTest, InvestigateSummaryEqualsAFullScan) {
  auto count = [&](const std::string& sql, const std::string& a) {
    Stmt s(st_->db(), sql, nullptr);
    EXPECT_TRUE(s.ok()) << sql;
    if (!s.ok()) return int64_t{-1};
    s.bind_text(1, a);
    return s.step() == SQLITE_ROW ? s.col_int(0) : int64_t{-1};
  };
  std::set<std::string> addresses;
  for (const char* sql :
       {"SELECT DISTINCT sourceIPAddress FROM cloudtrail", "SELECT DISTINCT srcaddr FROM flows",
        "SELECT DISTINCT dstaddr FROM flows"}) {
    Stmt s(st_->db(), sql, nullptr);
    ASSERT_TRUE(s.ok()) << sql;
    while (s.step() == SQLITE_ROW) {
      std::string a(s.col_text(0));
      IpAddr ip;
      if (IpAddr::parse(a, &ip)) addresses.insert(a);
    }
  }
  ASSERT_GE(addresses.size(), 5u);
  std::size_t with_both = 0;
  for (const auto& a : addresses) {
    InvestigateOptions o;
    o.timeline_limit = 2;
    auto r = investigate(*st_, a, o);
    ASSERT_TRUE(r.ok()) << a;
    const Investigation& inv = *r;
    const int64_t ct = count("SELECT count(*) FROM cloudtrail WHERE sourceIPAddress = ?1", a);
    const int64_t fl = count("SELECT count(*) FROM flows WHERE srcaddr = ?1 OR dstaddr = ?1", a);
    EXPECT_EQ(inv.cloudtrail_events, ct) << a;
    EXPECT_EQ(inv.flow_records, fl) << a;
    with_both += ct > 0 && fl > 0;
    int64_t api_total = 0;
    for (const auto& api : inv.apis.top) {
      api_total += api.count;
      const std::size_t colon = api.value.find(':');
      ASSERT_NE(colon, std::string::npos) << api.value;
      const std::string name = api.value.substr(colon + 1);
      Stmt s(st_->db(),
             "SELECT count(*), count(errorCode) FROM cloudtrail WHERE sourceIPAddress = ?1 AND "
             "eventName = ?2 AND eventSource LIKE ?3 || '%'",
             nullptr);
      ASSERT_TRUE(s.ok());
      s.bind_text(1, a);
      s.bind_text(2, name);
      const std::string source = api.value.substr(0, colon);
      s.bind_text(3, source);
      ASSERT_EQ(s.step(), SQLITE_ROW);
      EXPECT_EQ(api.count, s.col_int(0)) << a << " " << api.value;
      EXPECT_EQ(api.errors, s.col_int(1)) << a << " " << api.value;
    }
    EXPECT_EQ(api_total, ct) << a;
    // The lists of values with counts: every row counted, most frequent first, ties by value
    // (SQLite's text order is bytewise too); the text form's cut lists are their first values.
    InvestigateOptions cut = o;
    cut.summary_limit = kSummaryListed;
    auto rc = investigate(*st_, a, cut);
    ASSERT_TRUE(rc.ok()) << a;
    for (const auto& [col, list, list_cut] :
         {std::tuple{"userIdentity_accessKeyId", &inv.access_keys, &rc->access_keys},
          std::tuple{"userIdentity_arn", &inv.principals, &rc->principals},
          std::tuple{"userAgent", &inv.user_agents, &rc->user_agents}}) {
      Stmt s(st_->db(),
             std::string("SELECT ") + col +
                 ", count(*) FROM cloudtrail WHERE sourceIPAddress = ?1 " + "AND " + col +
                 " <> '' GROUP BY 1 ORDER BY 2 DESC, 1",
             nullptr);
      ASSERT_TRUE(s.ok()) << col;
      s.bind_text(1, a);
      std::vector<std::pair<std::string, int64_t>> want, got, got_cut;
      while (s.step() == SQLITE_ROW) want.emplace_back(std::string(s.col_text(0)), s.col_int(1));
      for (const auto& c : list->top) got.emplace_back(c.value, c.count);
      for (const auto& c : list_cut->top) got_cut.emplace_back(c.value, c.count);
      EXPECT_EQ(got, want) << a << " " << col;
      EXPECT_EQ(list->distinct, want.size()) << a << " " << col;
      EXPECT_EQ(list_cut->distinct, want.size()) << a << " " << col;
      want.resize(std::min(want.size(), kSummaryListed));
      EXPECT_EQ(got_cut, want) << a << " " << col;
    }
    std::string text_full, text_cut;
    render_investigation_text(inv, &text_full);
    render_investigation_text(*rc, &text_cut);
    EXPECT_EQ(text_full, text_cut) << a;
    int64_t out = 0, in = 0;
    for (const auto& p : inv.peers) {
      out += p.bytes_out;
      in += p.bytes_in;
    }
    EXPECT_EQ(out, count("SELECT COALESCE(sum(bytes), 0) FROM flows WHERE srcaddr = ?1 AND "
                         "dstaddr <> ?1",
                         a))
        << a;
    EXPECT_EQ(in, count("SELECT COALESCE(sum(bytes), 0) FROM flows WHERE dstaddr = ?1 AND "
                        "srcaddr <> ?1",
                        a))
        << a;
    const int64_t total = ct + fl + inv.dns_queries + static_cast<int64_t>(inv.findings.size());
    EXPECT_EQ(inv.timeline_total, std::max<int64_t>(total, int64_t(inv.timeline.size()))) << a;
    EXPECT_LE(inv.timeline.size(), 2u * 4) << a;  // each source lists at most the limit
    if (ct + fl > 0) {
      ASSERT_FALSE(inv.timeline.empty()) << a;
      EXPECT_EQ(inv.timeline.back().time_ms, inv.last_ms) << a;  // the newest entry is kept
    }
  }
  EXPECT_GE(with_both, 1u);  // 203.0.113.50: CloudTrail calls and flows
}

// --resource reads raw records block by block: it finds exactly the calls whose request,
// response or resources hold the text (not those where it is only in userIdentity), newest
// first, and a limit keeps the newest.
TEST_F(InvestigateTest, ResourceSearchEqualsAScanOfTheRecords) {
  for (const char* needle : {"payroll-exports", "sg-0", "i-0a1b2c3d4e5f60001", "eve"}) {
    Stmt s(st_->db(),
           "SELECT eventID FROM cloudtrail WHERE instr(COALESCE(requestParameters, ''), ?1) OR "
           "instr(COALESCE(responseElements, ''), ?1) OR instr(COALESCE(resources, ''), ?1) OR "
           "instr(COALESCE(additionalEventData, ''), ?1) ORDER BY eventTimeMs DESC, store_rowid "
           "DESC",
           nullptr);
    ASSERT_TRUE(s.ok());
    s.bind_text(1, needle);
    std::vector<std::string> expected;
    while (s.step() == SQLITE_ROW) expected.emplace_back(s.col_text(0));
    SearchFilter f;
    f.resource = needle;
    f.types = kSearchCloudTrail;
    std::vector<std::string> got = ids_of(search(f));
    std::vector<std::string> a = got, b = expected;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << needle;
    if (expected.size() >= 2) {
      f.limit = 1;
      SearchResult one = search(f);
      ASSERT_EQ(one.hits.size(), 1u) << needle;
      EXPECT_TRUE(one.truncated) << needle;
      EXPECT_EQ(one.hits[0].id, got[0]) << needle;
      // The same through the time index (a range that holds everything).
      f.since_ms = 0;
      f.limit = 1000;
      EXPECT_EQ(ids_of(search(f)).size(), expected.size()) << needle;
    }
  }
}

TEST_F(InvestigateTest, InvestigateAnInstance) {
  auto r = investigate(*st_, "i-0a1b2c3d4e5f60001", InvestigateOptions{});
  ASSERT_TRUE(r.ok());
  const Investigation& inv = *r;
  EXPECT_EQ(inv.kind, EntityKind::kInstance);
  EXPECT_EQ(inv.own_addresses, std::vector<std::string>{"10.0.1.10"});
  EXPECT_EQ(inv.flow_records, 17);  // the gateway interface's records (instance-id set)
  // Its role session's call, found through the session name.
  ASSERT_EQ(inv.cloudtrail_events, 1);
  EXPECT_EQ(inv.apis.top[0].value, "s3:ListBuckets");
  auto big = std::find_if(inv.peers.begin(), inv.peers.end(),
                          [](const Peer& p) { return p.address == "198.51.100.99"; });
  ASSERT_NE(big, inv.peers.end());
  EXPECT_EQ(big->bytes_out, 5000000);
  EXPECT_EQ(inv.peers.front().address, "198.51.100.99");  // the biggest talker first
}

TEST_F(InvestigateTest, InvestigateAFindingFollowsItsAccessKey) {
  // The GuardDuty example names an access key; the finding heads its own timeline.
  Stmt s(st_->db(), "SELECT finding_id FROM gd_findings ORDER BY finding_id LIMIT 1", nullptr);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s.step(), SQLITE_ROW);
  const std::string id(s.col_text(0));
  EXPECT_EQ(classify_entity(*st_, id), EntityKind::kFinding);
  auto r = investigate(*st_, id, InvestigateOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, EntityKind::kFinding);
  EXPECT_FALSE(r->pivot.empty());
  ASSERT_FALSE(r->findings.empty());
  EXPECT_TRUE(std::any_of(r->findings.begin(), r->findings.end(),
                          [&](const SearchHit& h) { return h.id == id; }));
}

TEST_F(InvestigateTest, ClassifiesByShape) {
  EXPECT_EQ(classify_entity(*st_, "10.0.1.10"), EntityKind::kIp);
  EXPECT_EQ(classify_entity(*st_, "2001:db8::1"), EntityKind::kIp);
  EXPECT_EQ(classify_entity(*st_, "AKIAEXAMPLEEVE000001"), EntityKind::kAccessKey);
  EXPECT_EQ(classify_entity(*st_, "ASIAEXAMPLEDAVE00001"), EntityKind::kAccessKey);
  EXPECT_EQ(classify_entity(*st_, "i-0a1b2c3d4e5f60001"), EntityKind::kInstance);
  EXPECT_EQ(classify_entity(*st_, "eni-0a1b2c3d4e5f60001"), EntityKind::kEni);
  EXPECT_EQ(classify_entity(*st_, "arn:aws:iam::123456789012:user/eve"), EntityKind::kPrincipal);
  EXPECT_EQ(classify_entity(*st_, "eve"), EntityKind::kPrincipal);
  EXPECT_EQ(classify_entity(*st_, "i-nothex"), EntityKind::kPrincipal);
}

TEST(SearchArgs, TimesHoursAndPatterns) {
  int64_t ms = 0;
  std::string err;
  EXPECT_TRUE(parse_time_arg("2024-01-15T02:00Z", 0, &ms, &err));
  EXPECT_EQ(format_iso8601(ms), "2024-01-15T02:00:00Z");
  EXPECT_TRUE(parse_time_arg("2024-01-15", 0, &ms, &err));
  EXPECT_EQ(format_iso8601(ms), "2024-01-15T00:00:00Z");
  EXPECT_TRUE(parse_time_arg("7d", 8 * 86'400'000LL, &ms, &err));
  EXPECT_EQ(ms, 86'400'000LL);
  EXPECT_FALSE(parse_time_arg("yesterday", 0, &ms, &err));
  EXPECT_NE(err.find("yesterday"), std::string::npos);
  int a = 0, b = 0;
  EXPECT_TRUE(parse_hour_range("02-03", &a, &b, &err));
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 3);
  EXPECT_TRUE(parse_hour_range("22-02", &a, &b, &err));
  EXPECT_TRUE(hour_in_range(23 * 3'600'000LL, a, b));
  EXPECT_TRUE(hour_in_range(1 * 3'600'000LL, a, b));
  EXPECT_FALSE(hour_in_range(2 * 3'600'000LL, a, b));
  EXPECT_TRUE(parse_hour_range("2", &a, &b, &err));
  EXPECT_EQ(b, 3);
  EXPECT_FALSE(parse_hour_range("25-26", &a, &b, &err));
  EXPECT_FALSE(parse_hour_range("03-03", &a, &b, &err));
  EXPECT_TRUE(glob_match("Delete*SecurityGroup*", "DeleteSecurityGroup", false));
  EXPECT_FALSE(glob_match("Delete*SecurityGroup*", "RevokeSecurityGroupIngress", false));
  EXPECT_TRUE(glob_match("delete*", "DeleteBucket", true));
  EXPECT_TRUE(glob_match("Get?bject", "GetObject", false));
  EXPECT_FALSE(glob_match("Get?bject", "GetObjects", false));
}

// One address with more access keys and principals than a summary line shows: counts that tie,
// keys sharing their first 8 bytes (where the sort's fast key ties), keys shorter than 8 bytes and
// prefixes of one another, a key with bytes above 0x7f. The lists count every call and follow
// (count desc, value bytewise); the text form's cut lists are the first kSummaryListed of them with
// the same number of values, so the text is the same either way; JSON lists every value.
TEST(InvestigateSummary, ListsCountEveryCallAndCutOnlyForDisplay) {
  const fs::path dir =
      fs::temp_directory_path() / ("sentinel-investigate-lists-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  ASSERT_FALSE(ec) << dir;
  std::vector<std::string> keys = {
      "AKIA", "AKI", "AKIAEXAM", "AKIAEXAMP", "AKIAEXAM\xc3\xa9X", "ASIAZZZZZZZZZZZZ0001"};
  for (int i = 1; i <= 20; ++i) {
    char k[32];
    std::snprintf(k, sizeof k, "AKIAEXAMPLEKEY%06d", i);
    keys.emplace_back(k);
  }
  std::map<std::string, int64_t> want_keys, want_principals;
  std::string json = "{\"Records\":[";
  int n = 0;
  for (std::size_t j = 0; j < keys.size(); ++j) {
    for (std::size_t c = 0; c < j % 3 + 1; ++c) {
      const std::string principal =
          "arn:aws:iam::123456789012:user/u" + std::to_string((j * 7 + c) % 15);
      char id[40], t[32];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
      std::snprintf(t, sizeof t, "2024-03-09T%02d:%02d:00Z", n / 60 % 24, n % 60);
      if (n++) json += ",";
      json += std::string("{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",") +
              "\"arn\":\"" + principal + "\",\"accountId\":\"123456789012\",\"accessKeyId\":\"" +
              keys[j] + "\"},\"eventTime\":\"" + t +
              "\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
              "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.18.0.7\","
              "\"userAgent\":\"aws-cli/2\",\"eventID\":\"" +
              id + "\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"123456789012\"}";
      ++want_keys[keys[j]];
      ++want_principals[principal];
    }
  }
  json += "]}";
  const fs::path file = dir / "123456789012_CloudTrail_us-east-1_20240309T0000Z_lists.json";
  std::ofstream(file, std::ios::binary) << json;
  {
    auto st = Store::open((dir / "t.db").string(), OpenMode::kReadWrite);
    ASSERT_TRUE(st.ok()) << st.error().message;
    Writer w(st->get());
    ASSERT_TRUE(w.ok() && w.begin()) << w.error();
    BatchBuilder builder(6);
    FileBatch batch;
    batch.path = file.string();
    batch.size = json.size();
    batch.sha256 = sha256(json);
    builder.begin(&batch);
    ingest::Reader reader{ingest::ParseOptions{}};
    auto rep = reader.read(file.string(), builder);
    builder.finish();
    batch.type = rep.type;
    batch.readable = true;
    WriteCounts counts;
    ASSERT_TRUE(w.add(batch, &counts)) << w.error();
    ASSERT_TRUE(w.commit()) << w.error();
  }
  auto st = Store::open((dir / "t.db").string(), OpenMode::kReadOnly);
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto ordered = [](const std::map<std::string, int64_t>& m) {
    std::vector<std::pair<std::string, int64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return v;  // the map gave bytewise order within a count
  };
  auto values = [](const CountedList& l) {
    std::vector<std::pair<std::string, int64_t>> v;
    for (const auto& c : l.top) v.emplace_back(c.value, c.count);
    return v;
  };
  auto full = investigate(**st, "198.18.0.7", InvestigateOptions{});
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->cloudtrail_events, n);
  EXPECT_EQ(values(full->access_keys), ordered(want_keys));
  EXPECT_EQ(values(full->principals), ordered(want_principals));
  EXPECT_EQ(full->access_keys.distinct, keys.size());
  InvestigateOptions o;
  o.summary_limit = kSummaryListed;
  auto cut = investigate(**st, "198.18.0.7", o);
  ASSERT_TRUE(cut.ok()) << cut.error().message;
  for (const auto& [l, c, want] :
       {std::tuple{&full->access_keys, &cut->access_keys, ordered(want_keys)},
        std::tuple{&full->principals, &cut->principals, ordered(want_principals)}}) {
    ASSERT_GT(want.size(), kSummaryListed);
    EXPECT_EQ(c->distinct, want.size());
    EXPECT_EQ(values(*c), std::vector(want.begin(), want.begin() + kSummaryListed));
    EXPECT_EQ(l->top.size(), want.size());
  }
  std::string a, b;
  render_investigation_text(*full, &a);
  render_investigation_text(*cut, &b);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find(", ... " + std::to_string(keys.size() - kSummaryListed) + " more\n"),
            std::string::npos)
      << a;
  std::string js;
  render_investigation_json(*full, &js);
  for (const auto& k : keys) {
    if (k.find('\xc3') == std::string::npos) {
      EXPECT_NE(js.find("\"" + k + "\""), std::string::npos) << k;
    }
  }
  st->reset();
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace sentinel::store
