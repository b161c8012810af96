// The table-valued module behind the `cloudtrail` view of a schema 3 store: the rows of
// ct_events, found through the postings (ct_index.h) instead of B-tree indexes. Equality on the
// source IP or principal (as text: source_ip_value, principal_value; or as dictionary ids) or on
// access_key reads that term's postings; a range on time reads the postings of its hours;
// equality on id or event_id reads one row. The other rows are never read. SQLite still checks
// every constraint on each row (none is omitted), so the postings only have to be a superset.
//
// The source IP and principal text come from the module itself, not from a join of the view to
// `strings`: SQLite does not give a virtual table the constraints of tables joined after it
// with LEFT JOIN, so `WHERE sourceIPAddress = ?` could not reach the postings through a join.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "store/ct_index.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/vtab_support.h"

namespace sentinel::store {

namespace {

// The ct_events columns, in table order, then the eventID text.
constexpr const char* kColumns =
    "id, uid, account, time, region, source, name, source_ip, user_agent, error_code, "
    "error_message, identity_type, principal, principal_id, user_name, access_key, issuer, "
    "identity_account, event_type, event_category, version, read_only, management, mfa, insight, "
    "raw, file_id";
constexpr int kColId = 0;
constexpr int kColUid = 1;
constexpr int kColTime = 3;
constexpr int kColSourceIp = 7;
constexpr int kColPrincipal = 12;
constexpr int kColAccessKey = 15;
constexpr int kCtColEventId = 27;
constexpr int kColSourceIpText = 28;
constexpr int kColPrincipalText = 29;

constexpr const char* kDeclaration =
    "CREATE TABLE x(id INTEGER, uid BLOB, account INTEGER, time INTEGER, region INTEGER, source "
    "INTEGER, name INTEGER, source_ip INTEGER, user_agent INTEGER, error_code INTEGER, "
    "error_message INTEGER, identity_type INTEGER, principal INTEGER, principal_id INTEGER, "
    "user_name INTEGER, access_key TEXT, issuer INTEGER, identity_account INTEGER, event_type "
    "INTEGER, event_category INTEGER, version INTEGER, read_only INTEGER, management INTEGER, mfa "
    "INTEGER, insight INTEGER, raw INTEGER, file_id INTEGER, event_id TEXT, source_ip_value TEXT, "
    "principal_value TEXT)";

struct CtCursor {
  sqlite3_vtab_cursor base{};
  Stmt all;    // every row, rowid order
  Stmt by_id;  // one row
  Stmt text;   // a dictionary string by id
  Stmt id_of;  // a dictionary id by string
  int64_t text_id = -1;
  std::string text_value;
  Stmt* cur = nullptr;
  bool scan = false;         // reading `all`
  std::vector<int64_t> ids;  // else these rows
  std::size_t next = 0;
  bool eof = true;
  std::string event_id;
  std::vector<CtPosting> postings;
  // ORDER BY time (order 'D' or 'A') without a term to drive: the rows are read a window of
  // time at a time from the newest (oldest) end, through the postings of its hours; a window
  // that holds nothing doubles the next one. Rows without a time come last (first).
  char order = 0;
  bool windows = false;
  bool nulls_after = false;
  int64_t win_lo = 0, win_hi = 0, span = 0;
};

bool newer_first(const CtPosting& a, const CtPosting& b) {
  return a.time != b.time ? a.time > b.time : a.id > b.id;
}
bool older_first(const CtPosting& a, const CtPosting& b) {
  return a.time != b.time ? a.time < b.time : a.id < b.id;
}

int ct_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char** err) {
  return connect_store_vtab(db, kDeclaration, "ct_rows", out, err);
}

// idxStr: the driver ('i' id, 'u' event_id, 'k' access_key, 'p' source_ip, 'r' principal, '-'
// none) then one letter per time bound ('l' lower, 'h' upper, 'e' equal), in argv order.
int ct_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  int driver_at = -1;
  char driver = '-';
  auto rank = [](char d) {
    switch (d) {
      case 'i':
        return 5;
      case 'u':
        return 4;
      case 'k':
        return 3;
      case 'p':
      case 'r':
      case 'P':
      case 'R':
        return 2;
      default:
        return 0;
    }
  };
  std::string times;
  std::vector<int> time_at;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable) continue;
    if (c.iColumn == kColTime) {
      char kind = 0;
      if (c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_GT) kind = 'l';
      if (c.op == SQLITE_INDEX_CONSTRAINT_LE || c.op == SQLITE_INDEX_CONSTRAINT_LT) kind = 'h';
      if (c.op == SQLITE_INDEX_CONSTRAINT_EQ) kind = 'e';
      if (kind != 0) {
        times += kind;
        time_at.push_back(i);
      }
      continue;
    }
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    char d = 0;
    if (c.iColumn == kColId || c.iColumn == -1) d = 'i';
    if (c.iColumn == kCtColEventId) d = 'u';
    if (c.iColumn == kColAccessKey) d = 'k';
    if (c.iColumn == kColSourceIp) d = 'p';
    if (c.iColumn == kColPrincipal) d = 'r';
    if (c.iColumn == kColSourceIpText) d = 'P';
    if (c.iColumn == kColPrincipalText) d = 'R';
    if (d != 0 && rank(d) > rank(driver)) {
      driver = d;
      driver_at = i;
    }
  }
  int argv = 0;
  if (driver_at >= 0) info->aConstraintUsage[driver_at].argvIndex = ++argv;
  for (int at : time_at) info->aConstraintUsage[at].argvIndex = ++argv;
  double cost = 1e7;
  sqlite3_int64 rows = 1000000;
  switch (driver) {
    case 'i':
      cost = 1;
      rows = 1;
      info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
      break;
    case 'u':
      cost = 2;
      rows = 1;
      break;
    case 'k':
      cost = 20;
      rows = 20;
      break;
    case 'p':
    case 'r':
    case 'P':
    case 'R':
      cost = 200;
      rows = 200;
      break;
    default:
      if (!times.empty()) {
        cost = times.find('e') != std::string::npos ? 50 : 5000;
        rows = times.find('e') != std::string::npos ? 10 : 5000;
      }
  }
  if (driver != '-' && !times.empty()) cost /= 2;
  info->estimatedCost = cost;
  info->estimatedRows = rows;
  std::string plan = std::string(1, driver) + times;
  // ORDER BY time (eventTimeMs) is given in that order, except for one row by id or eventID.
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == kColTime && driver != 'i' &&
      driver != 'u') {
    info->orderByConsumed = 1;
    plan += info->aOrderBy[0].desc ? 'D' : 'A';
  }
  info->idxStr = sqlite3_mprintf("%s", plan.c_str());
  info->needToFreeIdxStr = 1;
  return SQLITE_OK;
}

