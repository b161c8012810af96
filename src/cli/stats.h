#pragma once
/// What was read: files, events per log type / account / region / event source, time range,
/// rejects per reason (with the first few examples). One per thread, merged at the end.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/probe_table.h"
#include "core/reject.h"
#include "ingest/event.h"
#include "ingest/reader.h"
#include "ingest/sources/inputs.h"

namespace sentinel::cli {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using CountMap = std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>>;

/// "1,234,567" (stats, ingest and analyze reports).
inline std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

inline void bump(CountMap& m, std::string_view key, uint64_t n = 1) {
  auto it = m.find(key);
  if (it == m.end()) it = m.emplace(std::string(key), 0).first;
  it->second += n;
}

/// A CountMap with a one-entry cache: consecutive events mostly share their account, region
/// and source, so most bumps cost one short comparison instead of a hash lookup.
class CachedCounts {
 public:
  void bump(std::string_view key) {
    if (last_ != nullptr && key == last_key_) {
      ++*last_;
      return;
    }
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(std::string(key), 0).first;
    ++it->second;
    last_key_ = it->first;  // unordered_map nodes are stable: the key outlives the cache entry
    last_ = &it->second;
  }
  const CountMap& map() const { return map_; }
  void merge_from(const CountMap& other) {
    for (const auto& [k, v] : other) sentinel::cli::bump(map_, k, v);
  }

 private:
  CountMap map_;
  std::string_view last_key_;
  uint64_t* last_ = nullptr;
};

/// Zero-filled memory mapped from the kernel, with transparent huge pages asked for when it is
/// large: a group table of tens of MB is read at random, one line per event, and with 4 KB pages
/// nearly every such read also missed the TLB. Pages are zeroed by the kernel as they are first
/// touched (no memset of the whole table when it grows). Throws std::bad_alloc when the kernel
/// refuses.
class ZeroedPages {
 public:
  ZeroedPages() = default;
  explicit ZeroedPages(std::size_t bytes);
  ~ZeroedPages();
  ZeroedPages(ZeroedPages&& o) noexcept { swap(o); }
  ZeroedPages& operator=(ZeroedPages&& o) noexcept {
    ZeroedPages tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ZeroedPages(const ZeroedPages&) = delete;
  ZeroedPages& operator=(const ZeroedPages&) = delete;
  void* data() const { return data_; }

 private:
  void swap(ZeroedPages& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(len_, o.len_);
    std::swap(data_, o.data_);
  }
  void* base_ = nullptr;  // the mapping
  std::size_t len_ = 0;
  void* data_ = nullptr;  // inside it, 2 MB-aligned when large
};

/// `sentinel stats --by FIELD [--sum FIELD]`: a streaming, exact group-by over events.
///
/// Keys are the first value of FIELD as text (missing fields group under ""), held in one of two
/// open-addressing tables (at most half full, linear probing):
///   - IPv4 addresses (`srcaddr`, `dstaddr` of flow records) as their 32-bit value in a 16-byte
///     slot (address, count, sum): four slots per cache line, no key bytes stored, the table in
///     huge pages (ZeroedPages). A group's rare extras (events without a value to sum, counts past
///     2^31) live in a side map, so the slot stays small. Lookups are software-pipelined:
///     `add_v4` prefetches the slot and applies the event kPipeline events later, so the table's
///     cache misses overlap the parsing of the next lines;
///   - any other text in a 48-byte slot with the key bytes in one arena (core/probe_table.h).
/// No allocation per event or per group beyond the tables' and the arena's doubling.
///
/// Memory is bounded by `max_groups` (distinct keys in both tables together): once it is
/// reached, events whose key is not already a group are counted in one overflow group (reported
/// as "other"), so the result stays exact for every group kept. Per group: 32-64 bytes for IPv4
/// keys (slots at half load), 96 bytes + the key for text, plus a third more while a table
/// doubles, and 24 bytes per IPv4 group (40 per text group) for the output order. Call flush()
/// before reading results (after each file is enough).
class GroupBy {
 public:
  struct Group {
    uint64_t count = 0;
    double sum = 0;
    uint64_t summed = 0;  ///< events whose sum field had a numeric value
  };

  /// `sums`: events carry a value to sum (--sum); without it `summed` is not tracked.
  explicit GroupBy(std::size_t max_groups = 1000000, bool sums = true)
      : max_groups_(max_groups), sums_(sums) {}
  GroupBy(GroupBy&&) = default;
  GroupBy& operator=(GroupBy&&) = default;

