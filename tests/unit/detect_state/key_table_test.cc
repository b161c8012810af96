// The operators' flat key table against a reference model (a list in LRU order): random uses,
// cap evictions and TTL expiries over enough keys that the index grows several times, its probe
// runs collide and deletions shift them back, and the key arena is compacted. After every step
// the table must hold the same keys with the same states and the same order (seen through
// save()), count the same evictions, and call the hook for exactly the keys it drops.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "detect/state/key_table.h"

namespace sentinel::detect::state {
namespace {

struct KeyTableTestState {
  uint64_t uses = 0;
  std::vector<int> payload;  // a member with memory: reset on eviction
};

struct KeyTableTestModelEntry {
  std::string key;
  int64_t last;
  uint64_t uses;
};

// The table's save() as (key, last, uses) in its order.
std::vector<KeyTableTestModelEntry> key_table_test_dump(const KeyTable<KeyTableTestState>& t) {
  std::string bytes;
  SnapshotWriter w(&bytes);
  t.save(w, [](SnapshotWriter& w, const KeyTableTestState& s) { w.u64(s.uses); });
  SnapshotReader r(bytes);
  std::vector<KeyTableTestModelEntry> out;
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n; ++i) {
    KeyTableTestModelEntry e;
    e.key = r.str();
    e.last = r.i64();
    e.uses = r.u64();
    out.push_back(e);
  }
  EXPECT_TRUE(r.ok() && r.at_end());
  return out;
}

void key_table_test_run(uint64_t cap, int64_t ttl, int nkeys, int steps, unsigned seed) {
  StateStats stats;
  KeyTable<KeyTableTestState> table(cap, ttl, &stats);
  std::vector<std::string> evicted;
  table.set_evict_hook([&](std::string_view key, KeyTableTestState& s) {
    EXPECT_EQ(s.payload.size(), s.uses);
    evicted.emplace_back(key);
  });
  std::list<KeyTableTestModelEntry> model;  // most recently used first
  uint64_t model_evictions = 0;
  uint64_t model_cap = 0;
  std::vector<std::string> model_evicted;
  std::mt19937 rng(seed);
  int64_t now = 0;
  for (int step = 0; step < steps; ++step) {
    now += static_cast<int64_t>(rng() % 3);
    // Keys of every length, many sharing long prefixes (the hash reads 8 bytes at a time).
    const int k = static_cast<int>(rng() % static_cast<unsigned>(nkeys));
    std::string key = (k % 3 == 0 ? std::string(40, 'p') : std::string()) + std::to_string(k);
    if (rng() % 8 == 0) {
      table.expire(now);
      if (ttl > 0) {
        while (!model.empty() && model.back().last + ttl < now) {
          model_evicted.push_back(model.back().key);
          model.pop_back();
          ++model_evictions;
        }
      }
    }
    bool created = false;
    KeyTableTestState& s = table.use(key, now, &created);
    ++s.uses;
    s.payload.push_back(step);
    auto it = std::find_if(model.begin(), model.end(),
                           [&](const KeyTableTestModelEntry& e) { return e.key == key; });
    ASSERT_EQ(created, it == model.end()) << "step " << step << " key " << key;
    if (it != model.end()) {
      KeyTableTestModelEntry e = *it;
      model.erase(it);
      e.last = std::max(e.last, now);
      ++e.uses;
      model.push_front(e);
    } else {
      while (model.size() >= cap) {
        model_evicted.push_back(model.back().key);
        model.pop_back();
        ++model_evictions;
        ++model_cap;
      }
      model.push_front({key, now, 1});
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % 97 == 0 || step + 1 == steps) {
      const auto dump = key_table_test_dump(table);
      ASSERT_EQ(dump.size(), model.size());
      auto m = model.begin();
      for (const auto& e : dump) {
        ASSERT_EQ(e.key, m->key);
        ASSERT_EQ(e.last, m->last);
        ASSERT_EQ(e.uses, m->uses);
        ++m;
      }
      for (const auto& e : model) {
        const KeyTableTestState* f = table.find(e.key);
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(f->uses, e.uses);
      }
      ASSERT_EQ(table.find("absent"), nullptr);
    }
  }
  EXPECT_EQ(stats.evictions, model_evictions);
  EXPECT_EQ(stats.cap_evictions, model_cap);
  EXPECT_EQ(evicted, model_evicted);
}

TEST(KeyTable, MatchesAnLruModelUnderTheCap) {
  key_table_test_run(500, 0, 2000, 30000, 1);
}

TEST(KeyTable, MatchesAnLruModelWithExpiries) {
  key_table_test_run(100000, 40, 3000, 30000, 2);
}

TEST(KeyTable, GrowsWithoutEvictingBelowTheCap) {
  StateStats stats;
  KeyTable<KeyTableTestState> table(100000, 0, &stats);
  for (int i = 0; i < 50000; ++i) table.use("key-" + std::to_string(i), i).uses = i;
  EXPECT_EQ(table.size(), 50000u);
  EXPECT_EQ(stats.evictions, 0u);
  for (int i = 0; i < 50000; ++i) {
    const KeyTableTestState* s = table.find("key-" + std::to_string(i));
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->uses, static_cast<uint64_t>(i));
  }
}

TEST(KeyTable, SaveRestoreRoundTripsAndRefusesDuplicates) {
  StateStats stats;
  KeyTable<KeyTableTestState> a(1000, 0, &stats);
  for (int i = 0; i < 300; ++i) a.use(std::to_string(i % 170), i).uses += 1;
  std::string bytes;
  SnapshotWriter w(&bytes);
  a.save(w, [](SnapshotWriter& w, const KeyTableTestState& s) { w.u64(s.uses); });
  KeyTable<KeyTableTestState> b(1000, 0, &stats);
  b.use("stale", 1);
  SnapshotReader r(bytes);
  b.restore(r, [](SnapshotReader& r, std::string_view, KeyTableTestState& s) { s.uses = r.u64(); });
  ASSERT_TRUE(r.ok() && r.at_end());
  EXPECT_EQ(b.find("stale"), nullptr);
  std::string again;
  SnapshotWriter w2(&again);
  b.save(w2, [](SnapshotWriter& w, const KeyTableTestState& s) { w.u64(s.uses); });
  EXPECT_EQ(again, bytes);

  std::string dup;
  SnapshotWriter w3(&dup);
  w3.u64(2);
  for (int i = 0; i < 2; ++i) {
    w3.str("same");
    w3.i64(5);
    w3.u64(1);
  }
  SnapshotReader r3(dup);
  b.restore(r3,
            [](SnapshotReader& r, std::string_view, KeyTableTestState& s) { s.uses = r.u64(); });
  EXPECT_FALSE(r3.ok());
}

}  // namespace
}  // namespace sentinel::detect::state
