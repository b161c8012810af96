#include "core/probe_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/hash.h"

namespace sentinel {
namespace {

// u64 keys inline, value beside them; `hash_bits` narrows the hash to force long runs.
struct U64Slot {
  uint64_t key = 0;
  uint64_t value = 0;  // 0: empty (values stored are >= 1)
};
struct U64Traits {
  static bool empty(const U64Slot& s) { return s.value == 0; }
  static uint64_t hash(const U64Slot& s) { return mix(s.key); }
  static inline uint64_t mask = ~uint64_t{0};
  static inline uint64_t set = 0;
  static uint64_t mix(uint64_t k) {
    uint64_t h = (k + 0x9E3779B97F4A7C15ULL) * 0xBF58476D1CE4E5B9ULL;
    return ((h ^ (h >> 31)) & mask) | set;
  }
};
using U64Table = ProbeTable<U64Slot, U64Traits>;

// Text keys interned in an arena; the slot keeps the hash and where the bytes are.
struct TextSlot {
  uint64_t hash = 0;  // 0: empty (hashes are stored | 1)
  uint32_t off = 0;
  uint32_t len = 0;
  int64_t count = 0;
};
struct TextTraits {
  static bool empty(const TextSlot& s) { return s.hash == 0; }
  static uint64_t hash(const TextSlot& s) { return s.hash; }
};

class TextCounter {
 public:
  explicit TextCounter(uint64_t hash_mask) : hash_mask_(hash_mask) {}
  void add(std::string_view k, int64_t n) {
    const uint64_t h = (hash_text(k) & hash_mask_) | 1;
    const std::size_t pos =
        t_.probe(h, [&](const TextSlot& s) { return s.hash == h && text(s) == k; });
    if (t_.found(pos)) {
      t_.slot(pos).count += n;
      return;
    }
    TextSlot& s = t_.take(pos, h);
    s = TextSlot{h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(k.size()), n};
    arena_.append(k);
  }
  const TextSlot* find(std::string_view k) const {
    const uint64_t h = (hash_text(k) & hash_mask_) | 1;
    return t_.find(h, [&](const TextSlot& s) { return s.hash == h && text(s) == k; });
  }
  bool erase(std::string_view k) {
    const uint64_t h = (hash_text(k) & hash_mask_) | 1;
    const std::size_t pos =
        t_.probe(h, [&](const TextSlot& s) { return s.hash == h && text(s) == k; });
    if (!t_.found(pos)) return false;
    t_.erase(pos);
    return true;
  }
  std::string_view text(const TextSlot& s) const {
    return std::string_view(arena_).substr(s.off, s.len);
  }
  const ProbeTable<TextSlot, TextTraits, 4>& table() const { return t_; }

