// WalCheckpointer: a second connection checkpoints the log while one connection writes; the
// writer's own auto-checkpoint is off meanwhile and given back afterwards; nothing is lost.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/sqlite.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

int64_t scalar(sqlite3* db, const std::string& sql) {
  Stmt s(db, sql, nullptr);
  EXPECT_TRUE(s.ok()) << sql;
  return s.ok() && s.step() == SQLITE_ROW ? s.col_int(0) : -1;
}

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sentinel-wal-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    ASSERT_EQ(
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        SQLITE_OK);
    ASSERT_TRUE(exec(db_,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA wal_autocheckpoint = 777; CREATE TABLE t(x INTEGER, pad BLOB)",
                     nullptr));
  }
  void TearDown() override {
    sqlite3_close_v2(db_);
    fs::remove_all(dir_);
  }
  // Commits `txns` transactions of ~4 MiB each.
  void write(int txns) {
    for (int t = 0; t < txns; ++t) {
      ASSERT_TRUE(exec(db_, "BEGIN", nullptr));
      ASSERT_TRUE(exec(db_,
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                       "1000) INSERT INTO t SELECT i, randomblob(4000) FROM n",
                       nullptr));
      ASSERT_TRUE(exec(db_, "COMMIT", nullptr));
    }
  }

  fs::path dir_;
  std::string path_;
  sqlite3* db_ = nullptr;
};

TEST_F(WalCheckpointerTest, CheckpointsOnItsThreadAndGivesTheAutoCheckpointBack) {
  {
    WalCheckpointer c(db_, path_);
    ASSERT_TRUE(c.running());
    write(12);  // ~48 MiB through the log: past kWakeFrames several times
    // The writer's auto-checkpoint is replaced meanwhile (a WAL hook).
    for (int i = 0; i < 200 && c.checkpoints() == 0; ++i) ::usleep(10000);
    EXPECT_GT(c.checkpoints(), 0);
  }
  EXPECT_EQ(scalar(db_, "PRAGMA wal_autocheckpoint"), 777);
  EXPECT_EQ(scalar(db_, "SELECT count(*) FROM t"), 12000);
  // The log was copied into the database: a fresh connection, after the writer's close
  // checkpoint, reads every row from the file alone.
  sqlite3_close_v2(db_);
  db_ = nullptr;
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(scalar(db_, "SELECT count(*) FROM t"), 12000);
  Stmt check(db_, "PRAGMA integrity_check", nullptr);
  ASSERT_TRUE(check.ok() && check.step() == SQLITE_ROW);
  EXPECT_EQ(check.col_text(0), "ok");
}

TEST_F(WalCheckpointerTest, DoesNothingOnADatabaseNotInWalMode) {
  ASSERT_TRUE(exec(db_, "PRAGMA journal_mode = DELETE", nullptr));
  WalCheckpointer c(db_, path_);
  EXPECT_FALSE(c.running());
  write(1);
  EXPECT_EQ(scalar(db_, "SELECT count(*) FROM t"), 1000);
}

}  // namespace
}  // namespace sentinel::store
