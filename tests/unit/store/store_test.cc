// The store: byte-exact raw records, idempotence by event id and by file content, the views,
// read-only query refusal, CSV defusing, prune, flow block pruning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/reader.h"
#include "store/batch.h"
#include "store/prune.h"
#include "store/query.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public StoreFixture {
 protected:
  StoreTest() : StoreFixture("sentinel-store-test") {}

  std::unique_ptr<Store> open_rw() {
    auto s = Store::open(db_, OpenMode::kReadWrite);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return std::move(*s);
  }

  // Parses `bytes` as the file `path` and writes it; returns what was recorded.
  std::unique_ptr<Recorder> ingest(Store& st, const std::string& path, const std::string& bytes,
                                   WriteCounts* counts) {
    BatchBuilder builder(6);
    auto rec = std::make_unique<Recorder>(&builder, /*offer_gzip=*/false);
    FileBatch batch;
    parse_into(path, bytes, builder, *rec, &batch);
    Writer w(&st);
    EXPECT_TRUE(w.ok()) << w.error();
    if (w.has_content(batch.sha256)) return rec;
    EXPECT_TRUE(w.begin());
    EXPECT_TRUE(w.add(batch, counts)) << w.error();
    EXPECT_TRUE(w.commit());
    return rec;
  }
};

const char* kCorpusTrail =
    "aws__aws-cloudtrail-processing-library/src/test/resources/SerializerTestFile.json";

TEST_F(StoreTest, CloudTrailRawComesBackByteExact) {
  const fs::path p = source_dir() / ".." / "shared" / "corpus" / kCorpusTrail;
  if (!fs::exists(p)) GTEST_SKIP() << "corpus not present: " << p;
  auto st = open_rw();
  WriteCounts c;
  auto rec = ingest(*st, p.string(), slurp(p), &c);
  ASSERT_FALSE(rec->ct.empty());
  EXPECT_EQ(c.events, rec->ct.size());
  // Pretty-printed records keep their own newlines and indentation.
  Stmt rows(st->db(), "SELECT raw, sentinel_event_id(uid) FROM ct_events ORDER BY id", nullptr);
  std::size_t i = 0;
  while (rows.step() == SQLITE_ROW) {
    ASSERT_LT(i, rec->ct.size());
    std::string got;
    ASSERT_TRUE(st->raw_record(rows.col_int(0), &got));
    EXPECT_EQ(got, rec->ct[i].second) << i;
    // No eventID in this file: the id is the record's content hash, and `show` finds it.
    if (!rec->ct[i].first.empty()) {
      EXPECT_EQ(rows.col_text(1), rec->ct[i].first);
    }
    std::string shown, type;
    ASSERT_TRUE(st->find_raw(rows.col_text(1), &shown, &type)) << rows.col_text(1);
    EXPECT_EQ(shown, rec->ct[i].second);
    EXPECT_EQ(type, "cloudtrail");
    ++i;
  }
  EXPECT_EQ(i, rec->ct.size());
  EXPECT_NE(rec->ct.begin()->second.find('\n'), std::string::npos)
      << "the corpus file is pretty-printed: raw must keep the newlines";
}

TEST_F(StoreTest, FlowsDnsGuardDutyRawComeBackByteExact) {
  auto st = open_rw();
  WriteCounts c;
  std::string flows =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n"
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
      "1418530010 1418530070 ACCEPT OK\n"
      "2 123456789010 eni-1235b8ca123456789  172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
      "1418530010 1418530070 REJECT OK\r\n"
      "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n";
  auto r1 = ingest(*st, "flows.log", flows, &c);
  ASSERT_EQ(r1->flows.size(), 3u);
  for (const auto& line : r1->flows) {
    std::string h, got, type;
    content_hash16(line, &h);
    ASSERT_TRUE(st->find_raw(to_hex(h), &got, &type)) << line;
    EXPECT_EQ(got, line);
    EXPECT_EQ(type, "vpcflow");
  }
  // Route 53 Resolver logs of the example tree (AWSLogs/<account>/vpcdnsquerylogs/...).
  const fs::path tree = source_dir() / "examples" / "aws-logs" / "AWSLogs";
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(tree)) {
    if (!e.is_regular_file() || e.path().string().find("/vpcdnsquerylogs/") == std::string::npos ||
        files == 12) {
      continue;
    }
    ++files;
    auto rec = ingest(*st, e.path().string(), slurp(e.path()), &c);
    for (const auto& raw : rec->dns) {
      std::string h, got, type;
      content_hash16(raw, &h);
      ASSERT_TRUE(st->find_raw(to_hex(h), &got, &type));
      EXPECT_EQ(got, raw);
      EXPECT_EQ(type, "route53");
    }
  }
  EXPECT_EQ(files, 12);
  EXPECT_GT(scalar(*st, "SELECT count(*) FROM dns_events"), 0);
}

