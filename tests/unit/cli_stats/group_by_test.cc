// GroupBy (`sentinel stats --by`): the IPv4 table against the text table as a reference,
// collisions, growth, the group limit, IPv6 and other text keys, counts past 2^32, merging, and
// the output order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cli/stats.h"

namespace sentinel::cli {
namespace {

std::string dotted(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xFF) + "." +
         std::to_string((ip >> 8) & 0xFF) + "." + std::to_string(ip & 0xFF);
}

// The same hash and mask as the IPv4 table (stats.h), to build colliding keys.
uint64_t hash_v4(uint32_t ip) {
  uint64_t h = (uint64_t{ip} + 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 31);
}

struct Event {
  uint32_t ip;
  bool has;
  double value;
};

// Feeds the events to one GroupBy through the IPv4 table and to another as text keys; both must
// print the same JSON and text.
void expect_same_as_text(const std::vector<Event>& events, std::size_t max_groups, bool sums) {
  GroupBy v4(max_groups, sums);
  GroupBy text(max_groups, sums);
  for (const Event& e : events) {
    v4.add_v4(e.ip, sums && e.has, sums ? e.value : 0);
    text.add(dotted(e.ip), sums && e.has, sums ? e.value : 0);
  }
  v4.flush();
  text.flush();
  std::string sum = sums ? "bytes" : "";
  EXPECT_EQ(v4.to_json("srcaddr", sum, 0, 0, 0), text.to_json("srcaddr", sum, 0, 0, 0));
  EXPECT_EQ(v4.to_text("srcaddr", sum, 0), text.to_text("srcaddr", sum, 0));
  EXPECT_EQ(v4.to_json("srcaddr", sum, 7, 0, 0), text.to_json("srcaddr", sum, 7, 0, 0));
  EXPECT_EQ(v4.size(), text.size());
}

TEST(GroupByV4, RandomKeysMatchTheTextTable) {
  std::mt19937 rng(7);
  std::vector<Event> events;
  for (int i = 0; i < 50000; ++i) {
    // Few distinct keys among many events, so counts and sums tie and the key decides.
    uint32_t ip = (rng() % 3000) * 2654435761U;
    events.push_back({ip, rng() % 50 != 0, static_cast<double>(rng() % 4)});
  }
  expect_same_as_text(events, 1000000, true);
  expect_same_as_text(events, 1000000, false);
}

TEST(GroupByV4, CollidingKeysStayApart) {
  // 40 addresses in the same home slot of the first (1024-slot) table, and the runs of slots
  // after it, found by search.
  std::vector<uint32_t> same;
  for (uint32_t ip = 1; same.size() < 40; ++ip)
    if ((hash_v4(ip) & 1023) == 5) same.push_back(ip);
  std::vector<Event> events;
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < same.size(); ++i)
      events.push_back({same[i], true, static_cast<double>(i * 10 + round)});
  events.push_back({0, true, 1});  // 0.0.0.0 is a key like any other (not an empty slot)
  events.push_back({0xFFFFFFFFU, true, 2});
  expect_same_as_text(events, 1000000, true);

  GroupBy g;
  for (const Event& e : events) g.add_v4(e.ip, e.has, e.value);
  g.flush();
  EXPECT_EQ(g.size(), 42U);
  EXPECT_EQ(g.v4_capacity(), 1024U);
  GroupBy::Group got;
  ASSERT_TRUE(g.find(dotted(same[3]), &got));
  EXPECT_EQ(got.count, 3U);
  EXPECT_EQ(got.sum, 30 + 31 + 32);
  ASSERT_TRUE(g.find("0.0.0.0", &got));
  EXPECT_EQ(got.count, 1U);
  EXPECT_FALSE(g.find("0.0.0.1", &got));
}

