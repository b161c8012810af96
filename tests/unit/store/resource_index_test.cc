// The resource index (store/resource_index.h, ct_blocks): it may skip only the blocks that
// cannot hold a --resource match, wherever the text sits (additionalEventData, responseElements,
// a member name, inside resources[].ARN); prune takes its rows with their blocks; a store of
// the previous schema still answers (read-only as it is, and migrated when opened for write).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ingest/reader.h"
#include "store/batch.h"
#include "store/ct_index.h"
#include "store/prune.h"
#include "store/resource_index.h"
#include "store/search_query.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

TEST(GramIndex, EverySubstringLongEnoughIsAdmittedAndShortOnesAreNotIndexed) {
  std::mt19937 rng(7);
  const std::string alphabet = "abcdef0123456789-:/i";
  for (int round = 0; round < 300; ++round) {
    std::string s(20 + rng() % 200, 'x');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    GramBloomBuilder b;
    b.add_string(s);
    b.add_string("an-unrelated-string-of-the-same-block");
    std::string bloom;
    b.finish(&bloom);
    for (int k = 0; k < 20; ++k) {
      const std::size_t len = kMinIndexedNeedle + rng() % (s.size() - kMinIndexedNeedle + 1);
      const std::size_t at = rng() % (s.size() - len + 1);
      const std::string needle = s.substr(at, len);
      ASSERT_FALSE(needle_grams(needle).empty());
      ASSERT_TRUE(gram_bloom_may_hold(bloom, needle_grams(needle))) << s << " / " << needle;
    }
  }
  EXPECT_TRUE(needle_grams("i-0123abc").empty());  // shorter than a window: not indexed
  EXPECT_TRUE(gram_bloom_may_hold("", needle_grams("i-0123abc")));
  // A block without any string long enough holds no indexed needle.
  EXPECT_FALSE(gram_bloom_may_hold("", needle_grams("i-0123456789abcdef0")));
}

