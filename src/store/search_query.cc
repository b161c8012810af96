#include "store/search_query.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.h"
#include "core/time.h"
#include "store/batch.h"
#include "store/codec.h"
#include "store/ct_index.h"
#include "store/flows_analytics.h"
#include "store/resource_index.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

using ingest::FlowField;

#define S(col) "(SELECT value FROM strings WHERE id = " col ")"

// What the store's ct_events offers: the access key as text or as a dictionary id, and which
// indexes exist (read from sqlite_schema, so this follows the schema as it is).
struct CtSchema {
  bool key_text = false;
  bool postings = false;    // schema 3: ct_uid and the postings instead of ct_events indexes
  bool has_blocks = false;  // ct_blocks, the resource index (schema 2)
  int64_t blocks_from = 0;  // raw_blocks ids from this one on have their ct_blocks row
  std::unordered_set<std::string> indexes;
  bool has(const std::string& index) const { return indexes.count(index) != 0; }
};

CtSchema probe_schema(sqlite3* db) {
  CtSchema c;
  Stmt s(db, "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'ct_events'", nullptr);
  if (!s.ok()) return c;
  while (s.step() == SQLITE_ROW) {
    if (s.col_text(0) == "index") c.indexes.emplace(s.col_text(1));
    if (s.col_text(0) == "table") {
      std::string_view sql = s.col_text(2);
      c.key_text = sql.find("access_key TEXT") != std::string_view::npos;
    }
  }
  c.postings = ct_has_postings(db);
  Stmt b(db,
         "SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'ct_blocks'), "
         "(SELECT value FROM meta WHERE key = 'ct_blocks_from')",
         nullptr);
  if (b.ok() && b.step() == SQLITE_ROW && b.col_int(0) > 0) {
    c.has_blocks = true;
    // Without the marker nothing is known to be indexed.
    c.blocks_from = b.col_null(1) ? INT64_MAX >> kRawIndexBits : b.col_int(1);
  }
  return c;
}

std::string ct_select(const CtSchema& c) {
  return std::string("SELECT c.id, c.time, sentinel_event_id(c.uid), ") + S("c.account") ", " +
         S("c.region") ", " S("c.source") ", " S("c.name") ", " S("c.principal") ", " +
         (c.key_text ? "c.access_key" : S("c.access_key")) + ", " S("c.source_ip") ", " +
         S("c.error_code") ", " S("c.user_agent") ", c.raw FROM ct_events c";
}

constexpr const char* kDnsSelect =
    "SELECT d.id, d.time, sentinel_hex(d.uid), " S("d.account") ", " S("d.region") ", " S(
        "d.query_name") ", " S("d.query_type") ", " S("d.rcode") ", " S("d.srcaddr") ", " S("d."
                                                                                            "instance_"
                                                                                            "id") ", "
    "d.raw FROM dns_events d";

#undef S

// A value bound to a statement: an integer or text.
struct Bind {
  bool is_text = false;
  int64_t i = 0;
  std::string s;
};

std::string id_list(const std::vector<int64_t>& ids) {
  std::string r = "(";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) r += ',';
    r += std::to_string(ids[i]);
  }
  return r + ")";
}

// A CloudTrail statement: the driving index and the filters checked on its rows.
struct CtPlan {
  std::vector<std::string> sql;  // one per driver (principal uses two)
  std::vector<Bind> binds;       // shared by every statement (?1..?n)
  bool empty = false;            // a searched string is not in the store: nothing can match
  std::vector<std::string> notes;
  bool key_text = false;  // ct_events.access_key holds the key itself (not a dictionary id)
  // --resource: the statements yield candidate rows (kCtIdsSelect columns) that are tested on
  // their raw records in C++ (ResourceMatcher), newest first when `ordered`.
  std::string resource;
  bool ordered = false;
  // --resource through the resource index (ct_blocks): `sql` then covers only the blocks written
  // before the index (raw_blocks.id < indexed_from); the blocks from indexed_from on are chosen
  // by their filter and time range, and their rows read by rowid range with `block_sql`.
  bool block_index = false;
  int64_t indexed_from = 0;
  std::string block_sql;   // ?n+1..?n+4: first rowid, last rowid, lowest and highest raw ref
  std::string blocks_sql;  // the ct_blocks rows to test (bound like `sql`)
  bool has_index = false;  // the store has ct_blocks (schema 2): drivers test it per block
  // Schema 3: the driver is a list of candidate rows from the postings; each statement runs
  // once per candidate with its id bound to ?id_param (0 = no candidates: the statements run
  // once). With `newest_first` the candidates are taken newest first (time, then rowid), put in
  // that order a chunk at a time as they are used, so a search that stops at its limit does not
  // sort all of a busy value's rows; without it they are used as read (rowid order within a
  // segment). A row has one value of each term kind, so no row is a candidate twice.
  int id_param = 0;
  mutable std::vector<CtPosting> candidates;
  bool newest_first = false;
  std::string postings_note;  // what the candidates came from (explain)
  // --resource driven by the resource postings: the candidate rows known to hold the needle
  // (sorted), which need no test of their raw record.
  std::vector<int64_t> sure;
  bool is_sure(int64_t id) const { return std::binary_search(sure.begin(), sure.end(), id); }
  std::string error;          // the postings could not be read
};

// Steps `s` over the rows a plan yields: once, or once per candidate rowid (in their order).
// fn() returns false to stop early. Returns SQLITE_DONE, or the error code of a failed step.
template <typename Fn>
int step_plan(Stmt& s, const CtPlan& p, Fn&& fn) {
  int rc;
  if (p.id_param == 0) {
    while ((rc = s.step()) == SQLITE_ROW) {
      if (!fn()) return SQLITE_DONE;
    }
    return rc;
  }
  // One read transaction for the whole loop: a statement that has returned a row and is not
  // reset keeps it open; otherwise every candidate's statement would take and release the
  // file's read lock (two fcntl calls each, a tenth of an investigation of a busy address).
  Stmt hold(sqlite3_db_handle(s.get()), "SELECT count(*) FROM sqlite_schema", nullptr);
  if (hold.ok()) hold.step();
  auto& c = p.candidates;
  const auto newer = [](const CtPosting& a, const CtPosting& b) {
    return a.time != b.time ? a.time > b.time : a.id > b.id;
  };
  std::size_t sorted = p.newest_first ? 0 : c.size();
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i == sorted) {
      // The next chunk (doubling) of the newest candidates left, in order.
      const std::size_t end = std::min(c.size(), sorted + std::max<std::size_t>(256, sorted));
      std::partial_sort(c.begin() + static_cast<std::ptrdiff_t>(sorted),
                        c.begin() + static_cast<std::ptrdiff_t>(end), c.end(), newer);
      sorted = end;
    }
    s.bind(p.id_param, c[i].id);
    while ((rc = s.step()) == SQLITE_ROW) {
      if (!fn()) {
        s.rewind();
        return SQLITE_DONE;
      }
    }
    s.rewind();
    if (rc != SQLITE_DONE) return rc;
  }
  return SQLITE_DONE;
}