TEST(GroupByV4, GrowsAndKeepsEveryGroup) {
  GroupBy g(1000000, true);
  const uint32_t n = 300000;
  for (uint32_t i = 0; i < n; ++i) g.add_v4(i * 7919U + 3, true, 1);
  for (uint32_t i = 0; i < n; i += 3) g.add_v4(i * 7919U + 3, true, 2);
  g.flush();
  EXPECT_EQ(g.size(), n);
  EXPECT_EQ(g.events(), n + n / 3);
  // A power of two, at most half full.
  EXPECT_EQ(g.v4_capacity() & (g.v4_capacity() - 1), 0U);
  EXPECT_GE(g.v4_capacity(), 2 * std::size_t{n});
  EXPECT_LT(g.v4_capacity(), 4 * std::size_t{n});
  auto rows = g.sorted(true, 0);
  ASSERT_EQ(rows.size(), n);
  uint64_t total = 0;
  for (const auto& r : rows) total += r.count;
  EXPECT_EQ(total, n + n / 3);
  EXPECT_EQ(rows[0].count, 2U);
  EXPECT_EQ(rows[0].sum, 3);
  EXPECT_EQ(rows.back().count, 1U);
  GroupBy::Group got;
  ASSERT_TRUE(g.find(dotted(299997U * 7919U + 3), &got));
  EXPECT_EQ(got.count, 2U);
  ASSERT_TRUE(g.find(dotted(299998U * 7919U + 3), &got));
  EXPECT_EQ(got.count, 1U);
}

TEST(GroupByV4, GroupLimitCountsNewKeysAsOther) {
  GroupBy g(10, true);
  for (uint32_t i = 0; i < 6; ++i) g.add_v4(i, true, 100);
  for (int i = 0; i < 4; ++i) g.add("2001:db8::" + std::to_string(i), true, 10);
  // Past the limit: new keys of either table go to the overflow group, known ones still count.
  for (uint32_t i = 100; i < 110; ++i) g.add_v4(i, true, 1);
  g.add("2001:db8::ff", false, 0);
  g.add_v4(2, true, 5);
  g.add("2001:db8::1", true, 7);
  g.flush();
  EXPECT_EQ(g.size(), 10U);
  EXPECT_EQ(g.overflow().count, 11U);
  EXPECT_EQ(g.overflow().sum, 10);
  EXPECT_EQ(g.overflow().summed, 10U);
  GroupBy::Group got;
  ASSERT_TRUE(g.find("0.0.0.2", &got));
  EXPECT_EQ(got.count, 2U);
  EXPECT_EQ(got.sum, 105);
  ASSERT_TRUE(g.find("2001:db8::1", &got));
  EXPECT_EQ(got.count, 2U);
  EXPECT_EQ(got.sum, 17);
  std::string json = g.to_json("srcaddr", "bytes", 0, 0, 0);
  EXPECT_NE(json.find("\"overflow\":{\"count\":11,\"sum\":10,\"summed\":10}"), std::string::npos)
      << json;
  EXPECT_NE(g.to_text("srcaddr", "bytes", 0).find("(other: past the group limit)"),
            std::string::npos);
}

TEST(GroupByText, Ipv6AndOtherKeys) {
  GroupBy g;
  g.add("2001:db8::1", true, 10);
  g.add("2001:db8::1", true, 5);
  g.add("2001:DB8::1", true, 1);  // another spelling is another key (keys are the text)
  g.add("fe80::1ff:fe23:4567:890a", false, 0);
  g.add("", true, 3);             // the field was missing
  g.add("a\"b\x01", true, 2);     // escaped in JSON, made safe for terminals
  g.add("10.0.0.1", true, 4);     // an IPv4 address as text, no IPv4 group: stays text
  g.add_v4(0x0A000002, true, 1);  // 10.0.0.2
  g.add("10.0.0.2", true, 6);     // folded into the IPv4 group of the same dotted quad
  g.add("010.0.0.2", true, 1);    // not that dotted quad's text: its own key
  g.flush();
  EXPECT_EQ(g.size(), 9U);  // the folded text group still counts until the output
  std::string json = g.to_json("srcaddr", "bytes", 0, 0, 0);
  EXPECT_NE(json.find("{\"key\":\"2001:db8::1\",\"count\":2,\"sum\":15,\"summed\":2}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"key\":\"10.0.0.2\",\"count\":2,\"sum\":7,\"summed\":2}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"key\":\"fe80::1ff:fe23:4567:890a\",\"count\":1,\"sum\":0,\"summed\":0}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"key\":\"a\\\"b\\u0001\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"key\":\"10.0.0.2\"", json.find("\"key\":\"10.0.0.2\"") + 1),
            std::string::npos);
  std::string text = g.to_text("srcaddr", "bytes", 0);
  EXPECT_EQ(text.find('\x01'), std::string::npos);
  EXPECT_NE(text.find("(none)"), std::string::npos);
}