// A builder reused across blocks, with strings repeated inside a block (added once), a large
// block before small ones (its set of minima shrinks to the next block's size) and a large one
// after small ones (the set grows again, from a small table, mid-block), and blocks cleared with
// nothing added in between, gives each block the filter a fresh builder gives it from the
// block's distinct strings alone.
TEST(GramIndex, ReusedBuilderAndRepeatedStringsGiveTheSameFilter) {
  std::mt19937 rng(11);
  const std::string alphabet = "abcdef0123456789-:/i";
  auto random_string = [&] {
    std::string s(kMinIndexedNeedle - 3 + rng() % 60, 'x');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  GramBloomBuilder reused;
  for (int block = 0; block < 40; ++block) {
    // Blocks 0 and 20 are large (their tables grow far past what the others need).
    const int distinct = block == 0 || block == 20 ? 20000 : 5 + static_cast<int>(rng() % 300);
    if (block % 7 == 3) reused.clear();  // a file's start: nothing added since the last finish
    std::vector<std::string> strings;
    for (int i = 0; i < distinct; ++i) strings.push_back(random_string());
    GramBloomBuilder fresh;
    for (const auto& s : strings) fresh.add_string(s);
    // The reused builder sees each string one to four times, interleaved.
    std::vector<std::string> repeated;
    for (const auto& s : strings) {
      for (unsigned k = 0; k <= rng() % 4; ++k) repeated.push_back(s);
    }
    std::shuffle(repeated.begin(), repeated.end(), rng);
    for (const auto& s : repeated) reused.add_string(s);
    std::string a, b;
    fresh.finish(&a);
    reused.finish(&b);
    ASSERT_EQ(a, b) << "block " << block;
    ASSERT_TRUE(reused.empty());
    // Every long enough substring of each string is still admitted.
    for (const auto& s : strings) {
      if (s.size() < kMinIndexedNeedle) continue;
      ASSERT_TRUE(gram_bloom_may_hold(b, needle_grams(s))) << s;
    }
  }
  // A string of an earlier block is windowed again in a later one (the seen set is per block).
  const std::string id = "i-0123456789abcdef0";
  reused.add_string(id);
  std::string first;
  reused.finish(&first);
  reused.add_string(id);
  std::string second;
  reused.finish(&second);
  EXPECT_EQ(first, second);
  EXPECT_TRUE(gram_bloom_may_hold(second, needle_grams(id)));
}

std::string record(int n, const std::string& time, const std::string& extra) {
  char id[64];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  return std::string("{\"eventVersion\":\"1.08\",\"eventTime\":\"") + time +
         "\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeThings\","
         "\"eventID\":\"" +
         id +
         "\",\"recipientAccountId\":\"123456789012\",\"userIdentity\":{\"type\":\"IAMUser\","
         "\"arn\":\"arn:aws:iam::123456789012:user/u-holds-i-0ffffffffffffff99\"}" +
         extra + "}";
}

// A file of filler calls (their own identifiers, none of the searched ones) around one call.
std::string file_with(int base, const std::string& time, const std::string& extra) {
  std::string f = "{\"Records\":[";
  for (int i = 0; i < 40; ++i) {
    char filler[160];
    std::snprintf(filler, sizeof filler,
                  ",\"requestParameters\":{\"instanceId\":\"i-0%016d\",\"groupName\":"
                  "\"filler-group-%06d\"}",
                  base * 100 + i, base * 100 + i);
    f += record(base * 100 + i, time, filler) + ",";
  }
  f += record(base * 100 + 99, time, extra) + "]}";
  return f;
}

struct Case {
  const char* needle;
  const char* extra;
};
// Each identifier sits in one place only, in a file (and so a block) of its own.
const Case kCases[] = {
    {"i-0a1b2c3d4e5f60718",
     ",\"additionalEventData\":{\"note\":\"launched i-0a1b2c3d4e5f60718 by hand\"}"},
    {"eni-0b9c8d7e6f5a41234",
     ",\"responseElements\":{\"networkInterface\":{\"networkInterfaceId\":"
     "\"eni-0b9c8d7e6f5a41234\"}}"},
    {"sg-0c3e5a7b9d1f24680", ",\"requestParameters\":{\"sg-0c3e5a7b9d1f24680\":{\"a\":1}}"},
    {"i-0d4f6a8c0e2b13579",
     ",\"resources\":[{\"ARN\":\"arn:aws:ec2:us-east-1:123456789012:instance/"
     "i-0d4f6a8c0e2b13579\",\"type\":\"AWS::EC2::Instance\"}]"},
    {"payroll-exports-2024",
     ",\"requestParameters\":{\"bucketName\":\"payroll-exports-2024\",\"key\":\"a\\/b.csv\"}"},
};

class ResourceIndexTest : public StoreFixture {
 protected:
  ResourceIndexTest() : StoreFixture("sentinel-resource-test") {}

  std::unique_ptr<Store> open(OpenMode mode) {
    auto s = Store::open(db_, mode);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  void ingest(Store& st, const std::string& path, const std::string& bytes) {
    ingest_file(st, path, bytes);
  }

  void ingest_cases(Store& st, const char* time = "2024-03-09T02:00:00Z") {
    int n = 1;
    for (const auto& c : kCases) {
      ingest(st, "f" + std::to_string(n) + ".json", file_with(n, time, c.extra));
      ++n;
    }
  }

  static std::vector<std::string> ids(Store& st, SearchFilter f) {
    f.types = kSearchCloudTrail;
    auto r = run_search(st, f);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> v;
    if (r.ok()) {
      for (const auto& h : r->hits) v.push_back(h.id);
    }
    std::sort(v.begin(), v.end());
    return v;
  }

  static std::string id_of(int file) {
    char id[64];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", file * 100 + 99);
    return id;
  }

  // Turns the store into one of schema version 1 (no resource index), as an older build left it.
  void make_version_1() {
    make_version_2();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_TRUE(exec(db,
                     "DROP TABLE ct_blocks; DELETE FROM meta WHERE key = 'ct_blocks_from'; "
                     "UPDATE meta SET value = '1' WHERE key = 'schema'; PRAGMA user_version = 1",
                     nullptr));
    sqlite3_close(db);
  }
};

TEST_F(ResourceIndexTest, FindsTheResourceWhereverItIsAndSkipsTheOtherBlocks) {
  auto st = open(OpenMode::kReadWrite);
  ingest_cases(*st);
  ASSERT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 5);
  ASSERT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks WHERE first_id IS NULL"), 0);
  int n = 1;
  int others = 0;
  for (const auto& c : kCases) {
    SearchFilter f;
    f.resource = c.needle;
    auto plan = explain_search(*st, f);
    ASSERT_TRUE(plan.ok());
    // An id of 17 hex digits is found through its postings, anything else through the filters.
    CtResourceNeedle rn;
    const bool has_id = ct_resource_needle(c.needle, &rn);
    EXPECT_NE(plan->find(has_id ? "postings of the resource id" : "resource index"),
              std::string::npos)
        << *plan;
    EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(n)}) << c.needle;
    // Through the time index too, and a range that misses the blocks' times finds nothing.
    f.since_ms = 1709949600000;  // 2024-03-09T02:00:00Z
    EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(n)}) << c.needle;
    f.since_ms = 1709949600001;
    EXPECT_TRUE(ids(*st, f).empty()) << c.needle;
    // Its own block always passes the filter; the others nearly never (a bloom filter).
    Stmt s(st->db(), "SELECT block, grams FROM ct_blocks ORDER BY block", nullptr);
    int block = 0;
    while (s.step() == SQLITE_ROW) {
      const bool may = gram_bloom_may_hold(s.col_blob(1), needle_grams(c.needle));
      if (++block == n) {
        EXPECT_TRUE(may) << c.needle;
      } else {
        others += may;
      }
    }
    ++n;
  }
  EXPECT_LE(others, 1) << "of " << 5 * 4 << " blocks that lack the needle";
  // Only in userIdentity: not a resource, with or without the index.
  SearchFilter u;
  u.resource = "i-0ffffffffffffff99";
  EXPECT_TRUE(ids(*st, u).empty());
  // Substrings keep matching: a part of an identifier (indexed length) and a short one (scan).
  u.resource = "1b2c3d4e5f60718";
  EXPECT_EQ(ids(*st, u), std::vector<std::string>{id_of(1)});
  u.resource = "exports-2024";
  EXPECT_EQ(ids(*st, u), std::vector<std::string>{id_of(5)});
  u.resource = "4680";
  EXPECT_EQ(ids(*st, u), std::vector<std::string>{id_of(3)});
}

