// The reading pipeline end to end on bytes in memory: framing, gzip, limits, routing and the
// CloudTrail parser.
#include <zlib.h>

#include <algorithm>

#include "core/limits.h"
#include "ingest/reader.h"
#include "ingest/route.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

std::string gzip(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string record(int i, std::string_view extra = "") {
  return R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE"},"eventTime":"2024-01-15T02:0)" +
         std::to_string(i % 10) +
         R"(:00Z","eventSource":"ec2.amazonaws.com","eventName":"DeleteSecurityGroup","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15","requestParameters":{"groupId":"sg-1"},"responseElements":null,"eventID":"id-)" +
         std::to_string(i) + R"(","eventType":"AwsApiCall","recipientAccountId":"111122223333")" +
         std::string(extra) + "}";
}

struct ReadResult {
  JsonlSink sink;
  ingest::FileReport rep;
};

ReadResult read(std::string_view path, std::string_view bytes, ingest::ParseOptions opts = {}) {
  ReadResult r;
  ingest::Reader reader(opts);
  r.rep = reader.read_bytes(path, bytes, r.sink);
  return r;
}

TEST(Reader, RecordsFile) {
  std::string f = "{\"Records\":[" + record(1) + "," + record(2) + "]}";
  ReadResult r = read("x.json", f);
  EXPECT_EQ(r.rep.type, ingest::LogType::kCloudTrail);
  ASSERT_EQ(r.sink.events.size(), 2u);
  EXPECT_TRUE(r.sink.rejects.empty());
  EXPECT_NE(r.sink.events[0].find("\"event_name\":\"DeleteSecurityGroup\""), std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"time\":\"2024-01-15T02:01:00Z\""), std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"account\":\"111122223333\""), std::string::npos);
  // The whole record is kept, reachable by path.
  EXPECT_NE(r.sink.events[0].find("\"record\":{\"eventVersion\""), std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"groupId\":\"sg-1\""), std::string::npos);
}

TEST(Reader, TopLevelArrayNdjsonAndSingleObject) {
  EXPECT_EQ(read("a.json", "[" + record(1) + ",\n" + record(2) + "]").sink.events.size(), 2u);
  ReadResult nd = read("a.json", record(1) + "\n" + record(2) + "\r\n" + record(3) + "\n");
  EXPECT_EQ(nd.sink.events.size(), 3u);
  EXPECT_NE(nd.sink.events[2].find("\"line\":3"), std::string::npos);
  EXPECT_EQ(read("a.json", record(1)).sink.events.size(), 1u);
}

TEST(Reader, EventBridgeEnvelope) {
  std::string env =
      R"({"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"111122223333","time":"2024-01-15T02:00:00Z","region":"us-east-1","resources":[],"detail":)" +
      record(5) + "}";
  ReadResult r = read("eb.json", env);
  ASSERT_EQ(r.sink.events.size(), 1u);
  EXPECT_NE(r.sink.events[0].find("\"envelope_detail_type\":\"AWS API Call via CloudTrail\""),
            std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"record\":{\"eventVersion\":\"1.08\""), std::string::npos);
}

TEST(Reader, InsightsRecord) {
  std::string ins =
      R"({"Records":[{"eventVersion":"1.07","eventTime":"2024-01-15T02:00:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s1","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]})";
  ReadResult r = read("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/15/f.json", ins);
  ASSERT_EQ(r.sink.events.size(), 1u);
  EXPECT_NE(r.sink.events[0].find("\"event_name\":\"RunInstances\""), std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"insight\":{\"state\":\"Start\""), std::string::npos);
}