TEST(GroupByV4, CountsPastTwoToThe32AndUnsummedEvents) {
  GroupBy g(100, true);
  const uint64_t big = (uint64_t{1} << 32) + 12345;
  g.add_v4_group(0x01020304, big, 1e6, big - 7);
  for (int i = 0; i < 10; ++i) g.add_v4(0x01020304, i % 2 == 0, 1);
  g.add_v4_group(0x01020304, (uint64_t{1} << 31) + 1, 0, (uint64_t{1} << 31) + 1);
  g.add_v4(0x05060708, false, 0);
  g.flush();
  GroupBy::Group got;
  ASSERT_TRUE(g.find("1.2.3.4", &got));
  EXPECT_EQ(got.count, big + 10 + (uint64_t{1} << 31) + 1);
  EXPECT_EQ(got.summed, got.count - 7 - 5);
  EXPECT_EQ(got.sum, 1e6 + 5);
  const uint64_t count = got.count;
  ASSERT_TRUE(g.find("5.6.7.8", &got));
  EXPECT_EQ(got.count, 1U);
  EXPECT_EQ(got.summed, 0U);
  EXPECT_EQ(g.events(), big + 10 + (uint64_t{1} << 31) + 1 + 1);
  std::string json = g.to_json("srcaddr", "bytes", 0, 0, 0);
  EXPECT_NE(json.find("{\"key\":\"1.2.3.4\",\"count\":" + std::to_string(count) + ","),
            std::string::npos)
      << json;
}

TEST(GroupByV4, MergeEqualsOneTable) {
  std::mt19937 rng(11);
  GroupBy one(1000000, true), a(1000000, true), b(1000000, true);
  for (int i = 0; i < 20000; ++i) {
    uint32_t ip = rng() % 5000;
    bool has = rng() % 10 != 0;
    double x = rng() % 100;
    one.add_v4(ip, has, x);
    (i % 3 == 0 ? a : b).add_v4(ip, has, x);
    if (i % 97 == 0) {
      std::string key = "2001:db8::" + std::to_string(ip % 50);
      one.add(key, has, x);
      (i % 2 == 0 ? a : b).add(key, has, x);
    }
  }
  one.flush();
  a.merge(b);
  EXPECT_EQ(a.events(), one.events());
  EXPECT_EQ(a.to_json("srcaddr", "bytes", 0, 0, 0), one.to_json("srcaddr", "bytes", 0, 0, 0));
}

TEST(GroupByOrder, SumThenCountThenKeyBytes) {
  // Keys that share their first 16 bytes, prefixes of each other, and hold NUL bytes: the order
  // is std::string's, whatever the 16-byte heads say.
  std::vector<std::string> keys = {"abcdefghijklmnop",
                                   "abcdefghijklmnopq",
                                   "abcdefghijklmnopA",
                                   "abcdefghijklmno",
                                   std::string("ab\0", 3),
                                   std::string("ab", 2),
                                   std::string("ab\0c", 4),
                                   "b",
                                   "",
                                   "1.2.3.4",
                                   "1.2.3.40",
                                   "10.0.0.1"};
  GroupBy g(1000, false);
  for (const auto& k : keys) g.add(k, false, 0);
  g.add_v4(0x01020305, false, 0);  // 1.2.3.5 between the text keys 1.2.3.40 and 10.0.0.1
  g.add("b", false, 0);            // a higher count first
  g.flush();
  auto rows = g.sorted(false, 0);
  std::vector<std::string> got;
  for (const auto& r : rows) got.emplace_back(r.key());
  std::vector<std::string> want = keys;
  want.push_back("1.2.3.5");
  want.erase(std::find(want.begin(), want.end(), "b"));
  std::sort(want.begin(), want.end());
  want.insert(want.begin(), "b");
  EXPECT_EQ(got, want);
}

