#include "ingest/decode/json_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace sentinel::ingest {
namespace {

JsonScan scan(const std::string& s, std::size_t start = 0) {
  static std::string buf;
  buf = s;
  buf.append(64, '\0');
  return scan_json_value(std::string_view(buf.data(), s.size()), start);
}

TEST(JsonScan, FindsTheEndOfValues) {
  EXPECT_EQ(scan(R"({"a":1} tail)").end, 7u);
  EXPECT_EQ(scan(R"({"a":"}{][\"\\"} x)").end, 16u);
  EXPECT_EQ(scan(R"([[[]],{}] )").end, 9u);
  EXPECT_EQ(scan(R"({"a":"unterminated})").end, std::string_view::npos);
  EXPECT_EQ(scan("{" + std::string(200, ' ') + "}").end, 202u);
}

TEST(JsonScan, FlagsDepth) {
  EXPECT_FALSE(scan(std::string(64, '[') + std::string(64, ']')).too_deep);
  EXPECT_TRUE(scan(std::string(65, '[') + std::string(65, ']')).too_deep);
}

TEST(JsonScan, CountsNewlines) {
  std::string s(1000, 'x');
  for (std::size_t i = 0; i < s.size(); i += 7) s[i] = '\n';
  EXPECT_EQ(count_newlines(s.data(), s.size()), 143u);
  EXPECT_EQ(count_newlines(s.data(), 0), 0u);
}

// Sparse and dense newlines, every length and alignment around the 128- and 32-byte blocks.
TEST(JsonScan, CountsNewlinesLikeStdCount) {
  std::mt19937 rng(7);
  for (int t = 0; t < 3000; ++t) {
    std::string s(1 + rng() % 700, 'x');
    const unsigned every = 1 + rng() % 400;
    for (char& c : s) {
      if (rng() % every == 0) c = '\n';
    }
    const std::size_t from = rng() % s.size();
    const std::size_t len = rng() % (s.size() - from + 1);
    EXPECT_EQ(count_newlines(s.data() + from, len),
              static_cast<uint64_t>(std::count(s.begin() + from, s.begin() + from + len, '\n')))
        << t;
  }
}

// The AVX2 and SSE2 scanners must agree on every input, valid or not, so that what is read does
// not depend on the CPU.
TEST(JsonScan, BothScannersAgreeOnRandomInput) {
  std::mt19937 rng(12345);
  const char alphabet[] = "{}[]\"\\ax\n,:";
  for (int t = 0; t < 100000; ++t) {
    std::string s(1 + rng() % 300, ' ');
    for (char& c : s) c = alphabet[rng() % (sizeof alphabet - 1)];
    s[0] = rng() % 2 ? '{' : '[';
    std::string buf = s + std::string(64, '\0');
    std::string_view d(buf.data(), s.size());
    JsonScan a = scan_json_value(d, 0);
    JsonScan b = scan_json_value_sse2(d, 0);
    ASSERT_EQ(a.end, b.end) << s;
    ASSERT_EQ(a.too_deep, b.too_deep) << s;
  }
}

}  // namespace
}  // namespace sentinel::ingest
