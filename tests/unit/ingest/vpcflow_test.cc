#include "ingest/parsers/vpcflow/vpcflow.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/json_writer.h"
#include "ingest/event_json.h"

namespace sentinel::ingest {
namespace {

// A flow record copied out of the callback (the parser's views die with it).
struct CapturedFlow {
  FlowRecord rec;  // views into the input buffer (alive in the test); extras below
  std::string json;
  std::string row;
  std::string account;
  std::string region;
  std::vector<std::pair<std::string, std::string>> extras;
};

struct CapturedReject {
  SourceRef where;
  std::string path;
  RejectReason reason;
  std::string detail;
  uint64_t records;
};

class CaptureSink : public EventSink {
 public:
  void on_cloudtrail(const CloudTrailEvent&) override {}
  void on_flow(const FlowRecord& f) override {
    CapturedFlow c;
    c.rec = f;
    c.rec.extra_names = nullptr;
    c.rec.extra_values = nullptr;
    JsonWriter w(&c.json);
    w.begin_object();
    write_flow_json(f, w);
    w.end_object();
    write_flow_table_row(f, &c.row);
    c.account = std::string(f.meta.account);
    c.region = std::string(f.meta.region);
    for (std::size_t i = 0; i < f.extra_count; ++i) {
      c.extras.emplace_back(std::string(f.extra_names[i]), std::string(f.extra_values[i]));
    }
    flows.push_back(std::move(c));
  }
  void on_dns(const DnsQuery&) override {}
  void on_guardduty(const GuardDutyFinding&) override {}
  void on_digest(const DigestFile&) override {}
  void on_reject(const Reject& r) override {
    rejects.push_back(CapturedReject{r.where, std::string(r.where.path), r.reason,
                                     std::string(r.detail), r.records});
  }