TEST_F(StoreTest, SameEventsTwiceAddNothingAndNewOnesAreAdded) {
  const fs::path p = source_dir() / ".." / "shared" / "corpus" / kCorpusTrail;
  if (!fs::exists(p)) GTEST_SKIP() << "corpus not present";
  std::string bytes = slurp(p);
  auto st = open_rw();
  WriteCounts a;
  auto rec = ingest(*st, "a.json", bytes, &a);
  const int64_t n = scalar(*st, "SELECT count(*) FROM ct_events");
  EXPECT_EQ(static_cast<uint64_t>(n), rec->ct.size());
  // The same content under another path: skipped by its checkpoint (content hash).
  WriteCounts b;
  ingest(*st, "copy/a.json", bytes, &b);
  EXPECT_EQ(b.files, 0u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM files"), 1);
  // The same events in a different file (one more record, one changed byte elsewhere): only the
  // new event is added, the others are duplicates by (eventID, recipientAccountId).
  std::string more =
      "{\"Records\":[" + rec->ct.begin()->second +
      ",{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventSource\":"
      "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\","
      "\"sourceIPAddress\":\"198.51.100.7\",\"eventID\":\"0b6a5f3e-1111-4222-8333-444455556666\","
      "\"recipientAccountId\":\"111122223333\"}]}";
  WriteCounts m;
  ingest(*st, "b.json", more, &m);
  EXPECT_EQ(m.events, 1u);
  EXPECT_EQ(m.duplicates, 1u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), n + 1);
  // The same eventID in another account is another event.
  std::string other = more;
  other.replace(other.find("111122223333"), 12, "999988887777");
  WriteCounts o;
  ingest(*st, "c.json", other, &o);
  EXPECT_EQ(o.events, 1u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), n + 2);
  Stmt ic(st->db(), "PRAGMA integrity_check", nullptr);
  ASSERT_EQ(ic.step(), SQLITE_ROW);
  EXPECT_EQ(ic.col_text(0), "ok");
}