TEST_F(ResourceIndexTest, IndexedAnswersEqualTheScan) {
  auto st = open(OpenMode::kReadWrite);
  ingest_cases(*st);
  std::vector<std::string> needles;
  for (const auto& c : kCases) needles.emplace_back(c.needle);
  for (const char* n :
       {"i-00000000000000201", "filler-group-000310", "filler-group-0003",
        "arn:aws:ec2:us-east-1:123456789012:instance/", "networkInterfaceId", "AWS::EC2::Instance",
        "groupName", "i-0000000000000", "not-anywhere-at-all"}) {
    needles.emplace_back(n);
  }
  std::vector<std::vector<std::string>> indexed;
  for (const auto& n : needles) {
    SearchFilter f;
    f.resource = n;
    indexed.push_back(ids(*st, f));
  }
  EXPECT_EQ(indexed[5].size(), 1u);
  EXPECT_EQ(indexed[6].size(), 1u);
  EXPECT_EQ(indexed[7].size(), 40u);
  // The same store with its index out of use (no block marked as indexed, no segment marked as
  // having resource postings): a scan of every record.
  ASSERT_TRUE(
      exec(st->db(), "UPDATE meta SET value = '1000000' WHERE key = 'ct_blocks_from'", nullptr));
  ASSERT_TRUE(exec(
      st->db(),
      ("DELETE FROM ct_post WHERE term = " + std::to_string(ct_term(CtTermKind::kResourceMark, 0)))
          .c_str(),
      nullptr));
  for (std::size_t i = 0; i < needles.size(); ++i) {
    SearchFilter f;
    f.resource = needles[i];
    auto plan = explain_search(*st, f);
    ASSERT_TRUE(plan.ok());
    EXPECT_NE(plan->find("SCAN c\n"), std::string::npos) << *plan;  // every record is read
    EXPECT_EQ(ids(*st, f), indexed[i]) << needles[i];
  }
}