int ct_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* v = reinterpret_cast<StoreVtab*>(vtab);
  auto* c = new CtCursor();
  std::string err;
  c->all = Stmt(v->db, std::string("SELECT ") + kColumns + " FROM ct_events", &err);
  if (c->all.ok()) {
    c->by_id =
        Stmt(v->db, std::string("SELECT ") + kColumns + " FROM ct_events WHERE id = ?1", &err);
  }
  if (c->by_id.ok()) c->text = Stmt(v->db, "SELECT value FROM strings WHERE id = ?1", &err);
  if (c->text.ok()) c->id_of = Stmt(v->db, "SELECT id FROM strings WHERE value = ?1", &err);
  if (!c->all.ok() || !c->by_id.ok() || !c->text.ok() || !c->id_of.ok()) {
    delete c;
    return store_vtab_open_failed(vtab, "ct_rows", err);
  }
  *out = &c->base;
  return SQLITE_OK;
}

// The next window of an ordered read with rows in it into c->ids; false when none is left.
bool next_window(CtCursor* c, std::string* err, bool* ok) {
  CtPostingsReader reader(c->by_id.ok() ? sqlite3_db_handle(c->by_id.get()) : nullptr);
  while (c->win_lo < c->win_hi) {
    int64_t a, b;
    if (c->order == 'D') {
      b = c->win_hi;
      a = b - c->win_lo > c->span ? b - c->span : c->win_lo;
      c->win_hi = a;
    } else {
      a = c->win_lo;
      b = c->win_hi - a > c->span ? a + c->span : c->win_hi;
      c->win_lo = b;
    }
    c->postings.clear();
    if (!reader.read_time(a, b, &c->postings, err)) {
      *ok = false;
      return false;
    }
    if (c->postings.empty()) {
      c->span = std::min<int64_t>(c->span * 2, int64_t{1} << 50);
      continue;
    }
    std::sort(c->postings.begin(), c->postings.end(), c->order == 'D' ? newer_first : older_first);
    c->ids.clear();
    for (const auto& p : c->postings) c->ids.push_back(p.id);
    c->next = 0;
    return true;
  }
  return false;
}

