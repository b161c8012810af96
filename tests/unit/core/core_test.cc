#include <gtest/gtest.h>

#include "core/escape.h"
#include "core/ip.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "core/utf8.h"

namespace sentinel {
namespace {

TEST(Time, ParsesCloudTrailForms) {
  int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601_ms("2024-01-15T02:00:00Z", &ms));
  EXPECT_EQ(ms, 1705284000000);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-15T02:00:00.123Z", &ms));
  EXPECT_EQ(ms, 1705284000123);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-15T02:00:00.123456789Z", &ms));
  EXPECT_EQ(ms, 1705284000123);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-15T03:00:00+01:00", &ms));
  EXPECT_EQ(ms, 1705284000000);
  ASSERT_TRUE(parse_iso8601_ms("2024-01-14T21:00:00-0500", &ms));
  EXPECT_EQ(ms, 1705284000000);
  ASSERT_TRUE(parse_iso8601_ms("2022-12-11 19:42:55", &ms));
  EXPECT_EQ(ms, 1670787775000);
  ASSERT_TRUE(parse_iso8601_ms("20131102T010628Z", &ms));
  EXPECT_EQ(ms, 1383354388000);
  ASSERT_TRUE(parse_iso8601_ms("1970-01-01T00:00:00Z", &ms));
  EXPECT_EQ(ms, 0);
}

TEST(Time, RejectsGarbage) {
  int64_t ms = 0;
  for (const char* s : {"", "2024", "2024-13-01T00:00:00Z", "2024-01-15T25:00:00Z",
                        "2024-01-15T02:00:00Zjunk", "yesterday", "2024-01-15T02:00:00.Z"}) {
    EXPECT_FALSE(parse_iso8601_ms(s, &ms)) << s;
  }
}

TEST(Time, FormatsRoundTrip) {
  EXPECT_EQ(format_iso8601(1705284000000), "2024-01-15T02:00:00Z");
  EXPECT_EQ(format_iso8601(1705284000123, true), "2024-01-15T02:00:00.123Z");
  EXPECT_EQ(format_iso8601(-1000), "1969-12-31T23:59:59Z");
}

TEST(Ip, ParsesV4) {
  IpAddr a;
  ASSERT_TRUE(IpAddr::parse("172.31.16.139", &a));
  EXPECT_TRUE(a.v4);
  EXPECT_EQ(a.v4_value(), 0xAC1F108Bu);
  EXPECT_EQ(a.to_string(), "172.31.16.139");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4", "a.b.c.d",
                          "1.2.3.4 ", "1..3.4"}) {
    EXPECT_FALSE(IpAddr::parse(bad, &a)) << bad;
  }
}

TEST(Ip, ParsesV6) {
  IpAddr a;
  ASSERT_TRUE(IpAddr::parse("2001:db8::1", &a));
  EXPECT_FALSE(a.v4);
  EXPECT_EQ(a.to_string(), "2001:db8::1");
  ASSERT_TRUE(IpAddr::parse("2001:0DB8:0000:0000:0000:ff00:0042:8329", &a));
  EXPECT_EQ(a.to_string(), "2001:db8::ff00:42:8329");
  ASSERT_TRUE(IpAddr::parse("::", &a));
  EXPECT_EQ(a.to_string(), "::");
  ASSERT_TRUE(IpAddr::parse("::ffff:10.0.0.1", &a));
  ASSERT_TRUE(IpAddr::parse("fe80::", &a));
  EXPECT_EQ(a.to_string(), "fe80::");
  for (const char* bad :
       {":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:2", "::1.2.3"}) {
    EXPECT_FALSE(IpAddr::parse(bad, &a)) << bad;
  }
}

TEST(Escape, TerminalSafe) {
  EXPECT_EQ(terminal_safe("plain text"), "plain text");
  EXPECT_EQ(terminal_safe("a\x1b[31mred"), "a\\x1b[31mred");
  EXPECT_EQ(terminal_safe("line\r\nnext"), "line\\r\\nnext");
  EXPECT_EQ(terminal_safe("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(terminal_safe("bad\xff"), "bad\\xff");
  EXPECT_EQ(terminal_safe("c1\xc2\x9b"), "c1\\u009b");
  EXPECT_EQ(terminal_safe(std::string_view("nul\0x", 5)), "nul\\x00x");
}

TEST(JsonWriter, EscapesAndRepairs) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object();
  w.field("a", std::string_view("q\"b\\\n\x01"));
  w.field("bad", std::string_view("x\xff"));
  w.field("n", int64_t{-5});
  w.key("arr");
  w.begin_array();
  w.number(uint64_t{1});
  w.boolean(true);
  w.null();
  w.end_array();
  w.end_object();
  EXPECT_EQ(out, R"({"a":"q\"b\\\n\u0001","bad":"x\ufffd","n":-5,"arr":[1,true,null]})");
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(utf8_valid("héllo ✓ 😀"));
  EXPECT_FALSE(utf8_valid("\xc0\xaf"));          // overlong
  EXPECT_FALSE(utf8_valid("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(utf8_valid("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_EQ(utf8_first_invalid("ok\xffno"), 2u);
  EXPECT_EQ(utf8_first_invalid("fine"), std::string_view::npos);
}

}  // namespace
}  // namespace sentinel
