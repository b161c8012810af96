// Schema 3's CloudTrail rows: uniqueness through ct_uid / ct_uid_more, the postings behind
// search and the cloudtrail view, the migration of a version 2 store, and prune.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ingest/reader.h"
#include "store/batch.h"
#include "store/ct_index.h"
#include "store/prune.h"
#include "store/search_query.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

struct Ev {
  std::string id;  // eventID
  std::string account = "111122223333";
  std::string time = "2024-03-09T02:00:00Z";
  std::string ip = "198.51.100.7";
  std::string arn = "arn:aws:iam::111122223333:user/alice";
  std::string key = "AKIAEXAMPLEALICE0001";
  std::string name = "DescribeInstances";
  std::string extra;  // more members of the record (",\"requestParameters\":{...}")
};

std::string record(const Ev& e) {
  return "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"" + e.arn +
         "\",\"accountId\":\"" + e.account + "\",\"accessKeyId\":\"" + e.key +
         "\"},\"eventTime\":\"" + e.time +
         "\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" + e.name +
         "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"" + e.ip +
         "\",\"userAgent\":\"aws-cli/2\",\"eventID\":\"" + e.id +
         "\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"" + e.account + "\"" + e.extra +
         "}";
}

std::string file_of(const std::vector<Ev>& evs) {
  std::string f = "{\"Records\":[";
  for (std::size_t i = 0; i < evs.size(); ++i) f += (i ? "," : "") + record(evs[i]);
  return f + "]}";
}

std::string uuid(int n) {
  char b[40];
  std::snprintf(b, sizeof b, "%08x-0000-4000-8000-%012x", n, n * 7 + 1);
  return b;
}

class CtIndexTest : public StoreFixture {
 protected:
  CtIndexTest() : StoreFixture("sentinel-ct-index-test") {}