  /// Adds one event with key `key`; `value` (when has_value) goes into the group's sum.
  void add(std::string_view key, bool has_value, double value);
  /// The same for a key that is an IPv4 address (host-order value), shown as a dotted quad.
  /// The caller guarantees that the key's text is exactly that canonical dotted quad.
  void add_v4(uint32_t ip, bool has_value, double value) {
    ++events_;
    const std::size_t at = hash_v4(ip) & v4_mask_;
    __builtin_prefetch(v4_slots() + at, 1, 1);
    if (pending_n_ == kPipeline) {  // apply the oldest, whose slot is in cache by now
      apply_v4(pending_[pending_head_]);
      pending_head_ = (pending_head_ + 1) % kPipeline;
      --pending_n_;
    }
    Pending& p = pending_[(pending_head_ + pending_n_) % kPipeline];
    p.ip = ip;
    p.has = has_value;
    p.value = value;
    ++pending_n_;
  }
  /// Adds a whole group of `count` events (`summed` of them with a value, adding up to `sum`)
  /// under an IPv4 key: merging, and tests of counts no test could feed one by one.
  void add_v4_group(uint32_t ip, uint64_t count, double sum, uint64_t summed);
  /// Applies the events still in the prefetch pipeline.
  void flush();
  void merge(GroupBy& o);

  std::size_t size() const { return slots_.size() + v4_size_; }
  const Group& overflow() const { return overflow_; }
  uint64_t events() const { return events_; }
  /// Slots of the IPv4 table (a power of two; 0 before the first IPv4 key): tests of growth.
  std::size_t v4_capacity() const { return v4_cap_; }

  /// One output row, self-contained so that sorting reads no pointer: the group's numbers and
  /// the key's first 16 bytes (all of an IPv4 key's dotted quad).
  struct Row {
    double sum;
    uint64_t count;
    uint64_t summed;
    char head[16];     ///< the key's first bytes, zero-padded
    const char* text;  ///< the whole key when it is not in `head` alone (nullptr: it is)
    uint32_t len;
    bool plain;  ///< the key needs no escaping (an IPv4 dotted quad)
    std::string_view key() const { return {text != nullptr ? text : head, len}; }
  };
  /// The groups sorted by sum (when `by_sum`) or count, descending, then key; at most `top`
  /// (0: all). Text keys point into this GroupBy: valid while it is unchanged.
  std::vector<Row> sorted(bool by_sum, std::size_t top) const;
  /// The group of `key` as sorted() would report it (IPv4 keys folded); false when absent.
  /// Tests.
  bool find(std::string_view key, Group* out) const;
  /// Writes a table to `out` (keys escaped for the terminal), in pieces.
  void write_text(std::FILE* out, std::string_view by, std::string_view sum, std::size_t top) const;
  /// Writes one JSON object to `out`, in pieces:
  /// {"by", "sum", "events", "groups_total", "groups": [{key,count,sum}], "overflow"}.
  void write_json(std::FILE* out, std::string_view by, std::string_view sum, std::size_t top,
                  uint64_t rejects, double seconds) const;
  /// The same into strings (tests).
  std::string to_text(std::string_view by, std::string_view sum, std::size_t top) const;
  std::string to_json(std::string_view by, std::string_view sum, std::size_t top, uint64_t rejects,
                      double seconds) const;