// Ids of a string or a pattern; a literal that is absent is retried case-insensitively.
std::vector<int64_t> resolve(Dictionary& dict, const std::string& v) {
  if (!has_wildcard(v)) {
    int64_t id = dict.id(v);
    if (id != 0) return {id};
  }
  return dict.ids_matching(v);
}

constexpr const char* kCtIdsSelect =
    "SELECT c.id, c.time, c.account, c.region, c.source, c.name, c.principal, c.access_key, "
    "c.source_ip, c.user_agent, c.error_code, c.raw FROM ct_events c";

// Principal ARNs for a principal argument: the ARN itself; for an IAM role ARN also the
// sessions of that role (assumed-role/NAME/...); for a name, every ARN with that path segment.
std::vector<int64_t> principal_ids_for(Dictionary& dict, sqlite3* db, const std::string& p) {
  if (p.rfind("arn:", 0) != 0) return dict.arns_with_segment(p);
  std::vector<int64_t> ids = resolve(dict, p);
  // arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME -> arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/
  const std::size_t iam = p.find(":iam::");
  const std::size_t role = p.find(":role/");
  if (iam != std::string::npos && role != std::string::npos && role > iam) {
    const std::string partition = p.substr(4, iam - 4);
    const std::string account = p.substr(iam + 6, role - iam - 6);
    const std::string name = p.substr(p.rfind('/') + 1);
    const std::string prefix =
        "arn:" + partition + ":sts::" + account + ":assumed-role/" + name + "/";
    Stmt s(db, "SELECT id FROM strings WHERE value >= ?1 AND value < ?2", nullptr);
    if (s.ok()) {
      std::string hi = prefix;
      hi.back() = static_cast<char>('/' + 1);
      s.bind_text(1, prefix);
      s.bind_text(2, hi);
      while (s.step() == SQLITE_ROW) ids.push_back(s.col_int(0));
    }
  }
  return ids;
}