// One Writer keeps the keys of the rows it added across its transactions and looks nothing up in
// ct_uid while they are all the store has; a commit by another connection in between makes it
// look again, so an event that connection stored is a duplicate, not a second row.
TEST_F(StoreTest, WriterSeesRowsOfItsEarlierTransactionsAndOfOtherConnections) {
  auto file = [](std::initializer_list<const char*> ids) {
    std::string s = "{\"Records\":[";
    bool first = true;
    for (const char* id : ids) {
      if (!first) s += ",";
      first = false;
      s += std::string("{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\",") +
           "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":" +
           "\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"eventID\":\"" + id +
           "\",\"recipientAccountId\":\"111122223333\"}";
    }
    return s + "]}";
  };
  auto add = [](Writer& w, const std::string& path, const std::string& bytes) {
    BatchBuilder builder(6);
    Recorder rec(&builder, /*offer_gzip=*/false);
    FileBatch batch;
    parse_into(path, bytes, builder, rec, &batch);
    WriteCounts c;
    EXPECT_TRUE(w.begin()) << w.error();
    EXPECT_TRUE(w.add(batch, &c)) << w.error();
    EXPECT_TRUE(w.commit()) << w.error();
    return c;
  };
  const char* a = "0b6a5f3e-1111-4222-8333-000000000001";
  const char* b = "0b6a5f3e-1111-4222-8333-000000000002";
  const char* x = "0b6a5f3e-1111-4222-8333-000000000003";
  const char* y = "0b6a5f3e-1111-4222-8333-000000000004";
  auto st = open_rw();
  auto other = open_rw();
  Writer w(st.get());
  ASSERT_TRUE(w.ok()) << w.error();
  WriteCounts c = add(w, "1.json", file({a}));
  EXPECT_EQ(c.events, 1u);
  // A later transaction of the same Writer: a repeats (known without a look in ct_uid).
  c = add(w, "2.json", file({a, b}));
  EXPECT_EQ(c.events, 1u);
  EXPECT_EQ(c.duplicates, 1u);
  // Another connection stores x between two of w's transactions.
  {
    Writer w2(other.get());
    ASSERT_TRUE(w2.ok()) << w2.error();
    c = add(w2, "3.json", file({x, b}));
    EXPECT_EQ(c.events, 1u);
    EXPECT_EQ(c.duplicates, 1u);
  }
  c = add(w, "4.json", file({x, y, a}));
  EXPECT_EQ(c.events, 1u);
  EXPECT_EQ(c.duplicates, 2u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 4);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_uid"), 4);
  EXPECT_EQ(scalar(*st, "SELECT count(DISTINCT uid) FROM ct_events"), 4);
}

// Each file's dictionary strings are deduplicated by the builder (a table that grows past its
// first size here) and looked up once per file by the writer: every record keeps its own values,
// and a string shared by two files is one dictionary entry.
TEST_F(StoreTest, FileDictionaryKeepsEveryRecordsValues) {
  auto make = [](int first, int n) {
    std::string f = "{\"Records\":[";
    for (int i = first; i < first + n; ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "%08x-1111-4222-8333-444455556666", i);
      if (i > first) f += ",";
      f += "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventSource\":"
           "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\","
           "\"sourceIPAddress\":\"10.1." +
           std::to_string(i % 1500 / 256) + "." + std::to_string(i % 1500 % 256) +
           "\",\"userAgent\":\"agent-" + std::to_string(i % 7) + "\",\"eventID\":\"" + id +
           "\",\"recipientAccountId\":\"111122223333\"}";
    }
    return f + "]}";
  };
  auto st = open_rw();
  WriteCounts c;
  ingest(*st, "a.json", make(0, 3000), &c);
  ingest(*st, "b.json", make(3000, 1000), &c);
  EXPECT_EQ(c.events, 4000u);
  EXPECT_EQ(scalar(*st, "SELECT count(DISTINCT sourceIPAddress) FROM cloudtrail"), 1500);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM strings WHERE value LIKE '10.1.%'"), 1500);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM strings WHERE value LIKE 'agent-%'"), 7);
  // Every record's values, from its own eventID.
  Stmt q(st->db(), "SELECT eventID, sourceIPAddress, userAgent FROM cloudtrail", nullptr);
  ASSERT_TRUE(q.ok());
  int rows = 0;
  int wrong = 0;
  while (q.step() == SQLITE_ROW) {
    const int i =
        static_cast<int>(std::stoul(std::string(q.col_text(0).substr(0, 8)), nullptr, 16));
    const std::string ip =
        "10.1." + std::to_string(i % 1500 / 256) + "." + std::to_string(i % 1500 % 256);
    if (q.col_text(1) != ip || q.col_text(2) != "agent-" + std::to_string(i % 7)) ++wrong;
    ++rows;
  }
  EXPECT_EQ(rows, 4000);
  EXPECT_EQ(wrong, 0);
}

TEST_F(StoreTest, ChangedFlowFileReplacesItsBlocks) {
  auto st = open_rw();
  std::string v1 =
      "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 100 1418530010 1418530070 ACCEPT OK\n";
  std::string v2 = v1 +
                   "2 123456789010 eni-1 10.0.0.3 10.0.0.2 1 2 6 1 100 1418530010 "
                   "1418530070 ACCEPT OK\n";
  WriteCounts c;
  ingest(*st, "f.log", v1, &c);
  ingest(*st, "f.log", v2, &c);
  EXPECT_EQ(scalar(*st, "SELECT sum(count) FROM flow_blocks"), 2);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows"), 2);
}

