#pragma once
/// How a schema 3 store finds CloudTrail rows without a B-tree index per search column
/// (docs/store.md, "CloudTrail rows and their postings").
///
/// - Uniqueness: `ct_uid(key INTEGER PRIMARY KEY, id)` maps a 63-bit hash of the row's uid
///   (packed eventID) to the ct_events rowid; the real uid and account of that row are compared
///   on a hit. A second row whose uid hashes to a key already taken (the same eventID in another
///   account, or a hash collision) goes to `ct_uid_more(uid, account, id)`, which is consulted
///   only when it is not empty.
/// - Postings: each writer transaction is a segment (`ct_segs`: a run of consecutive rowids with
///   its time range), and `ct_post(seg, term, rows) WITHOUT ROWID` holds, for each term of the
///   segment, the (rowid, time) pairs of its rows. Terms are a source IP or principal dictionary
///   id, a bucket of access keys (by hash), an hour of event time, or a resource id (by hash).
///   Rows are written in (seg, term) order, so each transaction appends at the right edge of one
///   B-tree; a lookup reads one row per segment. Postings only narrow: callers check each row's
///   own columns (or, for resource ids, its raw record unless the term is exact).
/// - Resource ids (`i-`, `eni-`, `sg-`, `vpc-`... with 17 hex digits) named in a row's request,
///   response, resources or additional data are terms too (kResource, kResourceHex), for
///   `search --resource` and `investigate INSTANCE|ENI`; a segment written without them (before
///   this build, or by the migration) lacks kResourceMark, and then the resource index answers.
#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/probe_table.h"
#include "store/sqlite.h"

namespace sentinel::store {

/// What a term is about (the top byte of the term).
enum class CtTermKind : uint8_t {
  kSourceIp = 1,
  kPrincipal = 2,
  kAccessKey = 3,
  kHour = 4,
  kNoTime = 5,  ///< the rows without an event time (one term, value 0)
  /// A resource id named in the row's requestParameters, responseElements, resources or
  /// additionalEventData: the letters before a '-' and the first 17 hex digits after it
  /// (`i-0123456789abcdef0`, `eni-...`, `sg-...`, `vpc-...`), hashed.
  kResource = 6,
  /// The same 17 hex digits alone, whatever precedes the '-' (hashed): a row that holds a needle
  /// with such an id has this term, so its postings are a superset of the needle's rows.
  kResourceHex = 7,
  /// A segment whose rows were given their resource terms (one term, value 0, no rows). Segments
  /// written before (or by a migration) lack it, and then the resource postings are not used.
  kResourceMark = 8,
};

/// The term of a dictionary id (source IP, principal) or an hour number.
int64_t ct_term(CtTermKind kind, int64_t value);
/// Access keys share kAccessKeyBuckets terms by their hash: temporary keys are nearly one per
/// session (143,000 distinct in 200,000 bench events), and a term each would cost a ct_post row
/// per event. A lookup reads the bucket's rows (a few per segment) and checks the key on each.
inline constexpr int64_t kAccessKeyBuckets = 16384;
/// The term of an access key: its bucket.
int64_t ct_access_key_term(std::string_view key);
/// The hour term of an event time in ms (the hour containing it).
int64_t ct_hour_term(int64_t time_ms);

/// Hex digits of a resource id that make a term (AWS ids have 17 after the prefix; the older
/// 8-digit ones are not terms).
inline constexpr std::size_t kResourceHexDigits = 17;
/// Appends the resource terms of one string of a record (a member name or a string value inside
/// requestParameters, responseElements, resources or additionalEventData): for every '-'
/// followed by at least 17 lowercase hex digits, the kResourceHex term of those 17 digits and the
/// kResource term of them with the lowercase letters just before the '-' (at most 32). Callers
/// sort and deduplicate a row's terms.
void ct_resource_terms(std::string_view s, std::vector<int64_t>* out);

/// How the resource postings answer `search --resource needle` (docs/store.md): `hex` is the
/// kResourceHex term of the needle's first '-' + 17 hex digits, whose rows are the candidates
/// (every row holding the needle has it); when the needle is exactly letters, '-' and 17 hex
/// digits, the rows of `exact` (its kResource term) hold it for certain and need no check of
/// the raw record. False when the needle has no such id.
struct CtResourceNeedle {
  int64_t hex = 0;
  int64_t exact = 0;  ///< 0 when the needle is more than one id
};
bool ct_resource_needle(std::string_view needle, CtResourceNeedle* out);

/// True when every segment of the store carries its rows' resource terms (kResourceMark).
bool ct_resource_postings_complete(sqlite3* db);

/// The ct_uid key of a row's uid (63-bit hash, never negative).
int64_t ct_uid_key(std::string_view uid);

/// ct_uid key -> rowid for the rows of one writer transaction: a core/probe_table.h table over
/// the keys (already hashes), from 64K slots; no allocation per entry; ids are never 0.
class CtKeyMap {
 public:
  /// The rowid recorded for `key`, 0 when none.
  int64_t find(int64_t key) const {
    const Slot* s =
        slots_.find(static_cast<uint64_t>(key), [key](const Slot& x) { return x.key == key; });
    return s == nullptr ? 0 : s->id;
  }
  /// Starts loading the slot where find(key) begins (the table outgrows the caches: a writer
  /// asks for the key of a row a few rows ahead).
  void prefetch(int64_t key) const { slots_.prefetch(static_cast<uint64_t>(key)); }
  /// Records `id` for a key find() does not know.
  void insert(int64_t key, int64_t id) {
    slots_.insert(static_cast<uint64_t>(key)) = Slot{key, id};
  }
  /// The entries sorted by key.
  std::vector<std::pair<int64_t, int64_t>> sorted() const;
  void clear() { slots_.clear(); }