CtPlan plan_cloudtrail(Store& st, const SearchFilter& f, bool ids_only = false) {
  CtPlan p;
  Dictionary dict(st.db());
  const CtSchema schema = probe_schema(st.db());
  p.key_text = schema.key_text;
  std::vector<std::string> conds;
  auto bind_text = [&](std::string v) {
    p.binds.push_back(Bind{true, 0, std::move(v)});
    return "?" + std::to_string(p.binds.size());
  };
  auto bind_int = [&](int64_t v) {
    p.binds.push_back(Bind{false, v, {}});
    return "?" + std::to_string(p.binds.size());
  };
  auto exact = [&](const std::string& v) {
    int64_t id = dict.id(v);
    if (id == 0) p.empty = true;
    return id;
  };
  std::string driver_index;
  std::string driver;
  int64_t key_id = 0, ip_id = 0;
  if (!f.access_key.empty()) key_id = schema.key_text ? 1 : exact(f.access_key);
  if (!f.ip.empty()) ip_id = exact(canonical_ip(f.ip));
  std::vector<int64_t> principal_ids;
  if (!f.principal.empty()) {
    principal_ids = principal_ids_for(dict, st.db(), f.principal);
    std::sort(principal_ids.begin(), principal_ids.end());
    principal_ids.erase(std::unique(principal_ids.begin(), principal_ids.end()),
                        principal_ids.end());
    if (principal_ids.empty()) p.empty = true;
  }
  std::vector<int64_t> name_ids;
  if (!f.event.empty()) {
    name_ids = resolve(dict, f.event);
    if (name_ids.empty()) p.empty = true;
  }
  std::vector<int64_t> source_ids;
  if (!f.source.empty()) {
    std::string s = f.source;
    if (s.find('.') == std::string::npos && !has_wildcard(s)) s += ".amazonaws.com";
    source_ids = resolve(dict, s);
    if (source_ids.empty()) p.empty = true;
  }
  int64_t account_id = f.account.empty() ? 0 : exact(f.account);
  int64_t region_id = f.region.empty() ? 0 : exact(f.region);
  if (p.empty) return p;

  // The driver: the most selective indexed filter.
  const std::string key_value =
      schema.key_text ? bind_text(f.access_key) : (key_id != 0 ? bind_int(key_id) : "");
  auto usable = [&](const char* index) { return schema.has(index) ? index : ""; };
  // Schema 3: the driver's rows come from the postings (access key, source IP, principal, else
  // the hours of a time range unless --resource has the blocks' own index to drive it). The
  // candidates are read by rowid, newest first, and every filter is checked on the row.
  bool by_postings = false;
  if (schema.postings) {
    CtPostingsReader reader(st.db());
    std::vector<CtPosting> got;
    bool ok = true;
    if (key_id != 0) {
      ok = reader.read(ct_access_key_term(f.access_key), f.since_ms, f.until_ms, &got, &p.error);
      p.postings_note = "the access key";
      by_postings = true;
    } else if (ip_id != 0) {
      ok = reader.read(ct_term(CtTermKind::kSourceIp, ip_id), f.since_ms, f.until_ms, &got,
                       &p.error);
      p.postings_note = "the source IP";
      by_postings = true;
    } else if (!principal_ids.empty()) {
      for (std::size_t i = 0; i < principal_ids.size() && ok; ++i) {
        ok = reader.read(ct_term(CtTermKind::kPrincipal, principal_ids[i]), f.since_ms, f.until_ms,
                         &got, &p.error);
      }
      p.postings_note = "the principal";
      by_postings = true;
    } else if (CtResourceNeedle rn; !f.resource.empty() && ct_resource_needle(f.resource, &rn) &&
                                    ct_resource_postings_complete(st.db())) {
      // An id in the needle: the rows holding it are among its postings (ct_index.h).
      ok = reader.read(rn.hex, f.since_ms, f.until_ms, &got, &p.error);
      if (ok && rn.exact != 0) {
        std::vector<CtPosting> exact;
        ok = reader.read(rn.exact, f.since_ms, f.until_ms, &exact, &p.error);
        for (const CtPosting& x : exact) p.sure.push_back(x.id);
        std::sort(p.sure.begin(), p.sure.end());
      }
      p.postings_note = "the resource id";
      by_postings = true;
    } else if ((f.since_ms != kNoLowerTime || f.until_ms != kNoUpperTime) && f.resource.empty()) {
      ok = reader.read_time(f.since_ms, f.until_ms, &got, &p.error);
      p.postings_note = "the hours in the time range";
      by_postings = true;
    }
    if (!ok) return p;
    if (by_postings) {
      p.candidates = std::move(got);
      p.newest_first = !ids_only;
      p.postings_note = "(driven by the postings of " + p.postings_note + ": " +
                        std::to_string(p.candidates.size()) + " candidate rows" +
                        (ids_only ? "" : ", newest first") + ", each read by rowid)";
      p.binds.push_back(Bind{false, 0, {}});
      p.id_param = static_cast<int>(p.binds.size());
      driver = "c.id = ?" + std::to_string(p.id_param);
    }
  }
  if (by_postings) {
    // the driver is set: every filter below is checked on the candidate rows
  } else if (key_id != 0) {
    driver_index = usable("ct_events_key");
    driver = "c.access_key = " + key_value + " AND c.access_key IS NOT NULL";
  } else if (ip_id != 0) {
    driver_index = usable("ct_events_ip");
    driver = "c.source_ip = " + bind_int(ip_id);
  } else if (!principal_ids.empty()) {
    driver_index = usable("ct_events_principal");
    driver = "c.principal IN " + id_list(principal_ids);
  } else if (!name_ids.empty() && schema.has("ct_events_name")) {
    driver_index = "ct_events_name";
    driver = "c.name IN " + id_list(name_ids);
  } else if (f.since_ms != kNoLowerTime || f.until_ms != kNoUpperTime) {
    driver_index = usable("ct_events_time");
  }
  // The other filters, with `+` so that SQLite keeps to the driver's index.
  if (key_id != 0 && driver.rfind("c.access_key", 0) != 0) {
    conds.push_back("+c.access_key = " + key_value);
  }
  if (ip_id != 0 && driver.rfind("c.source_ip", 0) != 0) {
    conds.push_back("+c.source_ip = " + bind_int(ip_id));
  }
  if (!principal_ids.empty() && driver.rfind("c.principal", 0) != 0) {
    conds.push_back("+c.principal IN " + id_list(principal_ids));
  }
  if (!name_ids.empty() && driver.rfind("c.name", 0) != 0) {
    conds.push_back("+c.name IN " + id_list(name_ids));
  }
  if (!source_ids.empty()) conds.push_back("+c.source IN " + id_list(source_ids));
  if (account_id != 0) conds.push_back("+c.account = " + bind_int(account_id));
  if (region_id != 0) conds.push_back("+c.region = " + bind_int(region_id));
  if (f.errors) conds.push_back("+c.error_code IS NOT NULL");
  if (f.since_ms != kNoLowerTime) conds.push_back("c.time >= " + bind_int(f.since_ms));
  if (f.until_ms != kNoUpperTime) conds.push_back("c.time < " + bind_int(f.until_ms));
  if (f.hour_from >= 0) {
    const std::string h = "((c.time / 3600000) % 24)";
    if (f.hour_from < f.hour_to) {
      conds.push_back(h + " >= " + std::to_string(f.hour_from) + " AND " + h + " < " +
                      std::to_string(f.hour_to));
    } else {
      conds.push_back("(" + h + " >= " + std::to_string(f.hour_from) + " OR " + h + " < " +
                      std::to_string(f.hour_to) + ")");
    }
  }
  p.resource = f.resource;
  const std::string limit = std::to_string(f.limit + 1);
  // With --resource the rows are candidates: their ids and raw references only (the text of
  // their columns is read for the matches alone), newest first through an index so that the
  // scan can stop at the limit, else in table order (the raw blocks one after the other).
  const bool by_resource = !f.resource.empty();
  p.ordered = by_resource && !ids_only && (!driver_index.empty() || by_postings);
  auto build = [&](const std::string& index, const std::string& drv) {
    std::string sql = ids_only || by_resource ? std::string(kCtIdsSelect) : ct_select(schema);
    if (!index.empty()) sql += " INDEXED BY " + index;
    std::vector<std::string> all;
    if (!drv.empty()) all.push_back(drv);
    all.insert(all.end(), conds.begin(), conds.end());
    for (std::size_t i = 0; i < all.size(); ++i) sql += (i ? " AND " : " WHERE ") + all[i];
    if (by_postings) {
      // one row per candidate, the candidates in order
    } else if (p.ordered) {
      sql += " ORDER BY c.time DESC, c.id DESC";
    } else if (!ids_only && !by_resource) {
      sql += " ORDER BY c.time DESC, c.id DESC LIMIT " + limit;
    }
    return sql;
  };
  // The resource index answers needles of kMinIndexedNeedle bytes or more. It drives the scan
  // when no other index narrows the rows more (time alone does not: a busy day is thousands
  // of blocks); under another driver it only spares the blocks its filter rules out.
  if (by_resource && schema.has_blocks) {
    p.has_index = true;
    p.indexed_from = schema.blocks_from;
    if (driver.empty() && f.resource.size() >= kMinIndexedNeedle) {
      p.block_index = true;
      std::string where;
      for (const auto& c : conds) where += " AND " + c;
      p.blocks_sql =
          "SELECT block, first_id, last_id, grams, max_time FROM ct_blocks WHERE first_id IS NOT "
          "NULL "
          "AND block >= " +
          std::to_string(p.indexed_from);
      if (f.since_ms != kNoLowerTime) p.blocks_sql += " AND max_time >= " + bind_int(f.since_ms);
      if (f.until_ms != kNoUpperTime) p.blocks_sql += " AND min_time < " + bind_int(f.until_ms);
      const bool older = p.indexed_from > 1;
      if (older) conds.push_back("c.raw < " + bind_int(p.indexed_from << kRawIndexBits));
      // The block's own parameters come after every shared one.
      const std::size_t n = p.binds.size();
      auto arg = [&](std::size_t k) { return "?" + std::to_string(n + k); };
      p.block_sql = std::string(kCtIdsSelect) + " NOT INDEXED WHERE c.id BETWEEN " + arg(1) +
                    " AND " + arg(2) + " AND c.raw BETWEEN " + arg(3) + " AND " + arg(4) + where;
      if (!older) return p;  // every block is indexed: no statement over the rows themselves
    }
  }
  p.sql.push_back(build(driver_index, driver));

  if (driver.empty() && driver_index.empty() && !f.resource.empty() && !p.block_index) {
    p.notes.push_back(
        "--resource alone reads every CloudTrail record: add --since, --event or another "
        "filter to make it faster");
  }
  return p;
}