  std::vector<CapturedFlow> flows;
  std::vector<CapturedReject> rejects;
};

// Owns the input with the padding the parser contract promises.
struct Input {
  explicit Input(std::string text) : bytes(std::move(text)) {
    size = bytes.size();
    bytes.append(kPadding, '\0');
  }
  std::string_view view() const { return std::string_view(bytes.data(), size); }
  std::string bytes;
  std::size_t size;
};

struct Run {
  Input input;
  CaptureSink sink;
};

std::unique_ptr<Run> parse(std::string text, std::string flow_format = "",
                           std::string_view account = "", std::string_view region = "") {
  auto run = std::make_unique<Run>(Run{Input(std::move(text)), {}});
  static ParseOptions options;
  options.flow_format = std::move(flow_format);
  FileContext ctx;
  ctx.path = "test.log";
  ctx.path_info.account = account;
  ctx.path_info.region = region;
  ctx.options = &options;
  VpcFlowParser parser;
  parser.parse(run->input.view(), ctx, run->sink);
  return run;
}

constexpr const char* kV2Line =
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK";

TEST(VpcFlow, DefaultV2Format) {
  auto r = parse(std::string(kV2Line) + "\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const FlowRecord& f = r->sink.flows[0].rec;
  EXPECT_EQ(f.meta.type, LogType::kVpcFlow);
  EXPECT_EQ(f.meta.time_ms, int64_t{1418530010} * 1000);
  EXPECT_EQ(r->sink.flows[0].account, "123456789010");
  EXPECT_EQ(f.version, 2);
  EXPECT_EQ(f.get(FlowField::kInterfaceId), "eni-1235b8ca123456789");
  EXPECT_TRUE(f.srcaddr.v4);
  EXPECT_EQ(f.srcaddr.to_string(), "172.31.16.139");
  EXPECT_EQ(f.dstaddr.to_string(), "172.31.16.21");
  EXPECT_EQ(f.srcport, 20641);
  EXPECT_EQ(f.dstport, 22);
  EXPECT_EQ(f.protocol, 6);
  EXPECT_EQ(f.packets, 20);
  EXPECT_EQ(f.bytes, 4249);
  EXPECT_EQ(f.start, 1418530010);
  EXPECT_EQ(f.end, 1418530070);
  EXPECT_EQ(f.action, FlowAction::kAccept);
  EXPECT_EQ(f.log_status, FlowLogStatus::kOk);
  EXPECT_FALSE(f.in_format(FlowField::kVpcId));
  EXPECT_EQ(f.meta.ref.record, 0);
  EXPECT_EQ(f.meta.ref.line, 1u);
  EXPECT_EQ(f.meta.ref.offset, 0u);
  EXPECT_EQ(f.meta.ref.path, "test.log");
  EXPECT_EQ(r->sink.flows[0].json,
            "{\"version\":2,\"account_id\":\"123456789010\",\"interface_id\":"
            "\"eni-1235b8ca123456789\",\"srcaddr\":\"172.31.16.139\",\"dstaddr\":\"172.31.16.21\","
            "\"srcport\":20641,\"dstport\":22,\"protocol\":6,\"packets\":20,\"bytes\":4249,"
            "\"start\":1418530010,\"end\":1418530070,\"action\":\"ACCEPT\",\"log_status\":\"OK\"}");
  EXPECT_EQ(r->sink.flows[0].row,
            "2014-12-14T04:06:50Z 172.31.16.139:20641 -> 172.31.16.21:22 tcp ACCEPT 4249B 20pk "
            "eni-1235b8ca123456789");
}

TEST(VpcFlow, HeaderV2) {
  auto r = parse(
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n" +
      std::string(kV2Line) + "\n" + kV2Line + "\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 2u);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.record, 0);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.line, 2u);
  EXPECT_EQ(r->sink.flows[1].rec.meta.ref.record, 1);
  EXPECT_EQ(r->sink.flows[1].rec.meta.ref.line, 3u);
}

// Every field of v2–v8, in AWS's documented order, through a header line.
constexpr const char* kAllFieldsHeader =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
    "pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name "
    "ecs-container-instance-arn ecs-container-instance-id ecs-container-id "
    "ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id "
    "reject-reason";
constexpr const char* kAllFieldsLine =
    "8 123456789012 eni-0123456789abcdef0 10.0.1.5 52.95.128.179 49152 443 6 12 3456 "
    "1700000000 1700000060 REJECT OK vpc-0abc subnet-0def i-0123 19 IPv4 10.0.1.5 "
    "52.95.128.179 us-east-1 use1-az1 wavelength wlz-1 - S3 egress 8 "
    "arn:aws:ecs:us-east-1:123456789012:cluster/c1 c1 "
    "arn:aws:ecs:us-east-1:123456789012:container-instance/c1/abc abc cid1 cid2 svc "
    "arn:aws:ecs:us-east-1:123456789012:task-definition/td:3 "
    "arn:aws:ecs:us-east-1:123456789012:task/c1/t1 t1 BPA";

TEST(VpcFlow, AllFieldsV2ToV8ThroughHeader) {
  auto r = parse(std::string(kAllFieldsHeader) + "\n" + kAllFieldsLine + "\n", "", "999", "eu");
  ASSERT_EQ(r->sink.rejects.size(), 0u) << r->sink.rejects[0].detail;
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const auto& c = r->sink.flows[0];
  const FlowRecord& f = c.rec;
  EXPECT_EQ(f.version, 8);
  EXPECT_EQ(c.account, "123456789012");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(f.action, FlowAction::kReject);
  EXPECT_EQ(f.tcp_flags, 19);
  EXPECT_EQ(f.traffic_path, 8);
  EXPECT_EQ(f.flow_direction, FlowDirection::kEgress);
  EXPECT_EQ(f.pkt_srcaddr.to_string(), "10.0.1.5");
  EXPECT_EQ(f.pkt_dstaddr.to_string(), "52.95.128.179");
  EXPECT_TRUE(f.in_format(FlowField::kPktSrcAwsService));
  EXPECT_FALSE(f.has(FlowField::kPktSrcAwsService));
  EXPECT_EQ(f.get(FlowField::kPktDstAwsService), "S3");
  EXPECT_EQ(f.get(FlowField::kVpcId), "vpc-0abc");
  EXPECT_EQ(f.get(FlowField::kSubnetId), "subnet-0def");
  EXPECT_EQ(f.get(FlowField::kInstanceId), "i-0123");
  EXPECT_EQ(f.get(FlowField::kType), "IPv4");
  EXPECT_EQ(f.get(FlowField::kAzId), "use1-az1");
  EXPECT_EQ(f.get(FlowField::kSublocationType), "wavelength");
  EXPECT_EQ(f.get(FlowField::kSublocationId), "wlz-1");
  EXPECT_EQ(f.get(FlowField::kEcsClusterArn), "arn:aws:ecs:us-east-1:123456789012:cluster/c1");
  EXPECT_EQ(f.get(FlowField::kEcsClusterName), "c1");
  EXPECT_EQ(f.get(FlowField::kEcsContainerInstanceArn),
            "arn:aws:ecs:us-east-1:123456789012:container-instance/c1/abc");
  EXPECT_EQ(f.get(FlowField::kEcsContainerInstanceId), "abc");
  EXPECT_EQ(f.get(FlowField::kEcsContainerId), "cid1");
  EXPECT_EQ(f.get(FlowField::kEcsSecondContainerId), "cid2");
  EXPECT_EQ(f.get(FlowField::kEcsServiceName), "svc");
  EXPECT_EQ(f.get(FlowField::kEcsTaskDefinitionArn),
            "arn:aws:ecs:us-east-1:123456789012:task-definition/td:3");
  EXPECT_EQ(f.get(FlowField::kEcsTaskArn), "arn:aws:ecs:us-east-1:123456789012:task/c1/t1");
  EXPECT_EQ(f.get(FlowField::kEcsTaskId), "t1");
  EXPECT_EQ(f.get(FlowField::kRejectReason), "BPA");
  EXPECT_NE(c.json.find("\"pkt_src_aws_service\":null,\"pkt_dst_aws_service\":\"S3\","
                        "\"flow_direction\":\"egress\",\"traffic_path\":8,"),
            std::string::npos)
      << c.json;
  EXPECT_NE(c.json.find("\"tcp_flags\":19,\"type\":\"IPv4\""), std::string::npos);
  EXPECT_NE(c.json.find("\"reject_reason\":\"BPA\"}"), std::string::npos);
}

TEST(VpcFlow, TransitGatewayFieldsAndNewerFields) {
  const std::string header =
      "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
      "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id "
      "tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr "
      "dstaddr srcport dstport protocol packets bytes start end log-status type "
      "packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded "
      "packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service "
      "pkt-dst-aws-service resource-id encryption-status";
  const std::string line =
      "6 TransitGateway 123456789123 tgw-3b86 tgw-attach-3e0b 111111111111 222222222222 "
      "vpc-3620 vpc-3da8 subnet-3fbc subnet-3abc eni-008f eni-309f use1-az1 use1-az2 - "
      "10.100.8.1 10.200.8.2 43228 53 6 1 1600 1766848875 1766848933 OK IPv4 1 0 2 0 2 "
      "us-east-1 egress - - tgw-3b86 1";
  auto r = parse(header + "\n" + line + "\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u) << r->sink.rejects[0].detail;
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const FlowRecord& f = r->sink.flows[0].rec;
  EXPECT_EQ(f.version, 6);
  EXPECT_EQ(f.get(FlowField::kResourceType), "TransitGateway");
  EXPECT_EQ(f.get(FlowField::kTgwId), "tgw-3b86");
  EXPECT_EQ(f.get(FlowField::kTgwAttachmentId), "tgw-attach-3e0b");
  EXPECT_EQ(f.get(FlowField::kTgwSrcVpcAccountId), "111111111111");
  EXPECT_EQ(f.get(FlowField::kTgwDstVpcAccountId), "222222222222");
  EXPECT_EQ(f.get(FlowField::kTgwSrcVpcId), "vpc-3620");
  EXPECT_EQ(f.get(FlowField::kTgwDstVpcId), "vpc-3da8");
  EXPECT_EQ(f.get(FlowField::kTgwSrcSubnetId), "subnet-3fbc");
  EXPECT_EQ(f.get(FlowField::kTgwDstSubnetId), "subnet-3abc");
  EXPECT_EQ(f.get(FlowField::kTgwSrcEni), "eni-008f");
  EXPECT_EQ(f.get(FlowField::kTgwDstEni), "eni-309f");
  EXPECT_EQ(f.get(FlowField::kTgwSrcAzId), "use1-az1");
  EXPECT_EQ(f.get(FlowField::kTgwDstAzId), "use1-az2");
  EXPECT_FALSE(f.has(FlowField::kTgwPairAttachmentId));
  EXPECT_EQ(f.packets_lost_no_route, 1);
  EXPECT_EQ(f.packets_lost_blackhole, 0);
  EXPECT_EQ(f.packets_lost_mtu_exceeded, 2);
  EXPECT_EQ(f.packets_lost_ttl_expired, 0);
  EXPECT_EQ(f.get(FlowField::kResourceId), "tgw-3b86");
  EXPECT_EQ(f.get(FlowField::kEncryptionStatus), "1");
  EXPECT_FALSE(f.in_format(FlowField::kAction));
  EXPECT_EQ(f.action, FlowAction::kNone);
  const std::string& j = r->sink.flows[0].json;
  EXPECT_NE(j.find("\"packets_lost_no_route\":1,\"packets_lost_blackhole\":0,"), std::string::npos)
      << j;
  EXPECT_NE(j.find("\"resource_id\":\"tgw-3b86\",\"encryption_status\":1}"), std::string::npos);
  EXPECT_EQ(j.find("\"action\""), std::string::npos);
}

TEST(VpcFlow, FlowFormatOption) {
  const std::string fmt =
      "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} "
      "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} "
      "${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}";
  auto r = parse(
      "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 "
      "eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 "
      "52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK\n",
      fmt);
  ASSERT_EQ(r->sink.rejects.size(), 0u) << r->sink.rejects[0].detail;
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const FlowRecord& f = r->sink.flows[0].rec;
  EXPECT_EQ(f.version, 3);
  EXPECT_EQ(f.bytes, 568);
  EXPECT_EQ(f.packets, 8);
  EXPECT_EQ(f.tcp_flags, 2);
  EXPECT_EQ(f.get(FlowField::kType), "IPv4");
}

TEST(VpcFlow, FlowFormatWinsOverHeaderAndHeaderIsSkipped) {
  auto r = parse("srcaddr dstaddr\n" + std::string(kV2Line) + "\n",
                 "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} "
                 "${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} "
                 "${log-status}");
  EXPECT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 1u);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.line, 2u);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.record, 0);
}

TEST(VpcFlow, BadFlowFormatIsOneFileReject) {
  for (const char* fmt :
       {"version account-id", "${version} ${version}", "${} ${srcaddr}", "${ver sion}"}) {
    auto r = parse(std::string(kV2Line) + "\n" + kV2Line + "\n", fmt);
    EXPECT_EQ(r->sink.flows.size(), 0u) << fmt;
    ASSERT_EQ(r->sink.rejects.size(), 1u) << fmt;
    EXPECT_EQ(r->sink.rejects[0].reason, RejectReason::kBadHeader);
    EXPECT_EQ(r->sink.rejects[0].where.record, -1);
    EXPECT_NE(r->sink.rejects[0].detail.find("flow-format"), std::string::npos);
  }
}

TEST(VpcFlow, DuplicateHeaderFieldIsBadHeader) {
  auto r = parse("version srcaddr srcaddr\n2 1.2.3.4 1.2.3.4\n");
  EXPECT_EQ(r->sink.flows.size(), 0u);
  ASSERT_EQ(r->sink.rejects.size(), 1u);
  EXPECT_EQ(r->sink.rejects[0].reason, RejectReason::kBadHeader);
  EXPECT_EQ(r->sink.rejects[0].where.line, 1u);
}

TEST(VpcFlow, UnderscoreHeaderAndUnknownFields) {
  auto r = parse(
      "version account_id srcaddr my-custom-field LOG_STATUS future_thing\n"
      "9 123 10.0.0.1 hello OK -\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u) << r->sink.rejects[0].detail;
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const auto& c = r->sink.flows[0];
  EXPECT_EQ(c.account, "123");
  EXPECT_EQ(c.rec.log_status, FlowLogStatus::kOk);
  ASSERT_EQ(c.extras.size(), 2u);
  EXPECT_EQ(c.extras[0].first, "my_custom_field");
  EXPECT_EQ(c.extras[0].second, "hello");
  EXPECT_EQ(c.extras[1].first, "future_thing");
  EXPECT_EQ(c.extras[1].second, "");
  EXPECT_EQ(c.json,
            "{\"version\":9,\"account_id\":\"123\",\"srcaddr\":\"10.0.0.1\",\"log_status\":\"OK\","
            "\"my_custom_field\":\"hello\",\"future_thing\":null}");
}

TEST(VpcFlow, DashIsMissingNotZero) {
  auto r = parse("2 - eni-1 - - - - - - - - - - OK\n", "", "555555555555", "us-west-2");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 1u);
  const auto& c = r->sink.flows[0];
  EXPECT_EQ(c.account, "555555555555");  // from the path
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.rec.meta.time_ms, kNoTime);
  EXPECT_TRUE(c.rec.in_format(FlowField::kSrcport));
  EXPECT_FALSE(c.rec.has(FlowField::kSrcport));
  EXPECT_FALSE(c.rec.has(FlowField::kSrcaddr));
  EXPECT_FALSE(c.rec.has(FlowField::kAccountId));
  EXPECT_EQ(c.rec.get(FlowField::kAccountId), "");
  EXPECT_EQ(c.json,
            "{\"version\":2,\"account_id\":null,\"interface_id\":\"eni-1\",\"srcaddr\":null,"
            "\"dstaddr\":null,\"srcport\":null,\"dstport\":null,\"protocol\":null,\"packets\":null,"
            "\"bytes\":null,\"start\":null,\"end\":null,\"action\":null,\"log_status\":\"OK\"}");

