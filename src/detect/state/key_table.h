#pragma once
/// The bounded key table every stateful operator keeps its per-key state in. Internal to
/// src/detect/state.
///
/// Flat: the keys' bytes are interned once in one arena per table, the entries (state, hash,
/// key offset, last use, LRU links as indexes) sit in a few chunks whose sizes double (so an
/// entry's address is stable and a table of N keys is ~log2(N) blocks, not N nodes), and an
/// index (core/probe_table.h: linear probing, at most half full, backward-shift deletion) holds
/// each entry's number beside the low half of its hash, so a lookup compares text only on an
/// equal hash and touches one index line and one entry. Using a key costs no allocation once the
/// table has grown to its working size; evicting one leaves its bytes dead in the arena until
/// the arena, mostly dead, is compacted.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/probe_table.h"
#include "detect/state/snapshot.h"
#include "detect/state/stateful.h"

namespace sentinel::detect::state {

/// a + b without overflow (clamped to the int64 range).
int64_t sat_add(int64_t a, int64_t b);

/// Hashing and equality of std::string keys that also accept string_views (no temporary
/// string to look a key up).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return hash_text(s); }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

/// Keys with their state, least recently used last. Bounded by `max_keys` (the least recently
/// used key is evicted to make room) and by `ttl_ms` (keys idle longer expire). Recency follows
/// the order keys are used in, which the base makes event-time order. A State must be default
/// constructible and movable; an evicted key's state is reset to State() (its memory released).
/// References to a state stay valid until its key is evicted. Not thread-safe.
template <typename State>
class KeyTable {
 public:
  using EvictHook = std::function<void(std::string_view key, State& state)>;

  KeyTable(uint64_t max_keys, int64_t ttl_ms, StateStats* stats)
      : max_keys_(max_keys == 0 ? 1 : max_keys), ttl_ms_(ttl_ms), stats_(stats) {}
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  /// Called with a key and its state just before the key is evicted (cap or TTL).
  void set_evict_hook(EvictHook h) { hook_ = std::move(h); }

  /// The state of `key`, created (evicting at the cap) when missing; marks it used at `t`.
  State& use(std::string_view key, int64_t t, bool* created = nullptr) {
    const uint64_t h = hash_text(key);
    uint32_t i = lookup(key, h);
    if (i != kNil) {
      Entry& e = at(i);
      if (head_ != i) {
        unlink(i);
        push_front(i);
      }
      if (t > e.last) e.last = t;
      if (created != nullptr) *created = false;
      return e.state;
    }
    while (index_.size() >= max_keys_ && tail_ != kNil) {
      evict(tail_);
      ++stats_->cap_evictions;
    }
    i = insert(key, h, t);
    push_front(i);
    if (created != nullptr) *created = true;
    return at(i).state;
  }

  State* find(std::string_view key) {
    const uint32_t i = lookup(key, hash_text(key));
    return i == kNil ? nullptr : &at(i).state;
  }
  const State* find(std::string_view key) const { return const_cast<KeyTable*>(this)->find(key); }

  /// Drops keys whose last use is more than the TTL before `now`.
  void expire(int64_t now) {
    if (ttl_ms_ <= 0) return;
    while (tail_ != kNil && sat_add(at(tail_).last, ttl_ms_) < now) evict(tail_);
  }

  uint64_t size() const { return index_.size(); }

  /// Writes every key, most recently used first, with its last use and `save_state(w, state)`.
  template <typename F>
  void save(SnapshotWriter& w, F save_state) const {
    w.u64(index_.size());
    for (uint32_t i = head_; i != kNil; i = at(i).next) {
      const Entry& e = at(i);
      w.str(key_of(e));
      w.i64(e.last);
      save_state(w, e.state);
    }
  }
  /// Replaces the table with what save() wrote (the cap and TTL stay the operator's);
  /// `restore_state(r, key, state)` reads each key's state. The evict hook is not called for
  /// the keys it replaces.
  template <typename F>
  void restore(SnapshotReader& r, F restore_state) {
    clear();
    const uint64_t n = r.count();
    for (uint64_t k = 0; k < n && r.ok(); ++k) {
      const std::string key = r.str();
      const int64_t last = r.i64();
      if (!r.ok()) return;
      const uint64_t h = hash_text(key);
      if (lookup(key, h) != kNil) {
        r.fail("duplicate key");
        return;
      }
      const uint32_t i = insert(key, h, last);
      push_back(i);
      restore_state(r, std::string_view(key), at(i).state);
    }
  }

  /// Empties the table (no hook), keeping its blocks for reuse.
  void clear() {
    for (uint32_t i = head_; i != kNil;) {
      Entry& e = at(i);
      const uint32_t next = e.next;
      e.state = State();
      i = next;
    }
    head_ = tail_ = free_ = kNil;
    used_ = 0;
    index_.clear();
    keys_.clear();
    dead_bytes_ = 0;
  }