TEST(Reader, OneBadRecordCostsOnlyItself) {
  // A record with a missing '}' inside: the framer resynchronises at the next record.
  std::string broken = record(2);
  broken.erase(broken.find("}"), 1);
  std::string f = "{\"Records\":[\n" + record(1) + ",\n" + broken + ",\n" + record(3) + ",\n" +
                  record(4) + "\n]}";
  ReadResult r = read("x.json", f);
  EXPECT_EQ(r.sink.events.size(), 3u);
  ASSERT_EQ(r.sink.rejects.size(), 1u);
  EXPECT_EQ(r.sink.reasons[0], "invalid_json");
  EXPECT_NE(r.sink.rejects[0].find("\"record\":1"), std::string::npos);
  EXPECT_NE(r.sink.rejects[0].find("\"line\":3"), std::string::npos);
}

TEST(Reader, BadLineAmongNdjsonLines) {
  std::string f =
      record(1) + "\n{\"eventName\": tru\n" + record(3) + "\nnot json at all\n" + record(4) + "\n";
  ReadResult r = read("x.jsonl", f, {ingest::LogType::kCloudTrail});
  EXPECT_EQ(r.sink.events.size(), 3u);
  EXPECT_EQ(r.sink.rejects.size(), 2u);
}

TEST(Reader, TruncatedFileKeepsWholeRecords) {
  std::string f = "{\"Records\":[" + record(1) + "," + record(2) + "," + record(3);
  f.resize(f.size() - 40);
  ReadResult r = read("x.json", f);
  EXPECT_EQ(r.sink.events.size(), 2u);
  ASSERT_EQ(r.sink.rejects.size(), 1u);
  EXPECT_EQ(r.sink.reasons[0], "invalid_json");
}

TEST(Reader, Gzip) {
  std::string f = "{\"Records\":[" + record(1) + "," + record(2) + "]}";
  ReadResult r = read("x.json.gz", gzip(f));
  EXPECT_TRUE(r.rep.gzip);
  EXPECT_EQ(r.sink.events.size(), 2u);
  // Two concatenated members.
  ReadResult two = read("x.json.gz", gzip(record(1) + "\n") + gzip(record(2) + "\n"));
  EXPECT_EQ(two.sink.events.size(), 2u);
  // gzip of gzip.
  ReadResult nested = read("x.json.gz", gzip(gzip(f)));
  EXPECT_EQ(nested.sink.events.size(), 2u);
}

TEST(Reader, TruncatedGzipKeepsWhatDecoded) {
  std::string lines;
  for (int i = 0; i < 400; ++i) lines += record(i) + "\n";
  std::string gz = gzip(lines);
  gz.resize(gz.size() / 2);
  ReadResult r = read("x.json.gz", gz, {ingest::LogType::kCloudTrail});
  EXPECT_GT(r.sink.events.size(), 50u);
  EXPECT_LT(r.sink.events.size(), 400u);
  EXPECT_NE(std::find(r.sink.reasons.begin(), r.sink.reasons.end(), "truncated_gzip"),
            r.sink.reasons.end());
}

