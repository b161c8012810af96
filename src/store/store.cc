#include "store/store.h"

#include <array>
#include <cstring>
#include <type_traits>
#include <unordered_set>

#include "core/ip.h"
#include "store/batch.h"
#include "store/codec.h"
#include "store/ct_index.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace sentinel::store {

struct Store::BlockCache {
  static constexpr std::size_t kEntries = 8;
  struct Entry {
    int64_t id = -1;
    DecodedBlock block;
    uint64_t used = 0;
  };
  std::array<Entry, kEntries> entries;
  uint64_t clock = 0;
  Stmt get;
};

namespace {

void fn_raw(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* store = static_cast<Store*>(sqlite3_user_data(ctx));
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  std::string out;
  if (!store->raw_record(sqlite3_value_int64(argv[0]), &out)) return;
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

void fn_uuid(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) return;
  std::string_view b(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                     static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  if (b.size() != 16) return;
  std::string s = unpack_uuid(b);
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

// The eventID text of a ct_events.uid: a packed UUID, NUL + content hash (hex), or the text.
void fn_event_id(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  std::string s =
      ct_event_id_text(std::string_view(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                                        static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

void fn_hex(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  std::string_view b(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                     static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  std::string s = to_hex(b);
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

// sentinel_bloom_has(bloom, key): key is an IP address (text) or an id (interface, instance).
void fn_bloom_has(sqlite3_context* ctx, int, sqlite3_value** argv) {
  std::string_view bloom(static_cast<const char*>(sqlite3_value_blob(argv[0])),
                         static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  std::string_view key(t ? t : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[1])));
  IpAddr ip;
  bool has =
      IpAddr::parse(key, &ip) ? bloom_has(bloom, bloom_ip_key(ip.bytes)) : bloom_has(bloom, key);
  sqlite3_result_int(ctx, has ? 1 : 0);
}

// Read-only connections: reading and calling functions is allowed, nothing that writes, attaches
// or changes settings. PRAGMAs: only those that read, and only without a value to set.
int authorize(void* user, int action, const char* a, const char* b, const char*, const char*) {
  auto* refusal = static_cast<std::string*>(user);
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      static const std::unordered_set<std::string_view> kReadPragmas = {
          "table_info",     "table_xinfo",      "table_list",      "index_list",  "index_info",
          "index_xinfo",    "database_list",    "function_list",   "module_list", "pragma_list",
          "collation_list", "foreign_key_list", "page_count",      "page_size",   "freelist_count",
          "user_version",   "schema_version",   "integrity_check", "quick_check", "compile_options",
          "data_version",   "encoding"};
      std::string_view name = a ? a : "";
      const bool takes_name =
          name == "table_info" || name == "table_xinfo" || name == "index_list" ||
          name == "index_info" || name == "index_xinfo" || name == "foreign_key_list" ||
          name == "table_list" || name == "integrity_check" || name == "quick_check";
      if (kReadPragmas.count(name) != 0 && (b == nullptr || takes_name)) return SQLITE_OK;
      *refusal = "PRAGMA " + std::string(name) + (b ? " with a value" : "") +
                 " is not allowed: the store is opened read-only";
      return SQLITE_DENY;
    }
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      *refusal = "ATTACH and DETACH are not allowed: queries read the store only";
      return SQLITE_DENY;
    default:
      *refusal = "only SELECT is allowed: the store is opened read-only";
      return SQLITE_DENY;
  }
}

}  // namespace

bool pack_uuid_text(std::string_view s, std::string* out) {
  if (s.size() != 36) return false;
  out->clear();
  int hi = -1;
  for (std::size_t i = 0; i < 36; ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return false;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out->push_back(static_cast<char>((hi << 4) | v));
      hi = -1;
    }
  }
  return out->size() == 16;
}

std::string unpack_uuid(std::string_view b) {
  std::string h = to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

Store::~Store() {
  if (cache_) cache_->get = Stmt();
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode,
                                           const StoreOptions& options) {
  std::unique_ptr<Store> s(new Store());
  s->path_ = path;
  s->mode_ = mode;
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY
                                       : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &s->db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = s->db_ ? sqlite3_errmsg(s->db_) : "out of memory";
    return Error{"store_open", path + ": cannot open the store: " + msg};
  }
  sqlite3_extended_result_codes(s->db_, 1);
  sqlite3_busy_timeout(s->db_, 10000);
  std::string err;
  std::string pragmas = "PRAGMA cache_size = -" + std::to_string(options.cache_mb * 1024) +
                        "; PRAGMA temp_store = MEMORY;";
  if (mode == OpenMode::kReadWrite) {
    // WAL: readers never block the writer; NORMAL: a commit survives a killed process (only a
    // power loss may undo the last ones). A larger auto-checkpoint copies pages less often.
    pragmas +=
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = "
        "8192;";
  }
  if (!exec(s->db_, pragmas, &err)) {
    return Error{"store_open", path + ": not a usable store: " + err};
  }
  if (mode == OpenMode::kReadWrite) {
    if (!apply_schema(s->db_, &err)) return Error{"store_schema", path + ": " + err};
  } else {
    Stmt v(s->db_, "PRAGMA user_version", &err);
    if (!v.ok()) return Error{"store_open", path + ": not a usable store: " + err};
    int version = v.step() == SQLITE_ROW ? static_cast<int>(v.col_int(0)) : -1;
    if (version < kOldestSchemaVersion || version > kSchemaVersion) {
      return Error{"store_schema", path + ": not a Sentinel store (schema version " +
                                       std::to_string(version) + ")"};
    }
  }
  s->cache_ = std::make_unique<BlockCache>();
  s->cache_->get = Stmt(s->db_, "SELECT raw_size, data FROM raw_blocks WHERE id = ?", &err);
  Store* self = s.get();
  const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  sqlite3_create_function(s->db_, "sentinel_raw", 1, SQLITE_UTF8, self, fn_raw, nullptr, nullptr);
  sqlite3_create_function(s->db_, "sentinel_uuid", 1, det, nullptr, fn_uuid, nullptr, nullptr);
  sqlite3_create_function(s->db_, "sentinel_event_id", 1, det, nullptr, fn_event_id, nullptr,
                          nullptr);
  sqlite3_create_function(s->db_, "sentinel_hex", 1, det, nullptr, fn_hex, nullptr, nullptr);
  sqlite3_create_function(s->db_, "sentinel_bloom_has", 2, det, nullptr, fn_bloom_has, nullptr,
                          nullptr);
  register_flow_module(s->db_);
  register_ct_module(s->db_);
  if (mode == OpenMode::kReadOnly) {
    exec(s->db_, "PRAGMA query_only = 1", nullptr);
    sqlite3_set_authorizer(s->db_, authorize, &s->refusal_);
  }
  return s;
}

bool Store::raw_record(int64_t raw_ref, std::string* out) {
  const int64_t block = raw_ref >> kRawIndexBits;
  const auto index = static_cast<std::size_t>(raw_ref & ((int64_t{1} << kRawIndexBits) - 1));
  BlockCache& c = *cache_;
  BlockCache::Entry* hit = nullptr;
  for (auto& e : c.entries) {
    if (e.id == block) hit = &e;
  }
  if (hit == nullptr) {
    BlockCache::Entry* victim = &c.entries[0];
    for (auto& e : c.entries) {
      if (e.used < victim->used) victim = &e;
    }
    if (!c.get.ok()) return false;
    c.get.bind(1, block);
    bool ok = false;
    if (c.get.step() == SQLITE_ROW) {
      ok = decode_block(c.get.col_blob(1), static_cast<uint64_t>(c.get.col_int(0)), &victim->block);
    }
    c.get.reset();
    if (!ok) {
      victim->id = -1;
      return false;
    }
    victim->id = block;
    hit = victim;
  }
  hit->used = ++c.clock;
  if (index >= hit->block.records.size()) return false;
  out->assign(hit->block.record(index));
  return true;
}

bool Store::load_engine_state(std::string* rules_fingerprint, std::string* snapshot,
                              std::string* error) {
  error->clear();
  Stmt s(db_, "SELECT rules, raw_size, data FROM engine_state WHERE id = 1", error);
  if (!s.ok() || s.step() != SQLITE_ROW) return false;
  rules_fingerprint->assign(s.col_text(0));
  if (!inflate_bytes(s.col_blob(2), static_cast<uint64_t>(s.col_int(1)), snapshot)) {
    *error = "the saved detection state is damaged";
    return false;
  }
  return true;
}

bool Store::find_raw(std::string_view event_id, std::string* raw, std::string* type) {
  auto lookup = [&](const char* sql, auto k, const char* t) {
    Stmt st(db_, sql, nullptr);
    if (!st.ok()) return false;
    if constexpr (std::is_integral_v<decltype(k)>) {
      st.bind(1, static_cast<int64_t>(k));
    } else {
      st.bind_blob(1, k);
    }
    bool found = st.step() == SQLITE_ROW && raw_record(st.col_int(0), raw);
    if (found) *type = t;
    return found;
  };
  if (ct_has_postings(db_)) {
    // Schema 3: the eventID's rows through ct_uid (the first one stored when several accounts
    // have it).
    const std::vector<int64_t> ids = ct_rows_by_event_id(db_, event_id);
    if (!ids.empty() &&
        lookup("SELECT raw FROM ct_events WHERE id = ?", ids.front(), "cloudtrail")) {
      return true;
    }
  } else {
    for (const std::string& uid : ct_uid_candidates(event_id)) {
      if (lookup("SELECT raw FROM ct_events WHERE uid = ? ORDER BY id LIMIT 1",
                 std::string_view(uid), "cloudtrail")) {
        return true;
      }
    }
  }
  if (event_id.size() != 32) return false;
  std::string bin;
  for (std::size_t i = 0; i < 32; i += 2) {
    auto hv = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int h = hv(event_id[i]);
    int l = hv(event_id[i + 1]);
    if (h < 0 || l < 0) return false;
    bin.push_back(static_cast<char>((h << 4) | l));
  }
  if (lookup("SELECT raw FROM dns_events WHERE uid = ?", std::string_view(bin), "route53") ||
      lookup("SELECT raw FROM gd_findings WHERE uid = ?", std::string_view(bin), "guardduty")) {
    return true;
  }
  // Flow records have no row of their own: scan the blocks for the line with this hash.
  Stmt st(db_, "SELECT raw_size, data FROM flow_blocks ORDER BY id", nullptr);
  if (!st.ok()) return false;
  std::string plain;
  std::string h;
  while (st.step() == SQLITE_ROW) {
    bool delivered = false;
    if (!decode_flow_block(st.col_blob(1), static_cast<uint64_t>(st.col_int(0)), &plain,
                           &delivered)) {
      continue;
    }
    std::string_view rest(plain);
    while (!rest.empty()) {
      std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      // A delivered file's line as the parser reads it (without the '\r' of "\r\n").
      if (delivered && !line.empty() && line.back() == '\r') line.remove_suffix(1);
      content_hash16(line, &h);
      if (h == bin) {
        raw->assign(line);
        *type = "vpcflow";
        return true;
      }
    }
  }
  return false;
}

}  // namespace sentinel::store