void bind_all(Stmt& s, const std::vector<Bind>& binds) {
  for (std::size_t i = 0; i < binds.size(); ++i) {
    if (binds[i].is_text) {
      s.bind_text(static_cast<int>(i + 1), binds[i].s);
    } else {
      s.bind(static_cast<int>(i + 1), binds[i].i);
    }
  }
}

std::string str(const Stmt& s, int i) {
  return std::string(s.col_text(i));
}

// Tests --resource on raw CloudTrail records. A block whose text lacks the needle rules out all
// of its records at once and is remembered, so a scan inflates each block at most once (more
// only for blocks that hold the needle and fell out of the small cache); a record holding it is
// parsed and counts when the needle is in its request, response, resources or additional data
// (a member name or a string value), not when it is only in userIdentity or the user agent.
class ResourceMatcher {
 public:
  /// `indexed_from` >= 0: blocks from that id on may have a resource index filter to consult
  /// before inflating them (-1: the store has none).
  ResourceMatcher(sqlite3* db, std::string needle, int64_t indexed_from = -1)
      : get_(db, "SELECT raw_size, data FROM raw_blocks WHERE id = ?1", nullptr),
        needle_(std::move(needle)),
        grams_(needle_grams(needle_)),
        indexed_from_(grams_.empty() ? -1 : indexed_from) {
    if (indexed_from_ >= 0) {
      grams_get_ = Stmt(db, "SELECT grams FROM ct_blocks WHERE block = ?1", nullptr);
    }
  }

  bool match(int64_t raw_ref) {
    const int64_t block = raw_ref >> kRawIndexBits;
    const auto index = static_cast<std::size_t>(raw_ref & ((int64_t{1} << kRawIndexBits) - 1));
    auto known = holds_.find(block);
    if (known != holds_.end() && !known->second) return false;
    if (known == holds_.end() && !index_may_hold(block)) {
      holds_.emplace(block, false);
      return false;
    }
    const DecodedBlock* b = load(block);
    if (b == nullptr || index >= b->records.size()) return false;
    if (known == holds_.end()) {
      const bool holds = contains(b->plain, needle_);
      holds_.emplace(block, holds);
      if (!holds) return false;
    }
    const std::string_view rec = b->record(index);
    if (!contains(rec, needle_)) return false;
    return in_places(rec);
  }

  static bool contains(std::string_view hay, std::string_view needle) {
    return needle.empty() ||
           ::memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
  }

 private:
  // False when the block's resource index filter rules the needle out.
  bool index_may_hold(int64_t block) {
    if (indexed_from_ < 0 || block < indexed_from_ || !grams_get_.ok()) return true;
    grams_get_.bind(1, block);
    bool may = true;
    if (grams_get_.step() == SQLITE_ROW) may = gram_bloom_may_hold(grams_get_.col_blob(0), grams_);
    grams_get_.reset();
    return may;
  }

  const DecodedBlock* load(int64_t block) {
    for (auto& e : cache_) {
      if (e.id == block) {
        e.used = ++clock_;
        return &e.block;
      }
    }
    Entry* victim = &cache_[0];
    for (auto& e : cache_) {
      if (e.used < victim->used) victim = &e;
    }
    if (!get_.ok()) return nullptr;
    get_.bind(1, block);
    bool ok = false;
    if (get_.step() == SQLITE_ROW) {
      ok = decode_block(get_.col_blob(1), static_cast<uint64_t>(get_.col_int(0)), &victim->block);
    }
    get_.reset();
    if (!ok) {
      victim->id = -1;
      holds_[block] = false;  // damaged: nothing in it can be read
      return nullptr;
    }
    victim->id = block;
    victim->used = ++clock_;
    return &victim->block;
  }

  bool found_in(simdjson::dom::element e, int depth) const {
    if (depth > 64) return false;
    switch (e.type()) {
      case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object obj;
        if (e.get_object().get(obj) != simdjson::SUCCESS) return false;
        for (auto field : obj) {
          if (contains(field.key, needle_) || found_in(field.value, depth + 1)) return true;
        }
        return false;
      }
      case simdjson::dom::element_type::ARRAY: {
        simdjson::dom::array arr;
        if (e.get_array().get(arr) != simdjson::SUCCESS) return false;
        for (auto item : arr) {
          if (found_in(item, depth + 1)) return true;
        }
        return false;
      }
      case simdjson::dom::element_type::STRING: {
        std::string_view v;
        return e.get_string().get(v) == simdjson::SUCCESS && contains(v, needle_);
      }
      default:
        return false;
    }
  }

  bool in_places(std::string_view rec) {
    simdjson::dom::element doc;
    if (parser_.parse(rec.data(), rec.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      return false;
    }
    for (const char* k :
         {"requestParameters", "responseElements", "resources", "additionalEventData"}) {
      simdjson::dom::element part;
      if (doc[k].get(part) == simdjson::SUCCESS && found_in(part, 0)) return true;
    }
    return false;
  }

  struct Entry {
    int64_t id = -1;
    DecodedBlock block;
    uint64_t used = 0;
  };
  Stmt get_;
  std::string needle_;
  std::vector<uint32_t> grams_;  // the needle's window minima (empty: too short for the index)
  int64_t indexed_from_;
  Stmt grams_get_;
  std::unordered_map<int64_t, bool> holds_;  // block -> its text holds the needle
  std::array<Entry, 16> cache_;
  uint64_t clock_ = 0;
  simdjson::dom::parser parser_;
};