  std::unique_ptr<Store> open(OpenMode mode = OpenMode::kReadWrite) {
    auto s = Store::open(db_, mode);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Writes the files in one transaction (one postings segment); returns the events added.
  uint64_t ingest(Store& st, const std::vector<std::pair<std::string, std::string>>& files) {
    Writer w(&st);
    EXPECT_TRUE(w.ok()) << w.error();
    EXPECT_TRUE(w.begin()) << w.error();
    WriteCounts c;
    for (const auto& [path, bytes] : files) {
      BatchBuilder builder(6);
      FileBatch batch;
      parse_into(path, bytes, builder, builder, &batch);
      EXPECT_TRUE(w.add(batch, &c)) << w.error();
    }
    EXPECT_TRUE(w.commit()) << w.error();
    return c.events;
  }

  static std::string text(Store& st, const std::string& sql) {
    Stmt s(st.db(), sql, nullptr);
    EXPECT_TRUE(s.ok()) << sql;
    return s.ok() && s.step() == SQLITE_ROW ? std::string(s.col_text(0)) : std::string();
  }

  static std::vector<std::string> search_ids(Store& st, SearchFilter f) {
    f.types = kSearchCloudTrail;
    auto r = run_search(st, f);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& h : r->hits) ids.push_back(h.id + "/" + h.account);
    }
    return ids;
  }

  // Many events over several transactions (segments), with repeated values and times in
  // different hours, in an order that is not time order.
  void build_mixed(Store& st, int files = 6, int per_file = 60) {
    std::mt19937 rng(7);
    int n = 0;
    for (int f = 0; f < files; ++f) {
      std::vector<std::pair<std::string, std::string>> tx;
      for (int half = 0; half < 2; ++half) {
        std::vector<Ev> evs;
        for (int i = 0; i < per_file; ++i, ++n) {
          Ev e;
          e.id = uuid(n);
          e.account = rng() % 4 == 0 ? "444455556666" : "111122223333";
          char t[32];
          std::snprintf(t, sizeof t, "2024-03-%02dT%02d:%02d:00Z", 9 + static_cast<int>(rng() % 3),
                        static_cast<int>(rng() % 24), static_cast<int>(rng() % 60));
          e.time = t;
          e.ip = "198.51.100." + std::to_string(rng() % 9);
          e.arn = "arn:aws:iam::111122223333:user/u" + std::to_string(rng() % 7);
          e.key = "AKIAEXAMPLE" + std::to_string(100000000 + rng() % 30);
          e.name = rng() % 3 == 0 ? "DeleteBucket" : "DescribeInstances";
          evs.push_back(e);
        }
        tx.emplace_back("f" + std::to_string(f) + "-" + std::to_string(half) + ".json",
                        file_of(evs));
      }
      ingest(st, tx);
    }
  }

  // What every filter value answers, through search (postings) and the view (ct_rows).
  static std::vector<std::string> answers(Store& st) {
    std::vector<std::string> out;
    for (int i = 0; i < 9; ++i) {
      SearchFilter f;
      f.ip = "198.51.100." + std::to_string(i);
      f.limit = 25;
      for (const auto& x : search_ids(st, f)) out.push_back("ip" + std::to_string(i) + " " + x);
      f.since_ms = 1710000000000;  // 2024-03-09T16:00Z
      f.until_ms = 1710100000000;
      for (const auto& x : search_ids(st, f)) out.push_back("ipt" + std::to_string(i) + " " + x);
    }
    for (int i = 0; i < 7; ++i) {
      SearchFilter f;
      f.principal = "u" + std::to_string(i);
      f.event = "Delete*";
      for (const auto& x : search_ids(st, f)) out.push_back("pr" + std::to_string(i) + " " + x);
    }
    for (int i = 0; i < 30; i += 3) {
      SearchFilter f;
      f.access_key = "AKIAEXAMPLE" + std::to_string(100000000 + i);
      for (const auto& x : search_ids(st, f)) out.push_back("k" + std::to_string(i) + " " + x);
    }
    {
      SearchFilter f;
      f.since_ms = 1710000000000;
      f.until_ms = 1710010000000;
      for (const auto& x : search_ids(st, f)) out.push_back("t " + x);
    }
    for (const char* where : {"sourceIPAddress = '198.51.100.3'",
                              "userIdentity_arn = 'arn:aws:iam::111122223333:user/u2'",
                              "userIdentity_accessKeyId = 'AKIAEXAMPLE100000004'",
                              "eventTimeMs >= 1710000000000 AND eventTimeMs < 1710050000000",
                              "eventID = '0000002a-0000-4000-8000-000000000127'"}) {
      Stmt s(st.db(),
             std::string("SELECT eventID, recipientAccountId, eventTime, eventName FROM cloudtrail "
                         "WHERE ") +
                 where + " ORDER BY eventTimeMs, eventID, recipientAccountId",
             nullptr);
      EXPECT_TRUE(s.ok()) << sqlite3_errmsg(st.db());
      while (s.ok() && s.step() == SQLITE_ROW) {
        out.push_back(std::string(where) + " " + std::string(s.col_text(0)) + " " +
                      std::string(s.col_text(1)) + " " + std::string(s.col_text(2)));
      }
    }
    return out;
  }
};

TEST_F(CtIndexTest, TheSameEventIdInTwoAccountsIsTwoEventsAndNeitherIsStoredTwice) {
  auto st = open();
  Ev a;
  a.id = uuid(1);
  Ev b = a;
  b.account = "444455556666";
  Ev x;
  x.id = uuid(2);
  EXPECT_EQ(ingest(*st, {{"a.json", file_of({a, x})}}), 2u);
  EXPECT_EQ(ingest(*st, {{"b.json", file_of({b})}}), 1u);
  // b's key (the eventID's hash) was taken by a: b is found through ct_uid_more.
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid"), 2);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid_more"), 1);
  // Changed files with the same events again and one new each: only the new ones are added.
  Ev y;
  y.id = uuid(3);
  Ev z;
  z.id = uuid(4);
  z.account = "444455556666";
  EXPECT_EQ(ingest(*st, {{"b.json", file_of({b, a, y})}, {"a.json", file_of({x, b, z})}}), 2u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 5);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM cloudtrail WHERE eventID = '" + a.id + "'"), 2);
  EXPECT_EQ(text(*st,
                 "SELECT group_concat(recipientAccountId) FROM (SELECT recipientAccountId "
                 "FROM cloudtrail WHERE eventID = '" +
                     a.id + "' ORDER BY 1)"),
            "111122223333,444455556666");
  // `show` gives the first one stored.
  std::string raw, type;
  ASSERT_TRUE(st->find_raw(a.id, &raw, &type));
  EXPECT_EQ(raw, record(a));
  ASSERT_TRUE(st->find_raw(z.id, &raw, &type));
  EXPECT_EQ(raw, record(z));
  EXPECT_FALSE(st->find_raw(uuid(99), &raw, &type));
}

