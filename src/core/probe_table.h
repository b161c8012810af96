#pragma once
/// The one open-addressing hash table of the code base: linear probing over a flat,
/// power-of-two array of small slots, at most half full, growth by doubling, deletion by
/// backward shift (no tombstones).
///
/// What it is for: the tables that count or index many keys on a hot path (an event, a record, a
/// flow line each), where a node-based map costs an allocation per key and a cache miss per
/// lookup. It knows slots, not keys: a site puts in its Slot whatever finds the key (the key
/// itself when it is a number, the hash and where the bytes are when it is text interned in an
/// arena, an entry's number when the entries live elsewhere) and probes with the key's hash and a
/// predicate on slots. So the probe, the growth and the deletion are written once, and what the
/// key is, how it is hashed and what a site keeps beside it stay with the site:
///   - detect/state/key_table.h: an EntryIndex (entry number + low half of the hash per slot);
///     text in the table's arena (hash_text), entries in chunks with LRU links; evictions erase();
///   - detect/state/window_ops.cc (the threshold operator's bulk key summaries): an EntryIndex;
///   - cli/stats.cc (GroupBy's text keys): hash, key in the arena and the group's numbers;
///   - store/investigate_timeline.cc (Counter, IdCounter), store/ct_index.h (CtKeyMap): the key
///     or its hash and the counts inline.
/// Not here: GroupBy's IPv4 table (slots in kernel-zeroed huge pages, lookups software-pipelined
/// with prefetches: a vector would zero them up front); first-seen's value index, the store's
/// StringDict and the batch's symbols (4-byte entry numbers, the hash only in the entry: an
/// EntrySlot doubles them, and first-seen keeps one per entity and feature at 3/4 load); the
/// resource index's tables (empty means another block's generation; minima sized per block).
///
/// `Traits` gives two static functions of a slot:
///   bool empty(const Slot&)      true for Slot{} (every fresh slot) and for no slot in use;
///   uint64_t hash(const Slot&)   the hash a slot in use was placed by (its low bits suffice:
///                                the home slot is hash & (capacity - 1)), for growth and erase().
/// A caller passes the same hash to probe() and take() that hash() later returns for the slot.
/// Slot positions move when the table grows or erases: positions and pointers are valid until
/// the next take(), insert(), erase(), clear() or reset(). Iteration (each(), slot(i)) is in slot
/// order, which depends on the hashes and the history of the table: sites that print sort.
/// Not thread-safe.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sentinel {

template <typename Slot, typename Traits, std::size_t kMinSlots = 16>
class ProbeTable {
  static_assert((kMinSlots & (kMinSlots - 1)) == 0 && kMinSlots >= 2, "a power of two");

 public:
  /// No position: probe() on a table that has no slots yet.
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Slots (0 until the first key, then a power of two).
  std::size_t capacity() const { return slots_.size(); }