TEST(Reader, CorruptGzip) {
  std::string gz = gzip(record(1));
  for (std::size_t i = 12; i < gz.size() - 8; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  ReadResult r = read("x.json.gz", gz);
  EXPECT_TRUE(r.sink.events.empty());
  ASSERT_FALSE(r.sink.reasons.empty());
  EXPECT_TRUE(r.sink.reasons[0] == "bad_gzip" || r.sink.reasons[0] == "truncated_gzip");
}

TEST(Limits, DecompressedSizeIsCapped) {
  // A gzip bomb: 101 MiB of zeros in about 100 KB.
  std::string zeros(limits::kDefaultMaxDecompressedBytes + (1 << 20), '\0');
  ReadResult r = read("bomb.json.gz", gzip(zeros));
  ASSERT_EQ(r.sink.reasons.size(), 1u);
  EXPECT_EQ(r.sink.reasons[0], "decompressed_too_large");
  // The cap is configurable.
  ingest::ParseOptions small;
  small.max_decompressed = 100;
  ReadResult r2 = read("x.json.gz", gzip("{\"Records\":[" + record(1) + "]}"), small);
  ASSERT_EQ(r2.sink.reasons.size(), 1u);
  EXPECT_EQ(r2.sink.reasons[0], "decompressed_too_large");
}

TEST(Limits, RecordSize) {
  std::string big = record(1, ",\"pad\":\"" + std::string(limits::kMaxRecordBytes, 'x') + "\"");
  ReadResult r = read("x.json", "{\"Records\":[" + record(0) + "," + big + "," + record(2) + "]}");
  EXPECT_EQ(r.sink.events.size(), 2u);
  ASSERT_EQ(r.sink.reasons.size(), 1u);
  EXPECT_EQ(r.sink.reasons[0], "record_too_large");
  // Just under the limit is fine.
  std::string ok =
      record(1, ",\"pad\":\"" + std::string(limits::kMaxRecordBytes - 1000, 'x') + "\"");
  EXPECT_EQ(read("x.json", ok).sink.events.size(), 1u);
}

TEST(Limits, Depth) {
  std::string deep =
      std::string(limits::kMaxJsonDepth, '[') + std::string(limits::kMaxJsonDepth, ']');
  ReadResult r =
      read("x.json", "{\"Records\":[" + record(0, ",\"x\":" + deep) + "," + record(1) + "]}");
  EXPECT_EQ(r.sink.events.size(), 1u);
  ASSERT_EQ(r.sink.reasons.size(), 1u);
  EXPECT_EQ(r.sink.reasons[0], "too_deep");
  std::string fine =
      std::string(limits::kMaxJsonDepth - 2, '[') + std::string(limits::kMaxJsonDepth - 2, ']');
  EXPECT_EQ(read("x.json", record(0, ",\"x\":" + fine)).sink.events.size(), 1u);
}

TEST(Malformed, HundredThousandBrackets) {
  std::string f = std::string(100000, '[') + std::string(100000, ']');
  ReadResult r = read("x.json", f, {ingest::LogType::kCloudTrail});
  EXPECT_TRUE(r.sink.events.empty());
  EXPECT_FALSE(r.sink.rejects.empty());
  std::string open_only(100000, '{');
  ReadResult r2 = read("x.json", open_only, {ingest::LogType::kCloudTrail});
  EXPECT_TRUE(r2.sink.events.empty());
  EXPECT_FALSE(r2.sink.rejects.empty());
}

TEST(Malformed, EmptyOneByteBomCrlfNul) {
  EXPECT_EQ(read("x.json", "", {ingest::LogType::kCloudTrail}).sink.reasons,
            std::vector<std::string>{"empty_file"});
  EXPECT_EQ(read("x.json", "{", {ingest::LogType::kCloudTrail}).sink.reasons,
            std::vector<std::string>{"invalid_json"});
  ReadResult bom = read("x.json", "\xEF\xBB\xBF{\"Records\":[" + record(1) + "]}\r\n");
  EXPECT_EQ(bom.sink.events.size(), 1u);
  EXPECT_TRUE(bom.sink.rejects.empty());
  std::string nul = record(1) + "\n" + std::string("\0\0\0", 3) + "\n" + record(2) + "\n";
  ReadResult n = read("x.json", nul, {ingest::LogType::kCloudTrail});
  EXPECT_EQ(n.sink.events.size(), 2u);
  EXPECT_EQ(n.sink.rejects.size(), 1u);
}

TEST(Malformed, InvalidUtf8IsRejectedNotPassedOn) {
  std::string bad = record(2, ",\"x\":\"\xff\xfe\"");
  ReadResult r = read("x.json", "{\"Records\":[" + record(1) + "," + bad + "," + record(3) + "]}");
  EXPECT_EQ(r.sink.events.size(), 2u);
  EXPECT_EQ(r.sink.reasons, std::vector<std::string>{"invalid_utf8"});
}

TEST(Malformed, HugeStringsAndWrongTypes) {
  std::string huge = R"({"Records":[{"eventName":")" + std::string(500000, 'A') +
                     R"(","eventSource":"s3.amazonaws.com","eventTime":"2024-01-15T02:00:00Z"}]})";
  EXPECT_EQ(read("x.json", huge).sink.events.size(), 1u);
  ReadResult wrong = read("x.json", R"({"Records":[{"eventName":42,"eventSource":"x"}]})");
  EXPECT_EQ(wrong.sink.reasons, std::vector<std::string>{"bad_field_type"});
  ReadResult time = read("x.json", R"({"Records":[{"eventName":"A","eventTime":"yesterday"}]})");
  EXPECT_EQ(time.sink.reasons, std::vector<std::string>{"bad_time"});
  ReadResult not_ct = read("x.json", R"({"Records":[{"hello":"world"}, 5]})");
  EXPECT_EQ(not_ct.sink.reasons, (std::vector<std::string>{"not_an_event", "not_an_event"}));
}