TEST_F(ResourceIndexTest, ALimitKeepsTheNewestMatchesOfTheIndexedBlocks) {
  auto st = open(OpenMode::kReadWrite);
  // Files (blocks) of different days, not in time order.
  const char* days[] = {"2024-03-03T10:00:00Z", "2024-03-05T10:00:00Z", "2024-03-01T10:00:00Z",
                        "2024-03-04T10:00:00Z", "2024-03-02T10:00:00Z"};
  for (int i = 0; i < 5; ++i) {
    ingest(*st, "d" + std::to_string(i) + ".json", file_with(i + 1, days[i], kCases[i].extra));
  }
  auto newest = [&](std::size_t limit) {
    SearchFilter f;
    f.resource = "filler-group-000";  // every filler call: 40 a block
    f.types = kSearchCloudTrail;
    f.limit = limit;
    auto r = run_search(*st, f);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> v;
    for (const auto& h : r->hits) v.push_back(h.id + "@" + std::to_string(h.time_ms));
    EXPECT_EQ(r->truncated, limit < 200u);
    return v;
  };
  std::vector<std::vector<std::string>> indexed;
  for (std::size_t limit : {1u, 39u, 40u, 41u, 100u, 1000u}) indexed.push_back(newest(limit));
  EXPECT_EQ(indexed.back().size(), 200u);
  ASSERT_TRUE(
      exec(st->db(), "UPDATE meta SET value = '1000000' WHERE key = 'ct_blocks_from'", nullptr));
  std::size_t i = 0;
  for (std::size_t limit : {1u, 39u, 40u, 41u, 100u, 1000u}) {
    EXPECT_EQ(newest(limit), indexed[i++]) << limit;
  }
}

TEST_F(ResourceIndexTest, PruneTakesTheIndexRowsWithTheirBlocks) {
  auto st = open(OpenMode::kReadWrite);
  ingest(*st, "old.json", file_with(1, "2024-01-01T00:00:00Z", kCases[0].extra));
  ingest(*st, "new.json", file_with(2, "2024-06-01T00:00:00Z", kCases[1].extra));
  ASSERT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 2);
  PruneCounts pc;
  std::string err;
  ASSERT_TRUE(prune(*st, 1714521600000, false, &pc, &err)) << err;  // 2024-05-01
  EXPECT_EQ(pc.raw_blocks, 1u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 1);
  EXPECT_EQ(
      scalar(*st, "SELECT count(*) FROM ct_blocks WHERE block NOT IN (SELECT id FROM raw_blocks)"),
      0);
  SearchFilter f;
  f.resource = kCases[0].needle;
  EXPECT_TRUE(ids(*st, f).empty());
  f.resource = kCases[1].needle;
  EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(2)});
  // A block id freed by prune and used again gets its own index row.
  ingest(*st, "later.json", file_with(3, "2024-07-01T00:00:00Z", kCases[2].extra));
  f.resource = kCases[2].needle;
  EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(3)});
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 2);
}

TEST_F(ResourceIndexTest, AStoreOfTheOldSchemaStillAnswers) {
  {
    auto st = open(OpenMode::kReadWrite);
    ingest(*st, "f1.json", file_with(1, "2024-03-09T02:00:00Z", kCases[0].extra));
    ingest(*st, "f2.json", file_with(2, "2024-03-09T02:00:00Z", kCases[1].extra));
  }
  make_version_1();
  {
    // Read-only, as it is: every block is read.
    auto ro = open(OpenMode::kReadOnly);
    ASSERT_NE(ro, nullptr);
    EXPECT_EQ(scalar(*ro, "PRAGMA user_version"), 1);
    SearchFilter f;
    f.resource = kCases[0].needle;
    EXPECT_EQ(ids(*ro, f), std::vector<std::string>{id_of(1)});
    f.resource = kCases[1].needle;
    EXPECT_EQ(ids(*ro, f), std::vector<std::string>{id_of(2)});
  }
  // Opened for write: migrated; the blocks written before stay unindexed and are still read,
  // the new ones are indexed.
  auto st = open(OpenMode::kReadWrite);
  EXPECT_EQ(scalar(*st, "PRAGMA user_version"), 3);
  EXPECT_EQ(scalar(*st, "SELECT value FROM meta WHERE key = 'ct_blocks_from'"), 3);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 0);
  ingest(*st, "f3.json", file_with(3, "2024-03-09T02:00:00Z", kCases[0].extra));
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_blocks"), 1);
  SearchFilter f;
  f.resource = kCases[0].needle;  // in an old block and in the new one
  EXPECT_EQ(ids(*st, f), (std::vector<std::string>{id_of(1), id_of(3)}));
  f.since_ms = 0;
  EXPECT_EQ(ids(*st, f), (std::vector<std::string>{id_of(1), id_of(3)}));
  f.since_ms = kNoLowerTime;
  f.resource = kCases[1].needle;  // only in an old block
  EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(2)});
  // Under another driver (the principal) the old block is read, the new one tested first.
  f.principal = "arn:aws:iam::123456789012:user/u-holds-i-0ffffffffffffff99";
  EXPECT_EQ(ids(*st, f), std::vector<std::string>{id_of(2)});
}

}  // namespace
}  // namespace sentinel::store
