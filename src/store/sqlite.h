#pragma once
/// Thin RAII wrappers over the SQLite C API: a connection and prepared statements. Not
/// thread-safe: one connection per thread.
#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/result.h"

namespace sentinel::store {

/// A prepared statement, reset after each step loop by its owner.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql, std::string* error);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;

  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }

  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void bind_null(int i) { sqlite3_bind_null(s_, i); }
  /// Text and blobs are bound without a copy: the bytes must outlive the step.
  void bind_text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  /// Binds an id, or NULL when it is 0 (dictionary id of an absent string).
  void bind_id(int i, int64_t id) {
    if (id == 0) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_int64(s_, i, id);
    }
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(s_); }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  /// Reset keeping the bindings: for statements whose every parameter is bound before each step.
  void rewind() { sqlite3_reset(s_); }
  int64_t col_int(int i) const { return sqlite3_column_int64(s_, i); }
  double col_double(int i) const { return sqlite3_column_double(s_, i); }
  bool col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  std::string_view col_text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string_view();
  }
  std::string_view col_blob(int i) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

/// Runs SQL with no results (several statements allowed); false with *error set on failure.
bool exec(sqlite3* db, std::string_view sql, std::string* error);

/// Checkpoints a WAL database from a thread of its own while one connection writes it, so that
/// neither the writer nor closing the store waits for the copy into the database file and its
/// fsync. While it lives, the writer's commits (a WAL hook replacing its auto-checkpoint) wake
/// the thread once the log holds kWakeFrames pages; the thread runs a PASSIVE checkpoint on its
/// own connection (synchronous = NORMAL: the log, then the database, are synced as SQLite's own
/// checkpoints do). Should the thread fall behind by kInlineFrames, the writer checkpoints
/// itself, as before. The destructor stops the thread and gives the writer its
/// auto-checkpoint back; the writer's close then checkpoints what is left.
/// Durability is unchanged: commits are what they were (WAL, synchronous = NORMAL).
class WalCheckpointer {
 public:
  static constexpr int kWakeFrames = 2048;     ///< 8 MiB of 4 KiB pages
  static constexpr int kInlineFrames = 65536;  ///< 256 MiB

  /// `writer`: the writing connection (WAL mode) of the database at `path`. When a second
  /// connection cannot be opened, nothing changes (the writer checkpoints itself).
  WalCheckpointer(sqlite3* writer, const std::string& path);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  bool running() const { return db_ != nullptr; }
  /// Checkpoints the helper ran (tests).
  int checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void loop();

  sqlite3* writer_;
  sqlite3* db_ = nullptr;
  int autocheckpoint_ = 1000;  ///< the writer's, given back at the end
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  int done_ = 0;
  std::thread thread_;
};

}  // namespace sentinel::store
