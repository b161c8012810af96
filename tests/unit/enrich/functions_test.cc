#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "detect/event_view.h"
#include "detect/functions/dns.h"
#include "detect/functions/geo_distance.h"
#include "detect/functions/ip.h"
#include "detect/functions/registry.h"
#include "enrich/aws_ranges.h"
#include "enrich/lists.h"
#include "ingest/parsers/route53/route53.h"

namespace sentinel::detect {
namespace {

using functions::dns_entropy;
using functions::dns_entropy_part;
using functions::dns_label_stats;
using functions::haversine_km;
using functions::shannon_entropy;

// A Route 53 event whose raw JSON is `json`, with the padding simdjson reads past the end.
class JsonEvent {
 public:
  explicit JsonEvent(const std::string& json) : storage_(json + std::string(64, ' ')) {
    q_.meta.type = ingest::LogType::kRoute53;
    q_.raw = std::string_view(storage_).substr(0, json.size());
    view_ = std::make_unique<EventView>(q_, scratch_.get());
  }
  const EventView& view() const { return *view_; }

 private:
  std::string storage_;
  ingest::DnsQuery q_;
  EventView::ScratchPtr scratch_ = EventView::make_scratch();
  std::unique_ptr<EventView> view_;
};

FieldRef field(const char* name) {
  FieldRef f;
  std::string error;
  EXPECT_TRUE(FieldRef::parse(name, &f, &error)) << error;
  return f;
}

// Calls `fn` over the named fields of `ev`; false when it gives no value.
bool call(const FunctionRegistry& reg, const char* fn, const EventView& ev,
          std::vector<const char*> names, Value* out, std::string* buf) {
  const Function* f = reg.find(fn);
  EXPECT_NE(f, nullptr) << fn;
  if (f == nullptr) return false;
  std::vector<FieldRef> args;
  for (const char* n : names) args.push_back(field(n));
  return f->call(ev, args, out, buf);
}

TEST(Functions, ShannonEntropyKnownStrings) {
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0);
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcd"), 2);
  EXPECT_DOUBLE_EQ(shannon_entropy("aabb"), 1);
  EXPECT_DOUBLE_EQ(shannon_entropy("0123456789abcdef"), 4);
  // "aab": -(2/3 log2 2/3 + 1/3 log2 1/3)
  EXPECT_NEAR(shannon_entropy("aab"), 0.9182958340544896, 1e-12);
}

TEST(Functions, DnsEntropyPart) {
  std::string buf;
  EXPECT_EQ(dns_entropy_part("x7kq9z2v.com", &buf), "x7kq9z2v");
  EXPECT_EQ(dns_entropy_part("aGVsbG8gd29ybGQ.t.evil.com.", &buf), "agvsbg8gd29ybgq");
  EXPECT_EQ(dns_entropy_part("www.example.com", &buf), "example");
  EXPECT_EQ(dns_entropy_part("abcd.efgh.com", &buf), "abcd");  // leftmost of equals
  EXPECT_EQ(dns_entropy_part("localhost", &buf), "localhost");
  EXPECT_EQ(dns_entropy_part("", &buf), "");
  EXPECT_DOUBLE_EQ(dns_entropy("aaaa.com."), 0);
  EXPECT_DOUBLE_EQ(dns_entropy("ABCD.com"), 2);
}

TEST(Functions, DnsLabelStats) {
  auto s = dns_label_stats("a1b2.example.com.");
  EXPECT_EQ(s.label_count, 3);
  EXPECT_EQ(s.longest_label, 7);
  EXPECT_EQ(s.name_length, 16);
  EXPECT_DOUBLE_EQ(s.digit_ratio, 2.0 / 14.0);
  s = dns_label_stats("");
  EXPECT_EQ(s.label_count, 0);
  EXPECT_EQ(s.name_length, 0);
  EXPECT_DOUBLE_EQ(s.digit_ratio, 0);
  s = dns_label_stats("1234");
  EXPECT_EQ(s.label_count, 1);
  EXPECT_DOUBLE_EQ(s.digit_ratio, 1);
}

TEST(Functions, HaversineKnownCityPairs) {
  // Published great-circle distances (mean-radius sphere), rounded to 0.1 km.
  EXPECT_NEAR(haversine_km(51.5074, -0.1278, 48.8566, 2.3522), 343.6, 1);       // London-Paris
  EXPECT_NEAR(haversine_km(40.7128, -74.0060, 51.5074, -0.1278), 5570.2, 1);    // NYC-London
  EXPECT_NEAR(haversine_km(-33.8688, 151.2093, 35.6762, 139.6503), 7825.8, 1);  // Sydney-Tokyo
  EXPECT_NEAR(haversine_km(52.52, 13.405, 52.52, 13.405), 0, 1e-9);
  // Antipodes: half the circumference.
  EXPECT_NEAR(haversine_km(0, 0, 0, 180), M_PI * functions::kEarthRadiusKm, 1e-6);
  double lat, lon;
  EXPECT_TRUE(functions::parse_lat_lon(" 52.52, 13.405", &lat, &lon));
  EXPECT_DOUBLE_EQ(lat, 52.52);
  EXPECT_FALSE(functions::parse_lat_lon("91,0", &lat, &lon));
  EXPECT_FALSE(functions::parse_lat_lon("52.52", &lat, &lon));
  EXPECT_FALSE(functions::parse_lat_lon("a,b", &lat, &lon));
}

TEST(Functions, RegistryBuiltins) {
  const FunctionRegistry& reg = FunctionRegistry::builtin();
  for (const char* n : {"entropy", "string_entropy", "dns_label_count", "dns_longest_label",
                        "dns_digit_ratio", "dns_name_length", "ip_class", "geo_distance_km"}) {
    EXPECT_NE(reg.find(n), nullptr) << n;
  }
  EXPECT_EQ(reg.find("country"), nullptr);
  EXPECT_EQ(reg.find("aws_service"), nullptr);
  std::string error;
  EXPECT_TRUE(reg.check_call("entropy", 1, &error));
  EXPECT_FALSE(reg.check_call("entropy", 2, &error));
  EXPECT_NE(error.find("takes 1 argument"), std::string::npos);
  EXPECT_TRUE(reg.check_call("geo_distance_km", 4, &error));
  EXPECT_FALSE(reg.check_call("geo_distance_km", 3, &error));
  EXPECT_FALSE(reg.check_call("nope", 1, &error));
  EXPECT_NE(error.find("unknown function"), std::string::npos);
}

TEST(Functions, DnsFunctionsOverEvents) {
  const FunctionRegistry& reg = FunctionRegistry::builtin();
  JsonEvent ev(R"({"query_name":"a1b2.Example.com.","n":5,"loc1":"51.5074,-0.1278",)"
               R"("loc2":"48.8566, 2.3522","lat":40.7128,"lon":-74.006})");
  Value out;
  std::string buf;
  ASSERT_TRUE(call(reg, "entropy", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_EQ(out.kind, Value::Kind::kNumber);
  EXPECT_DOUBLE_EQ(out.number, shannon_entropy("example"));
  ASSERT_TRUE(call(reg, "dns_label_count", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 3);
  ASSERT_TRUE(call(reg, "dns_longest_label", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 7);
  ASSERT_TRUE(call(reg, "dns_name_length", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 16);
  ASSERT_TRUE(call(reg, "dns_digit_ratio", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 2.0 / 14.0);
  ASSERT_TRUE(call(reg, "string_entropy", ev.view(), {"n"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 0);
  EXPECT_FALSE(call(reg, "entropy", ev.view(), {"missing"}, &out, &buf));

  ASSERT_TRUE(call(reg, "geo_distance_km", ev.view(), {"loc1", "loc2"}, &out, &buf));
  EXPECT_NEAR(out.number, 343.6, 1);
  ASSERT_TRUE(call(reg, "geo_distance_km", ev.view(), {"lat", "lon", "loc1", "loc2"}, &out,
                   &buf) == false);  // loc1 is not a number
  JsonEvent ev4(R"({"a":40.7128,"b":-74.006,"c":"51.5074","d":-0.1278})");
  ASSERT_TRUE(call(reg, "geo_distance_km", ev4.view(), {"a", "b", "c", "d"}, &out, &buf));
  EXPECT_NEAR(out.number, 5570.2, 1);
  // An address without a geo database cannot be placed.
  JsonEvent ev5(R"({"ip":"203.0.113.5","loc":"1,1"})");
  EXPECT_FALSE(call(reg, "geo_distance_km", ev5.view(), {"ip", "loc"}, &out, &buf));
}

TEST(Functions, IpClassAndAwsService) {
  enrich::AwsRanges ranges;
  ASSERT_TRUE(
      ranges.load_file(std::string(SENTINEL_SOURCE_DIR) + "/tests/fixtures/enrich/ip-ranges.json")
          .ok());
  enrich::ListStore lists;
  ASSERT_TRUE(lists
                  .add_inline({"bad", enrich::ListKind::kThreat, "Bad IPs"},
                              {"198.51.100.0/24", "evil.example"})
                  .ok());
  ASSERT_TRUE(lists.add_inline({"ok", enrich::ListKind::kTrusted, ""}, {"198.51.100.10"}).ok());
  FunctionRegistry reg = FunctionRegistry::with_enrichment({&ranges, nullptr, &lists});
  JsonEvent ev(R"({"ec2":"198.51.100.10","s3":"192.0.2.9","priv":"169.254.169.254",)"
               R"("pub":"8.8.8.8","v6":"2001:db8:1000::1","bad":"198.51.100.11",)"
               R"("dom":"x.evil.example","junk":"nope"})");
  Value out;
  std::string buf;
  auto text = [&](const char* fn, const char* f) {
    if (!call(reg, fn, ev.view(), {f}, &out, &buf)) return std::string("<none>");
    return std::string(out.str);
  };
  EXPECT_EQ(text("ip_class", "ec2"), "aws");
  EXPECT_EQ(text("ip_class", "priv"), "private");
  EXPECT_EQ(text("ip_class", "pub"), "public");
  EXPECT_EQ(text("ip_class", "junk"), "<none>");
  EXPECT_EQ(text("aws_service", "ec2"), "EC2");
  EXPECT_EQ(text("aws_service", "s3"), "S3");
  EXPECT_EQ(text("aws_service", "v6"), "EC2");
  EXPECT_EQ(text("aws_service", "pub"), "<none>");
  EXPECT_EQ(text("threat_list", "bad"), "Bad IPs");
  EXPECT_EQ(text("threat_list", "dom"), "Bad IPs");
  EXPECT_EQ(text("threat_list", "ec2"), "<none>");  // trusted beats threat
  ASSERT_TRUE(call(reg, "is_trusted", ev.view(), {"ec2"}, &out, &buf));
  EXPECT_TRUE(out.boolean);

  // Without ranges, ip_class still knows private addresses.
  EXPECT_TRUE(call(FunctionRegistry::builtin(), "ip_class", ev.view(), {"ec2"}, &out, &buf));
  EXPECT_EQ(out.str, "public");
  EXPECT_TRUE(call(FunctionRegistry::builtin(), "ip_class", ev.view(), {"priv"}, &out, &buf));
  EXPECT_EQ(out.str, "private");
}

}  // namespace
}  // namespace sentinel::detect