// Runs the candidate statements of a --resource plan and calls fn(id, time, statement) for the
// rows whose raw record matches, at most `cap` per ordered statement (0 = no cap). The
// statement is left on the matching row so that fn can read its other columns.
template <typename Fn>
bool scan_resource_rows(Store& st, const CtPlan& p, std::size_t cap, Fn&& fn, std::string* error) {
  ResourceMatcher m(st.db(), p.resource, p.has_index ? p.indexed_from : -1);
  if (p.block_index) {
    // The blocks whose filter may hold the needle (and whose time range meets the filter's),
    // then their rows by rowid range; the rows are tested as on every other path.
    const std::vector<uint32_t> grams = needle_grams(p.resource);
    std::vector<std::array<int64_t, 4>> blocks;  // block, first row, last row, newest time
    {
      Stmt b(st.db(), p.blocks_sql, error);
      if (!b.ok()) return false;
      bind_all(b, p.binds);
      int rc;
      while ((rc = b.step()) == SQLITE_ROW) {
        if (gram_bloom_may_hold(b.col_blob(3), grams)) {
          blocks.push_back(
              {b.col_int(0), b.col_int(1), b.col_int(2), b.col_null(4) ? INT64_MIN : b.col_int(4)});
        }
      }
      if (rc != SQLITE_DONE) {
        *error = std::string("CloudTrail search: ") + sqlite3_errmsg(st.db());
        return false;
      }
    }
    // With a cap (the newest `cap` matches are wanted) the blocks go newest first, and the scan
    // stops at a block whose newest call is older than the cap-th newest match so far (rows
    // without a time sort as 0, hence only once that match is after 1970).
    if (cap != 0) {
      std::sort(blocks.begin(), blocks.end(),
                [](const auto& a, const auto& b) { return a[3] > b[3]; });
    }
    std::priority_queue<std::pair<int64_t, int64_t>, std::vector<std::pair<int64_t, int64_t>>,
                        std::greater<>>
        newest;
    Stmt s(st.db(), p.block_sql, error);
    if (!s.ok()) return false;
    bind_all(s, p.binds);
    const int n = static_cast<int>(p.binds.size());
    for (const auto& blk : blocks) {
      if (cap != 0 && newest.size() >= cap && newest.top().first > 0 &&
          blk[3] < newest.top().first) {
        break;
      }
      s.bind(n + 1, blk[1]);
      s.bind(n + 2, blk[2]);
      s.bind(n + 3, blk[0] << kRawIndexBits);
      s.bind(n + 4, (blk[0] << kRawIndexBits) | ((int64_t{1} << kRawIndexBits) - 1));
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        if (!m.match(s.col_int(11))) continue;
        if (cap != 0) {
          newest.emplace(s.col_int(1), s.col_int(0));
          if (newest.size() > cap) newest.pop();
        }
        fn(s);
      }
      if (rc != SQLITE_DONE) {
        *error = std::string("CloudTrail search: ") + sqlite3_errmsg(st.db());
        return false;
      }
      s.rewind();
    }
  }
  for (const auto& sql : p.sql) {
    Stmt s(st.db(), sql, error);
    if (!s.ok()) return false;
    bind_all(s, p.binds);
    std::size_t n = 0;
    const int rc = step_plan(s, p, [&]() {
      if (!p.is_sure(s.col_int(0)) && !m.match(s.col_int(11))) return true;
      fn(s);
      return !(p.ordered && cap != 0 && ++n >= cap);
    });
    if (rc != SQLITE_DONE) {
      *error = std::string("CloudTrail search: ") + sqlite3_errmsg(st.db());
      return false;
    }
  }
  return true;
}

// The newest `keep` of the (time, id) pairs, newest first, without duplicates.
void newest_ids(std::vector<std::pair<int64_t, int64_t>>* v, std::size_t keep) {
  std::sort(v->begin(), v->end(), std::greater<>());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  if (v->size() > keep) v->resize(keep);
}

bool search_cloudtrail(Store& st, const SearchFilter& f, SearchResult* r, std::string* error) {
  CtPlan p = plan_cloudtrail(st, f);
  r->notes.insert(r->notes.end(), p.notes.begin(), p.notes.end());
  if (!p.error.empty()) {
    *error = p.error;
    return false;
  }
  if (p.empty) return true;
  if (!p.resource.empty()) {
    // The matching rows' ids first (newest limit + 1), then their columns as text.
    std::vector<std::pair<int64_t, int64_t>> found;
    const std::size_t keep = f.limit + 1;
    auto add = [&](const Stmt& s) {
      found.emplace_back(s.col_int(1), s.col_int(0));
      if (found.size() >= 4 * keep + 4096) newest_ids(&found, keep);
    };
    if (!scan_resource_rows(st, p, keep, add, error)) return false;
    newest_ids(&found, keep);
    if (found.empty()) return true;
    std::vector<int64_t> ids;
    for (const auto& x : found) ids.push_back(x.second);
    p.sql = {ct_select(probe_schema(st.db())) + " WHERE c.id IN " + id_list(ids) +
             " ORDER BY c.time DESC, c.id DESC"};
    p.binds.clear();
    p.id_param = 0;
    p.candidates.clear();
  }
  std::unordered_set<int64_t> seen;
  const std::size_t keep = f.limit + 1;
  for (const auto& sql : p.sql) {
    Stmt s(st.db(), sql, error);
    if (!s.ok()) return false;
    bind_all(s, p.binds);
    std::size_t found = 0;
    const int rc = step_plan(s, p, [&]() {
      if (!seen.insert(s.col_int(0)).second) return true;
      SearchHit h;
      h.type = "cloudtrail";
      h.time_ms = s.col_int(1);
      h.id = str(s, 2);
      h.account = str(s, 3);
      h.region = str(s, 4);
      h.source = str(s, 5);
      h.action = str(s, 6);
      h.principal = str(s, 7);
      h.access_key = str(s, 8);
      h.source_ip = str(s, 9);
      h.error = str(s, 10);
      h.user_agent = str(s, 11);
      h.raw_ref = s.col_int(12);
      r->hits.push_back(std::move(h));
      return ++found < keep;  // candidates come newest first: the first limit + 1 are the answer
    });
    if (rc != SQLITE_DONE) {
      *error = std::string("CloudTrail search: ") + sqlite3_errmsg(st.db());
      return false;
    }
  }
  return true;
}

