#include "store/ct_index.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "store/batch.h"
#include "store/codec.h"
#include "store/hash_mix.h"
#include "store/store.h"

namespace sentinel::store {

namespace {

constexpr int64_t kNoTimeMs = std::numeric_limits<int64_t>::min();
constexpr int64_t kTermBits = 56;
constexpr int64_t kTermMask = (int64_t{1} << kTermBits) - 1;
constexpr int64_t kHourMs = 3'600'000;
// Hour numbers are offset so that negative ones (before 1970) keep their order in 56 bits.
constexpr int64_t kHourOffset = int64_t{1} << 54;

// A stable 64-bit hash (these values are stored: do not change it).
uint64_t stable_hash(std::string_view s, uint64_t seed) {
  uint64_t h = seed ^ (s.size() * 0x9e3779b97f4a7c15ULL);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  return mix64(h ^ w ^ 0x5bd1e995);
}

// Deltas use wrapping arithmetic, so any pair of values (kNoTime included) round-trips.
uint64_t zigzag(uint64_t d) {
  const auto s = static_cast<int64_t>(d);
  return (d << 1) ^ static_cast<uint64_t>(s >> 63);
}
uint64_t unzigzag(uint64_t z) {
  return (z >> 1) ^ (~(z & 1) + 1);
}

bool in_range(int64_t t, int64_t since, int64_t until) {
  if (since == std::numeric_limits<int64_t>::min() &&
      until == std::numeric_limits<int64_t>::max()) {
    return true;
  }
  return t != kNoTimeMs && t >= since && t < until;
}

constexpr const char* kSegPost =
    "SELECT p.rows FROM ct_segs s CROSS JOIN ct_post p ON p.seg = s.seg AND p.term BETWEEN ?1 AND "
    "?2";

}  // namespace

int64_t ct_term(CtTermKind kind, int64_t value) {
  return (static_cast<int64_t>(kind) << kTermBits) | (value & kTermMask);
}

int64_t ct_access_key_term(std::string_view key) {
  return ct_term(CtTermKind::kAccessKey,
                 static_cast<int64_t>(stable_hash(key, 0x6b657973ULL) & (kAccessKeyBuckets - 1)));
}

int64_t ct_hour_term(int64_t time_ms) {
  int64_t h = time_ms / kHourMs;
  if (time_ms % kHourMs < 0) --h;  // floor
  return ct_term(CtTermKind::kHour, h + kHourOffset);
}

namespace {

constexpr std::size_t kResourceLetters = 32;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_lower_letter(char c) {
  return c >= 'a' && c <= 'z';
}

// The terms of the id whose '-' is at s[dash] (s has 17 hex digits after it): its hex term and
// its term with the letters before the '-'.
int64_t resource_hex_term(std::string_view hex17) {
  return ct_term(CtTermKind::kResourceHex,
                 static_cast<int64_t>(stable_hash(hex17, 0x72657368ULL) & kTermMask));
}
int64_t resource_exact_term(std::string_view letters_dash_hex) {
  return ct_term(CtTermKind::kResource,
                 static_cast<int64_t>(stable_hash(letters_dash_hex, 0x72657369ULL) & kTermMask));
}

// The '-' positions of s that are followed by 17 lowercase hex digits.
template <typename Fn>
void for_each_id_dash(std::string_view s, Fn&& fn) {
  if (s.size() < kResourceHexDigits + 1) return;
  const char* p = s.data();
  const char* end = p + s.size() - kResourceHexDigits;  // a '-' must be before this
  while (p < end) {
    const void* d = std::memchr(p, '-', static_cast<std::size_t>(end - p));
    if (d == nullptr) return;
    const char* dash = static_cast<const char*>(d);
    std::size_t n = 0;
    while (n < kResourceHexDigits && is_lower_hex(dash[1 + n])) ++n;
    if (n == kResourceHexDigits) fn(static_cast<std::size_t>(dash - s.data()));
    p = dash + 1 + (n == 0 ? 0 : n);  // no '-' among the hex digits just read
  }
}

}  // namespace

void ct_resource_terms(std::string_view s, std::vector<int64_t>* out) {
  for_each_id_dash(s, [&](std::size_t dash) {
    std::size_t from = dash;
    while (from > 0 && dash - from < kResourceLetters && is_lower_letter(s[from - 1])) --from;
    out->push_back(resource_hex_term(s.substr(dash + 1, kResourceHexDigits)));
    out->push_back(resource_exact_term(s.substr(from, dash - from + 1 + kResourceHexDigits)));
  });
}

bool ct_resource_needle(std::string_view needle, CtResourceNeedle* out) {
  bool found = false;
  for_each_id_dash(needle, [&](std::size_t dash) {
    if (found) return;
    found = true;
    out->hex = resource_hex_term(needle.substr(dash + 1, kResourceHexDigits));
    out->exact = 0;
    // Exactly letters, '-', 17 hex digits: a row whose term has these letters holds the needle.
    // (A longer run of letters in the record also holds it; such rows are among the candidates.)
    const bool letters =
        dash > 0 && dash <= kResourceLetters &&
        std::all_of(needle.begin(), needle.begin() + static_cast<std::ptrdiff_t>(dash),
                    is_lower_letter);
    if (letters && needle.size() == dash + 1 + kResourceHexDigits) {
      out->exact = resource_exact_term(needle);
    }
  });
  return found;
}

bool ct_resource_postings_complete(sqlite3* db) {
  Stmt s(db,
         "SELECT count(*) FROM ct_segs s WHERE NOT EXISTS (SELECT 1 FROM ct_post p WHERE p.seg = "
         "s.seg AND p.term = ?1)",
         nullptr);
  if (!s.ok()) return false;
  s.bind(1, ct_term(CtTermKind::kResourceMark, 0));
  return s.step() == SQLITE_ROW && s.col_int(0) == 0;
}

int64_t ct_uid_key(std::string_view uid) {
  return static_cast<int64_t>(stable_hash(uid, 0x75696473ULL) >> 1);
}

std::vector<std::pair<int64_t, int64_t>> CtKeyMap::sorted() const {
  std::vector<std::pair<int64_t, int64_t>> v;
  v.reserve(slots_.size());
  slots_.each([&](const Slot& e) { v.emplace_back(e.key, e.id); });
  std::sort(v.begin(), v.end());
  return v;
}

void CtPostingsBuilder::clear() {
  entries_.clear();
  rows_ = 0;
  has_time_ = false;
  resources_ = false;
}

void CtPostingsBuilder::add_row(int64_t id, int64_t time, int64_t source_ip, int64_t principal,
                                std::string_view access_key,
                                std::span<const int64_t> resource_terms) {
  add_row(id, time, source_ip, principal, access_key);
  resources_ = true;
  for (const int64_t t : resource_terms) entries_.push_back({t, id, time});
}

void CtPostingsBuilder::add_row(int64_t id, int64_t time, int64_t source_ip, int64_t principal,
                                std::string_view access_key) {
  if (rows_ == 0) first_id_ = id;
  last_id_ = id;
  ++rows_;
  if (source_ip != 0) entries_.push_back({ct_term(CtTermKind::kSourceIp, source_ip), id, time});
  if (principal != 0) entries_.push_back({ct_term(CtTermKind::kPrincipal, principal), id, time});
  if (!access_key.empty()) entries_.push_back({ct_access_key_term(access_key), id, time});
  if (time == kNoTimeMs) {
    entries_.push_back({ct_term(CtTermKind::kNoTime, 0), id, time});
  } else {
    entries_.push_back({ct_hour_term(time), id, time});
    if (!has_time_ || time < min_time_) min_time_ = time;
    if (!has_time_ || time > max_time_) max_time_ = time;
    has_time_ = true;
  }
}

void CtPostingsBuilder::sort_by_term(std::vector<Entry>* entries, std::vector<Entry>* scratch,
                                     std::vector<uint32_t>* counts) {
  // A merge sort of every entry was ~10% of the writer thread's time. Instead: the entries are
  // split by kind (the term's top byte), stably, into `scratch`; then each kind goes back into
  // `entries` by a counting sort of its values when they span at most kCountingSpan or 4 per
  // entry, else (hashed resource ids) by std::stable_sort. Both are stable, so each term keeps its
  // rows' order.
  constexpr int kKinds = 256;
  constexpr uint64_t kCountingSpan = uint64_t{1} << 16;
  std::vector<Entry>& e = *entries;
  const std::size_t n = e.size();
  if (n < 2) return;
  std::size_t kind_start[kKinds + 1] = {};
  for (const Entry& x : e) ++kind_start[(static_cast<uint64_t>(x.term) >> kTermBits) + 1];
  for (int k = 0; k < kKinds; ++k) kind_start[k + 1] += kind_start[k];
  scratch->resize(n);
  {
    std::size_t at[kKinds];
    std::copy(kind_start, kind_start + kKinds, at);
    for (const Entry& x : e) (*scratch)[at[static_cast<uint64_t>(x.term) >> kTermBits]++] = x;
  }
  for (int k = 0; k < kKinds; ++k) {
    const std::size_t from = kind_start[k], to = kind_start[k + 1];
    if (from == to) continue;
    const Entry* src = scratch->data() + from;
    Entry* dst = e.data() + from;
    const std::size_t m = to - from;
    int64_t lo = src[0].term, hi = src[0].term;
    for (std::size_t i = 1; i < m; ++i) {
      lo = std::min(lo, src[i].term);
      hi = std::max(hi, src[i].term);
    }
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span > kCountingSpan && span > 4 * static_cast<uint64_t>(m)) {
      std::copy(src, src + m, dst);
      std::stable_sort(dst, dst + m,
                       [](const Entry& a, const Entry& b) { return a.term < b.term; });
      continue;
    }
    counts->assign(span + 1, 0);
    uint32_t* c = counts->data();
    for (std::size_t i = 0; i < m; ++i) ++c[static_cast<uint64_t>(src[i].term - lo) + 1];
    for (uint64_t v = 0; v < span; ++v) c[v + 1] += c[v];
    for (std::size_t i = 0; i < m; ++i) dst[c[static_cast<uint64_t>(src[i].term - lo)]++] = src[i];
  }
}

