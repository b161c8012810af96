#include "store/writer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "store/hash_mix.h"

namespace sentinel::store {

uint64_t StringDict::hash(std::string_view s) {
  return symbol_hash(s);
}

int64_t StringDict::find(std::string_view s, uint64_t h) const {
  if (slots_.empty()) return 0;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
    const uint32_t at = slots_[i];
    if (at == 0) return 0;
    const Entry& e = entries_[at - 1];
    if (e.hash == h && std::string_view(arena_).substr(e.off, e.len) == s) return e.id;
  }
}

void StringDict::insert(std::string_view s, uint64_t h, int64_t id) {
  if ((entries_.size() + 1) * 2 > slots_.size()) {
    slots_.assign(std::max<std::size_t>(slots_.size() * 2, 4096), 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t k = 0; k < entries_.size(); ++k) {
      std::size_t j = static_cast<std::size_t>(entries_[k].hash) & mask;
      while (slots_[j] != 0) j = (j + 1) & mask;
      slots_[j] = static_cast<uint32_t>(k + 1);
    }
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t j = static_cast<std::size_t>(h) & mask;
  while (slots_[j] != 0) j = (j + 1) & mask;
  entries_.push_back(Entry{h, id, arena_.size(), static_cast<uint32_t>(s.size())});
  arena_.append(s);
  slots_[j] = static_cast<uint32_t>(entries_.size());
}

void StringDict::clear() {
  slots_.clear();
  entries_.clear();
  arena_.clear();
}

Writer::Writer(Store* store) : store_(store) {
  sqlite3* db = store->db();
  std::string err;
  auto prep = [&](Stmt* s, const char* sql) {
    if (!error_.empty()) return;
    *s = Stmt(db, sql, &err);
    if (!s->ok()) error_ = std::string("prepare: ") + err;
  };
  prep(&ins_string_, "INSERT INTO strings(id, value) VALUES (?, ?)");
  prep(&ins_file_,
       "INSERT INTO files(path, size, sha256, log_type, events, rejects, ingested_at) "
       "VALUES (?, ?, ?, ?, ?, ?, ?)");
  prep(&del_file_flows_, "DELETE FROM flow_blocks WHERE file_id = ?");
  prep(&ins_block_,
       "INSERT INTO raw_blocks(file_id, log_type, count, raw_size, data) VALUES (?, ?, ?, ?, ?)");
  prep(&ins_ct_block_,
       "INSERT OR REPLACE INTO ct_blocks(block, first_id, last_id, min_time, max_time, grams) "
       "VALUES (?, ?, ?, ?, ?, ?)");
  prep(&ins_ct_,
       "INSERT INTO ct_events(uid, account, time, region, source, name, source_ip, "
       "user_agent, error_code, error_message, identity_type, principal, principal_id, "
       "user_name, access_key, issuer, identity_account, event_type, event_category, version, "
       "read_only, management, mfa, insight, raw, file_id, id) VALUES "
       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  {
    std::string many =
        "INSERT INTO ct_events(uid, account, time, region, source, name, source_ip, "
        "user_agent, error_code, error_message, identity_type, principal, principal_id, "
        "user_name, access_key, issuer, identity_account, event_type, event_category, version, "
        "read_only, management, mfa, insight, raw, file_id, id) VALUES ";
    for (std::size_t k = 0; k < kCtRowsPerInsert; ++k) {
      many += k == 0 ? "(" : ",(";
      for (int c = 0; c < kCtColumns; ++c) many += c == 0 ? "?" : ",?";
      many += ")";
    }
    prep(&ins_ct_many_, many.c_str());
  }
  prep(&ins_uid_, "INSERT INTO ct_uid(key, id) VALUES (?, ?)");
  {
    std::string many = "INSERT INTO ct_uid(key, id) VALUES (?,?)";
    for (std::size_t k = 1; k < kUidRowsPerInsert; ++k) many += ",(?,?)";
    prep(&ins_uid_many_, many.c_str());
  }
  prep(&get_uid_, "SELECT id FROM ct_uid WHERE key = ?");
  prep(&get_row_, "SELECT uid, coalesce(account, 0) FROM ct_events WHERE id = ?");
  prep(&get_more_, "SELECT 1 FROM ct_uid_more WHERE uid = ? AND account = ?");
  prep(&ins_more_, "INSERT INTO ct_uid_more(uid, account, id) VALUES (?, ?, ?)");
  prep(&data_version_stmt_, "PRAGMA data_version");
  prep(&ins_dns_,
       "INSERT OR IGNORE INTO dns_events(uid, time, account, region, vpc_id, query_name, "
       "query_type, rcode, srcaddr, srcport, transport, instance_id, firewall_action, raw, "
       "file_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  prep(&ins_gd_,
       "INSERT OR IGNORE INTO gd_findings(uid, finding_id, account, region, type, severity, "
       "title, resource_type, created_at, updated_at, count, archived, raw, file_id) VALUES "
       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  prep(&ins_flow_,
       "INSERT INTO flow_blocks(file_id, format, account, region, count, first_start, last_end, "
       "bytes, rejects, bloom, raw_size, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!error_.empty()) return;
  // The dictionary and checkpoints are loaded once: the writer is the only one adding to them.
  Stmt s(db, "SELECT id, value FROM strings", &err);
  while (s.ok() && s.step() == SQLITE_ROW) {
    dict_.insert(s.col_text(1), StringDict::hash(s.col_text(1)), s.col_int(0));
    next_string_id_ = std::max(next_string_id_, s.col_int(0) + 1);
  }
  Stmt f(db, "SELECT id, path, size, sha256 FROM files ORDER BY id", &err);
  while (f.ok() && f.step() == SQLITE_ROW) {
    Checkpoint c{f.col_int(0), static_cast<uint64_t>(f.col_int(2)), std::string(f.col_blob(3))};
    hashes_.insert(c.sha256);
    by_path_[std::string(f.col_text(1))] = c;
  }
}

const Checkpoint* Writer::checkpoint(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

bool Writer::fail(const char* what) {
  error_ = std::string(what) + ": " + sqlite3_errmsg(store_->db());
  return false;
}

bool Writer::begin() {
  if (!exec(store_->db(), "BEGIN IMMEDIATE", &error_)) return false;
  // Where the transaction's CloudTrail rows and segment start: past every rowid a segment has
  // named (a pruned row's id is not given again while postings may still name it).
  std::string err;
  Stmt n(store_->db(),
         "SELECT max(coalesce((SELECT max(id) FROM ct_events), 0), "
         "coalesce((SELECT max(last_id) FROM ct_segs), 0)) + 1, "
         "coalesce((SELECT max(seg) FROM ct_segs), 0) + 1, "
         "EXISTS (SELECT 1 FROM ct_uid_more), NOT EXISTS (SELECT 1 FROM ct_uid)",
         &err);
  if (!n.ok() || n.step() != SQLITE_ROW) {
    error_ = "begin: " + err;
    return false;
  }
  next_ct_id_ = n.col_int(0);
  next_seg_ = n.col_int(1);
  has_more_ = n.col_int(2) != 0;
  // The keys of this Writer's rows stay in memory across its transactions as long as they are
  // all the store has: ct_uid empty at the first begin(), no other connection's commit since,
  // and not too many to keep (then each new key is looked up in ct_uid, as for a store that had
  // rows before).
  const int64_t version = read_data_version();
  if (version < 0) return false;
  if (!started_) {
    session_only_ = n.col_int(3) != 0;
  } else if (version != data_version_ || known_count_ > kMaxKnownUids) {
    session_only_ = false;
  }
  started_ = true;
  if (!session_only_) {
    known_uids_.clear();
    known_count_ = 0;
  }
  postings_.clear();
  txn_uids_.clear();
  return true;
}

int64_t Writer::read_data_version() {
  const int rc = data_version_stmt_.step();
  const int64_t v = rc == SQLITE_ROW ? data_version_stmt_.col_int(0) : -1;
  data_version_stmt_.reset();
  if (v < 0) fail("PRAGMA data_version");
  return v;
}

bool Writer::commit() {
  // The transaction's rows are one segment of postings, written with them, and their ct_uid
  // entries.
  if (!flush_uids()) return false;
  if (!postings_.empty() && !postings_.flush(store_->db(), next_seg_++, &error_)) return false;
  if (!exec(store_->db(), "COMMIT", &error_)) return false;
  data_version_ = read_data_version();
  return data_version_ >= 0;
}

void Writer::rollback() {
  exec(store_->db(), "ROLLBACK", nullptr);
  pending_.clear();
  postings_.clear();
  txn_uids_.clear();
  known_uids_.clear();
  known_count_ = 0;
  session_only_ = false;
  // The in-memory dictionary may now name rows that were rolled back: reload lazily by
  // dropping it (the next Writer reloads). Callers stop writing after a rollback.
  dict_.clear();
}

bool Writer::put_engine_state(std::string_view rules_fingerprint, std::string_view snapshot) {
  std::string err;
  Stmt s(store_->db(),
         "INSERT OR REPLACE INTO engine_state(id, rules, raw_size, data, updated_at) "
         "VALUES (1, ?, ?, ?, strftime('%s','now'))",
         &err);
  if (!s.ok()) {
    error_ = "engine state: " + err;
    return false;
  }
  std::string packed;
  deflate_bytes(snapshot, 6, &packed);
  s.bind_text(1, rules_fingerprint);
  s.bind(2, static_cast<int64_t>(snapshot.size()));
  s.bind_blob(3, packed);
  if (s.step() != SQLITE_DONE) return fail("engine state");
  return true;
}

int Writer::claim_uid(std::string_view uid, int64_t key, int64_t account, int64_t id) {
  // A row stored while its key was taken is only in ct_uid_more (rare: empty in most stores).
  if (has_more_) {
    get_more_.bind_blob(1, uid);
    get_more_.bind(2, account);
    const int rc = get_more_.step();
    get_more_.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      fail("read ct_uid_more");
      return -1;
    }
    if (rc == SQLITE_ROW) return 0;
  }
  // The row that holds the key: one this Writer added (this transaction's entries are written
  // at commit), else one stored before (none to look for when session_only_).
  int64_t holder = known_uids_.find(key);
  if (holder == 0 && !session_only_) {
    get_uid_.bind(1, key);
    const int rc = get_uid_.step();
    if (rc == SQLITE_ROW) holder = get_uid_.col_int(0);
    get_uid_.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      fail("read ct_uid");
      return -1;
    }
  }
  if (holder == 0) {
    known_uids_.insert(key, id);
    ++known_count_;
    txn_uids_.emplace_back(key, id);  // a new key: its entry goes in at commit, in key order
    return 1;
  }
  // The key is taken: the same event again, or another one with the same key (the eventID in
  // another account, or a hash collision), which then goes to ct_uid_more. The holder may be a
  // row not inserted yet.
  if (!flush_pending()) return -1;
  get_row_.bind(1, holder);
  bool same = false;
  const int rc = get_row_.step();
  if (rc == SQLITE_ROW) same = get_row_.col_blob(0) == uid && get_row_.col_int(1) == account;
  get_row_.reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    fail("read ct_events");
    return -1;
  }
  if (same) return 0;
  ins_more_.bind_blob(1, uid);
  ins_more_.bind(2, account);
  ins_more_.bind(3, id);
  const int mrc = ins_more_.step();
  ins_more_.reset();
  if (mrc != SQLITE_DONE) {
    fail("insert ct_uid_more");
    return -1;
  }
  has_more_ = true;
  return 1;
}

void Writer::bind_ct_row(Stmt& s, int at, const CtRow& r, int64_t rowid) {
  const FileBatch& b = *pending_batch_;
  const auto id = [&](Sym k) { return gid_[k]; };
  const auto nullable = [&](int i, int64_t v, bool present) {
    if (present) {
      s.bind(at + i, v);
    } else {
      s.bind_null(at + i);
    }
  };
  s.bind_blob(at + 1, b.str(r.uid));
  s.bind_id(at + 2, id(r.account));
  nullable(3, r.time, r.time != ingest::kNoTime);
  s.bind_id(at + 4, id(r.region));
  s.bind_id(at + 5, id(r.source));
  s.bind_id(at + 6, id(r.name));
  s.bind_id(at + 7, id(r.source_ip));
  s.bind_id(at + 8, id(r.user_agent));
  s.bind_id(at + 9, id(r.error_code));
  s.bind_id(at + 10, id(r.error_message));
  s.bind_id(at + 11, id(r.identity_type));
  s.bind_id(at + 12, id(r.principal));
  s.bind_id(at + 13, id(r.principal_id));
  s.bind_id(at + 14, id(r.user_name));
  // Access keys are nearly one per session (ASIA...): stored as text, not in the dictionary.
  if (r.access_key.len > 0) {
    s.bind_text(at + 15, b.str(r.access_key));
  } else {
    s.bind_null(at + 15);
  }
  s.bind_id(at + 16, id(r.issuer));
  s.bind_id(at + 17, id(r.identity_account));
  s.bind_id(at + 18, id(r.event_type));
  s.bind_id(at + 19, id(r.event_category));
  s.bind_id(at + 20, id(r.version));
  nullable(21, r.read_only, r.read_only >= 0);
  nullable(22, r.management, r.management >= 0);
  nullable(23, r.mfa, r.mfa >= 0);
  nullable(24, 1, r.insight);
  s.bind(at + 25, ((*pending_blocks_)[r.raw.block] << kRawIndexBits) | r.raw.index);
  s.bind(at + 26, pending_file_id_);
  s.bind(at + 27, rowid);
}

bool Writer::flush_pending() {
  if (pending_.empty()) return true;
  if (pending_.size() == kCtRowsPerInsert) {
    for (std::size_t k = 0; k < pending_.size(); ++k) {
      bind_ct_row(ins_ct_many_, static_cast<int>(k) * kCtColumns, *pending_[k].row, pending_[k].id);
    }
    const int rc = ins_ct_many_.step();
    ins_ct_many_.rewind();
    if (rc != SQLITE_DONE) return fail("insert cloudtrail events");
  } else {
    for (const PendingRow& p : pending_) {
      bind_ct_row(ins_ct_, 0, *p.row, p.id);
      const int rc = ins_ct_.step();
      ins_ct_.rewind();
      if (rc != SQLITE_DONE) return fail("insert cloudtrail event");
    }
  }
  pending_.clear();
  return true;
}

bool Writer::flush_uids() {
  // In key order: the inserts walk the B-tree once instead of landing on random pages.
  std::sort(txn_uids_.begin(), txn_uids_.end());
  // kUidRowsPerInsert entries a statement (the per-statement work, not the B-tree's, was most of
  // an entry's cost), the rest one by one.
  std::size_t i = 0;
  for (; i + kUidRowsPerInsert <= txn_uids_.size(); i += kUidRowsPerInsert) {
    for (std::size_t k = 0; k < kUidRowsPerInsert; ++k) {
      ins_uid_many_.bind(static_cast<int>(2 * k + 1), txn_uids_[i + k].first);
      ins_uid_many_.bind(static_cast<int>(2 * k + 2), txn_uids_[i + k].second);
    }
    if (ins_uid_many_.step() != SQLITE_DONE) return fail("insert ct_uid");
    ins_uid_many_.rewind();
  }
  for (; i < txn_uids_.size(); ++i) {
    ins_uid_.bind(1, txn_uids_[i].first);
    ins_uid_.bind(2, txn_uids_[i].second);
    if (ins_uid_.step() != SQLITE_DONE) return fail("insert ct_uid");
    ins_uid_.rewind();
  }
  txn_uids_.clear();
  return true;
}

int64_t Writer::intern(std::string_view s, uint64_t h) {
  if (const int64_t found = dict_.find(s, h); found != 0) return found;
  const int64_t id = next_string_id_++;
  ins_string_.bind(1, id);
  ins_string_.bind_text(2, s);
  int rc = ins_string_.step();
  ins_string_.reset();
  if (rc != SQLITE_DONE) {
    fail("insert string");
    return 0;
  }
  dict_.insert(s, h, id);
  return id;
}

bool Writer::add(const FileBatch& b, WriteCounts* counts) {
  sqlite3* db = store_->db();
  auto old = by_path_.find(b.path);
  // A changed file replaces its flow blocks (CloudTrail, DNS and GuardDuty rows are unique by
  // id, so re-adding them adds only what is new).
  if (old != by_path_.end() && !b.flows.empty()) {
    del_file_flows_.bind(1, old->second.id);
    if (del_file_flows_.step() != SQLITE_DONE) return fail("delete flows");
    del_file_flows_.reset();
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ins_file_.bind_text(1, b.path);
  ins_file_.bind(2, static_cast<int64_t>(b.size));
  ins_file_.bind_blob(3, b.sha256);
  ins_file_.bind_text(4, ingest::log_type_name(b.type));
  ins_file_.bind(5, static_cast<int64_t>(b.events()));
  ins_file_.bind(6, static_cast<int64_t>(b.rejects));
  ins_file_.bind(7, now);
  if (ins_file_.step() != SQLITE_DONE) return fail("insert file");
  ins_file_.reset();
  const int64_t file_id = sqlite3_last_insert_rowid(db);

  std::vector<int64_t> block_ids;
  block_ids.reserve(b.blocks.size());
  for (const auto& blk : b.blocks) {
    ins_block_.bind(1, file_id);
    ins_block_.bind_text(2, ingest::log_type_name(blk.type));
    ins_block_.bind(3, static_cast<int64_t>(blk.count));
    ins_block_.bind(4, static_cast<int64_t>(blk.raw_size));
    ins_block_.bind_blob(5, blk.data);
    if (ins_block_.step() != SQLITE_DONE) return fail("insert raw block");
    ins_block_.reset();
    block_ids.push_back(sqlite3_last_insert_rowid(db));
  }
  // Each distinct string of the file is looked up (or added) once; rows use the ids by symbol.
  gid_.resize(b.symbols.size() + 1);
  gid_[0] = 0;
  const bool hashed = b.symbol_hashes.size() == b.symbols.size();
  for (std::size_t k = 0; k < b.symbols.size(); ++k) {
    const std::string_view s = b.str(b.symbols[k]);
    gid_[k + 1] = hashed ? intern(s, b.symbol_hashes[k]) : intern(s);
    if (!error_.empty()) return false;
  }
  auto raw_ref = [&](RawPos p) { return (block_ids[p.block] << kRawIndexBits) | p.index; };
  auto bind_time = [](Stmt& s, int i, int64_t t) {
    if (t == ingest::kNoTime) {
      s.bind_null(i);
    } else {
      s.bind(i, t);
    }
  };
  auto bind_tri = [](Stmt& s, int i, int v) {
    if (v < 0) {
      s.bind_null(i);
    } else {
      s.bind(i, int64_t{v});
    }
  };
  pending_batch_ = &b;
  pending_file_id_ = file_id;
  pending_blocks_ = &block_ids;
  uint64_t added = 0;
  block_rows_.assign(b.blocks.size(), {0, 0});
  constexpr std::size_t kPrefetchAhead = 8;
  for (std::size_t i = 0; i < b.cloudtrail.size(); ++i) {
    const CtRow& r = b.cloudtrail[i];
    if (i + kPrefetchAhead < b.cloudtrail.size()) {
      known_uids_.prefetch(b.cloudtrail[i + kPrefetchAhead].uid_key);
    }
    const int claimed = claim_uid(b.str(r.uid), r.uid_key, gid_[r.account], next_ct_id_);
    if (claimed < 0) return false;
    if (claimed == 0) continue;  // stored already
    const int64_t rowid = next_ct_id_;
    pending_.push_back(PendingRow{&r, rowid});
    if (pending_.size() == kCtRowsPerInsert && !flush_pending()) return false;
    ++next_ct_id_;
    ++added;
    auto& range = block_rows_[r.raw.block];
    if (range.first == 0) range.first = rowid;
    range.second = rowid;
    postings_.add_row(rowid, r.time, gid_[r.source_ip], gid_[r.principal], b.str(r.access_key),
                      b.terms(r));
  }
  if (!flush_pending()) return false;
  // The resource index of each CloudTrail block: its rows' rowid range (rows are added in block
  // order, so each block's rows are one range), time range and filter.
  for (std::size_t i = 0; i < b.blocks.size(); ++i) {
    const RawBlock& blk = b.blocks[i];
    if (blk.type != ingest::LogType::kCloudTrail) continue;
    Stmt& s = ins_ct_block_;
    s.bind(1, block_ids[i]);
    s.bind_id(2, block_rows_[i].first);
    s.bind_id(3, block_rows_[i].second);
    bind_time(s, 4, blk.min_time);
    bind_time(s, 5, blk.max_time);
    s.bind_blob(6, blk.grams);
    if (s.step() != SQLITE_DONE) return fail("insert resource index");
    s.reset();
  }
  for (const auto& r : b.dns) {
    Stmt& s = ins_dns_;
    s.bind_blob(1, b.str(r.uid));
    bind_time(s, 2, r.time);
    s.bind_id(3, gid_[r.account]);
    s.bind_id(4, gid_[r.region]);
    s.bind_id(5, gid_[r.vpc_id]);
    s.bind_id(6, gid_[r.query_name]);
    s.bind_id(7, gid_[r.query_type]);
    s.bind_id(8, gid_[r.rcode]);
    s.bind_id(9, gid_[r.srcaddr]);
    bind_tri(s, 10, r.srcport);
    s.bind_id(11, gid_[r.transport]);
    s.bind_id(12, gid_[r.instance_id]);
    s.bind_id(13, gid_[r.firewall_action]);
    s.bind(14, raw_ref(r.raw));
    s.bind(15, file_id);
    if (!error_.empty()) return false;
    if (s.step() != SQLITE_DONE) return fail("insert dns query");
    added += static_cast<uint64_t>(sqlite3_changes(db));
    s.rewind();
  }
  for (const auto& r : b.guardduty) {
    Stmt& s = ins_gd_;
    s.bind_blob(1, b.str(r.uid));
    if (r.finding_id.len > 0) {
      s.bind_text(2, b.str(r.finding_id));
    } else {
      s.bind_null(2);
    }
    s.bind_id(3, gid_[r.account]);
    s.bind_id(4, gid_[r.region]);
    s.bind_id(5, gid_[r.type]);
    if (r.severity >= 0) {
      s.bind(6, r.severity);
    } else {
      s.bind_null(6);
    }
    if (r.title.len > 0) {
      s.bind_text(7, b.str(r.title));
    } else {
      s.bind_null(7);
    }
    s.bind_id(8, gid_[r.resource_type]);
    bind_time(s, 9, r.created);
    bind_time(s, 10, r.updated);
    if (r.count >= 0) {
      s.bind(11, r.count);
    } else {
      s.bind_null(11);
    }
    bind_tri(s, 12, r.archived);
    s.bind(13, raw_ref(r.raw));
    s.bind(14, file_id);
    if (!error_.empty()) return false;
    if (s.step() != SQLITE_DONE) return fail("insert guardduty finding");
    added += static_cast<uint64_t>(sqlite3_changes(db));
    s.rewind();
  }
  for (const auto& f : b.flows) {
    Stmt& s = ins_flow_;
    s.bind(1, file_id);
    s.bind(2, intern(f.format));
    s.bind_id(3, f.account.empty() ? 0 : intern(f.account));
    s.bind_id(4, f.region.empty() ? 0 : intern(f.region));
    s.bind(5, int64_t{f.count});
    s.bind(6, f.first_start);
    s.bind(7, f.last_end);
    s.bind(8, f.bytes);
    s.bind(9, int64_t{f.rejects});
    s.bind_blob(10, f.bloom);
    s.bind(11, static_cast<int64_t>(f.raw_size));
    s.bind_blob(12, f.data);
    if (!error_.empty()) return false;
    if (s.step() != SQLITE_DONE) return fail("insert flow block");
    s.reset();
  }
  const uint64_t rows = b.cloudtrail.size() + b.dns.size() + b.guardduty.size();
  counts->files += 1;
  counts->events += added + b.flow_records;
  counts->duplicates += rows - added;
  counts->flow_records += b.flow_records;
  by_path_[b.path] = Checkpoint{file_id, b.size, b.sha256};
  hashes_.insert(b.sha256);
  return true;
}

}  // namespace sentinel::store