bool search_dns(Store& st, const SearchFilter& f, SearchResult* r, std::string* error) {
  Dictionary dict(st.db());
  std::vector<std::string> conds;
  std::string index;
  auto need = [&](const std::string& v, const char* col) {
    int64_t id = dict.id(v);
    if (id == 0) return false;
    conds.push_back(std::string(col) + " = " + std::to_string(id));
    return true;
  };
  if (!f.ip.empty()) {
    if (!need(canonical_ip(f.ip), "d.srcaddr")) return true;
    index = "dns_events_src";
  } else if (f.since_ms != kNoLowerTime || f.until_ms != kNoUpperTime) {
    index = "dns_events_time";
  }
  if (!f.account.empty() && !need(f.account, "+d.account")) return true;
  if (!f.region.empty() && !need(f.region, "+d.region")) return true;
  if (!f.resource.empty()) {
    if (f.resource.rfind("i-", 0) == 0) {
      if (!need(f.resource, "+d.instance_id")) return true;
    } else {
      std::vector<int64_t> ids = dict.ids_matching("*" + f.resource + "*");
      if (ids.empty()) return true;
      conds.push_back("+d.query_name IN " + id_list(ids));
    }
  }
  if (f.since_ms != kNoLowerTime) conds.push_back("d.time >= " + std::to_string(f.since_ms));
  if (f.until_ms != kNoUpperTime) conds.push_back("d.time < " + std::to_string(f.until_ms));
  if (f.hour_from >= 0) {
    const std::string h = "((d.time / 3600000) % 24)";
    conds.push_back(f.hour_from < f.hour_to
                        ? h + " >= " + std::to_string(f.hour_from) + " AND " + h + " < " +
                              std::to_string(f.hour_to)
                        : "(" + h + " >= " + std::to_string(f.hour_from) + " OR " + h + " < " +
                              std::to_string(f.hour_to) + ")");
  }
  std::string sql = kDnsSelect;
  if (!index.empty()) sql += " INDEXED BY " + index;
  for (std::size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
  sql += " ORDER BY d.time DESC, d.id DESC LIMIT " + std::to_string(f.limit + 1);
  Stmt s(st.db(), sql, error);
  if (!s.ok()) return false;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    SearchHit h;
    h.type = "dns";
    h.time_ms = s.col_int(1);
    h.id = str(s, 2);
    h.account = str(s, 3);
    h.region = str(s, 4);
    h.action = str(s, 5);
    h.source = str(s, 6);
    h.target = str(s, 7);
    h.source_ip = str(s, 8);
    h.principal = str(s, 9);
    h.raw_ref = s.col_int(10);
    r->hits.push_back(std::move(h));
  }
  if (rc != SQLITE_DONE) {
    *error = std::string("DNS search: ") + sqlite3_errmsg(st.db());
    return false;
  }
  return true;
}

// The newest `limit + 1` matching flow records, newest first; among records of the same second,
// in the order a scan of every block gives them (blocks by first_start then id, lines in order).
// The blocks are visited newest first (by last_end, which no record's time exceeds), and the scan
// stops before a block whose last_end is older than the last of the records kept once they are
// limit + 1: no record of it or of a later one could be kept. A block's bloom filter is tested
// only when it is reached; a SearchHit is built only for a record that is kept when it is read.
bool search_flows(Store& st, const SearchFilter& f, SearchResult* r, std::string* error) {
  FlowScan scan;
  if (f.since_ms != kNoLowerTime) scan.since_s = f.since_ms / 1000;
  if (f.until_ms != kNoUpperTime) scan.until_s = (f.until_ms + 999) / 1000;
  IpAddr ip;
  const bool by_ip = !f.ip.empty() && IpAddr::parse(f.ip, &ip);
  if (!f.ip.empty() && !by_ip) return true;  // not an address: no flow can match
  if (by_ip) scan.keys.push_back(f.ip);
  std::string_view res = f.resource;
  const bool by_eni = res.rfind("eni-", 0) == 0;
  const bool by_instance = res.rfind("i-", 0) == 0;
  if (!res.empty() && !by_eni && !by_instance) return true;
  if (!res.empty()) scan.keys.emplace_back(res);
  FlowBlockReader reader(st, scan, nullptr);
  std::vector<FlowBlockReader::Block> blocks;
  if (!reader.blocks(&blocks, error)) return false;
  // Visit order: newest last_end first; ties in storage order (the index in `blocks`).
  std::vector<uint32_t> order(blocks.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return blocks[a].last_end > blocks[b].last_end; });
  // Kept records: (time, storage position) and the hit; the heap's top is the one to drop next.
  struct Kept {
    int64_t time_ms;
    uint64_t seq;  // block index << 32 | record index in the block
    SearchHit hit;
  };
  const auto before = [](const Kept& a, const Kept& b) {
    return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.seq < b.seq;
  };
  std::vector<Kept> kept;
  const std::size_t cap = f.limit + 1;
  std::string h16;
  uint64_t seq = 0;
  auto fn = [&](const ingest::FlowRecord& rec) {
    const uint64_t at = seq++;
    if (by_ip && !(rec.srcaddr == ip || rec.dstaddr == ip)) return;
    if (by_eni && rec.get(FlowField::kInterfaceId) != res) return;
    if (by_instance && rec.get(FlowField::kInstanceId) != res) return;
    const int64_t t = (rec.has(FlowField::kStart) ? rec.start : rec.end) * 1000;
    if (t < f.since_ms || t >= f.until_ms) return;
    if (!f.account.empty() && rec.get(FlowField::kAccountId) != f.account) return;
    if (!f.region.empty() && rec.get(FlowField::kRegion) != f.region) return;
    if (f.hour_from >= 0 && !hour_in_range(t, f.hour_from, f.hour_to)) return;
    if (kept.size() >= cap) {
      const Kept& last = kept.front();
      if (t < last.time_ms || (t == last.time_ms && at > last.seq)) return;
    }
    SearchHit h;
    h.type = "flows";
    h.time_ms = t;
    content_hash16(rec.line, &h16);
    h.id = to_hex(h16);
    h.account.assign(rec.get(FlowField::kAccountId));
    h.region.assign(rec.get(FlowField::kRegion));
    h.action = rec.action == ingest::FlowAction::kAccept   ? "ACCEPT"
               : rec.action == ingest::FlowAction::kReject ? "REJECT"
                                                           : "-";
    h.source.assign(rec.get(FlowField::kInterfaceId));
    if (rec.has(FlowField::kSrcaddr)) {
      h.source_ip = rec.srcaddr.to_string() + ":" + std::to_string(rec.srcport);
    }
    if (rec.has(FlowField::kDstaddr)) {
      h.target = rec.dstaddr.to_string() + ":" + std::to_string(rec.dstport) + " " +
                 service_port(rec).substr(service_port(rec).find('/') + 1);
    }
    h.bytes_out = rec.bytes;
    h.principal.assign(rec.get(FlowField::kInstanceId));
    kept.push_back(Kept{t, at, std::move(h)});
    std::push_heap(kept.begin(), kept.end(), before);
    if (kept.size() > cap) {
      std::pop_heap(kept.begin(), kept.end(), before);
      kept.pop_back();
    }
  };
  for (const uint32_t i : order) {
    // Records without a start or an end count at their end field, 0 when absent.
    const int64_t newest_ms = std::max<int64_t>(blocks[i].last_end, 0) * 1000;
    if (kept.size() >= cap && newest_ms < kept.front().time_ms) break;
    if (!reader.may_hold(blocks[i].id)) continue;
    seq = uint64_t{i} << 32;
    reader.read(blocks[i].id, fn);
  }
  std::sort_heap(kept.begin(), kept.end(), before);
  for (auto& k : kept) r->hits.push_back(std::move(k.hit));
  return true;
}