 private:
  uint64_t hash_mask_;
  ProbeTable<TextSlot, TextTraits, 4> t_;
  std::string arena_;
};

void check_u64(const U64Table& t, const std::unordered_map<uint64_t, uint64_t>& model) {
  ASSERT_EQ(t.size(), model.size());
  ASSERT_LE(2 * t.size(), t.capacity());
  std::size_t seen = 0;
  t.each([&](const U64Slot& s) {
    auto it = model.find(s.key);
    ASSERT_NE(it, model.end());
    EXPECT_EQ(it->second, s.value);
    ++seen;
  });
  EXPECT_EQ(seen, model.size());
  for (const auto& [k, v] : model) {
    const U64Slot* s = t.find(U64Traits::mix(k), [&](const U64Slot& x) { return x.key == k; });
    ASSERT_NE(s, nullptr) << k;
    EXPECT_EQ(s->value, v);
  }
}

void random_u64_ops(uint64_t hash_mask, uint64_t key_range, int ops, unsigned seed,
                    uint64_t hash_set = 0) {
  U64Traits::mask = hash_mask;
  U64Traits::set = hash_set;
  std::mt19937_64 rng(seed);
  U64Table t;
  std::unordered_map<uint64_t, uint64_t> model;
  for (int i = 0; i < ops; ++i) {
    const uint64_t k = rng() % key_range;
    const uint64_t h = U64Traits::mix(k);
    const auto is_key = [&](const U64Slot& s) { return s.key == k; };
    switch (rng() % 8) {
      case 0: {  // erase
        const std::size_t pos = t.probe(h, is_key);
        ASSERT_EQ(t.found(pos), model.count(k) == 1);
        if (t.found(pos)) t.erase(pos);
        model.erase(k);
        break;
      }
      case 1: {  // find
        const U64Slot* s = t.find(h, is_key);
        ASSERT_EQ(s != nullptr, model.count(k) == 1);
        if (s != nullptr) {
          EXPECT_EQ(s->value, model[k]);
        }
        break;
      }
      default: {  // add one
        const std::size_t pos = t.probe(h, is_key);
        if (t.found(pos)) {
          ++t.slot(pos).value;
        } else {
          ASSERT_EQ(model.count(k), 0u);
          t.take(pos, h) = U64Slot{k, 1};
        }
        ++model[k];
      }
    }
    if (i % 997 == 0) check_u64(t, model);
  }
  check_u64(t, model);
  U64Traits::mask = ~uint64_t{0};
  U64Traits::set = 0;
}

TEST(ProbeTable, EmptyTableHasNoSlots) {
  U64Table t;
  EXPECT_EQ(t.capacity(), 0u);
  EXPECT_EQ(t.probe(7, [](const U64Slot&) { return true; }), U64Table::kNone);
  EXPECT_FALSE(t.found(U64Table::kNone));
  EXPECT_EQ(t.find(7, [](const U64Slot&) { return true; }), nullptr);
  t.prefetch(7);
  t.take(U64Table::kNone, U64Traits::mix(5)) = U64Slot{5, 1};
  EXPECT_EQ(t.capacity(), 16u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ProbeTable, RandomOpsMatchUnorderedMap) {
  random_u64_ops(~uint64_t{0}, 5000, 200000, 1);
}

TEST(ProbeTable, RandomOpsWithCollidingHashes) {
  // 16 distinct hashes for 300 keys: runs far longer than a table ever sees, wrapping the end.
  random_u64_ops(0xF, 300, 60000, 2);
  // Eight hashes whose home is among the table's last eight slots: every run wraps to slot 0.
  random_u64_ops(0x7, 200, 60000, 3, ~uint64_t{0x7});
}

TEST(ProbeTable, GrowsByDoublingAtHalfFull) {
  U64Table t;
  for (uint64_t k = 0; k < 8; ++k) t.insert(U64Traits::mix(k)) = U64Slot{k, 1};
  EXPECT_EQ(t.capacity(), 16u);
  t.insert(U64Traits::mix(8)) = U64Slot{8, 1};
  EXPECT_EQ(t.capacity(), 32u);
  for (uint64_t k = 9; k < 100000; ++k) t.insert(U64Traits::mix(k)) = U64Slot{k, k + 1};
  EXPECT_EQ(t.capacity(), 262144u);
  for (uint64_t k = 0; k < 100000; ++k) {
    const U64Slot* s = t.find(U64Traits::mix(k), [&](const U64Slot& x) { return x.key == k; });
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->value, k < 9 ? 1 : k + 1);
  }
}

TEST(ProbeTable, ClearKeepsSlotsResetReleasesOrSizes) {
  U64Table t;
  for (uint64_t k = 0; k < 100; ++k) t.insert(U64Traits::mix(k)) = U64Slot{k, 1};
  const std::size_t cap = t.capacity();
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.capacity(), cap);
  EXPECT_EQ(t.find(U64Traits::mix(3), [](const U64Slot& x) { return x.key == 3; }), nullptr);
  t.reset(64);
  EXPECT_EQ(t.capacity(), 64u);
  t.reset();
  EXPECT_EQ(t.capacity(), 0u);
}

TEST(ProbeTable, TextKeysInAnArenaMatchUnorderedMap) {
  for (const uint64_t hash_mask : {~uint64_t{0}, uint64_t{0x3F}}) {
    TextCounter c(hash_mask);
    std::unordered_map<std::string, int64_t> model;
    std::mt19937_64 rng(4);
    for (int i = 0; i < 50000; ++i) {
      const std::string k = "key-" + std::to_string(rng() % 3000);
      if (rng() % 6 == 0) {
        EXPECT_EQ(c.erase(k), model.erase(k) == 1);
      } else {
        c.add(k, 2);
        model[k] += 2;
      }
    }
    ASSERT_EQ(c.table().size(), model.size());
    for (const auto& [k, n] : model) {
      const TextSlot* s = c.find(k);
      ASSERT_NE(s, nullptr) << k;
      EXPECT_EQ(s->count, n);
    }
    std::size_t seen = 0;
    c.table().each([&](const TextSlot& s) {
      EXPECT_EQ(model.count(std::string(c.text(s))), 1u);
      ++seen;
    });
    EXPECT_EQ(seen, model.size());
  }
}

}  // namespace
}  // namespace sentinel
