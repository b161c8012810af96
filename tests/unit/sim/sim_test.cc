#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/generator.h"
#include "sim_test_support.h"

namespace fs = std::filesystem;
using sentinel::sim::DatasetOptions;

namespace {

using sentinel::sim::testing::gunzip;
using sentinel::sim::testing::read_all;

/// Every regular file under `root`, relative path -> contents.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_all(e.path());
  }
  return files;
}

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ =
        fs::temp_directory_path() /
        ("sentinel_sim_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
  }
  void TearDown() override { fs::remove_all(base_); }

  DatasetOptions small(const std::string& dir, std::uint64_t seed, unsigned jobs) {
    DatasetOptions o;
    o.out_dir = base_ / dir;
    o.events = 3000;
    o.flows = 20000;
    o.plain_events = 1500;
    o.plain_flows = 5000;
    o.seed = seed;
    o.jobs = jobs;
    return o;
  }

  fs::path base_;
};

TEST_F(SimTest, SameSeedGivesByteIdenticalOutputWhateverTheJobs) {
  ASSERT_TRUE(sentinel::sim::generate_dataset(small("a", 42, 1)).ok());
  ASSERT_TRUE(sentinel::sim::generate_dataset(small("b", 42, 3)).ok());
  const auto a = snapshot(base_ / "a");
  const auto b = snapshot(base_ / "b");
  ASSERT_GT(a.size(), 10u);
  EXPECT_EQ(a, b);
}

TEST_F(SimTest, DifferentSeedGivesDifferentOutput) {
  ASSERT_TRUE(sentinel::sim::generate_dataset(small("a", 1, 2)).ok());
  ASSERT_TRUE(sentinel::sim::generate_dataset(small("b", 2, 2)).ok());
  EXPECT_NE(read_all(base_ / "a" / "cloudtrail.json"), read_all(base_ / "b" / "cloudtrail.json"));
}

TEST_F(SimTest, CloudTrailFilesAreValidJsonWithExpectedCountsAndShape) {
  auto summary = sentinel::sim::generate_dataset(small("a", 7, 2));
  ASSERT_TRUE(summary.ok());
  simdjson::dom::parser parser;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
  std::set<std::string> names, types, versions, sources;
  bool saw_error = false, saw_hostname_ip = false, saw_resources = false, saw_tls = false;
  auto check_doc = [&](const std::string& json) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS);  // also validates UTF-8
    simdjson::dom::array recs;
    ASSERT_EQ(doc["Records"].get_array().get(recs), simdjson::SUCCESS);
    for (simdjson::dom::element r : recs) {
      ++records;
      std::string_view s;
      ASSERT_EQ(r["eventName"].get_string().get(s), simdjson::SUCCESS);
      names.emplace(s);
      ASSERT_EQ(r["eventSource"].get_string().get(s), simdjson::SUCCESS);
      sources.emplace(s);
      ASSERT_EQ(r["eventVersion"].get_string().get(s), simdjson::SUCCESS);
      versions.emplace(s);
      ASSERT_EQ(r["eventID"].get_string().get(s), simdjson::SUCCESS);
      EXPECT_EQ(s.size(), 36u);
      ASSERT_EQ(r["eventTime"].get_string().get(s), simdjson::SUCCESS);
      EXPECT_EQ(s.size(), 20u);
      ASSERT_EQ(r["recipientAccountId"].get_string().get(s), simdjson::SUCCESS);
      EXPECT_EQ(s.size(), 12u);
      ASSERT_EQ(r["sourceIPAddress"].get_string().get(s), simdjson::SUCCESS);
      if (s.find("amazonaws.com") != std::string_view::npos) saw_hostname_ip = true;
      if (r["userIdentity"]["type"].get_string().get(s) == simdjson::SUCCESS) types.emplace(s);
      if (r["errorCode"].error() == simdjson::SUCCESS) saw_error = true;
      if (r["resources"].error() == simdjson::SUCCESS) saw_resources = true;
      if (r["tlsDetails"].error() == simdjson::SUCCESS) saw_tls = true;
    }
  };
  for (const auto& e : fs::recursive_directory_iterator(base_ / "a" / "cloudtrail")) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(name.substr(name.size() - 8), ".json.gz");
    EXPECT_NE(name.find("_CloudTrail_"), std::string::npos);
    const std::string json = gunzip(read_all(e.path()));
    bytes += json.size();
    ++files;
    check_doc(json);
  }
  EXPECT_EQ(records, 3000u);
  EXPECT_EQ(files, summary->cloudtrail_tree.files);
  EXPECT_EQ(bytes, summary->cloudtrail_tree.raw_bytes);
  const double avg = static_cast<double>(bytes) / static_cast<double>(records);
  EXPECT_GT(avg, 1300.0);
  EXPECT_LT(avg, 2200.0);
  EXPECT_GE(names.size(), 40u);
  EXPECT_GE(sources.size(), 11u);
  for (const char* t : {"IAMUser", "AssumedRole", "AWSService", "FederatedUser"}) {
    EXPECT_TRUE(types.count(t)) << t;
  }
  // The benign background never uses root credentials: root use is always a finding.
  EXPECT_FALSE(types.count("Root"));
  EXPECT_TRUE(versions.count("1.08") && versions.count("1.11"));
  EXPECT_TRUE(saw_error && saw_hostname_ip && saw_resources && saw_tls);

  records = 0;
  check_doc(read_all(base_ / "a" / "cloudtrail.json"));
  EXPECT_EQ(records, 1500u);
}