bool search_findings(Store& st, const SearchFilter& f, SearchResult* r, std::string* error) {
  std::vector<std::string> needles;
  for (const std::string* n : {&f.ip, &f.resource, &f.access_key, &f.principal}) {
    if (!n->empty()) needles.push_back(n == &f.ip ? canonical_ip(*n) : *n);
  }
  std::string sql =
      "SELECT * FROM (SELECT f.id AS id, f.last_seen AS t, f.type AS type, f.severity AS sev, "
      "f.title AS title, f.account AS account, f.region AS region, f.json AS doc "
      "FROM sentinel_findings f UNION ALL SELECT g.finding_id, g.updated_at, "
      "(SELECT value FROM strings WHERE id = g.type), g.severity, g.title, "
      "(SELECT value FROM strings WHERE id = g.account), "
      "(SELECT value FROM strings WHERE id = g.region), sentinel_raw(g.raw) FROM gd_findings g) "
      "WHERE 1";
  std::vector<Bind> binds;
  auto bind_text = [&](const std::string& v) {
    binds.push_back(Bind{true, 0, v});
    return "?" + std::to_string(binds.size());
  };
  for (const auto& n : needles) sql += " AND instr(doc, " + bind_text(n) + ") > 0";
  if (!f.account.empty()) sql += " AND account = " + bind_text(f.account);
  if (!f.region.empty()) sql += " AND region = " + bind_text(f.region);
  if (f.since_ms != kNoLowerTime) sql += " AND t >= " + std::to_string(f.since_ms);
  if (f.until_ms != kNoUpperTime) sql += " AND t < " + std::to_string(f.until_ms);
  sql += " ORDER BY t DESC LIMIT " + std::to_string(f.limit + 1);
  Stmt s(st.db(), sql, error);
  if (!s.ok()) return false;
  bind_all(s, binds);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    SearchHit h;
    h.type = "findings";
    h.id = str(s, 0);
    h.time_ms = s.col_int(1);
    if (f.hour_from >= 0 && !hour_in_range(h.time_ms, f.hour_from, f.hour_to)) continue;
    h.action = str(s, 2);
    const double sev = s.col_double(3);
    h.source = sev >= 9 ? "Critical" : sev >= 7 ? "High" : sev >= 4 ? "Medium" : "Low";
    h.target = str(s, 4);
    h.account = str(s, 5);
    h.region = str(s, 6);
    r->hits.push_back(std::move(h));
  }
  if (rc != SQLITE_DONE) {
    *error = std::string("findings search: ") + sqlite3_errmsg(st.db());
    return false;
  }
  return true;
}

unsigned auto_types(const SearchFilter& f) {
  const bool ct_only = !f.principal.empty() || !f.access_key.empty() || !f.event.empty() ||
                       !f.source.empty() || f.errors;
  unsigned t = kSearchCloudTrail;
  if (!ct_only && !f.ip.empty()) t |= kSearchFlows | kSearchDns;
  if (!ct_only && (f.resource.rfind("eni-", 0) == 0 || f.resource.rfind("i-", 0) == 0)) {
    t |= kSearchFlows;
  }
  if (!f.ip.empty() || !f.resource.empty() || !f.access_key.empty() || !f.principal.empty()) {
    if (f.event.empty() && f.source.empty() && !f.errors) t |= kSearchFindings;
  }
  return t;
}

}  // namespace

