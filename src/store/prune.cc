#include "store/prune.h"

#include "store/batch.h"
#include "store/ct_index.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

bool count(sqlite3* db, const std::string& sql, int64_t cutoff, uint64_t* out, std::string* err) {
  Stmt s(db, sql, err);
  if (!s.ok()) return false;
  s.bind(1, cutoff);
  if (s.step() != SQLITE_ROW) {
    *err = sqlite3_errmsg(db);
    return false;
  }
  *out = static_cast<uint64_t>(s.col_int(0));
  return true;
}

bool run(sqlite3* db, const std::string& sql, int64_t cutoff, uint64_t* changed, std::string* err) {
  Stmt s(db, sql, err);
  if (!s.ok()) return false;
  if (sqlite3_bind_parameter_count(s.get()) > 0) s.bind(1, cutoff);
  if (s.step() != SQLITE_DONE) {
    *err = sqlite3_errmsg(db);
    return false;
  }
  if (changed != nullptr) *changed = static_cast<uint64_t>(sqlite3_changes(db));
  return true;
}

// Schema 3: the ct_uid / ct_uid_more entries of the CloudTrail rows about to go (a key whose
// entry names a row that stays keeps it).
bool drop_uids(sqlite3* db, int64_t cutoff_ms, std::string* err) {
  Stmt sel(db, "SELECT id, uid FROM ct_events WHERE time < ?", err);
  Stmt del(db, "DELETE FROM ct_uid WHERE key = ? AND id = ?", err);
  if (!sel.ok() || !del.ok()) return false;
  sel.bind(1, cutoff_ms);
  int rc;
  while ((rc = sel.step()) == SQLITE_ROW) {
    del.bind(1, ct_uid_key(sel.col_blob(1)));
    del.bind(2, sel.col_int(0));
    if (del.step() != SQLITE_DONE) {
      *err = sqlite3_errmsg(db);
      return false;
    }
    del.rewind();
  }
  if (rc != SQLITE_DONE) {
    *err = sqlite3_errmsg(db);
    return false;
  }
  return run(db, "DELETE FROM ct_uid_more WHERE id IN (SELECT id FROM ct_events WHERE time < ?)",
             cutoff_ms, nullptr, err);
}

// Schema 3: segments none of whose rows is left go with their postings. Partly pruned segments
// keep their postings: readers skip the rowids that are gone, and the writer never gives a rowid
// a segment still names to a new row.
bool drop_empty_segments(sqlite3* db, std::string* err) {
  const char* empty =
      "SELECT seg FROM ct_segs s WHERE NOT EXISTS (SELECT 1 FROM ct_events WHERE id BETWEEN "
      "s.first_id AND s.last_id)";
  return run(db, std::string("DELETE FROM ct_post WHERE seg IN (") + empty + ")", 0, nullptr,
             err) &&
         run(db, std::string("DELETE FROM ct_segs WHERE seg IN (") + empty + ")", 0, nullptr, err);
}

}  // namespace

bool prune(Store& st, int64_t cutoff_ms, bool dry_run, PruneCounts* c, std::string* error) {
  sqlite3* db = st.db();
  const int64_t cutoff_s = cutoff_ms / 1000;
  if (dry_run) {
    return count(db, "SELECT count(*) FROM ct_events WHERE time < ?", cutoff_ms, &c->cloudtrail,
                 error) &&
           count(db, "SELECT count(*) FROM dns_events WHERE time < ?", cutoff_ms, &c->dns, error) &&
           count(db, "SELECT count(*) FROM gd_findings WHERE updated_at < ?", cutoff_ms,
                 &c->guardduty, error) &&
           count(db, "SELECT count(*) FROM flow_blocks WHERE last_end < ?", cutoff_s,
                 &c->flow_blocks, error) &&
           count(db, "SELECT coalesce(sum(count), 0) FROM flow_blocks WHERE last_end < ?", cutoff_s,
                 &c->flow_records, error) &&
           count(db, "SELECT count(*) FROM sentinel_findings WHERE last_seen < ?", cutoff_ms,
                 &c->findings, error);
  }
  if (!exec(db, "BEGIN IMMEDIATE", error)) return false;
  const std::string shift = std::to_string(kRawIndexBits);
  const bool postings = ct_has_postings(db);
  bool ok =
      count(db, "SELECT coalesce(sum(count), 0) FROM flow_blocks WHERE last_end < ?", cutoff_s,
            &c->flow_records, error) &&
      (!postings || drop_uids(db, cutoff_ms, error)) &&
      run(db, "DELETE FROM ct_events WHERE time < ?", cutoff_ms, &c->cloudtrail, error) &&
      (!postings || drop_empty_segments(db, error)) &&
      run(db, "DELETE FROM dns_events WHERE time < ?", cutoff_ms, &c->dns, error) &&
      run(db, "DELETE FROM gd_findings WHERE updated_at < ?", cutoff_ms, &c->guardduty, error) &&
      run(db, "DELETE FROM flow_blocks WHERE last_end < ?", cutoff_s, &c->flow_blocks, error) &&
      run(db, "DELETE FROM sentinel_findings WHERE last_seen < ?", cutoff_ms, &c->findings,
          error) &&
      run(db,
          "DELETE FROM raw_blocks WHERE id NOT IN (SELECT raw >> " + shift +
              " FROM ct_events UNION SELECT raw >> " + shift +
              " FROM dns_events UNION SELECT raw >> " + shift + " FROM gd_findings)",
          0, &c->raw_blocks, error) &&
      // The resource index goes with its blocks (a block id freed here may be used again).
      run(db, "DELETE FROM ct_blocks WHERE block NOT IN (SELECT id FROM raw_blocks)", 0, nullptr,
          error) &&
      exec(db, "COMMIT", error);
  if (!ok) exec(db, "ROLLBACK", nullptr);
  return ok;
}

}  // namespace sentinel::store