// The writer inserts rows several to a statement: a repeat of a row not inserted yet (next to
// it, or a statement later) is still found and dropped, and the same eventID in another account
// is still a second event (ct_uid_more), not taken for a repeat nor for a collision.
TEST_F(CtIndexTest, RepeatsInsideOneFileAreDroppedWhateverTheirDistance) {
  auto st = open();
  std::vector<Ev> evs;
  for (int i = 0; i < 40; ++i) {
    Ev e;
    e.id = uuid(100 + i);
    evs.push_back(e);
  }
  Ev other = evs[7];
  other.account = "444455556666";
  std::vector<Ev> file;
  for (int i = 0; i < 40; ++i) {
    file.push_back(evs[i]);
    if (i == 5) file.push_back(evs[5]);   // right after itself
    if (i == 7) file.push_back(other);    // the same eventID, another account
    if (i == 30) file.push_back(evs[2]);  // several rows later
  }
  file.push_back(evs[39]);
  EXPECT_EQ(ingest(*st, {{"a.json", file_of(file)}}), 41u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 41);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid"), 40);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid_more"), 1);
  EXPECT_EQ(scalar(*st, "SELECT count(DISTINCT raw) FROM ct_events"), 41);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM cloudtrail WHERE eventID = '" + evs[7].id + "'"), 2);
  // Every row's identity and record are the event's own.
  std::string raw, type;
  for (const Ev& e : evs) {
    ASSERT_TRUE(st->find_raw(e.id, &raw, &type));
    EXPECT_EQ(raw, record(e));
  }
  EXPECT_EQ(ingest(*st, {{"a.json", file_of(file)}}), 0u);
}

