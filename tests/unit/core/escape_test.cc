#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "core/escape.h"
#include "core/json_writer.h"

// Every single byte, and every two-byte sequence after C2, through both escapers, against their
// rules written out here: terminal_safe copies printable ASCII, shows \n \r \t as such, other C0
// controls, DEL and invalid UTF-8 bytes as \xNN and C1 controls as \u00NN; JSON escapes the quote,
// the backslash and C0 controls (\b \f \n \r \t short, the rest \u00NN), copies DEL and valid
// UTF-8, and replaces each invalid byte with \ufffd.
namespace sentinel {
namespace {

std::string hex_form(const char* prefix, unsigned c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%02x", prefix, c);
  return buf;
}

std::string terminal_rule(unsigned c) {
  if (c >= 0x20 && c < 0x7F) return std::string(1, static_cast<char>(c));
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  return hex_form("\\x", c);  // other controls, DEL, and a lone byte >= 0x80 (never valid alone)
}

std::string json_rule(unsigned c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
  }
  if (c < 0x20) return hex_form("\\u00", c);
  if (c < 0x80) return std::string(1, static_cast<char>(c));
  return "\\ufffd";
}

TEST(Escape, EverySingleByte) {
  for (unsigned c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_EQ(terminal_safe(s), terminal_rule(c)) << c;
    std::string json;
    append_json_escaped(&json, s);
    EXPECT_EQ(json, json_rule(c)) << c;
  }
}

TEST(Escape, TwoByteSequencesAfterC2) {
  for (unsigned c = 0; c < 256; ++c) {
    const std::string s = std::string("\xc2") + static_cast<char>(c);
    std::string json;
    append_json_escaped(&json, s);
    if (c >= 0x80 && c < 0xC0) {  // valid: U+0080..U+00BF
      EXPECT_EQ(terminal_safe(s), c < 0xA0 ? hex_form("\\u00", c) : s) << c;
      EXPECT_EQ(json, s) << c;
    } else {  // C2 is a cut sequence, then the next byte on its own
      EXPECT_EQ(terminal_safe(s), "\\xc2" + terminal_rule(c)) << c;
      EXPECT_EQ(json, "\\ufffd" + json_rule(c)) << c;
    }
  }
}

TEST(Escape, RunsAroundEscapesAreCopied) {
  std::string json;
  append_json_escaped(&json, "ab\"cd\x7f\xe2\x82\xac\x01z");
  EXPECT_EQ(json, "ab\\\"cd\x7f\xe2\x82\xac\\u0001z");
  EXPECT_EQ(terminal_safe("ab\"cd\x7f\xe2\x82\xac\x01z"), "ab\"cd\\x7f\xe2\x82\xac\\x01z");
}

// Long texts (the JSON escaper finds its plain runs 16 bytes at a time): random pieces, each
// escaped by the rules above, at every length and alignment around the 16-byte blocks.
TEST(Escape, JsonPiecesAtEveryAlignment) {
  const std::pair<std::string, std::string> pieces[] = {
      {"a", "a"},
      {"abcdefghijklmnopqrstu 0123456789", "abcdefghijklmnopqrstu 0123456789"},
      {"\"", "\\\""},
      {"\\", "\\\\"},
      {"\x01", "\\u0001"},
      {"\n", "\\n"},
      {"\x1f", "\\u001f"},
      {" ", " "},
      {"\x7f", "\x7f"},
      {"\xc3\xa9", "\xc3\xa9"},
      {"\xe2\x82\xac", "\xe2\x82\xac"},
      {"\xff", "\\ufffd"},
  };
  std::mt19937 rng(16);
  for (int t = 0; t < 5000; ++t) {
    std::string text;
    std::string want = "[";
    const int count = static_cast<int>(rng() % 24);
    for (int k = 0; k < count; ++k) {
      const auto& piece = pieces[rng() % 12 < 6 ? rng() % 2 : rng() % 12];
      text += piece.first;
      want += piece.second;
    }
    std::string json = "[";
    append_json_escaped(&json, text);
    EXPECT_EQ(json, want) << t;
  }
}

}  // namespace
}  // namespace sentinel