bool CtPostingsBuilder::flush(sqlite3* db, int64_t seg, std::string* error) {
  if (rows_ == 0) return true;
  // Rows were added in rowid order: a stable sort by term keeps each term's rows ascending.
  sort_by_term(&entries_, &scratch_, &counts_);
  Stmt post(db, "INSERT INTO ct_post(seg, term, rows) VALUES (?, ?, ?)", error);
  // Terms go in kPostRowsPerInsert to a statement (one step, cursor and reset each; most terms
  // are a few rows, so the per-statement work was most of a term's cost), the rest one by one.
  constexpr std::size_t kPostRowsPerInsert = 32;
  std::string many = "INSERT INTO ct_post(seg, term, rows) VALUES (?,?,?)";
  for (std::size_t k = 1; k < kPostRowsPerInsert; ++k) many += ",(?,?,?)";
  Stmt post_many(db, many, error);
  Stmt segs(db,
            "INSERT INTO ct_segs(seg, first_id, last_id, min_time, max_time, rows) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            error);
  if (!post.ok() || !post_many.ok() || !segs.ok()) return false;
  // Each term's blob goes into blob_ (one buffer, bound once it stops growing).
  struct PendingTerm {
    int64_t term;
    std::size_t off, len;
  };
  std::vector<PendingTerm> pending;
  pending.reserve(kPostRowsPerInsert);
  auto put_pending = [&]() {
    Stmt& s = pending.size() == kPostRowsPerInsert ? post_many : post;
    const bool many_rows = &s == &post_many;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const int at = many_rows ? static_cast<int>(3 * k) : 0;
      s.bind(at + 1, seg);
      s.bind(at + 2, pending[k].term);
      s.bind_blob(at + 3, std::string_view(blob_).substr(pending[k].off, pending[k].len));
      if (!many_rows) {
        if (s.step() != SQLITE_DONE) return false;
        s.rewind();
      }
    }
    if (many_rows) {
      if (s.step() != SQLITE_DONE) return false;
      s.rewind();
    }
    pending.clear();
    blob_.clear();
    return true;
  };
  blob_.clear();
  for (std::size_t i = 0; i < entries_.size();) {
    const int64_t term = entries_[i].term;
    const std::size_t off = blob_.size();
    uint64_t prev_id = 0, prev_time = 0;
    for (; i < entries_.size() && entries_[i].term == term; ++i) {
      put_varint(&blob_, static_cast<uint64_t>(entries_[i].id) - prev_id);
      put_varint(&blob_, zigzag(static_cast<uint64_t>(entries_[i].time) - prev_time));
      prev_id = static_cast<uint64_t>(entries_[i].id);
      prev_time = static_cast<uint64_t>(entries_[i].time);
    }
    pending.push_back(PendingTerm{term, off, blob_.size() - off});
    if (pending.size() == kPostRowsPerInsert && !put_pending()) {
      *error = std::string("insert postings: ") + sqlite3_errmsg(db);
      return false;
    }
  }
  if (!pending.empty() && !put_pending()) {
    *error = std::string("insert postings: ") + sqlite3_errmsg(db);
    return false;
  }
  if (resources_) {
    // The mark: the last term of the segment (kResourceMark is the highest kind), no rows.
    post.bind(1, seg);
    post.bind(2, ct_term(CtTermKind::kResourceMark, 0));
    post.bind_blob(3, std::string_view("", 0));  // non-null: an empty blob, not NULL
    if (post.step() != SQLITE_DONE) {
      *error = std::string("insert postings: ") + sqlite3_errmsg(db);
      return false;
    }
    post.rewind();
  }
  segs.bind(1, seg);
  segs.bind(2, first_id_);
  segs.bind(3, last_id_);
  if (has_time_) {
    segs.bind(4, min_time_);
    segs.bind(5, max_time_);
  }
  segs.bind(6, static_cast<int64_t>(rows_));
  if (segs.step() != SQLITE_DONE) {
    *error = std::string("insert segment: ") + sqlite3_errmsg(db);
    return false;
  }
  clear();
  return true;
}