TEST_F(CtIndexTest, AKeyTakenByAnotherEventIsResolvedByTheRealUid) {
  auto st = open();
  Ev p;
  p.id = uuid(10);
  Ev q;
  q.id = uuid(11);
  ASSERT_EQ(ingest(*st, {{"p.json", file_of({p})}}), 1u);
  // Make q's key collide: point it at p's row, as a 63-bit hash collision would.
  std::string q_uid;
  ASSERT_TRUE(pack_uuid_text(q.id, &q_uid));
  ASSERT_TRUE(exec(st->db(),
                   "INSERT INTO ct_uid(key, id) VALUES (" + std::to_string(ct_uid_key(q_uid)) +
                       ", (SELECT id FROM ct_events))",
                   nullptr));
  EXPECT_EQ(ingest(*st, {{"q.json", file_of({q})}}), 1u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid_more"), 1);
  // Both again (changed files): nothing is added.
  EXPECT_EQ(ingest(*st, {{"q.json", file_of({q, p})}, {"p.json", file_of({p, q})}}), 0u);
  std::string raw, type;
  ASSERT_TRUE(st->find_raw(q.id, &raw, &type));
  EXPECT_EQ(raw, record(q));
  ASSERT_TRUE(st->find_raw(p.id, &raw, &type));
  EXPECT_EQ(raw, record(p));
  EXPECT_EQ(text(*st, "SELECT eventID FROM cloudtrail WHERE eventID = '" + q.id + "'"), q.id);
}

TEST_F(CtIndexTest, PostingsAnswerWhatAScanOfEveryRowAnswers) {
  auto st = open();
  build_mixed(*st);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_segs"), 6);
  // Every term of every segment names exactly the rows whose column holds it (no more: postings
  // are exact for dictionary ids; access keys by their hash).
  for (const char* col : {"source_ip", "principal"}) {
    Stmt v(st->db(), std::string("SELECT DISTINCT ") + col + " FROM ct_events", nullptr);
    while (v.step() == SQLITE_ROW) {
      const int64_t id = v.col_int(0);
      CtPostingsReader r(st->db());
      std::vector<CtPosting> got;
      std::string err;
      const auto kind =
          std::string(col) == "source_ip" ? CtTermKind::kSourceIp : CtTermKind::kPrincipal;
      ASSERT_TRUE(r.read(ct_term(kind, id), INT64_MIN, INT64_MAX, &got, &err)) << err;
      std::vector<int64_t> ids;
      for (const auto& p : got) ids.push_back(p.id);
      std::sort(ids.begin(), ids.end());
      std::vector<int64_t> want;
      Stmt w(st->db(), std::string("SELECT id FROM ct_events WHERE ") + col + " = ?1 ORDER BY id",
             nullptr);
      w.bind(1, id);
      while (w.step() == SQLITE_ROW) want.push_back(w.col_int(0));
      EXPECT_EQ(ids, want) << col << " " << id;
    }
  }
  // Search and the view against a store where the same rows are read without postings.
  const std::vector<std::string> with = answers(*st);
  EXPECT_GT(with.size(), 300u);
  st.reset();
  make_version_2();
  auto ro = open(OpenMode::kReadOnly);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(scalar(*ro, "PRAGMA user_version"), 2);
  EXPECT_EQ(answers(*ro), with);
}

TEST_F(CtIndexTest, TimeOrderIsGivenByThePostingsWithoutASort) {
  {
    auto st = open();
    build_mixed(*st, 3);
    // Calls without an eventTime: NULL times, last newest first and first oldest first.
    std::string f = "{\"Records\":[";
    for (int i = 0; i < 3; ++i) {
      Ev e;
      e.id = uuid(90000 + i);
      std::string r = record(e);
      const std::size_t at = r.find("\"eventTime\"");
      r.erase(at, r.find(',', at) - at + 1);
      f += (i ? "," : "") + r;
    }
    ingest(*st, {{"untimed.json", f + "]}"}});
  }
  const std::vector<std::string> queries = {
      "ORDER BY eventTimeMs DESC LIMIT 500",
      "ORDER BY eventTimeMs LIMIT 500",
      "ORDER BY eventTimeMs DESC",
      "WHERE sourceIPAddress = '198.51.100.4' ORDER BY eventTimeMs DESC",
      "WHERE eventTimeMs >= 1710000000000 AND eventTimeMs < 1710090000000 ORDER BY eventTimeMs",
      "WHERE eventTimeMs < 1710030000000 ORDER BY eventTimeMs DESC LIMIT 20"};
  // Rows of equal time may come in any order: compare the times in order, and (without a
  // LIMIT, where the rows at the cut are any of the tied ones) the rows as a set.
  auto rows = [&](Store& st) {
    std::vector<std::string> out;
    for (const auto& q : queries) {
      Stmt s(st.db(), "SELECT eventID, recipientAccountId, eventTimeMs FROM cloudtrail " + q,
             nullptr);
      EXPECT_TRUE(s.ok()) << q;
      std::vector<std::string> set;
      while (s.ok() && s.step() == SQLITE_ROW) {
        out.push_back(q + " " + std::string(s.col_text(2)));
        if (q.find("LIMIT") == std::string::npos) {
          set.push_back(q + " " + std::string(s.col_text(0)) + " " + std::string(s.col_text(1)) +
                        " " + std::string(s.col_text(2)));
        }
      }
      std::sort(set.begin(), set.end());
      out.insert(out.end(), set.begin(), set.end());
    }
    return out;
  };
  std::vector<std::string> v3;
  {
    auto st = open(OpenMode::kReadOnly);
    v3 = rows(*st);
    for (const auto& q : queries) {
      Stmt p(st->db(), "EXPLAIN QUERY PLAN SELECT eventID FROM cloudtrail " + q, nullptr);
      std::string d;
      while (p.step() == SQLITE_ROW) d += std::string(p.col_text(3)) + ";";
      EXPECT_EQ(d.find("TEMP B-TREE"), std::string::npos) << q << ": " << d;
    }
  }
  EXPECT_GT(v3.size(), 1000u);
  make_version_2();  // the same rows through the schema 2 time index
  auto ro = open(OpenMode::kReadOnly);
  EXPECT_EQ(rows(*ro), v3);
}

TEST_F(CtIndexTest, AVersion2StoreIsMigratedWhenOpenedForWriting) {
  {
    auto st = open();
    build_mixed(*st, 3);
  }
  auto before = [&]() {
    auto ro = open(OpenMode::kReadOnly);
    return answers(*ro);
  }();
  make_version_2();
  auto st = open();
  EXPECT_EQ(scalar(*st, "PRAGMA user_version"), 3);
  EXPECT_EQ(text(*st, "SELECT value FROM meta WHERE key = 'schema'"), "3");
  EXPECT_EQ(scalar(*st,
                   "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = "
                   "'ct_events'"),
            0);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid"),
            scalar(*st, "SELECT count(*) FROM ct_events"));
  EXPECT_EQ(answers(*st), before);
  // And it takes new rows, unique against the migrated ones.
  Ev again;
  again.id = uuid(5);
  again.account =
      text(*st, "SELECT recipientAccountId FROM cloudtrail WHERE eventID = '" + uuid(5) + "'");
  again.time = text(*st, "SELECT eventTime FROM cloudtrail WHERE eventID = '" + uuid(5) + "'");
  Ev fresh;
  fresh.id = uuid(100000);
  fresh.ip = "203.0.113.77";
  EXPECT_EQ(ingest(*st, {{"late.json", file_of({again, fresh})}}), 1u);
  SearchFilter f;
  f.ip = "203.0.113.77";
  EXPECT_EQ(search_ids(*st, f), std::vector<std::string>{fresh.id + "/111122223333"});
}