// Positions the cursor on the next row (a scan, the id list, the next window); eof at the end.
int advance(CtCursor* c) {
  for (;;) {
    if (c->scan) {
      const int rc = c->cur->step();
      if (rc == SQLITE_ROW) {
        c->eof = false;
        return SQLITE_OK;
      }
      if (rc != SQLITE_DONE) return rc;
      c->scan = false;
      break;
    }
    c->cur = &c->by_id;
    while (c->next < c->ids.size()) {
      c->by_id.reset();
      c->by_id.bind(1, c->ids[c->next++]);
      const int rc = c->by_id.step();
      if (rc == SQLITE_ROW) {
        c->eof = false;
        return SQLITE_OK;
      }
      if (rc != SQLITE_DONE) return rc;  // a missing row (pruned) is skipped
    }
    if (!c->windows) break;
    std::string err;
    bool ok = true;
    if (next_window(c, &err, &ok)) continue;
    if (!ok) {
      c->base.pVtab->zErrMsg = sqlite3_mprintf("ct_rows: %s", err.c_str());
      return SQLITE_ERROR;
    }
    c->windows = false;
    if (!c->nulls_after) break;
    // Newest first: the rows without a time come last (their own term).
    c->nulls_after = false;
    c->postings.clear();
    CtPostingsReader reader(sqlite3_db_handle(c->by_id.get()));
    if (!reader.read(ct_term(CtTermKind::kNoTime, 0), std::numeric_limits<int64_t>::min(),
                     std::numeric_limits<int64_t>::max(), &c->postings, &err)) {
      c->base.pVtab->zErrMsg = sqlite3_mprintf("ct_rows: %s", err.c_str());
      return SQLITE_ERROR;
    }
    c->ids.clear();
    for (const auto& p : c->postings) c->ids.push_back(p.id);
    c->next = 0;
  }
  c->eof = true;
  return SQLITE_OK;
}

bool as_int(sqlite3_value* v, int64_t* out) {
  const int type = sqlite3_value_numeric_type(v);
  if (type == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return true;
  }
  return false;
}

int ct_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<CtCursor*>(cur);
  auto* vt = reinterpret_cast<StoreVtab*>(cur->pVtab);
  std::string_view plan = idx_str ? idx_str : "-";
  c->order = 0;
  if (!plan.empty() && (plan.back() == 'D' || plan.back() == 'A')) {
    c->order = plan.back();
    plan.remove_suffix(1);
  }
  const char driver = plan.empty() ? '-' : plan[0];
  // Time bounds as [lo, hi), widened to whole milliseconds so that they never drop a row.
  int64_t lo = std::numeric_limits<int64_t>::min();
  int64_t hi = std::numeric_limits<int64_t>::max();
  // plan[k] (k >= 1) is argv[k - 1] without a driver, argv[k] with one.
  const int shift = driver == '-' ? 1 : 0;
  for (int k = 1; k < static_cast<int>(plan.size()) && k - shift < argc; ++k) {
    sqlite3_value* v = argv[k - shift];
    const int type = sqlite3_value_numeric_type(v);
    if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) continue;
    const double d = sqlite3_value_double(v);
    if (!(std::fabs(d) < 9e18)) continue;
    const auto x = static_cast<int64_t>(std::floor(d));
    const char t = plan[static_cast<std::size_t>(k)];
    if (t == 'l' || t == 'e') lo = std::max(lo, x);
    if (t == 'h' || t == 'e') hi = std::min(hi, x + 1);
  }
  c->ids.clear();
  c->next = 0;
  c->scan = false;
  c->windows = false;
  c->nulls_after = false;
  c->all.reset();
  c->postings.clear();
  std::string err;
  int64_t n = 0;
  bool ok = true;
  CtPostingsReader reader(vt->db);
  switch (driver) {
    case 'i':
      if (as_int(argv[0], &n)) {
        c->ids.push_back(n);
      } else {
        c->scan = true;
      }
      break;
    case 'u': {
      const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      c->ids = ct_rows_by_event_id(
          vt->db,
          std::string_view(t ? t : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
      break;
    }
    case 'k': {
      const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      if (t == nullptr) break;  // = NULL matches nothing
      ok = reader.read(ct_access_key_term(std::string_view(
                           t, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])))),
                       lo, hi, &c->postings, &err);
      break;
    }
    case 'p':
    case 'r':
      if (as_int(argv[0], &n)) {
        ok = reader.read(ct_term(driver == 'p' ? CtTermKind::kSourceIp : CtTermKind::kPrincipal, n),
                         lo, hi, &c->postings, &err);
      } else {
        c->scan = true;
      }
      break;
    case 'P':
    case 'R': {
      // The dictionary id of the text; a string the store does not have matches no row.
      const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      if (t == nullptr) break;
      c->id_of.bind_text(
          1, std::string_view(t, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
      const int rc = c->id_of.step();
      n = rc == SQLITE_ROW ? c->id_of.col_int(0) : 0;
      c->id_of.reset();
      if (n != 0) {
        ok = reader.read(ct_term(driver == 'P' ? CtTermKind::kSourceIp : CtTermKind::kPrincipal, n),
                         lo, hi, &c->postings, &err);
      }
      break;
    }
    default: {
      const bool unbounded =
          lo == std::numeric_limits<int64_t>::min() && hi == std::numeric_limits<int64_t>::max();
      if (c->order != 0) {
        // In time order: windows of the stored time range (clamped to the constraints), and,
        // when nothing bounds the time, the rows without one after (before) them.
        Stmt range(vt->db, "SELECT min(min_time), max(max_time) FROM ct_segs", &err);
        if (!range.ok()) {
          ok = false;
          break;
        }
        if (range.step() == SQLITE_ROW && !range.col_null(0)) {
          c->win_lo = std::max(lo, range.col_int(0));
          c->win_hi = range.col_int(1) < hi ? range.col_int(1) + 1 : hi;
          c->span = 3'600'000;
          c->windows = c->win_lo < c->win_hi;
        }
        if (unbounded && c->order == 'D') c->nulls_after = true;
        if (unbounded && c->order == 'A') {
          // The rows without a time first (their own term), then the windows.
          ok = reader.read(ct_term(CtTermKind::kNoTime, 0), lo, hi, &c->postings, &err);
          if (!ok) break;
          for (const auto& p : c->postings) c->ids.push_back(p.id);
        }
        return advance(c);
      }
      if (unbounded) {
        c->scan = true;
      } else {
        ok = reader.read_time(lo, hi, &c->postings, &err);
      }
    }
  }
  if (!ok) {
    cur->pVtab->zErrMsg = sqlite3_mprintf("ct_rows: %s", err.c_str());
    return SQLITE_ERROR;
  }
  if (c->order != 0) {
    // A term's rows in time order (rows without a time sort as the oldest, as NULL does).
    std::sort(c->postings.begin(), c->postings.end(), c->order == 'D' ? newer_first : older_first);
    for (const auto& p : c->postings) c->ids.push_back(p.id);
  } else {
    for (const auto& p : c->postings) c->ids.push_back(p.id);
    std::sort(c->ids.begin(), c->ids.end());
    c->ids.erase(std::unique(c->ids.begin(), c->ids.end()), c->ids.end());
  }
  c->cur = c->scan ? &c->all : &c->by_id;
  return advance(c);
}

