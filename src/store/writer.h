#pragma once
/// Writes FileBatches into the store: dictionary coding, prepared statements, one transaction
/// per group of files. A file's events and its checkpoint (files row) always commit together.
/// One Writer per store, on one thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/batch.h"
#include "store/ct_index.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace sentinel::store {

/// What a write added.
struct WriteCounts {
  uint64_t files = 0;
  uint64_t events = 0;      ///< new events stored
  uint64_t duplicates = 0;  ///< events already in the store (same id)
  uint64_t flow_records = 0;
};

/// A file already in the store.
struct Checkpoint {
  int64_t id = 0;
  uint64_t size = 0;
  std::string sha256;
};

/// The store's dictionary (strings.value -> id) in memory: open addressing over 64-bit hashes,
/// the strings in one arena; no node or allocation per entry.
class StringDict {
 public:
  static uint64_t hash(std::string_view s);
  /// The id of `s` (h = hash(s)), 0 when absent.
  int64_t find(std::string_view s, uint64_t h) const;
  /// Adds `s` (find() returned 0).
  void insert(std::string_view s, uint64_t h, int64_t id);
  void clear();

 private:
  struct Entry {
    uint64_t hash;
    int64_t id;
    uint64_t off;
    uint32_t len;
  };
  std::vector<uint32_t> slots_;  ///< 1 + index in entries_, 0 = free
  std::vector<Entry> entries_;
  std::string arena_;
};

class Writer {
 public:
  /// Prepares the statements and loads the checkpoints; check ok() afterwards.
  explicit Writer(Store* store);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  /// True when a file with this content was stored already (under any path).
  bool has_content(std::string_view sha256) const { return hashes_.count(std::string(sha256)); }
  /// The checkpoint of a path (nullptr when none).
  const Checkpoint* checkpoint(const std::string& path) const;

  bool begin();
  /// Adds one file; false on a store error (the transaction must then be rolled back).
  bool add(const FileBatch& b, WriteCounts* counts);
  bool commit();
  void rollback();

  /// Stores the detection engine's state (compressed) in the open transaction.
  bool put_engine_state(std::string_view rules_fingerprint, std::string_view snapshot);

  /// Runs SQL inside the open transaction (engine state, findings), false on error.
  sqlite3* db() const { return store_->db(); }

 private:
  int64_t intern(std::string_view s) { return intern(s, StringDict::hash(s)); }
  /// The dictionary id of `s` whose StringDict::hash is `h`, added when new (0 on a store error).
  int64_t intern(std::string_view s, uint64_t h);
  bool fail(const char* what);
  /// Claims a CloudTrail row's identity (uid, account) for rowid `id`: 1 when new (its ct_uid
  /// entry is kept for commit, or its ct_uid_more entry written), 0 when the store or the open
  /// transaction has it already, -1 on a store error. `key` is ct_uid_key(uid).
  int claim_uid(std::string_view uid, int64_t key, int64_t account, int64_t id);
  /// Inserts the pending CloudTrail rows: kCtRowsPerInsert of them with one statement (one
  /// step, one cursor), fewer one by one. False on a store error.
  bool flush_pending();
  /// Binds row `r` (of pending_batch_) as the parameters at+1..at+kCtColumns of `s`.
  void bind_ct_row(Stmt& s, int at, const CtRow& r, int64_t rowid);
  /// Writes the open transaction's ct_uid entries, in key order.
  bool flush_uids();
  /// PRAGMA data_version (changes when another connection commits); -1 on error.
  int64_t read_data_version();
  /// known_uids_ is given up past this many keys (64 MiB of slots).
  static constexpr std::size_t kMaxKnownUids = std::size_t{1} << 21;

  Store* store_;
  std::string error_;
  StringDict dict_;
  std::unordered_map<std::string, Checkpoint> by_path_;
  std::unordered_set<std::string> hashes_;
  int64_t next_string_id_ = 1;
  std::vector<int64_t> gid_;  ///< store dictionary id of each symbol of the batch being added
  /// ct_events rowid range of each block of the batch being added (0, 0 = no row added)
  std::vector<std::pair<int64_t, int64_t>> block_rows_;
  Stmt ins_string_, ins_file_, del_file_flows_, ins_block_, ins_ct_, ins_dns_, ins_gd_, ins_flow_;
  Stmt ins_ct_block_;
  /// ct_events rows go in kCtRowsPerInsert at a time: one step, cursor and reset per statement.
  static constexpr std::size_t kCtRowsPerInsert = 16;
  static constexpr int kCtColumns = 27;
  Stmt ins_ct_many_;
  struct PendingRow {
    const CtRow* row;
    int64_t id;
  };
  std::vector<PendingRow> pending_;  ///< claimed rows of the batch being added, not inserted yet
  const FileBatch* pending_batch_ = nullptr;
  int64_t pending_file_id_ = 0;
  const std::vector<int64_t>* pending_blocks_ = nullptr;  ///< raw_blocks ids of its blocks
  Stmt ins_uid_, get_uid_, get_row_, get_more_, ins_more_;
  /// ct_uid entries go in kUidRowsPerInsert at a time (one step, cursor and reset per statement).
  static constexpr std::size_t kUidRowsPerInsert = 64;
  Stmt ins_uid_many_;
  /// ct_uid key -> rowid of every row this Writer added (kept across its commits while
  /// session_only_, else this transaction's rows only).
  CtKeyMap known_uids_;
  std::size_t known_count_ = 0;
  /// This transaction's ct_uid entries (key, rowid), written at commit in key order.
  std::vector<std::pair<int64_t, int64_t>> txn_uids_;
  /// Every ct_uid key of the store is in known_uids_: ct_uid was empty when this Writer began
  /// its first transaction and no other connection has committed since (PRAGMA data_version),
  /// so a key known_uids_ lacks is new without a look in ct_uid.
  bool session_only_ = false;
  bool started_ = false;      ///< begin() has run once
  int64_t data_version_ = 0;  ///< PRAGMA data_version after this Writer's last commit
  Stmt data_version_stmt_;
  int64_t next_ct_id_ = 1;  ///< rowid of the next CloudTrail row (set by begin())
  int64_t next_seg_ = 1;    ///< the open transaction's segment
  bool has_more_ = false;   ///< ct_uid_more has rows
  CtPostingsBuilder postings_;
};

}  // namespace sentinel::store
