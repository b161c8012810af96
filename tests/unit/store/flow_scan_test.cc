// kept_lines: the narrowing of a flow block to the lines that can hold a wanted id or address
// before they are parsed. Whatever the block, parsing the kept lines and keeping the records
// equal to the key must give exactly the records that parsing the whole block gives.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/ip.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "store/flows_analytics.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

using ingest::FlowField;

// Every record's line of a block, in order, that `keep` accepts.
template <typename Keep>
std::vector<std::string> parse_lines(const std::string& block, const std::string& format,
                                     Keep keep) {
  struct Sink : ingest::EventSink {
    Keep* keep;
    std::vector<std::string> out;
    void on_flow(const ingest::FlowRecord& f) override {
      if ((*keep)(f)) out.emplace_back(f.line);
    }
    void on_cloudtrail(const ingest::CloudTrailEvent&) override {}
    void on_dns(const ingest::DnsQuery&) override {}
    void on_guardduty(const ingest::GuardDutyFinding&) override {}
    void on_digest(const ingest::DigestFile&) override {}
    void on_reject(const Reject&) override {}
  } sink;
  sink.keep = &keep;
  ingest::ParseOptions options;
  options.flow_format = format;
  ingest::FileContext ctx;
  ctx.path = "block";
  ctx.options = &options;
  std::string data = block;
  const std::size_t size = data.size();
  data.append(ingest::kPadding, '\0');
  ingest::VpcFlowParser parser;
  parser.parse(std::string_view(data.data(), size), ctx, sink);
  return sink.out;
}

// Both ways of reading `block` for one key: by interface id, or by address when it is one.
void expect_same(const std::string& block, const std::string& key, const std::string& format = "") {
  IpAddr ip;
  const bool is_ip = IpAddr::parse(key, &ip);
  auto match = [&](const ingest::FlowRecord& f) {
    return is_ip ? (f.srcaddr == ip || f.dstaddr == ip) : f.get(FlowField::kInterfaceId) == key;
  };
  std::string kept;
  uint64_t lines = 0;
  kept_lines(block, {is_ip ? ip.to_string() : key}, &kept, &lines);
  EXPECT_EQ(parse_lines(kept, format, match), parse_lines(block, format, match)) << key;
  EXPECT_LE(kept.size(), block.size() + 64);
}

TEST(FlowScan, CorpusFileGivesTheSameRecordsForEveryKey) {
  const auto p = source_dir().parent_path() / "shared/corpus/panther-labs__panther-analysis/" /
                 "_extracted/test_scenarios/compromised-root-creds__attacker_vpc.vpcflow.log";
  const std::filesystem::path corpus = std::filesystem::exists(p)
                                           ? p
                                           : std::filesystem::path(
                                                 "/work/shared/corpus/panther-labs__panther-"
                                                 "analysis/_extracted/test_scenarios/"
                                                 "compromised-root-creds__attacker_vpc."
                                                 "vpcflow.log");
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "corpus not present: " << corpus;
  const std::string block = slurp(corpus);
  ASSERT_FALSE(block.empty());
  // Its first line is a header: the kept lines must keep it, or nothing would parse the same.
  for (const std::string key : {"eni-0b13344793d4fde67", "172.31.77.31", "92.55.146.245",
                                "eni-00000000000000000", "10.0.0.1", "2.31.77.31"}) {
    expect_same(block, key);
  }
  std::string kept;
  uint64_t lines = 0;
  // The header, then the 4 of its 6 records that name the attacker's address.
  kept_lines(block, {"92.55.146.245"}, &kept, &lines);
  EXPECT_EQ(parse_lines(kept, "", [](const ingest::FlowRecord&) { return true; }).size(), 4U);
  EXPECT_EQ(lines, 5U);
  kept_lines(block, {"eni-00000000000000000"}, &kept, &lines);
  EXPECT_EQ(parse_lines(kept, "", [](const ingest::FlowRecord&) { return true; }).size(), 0U);
  EXPECT_EQ(lines, 5U + 1U);
}

TEST(FlowScan, GeneratedBlocksGiveTheSameRecords) {
  std::mt19937 rng(7);
  const std::vector<std::string> enis = {"eni-0a1", "eni-0a10", "eni-0b2", "eni-0a1x"};
  const std::vector<std::string> ips = {"10.0.0.1",  "10.0.0.11",   "110.0.0.1",
                                        "10.0.0.1x", "2001:db8::1", "10.0.0.2"};
  for (int round = 0; round < 200; ++round) {
    std::string block;
    if (round % 3 == 0) block += "\xEF\xBB\xBF";
    if (round % 5 == 0) block += "\n  \r\n";
    const int lines = static_cast<int>(rng() % 30);
    for (int i = 0; i < lines; ++i) {
      if (rng() % 11 == 0) block += "\n";  // blank lines
      block += "2 123456789012 " + enis[rng() % enis.size()] + " " + ips[rng() % ips.size()] + " " +
               ips[rng() % ips.size()] + " 443 49152 6 10 840 1600000000 1600000060 " +
               (rng() % 2 ? "ACCEPT" : "REJECT") + " OK";
      if (rng() % 7 == 0) block += "\r";
      if (i + 1 < lines || rng() % 2) block += "\n";
    }
    for (const auto& k : enis) expect_same(block, k);
    for (const auto& k : {"10.0.0.1", "10.0.0.11", "110.0.0.1", "10.0.0.2", "10.0.0.3"}) {
      expect_same(block, k);
    }
  }
}

TEST(FlowScan, HeaderShapedFirstLineIsStillTheFirstLine) {
  // A custom format whose lines are all words: a header-shaped line decides the columns only
  // when it is the first non-blank line, and the narrowing must not make a later line first.
  const std::string format = "${interface-id} ${flow-direction}";
  const std::string block =
      "\n eni-a ingress\neni-b egress\ninterface-id flow-direction\neni-b x\n";
  for (const std::string key : {"eni-a", "eni-b", "eni-c"}) expect_same(block, key, format);
  // Here the second line, a record whose interface id is `interface-id`, would be taken for a
  // header (and skipped) if it were the first line that the parser sees.
  const std::string words = "eni-a ingress\ninterface-id egress\n";
  expect_same(words, "interface-id", format);
  EXPECT_EQ(parse_lines(words, format, [](const ingest::FlowRecord&) { return true; }).size(), 2U);
}

TEST(FlowScan, EveryNeedleMustBeOnTheLine) {
  const std::string block =
      "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"
      "2 1 eni-a 10.0.0.1 10.0.0.3 1 2 6 1 1 1 2 ACCEPT OK\n"
      "2 1 eni-b 10.0.0.2 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK\n"
      "2 1 eni-b 10.0.0.3 10.0.0.4 1 2 6 1 1 1 2 ACCEPT OK";
  std::string kept;
  uint64_t lines = 0;
  kept_lines(block, {"10.0.0.1", "10.0.0.2"}, &kept, &lines);
  // The first line always, then the third (both addresses); the second and fourth are left out.
  EXPECT_EQ(kept,
            "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n"
            "2 1 eni-b 10.0.0.2 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK\n");
  EXPECT_EQ(lines, 2U);
  kept.clear();
  kept_lines("", {"x"}, &kept, &lines);
  EXPECT_EQ(kept, "");
}

}  // namespace
}  // namespace sentinel::store