int ct_next(sqlite3_vtab_cursor* cur) {
  return advance(reinterpret_cast<CtCursor*>(cur));
}

int ct_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<CtCursor*>(cur);
  sqlite3_stmt* s = c->cur->get();
  if (col == kCtColEventId) {
    if (sqlite3_column_type(s, kColUid) == SQLITE_NULL) return SQLITE_OK;
    const auto* b = static_cast<const char*>(sqlite3_column_blob(s, kColUid));
    c->event_id = ct_event_id_text(
        std::string_view(b ? b : "", static_cast<std::size_t>(sqlite3_column_bytes(s, kColUid))));
    sqlite3_result_text(ctx, c->event_id.data(), static_cast<int>(c->event_id.size()),
                        SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (col == kColSourceIpText || col == kColPrincipalText) {
    const int from = col == kColSourceIpText ? kColSourceIp : kColPrincipal;
    if (sqlite3_column_type(s, from) == SQLITE_NULL) return SQLITE_OK;
    const int64_t id = sqlite3_column_int64(s, from);
    if (id != c->text_id) {
      c->text.bind(1, id);
      const int rc = c->text.step();
      c->text_value.assign(rc == SQLITE_ROW ? c->text.col_text(0) : std::string_view());
      c->text.reset();
      if (rc != SQLITE_ROW) return SQLITE_OK;  // a dangling id reads as NULL, as the join did
      c->text_id = id;
    }
    sqlite3_result_text(ctx, c->text_value.data(), static_cast<int>(c->text_value.size()),
                        SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  sqlite3_result_value(ctx, sqlite3_column_value(s, col));
  return SQLITE_OK;
}

int ct_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  auto* c = reinterpret_cast<CtCursor*>(cur);
  *out = sqlite3_column_int64(c->cur->get(), kColId);
  return SQLITE_OK;
}

// Eponymous-only: `SELECT ... FROM ct_rows`.
const sqlite3_module kCtModule = eponymous_store_module<CtCursor>(
    {ct_connect, ct_best_index, ct_open, ct_filter, ct_next, ct_column, ct_rowid});

}  // namespace

bool register_ct_module(sqlite3* db) {
  return sqlite3_create_module(db, "ct_rows", &kCtModule, nullptr) == SQLITE_OK;
}

}  // namespace sentinel::store
