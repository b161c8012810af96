#pragma once
/// The store tests' base fixture: a fresh folder per test with the database path in it (removed
/// afterwards), and reading one value with SQL; the source tree, a file's bytes, and a sink that
/// records what the parser delivered while building a batch.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/reader.h"
#include "store/batch.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"

namespace sentinel::store {

/// The source tree ($SENTINEL_SOURCE_DIR, else the one the tests were built from).
inline std::filesystem::path source_dir() {
  const char* env = std::getenv("SENTINEL_SOURCE_DIR");
  return env ? std::filesystem::path(env) : std::filesystem::path(SENTINEL_SOURCE_DIR);
}

/// The bytes of the file `p` (empty when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Forwards everything to the builder (as the ingest command's sink does) and records each
/// record's raw bytes as the parser gave them. With `offer_gzip` false, delivered gzip files are
/// not offered to the builder, so their records take the DEFLATE path.
class Recorder : public ingest::EventSink {
 public:
  explicit Recorder(BatchBuilder* b, bool offer_gzip = true) : b_(b), offer_gzip_(offer_gzip) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    b_->on_cloudtrail(e);
    ct.emplace_back(std::string(e.event_id), std::string(e.raw));
    raws.emplace_back(e.raw);
  }
  void on_flow(const ingest::FlowRecord& f) override {
    b_->on_flow(f);
    flows.emplace_back(f.line);
    raws.emplace_back(f.line);
  }
  void on_dns(const ingest::DnsQuery& q) override {
    b_->on_dns(q);
    dns.emplace_back(q.raw);
    raws.emplace_back(q.raw);
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    b_->on_guardduty(g);
    gd.emplace_back(g.raw);
    raws.emplace_back(g.raw);
  }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject& r) override {
    b_->on_reject(r);
    ++rejects;
  }
  void on_gzip_file(std::string_view delivered, std::string_view inflated) override {
    if (!offer_gzip_) return;
    b_->on_gzip_file(delivered, inflated);
    ++gzip_files;
  }

  std::vector<std::pair<std::string, std::string>> ct;  // (eventID, raw) in file order
  std::vector<std::string> flows, dns, gd;              // each kind's raws in file order
  std::vector<std::string> raws;                        // every record's raw, in file order
  int rejects = 0;
  int gzip_files = 0;

 private:
  BatchBuilder* b_;
  bool offer_gzip_;
};

class StoreFixture : public ::testing::Test {
 protected:
  /// `prefix` names the folder under the temporary directory (with the pid and the test name).
  explicit StoreFixture(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "t.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// The first column of the first row of `sql`, or -1.
  static int64_t scalar(Store& st, const std::string& sql) {
    Stmt s(st.db(), sql, nullptr);
    EXPECT_TRUE(s.ok()) << sql << ": " << sqlite3_errmsg(st.db());
    return s.ok() && s.step() == SQLITE_ROW ? s.col_int(0) : -1;
  }

  /// Parses `bytes` as the file `path` into `batch` (path, size, SHA-256, type, readable) with
  /// `builder`, the parser's events going to `sink` (the builder itself, or a sink that passes them
  /// on to it).
  static void parse_into(const std::string& path, const std::string& bytes, BatchBuilder& builder,
                         ingest::EventSink& sink, FileBatch* batch) {
    batch->path = path;
    batch->size = bytes.size();
    batch->sha256 = sha256(bytes);
    builder.begin(batch);
    ingest::Reader reader(ingest::ParseOptions{});
    auto rep = reader.read_bytes(path, bytes, sink);
    builder.finish();
    batch->type = rep.type;
    batch->readable = rep.readable;
  }

  /// Parses `bytes` as the file `path` and writes it to `st` in one transaction.
  static void ingest_file(Store& st, const std::string& path, const std::string& bytes) {
    BatchBuilder builder(6);
    FileBatch batch;
    parse_into(path, bytes, builder, builder, &batch);
    Writer w(&st);
    ASSERT_TRUE(w.ok()) << w.error();
    WriteCounts c;
    ASSERT_TRUE(w.begin());
    ASSERT_TRUE(w.add(batch, &c)) << w.error();
    ASSERT_TRUE(w.commit());
  }

  /// Turns the schema 3 store at db_ (closed) into the layout of schema 2: the five ct_events
  /// indexes, the view over ct_events, no ct_uid and no postings. What a store written by the
  /// version 2 build holds for the same rows.
  void make_version_2() {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    std::string view;
    {
      Stmt v(db, "SELECT sql FROM sqlite_schema WHERE name = 'cloudtrail'", nullptr);
      ASSERT_TRUE(v.ok() && v.step() == SQLITE_ROW);
      view = std::string(v.col_text(0));
    }
    for (auto [from, to] :
         {std::pair<std::string, std::string>{"FROM ct_rows c", "FROM ct_events c"},
          {"c.event_id AS eventID", "sentinel_event_id(c.uid) AS eventID"},
          {"c.source_ip_value AS", "s_source_ip.value AS"},
          {"c.principal_value AS", "s_principal.value AS"}}) {
      const std::size_t at = view.find(from);
      ASSERT_NE(at, std::string::npos) << view;
      view.replace(at, from.size(), to);
    }
    view +=
        "\nLEFT JOIN strings s_source_ip ON s_source_ip.id = c.source_ip"
        "\nLEFT JOIN strings s_principal ON s_principal.id = c.principal";
    const std::string sql =
        "DROP TABLE ct_uid; DROP TABLE ct_uid_more; DROP TABLE ct_post; DROP TABLE ct_segs; "
        "DROP VIEW cloudtrail; " +
        view +
        "; CREATE UNIQUE INDEX ct_events_uid ON ct_events(uid, account); "
        "CREATE INDEX ct_events_time ON ct_events(time); "
        "CREATE INDEX ct_events_ip ON ct_events(source_ip, time); "
        "CREATE INDEX ct_events_principal ON ct_events(principal, time); "
        "CREATE INDEX ct_events_key ON ct_events(access_key, time) WHERE access_key IS NOT NULL; "
        "UPDATE meta SET value = '2' WHERE key = 'schema'; PRAGMA user_version = 2";
    ASSERT_TRUE(exec(db, sql, nullptr)) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  std::string db_;

 private:
  std::string prefix_;
};

}  // namespace sentinel::store
