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
#include <vector>

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

/// `sentinel stats --by FIELD [--sum FIELD]`: a streaming, exact group-by over events.
///
/// Keys are the first value of FIELD as text (missing fields group under ""), held in one of two
/// open-addressing tables (at most half full, linear probing):
///   - IPv4 addresses (`srcaddr`, `dstaddr` of flow records) as their 32-bit value, with the
///     group inline in a 32-byte slot: one cache line touched per event, no key bytes stored.
///     Lookups are software-pipelined: `add_v4` prefetches the slot and applies the event
///     kPipeline events later, so the table's cache misses overlap the parsing of the next lines;
///   - any other text in a 48-byte slot with the key bytes in one arena.
/// No allocation per event or per group beyond the tables' and the arena's doubling.
///
/// Memory is bounded by `max_groups` (distinct keys in both tables together): once it is
/// reached, events whose key is not already a group are counted in one overflow group (reported
/// as "other"), so the result stays exact for every group kept. Per group: 64 bytes for IPv4
/// keys, 96 bytes + the key for text (slots at half load), plus a third more while a table
/// doubles. Call flush() before reading results (after each file is enough).
class GroupBy {
 public:
  struct Group {
    uint64_t count = 0;
    double sum = 0;
    uint64_t summed = 0;  ///< events whose sum field had a numeric value
  };

  explicit GroupBy(std::size_t max_groups = 1000000) : max_groups_(max_groups) {}
  GroupBy(GroupBy&&) = default;
  GroupBy& operator=(GroupBy&&) = default;

  /// Adds one event with key `key`; `value` (when has_value) goes into the group's sum.
  void add(std::string_view key, bool has_value, double value);
  /// The same for a key that is an IPv4 address (host-order value), shown as a dotted quad.
  /// The caller guarantees that the key's text is exactly that canonical dotted quad.
  void add_v4(uint32_t ip, bool has_value, double value) {
    ++events_;
    uint64_t h = hash_v4(ip);
    if (!v4_.empty()) __builtin_prefetch(&v4_[h & v4_mask_], 1, 1);
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
  /// Applies the events still in the prefetch pipeline.
  void flush();
  void merge(GroupBy& o);

  std::size_t size() const { return size_ + v4_size_; }
  const Group& overflow() const { return overflow_; }
  uint64_t events() const { return events_; }

  /// What sorted()'s rows may point into: IPv4 keys as text, and groups merged at output.
  struct RowScratch {
    std::string texts;
    std::vector<Group> merged;
  };
  /// The groups sorted by sum (when `by_sum`) or count, descending, then key; at most `top`
  /// (0: all). The views and pointers are valid while this and `*scratch` are unchanged.
  struct Row {
    double sum;  ///< copied from the group: sorting reads no pointer
    uint64_t count;
    std::string_view key;
    const Group* g;
    bool plain;  ///< the key needs no escaping (an IPv4 dotted quad)
  };
  std::vector<Row> sorted(bool by_sum, std::size_t top, RowScratch* scratch) const;
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
  struct Slot {
    uint64_t hash = 0;  ///< 0: empty
    uint64_t off = 0;   ///< the key in arena_
    uint64_t len = 0;
    Group g;
  };
  struct V4Slot {
    uint32_t ip = 0;
    uint32_t used = 0;
    Group g;
  };
  static_assert(sizeof(V4Slot) == 32, "one slot per half cache line");
  struct Pending {
    uint32_t ip = 0;
    bool has = false;
    double value = 0;
  };
  static uint64_t hash_v4(uint32_t ip) {
    uint64_t h = (uint64_t{ip} + 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
  }
  std::string_view key_of(const Slot& s) const { return {arena_.data() + s.off, s.len}; }
  Group* find_or_add(std::string_view key);
  Group* find_or_add_v4(uint32_t ip);
  std::size_t find_v4(uint32_t ip) const;  ///< slot index, SIZE_MAX when absent
  void apply_v4(const Pending& p) {
    Group* g = find_or_add_v4(p.ip);
    ++g->count;
    if (p.has) {
      g->sum += p.value;
      ++g->summed;
    }
  }
  void grow();
  void grow_v4();
  void write(std::FILE* out, bool json, std::string_view by, std::string_view sum, std::size_t top,
             uint64_t rejects, double seconds, std::string* into) const;

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string arena_;
  std::size_t size_ = 0;
  std::vector<V4Slot> v4_;  // a power of two, at most half full
  std::size_t v4_mask_ = 0;
  std::size_t v4_size_ = 0;
  Pending pending_[kPipeline];
  unsigned pending_head_ = 0;
  unsigned pending_n_ = 0;
  Group overflow_;
  std::size_t max_groups_;
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