TEST(CtPostingsSort, TheKindWiseSortIsAStableSortByTerm) {
  // Every kind of term, with values that span a few slots (hours), many (access-key buckets,
  // dictionary ids) or 56 bits (hashed resource ids): the order std::stable_sort by term gives,
  // entry for entry (rows were added in rowid order, so each term's rows stay ascending).
  using Entry = CtPostingsBuilder::Entry;
  std::mt19937_64 rng(7);
  std::vector<Entry> scratch;
  std::vector<uint32_t> counts;
  for (const std::size_t n : {0u, 1u, 2u, 17u, 1000u, 60000u}) {
    std::vector<Entry> e;
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = static_cast<int64_t>(i + 1);
      switch (rng() % 6) {
        case 0:
          e.push_back(
              {ct_term(CtTermKind::kSourceIp, 1 + static_cast<int64_t>(rng() % 300)), id, 0});
          break;
        case 1:  // dictionary ids far apart: a span of more than 4 per entry
          e.push_back(
              {ct_term(CtTermKind::kPrincipal, static_cast<int64_t>(rng() % 3) << 40), id, 0});
          break;
        case 2:
          e.push_back({ct_access_key_term("AKIA" + std::to_string(rng() % 5000)), id, 0});
          break;
        case 3:
          e.push_back(
              {ct_hour_term(1'700'000'000'000 + static_cast<int64_t>(rng() % 40) * 3'600'000), id,
               0});
          break;
        case 4:
          e.push_back({ct_term(CtTermKind::kNoTime, 0), id, 0});
          break;
        default: {  // hashed resource ids: 56-bit values
          std::vector<int64_t> terms;
          ct_resource_terms("i-" + std::to_string(rng() % 7) + "0123456789abcdef", &terms);
          for (const int64_t t : terms) e.push_back({t, id, 0});
          break;
        }
      }
    }
    std::vector<Entry> want = e;
    std::stable_sort(want.begin(), want.end(),
                     [](const Entry& a, const Entry& b) { return a.term < b.term; });
    CtPostingsBuilder::sort_by_term(&e, &scratch, &counts);
    ASSERT_EQ(e.size(), want.size());
    for (std::size_t i = 0; i < e.size(); ++i) {
      ASSERT_EQ(e[i].term, want[i].term) << n << " at " << i;
      ASSERT_EQ(e[i].id, want[i].id) << n << " at " << i;
    }
  }
}

