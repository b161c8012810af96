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

WalCheckpointer::WalCheckpointer(sqlite3* writer, const std::string& path) : writer_(writer) {
  {
    Stmt q(writer, "PRAGMA wal_autocheckpoint", nullptr);
    if (q.ok() && q.step() == SQLITE_ROW) autocheckpoint_ = static_cast<int>(q.col_int(0));
    Stmt mode(writer, "PRAGMA journal_mode", nullptr);
    if (!mode.ok() || mode.step() != SQLITE_ROW || mode.col_text(0) != "wal") return;
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
          SQLITE_OK ||
      !exec(db_, "PRAGMA synchronous = NORMAL", nullptr)) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return;
  }
  // The helper never writes: its close must not checkpoint or remove the log under the writer
  // (it does not: the writer's connection is open), and it is not the one to wait on locks.
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
  thread_ = std::thread([this] { loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  if (db_ == nullptr) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  sqlite3_close_v2(db_);
  sqlite3_wal_autocheckpoint(writer_, autocheckpoint_);
}

int WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> l(mu_);
  return done_;
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* name, int frames) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (frames >= kInlineFrames) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= kWakeFrames) {
    {
      std::lock_guard<std::mutex> l(c->mu_);
      c->wake_ = true;
    }
    c->cv_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [this] { return wake_ || stop_; });
    if (stop_) return;
    wake_ = false;
    l.unlock();
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    l.lock();
    ++done_;
  }
}

}  // namespace sentinel::store