TEST(CloudTrail, EventVersionComparesAsIntegers) {
  uint16_t maj = 0, min = 0;
  ASSERT_TRUE(ingest::parse_event_version("1.10", &maj, &min));
  EXPECT_EQ(maj, 1);
  EXPECT_EQ(min, 10);
  uint16_t min9 = 0;
  ASSERT_TRUE(ingest::parse_event_version("1.9", &maj, &min9));
  EXPECT_GT(min, min9);
  ASSERT_TRUE(ingest::parse_event_version("1.08", &maj, &min));
  EXPECT_EQ(min, 8);
  EXPECT_FALSE(ingest::parse_event_version("1", &maj, &min));
  EXPECT_FALSE(ingest::parse_event_version("x.y", &maj, &min));
}

TEST(CloudTrail, LogstashTimestampWhenNoEventTime) {
  ReadResult r = read(
      "x.json",
      R"({"eventName":"ListBuckets","eventSource":"s3.amazonaws.com","@timestamp":"2020-09-14T01:19:40.123Z"})");
  ASSERT_EQ(r.sink.events.size(), 1u);
  EXPECT_NE(r.sink.events[0].find("\"time\":\"2020-09-14T01:19:40.123Z\""), std::string::npos);
  EXPECT_NE(r.sink.events[0].find("\"time_from\":\"@timestamp\""), std::string::npos);
  ReadResult none =
      read("x.json", R"({"eventName":"ListBuckets","eventSource":"s3.amazonaws.com"})");
  ASSERT_EQ(none.sink.events.size(), 1u);
  EXPECT_NE(none.sink.events[0].find("\"time\":null"), std::string::npos);
}

TEST(Route, ByS3Key) {
  auto p = ingest::route_by_path(
      "bucket/prefix/AWSLogs/o-exampleorg/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz");
  EXPECT_EQ(p.type, ingest::LogType::kCloudTrail);
  EXPECT_EQ(p.account, "111122223333");
  EXPECT_EQ(p.region, "us-east-2");
  EXPECT_EQ(p.org, "o-exampleorg");
  p = ingest::route_by_path(
      "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/15/"
      "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240115T020000Z.json.gz");
  EXPECT_EQ(p.type, ingest::LogType::kDigest);
  p = ingest::route_by_path(
      "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/"
      "year=2024/month=01/day=15/f.log.gz");
  EXPECT_EQ(p.type, ingest::LogType::kVpcFlow);
  EXPECT_EQ(p.region, "eu-west-1");
  EXPECT_EQ(p.account, "111122223333");
  p = ingest::route_by_path("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc/2024/01/15/f.log.gz");
  EXPECT_EQ(p.type, ingest::LogType::kRoute53);
  p = ingest::route_by_path(
      "downloads/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz");
  EXPECT_EQ(p.type, ingest::LogType::kVpcFlow);
  EXPECT_EQ(p.region, "us-east-1");
  EXPECT_EQ(ingest::route_by_path("random/file.json").type, ingest::LogType::kUnknown);
}

