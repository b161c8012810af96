// search over flow records: the blocks are read newest first and the scan stops once the limit
// is full and no unread block can hold a newer record. Whatever the limit and filters, the hits
// must be the newest `limit` of what a scan of every block gives (scan_flows), records of the
// same second in the order of that scan, and `truncated` must say whether more matched.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/ip.h"
#include "store/batch.h"
#include "store/flows_analytics.h"
#include "store/search_query.h"
#include "store/writer.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

using ingest::FlowField;

class FlowSearchTest : public StoreFixture {
 protected:
  FlowSearchTest() : StoreFixture("sentinel-flow-search-test") {}

  std::unique_ptr<Store> open_rw() {
    auto s = Store::open(db_, OpenMode::kReadWrite);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Files (one block each) whose time ranges overlap, with many records of the same second,
  // records whose start is after their end, a record without times, and the watched addresses
  // on either end of some records.
  void ingest_files(Store& st) {
    std::mt19937 rng(11);
    const std::vector<std::string> ips = {"10.0.0.1", "10.0.0.2", "10.0.0.11", "192.0.2.7",
                                          "198.51.100.3"};
    const std::vector<std::string> enis = {"eni-0a1", "eni-0b2"};
    const std::vector<std::string> accounts = {"123456789012", "210987654321"};
    const int64_t base = 1700000000;
    for (int file = 0; file < 14; ++file) {
      std::string text =
          "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
          "start end action log-status\n";
      // Files 0-6 follow each other in time, 7-13 each span most of the range.
      const int64_t from = file < 7 ? base + file * 40 : base + 10 + (file % 3) * 7;
      const int64_t span = file < 7 ? 50 : 260;
      const int lines = 20 + static_cast<int>(rng() % 40);
      for (int i = 0; i < lines; ++i) {
        // Seconds shared by many records of several blocks, and blocks whose newest record is
        // at their last_end, so that the scan meets ties at the block it may stop before.
        const int64_t start = from + static_cast<int64_t>(rng() % span) / 5 * 5;
        int64_t end = file % 2 ? start : start + static_cast<int64_t>(rng() % 60);
        if (rng() % 9 == 0) end = start - 5;  // start after end
        text += "2 " + accounts[rng() % accounts.size()] + " " + enis[rng() % enis.size()] + " " +
                ips[rng() % ips.size()] + " " + ips[rng() % ips.size()] + " " +
                std::to_string(1024 + rng() % 60000) + " 443 6 10 " + std::to_string(rng() % 9000) +
                " " + std::to_string(start) + " " + std::to_string(end) + " " +
                (rng() % 4 ? "ACCEPT" : "REJECT") + " OK\n";
      }
      if (file == 3) text += "2 123456789012 eni-0a1 - - - - - - - - - - NODATA\n";
      ingest_file(st, "flows-" + std::to_string(file) + ".log", text);
    }
  }

  // What a scan of every block gives for `f`: the matching records in scan order, then newest
  // first (stable, so records of one second keep the scan's order).
  static std::vector<std::string> full_scan(Store& st, const SearchFilter& f) {
    IpAddr ip;
    const bool by_ip = !f.ip.empty() && IpAddr::parse(f.ip, &ip);
    FlowScan scan;
    if (by_ip) scan.keys.push_back(f.ip);
    if (!f.resource.empty()) scan.keys.push_back(f.resource);
    std::vector<std::pair<int64_t, std::string>> all;
    std::string err, h16;
    EXPECT_TRUE(scan_flows(
        st, scan,
        [&](const ingest::FlowRecord& rec) {
          if (by_ip && !(rec.srcaddr == ip || rec.dstaddr == ip)) return;
          if (!f.resource.empty() && rec.get(FlowField::kInterfaceId) != f.resource) return;
          const int64_t t = (rec.has(FlowField::kStart) ? rec.start : rec.end) * 1000;
          if (t < f.since_ms || t >= f.until_ms) return;
          if (!f.account.empty() && rec.get(FlowField::kAccountId) != f.account) return;
          content_hash16(rec.line, &h16);
          all.emplace_back(t, std::to_string(t) + " " + to_hex(h16));
        },
        nullptr, &err))
        << err;
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> v;
    for (auto& x : all) v.push_back(std::move(x.second));
    return v;
  }

  static std::vector<std::string> searched(Store& st, SearchFilter f, bool* truncated) {
    f.types = kSearchFlows;
    auto r = run_search(st, f);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> v;
    if (!r.ok()) return v;
    for (const auto& h : r->hits) v.push_back(std::to_string(h.time_ms) + " " + h.id);
    *truncated = r->truncated;
    return v;
  }

  // Every limit from 1 to past the number of matches gives the newest `limit` of the full scan.
  static void expect_newest(Store& st, SearchFilter f) {
    const std::vector<std::string> all = full_scan(st, f);
    ASSERT_GT(all.size(), 3U) << f.ip << f.resource;
    for (std::size_t limit = 1; limit <= all.size() + 2; ++limit) {
      f.limit = limit;
      bool truncated = false;
      const std::vector<std::string> got = searched(st, f, &truncated);
      const std::vector<std::string> want(
          all.begin(), all.begin() + static_cast<std::ptrdiff_t>(std::min(limit, all.size())));
      EXPECT_EQ(got, want) << f.ip << f.resource << " limit " << limit;
      EXPECT_EQ(truncated, all.size() > limit) << f.ip << f.resource << " limit " << limit;
    }
  }
};

TEST_F(FlowSearchTest, EarlyStopGivesTheNewestOfAFullScan) {
  auto st = open_rw();
  ASSERT_TRUE(st);
  ingest_files(*st);
  ASSERT_GE(scalar(*st, "SELECT count(*) FROM flow_blocks"), 14);
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "192.0.2.7"}) {
    SearchFilter f;
    f.ip = ip;
    expect_newest(*st, f);
  }
  SearchFilter by_eni;
  by_eni.resource = "eni-0b2";
  expect_newest(*st, by_eni);
}

TEST_F(FlowSearchTest, EarlyStopHoldsWithTimeAndAccountFilters) {
  auto st = open_rw();
  ASSERT_TRUE(st);
  ingest_files(*st);
  SearchFilter f;
  f.ip = "10.0.0.1";
  f.since_ms = (1700000000LL + 30) * 1000;
  f.until_ms = (1700000000LL + 200) * 1000;
  expect_newest(*st, f);
  SearchFilter g;
  g.ip = "10.0.0.2";
  g.account = "210987654321";
  expect_newest(*st, g);
}

}  // namespace
}  // namespace sentinel::store