TEST(CtResourceTerms, EveryIdWithSeventeenHexDigitsGivesItsTwoTerms) {
  std::vector<int64_t> a, b;
  ct_resource_terms("i-0123456789abcdef0", &a);
  ASSERT_EQ(a.size(), 2u);
  // In an ARN, after other letters, with more hex digits: the same hex term each time; the
  // letters term only where the letters before the '-' are the same.
  ct_resource_terms("arn:aws:ec2:us-east-1:1:instance/i-0123456789abcdef0", &b);
  EXPECT_EQ(b, a);
  b.clear();
  ct_resource_terms("eni-0123456789abcdef0ff", &b);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], a[0]);
  EXPECT_NE(b[1], a[1]);
  b.clear();
  for (const char* none : {"i-0123456789abcdef", "i-0123456789ABCDEF0", "i-01234567", "", "-",
                           "sg-0123456789abcdeg0", "8f14e45f-ceea-467a-9575-2e2b2a1c7d3e"}) {
    ct_resource_terms(none, &b);
    EXPECT_TRUE(b.empty()) << none;
  }
  ct_resource_terms("vpc-0aaa1111bbbb22220,subnet-0ccc0000000000002", &b);
  EXPECT_EQ(b.size(), 4u);

  CtResourceNeedle n;
  ASSERT_TRUE(ct_resource_needle("i-0123456789abcdef0", &n));
  EXPECT_EQ(n.hex, a[0]);
  EXPECT_EQ(n.exact, a[1]);
  ASSERT_TRUE(ct_resource_needle("instance/i-0123456789abcdef0", &n));
  EXPECT_EQ(n.hex, a[0]);
  EXPECT_EQ(n.exact, 0);  // more than the id: its rows are checked
  ASSERT_TRUE(ct_resource_needle("i-0123456789abcdef0123", &n));
  EXPECT_EQ(n.hex, a[0]);
  EXPECT_EQ(n.exact, 0);
  EXPECT_FALSE(ct_resource_needle("i-0123456789abcdef", &n));
  EXPECT_FALSE(ct_resource_needle("my-bucket-name", &n));
}

TEST_F(CtIndexTest, ResourcePostingsAnswerWhatTheRawRecordsAnswer) {
  const std::string id = "i-0123456789abcdef0";
  const std::string hex = "0123456789abcdef0";
  // Where an id can be, and where it does not count (userIdentity, another case).
  const std::vector<std::string> places = {
      ",\"requestParameters\":{\"instanceId\":\"" + id + "\"}",
      ",\"responseElements\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0fff\"},{"
      "\"instanceId\":\"" +
          id + "\"}]}}",
      ",\"resources\":[{\"ARN\":\"arn:aws:ec2:us-east-1:111122223333:instance/" + id + "\"}]",
      ",\"requestParameters\":{\"networkInterfaceId\":\"eni-" + hex + "\"}",
      ",\"requestParameters\":{\"x\":\"i-" + hex + "99\"}",
      ",\"additionalEventData\":{\"" + id + "\":1}",
      ",\"requestParameters\":{\"instanceId\":\"I-" + hex + "\"}",
      ",\"requestParameters\":{\"groupId\":\"sg-0aaa1111bbbb22220\",\"vpcId\":\"vpc-"
      "0aaa1111bbbb22220\"}",
      ",\"requestParameters\":{\"instanceId\":\"i-01234567\"}",
      ",\"requestParameters\":null",
      "",
  };
  auto build = [&](Store& st) {
    int n = 0;
    for (int seg = 0; seg < 4; ++seg) {
      std::vector<Ev> evs;
      for (std::size_t i = 0; i < places.size(); ++i, ++n) {
        Ev e;
        e.id = uuid(n);
        char t[32];
        std::snprintf(t, sizeof t, "2024-03-%02dT%02d:%02d:00Z", 9 + seg, static_cast<int>(i),
                      n % 60);
        e.time = t;
        e.extra = places[i];
        if (i == places.size() - 1) e.arn = "arn:aws:sts::111122223333:assumed-role/r/" + id;
        evs.push_back(e);
      }
      ingest(st, {{"f" + std::to_string(seg) + ".json", file_of(evs)}});
    }
  };
  const std::vector<std::string> needles = {id,
                                            "eni-" + hex,
                                            "sg-0aaa1111bbbb22220",
                                            "vpc-0aaa1111bbbb22220",
                                            "instance/" + id,
                                            "i-" + hex + "99",
                                            "i-0123456789abcdef",
                                            "i-01234567",
                                            "sg-0bbb1111bbbb22220",
                                            "-" + hex,
                                            "ni-" + hex};
  auto results = [&](Store& st, std::vector<std::string>* drivers) {
    std::vector<std::string> out;
    for (const auto& nd : needles) {
      for (int timed = 0; timed < 2; ++timed) {
        SearchFilter f;
        f.resource = nd;
        f.limit = timed ? 3 : 1000;
        if (timed) {
          f.since_ms = 1710028800000;  // 2024-03-10T00:00Z .. 03-12
          f.until_ms = 1710201600000;
        }
        for (const auto& x : search_ids(st, f)) out.push_back(nd + " " + x);
        std::vector<int64_t> rows;
        std::string err;
        EXPECT_TRUE(for_each_cloudtrail_row(
            st, f, [&](const CtIds& r) { rows.push_back(r.id); }, &err))
            << err;
        std::sort(rows.begin(), rows.end());
        for (int64_t r : rows) out.push_back(nd + " row " + std::to_string(r));
        f.types = kSearchCloudTrail;
        auto e = explain_search(st, f);
        if (drivers != nullptr && e.ok()) drivers->push_back(*e);
      }
    }
    return out;
  };
  auto st = open();
  build(*st);
  std::vector<std::string> explained;
  const std::vector<std::string> with = results(*st, &explained);
  // The records that hold the id where --resource looks: places 0-5 (eni- and the longer run
  // hold it as text too), in each of the 4 segments.
  EXPECT_EQ(std::count_if(with.begin(), with.end(),
                          [&](const std::string& x) { return x.rfind(id + " row ", 0) == 0; }),
            24 + 12);  // alone, then in the time range (2 of the 4 days)
  EXPECT_EQ(std::count_if(
                with.begin(), with.end(),
                [&](const std::string& x) { return x.rfind("sg-0aaa1111bbbb22220 row", 0) == 0; }),
            4 + 2);
  std::size_t by_postings = 0;
  for (const auto& e : explained) {
    by_postings += e.find("postings of the resource id") != std::string::npos;
  }
  EXPECT_EQ(by_postings, 2u * 9u);  // every needle with a 17-digit id, alone and timed
  // The same store without the marks (as written before the resource terms): the filters and
  // raw records answer, and answer the same.
  Stmt del(st->db(), "DELETE FROM ct_post WHERE term = ?1 AND seg = 2", nullptr);
  del.bind(1, ct_term(CtTermKind::kResourceMark, 0));
  ASSERT_EQ(del.step(), SQLITE_DONE);
  ASSERT_EQ(sqlite3_changes(st->db()), 1);
  EXPECT_FALSE(ct_resource_postings_complete(st->db()));
  std::vector<std::string> fallback_explained;
  EXPECT_EQ(results(*st, &fallback_explained), with);
  for (const auto& e : fallback_explained) {
    EXPECT_EQ(e.find("postings of the resource id"), std::string::npos);
  }
}