  /// The position of the slot in use for which `is_key(slot)` holds on the probe of hash `h`;
  /// else the empty slot where that probe ends (the key's place: hand it to take()); kNone while
  /// the table has no slots.
  template <typename IsKey>
  std::size_t probe(uint64_t h, IsKey&& is_key) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    std::size_t pos = static_cast<std::size_t>(h) & mask;
    while (!Traits::empty(slots_[pos]) && !is_key(slots_[pos])) pos = (pos + 1) & mask;
    return pos;
  }
  /// True when `pos` (from probe()) is a slot in use: the key was found.
  bool found(std::size_t pos) const { return pos != kNone && !Traits::empty(slots_[pos]); }
  /// The slot for which `is_key` holds on the probe of `h`, nullptr when absent.
  template <typename IsKey>
  Slot* find(uint64_t h, IsKey&& is_key) {
    const std::size_t pos = probe(h, is_key);
    return found(pos) ? &slots_[pos] : nullptr;
  }
  template <typename IsKey>
  const Slot* find(uint64_t h, IsKey&& is_key) const {
    return const_cast<ProbeTable*>(this)->find(h, is_key);
  }

  /// The slot for a new key of hash `h` at `pos`, the place probe(h, ...) returned for it
  /// (kNone included); the table grows first when the key would make it more than half full, and
  /// the key then goes where a probe of the grown table ends. The caller fills the slot, so that
  /// it is no longer empty and hash() returns `h`.
  Slot& take(std::size_t pos, uint64_t h) {
    if (2 * (size_ + 1) > slots_.size()) {
      grow(std::max(kMinSlots, 2 * slots_.size()));
      pos = free_from(h);
    }
    ++size_;
    return slots_[pos];
  }
  /// The slot for a key of hash `h` that is known to be absent (a rebuild, a restore).
  Slot& insert(uint64_t h) { return take(slots_.empty() ? kNone : free_from(h), h); }

  /// Removes the slot at `pos` (in use); the slots after it in its run move back, so that no
  /// probe for a key in use crosses an empty slot.
  void erase(std::size_t pos) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = pos;
    for (std::size_t j = (hole + 1) & mask; !Traits::empty(slots_[j]); j = (j + 1) & mask) {
      const std::size_t home = static_cast<std::size_t>(Traits::hash(slots_[j])) & mask;
      // The slot at j may fill the hole when its home is not in (hole, j] (cyclically).
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  /// Empties the table, keeping its slots.
  void clear() {
    if (size_ != 0) std::fill(slots_.begin(), slots_.end(), Slot{});
    size_ = 0;
  }
  /// Empties the table with `slots` slots (0, or a power of two of at least kMinSlots): to
  /// release them, or to size the table for the keys about to be inserted.
  void reset(std::size_t slots = 0) {
    if (slots == 0) {
      std::vector<Slot>().swap(slots_);
    } else {
      slots_.assign(slots, Slot{});
    }
    size_ = 0;
  }

  /// Starts loading the home slot of hash `h` (a table that outgrows the caches, probed for a key
  /// known a little ahead).
  void prefetch(uint64_t h) const {
    if (!slots_.empty())
      __builtin_prefetch(&slots_[static_cast<std::size_t>(h) & (slots_.size() - 1)]);
  }

  /// The slot at `pos` (< capacity(); empty or not).
  Slot& slot(std::size_t pos) { return slots_[pos]; }
  const Slot& slot(std::size_t pos) const { return slots_[pos]; }
  /// The position of a slot of this table.
  std::size_t position(const Slot& s) const { return static_cast<std::size_t>(&s - slots_.data()); }
  /// fn(slot) for every slot in use, in slot order.
  template <typename Fn>
  void each(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (!Traits::empty(s)) fn(s);
    }
  }

 private:
  std::size_t free_from(uint64_t h) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t pos = static_cast<std::size_t>(h) & mask;
    while (!Traits::empty(slots_[pos])) pos = (pos + 1) & mask;
    return pos;
  }
  void grow(std::size_t slots) {
    std::vector<Slot> old(slots);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (!Traits::empty(s)) slots_[free_from(Traits::hash(s))] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

/// The slot of an index over entries kept elsewhere (a vector, chunks): the entry's number + 1
/// (0: empty) beside the low half of its hash, so a probe reads an entry only on an equal half
/// and growth never reads one.
struct EntrySlot {
  uint32_t entry = 0;
  uint32_t hash_lo = 0;
};
struct EntrySlotTraits {
  static bool empty(const EntrySlot& s) { return s.entry == 0; }
  static uint64_t hash(const EntrySlot& s) { return s.hash_lo; }
};
/// An index of entries: `insert(h) = EntrySlot{i + 1, uint32_t(h)}` for entry i of hash h.
template <std::size_t kMinSlots = 16>
using EntryIndex = ProbeTable<EntrySlot, EntrySlotTraits, kMinSlots>;

}  // namespace sentinel