TEST_F(StoreTest, ViewsUseAwsNames) {
  auto st = open_rw();
  std::string trail =
      "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
      "\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/alice\","
      "\"accountId\":\"111122223333\",\"accessKeyId\":\"AKIAEXAMPLE\",\"userName\":\"alice\"},"
      "\"eventTime\":\"2024-01-15T02:10:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
      "\"eventName\":\"DeleteSecurityGroup\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":"
      "\"203.0.113.9\",\"userAgent\":\"aws-cli/2\",\"errorCode\":\"AccessDenied\","
      "\"requestParameters\":{\"groupId\":\"sg-0abc\"},\"eventID\":"
      "\"6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c\",\"readOnly\":false,\"eventType\":"
      "\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}]}";
  WriteCounts c;
  ingest(*st, "t.json", trail, &c);
  st.reset();
  auto ro = Store::open(db_, OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  QueryOptions qo;
  qo.format = QueryFormat::kCsv;
  std::string out;
  auto r = run_query(**ro,
                     "SELECT eventID, eventTime, eventSource, eventName, awsRegion, "
                     "sourceIPAddress, userIdentity_arn, userIdentity_accessKeyId, errorCode, "
                     "readOnly, recipientAccountId, json_extract(requestParameters, '$.groupId') "
                     "FROM cloudtrail",
                     qo, &out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(out.find("6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c,2024-01-15T02:10:00Z,ec2.amazonaws.com,"
                     "DeleteSecurityGroup,eu-west-1,203.0.113.9,arn:aws:iam::111122223333:user/"
                     "alice,AKIAEXAMPLE,AccessDenied,false,111122223333,sg-0abc"),
            std::string::npos)
      << out;
  // The views' filters on the AWS-named search columns are served by the postings (ct_rows's
  // plan letter: P source IP, R principal, k access key, u eventID, l/h a time range), never by
  // reading every row.
  for (const auto& [where, index] : std::vector<std::pair<std::string, std::string>>{
           {"sourceIPAddress = '203.0.113.9'", "VIRTUAL TABLE INDEX 0:P"},
           {"userIdentity_arn = 'arn:aws:iam::111122223333:user/alice'", "VIRTUAL TABLE INDEX 0:R"},
           {"userIdentity_accessKeyId = 'AKIAEXAMPLE'", "VIRTUAL TABLE INDEX 0:k"},
           {"eventID = '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c'", "VIRTUAL TABLE INDEX 0:u"},
           {"eventTimeMs >= 1705284000000 AND eventTimeMs < 1705287600000",
            "VIRTUAL TABLE INDEX 0:-"}}) {
    Stmt p((*ro)->db(),
           "EXPLAIN QUERY PLAN SELECT eventTime, eventName FROM cloudtrail WHERE " + where,
           nullptr);
    ASSERT_TRUE(p.ok()) << sqlite3_errmsg((*ro)->db());
    std::string d;
    while (p.step() == SQLITE_ROW) d += std::string(p.col_text(3)) + ";";
    EXPECT_NE(d.find(index), std::string::npos) << where << ": " << d;
    EXPECT_EQ(d.find("INDEX 0:-;"), std::string::npos) << where << ": " << d;
    // ... and they answer: the one call matches each, a range or value that misses none.
    Stmt n((*ro)->db(), "SELECT count(*) FROM cloudtrail WHERE " + where, nullptr);
    ASSERT_TRUE(n.ok() && n.step() == SQLITE_ROW);
    EXPECT_EQ(n.col_int(0), 1) << where;
  }
  for (const std::string where :
       {"sourceIPAddress = '203.0.113.10'",
        "userIdentity_arn = 'arn:aws:iam::111122223333:user/bob'",
        "userIdentity_accessKeyId = 'AKIAOTHER'",
        "eventID = '6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9d'", "eventTimeMs >= 1705287600000"}) {
    Stmt n((*ro)->db(), "SELECT count(*) FROM cloudtrail WHERE " + where, nullptr);
    ASSERT_TRUE(n.ok() && n.step() == SQLITE_ROW);
    EXPECT_EQ(n.col_int(0), 0) << where;
  }
  out.clear();
  ASSERT_TRUE(run_query(**ro,
                        "SELECT eventName FROM cloudtrail WHERE sourceIPAddress = '203.0.113.9'",
                        qo, &out)
                  .ok());
  EXPECT_NE(out.find("DeleteSecurityGroup"), std::string::npos) << out;
}

TEST_F(StoreTest, ReadOnlyQueriesRefuseWrites) {
  { open_rw(); }
  auto ro = Store::open(db_, OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  QueryOptions qo;
  std::string out;
  for (const char* sql : {"DELETE FROM ct_events", "INSERT INTO strings(value) VALUES ('x')",
                          "UPDATE files SET path = 'x'", "DROP TABLE files", "CREATE TABLE x(a)",
                          "ATTACH DATABASE '/tmp/sentinel-attack.db' AS x",
                          "PRAGMA journal_mode = DELETE", "PRAGMA user_version = 7", "VACUUM",
                          "SELECT 1; DELETE FROM files", "CREATE TEMP TABLE t AS SELECT 1"}) {
    out.clear();
    auto r = run_query(**ro, sql, qo, &out);
    EXPECT_FALSE(r.ok()) << sql;
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/sentinel-attack.db"));
  out.clear();
  auto ok = run_query(**ro, "SELECT count(*) AS n FROM cloudtrail", qo, &out);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_NE(out.find("(1 row)"), std::string::npos) << out;
  auto pragma = run_query(**ro, "PRAGMA table_info(ct_events)", qo, &out);
  EXPECT_TRUE(pragma.ok()) << pragma.error().message;
  auto uv = run_query(**ro, "PRAGMA user_version", qo, &out);
  EXPECT_TRUE(uv.ok());
}

TEST(Csv, FormulaCellsAreDefusedAndQuoted) {
  auto cell = [](std::string_view v, bool text) {
    std::string s;
    append_csv_cell(&s, v, text);
    return s;
  };
  EXPECT_EQ(cell("=HYPERLINK(\"x\")", true), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(cell("+1", true), "'+1");
  EXPECT_EQ(cell("-2+3", true), "'-2+3");
  EXPECT_EQ(cell("@SUM(A1)", true), "'@SUM(A1)");
  EXPECT_EQ(cell("\tx", true), "'\tx");
  EXPECT_EQ(cell("-5", false), "-5");  // a number from SQLite stays a number
  EXPECT_EQ(cell("a,b", true), "\"a,b\"");
  EXPECT_EQ(cell("line\nbreak", true), "\"line\nbreak\"");
  EXPECT_EQ(cell("plain", true), "plain");
}

TEST_F(StoreTest, QueryTableEscapesTerminalControls) {
  auto st = open_rw();
  std::string trail =
      "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-15T02:10:00Z\","
      "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":"
      "\"us-east-1\",\"userAgent\":\"evil\\u001b[31mred\",\"eventID\":\"e1\","
      "\"recipientAccountId\":\"1\"}]}";
  WriteCounts c;
  ingest(*st, "t.json", trail, &c);
  std::string out;
  QueryOptions qo;
  ASSERT_TRUE(run_query(*st, "SELECT userAgent FROM cloudtrail", qo, &out).ok());
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("\\x1b"), std::string::npos) << out;
}

TEST_F(StoreTest, PruneDeletesOldEventsAndTheirBlocks) {
  auto st = open_rw();
  auto trail = [](const char* id, const char* time) {
    return std::string("{\"eventVersion\":\"1.08\",\"eventTime\":\"") + time +
           "\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"eventID\":\"" +
           id + "\",\"recipientAccountId\":\"1\"}";
  };
  std::string old_file = "{\"Records\":[" + trail("a", "2024-01-01T00:00:00Z") + "," +
                         trail("b", "2024-01-02T00:00:00Z") + "]}";
  std::string new_file = "{\"Records\":[" + trail("c", "2024-06-01T00:00:00Z") + "]}";
  std::string flows_old =
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 100 1704067200 1704067260 ACCEPT OK\n";  // 2024-01-01
  std::string flows_new =
      "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 100 1717200000 1717200060 ACCEPT OK\n";  // 2024-06-01
  WriteCounts c;
  ingest(*st, "old.json", old_file, &c);
  ingest(*st, "new.json", new_file, &c);
  ingest(*st, "old.log", flows_old, &c);
  ingest(*st, "new.log", flows_new, &c);
  ASSERT_EQ(scalar(*st, "SELECT count(*) FROM raw_blocks"), 2);
  PruneCounts dry;
  std::string err;
  const int64_t cutoff = 1714521600000;  // 2024-05-01
  ASSERT_TRUE(prune(*st, cutoff, true, &dry, &err)) << err;
  EXPECT_EQ(dry.cloudtrail, 2u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 3);
  PruneCounts pc;
  ASSERT_TRUE(prune(*st, cutoff, false, &pc, &err)) << err;
  EXPECT_EQ(pc.cloudtrail, 2u);
  EXPECT_EQ(pc.flow_records, 1u);
  EXPECT_EQ(pc.raw_blocks, 1u);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM ct_events"), 1);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM raw_blocks"), 1);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows"), 1);
  std::string raw, type;
  EXPECT_TRUE(st->find_raw("c", &raw, &type));
  EXPECT_FALSE(st->find_raw("a", &raw, &type));
  // Checkpoints stay: the old file is not read again.
  WriteCounts again;
  ingest(*st, "old.json", old_file, &again);
  EXPECT_EQ(again.files, 0u);
}

TEST_F(StoreTest, FlowFiltersPruneBlocksWithoutLosingRows) {
  auto st = open_rw();
  // Three files of flows between different hosts and times.
  for (int f = 0; f < 3; ++f) {
    std::string lines;
    for (int i = 0; i < 500; ++i) {
      lines += "2 1 eni-" + std::to_string(f) + " 10." + std::to_string(f) + ".0." +
               std::to_string(i % 200) + " 10.9.9.9 " + std::to_string(1000 + i) + " 443 6 3 " +
               std::to_string(100 + i) + " " + std::to_string(1700000000 + f * 86400 + i) + " " +
               std::to_string(1700000060 + f * 86400 + i) + (i % 7 == 0 ? " REJECT" : " ACCEPT") +
               " OK\n";
    }
    WriteCounts c;
    ingest(*st, "f" + std::to_string(f) + ".log", lines, &c);
  }
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows"), 1500);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows WHERE srcaddr = '10.1.0.7'"), 3);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows WHERE srcaddr = '10.7.0.7'"), 0);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows WHERE interface_id = 'eni-2'"), 500);
  EXPECT_EQ(scalar(*st,
                   "SELECT count(*) FROM flows WHERE start >= 1700086400 AND start < "
                   "1700086400 + 86400"),
            500);
  EXPECT_EQ(scalar(*st, "SELECT count(*) FROM flows WHERE \"end\" = 1700000060"), 1);
  EXPECT_EQ(
      scalar(*st, "SELECT sum(bytes) FROM flows WHERE action = 'REJECT'"), 3 * [] {
        int64_t s = 0;
        for (int i = 0; i < 500; ++i) s += i % 7 == 0 ? 100 + i : 0;
        return s;
      }());
}

TEST_F(StoreTest, NotAStoreIsRefused) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE other(a)", nullptr);
    sqlite3_close(db);
  }
  auto s = Store::open(db_, OpenMode::kReadWrite);
  EXPECT_FALSE(s.ok());
  auto r = Store::open((dir_ / "missing.db").string(), OpenMode::kReadOnly);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace sentinel::store