bool for_each_cloudtrail_row(Store& st, const SearchFilter& f,
                             const std::function<void(const CtIds&)>& fn, std::string* error) {
  CtPlan p = plan_cloudtrail(st, f, true);
  if (!p.error.empty()) {
    *error = p.error;
    return false;
  }
  if (p.empty) return true;
  std::unordered_set<int64_t> seen;
  const bool dedupe = p.sql.size() > 1;
  auto read = [&](const Stmt& s, CtIds& r) {
    r.time = s.col_int(1);
    r.account = s.col_int(2);
    r.region = s.col_int(3);
    r.source = s.col_int(4);
    r.name = s.col_int(5);
    r.principal = s.col_int(6);
    if (p.key_text) {
      r.access_key = 0;
      r.access_key_text = s.col_text(7);
    } else {
      r.access_key = s.col_int(7);
    }
    r.source_ip = s.col_int(8);
    r.user_agent = s.col_int(9);
    r.error_code = s.col_int(10);
    r.raw = s.col_int(11);
  };
  if (!p.resource.empty()) {
    CtIds r;
    return scan_resource_rows(
        st, p, 0,
        [&](const Stmt& s) {
          r.id = s.col_int(0);
          if (dedupe && !seen.insert(r.id).second) return;
          read(s, r);
          fn(r);
        },
        error);
  }
  for (const auto& sql : p.sql) {
    Stmt s(st.db(), sql, error);
    if (!s.ok()) return false;
    bind_all(s, p.binds);
    CtIds r;
    const int rc = step_plan(s, p, [&]() {
      r.id = s.col_int(0);
      if (dedupe && !seen.insert(r.id).second) return true;
      read(s, r);
      fn(r);
      return true;
    });
    if (rc != SQLITE_DONE) {
      *error = std::string("CloudTrail search: ") + sqlite3_errmsg(st.db());
      return false;
    }
  }
  return true;
}

unsigned search_type_from_name(std::string_view n) {
  if (n == "cloudtrail") return kSearchCloudTrail;
  if (n == "flows" || n == "vpcflow" || n == "flow") return kSearchFlows;
  if (n == "dns" || n == "route53") return kSearchDns;
  if (n == "findings" || n == "guardduty" || n == "finding") return kSearchFindings;
  return 0;
}

Result<SearchResult> run_search(Store& st, const SearchFilter& f) {
  SearchResult r;
  r.types = f.types != 0 ? f.types : auto_types(f);
  const bool ct_only = !f.principal.empty() || !f.access_key.empty() || !f.event.empty() ||
                       !f.source.empty() || f.errors;
  std::string err;
  if ((r.types & kSearchCloudTrail) && !search_cloudtrail(st, f, &r, &err)) {
    return Error{"store_read", err};
  }
  if (r.types & (kSearchFlows | kSearchDns)) {
    if (ct_only && f.types != 0) {
      r.notes.push_back(
          "--principal, --access-key, --event, --source and --errors apply to CloudTrail only: "
          "flows and DNS were not searched");
    } else {
      if ((r.types & kSearchDns) && !search_dns(st, f, &r, &err)) return Error{"store_read", err};
      if ((r.types & kSearchFlows) && !search_flows(st, f, &r, &err)) {
        return Error{"store_read", err};
      }
    }
  }
  if ((r.types & kSearchFindings) && !search_findings(st, f, &r, &err)) {
    return Error{"store_read", err};
  }
  std::stable_sort(r.hits.begin(), r.hits.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.time_ms > b.time_ms; });
  if (r.hits.size() > f.limit) {
    r.hits.resize(f.limit);
    r.truncated = true;
  }
  return r;
}

Result<std::string> explain_search(Store& st, const SearchFilter& f) {
  CtPlan p = plan_cloudtrail(st, f);
  if (!p.error.empty()) return Error{"store_read", p.error};
  if (p.empty) return std::string("(a searched value is not in the store: no statement runs)\n");
  std::string out;
  if (!p.postings_note.empty()) out += p.postings_note + "\n";
  std::string err;
  std::vector<std::string> all = p.sql;
  if (p.block_index) {
    out +=
        "(--resource through the resource index: the blocks whose filter may hold it, then "
        "each one's rows by rowid range)\n";
    all.insert(all.begin(), {p.blocks_sql, p.block_sql});
  }
  for (const auto& sql : all) {
    Stmt s(st.db(), "EXPLAIN QUERY PLAN " + sql, &err);
    if (!s.ok()) return Error{"store_read", err};
    bind_all(s, p.binds);
    out += sql + "\n";
    while (s.step() == SQLITE_ROW) {
      out += "  ";
      out += s.col_text(3);
      out += '\n';
    }
  }
  return out;
}

void render_search(const SearchResult& r, SearchFormat format, std::string* out) {
  if (format == SearchFormat::kJsonl) {
    for (const auto& h : r.hits) {
      JsonWriter w(out);
      w.begin_object();
      w.field("time", format_iso8601(h.time_ms));
      w.field("type", h.type);
      w.field("id", h.id);
      auto opt = [&](const char* k, const std::string& v) {
        if (!v.empty()) w.field(k, v);
      };
      opt("account", h.account);
      opt("region", h.region);
      if (h.type == "cloudtrail") {
        opt("eventSource", h.source);
        opt("eventName", h.action);
        opt("principal", h.principal);
        opt("accessKeyId", h.access_key);
        opt("sourceIPAddress", h.source_ip);
        opt("errorCode", h.error);
        opt("userAgent", h.user_agent);
      } else if (h.type == "flows") {
        opt("action", h.action);
        opt("interface_id", h.source);
        opt("instance_id", h.principal);
        opt("src", h.source_ip);
        opt("dst", h.target);
        w.field("bytes", h.bytes_out);
      } else if (h.type == "dns") {
        opt("query_name", h.action);
        opt("query_type", h.source);
        opt("rcode", h.target);
        opt("srcaddr", h.source_ip);
        opt("instance_id", h.principal);
      } else {
        opt("findingType", h.action);
        opt("severity", h.source);
        opt("title", h.target);
      }
      w.end_object();
      *out += '\n';
    }
    return;
  }
  Table t;
  t.columns = {"time",   "type",           "account", "region", "event", "principal / interface",
               "source", "target / error", "id"};
  for (const auto& h : r.hits) {
    std::string event = h.action;
    if (h.type == "cloudtrail" && !h.source.empty()) {
      std::string src = h.source;
      const std::size_t dot = src.find(".amazonaws.com");
      if (dot != std::string::npos) src.resize(dot);
      event = src + ":" + h.action;
    }
    std::string who = h.type == "flows" ? h.source : h.principal;
    std::string target = h.type == "cloudtrail" ? h.error : h.target;
    if (h.type == "flows") target += " " + std::to_string(h.bytes_out) + "B";
    t.rows.push_back({format_iso8601(h.time_ms), h.type, h.account, h.region, event, who,
                      h.source_ip, target, h.id});
  }
  if (format == SearchFormat::kCsv) {
    render_csv(t, out);
  } else {
    render_table(t, 64, out);
  }
}

}  // namespace sentinel::store