 private:
  struct Slot {
    int64_t key = 0;
    int64_t id = 0;
  };
  struct SlotTraits {
    static bool empty(const Slot& s) { return s.id == 0; }
    static uint64_t hash(const Slot& s) { return static_cast<uint64_t>(s.key); }
  };
  ProbeTable<Slot, SlotTraits, 65536> slots_;
};

/// One posting: a row and its event time (ingest::kNoTime when it has none).
struct CtPosting {
  int64_t time;
  int64_t id;
};

/// Collects the postings of one segment (one writer transaction) and writes them in term order.
class CtPostingsBuilder {
 public:
  /// The postings of one row (a 0 id / empty key adds no term for it).
  void add_row(int64_t id, int64_t time, int64_t source_ip, int64_t principal,
               std::string_view access_key);
  /// The same with the row's resource terms (ct_resource_terms, distinct): the segment is then
  /// marked as having resource terms (kResourceMark), even when a row has none.
  void add_row(int64_t id, int64_t time, int64_t source_ip, int64_t principal,
               std::string_view access_key, std::span<const int64_t> resource_terms);
  bool empty() const { return rows_ == 0; }
  void clear();
  /// Writes the segment `seg`: one ct_post row per term, then its ct_segs row; clears.
  bool flush(sqlite3* db, int64_t seg, std::string* error);

  struct Entry {
    int64_t term;
    int64_t id;
    int64_t time;
  };
  /// Sorts `entries` by term, stably (what std::stable_sort by term gives), through `scratch`
  /// and `counts` (reused buffers): a counting sort per term kind whose values span a small
  /// range (hours, access-key buckets, dictionary ids), std::stable_sort for the others (hashed
  /// resource ids). Public for its test.
  static void sort_by_term(std::vector<Entry>* entries, std::vector<Entry>* scratch,
                           std::vector<uint32_t>* counts);

 private:
  std::vector<Entry> entries_;
  std::vector<Entry> scratch_;
  std::vector<uint32_t> counts_;
  uint64_t rows_ = 0;
  int64_t first_id_ = 0, last_id_ = 0;
  int64_t min_time_ = 0, max_time_ = 0;
  bool has_time_ = false;
  bool resources_ = false;  ///< the segment's rows came with their resource terms
  std::string blob_;
};

/// Appends the (rowid, time) pairs of a ct_post blob to out; false when it is damaged.
bool ct_decode_postings(std::string_view blob, std::vector<CtPosting>* out);

/// Reads postings across segments. Not thread-safe; one per connection.
class CtPostingsReader {
 public:
  explicit CtPostingsReader(sqlite3* db);
  bool ok() const { return range_.ok(); }
  /// Appends the postings of terms lo..hi (inclusive) whose time is in [since, until) (all
  /// times, absent included, when since = INT64_MIN and until = INT64_MAX); false on a read
  /// error (*error set).
  bool read(int64_t term_lo, int64_t term_hi, int64_t since, int64_t until,
            std::vector<CtPosting>* out, std::string* error);
  bool read(int64_t term, int64_t since, int64_t until, std::vector<CtPosting>* out,
            std::string* error) {
    return read(term, term, since, until, out, error);
  }
  /// Postings of the hours that meet [since, until), filtered to that range.
  bool read_time(int64_t since, int64_t until, std::vector<CtPosting>* out, std::string* error);

 private:
  sqlite3* db_;
  Stmt range_;       // every segment
  Stmt range_time_;  // segments whose time range meets [since, until)
};

/// The eventID text of a ct_events.uid: a packed UUID, NUL + content hash (32 hex), or the text.
std::string ct_event_id_text(std::string_view uid);

/// True when the store has the schema 3 CloudTrail tables (ct_uid, ct_post).
bool ct_has_postings(sqlite3* db);

/// The rowids of the CloudTrail rows whose eventID text is `event_id` (any account), through
/// ct_uid and ct_uid_more; ascending.
std::vector<int64_t> ct_rows_by_event_id(sqlite3* db, std::string_view event_id);

/// The uid bytes a CloudTrail eventID text is stored as (a packed lowercase UUID, the text
/// itself) and, for 32 hex digits, the uid of a record without eventID (NUL + 16 bytes): up to
/// two candidates.
std::vector<std::string> ct_uid_candidates(std::string_view event_id);

/// Builds ct_uid / ct_uid_more and the postings of every ct_events row (the migration of a
/// schema 2 store), segments of `seg_rows` rowids. False with *error on a store error.
bool ct_build_index(sqlite3* db, int64_t seg_rows, std::string* error);

}  // namespace sentinel::store