// Many groups (tens of thousands, as an ordering that is not a plain comparison sort would
// take): the order must be exactly sum (when summed) and count descending, then the key's bytes.
// Checked pair by pair and against the partial_sort path (`top` one short of all), with ties,
// negative and fractional sums, -0, IPv4 and text keys (some sharing their first 16 bytes).
TEST(GroupByOrder, RadixOrderEqualsComparisonOrder) {
  for (int variant = 0; variant < 2; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::mt19937 rng(11 + variant);
    GroupBy g(1000000, true);
    for (int i = 0; i < 60000; ++i) {
      const double values[] = {0.0, -0.0, 1.0, 2.5, -3.0, 1e12, 7.0, 1e-3};
      const double x = values[rng() % 8];
      const bool has = rng() % 10 != 0;
      if (rng() % 4 == 0) {
        g.add("key-with-a-long-shared-prefix-" + std::to_string(rng() % 5000), has, x);
      } else if (rng() % 50 == 0) {
        g.add("2001:db8::" + std::to_string(rng() % 300), has, x);
      } else {
        g.add_v4((rng() % 20000) * 2654435761U, has, x);
      }
    }
    g.flush();
    for (bool by_sum : {true, false}) {
      auto rows = g.sorted(by_sum, 0);
      ASSERT_GT(rows.size(), 4096u);
      ASSERT_EQ(rows.size(), g.size());
      {
        // Independent: every adjacent pair is in order.
        for (std::size_t i = 1; i < rows.size(); ++i) {
          const auto& a = rows[i - 1];
          const auto& b = rows[i];
          bool ok;
          if (by_sum && a.sum != b.sum) {
            ok = a.sum > b.sum;
          } else if (a.count != b.count) {
            ok = a.count > b.count;
          } else {
            ok = a.key() < b.key();
          }
          ASSERT_TRUE(ok) << i << ": " << a.key() << " then " << b.key();
        }
      }
      // The comparison sort of the same rows (partial_sort of all but one).
      auto part = g.sorted(by_sum, rows.size() - 1);
      ASSERT_EQ(part.size(), rows.size() - 1);
      {
        for (std::size_t i = 0; i < part.size(); ++i) {
          ASSERT_EQ(part[i].key(), rows[i].key()) << i;
          ASSERT_EQ(part[i].count, rows[i].count) << i;
        }
      }
    }
  }
}

// IPv4 rows are written from the sort's own items when no group has extras (every event summed,
// nothing folded), and from the table otherwise: both give the groups' exact numbers and keys
// (one to three digits an octet, all 15 bytes of the longest quads), in order.
TEST(GroupByOrder, Ipv4RowsFromTheOrderMatchTheGroups) {
  for (int variant = 0; variant < 2; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    std::mt19937 rng(5);
    GroupBy g(1000000, true);
    std::map<std::string, std::pair<uint64_t, double>> want;
    for (int i = 0; i < 20000; ++i) {
      const uint32_t ip = i % 3 == 0 ? 0xFFFFFF00U | (rng() % 7) : rng() % 4000 * 2654435761U;
      const double x = static_cast<double>(rng() % 5);
      g.add_v4(ip, true, x);
      ++want[dotted(ip)].first;
      want[dotted(ip)].second += x;
    }
    if (variant == 1) {  // a dotted quad as text folds into its IPv4 group
      g.add("255.255.255.1", true, 4);
      ++want["255.255.255.1"].first;
      want["255.255.255.1"].second += 4;
    }
    g.flush();
    auto rows = g.sorted(true, 0);
    ASSERT_EQ(rows.size(), want.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const auto& r = rows[k];
      auto it = want.find(std::string(r.key()));
      ASSERT_TRUE(it != want.end()) << r.key();
      EXPECT_EQ(r.count, it->second.first) << r.key();
      EXPECT_EQ(r.summed, it->second.first) << r.key();
      EXPECT_EQ(r.sum, it->second.second) << r.key();
      if (k > 0) {
        const auto& a = rows[k - 1];
        EXPECT_TRUE(a.sum != r.sum ? a.sum > r.sum
                                   : a.count != r.count ? a.count > r.count : a.key() < r.key())
            << k;
      }
    }
  }
}

