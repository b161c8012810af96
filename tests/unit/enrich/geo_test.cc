#include "enrich/geo.h"
#include "enrich/finding_enricher.h"
#include "fixtures/enrich/test_mmdb.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "detect/functions/geo_distance.h"
#include "detect/functions/registry.h"

namespace sentinel::enrich {
namespace {

namespace fs = std::filesystem;

IpAddr ip(const char* text) {
  IpAddr a;
  EXPECT_TRUE(IpAddr::parse(text, &a)) << text;
  return a;
}

// The test databases, built once for the suite (tests/fixtures/enrich/test_mmdb.h).
class GeoDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mmdb_.build("geo-test"); }
  static void TearDownTestSuite() { mmdb_.remove(); }
  void SetUp() override {
    SENTINEL_REQUIRE_TEST_MMDB(mmdb_);
    city_ = mmdb_.city();
    asn_ = mmdb_.asn();
  }
  static inline sentinel::testing::TestMmdb mmdb_;
  std::string city_;
  std::string asn_;
};

TEST_F(GeoDbTest, RoundTrip) {
  auto db = GeoDb::open(city_, asn_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_TRUE((*db)->has_city());
  EXPECT_TRUE((*db)->has_asn());

  GeoInfo g;
  ASSERT_TRUE((*db)->lookup(ip("203.0.113.5"), &g));
  EXPECT_EQ(g.country_code, "DE");
  EXPECT_EQ(g.country_name, "Germany");
  EXPECT_EQ(g.city, "Berlin");
  ASSERT_TRUE(g.has_location);
  EXPECT_DOUBLE_EQ(g.lat, 52.52);
  EXPECT_DOUBLE_EQ(g.lon, 13.405);
  EXPECT_EQ(g.asn, 64496u);
  EXPECT_EQ(g.asn_org, "Example Networks");
  EXPECT_EQ(g.isp, "Example Networks");

  ASSERT_TRUE((*db)->lookup(ip("203.0.113.200"), &g));
  EXPECT_EQ(g.city, "Paris");
  EXPECT_EQ(g.asn, 64496u);

  // IPv6 with only a registered country.
  ASSERT_TRUE((*db)->lookup(ip("2001:db8::42"), &g));
  EXPECT_EQ(g.country_code, "JP");
  EXPECT_TRUE(g.city.empty());
  EXPECT_EQ(g.asn, 64511u);

  EXPECT_FALSE((*db)->lookup(ip("198.51.100.1"), &g));
  EXPECT_FALSE(g.found);

  std::string json;
  JsonWriter w(&json);
  GeoInfo berlin;
  ASSERT_TRUE((*db)->lookup(ip("203.0.113.5"), &berlin));
  write_remote_ip_details(ip("203.0.113.5"), &berlin, &w);
  EXPECT_EQ(json, R"({"ipAddressV4":"203.0.113.5","city":{"cityName":"Berlin"},)"
                  R"("country":{"countryCode":"DE","countryName":"Germany"},)"
                  R"("geoLocation":{"lat":52.52,"lon":13.405},)"
                  R"("organization":{"asn":"64496","asnOrg":"Example Networks",)"
                  R"("isp":"Example Networks","org":"Example Networks"}})");
}

TEST_F(GeoDbTest, OnlyOneDatabase) {
  auto db = GeoDb::open("", asn_);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->has_city());
  GeoInfo g;
  ASSERT_TRUE((*db)->lookup(ip("203.0.113.5"), &g));
  EXPECT_TRUE(g.country_code.empty());
  EXPECT_FALSE(g.has_location);
  EXPECT_EQ(g.asn, 64496u);
}

TEST_F(GeoDbTest, DistanceBetweenLocatedAddresses) {
  auto db = GeoDb::open(city_, asn_);
  ASSERT_TRUE(db.ok());
  GeoInfo a, b;
  ASSERT_TRUE((*db)->lookup(ip("203.0.113.5"), &a));
  ASSERT_TRUE((*db)->lookup(ip("203.0.113.200"), &b));
  // Berlin to Paris: about 878 km.
  EXPECT_NEAR(detect::functions::haversine_km(a.lat, a.lon, b.lat, b.lon), 878, 5);
  auto reg = detect::FunctionRegistry::with_enrichment({nullptr, db->get(), nullptr});
  EXPECT_NE(reg.find("country"), nullptr);
  EXPECT_NE(reg.find("asn"), nullptr);
  EXPECT_EQ(reg.find("aws_service"), nullptr);
}

TEST(GeoDb, OpenErrors) {
  auto db = GeoDb::open("/nonexistent/city.mmdb", "");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, "geo_db_unreadable");
  const std::string not_mmdb = std::string(SENTINEL_SOURCE_DIR) + "/tests/fixtures/enrich/otx.csv";
  EXPECT_FALSE(GeoDb::open(not_mmdb, "").ok());
  auto none = GeoDb::open("", "");
  ASSERT_TRUE(none.ok());
  GeoInfo g;
  EXPECT_FALSE((*none)->lookup(ip("203.0.113.5"), &g));
}

TEST(GeoDb, RemoteIpDetailsWithoutGeo) {
  std::string json;
  JsonWriter w(&json);
  write_remote_ip_details(ip("2001:db8::1"), nullptr, &w);
  EXPECT_EQ(json, R"({"ipAddressV6":"2001:db8::1"})");
}

}  // namespace
}  // namespace sentinel::enrich

namespace sentinel::enrich {
namespace {

TEST_F(GeoDbTest, FindingRemoteIpDetailsAreFilled) {
  auto db = GeoDb::open(city_, asn_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  findings::Finding f;
  f.action_json = R"({"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ListBuckets",)"
                  R"("remoteIpDetails":{"ipAddressV4":"203.0.113.5"}}})";
  EXPECT_EQ(enrich_remote_ips(&f, **db), 1);
  EXPECT_NE(f.action_json.find("\"countryCode\":\"DE\""), std::string::npos) << f.action_json;
  EXPECT_NE(f.action_json.find("\"api\":\"ListBuckets\""), std::string::npos) << f.action_json;
  findings::Finding none;
  none.action_json = R"({"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"x."}})";
  const std::string before = none.action_json;
  EXPECT_EQ(enrich_remote_ips(&none, **db), 0);
  EXPECT_EQ(none.action_json, before);
}

}  // namespace
}  // namespace sentinel::enrich
