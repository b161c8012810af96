// Reading a large plain (uncompressed, memory-mapped) file keeps peak RSS bounded: the reader
// drops the consumed prefix of the mapping as the parser moves on, so resident file pages stay
// near the release step instead of growing with the file. Every event is still delivered, with
// the same content as reading the bytes from memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/reader.h"

namespace sentinel::testing {
namespace {

// File-backed resident memory of this process (kB), from /proc/self/status.
long rss_file_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  }
  return -1;
}

class CountingSink : public ingest::EventSink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    ++events;
    last_key = std::string(e.event_id);
    sample();
  }
  void on_flow(const ingest::FlowRecord& f) override {
    ++events;
    bytes += static_cast<uint64_t>(f.bytes);
    last_key = std::string(f.get(ingest::FlowField::kSrcaddr));
    sample();
  }
  void on_dns(const ingest::DnsQuery&) override { ++events; }
  void on_guardduty(const ingest::GuardDutyFinding&) override { ++events; }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }

  uint64_t events = 0, rejects = 0, bytes = 0;
  long max_rss_file_kb = 0;
  std::string last_key;

 private:
  void sample() {
    if (events % 20000 != 0) return;
    long kb = rss_file_kb();
    if (kb > max_rss_file_kb) max_rss_file_kb = kb;
  }
};

std::string temp_path(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/sentinel-reader-mem-" +
         std::to_string(getpid()) + "-" + name;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

TEST(ReaderMemory, LargeFlowFileStaysBoundedAndComplete) {
  // About 60 MB of default-format v2 lines.
  std::string data =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status\n";
  const int kLines = 600000;
  uint64_t want_bytes = 0;
  for (int i = 0; i < kLines; ++i) {
    std::string src = "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) +
                      "." + std::to_string(i & 255);
    uint64_t b = 40 + static_cast<uint64_t>(i % 997);
    want_bytes += b;
    data += "2 123456789012 eni-0a1b2c3d4e5f60718 " + src + " 172.31.16.21 49152 443 6 10 " +
            std::to_string(b) + " 1418530010 1418530070 ACCEPT OK\n";
  }
  ASSERT_GT(data.size(), std::size_t{48} << 20);
  std::string path = temp_path("flow.log");
  write_file(path, data);
  data.clear();
  data.shrink_to_fit();

  ingest::ParseOptions opts;
  opts.forced_type = ingest::LogType::kVpcFlow;
  ingest::Reader reader(opts);
  CountingSink sink;
  long before = rss_file_kb();
  ingest::FileReport rep = reader.read(path, sink);
  std::remove(path.c_str());

  EXPECT_TRUE(rep.readable);
  EXPECT_EQ(sink.events, static_cast<uint64_t>(kLines));
  EXPECT_EQ(sink.rejects, 0u);
  EXPECT_EQ(sink.bytes, want_bytes);
  EXPECT_EQ(sink.last_key, "10.9.39.191");  // line 599999
  ASSERT_GE(before, 0);
  // Without releasing, the whole ~60 MB file would be resident by the end.
  EXPECT_LT(sink.max_rss_file_kb - before, 24 * 1024)
      << "resident file pages grew with the file: " << sink.max_rss_file_kb - before << " kB";
}

TEST(ReaderMemory, LargeCloudTrailDocumentStaysBoundedAndComplete) {
  // One {"Records":[...]} document of about 40 MB, as CloudTrail delivers (but bigger).
  std::string rec_head =
      R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"2024-01-15T02:01:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","requestParameters":{"filter":")";
  std::string padding(200, 'x');
  std::string data = "{\"Records\":[";
  const int kRecords = 80000;
  for (int i = 0; i < kRecords; ++i) {
    if (i > 0) data += ",";
    data += rec_head + padding + R"("},"responseElements":null,"eventID":"id-)" +
            std::to_string(i) +
            R"(","eventType":"AwsApiCall","recipientAccountId":"111122223333"})";
  }
  data += "]}";
  ASSERT_GT(data.size(), std::size_t{32} << 20);
  std::string path = temp_path("cloudtrail.json");
  write_file(path, data);
  data.clear();
  data.shrink_to_fit();

  ingest::ParseOptions opts;
  ingest::Reader reader(opts);
  CountingSink sink;
  long before = rss_file_kb();
  ingest::FileReport rep = reader.read(path, sink);
  std::remove(path.c_str());

  EXPECT_TRUE(rep.readable);
  EXPECT_EQ(rep.type, ingest::LogType::kCloudTrail);
  EXPECT_EQ(sink.events, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(sink.rejects, 0u);
  EXPECT_EQ(sink.last_key, "id-79999");
  EXPECT_LT(sink.max_rss_file_kb - before, 24 * 1024)
      << "resident file pages grew with the file: " << sink.max_rss_file_kb - before << " kB";
}

}  // namespace
}  // namespace sentinel::testing
