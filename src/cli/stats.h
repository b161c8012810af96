#pragma once
/// What was read: files, events per log type / account / region / event source, time range,
/// rejects per reason (with the first few examples). One per thread, merged at the end.
#include <array>
#include <cstddef>
#include <cstdint>
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

/// `sentinel stats --by FIELD [--sum FIELD]`: a streaming group-by over events. Keys are the
/// first value of FIELD as text (missing fields group under ""). Groups live in one
/// open-addressing table with their keys in one arena: no allocation per event or per group
/// beyond the table's and the arena's doubling. Past `max_groups` distinct keys, further new
/// keys fold into one overflow group, so memory stays bounded whatever the input.
class GroupBy {
 public:
  struct Group {
    uint64_t count = 0;
    double sum = 0;
    uint64_t summed = 0;  ///< events whose sum field had a numeric value
  };

  explicit GroupBy(std::size_t max_groups = 1000000) : max_groups_(max_groups) {}
  /// Adds one event with key `key`; `value` (when has_value) goes into the group's sum.
  void add(std::string_view key, bool has_value, double value);
  void merge(const GroupBy& o);

  std::size_t size() const { return size_; }
  const Group& overflow() const { return overflow_; }
  uint64_t events() const { return events_; }

  /// The groups sorted by sum (when `by_sum`) or count, descending, then key; at most `top`
  /// (0: all).
  std::vector<std::pair<std::string_view, const Group*>> sorted(bool by_sum, std::size_t top) const;
  /// A table; keys escaped for the terminal.
  std::string to_text(std::string_view by, std::string_view sum, std::size_t top) const;
  /// One JSON object: {"by", "sum", "events", "groups_total", "groups": [{key,count,sum}], ...}.
  std::string to_json(std::string_view by, std::string_view sum, std::size_t top, uint64_t rejects,
                      double seconds) const;

 private:
  struct Slot {
    uint64_t hash = 0;  ///< 0: empty
    uint64_t off = 0;   ///< the key in arena_
    uint64_t len = 0;
    Group g;
  };
  std::string_view key_of(const Slot& s) const { return {arena_.data() + s.off, s.len}; }
  Group* find_or_add(std::string_view key);
  void grow();
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string arena_;
  std::size_t size_ = 0;
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