// IPv4 groups sort by an order code (each octet's rank among "0".."255" as text) in a run of
// their own, merged with the text keys' run: the order must be exactly the keys' bytes within
// tied numbers. All in one tie: every octet value in every position (1.2.3.4 / 1.2.3.40 /
// 1.2.30.4, 9.x / 10.x / 100.x, 0s and 255s) beside text keys that sort among them (IPv4-like
// text that is not a canonical quad, IPv6, "", NUL bytes, keys longer than 16 bytes); then
// the same keys with mixed counts and sums, in full and with `top`.
TEST(GroupByOrder, Ipv4CodeOrderIsTheKeysTextOrder) {
  std::vector<uint32_t> ips;
  for (uint32_t o = 0; o < 256; ++o) {
    ips.push_back(o << 24 | 0x02030400U);  // o.2.3.4 .. (first octet)
    ips.push_back(0x01000304U | o << 16);  // 1.o.3.4
    ips.push_back(0x01020004U | o << 8);   // 1.2.o.4
    ips.push_back(0x01020300U | o);        // 1.2.3.o
    ips.push_back(o * 0x01010101U);        // o.o.o.o
    ips.push_back(o << 24 | (255 - o));    // o.0.0.(255-o)
  }
  for (uint32_t a : {0U, 1U, 9U, 10U, 99U, 100U, 199U, 200U, 249U, 250U, 255U})
    for (uint32_t b : {0U, 1U, 2U, 25U, 255U}) ips.push_back(a << 24 | b << 16 | a << 8 | b);
  ips.push_back(0xFFFFFFFFU);
  ips.push_back(0);
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  const std::vector<std::string> texts = {"",
                                          std::string("1.2\0", 4),
                                          "1.2.3.4 ",
                                          "1.2.3.04",
                                          "1.2.3",
                                          "1.2.3.4.5",
                                          "10.",
                                          "2001:db8::1",
                                          "255.255.255.255x",
                                          "255.255.255.2555",
                                          "255.255.255.255.255.255",
                                          "9",
                                          "::ffff:1.2.3.4",
                                          "abc",
                                          "100.100.100.100-and-more"};
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("variant " + std::to_string(variant));
    GroupBy g(1000000, true);
    std::map<std::string, std::pair<uint64_t, double>> want;
    std::mt19937 rng(3);
    auto add_n = [&](auto add, const std::string& key) {
      const int n = variant == 0 ? 1 : 1 + static_cast<int>(rng() % 3);
      const double x = variant == 2 ? static_cast<double>(rng() % 2) : 1.0;
      for (int i = 0; i < n; ++i) add(x);
      want[key].first += static_cast<uint64_t>(n);
      want[key].second += x * n;
    };
    for (uint32_t ip : ips) add_n([&](double x) { g.add_v4(ip, true, x); }, dotted(ip));
    for (const auto& t : texts) add_n([&](double x) { g.add(t, true, x); }, t);
    g.flush();
    std::vector<std::tuple<double, uint64_t, std::string>> ref;
    for (const auto& [k, v] : want) ref.emplace_back(v.second, v.first, k);
    for (bool by_sum : {true, false}) {
      // The order today's comparison sort gives: sum (when summed) and count descending, then
      // the key's bytes.
      std::sort(ref.begin(), ref.end(), [by_sum](const auto& a, const auto& b) {
        if (by_sum && std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
        if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
        return std::get<2>(a) < std::get<2>(b);
      });
      for (std::size_t top : {std::size_t{0}, std::size_t{1}, std::size_t{700}, ref.size() - 1}) {
        auto rows = g.sorted(by_sum, top);
        ASSERT_EQ(rows.size(), top == 0 ? ref.size() : top);
        for (std::size_t k = 0; k < rows.size(); ++k) {
          ASSERT_EQ(std::string(rows[k].key()), std::get<2>(ref[k])) << k;
          ASSERT_EQ(rows[k].count, std::get<1>(ref[k])) << k;
          ASSERT_EQ(rows[k].sum, std::get<0>(ref[k])) << k;
        }
      }
    }
  }
}

}  // namespace
}  // namespace sentinel::cli