 private:
  static constexpr unsigned kPipeline = 8;
  static constexpr uint32_t kCarry = uint32_t{1} << 31;  ///< slot counts above this carry out
  struct Slot {
    uint64_t hash = 0;  ///< 0: empty
    uint64_t off = 0;   ///< the key in arena_
    uint64_t len = 0;
    Group g;
  };
  struct SlotTraits {
    static bool empty(const Slot& s) { return s.hash == 0; }
    static uint64_t hash(const Slot& s) { return s.hash; }
  };
  struct V4Slot {
    uint32_t ip;
    uint32_t count;  ///< 0: empty; at most kCarry after each event (the rest is in V4Extra)
    double sum;
  };
  static_assert(sizeof(V4Slot) == 16, "four slots per cache line");
  struct V4Extra {
    uint64_t count = 0;     ///< carried out of the slot's count, in steps of kCarry
    uint64_t unsummed = 0;  ///< events without a value to sum
  };
  struct Pending {
    uint32_t ip = 0;
    bool has = false;
    double value = 0;
  };
  static uint64_t hash_v4(uint32_t ip) {
    uint64_t h = (uint64_t{ip} + 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
  }
  V4Slot* v4_slots() const { return static_cast<V4Slot*>(v4_mem_.data()); }
  std::string_view key_of(const Slot& s) const { return {arena_.data() + s.off, s.len}; }
  Group* find_or_add(std::string_view key);
  V4Slot* find_or_add_v4(uint32_t ip);     ///< nullptr: a new key past max_groups
  std::size_t find_v4(uint32_t ip) const;  ///< slot index, SIZE_MAX when absent
  Group v4_group(const V4Slot& s) const;
  void apply_v4(const Pending& p) {
    V4Slot* s = find_or_add_v4(p.ip);
    if (s == nullptr) [[unlikely]] {
      ++overflow_.count;
      if (p.has) {
        overflow_.sum += p.value;
        ++overflow_.summed;
      }
      return;
    }
    if (++s->count > kCarry) [[unlikely]] {
      v4_extra_[p.ip].count += kCarry;
      s->count -= kCarry;
    }
    if (p.has)
      s->sum += p.value;
    else if (sums_) [[unlikely]]
      ++v4_extra_[p.ip].unsummed;
  }
  void grow_v4();
  /// A text group in output order: its numbers, its key's first 16 bytes (big-endian,
  /// zero-padded) and its text slot (with kTextRef set; --max-groups is at most 1e8, so slots
  /// number below 2^31): 40 bytes, so the sort moves less than whole Rows and reads no table
  /// while the heads differ.
  struct Order {
    double sum;
    uint64_t count;
    uint64_t h0;
    uint64_t h1;
    uint32_t ref;
  };
  static constexpr uint32_t kTextRef = uint32_t{1} << 31;
  /// An IPv4 group in output order, 24 bytes: its numbers and `code` = the order code of its
  /// address << 32 | its v4 slot. The code replaces each octet by the rank of its decimal text
  /// among "0".."255", so codes compare as the dotted quads' texts do and ties compare one
  /// integer; the key is written back from the code.
  struct V4Order {
    double sum;
    uint64_t count;
    uint64_t code;
  };
  /// v4 slot -> the text group folded into it (a dotted quad that came as text; rare).
  using Folds = std::unordered_map<std::size_t, const Group*>;
  /// The output order as two sorted runs, IPv4 and text groups (at most `top` each), merged
  /// while reading them (each_row).
  struct Ordered {
    std::vector<V4Order> v4;
    std::vector<Order> text;
    Folds folds;
    std::size_t top;
    bool by_sum;
  };
  Ordered order(bool by_sum, std::size_t top) const;
  /// Calls f(row) for each group of `o` in output order.
  template <class F>
  void each_row(const Ordered& o, F&& f) const;
  /// The key of the text group `ref` (an Order's).
  std::string_view text_key(uint32_t ref) const { return key_of(slots_.slot(ref & ~kTextRef)); }
  Row row_at(const Order& o, const Folds& folds) const;
  Row row_at(const V4Order& o, const Folds& folds) const;
  void write(std::FILE* out, bool json, std::string_view by, std::string_view sum, std::size_t top,
             uint64_t rejects, double seconds, std::string* into) const;

  ProbeTable<Slot, SlotTraits, 1024> slots_;
  std::string arena_;
  ZeroedPages v4_mem_;      // v4_cap_ slots (none before the first key: add_v4 then
                            // prefetches address 0, which never faults)
  std::size_t v4_cap_ = 0;  // a power of two, at most half full
  std::size_t v4_mask_ = 0;
  std::size_t v4_size_ = 0;
  std::unordered_map<uint32_t, V4Extra> v4_extra_;
  Pending pending_[kPipeline];
  unsigned pending_head_ = 0;
  unsigned pending_n_ = 0;
  Group overflow_;
  std::size_t max_groups_;
  bool sums_;
  uint64_t events_ = 0;
  std::size_t last_ = SIZE_MAX;  // slot of the previous key: consecutive events often share it
};

class Stats {
 public:
  static constexpr std::size_t kTypes = 6;
  static constexpr std::size_t kMaxExamples = 20;

  void add_event(const ingest::EventMeta& meta, std::string_view source);
  void add_reject(const Reject& r);
  void add_file(const ingest::Input& in, const ingest::FileReport& rep);
  void add_digest(const ingest::DigestFile& d);
  void merge(const Stats& o);

  uint64_t events() const;
  uint64_t rejects() const;
  uint64_t readable_files() const { return readable_files_; }
  uint64_t files() const { return files_; }

  /// Human-readable summary; every log-derived string is escaped for the terminal.
  std::string to_text(double seconds) const;
  /// The same as one JSON object.
  std::string to_json(double seconds) const;

 private:
  uint64_t files_ = 0;
  uint64_t readable_files_ = 0;
  uint64_t gzip_files_ = 0;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_decoded_ = 0;
  std::array<uint64_t, kTypes> files_by_type_{};
  std::array<uint64_t, kTypes> events_by_type_{};
  CachedCounts by_account_;
  CachedCounts by_region_;
  CachedCounts by_source_;
  int64_t min_time_ = ingest::kNoTime;
  int64_t max_time_ = ingest::kNoTime;
  uint64_t no_time_ = 0;
  std::array<uint64_t, static_cast<std::size_t>(RejectReason::kCount)> rejects_{};
  uint64_t records_lost_ = 0;
  std::vector<std::string> examples_;  // formatted, escaped
  std::vector<std::string> digests_;   // paths
};

}  // namespace sentinel::cli
