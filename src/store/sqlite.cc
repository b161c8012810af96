#include "store/sqlite.h"

namespace sentinel::store {

Stmt::Stmt(sqlite3* db, std::string_view sql, std::string* error) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &s_, nullptr) != SQLITE_OK) {
    if (error != nullptr) *error = sqlite3_errmsg(db);
    sqlite3_finalize(s_);
    s_ = nullptr;
  }
}

Stmt::~Stmt() {
  sqlite3_finalize(s_);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

bool exec(sqlite3* db, std::string_view sql, std::string* error) {
  std::string s(sql);
  char* msg = nullptr;
  if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    if (error != nullptr) *error = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return false;
  }
  return true;
}

}  // namespace sentinel::store