TEST_F(CtIndexTest, PruneTakesTheRowsIdentitiesAndEmptySegments) {
  auto st = open();
  std::vector<Ev> old_evs, new_evs;
  for (int i = 0; i < 20; ++i) {
    Ev e;
    e.id = uuid(200 + i);
    e.time = "2024-01-01T00:00:00Z";
    old_evs.push_back(e);
    e.id = uuid(300 + i);
    e.time = "2024-06-01T00:00:00Z";
    new_evs.push_back(e);
  }
  ingest(*st, {{"old.json", file_of(old_evs)}});                     // segment 1: old only
  ingest(*st, {{"mixed.json", file_of({old_evs[0], new_evs[0]})}});  // adds new[0] only
  ingest(*st, {{"new.json", file_of(new_evs)}});                     // segment 3: the other new
  PruneCounts pc;
  std::string err;
  ASSERT_TRUE(prune(*st, 1709251200000 /* 2024-03-01 */, false, &pc, &err)) << err;
  EXPECT_EQ(pc.cloudtrail, 20u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 20);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid"), 20);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_segs"), 2);  // the old-only segment went
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_post WHERE seg NOT IN (SELECT seg FROM ct_segs)"),
            0);
  SearchFilter f;
  f.ip = "198.51.100.7";
  EXPECT_EQ(search_ids(*st, f).size(), 20u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM cloudtrail WHERE sourceIPAddress = '198.51.100.7'"),
            20);
  // New rows never take the rowid of a pruned one that a segment still names.
  const int64_t last = scalar(*st, "SELECT max(last_id) FROM ct_segs");
  Ev late;
  late.id = uuid(999);
  late.time = "2024-07-01T00:00:00Z";
  EXPECT_EQ(ingest(*st, {{"late.json", file_of({late, new_evs[3]})}}), 1u);
  EXPECT_GT(scalar(*st, "SELECT store_rowid FROM cloudtrail WHERE eventID = '" + late.id + "'"),
            last);
  EXPECT_EQ(search_ids(*st, f).size(), 21u);
}

}  // namespace
}  // namespace sentinel::store