  auto z = parse("2 1 eni-1 10.0.0.1 10.0.0.2 0 0 1 0 0 0 0 ACCEPT OK\n");
  ASSERT_EQ(z->sink.flows.size(), 1u);
  EXPECT_TRUE(z->sink.flows[0].rec.has(FlowField::kSrcport));
  EXPECT_EQ(z->sink.flows[0].rec.srcport, 0);
  EXPECT_EQ(z->sink.flows[0].rec.meta.time_ms, 0);
}

TEST(VpcFlow, NoDataAndSkipData) {
  auto r = parse(
      "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n"
      "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 2u);
  EXPECT_EQ(r->sink.flows[0].rec.log_status, FlowLogStatus::kNoData);
  EXPECT_EQ(r->sink.flows[1].rec.log_status, FlowLogStatus::kSkipData);
  EXPECT_EQ(r->sink.flows[0].rec.action, FlowAction::kNone);
  EXPECT_EQ(r->sink.flows[0].rec.meta.time_ms, int64_t{1431280876} * 1000);
  EXPECT_NE(r->sink.flows[0].row.find("NODATA"), std::string::npos);
}

TEST(VpcFlow, Ipv6) {
  auto r = parse(
      "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
      "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT "
      "OK\n"
      "2 1 eni-1 2a02:cf40:: ::ffff:10.0.0.1 1 2 58 1 1 1 1 ACCEPT OK\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 2u);
  EXPECT_FALSE(r->sink.flows[0].rec.srcaddr.v4);
  EXPECT_EQ(r->sink.flows[0].rec.srcaddr.to_string(), "2001:db8:1234:a100:8d6e:3477:df66:f105");
  EXPECT_NE(r->sink.flows[0].row.find("[2001:db8:1234:a100:8d6e:3477:df66:f105]:34892"),
            std::string::npos);
  EXPECT_EQ(r->sink.flows[1].rec.srcaddr.to_string(), "2a02:cf40::");
  EXPECT_NE(r->sink.flows[1].row.find("icmpv6"), std::string::npos);
}

TEST(VpcFlow, CrlfBomTrailingSpacesBlankLinesNoFinalNewline) {
  auto r = parse(
      "\xEF\xBB\xBFversion account-id interface-id srcaddr dstaddr srcport dstport "
      "protocol packets bytes start end action log-status\r\n\r\n" +
      std::string(kV2Line) + "  \r\n   \n" + kV2Line + "\t\r\n" + kV2Line);
  ASSERT_EQ(r->sink.rejects.size(), 0u) << r->sink.rejects[0].detail;
  ASSERT_EQ(r->sink.flows.size(), 3u);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.line, 3u);
  EXPECT_EQ(r->sink.flows[1].rec.meta.ref.line, 5u);
  EXPECT_EQ(r->sink.flows[2].rec.meta.ref.line, 6u);
  EXPECT_EQ(r->sink.flows[2].rec.meta.ref.record, 2);
  EXPECT_EQ(r->sink.flows[2].rec.log_status, FlowLogStatus::kOk);
  EXPECT_EQ(r->sink.flows[0].rec.get(FlowField::kLogStatus), "OK");
}

TEST(VpcFlow, BomWithoutHeader) {
  auto r = parse("\xEF\xBB\xBF" + std::string(kV2Line) + "\n");
  ASSERT_EQ(r->sink.rejects.size(), 0u);
  ASSERT_EQ(r->sink.flows.size(), 1u);
  EXPECT_EQ(r->sink.flows[0].rec.version, 2);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.offset, 3u);  // offsets count the BOM
}

TEST(VpcFlow, DoubleSpacesSeparateFields) {
  auto r = parse("2  123 eni-1 10.0.0.1   10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n");
  EXPECT_EQ(r->sink.rejects.size(), 0u);
  EXPECT_EQ(r->sink.flows.size(), 1u);
}

TEST(VpcFlow, NulAndNonAsciiBytes) {
  std::string nul = kV2Line;
  nul[nul.find("eni-") + 2] = '\0';
  std::string high = kV2Line;
  high.replace(high.find("ACCEPT"), 6, "ACC\xC3\xA9PT");
  auto r = parse(nul + "\n" + high + "\n" + kV2Line + "\n");
  ASSERT_EQ(r->sink.flows.size(), 1u);
  ASSERT_EQ(r->sink.rejects.size(), 2u);
  EXPECT_EQ(r->sink.rejects[0].reason, RejectReason::kBadValue);
  EXPECT_NE(r->sink.rejects[0].detail.find("interface-id"), std::string::npos)
      << r->sink.rejects[0].detail;
  EXPECT_NE(r->sink.rejects[0].detail.find("NUL"), std::string::npos);
  EXPECT_EQ(r->sink.rejects[1].reason, RejectReason::kBadValue);
  EXPECT_NE(r->sink.rejects[1].detail.find("action"), std::string::npos)
      << r->sink.rejects[1].detail;
  EXPECT_EQ(r->sink.rejects[1].where.line, 2u);
  EXPECT_EQ(r->sink.rejects[1].where.record, 1);
  EXPECT_EQ(r->sink.flows[0].rec.meta.ref.record, 2);
}

TEST(VpcFlow, WrongFieldCounts) {
  auto r = parse("2 123 eni-1 10.0.0.1\n" + std::string(kV2Line) + " extra\n");
  ASSERT_EQ(r->sink.rejects.size(), 2u);
  EXPECT_EQ(r->sink.rejects[0].reason, RejectReason::kBadFieldCount);
  EXPECT_EQ(r->sink.rejects[0].detail, "expected 14 fields, got 4");
  EXPECT_EQ(r->sink.rejects[1].detail, "expected 14 fields, got 15");
  EXPECT_EQ(r->sink.rejects[1].where.line, 2u);
  EXPECT_EQ(r->sink.rejects[1].where.offset, 21u);
  EXPECT_EQ(r->sink.rejects[1].where.path, "test.log");
}

TEST(VpcFlow, BadPorts) {
  auto r = parse(
      "2 1 eni-1 10.0.0.1 10.0.0.2 65536 22 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 22 http 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 65535 -1 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 65535 0 6 1 1 1 1 ACCEPT OK\n");
  ASSERT_EQ(r->sink.rejects.size(), 3u);
  for (const auto& rj : r->sink.rejects) EXPECT_EQ(rj.reason, RejectReason::kBadPort);
  EXPECT_EQ(r->sink.rejects[0].detail, "srcport: not a port (0-65535): \"65536\"");
  EXPECT_NE(r->sink.rejects[1].detail.find("dstport"), std::string::npos);
  ASSERT_EQ(r->sink.flows.size(), 1u);
  EXPECT_EQ(r->sink.flows[0].rec.srcport, 65535);
}

TEST(VpcFlow, BadIps) {
  auto r = parse(
      "2 1 eni-1 10.0.0.256 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 2001:db8:::1 1 2 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 010.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 host.example 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n");
  ASSERT_EQ(r->sink.rejects.size(), 4u);
  for (const auto& rj : r->sink.rejects) EXPECT_EQ(rj.reason, RejectReason::kBadIp);
  EXPECT_EQ(r->sink.rejects[1].detail, "dstaddr: not an IP address: \"2001:db8:::1\"");
}

TEST(VpcFlow, BadNumbersAndValues) {
  auto r = parse(
      "x 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 256 1 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1e3 1 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 99999999999999999999 1 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 -5 1 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1.5 ACCEPT OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 accept OK\n"
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT FINE\n");
  ASSERT_EQ(r->sink.flows.size(), 0u);
  ASSERT_EQ(r->sink.rejects.size(), 8u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(r->sink.rejects[i].reason, RejectReason::kBadNumber) << i;
  }
  EXPECT_EQ(r->sink.rejects[6].reason, RejectReason::kBadValue);
  EXPECT_EQ(r->sink.rejects[7].reason, RejectReason::kBadValue);
  EXPECT_NE(r->sink.rejects[7].detail.find("log-status"), std::string::npos);

  auto t = parse("version tcp-flags\n3 SYN\n3 -\n");
  ASSERT_EQ(t->sink.rejects.size(), 1u);
  EXPECT_EQ(t->sink.rejects[0].reason, RejectReason::kBadValue);
  ASSERT_EQ(t->sink.flows.size(), 1u);
  EXPECT_FALSE(t->sink.flows[0].rec.has(FlowField::kTcpFlags));
}

TEST(VpcFlow, DetailQuotesAtMostSixtyBytes) {
  std::string big(500, '9');
  auto r = parse("2 1 eni-1 10.0.0.1 10.0.0.2 " + big + " 2 6 1 1 1 1 ACCEPT OK\n");
  ASSERT_EQ(r->sink.rejects.size(), 1u);
  EXPECT_LT(r->sink.rejects[0].detail.size(), 100u);
  EXPECT_NE(r->sink.rejects[0].detail.find("..."), std::string::npos);
}

TEST(VpcFlow, HugeLineIsSkipped) {
  std::string huge = "2 1 eni-" + std::string(limits::kMaxLineBytes + 10, 'a') +
                     " 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK";
  auto r = parse(std::string(kV2Line) + "\n" + huge + "\n" + kV2Line + "\n");
  ASSERT_EQ(r->sink.rejects.size(), 1u);
  EXPECT_EQ(r->sink.rejects[0].reason, RejectReason::kLineTooLong);
  EXPECT_EQ(r->sink.rejects[0].where.line, 2u);
  EXPECT_EQ(r->sink.rejects[0].where.record, 1);
  ASSERT_EQ(r->sink.flows.size(), 2u);
  EXPECT_EQ(r->sink.flows[1].rec.meta.ref.line, 3u);
  EXPECT_EQ(r->sink.flows[1].rec.meta.ref.record, 2);

  // A huge first line (no header possible) and a huge last line without newline.
  auto h = parse(huge + "\n" + kV2Line + "\n" + huge);
  EXPECT_EQ(h->sink.rejects.size(), 2u);
  EXPECT_EQ(h->sink.flows.size(), 1u);
}

TEST(VpcFlow, OneBadLineAmongGood) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += (i == 17) ? "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 MAYBE OK" : kV2Line;
    text += '\n';
  }
  auto r = parse(text);
  ASSERT_EQ(r->sink.rejects.size(), 1u);
  EXPECT_EQ(r->sink.rejects[0].where.line, 18u);
  EXPECT_EQ(r->sink.rejects[0].where.record, 17);
  ASSERT_EQ(r->sink.flows.size(), 49u);
  EXPECT_EQ(r->sink.flows[17].rec.meta.ref.record, 18);
}