TEST_F(SimTest, FlowFilesHaveHeaderAndFourteenFields) {
  auto summary = sentinel::sim::generate_dataset(small("a", 9, 2));
  ASSERT_TRUE(summary.ok());
  auto check = [](const std::string& text, std::uint64_t& lines, std::uint64_t& nodata,
                  std::uint64_t& reject, std::uint64_t& v6) {
    std::istringstream in(text);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, sentinel::sim::kFlowHeader);
    while (std::getline(in, line)) {
      ++lines;
      std::istringstream fields(line);
      std::vector<std::string> f;
      for (std::string w; fields >> w;) f.push_back(w);
      ASSERT_EQ(f.size(), 14u) << line;
      EXPECT_EQ(f[0], "2");
      EXPECT_EQ(f[2].rfind("eni-", 0), 0u);
      if (f[13] == "NODATA") ++nodata;
      if (f[12] == "REJECT") ++reject;
      if (f[3].find(':') != std::string::npos) ++v6;
      if (f[13] == "OK") {
        for (int k : {3, 4}) {
          unsigned char addr[16];
          const int family = f[k].find(':') != std::string::npos ? AF_INET6 : AF_INET;
          EXPECT_EQ(inet_pton(family, f[k].c_str(), addr), 1) << f[k];
        }
      }
    }
  };
  std::uint64_t lines = 0, nodata = 0, reject = 0, v6 = 0;
  for (const auto& e : fs::recursive_directory_iterator(base_ / "a" / "vpcflow")) {
    if (!e.is_regular_file()) continue;
    EXPECT_NE(e.path().filename().string().find("_vpcflowlogs_"), std::string::npos);
    check(gunzip(read_all(e.path())), lines, nodata, reject, v6);
  }
  EXPECT_EQ(lines, 20000u);
  EXPECT_GT(nodata, 0u);
  EXPECT_GT(reject, 0u);
  EXPECT_GT(v6, 0u);
  const double avg = static_cast<double>(summary->flow_tree.raw_bytes) / 20000.0;
  EXPECT_GT(avg, 95.0);
  EXPECT_LT(avg, 135.0);
  lines = 0;
  check(read_all(base_ / "a" / "vpcflow.log"), lines, nodata, reject, v6);
  EXPECT_EQ(lines, 5000u);
}

}  // namespace
