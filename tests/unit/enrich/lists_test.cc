#include "enrich/lists.h"

#include <gtest/gtest.h>

#include <string>

#include "core/ip.h"

namespace sentinel::enrich {
namespace {

using detect::Value;

std::string fixture(const char* name) {
  return std::string(SENTINEL_SOURCE_DIR) + "/tests/fixtures/enrich/" + name;
}

Value str(std::string_view s) {
  Value v;
  v.kind = Value::Kind::kString;
  v.str = s;
  return v;
}

bool on(const ListStore& s, std::string_view list, std::string_view value,
        std::string* matched = nullptr) {
  std::string m;
  return s.contains(list, str(value), matched != nullptr ? matched : &m);
}

TEST(Lists, TxtFileEntriesCommentsAndBadLines) {
  ListStore s;
  auto r = s.load_file({"bad_ips", ListKind::kThreat, "Known bad"}, fixture("threat.txt"),
                       ListFormat::kTxt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->networks, 4u);
  EXPECT_EQ(r->domains, 2u);
  ASSERT_EQ(r->problems.size(), 3u);
  EXPECT_EQ(r->problems[0].line, 9);
  EXPECT_EQ(r->problems[0].code, "bad_entry");  // 10.0.0.256
  EXPECT_EQ(r->problems[1].line, 10);
  EXPECT_EQ(r->problems[1].code, "bad_cidr");  // /33
  EXPECT_EQ(r->problems[2].line, 11);
  EXPECT_EQ(r->problems[2].code, "bad_entry");  // a URL
  EXPECT_NE(r->problems[2].source.find("threat.txt"), std::string::npos);
  EXPECT_NE(r->problems[0].message.find("10.0.0.256"), std::string::npos);

  std::string matched;
  EXPECT_TRUE(on(s, "bad_ips", "203.0.113.7", &matched));
  EXPECT_EQ(matched, "Known bad");
  EXPECT_FALSE(on(s, "bad_ips", "203.0.113.8"));
  EXPECT_TRUE(on(s, "bad_ips", "evil.example"));
  EXPECT_TRUE(on(s, "bad_ips", "x.bad.example"));
  EXPECT_FALSE(on(s, "no_such_list", "203.0.113.7"));
}

TEST(Lists, NoListLoadedHoldsNothing) {
  ListStore s;
  IpAddr ip;
  ASSERT_TRUE(IpAddr::parse("203.0.113.7", &ip));
  Value typed = str("203.0.113.7");
  typed.ip = &ip;
  for (std::string_view name : {"bad_ips", "@threat", "@trusted", ""}) {
    std::string matched = "unchanged";
    for (std::string_view value : {"203.0.113.7", "evil.example", "not a value", ""}) {
      EXPECT_FALSE(s.contains(name, str(value), &matched)) << name << " " << value;
    }
    EXPECT_FALSE(s.contains(name, typed, &matched)) << name;
    EXPECT_EQ(matched, "unchanged");
  }
  EXPECT_FALSE(s.trusted(str("evil.example")));
}

TEST(Lists, CidrEdgesIpv4) {
  ListStore s;
  ASSERT_TRUE(s.add_inline({"l", ListKind::kThreat, ""},
                           {"203.0.113.64/26", "198.51.100.0/31", "192.0.2.1/32", "0.0.0.0/0"})
                  .ok());
  ListStore t;
  ASSERT_TRUE(
      t.add_inline({"l", ListKind::kThreat, ""}, {"203.0.113.64/26", "198.51.100.0/31"}).ok());
  EXPECT_FALSE(on(t, "l", "203.0.113.63"));
  EXPECT_TRUE(on(t, "l", "203.0.113.64"));
  EXPECT_TRUE(on(t, "l", "203.0.113.127"));
  EXPECT_FALSE(on(t, "l", "203.0.113.128"));
  EXPECT_TRUE(on(t, "l", "198.51.100.0"));
  EXPECT_TRUE(on(t, "l", "198.51.100.1"));
  EXPECT_FALSE(on(t, "l", "198.51.100.2"));
  // The IPv4-mapped IPv6 spelling is the same address.
  EXPECT_TRUE(on(t, "l", "::ffff:203.0.113.65"));
  // An IPv4 network never matches a plain IPv6 address.
  EXPECT_FALSE(on(t, "l", "2001:db8::1"));
  // /0 covers all IPv4 and no IPv6.
  EXPECT_TRUE(on(s, "l", "8.8.8.8"));
  EXPECT_FALSE(on(s, "l", "2001:db8::1"));
  // Host bits in a written CIDR are ignored.
  ListStore u;
  ASSERT_TRUE(u.add_inline({"l", ListKind::kThreat, ""}, {"10.1.2.3/8"}).ok());
  EXPECT_TRUE(on(u, "l", "10.200.0.1"));
}

TEST(Lists, CidrEdgesIpv6) {
  ListStore s;
  ASSERT_TRUE(s.add_inline({"l", ListKind::kThreat, ""},
                           {"2001:db8:bad::/48", "2001:db8::8000:0/97", "2001:DB8:DEAD::1"})
                  .ok());
  EXPECT_TRUE(on(s, "l", "2001:db8:bad::"));
  EXPECT_TRUE(on(s, "l", "2001:db8:bad:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(on(s, "l", "2001:db8:bae::"));
  EXPECT_FALSE(on(s, "l", "2001:db8:bac:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(on(s, "l", "2001:db8::8000:0"));
  EXPECT_TRUE(on(s, "l", "2001:db8::ffff:ffff"));
  EXPECT_FALSE(on(s, "l", "2001:db8::7fff:ffff"));
  EXPECT_TRUE(on(s, "l", "2001:db8:dead:0:0:0:0:1"));
  EXPECT_FALSE(on(s, "l", "2001:db8:dead::2"));
}

TEST(Lists, TypedAddressValues) {
  ListStore s;
  ASSERT_TRUE(s.add_inline({"l", ListKind::kThreat, ""}, {"203.0.113.0/24"}).ok());
  IpAddr ip;
  ASSERT_TRUE(IpAddr::parse("203.0.113.9", &ip));
  Value v;
  v.kind = Value::Kind::kString;
  v.ip = &ip;
  std::string m;
  EXPECT_TRUE(s.contains("l", v, &m));
}

TEST(Lists, ManyNetworksLookUpByPrefixNotScan) {
  ListStore s;
  std::vector<std::string> entries;
  for (int a = 0; a < 200; ++a) {
    for (int b = 0; b < 250; ++b) {
      entries.push_back("10." + std::to_string(a) + "." + std::to_string(b) + ".0/24");
    }
  }
  entries.push_back("2001:db8::/32");
  auto r = s.add_inline({"big", ListKind::kThreat, ""}, entries);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->networks, 50001u);
  EXPECT_TRUE(on(s, "big", "10.199.249.255"));
  EXPECT_FALSE(on(s, "big", "10.200.0.1"));
  EXPECT_TRUE(on(s, "big", "2001:db8:1::1"));
}

TEST(Lists, DomainSuffixRules) {
  ListStore s;
  ASSERT_TRUE(s.add_inline({"d", ListKind::kThreat, ""}, {"Evil.COM", "*.tunnel.example."}).ok());
  EXPECT_TRUE(on(s, "d", "evil.com"));
  EXPECT_TRUE(on(s, "d", "evil.com."));
  EXPECT_TRUE(on(s, "d", "EVIL.com"));
  EXPECT_TRUE(on(s, "d", "a.evil.com"));
  EXPECT_TRUE(on(s, "d", "a.b.EVIL.com."));
  EXPECT_FALSE(on(s, "d", "notevil.com"));
  EXPECT_FALSE(on(s, "d", "evil.com.au"));
  EXPECT_FALSE(on(s, "d", "com"));
  EXPECT_TRUE(on(s, "d", "tunnel.example"));
  EXPECT_TRUE(on(s, "d", "x.tunnel.example"));
  EXPECT_FALSE(on(s, "d", "xtunnel.example"));
}

TEST(Lists, NormalizeDomain) {
  std::string d;
  EXPECT_TRUE(normalize_domain("A.Example.", &d));
  EXPECT_EQ(d, "a.example");
  EXPECT_FALSE(normalize_domain("a..example", &d));
  EXPECT_FALSE(normalize_domain("", &d));
  EXPECT_FALSE(normalize_domain(".", &d));
  EXPECT_FALSE(normalize_domain("1.2.3", &d));
  EXPECT_FALSE(normalize_domain("bad domain.com", &d));
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com", &d));
  EXPECT_TRUE(normalize_domain(std::string(63, 'a') + ".com", &d));
  EXPECT_TRUE(normalize_domain("_dmarc.example.com", &d));
}

TEST(Lists, TrustedBeatsThreat) {
  ListStore s;
  ASSERT_TRUE(
      s.load_file({"bad", ListKind::kThreat, "Bad"}, fixture("threat.txt"), ListFormat::kTxt).ok());
  ASSERT_TRUE(s.load_file({"ours", ListKind::kTrusted, "Our scanners"}, fixture("trusted.txt"),
                          ListFormat::kTxt)
                  .ok());
  // 203.0.113.70 is inside the threat /26 and on the trusted list.
  EXPECT_TRUE(s.trusted(str("203.0.113.70")));
  EXPECT_FALSE(on(s, "bad", "203.0.113.70"));
  EXPECT_TRUE(s.threat_hits(str("203.0.113.70")).empty());
  EXPECT_TRUE(on(s, "bad", "203.0.113.71"));
  EXPECT_TRUE(on(s, "ours", "203.0.113.70"));
  // Domains too: ok.evil.example is trusted, other names under evil.example are not.
  EXPECT_FALSE(on(s, "bad", "ok.evil.example"));
  EXPECT_FALSE(on(s, "bad", "x.ok.evil.example"));
  EXPECT_TRUE(on(s, "bad", "other.evil.example"));
  // The pseudo lists.
  std::string m;
  EXPECT_TRUE(s.contains(ListStore::kAnyThreat, str("203.0.113.71"), &m));
  EXPECT_EQ(m, "Bad");
  EXPECT_FALSE(s.contains(ListStore::kAnyThreat, str("203.0.113.70"), &m));
  EXPECT_TRUE(s.contains(ListStore::kAnyTrusted, str("203.0.113.70"), &m));
  EXPECT_EQ(m, "Our scanners");

  auto hits = s.threat_hits(str("203.0.113.71"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].list, "Bad");
  EXPECT_EQ(hits[0].file_sha256.size(), 64u);
}

TEST(Lists, OtxCsv) {
  ListStore s;
  auto r =
      s.load_file({"otx", ListKind::kThreat, "OTX pulse"}, fixture("otx.csv"), ListFormat::kOtxCsv);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->networks, 3u);
  EXPECT_EQ(r->domains, 2u);
  EXPECT_EQ(r->skipped, 2u);  // URL, FileHash
  ASSERT_EQ(r->problems.size(), 2u);
  EXPECT_EQ(r->problems[0].code, "bad_entry");
  EXPECT_EQ(r->problems[0].line, 9);
  EXPECT_EQ(r->problems[1].code, "bad_csv");
  EXPECT_EQ(r->problems[1].line, 10);

  auto hits = s.threat_hits(str("203.0.113.200"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].list, "OTX pulse");
  ASSERT_EQ(hits[0].names.size(), 1u);
  EXPECT_EQ(hits[0].names[0], "C2 server, campaign X");
  EXPECT_TRUE(on(s, "otx", "2001:db8:beef::5"));
  EXPECT_TRUE(on(s, "otx", "198.51.100.223"));
  EXPECT_FALSE(on(s, "otx", "198.51.100.224"));
  EXPECT_TRUE(on(s, "otx", "www.malware.example"));
  EXPECT_TRUE(on(s, "otx", "c2.tunnel.example."));
  EXPECT_FALSE(on(s, "otx", "tunnel.example"));
}

TEST(Lists, OtxCsvColumnOrderFromHeader) {
  ListStore s;
  auto r = s.load_text({"otx", ListKind::kThreat, ""},
                       "indicator,type,description\r\nevil.example,domain,x\r\n"
                       "192.0.2.1,IPv4,y\r\n",
                       ListFormat::kOtxCsv, "mem");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->problems.empty());
  EXPECT_TRUE(on(s, "otx", "a.evil.example"));
  EXPECT_TRUE(on(s, "otx", "192.0.2.1"));
}

TEST(Lists, Errors) {
  ListStore s;
  EXPECT_FALSE(
      s.load_file({"x", ListKind::kThreat, ""}, "/nonexistent/list.txt", ListFormat::kTxt).ok());
  EXPECT_FALSE(s.has_list("x"));
  ASSERT_TRUE(s.add_inline({"x", ListKind::kThreat, ""}, {"192.0.2.1"}).ok());
  auto dup = s.add_inline({"x", ListKind::kTrusted, ""}, {"192.0.2.2"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "list_duplicate");
  EXPECT_EQ(s.add_inline({"@threat", ListKind::kThreat, ""}, {}).error().code, "list_name_invalid");
  EXPECT_TRUE(parse_list_format("otx_csv").ok());
  EXPECT_FALSE(parse_list_format("STIX").ok());
  EXPECT_EQ(*parse_list_kind("Trusted"), ListKind::kTrusted);
}

TEST(Lists, NonAddressValuesDoNotMatch) {
  ListStore s;
  ASSERT_TRUE(s.add_inline({"l", ListKind::kThreat, ""}, {"192.0.2.1", "evil.example"}).ok());
  Value n;
  std::string m;
  EXPECT_FALSE(s.contains("l", n, &m));
  Value num;
  num.kind = Value::Kind::kNumber;
  num.number = 3;
  EXPECT_FALSE(s.contains("l", num, &m));
  EXPECT_FALSE(on(s, "l", ""));
  EXPECT_FALSE(on(s, "l", "not a domain"));
}

}  // namespace
}  // namespace sentinel::enrich