TEST(Route, ByContent) {
  EXPECT_EQ(ingest::sniff_content("{\"Records\":[{}]}"), ingest::LogType::kCloudTrail);
  EXPECT_EQ(ingest::sniff_content("{\"awsAccountId\":\"1\",\"digestStartTime\":\"x\"}"),
            ingest::LogType::kDigest);
  EXPECT_EQ(ingest::sniff_content("version account-id interface-id srcaddr dstaddr srcport "
                                  "dstport protocol packets bytes start end action log-status\n"),
            ingest::LogType::kVpcFlow);
  EXPECT_EQ(ingest::sniff_content("hello world\n"), ingest::LogType::kUnknown);
}

TEST(Reader, DigestIsListedNotParsed) {
  ReadResult r = read(
      "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/15/"
      "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240115T020000Z.json",
      R"({"awsAccountId":"111122223333","digestStartTime":"2024-01-15T01:00:00Z","logFiles":[]})");
  EXPECT_TRUE(r.sink.events.empty());
  EXPECT_EQ(r.sink.digests.size(), 1u);
}

}  // namespace
}  // namespace sentinel::testing

namespace sentinel::testing {
namespace {

TEST(Reader, RecordsKeyNeedNotComeFirst) {
  std::string f = "{\"version\":\"1\",\"nested\":{\"Records\":5},\"Records\":[" + record(1) + "," +
                  record(2) + "],\"tail\":true}";
  ReadResult r = read("x.json", f);
  EXPECT_EQ(r.sink.events.size(), 2u);
  EXPECT_TRUE(r.sink.rejects.empty());
}

TEST(Reader, RejectsInsideRecordsArraysCarryLines) {
  ReadResult r = read("x.json", "{\"Records\":[\n" + record(1) + ",\n{\"eventName\":42}\n]}");
  ASSERT_EQ(r.sink.rejects.size(), 1u);
  EXPECT_NE(r.sink.rejects[0].find("\"line\":3"), std::string::npos);
}

}  // namespace
}  // namespace sentinel::testing

#include "ingest/sources/inputs.h"

namespace sentinel::testing {
namespace {

TEST(Inputs, DeliveryTimeKeys) {
  EXPECT_EQ(
      ingest::delivery_time_key("a/AWSLogs/1/CloudTrail/us-east-1/2015/08/01/"
                                "111122223333_CloudTrail_us-east-1_20150801T0210Z_Mu0Ks.json.gz"),
      "20150801T021000");
  EXPECT_EQ(ingest::delivery_time_key("x/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_"
                                      "20240115T020000Z.json.gz"),
            "20240115T020000");
  EXPECT_EQ(ingest::delivery_time_key("AWSLogs/1/GuardDuty/us-east-1/2024/06/03/abc.jsonl.gz"),
            "20240603T000000");
  EXPECT_EQ(ingest::delivery_time_key("aws-account-id=1/aws-service=vpcflowlogs/aws-region=r/"
                                      "year=2024/month=01/day=15/hour=07/f.log.gz"),
            "20240115T070000");
  EXPECT_EQ(ingest::delivery_time_key("plain.json"), "");
}

TEST(Inputs, OrderByDeliveryTime) {
  std::vector<ingest::Input> in = {{"b/1_CloudTrail_r_20240101T0300Z_x.json.gz"},
                                   {"loose.json"},
                                   {"a/1_vpcflowlogs_r_fl-1_20240101T0100Z_y.log.gz"},
                                   {"c/1_CloudTrail_r_20240101T0200Z_z.json.gz"}};
  ingest::order_by_delivery_time(&in);
  ASSERT_EQ(in.size(), 4u);
  EXPECT_EQ(in[0].path, "loose.json");
  EXPECT_EQ(in[1].path, "a/1_vpcflowlogs_r_fl-1_20240101T0100Z_y.log.gz");
  EXPECT_EQ(in[2].path, "c/1_CloudTrail_r_20240101T0200Z_z.json.gz");
  EXPECT_EQ(in[3].path, "b/1_CloudTrail_r_20240101T0300Z_x.json.gz");
}

}  // namespace
}  // namespace sentinel::testing