namespace {

// Decodes a ct_post blob, calling keep(posting) for each; false when it is damaged. The varint
// reads are inline: a busy address has hundreds of thousands of postings.
template <typename Keep>
bool decode_postings(std::string_view blob, Keep&& keep) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const uint8_t* end = p + blob.size();
  auto varint = [&](uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      const uint8_t b = *p++;
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  };
  uint64_t id = 0, time = 0;
  while (p < end) {
    uint64_t d, z;
    if (!varint(&d) || !varint(&z)) return false;
    id += d;
    time += unzigzag(z);
    keep(CtPosting{static_cast<int64_t>(time), static_cast<int64_t>(id)});
  }
  return true;
}

}  // namespace

bool ct_decode_postings(std::string_view blob, std::vector<CtPosting>* out) {
  return decode_postings(blob, [&](const CtPosting& p) { out->push_back(p); });
}

CtPostingsReader::CtPostingsReader(sqlite3* db)
    : db_(db),
      range_(db, kSegPost, nullptr),
      range_time_(db, std::string(kSegPost) + " WHERE s.max_time >= ?3 AND s.min_time < ?4",
                  nullptr) {}

bool CtPostingsReader::read(int64_t term_lo, int64_t term_hi, int64_t since, int64_t until,
                            std::vector<CtPosting>* out, std::string* error) {
  const bool bounded = !in_range(kNoTimeMs, since, until);
  Stmt& s = bounded ? range_time_ : range_;
  if (!s.ok()) {
    *error = std::string("postings: ") + sqlite3_errmsg(db_);
    return false;
  }
  s.bind(1, term_lo);
  s.bind(2, term_hi);
  if (bounded) {
    s.bind(3, since);
    s.bind(4, until);
  }
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const bool ok =
        bounded ? decode_postings(s.col_blob(0),
                                  [&](const CtPosting& p) {
                                    if (in_range(p.time, since, until)) {
                                      out->push_back(p);
                                    }
                                  })
                : decode_postings(s.col_blob(0), [&](const CtPosting& p) { out->push_back(p); });
    if (!ok) {
      *error = "postings: a ct_post row is damaged";
      s.reset();
      return false;
    }
  }
  s.reset();
  if (rc != SQLITE_DONE) {
    *error = std::string("postings: ") + sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

bool CtPostingsReader::read_time(int64_t since, int64_t until, std::vector<CtPosting>* out,
                                 std::string* error) {
  if (since >= until) return true;
  return read(ct_hour_term(since), ct_hour_term(until - 1), since, until, out, error);
}

std::string ct_event_id_text(std::string_view uid) {
  if (uid.size() == 16) return unpack_uuid(uid);
  if (uid.size() == 17 && uid[0] == '\0') return to_hex(uid.substr(1));
  return std::string(uid);
}

bool ct_has_postings(sqlite3* db) {
  Stmt s(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('ct_uid', 'ct_post')", nullptr);
  return s.ok() && s.step() == SQLITE_ROW && s.col_int(0) == 2;
}

std::vector<std::string> ct_uid_candidates(std::string_view event_id) {
  std::vector<std::string> out;
  std::string packed;
  if (pack_uuid_text(event_id, &packed)) {
    out.push_back(std::move(packed));  // the writer packs every lowercase UUID
  } else if (!event_id.empty()) {
    out.emplace_back(event_id);
  }
  if (event_id.size() == 32) {
    std::string bin(1, '\0');
    auto hv = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < 32; i += 2) {
      const int h = hv(event_id[i]);
      const int l = hv(event_id[i + 1]);
      if (h < 0 || l < 0) return out;
      bin.push_back(static_cast<char>((h << 4) | l));
    }
    out.push_back(std::move(bin));
  }
  return out;
}

std::vector<int64_t> ct_rows_by_event_id(sqlite3* db, std::string_view event_id) {
  std::vector<int64_t> ids;
  Stmt by_key(db,
              "SELECT u.id FROM ct_uid u JOIN ct_events c ON c.id = u.id WHERE u.key = ?1 AND "
              "c.uid = ?2",
              nullptr);
  Stmt more(db, "SELECT id FROM ct_uid_more WHERE uid = ?1", nullptr);
  if (!by_key.ok() || !more.ok()) return ids;
  for (const std::string& uid : ct_uid_candidates(event_id)) {
    by_key.bind(1, ct_uid_key(uid));
    by_key.bind_blob(2, uid);
    while (by_key.step() == SQLITE_ROW) ids.push_back(by_key.col_int(0));
    by_key.reset();
    more.bind_blob(1, uid);
    while (more.step() == SQLITE_ROW) ids.push_back(more.col_int(0));
    more.reset();
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool ct_build_index(sqlite3* db, int64_t seg_rows, std::string* error) {
  Stmt rows(db,
            "SELECT id, uid, coalesce(account, 0), time, source_ip, principal, CASE "
            "typeof(access_key) WHEN 'integer' THEN (SELECT value FROM strings WHERE id = "
            "access_key) ELSE access_key END FROM ct_events ORDER BY id",
            error);
  Stmt ins_uid(db, "INSERT OR IGNORE INTO ct_uid(key, id) VALUES (?, ?)", error);
  Stmt ins_more(db, "INSERT OR IGNORE INTO ct_uid_more(uid, account, id) VALUES (?, ?, ?)", error);
  Stmt next(db, "SELECT coalesce(max(seg), 0) + 1 FROM ct_segs", error);
  if (!rows.ok() || !ins_uid.ok() || !ins_more.ok() || !next.ok()) return false;
  int64_t seg = next.step() == SQLITE_ROW ? next.col_int(0) : 1;
  CtPostingsBuilder b;
  int64_t seg_first = 0;
  int rc;
  while ((rc = rows.step()) == SQLITE_ROW) {
    const int64_t id = rows.col_int(0);
    const std::string_view uid = rows.col_blob(1);
    ins_uid.bind(1, ct_uid_key(uid));
    ins_uid.bind(2, id);
    if (ins_uid.step() != SQLITE_DONE) {
      *error = std::string("ct_uid: ") + sqlite3_errmsg(db);
      return false;
    }
    ins_uid.rewind();
    if (sqlite3_changes(db) == 0) {
      // The key is taken by another (uid, account): this row is found through ct_uid_more.
      ins_more.bind_blob(1, uid);
      ins_more.bind(2, rows.col_int(2));
      ins_more.bind(3, id);
      if (ins_more.step() != SQLITE_DONE) {
        *error = std::string("ct_uid_more: ") + sqlite3_errmsg(db);
        return false;
      }
      ins_more.rewind();
    }
    if (!b.empty() && id - seg_first >= seg_rows) {
      if (!b.flush(db, seg++, error)) return false;
    }
    if (b.empty()) seg_first = id;
    b.add_row(id, rows.col_null(3) ? kNoTimeMs : rows.col_int(3), rows.col_int(4), rows.col_int(5),
              rows.col_text(6));
  }
  if (rc != SQLITE_DONE) {
    *error = std::string("ct_events: ") + sqlite3_errmsg(db);
    return false;
  }
  return b.flush(db, seg, error);
}

}  // namespace sentinel::store