 private:
  static constexpr uint32_t kNil = 0xffffffffu;
  static constexpr uint32_t kFirstChunk = 64;  // entries in chunk 0; chunk c holds 64 << c
  static constexpr std::size_t kCompactFloor = std::size_t{1} << 16;

  struct Entry {
    State state = State();
    uint64_t hash = 0;
    uint64_t key_off = 0;  // in keys_
    uint32_t key_len = 0;
    uint32_t prev = kNil;  // more recently used (free entries: unused)
    uint32_t next = kNil;  // less recently used (free entries: the next free one)
    int64_t last = 0;
  };
  Entry& at(uint32_t i) {
    const uint32_t c = static_cast<uint32_t>(std::bit_width((i / kFirstChunk) + 1u)) - 1u;
    return chunks_[c][i - kFirstChunk * ((1u << c) - 1u)];
  }
  const Entry& at(uint32_t i) const { return const_cast<KeyTable*>(this)->at(i); }
  std::string_view key_of(const Entry& e) const {
    return std::string_view(keys_.data() + e.key_off, e.key_len);
  }

  uint32_t lookup(std::string_view key, uint64_t h) const {
    const auto lo = static_cast<uint32_t>(h);
    const EntrySlot* s = index_.find(h, [&](const EntrySlot& x) {
      return x.hash_lo == lo && at(x.entry - 1).hash == h && key_of(at(x.entry - 1)) == key;
    });
    return s == nullptr ? kNil : s->entry - 1;
  }

  // A new entry for `key` (not in the table), in the index and the arena, linked nowhere.
  uint32_t insert(std::string_view key, uint64_t h, int64_t t) {
    if (keys_.size() > kCompactFloor && 2 * dead_bytes_ > keys_.size()) compact_keys();
    uint32_t i;
    if (free_ != kNil) {
      i = free_;
      free_ = at(i).next;
    } else {
      if (used_ == capacity_) {
        const uint32_t n = kFirstChunk << chunks_.size();
        chunks_.push_back(std::make_unique<Entry[]>(n));
        capacity_ += n;
      }
      i = used_++;
    }
    Entry& e = at(i);
    e.hash = h;
    e.key_off = keys_.size();
    e.key_len = static_cast<uint32_t>(key.size());
    e.last = t;
    e.prev = e.next = kNil;
    keys_.append(key.data(), key.size());
    index_.insert(h) = EntrySlot{i + 1, static_cast<uint32_t>(h)};
    return i;
  }

  void compact_keys() {
    std::string fresh;
    fresh.reserve(2 * (keys_.size() - dead_bytes_));
    for (uint32_t i = head_; i != kNil; i = at(i).next) {
      Entry& e = at(i);
      const uint64_t off = fresh.size();
      fresh.append(keys_.data() + e.key_off, e.key_len);
      e.key_off = off;
    }
    keys_ = std::move(fresh);
    dead_bytes_ = 0;
  }

  void unlink(uint32_t i) {
    Entry& e = at(i);
    (e.prev != kNil ? at(e.prev).next : head_) = e.next;
    (e.next != kNil ? at(e.next).prev : tail_) = e.prev;
    e.prev = e.next = kNil;
  }
  void push_front(uint32_t i) {
    Entry& e = at(i);
    e.prev = kNil;
    e.next = head_;
    (head_ != kNil ? at(head_).prev : tail_) = i;
    head_ = i;
  }
  void push_back(uint32_t i) {
    Entry& e = at(i);
    e.next = kNil;
    e.prev = tail_;
    (tail_ != kNil ? at(tail_).next : head_) = i;
    tail_ = i;
  }
  void evict(uint32_t i) {
    Entry& e = at(i);
    if (hook_) hook_(key_of(e), e.state);
    unlink(i);
    index_.erase(index_.probe(e.hash, [i](const EntrySlot& x) { return x.entry == i + 1; }));
    e.state = State();
    dead_bytes_ += e.key_len;
    e.next = free_;
    free_ = i;
    ++stats_->evictions;
  }

  uint64_t max_keys_;
  int64_t ttl_ms_;
  StateStats* stats_;
  EvictHook hook_;
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  uint32_t capacity_ = 0;  // entries in chunks_
  uint32_t used_ = 0;      // entries ever handed out (free ones among them)
  uint32_t free_ = kNil;   // evicted entries, linked by `next`
  EntryIndex<> index_;     // entry i at EntrySlot{i + 1, its hash}
  std::string keys_;       // the keys' bytes
  uint64_t dead_bytes_ = 0;
  uint32_t head_ = kNil;  // most recently used
  uint32_t tail_ = kNil;  // least recently used
};

}  // namespace sentinel::detect::state
