#pragma once
/// The store tests' base fixture: a fresh folder per test with the database path in it (removed
/// afterwards), and reading one value with SQL.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "store/sqlite.h"
#include "store/store.h"

namespace sentinel::store {

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

  std::filesystem::path dir_;
  std::string db_;

 private:
  std::string prefix_;
};

}  // namespace sentinel::store