TEST(VpcFlow, HeaderOnlyAndEmptyFiles) {
  auto r = parse("version account-id interface-id srcaddr\n");
  EXPECT_EQ(r->sink.flows.size(), 0u);
  EXPECT_EQ(r->sink.rejects.size(), 0u);
  auto e = parse("");
  EXPECT_EQ(e->sink.flows.size(), 0u);
  EXPECT_EQ(e->sink.rejects.size(), 0u);
  auto b = parse("\n\n  \r\n");
  EXPECT_EQ(b->sink.flows.size(), 0u);
  EXPECT_EQ(b->sink.rejects.size(), 0u);
}

TEST(VpcFlow, ParserIsReusableAcrossFiles) {
  ParseOptions options;
  FileContext ctx;
  ctx.path = "a.log";
  ctx.options = &options;
  VpcFlowParser parser;
  CaptureSink sink;
  Input a("version srcaddr x-extra\n2 10.0.0.1 v\n");
  parser.parse(a.view(), ctx, sink);
  Input b(std::string(kV2Line) + "\n");
  parser.parse(b.view(), ctx, sink);
  ASSERT_EQ(sink.flows.size(), 2u);
  EXPECT_EQ(sink.flows[0].extras.size(), 1u);
  EXPECT_EQ(sink.flows[1].extras.size(), 0u);
  EXPECT_FALSE(sink.flows[1].rec.in_format(FlowField::kVpcId));
  EXPECT_TRUE(sink.flows[1].rec.in_format(FlowField::kLogStatus));
  EXPECT_FALSE(sink.flows[0].rec.in_format(FlowField::kLogStatus));
}

