#include "enrich/aws_ranges.h"

#include <gtest/gtest.h>

#include <string>

namespace sentinel::enrich {
namespace {

std::string fixture(const char* name) {
  return std::string(SENTINEL_SOURCE_DIR) + "/tests/fixtures/enrich/" + name;
}

IpClassification cls(const AwsRanges& r, const char* text) {
  IpClassification c;
  EXPECT_TRUE(r.classify(text, &c)) << text;
  return c;
}

TEST(AwsRanges, LoadsFixture) {
  AwsRanges r;
  auto n = r.load_file(fixture("ip-ranges.json"));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(r.bad_entries(), 1u);
  EXPECT_EQ(r.sync_token(), "1700000000");
  EXPECT_EQ(r.create_date(), "2024-01-01-00-00-00");
}

TEST(AwsRanges, ClassifiesPrivateAlways) {
  AwsRanges r;  // nothing loaded
  for (const char* ip :
       {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
        "100.127.255.255", "127.0.0.1", "169.254.169.254", "fd00::1", "fc00::1", "fe80::1", "::1",
        "::ffff:10.1.2.3"}) {
    EXPECT_EQ(cls(r, ip).cls, IpClass::kPrivate) << ip;
  }
  for (const char* ip : {"172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
                         "11.0.0.1", "8.8.8.8", "2001:db8::1", "fec0::1", "192.0.2.1"}) {
    EXPECT_EQ(cls(r, ip).cls, IpClass::kPublic) << ip;
  }
}

TEST(AwsRanges, ClassifiesAwsWithService) {
  AwsRanges r;
  ASSERT_TRUE(r.load_file(fixture("ip-ranges.json")).ok());
  auto c = cls(r, "198.51.100.10");  // in the EC2 /25 and the AMAZON /24
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->service, "EC2");
  EXPECT_EQ(c.range->region, "us-east-1");
  EXPECT_EQ(c.range->prefix, "198.51.100.0/25");
  c = cls(r, "198.51.100.129");  // AMAZON /26 and AMAZON /24 only
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->service, "AMAZON");
  EXPECT_EQ(c.range->prefix, "198.51.100.128/26");
  c = cls(r, "198.51.100.255");
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->prefix, "198.51.100.0/24");
  c = cls(r, "192.0.2.200");  // same prefix under AMAZON and S3
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->service, "S3");
  EXPECT_EQ(c.range->network_border_group, "eu-west-1");
  c = cls(r, "2001:db8:10ff:ffff::1");
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->service, "EC2");
  c = cls(r, "2001:db8:1100::1");
  ASSERT_EQ(c.cls, IpClass::kAws);
  EXPECT_EQ(c.range->service, "AMAZON");
  EXPECT_EQ(cls(r, "2001:db8:2000::1").cls, IpClass::kPublic);
  EXPECT_EQ(cls(r, "198.51.101.0").cls, IpClass::kPublic);
  EXPECT_EQ(cls(r, "10.0.0.1").cls, IpClass::kPrivate);
  IpClassification x;
  EXPECT_FALSE(r.classify("not-an-ip", &x));
  EXPECT_STREQ(ip_class_name(IpClass::kAws), "aws");
}

TEST(AwsRanges, Errors) {
  AwsRanges r;
  EXPECT_EQ(r.load_json("{").error().code, "aws_ranges_format");
  EXPECT_EQ(r.load_json(R"({"syncToken":"1"})").error().code, "aws_ranges_format");
  EXPECT_EQ(r.load_file("/nonexistent/ip-ranges.json").error().code, "aws_ranges_unreadable");
  auto n = r.load_json(R"({"prefixes":[]})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

}  // namespace
}  // namespace sentinel::enrich