TEST(VpcFlow, Sniffing) {
  EXPECT_TRUE(VpcFlowParser::looks_like_flow_header(
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status"));
  EXPECT_TRUE(VpcFlowParser::looks_like_flow_header("\xEF\xBB\xBFversion account_id\r\n"));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_header(kV2Line));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_header("{\"Records\":[]}"));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_header("hello world"));
  EXPECT_TRUE(VpcFlowParser::looks_like_flow_line(kV2Line));
  EXPECT_TRUE(VpcFlowParser::looks_like_flow_line(
      "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_line("{\"version\":\"1.0\"}"));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_line("OK then"));
  EXPECT_FALSE(VpcFlowParser::looks_like_flow_line(""));
}

TEST(VpcFlow, FieldNames) {
  for (std::size_t i = 0; i < kFlowFieldCount; ++i) {
    auto f = static_cast<FlowField>(i);
    FlowField back;
    ASSERT_TRUE(flow_field_from_name(flow_field_name(f), &back)) << i;
    EXPECT_EQ(back, f);
    ASSERT_TRUE(flow_field_from_name(flow_field_json_name(f), &back)) << i;
    EXPECT_EQ(back, f);
  }
}

// ---- Conformance with the public corpus ----

std::filesystem::path corpus_dir() {
  if (const char* env = std::getenv("SENTINEL_CORPUS"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef SENTINEL_SOURCE_DIR
  return std::filesystem::path(SENTINEL_SOURCE_DIR) / ".." / "shared" / "corpus";
#else
  return {};
#endif
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

// The 14 default-format names as the corpus spells them under aws.vpc.
constexpr std::array<FlowField, 14> kV2Fields = {
    FlowField::kVersion, FlowField::kAccountId, FlowField::kInterfaceId, FlowField::kSrcaddr,
    FlowField::kDstaddr, FlowField::kSrcport,   FlowField::kDstport,     FlowField::kProtocol,
    FlowField::kPackets, FlowField::kBytes,     FlowField::kStart,       FlowField::kEnd,
    FlowField::kAction,  FlowField::kLogStatus};

std::string parsed_text(const FlowRecord& f, FlowField field) {
  switch (field) {
    case FlowField::kVersion:
      return std::to_string(f.version);
    case FlowField::kSrcaddr:
      return f.srcaddr.to_string();
    case FlowField::kDstaddr:
      return f.dstaddr.to_string();
    case FlowField::kSrcport:
      return std::to_string(f.srcport);
    case FlowField::kDstport:
      return std::to_string(f.dstport);
    case FlowField::kProtocol:
      return std::to_string(f.protocol);
    case FlowField::kPackets:
      return std::to_string(f.packets);
    case FlowField::kBytes:
      return std::to_string(f.bytes);
    case FlowField::kStart:
      return std::to_string(f.start);
    case FlowField::kEnd:
      return std::to_string(f.end);
    case FlowField::kAction:
      return f.action == FlowAction::kAccept   ? "ACCEPT"
             : f.action == FlowAction::kReject ? "REJECT"
                                               : "-";
    case FlowField::kLogStatus:
      return f.log_status == FlowLogStatus::kOk       ? "OK"
             : f.log_status == FlowLogStatus::kNoData ? "NODATA"
                                                      : "SKIPDATA";
    default:
      return std::string(f.get(field));
  }
}

using Mismatch = std::tuple<std::string, std::size_t, std::string>;  // file, record, field

// Records where the sample's own parsed fields disagree with its `body` line: the samples were
// written by hand. In sample.json every odd record's aws.vpc describes the reverse flow (src and
// dst swapped, 440 bytes, REJECT) of a body copied from the even record; in aws_vpc-logs.json the
// first body says account 121111111111 where aws.vpc says 111111111111. The parser follows the
// body. Any mismatch not listed here fails the test, and so does a listed one that disappears.
std::set<Mismatch> known_corpus_mismatches() {
  const std::string sample = "sample.json";
  const std::string schema = "aws_vpc-logs.json";
  const std::vector<std::string> reversed = {"srcaddr", "dstaddr", "srcport",
                                             "dstport", "bytes",   "action"};
  std::set<Mismatch> out;
  for (std::size_t i = 1; i < 22; i += 2) {
    for (const auto& f : reversed) out.emplace(sample, i, f);
  }
  for (const auto& f : reversed) out.emplace(schema, 1, f);
  out.emplace(schema, 0, "account-id");
  return out;
}

TEST(VpcFlowCorpus, OpenSearchSamplesParseAndMatch) {
  const std::filesystem::path dir = corpus_dir();
  const std::filesystem::path base = dir / "opensearch-project__opensearch-catalog";
  if (dir.empty() || !std::filesystem::is_directory(base)) {
    if (in_ci()) FAIL() << "corpus not found at " << dir << " (set SENTINEL_CORPUS)";
    GTEST_SKIP() << "corpus not found at " << dir;
  }
  const std::vector<std::filesystem::path> files = {
      base / "integrations/observability/amazon_vpc_flow/data/sample.json",
      base / "docs/schema/observability/logs/sample/aws/aws_vpc-logs.json"};

  std::set<Mismatch> mismatches;
  std::size_t checked_records = 0;
  for (const auto& file : files) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    simdjson::dom::parser json;
    simdjson::dom::element doc;
    ASSERT_EQ(json.load(file.string()).get(doc), simdjson::SUCCESS) << file;
    simdjson::dom::array records;
    ASSERT_EQ(doc.get_array().get(records), simdjson::SUCCESS);
    std::size_t index = 0;
    for (simdjson::dom::element rec : records) {
      std::string_view body;
      ASSERT_EQ(rec["body"].get_string().get(body), simdjson::SUCCESS) << file << " " << index;
      simdjson::dom::object vpc;
      ASSERT_EQ(rec["aws"]["vpc"].get_object().get(vpc), simdjson::SUCCESS);

      auto run = parse(std::string(body) + "\n");
      ASSERT_EQ(run->sink.rejects.size(), 0u) << file << " " << index << ": " << body;
      ASSERT_EQ(run->sink.flows.size(), 1u);
      const FlowRecord& f = run->sink.flows[0].rec;

      for (FlowField field : kV2Fields) {
        const std::string_view name = flow_field_name(field);
        simdjson::dom::element value;
        ASSERT_EQ(vpc[name].get(value), simdjson::SUCCESS) << file << " " << index << " " << name;
        std::string expected;
        if (value.is_string()) {
          expected = std::string(value.get_string().value());
        } else if (value.is_int64()) {
          expected = std::to_string(value.get_int64().value());
        } else {
          FAIL() << file << " " << index << " " << name << ": unexpected JSON type";
        }
        const std::string got = parsed_text(f, field);
        if (got != expected) mismatches.emplace(file.filename().string(), index, name);
      }
      ++checked_records;
      ++index;
    }
  }
  EXPECT_EQ(checked_records, 24u);
  const std::set<Mismatch> known = known_corpus_mismatches();
  for (const auto& m : mismatches) {
    EXPECT_TRUE(known.count(m)) << "unexpected mismatch: " << std::get<0>(m) << " record "
                                << std::get<1>(m) << " field " << std::get<2>(m);
  }
  for (const auto& m : known) {
    EXPECT_TRUE(mismatches.count(m)) << "known mismatch no longer seen: " << std::get<0>(m)
                                     << " record " << std::get<1>(m) << " field " << std::get<2>(m);
  }
}

// The first line of a file always takes the general path; later default-v2 lines try the fast
// path first. Each line must come out the same either way: record, JSON, row, reject and detail.
TEST(VpcFlow, FastPathAgreesWithGeneralPath) {
  const std::vector<std::string> lines = {
      kV2Line,
      "2 1 eni-1 0.0.0.0 255.255.255.255 0 65535 255 0 0 0 0 REJECT OK",
      "2 1 eni-1 10.0.0.1 2001:db8::1 1 2 17 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 ::ffff:1.2.3.4 1:2:3:4:5:6:7:8 1 2 17 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1:2:3:4:5:6:7:8:9 10.0.0.1 1 2 17 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1::2::3 10.0.0.1 1 2 17 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 01.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 256.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4.5 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 65536 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 256 1 2 3 4 ACCEPT OK",
      "2147483648 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "0002 1 eni-1 1.2.3.4 10.0.0.1 00080 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 9223372036854775807 9223372036854775808 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1234567890123456 12345678901234567 3 4 ACCEPT OK",
      "2 - eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 - - - - - - - 3 4 - NODATA",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 accept OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OKAY",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK extra",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 ACCEPT OK",
      "2  1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2\t1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK ",
      "2 1 eni-\x01 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      "2 1 eni-\xc3\xa9 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK",
      std::string("2 1 eni-1 1.2.3.4 10.0.0.1 1 2 6 1 2 3 4 ACCEPT OK\0", 52),
  };
  for (const std::string& line : lines) {
    for (const char* eol : {"\n", "\r\n", ""}) {
      SCOPED_TRACE(line + " / eol " + std::to_string(std::string_view(eol).size()));
      auto general = parse(line + eol);
      auto fast = parse(std::string(kV2Line) + "\n" + line + eol);
      ASSERT_EQ(fast->sink.flows.size() + fast->sink.rejects.size(), 2u);
      ASSERT_EQ(general->sink.flows.size(), fast->sink.flows.size() - 1);
      ASSERT_EQ(general->sink.rejects.size(), fast->sink.rejects.size());
      if (!general->sink.flows.empty()) {
        const CapturedFlow& g = general->sink.flows[0];
        const CapturedFlow& f = fast->sink.flows[1];
        EXPECT_EQ(g.json, f.json);
        EXPECT_EQ(g.row, f.row);
        EXPECT_EQ(g.account, f.account);
        EXPECT_EQ(g.rec.present_mask, f.rec.present_mask);
        EXPECT_EQ(g.rec.srcaddr, f.rec.srcaddr);
        EXPECT_EQ(g.rec.dstaddr, f.rec.dstaddr);
        EXPECT_EQ(f.rec.meta.ref.line, 2u);
        EXPECT_EQ(f.rec.meta.ref.record, 1);
      } else {
        EXPECT_EQ(general->sink.rejects[0].reason, fast->sink.rejects[0].reason);
        EXPECT_EQ(general->sink.rejects[0].detail, fast->sink.rejects[0].detail);
        EXPECT_EQ(fast->sink.rejects[0].where.line, 2u);
      }
    }
  }
}

}  // namespace
}  // namespace sentinel::ingest
