#include "store/resource_index.h"

#include <algorithm>
#include <cstring>

#include "store/hash_mix.h"

namespace sentinel::store {

namespace {

inline uint32_t gram_hash(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, kGramBytes);
  uint64_t x = w * 0x9e3779b97f4a7c15ULL;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ULL;
  return static_cast<uint32_t>(x >> 32);
}

// Three probe positions of a selected gram in a filter of `bits` (any size: fast range
// reduction of three 32-bit hashes).
inline void probes(uint32_t g, std::size_t bits, std::size_t out[3]) {
  uint64_t h = (g + 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
  h ^= h >> 32;
  uint64_t h2 = h * 0xc4ceb9fe1a85ec53ULL;
  h2 ^= h2 >> 29;
  const uint32_t parts[3] = {static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32),
                             static_cast<uint32_t>(h2 >> 16)};
  for (int i = 0; i < 3; ++i) {
    out[i] = static_cast<std::size_t>((static_cast<uint64_t>(parts[i]) * bits) >> 32);
  }
}

}  // namespace

void for_each_gram_minimum(std::string_view s, std::vector<uint32_t>* out) {
  if (s.size() < kMinIndexedNeedle) return;
  const std::size_t grams = s.size() - kGramBytes + 1;
  uint32_t h[kGramWindow];
  for (std::size_t i = 0; i < kGramWindow - 1; ++i) h[i] = gram_hash(s.data() + i);
  // The window [j - kGramWindow + 1, j] ends at gram j; its minimum is kept with its position
  // and looked for again only when that position leaves the window.
  uint32_t m = 0;
  std::size_t at = 0;
  bool have = false;
  for (std::size_t j = kGramWindow - 1; j < grams; ++j) {
    const uint32_t g = gram_hash(s.data() + j);
    h[j % kGramWindow] = g;
    const uint32_t before = m;
    if (!have || at + kGramWindow <= j) {
      m = UINT32_MAX;
      for (std::size_t k = j + 1 - kGramWindow; k <= j; ++k) {
        if (h[k % kGramWindow] <= m) {
          m = h[k % kGramWindow];
          at = k;
        }
      }
    } else if (g <= m) {
      m = g;
      at = j;
    }
    if (!have || m != before) out->push_back(m);
    have = true;
  }
}

bool GramBloomBuilder::seen(std::string_view s) {
  const uint64_t h = hash_bytes(s, 0x6772616d73ULL);
  const uint64_t tag = static_cast<uint64_t>(gen_) << 32;
  if ((seen_.size() + 1) * 2 > seen_slots_.size()) {
    seen_slots_.assign(std::max<std::size_t>(1024, seen_slots_.size() * 2), 0);
    const std::size_t mask = seen_slots_.size() - 1;
    for (std::size_t k = 0; k < seen_.size(); ++k) {
      std::size_t i = static_cast<std::size_t>(seen_[k].hash) & mask;
      while (live(seen_slots_[i])) i = (i + 1) & mask;
      seen_slots_[i] = tag | k;
    }
  }
  const std::size_t mask = seen_slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  while (live(seen_slots_[i])) {
    const Seen& e = seen_[static_cast<uint32_t>(seen_slots_[i])];
    if (e.hash == h && std::string_view(seen_bytes_).substr(e.off, e.len) == s) return true;
    i = (i + 1) & mask;
  }
  seen_slots_[i] = tag | seen_.size();
  seen_.push_back(
      Seen{h, static_cast<uint32_t>(seen_bytes_.size()), static_cast<uint32_t>(s.size())});
  seen_bytes_.append(s);
  return false;
}

void GramBloomBuilder::add_string(std::string_view s) {
  if (s.size() < kMinIndexedNeedle || seen(s)) return;
  scratch_.clear();
  for_each_gram_minimum(s, &scratch_);
  for (uint32_t g : scratch_) insert(g);
}

namespace {
// The smallest set of minima a block starts with (16 KiB).
constexpr std::size_t kMinMinimaSlots = 4096;
inline std::size_t minima_slot(uint32_t g, std::size_t mask) {
  return (g * 0x9e3779b1U) & mask;
}
}  // namespace

void GramBloomBuilder::rehash_minima() {
  std::fill(slots_.begin(), slots_.end(), 0);
  const std::size_t mask = slots_.size() - 1;
  for (uint32_t x : keys_) {
    if (x == 0) continue;
    std::size_t i = minima_slot(x, mask);
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = x;
  }
}

void GramBloomBuilder::insert(uint32_t g) {
  if (g == 0) {  // 0 marks a free slot: the minimum 0 is a flag
    if (!has_zero_) {
      has_zero_ = true;
      keys_.push_back(0);
    }
    return;
  }
  if ((keys_.size() + 1) * 2 > slots_.size()) {
    slots_.resize(std::max(kMinMinimaSlots, slots_.size() * 2));
    rehash_minima();
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = minima_slot(g, mask);
  while (slots_[i] != 0) {
    if (slots_[i] == g) return;
    i = (i + 1) & mask;
  }
  slots_[i] = g;
  keys_.push_back(g);
}

void GramBloomBuilder::clear() {
  // The next block gets a set sized for this one's minima (blocks of one file, and files of one
  // tree, are alike), at most half full, zeroed; it grows as before if that is too small.
  // (No key added: every slot is still free, and the size stays that of the last block.)
  if (!keys_.empty()) {
    std::size_t want = kMinMinimaSlots;
    while (want < keys_.size() * 2) want *= 2;
    if (slots_.size() != want) {
      slots_.assign(want, 0);  // keeps the allocation when shrinking
    } else {
      std::fill(slots_.begin(), slots_.end(), 0);
    }
  }
  has_zero_ = false;
  keys_.clear();
  seen_.clear();
  seen_bytes_.clear();
  // The slots of seen() are dead from the next generation on; zeroed only when the counter
  // wraps (every 2^32 - 1 blocks).
  if (++gen_ == 0) {
    std::fill(seen_slots_.begin(), seen_slots_.end(), 0);
    gen_ = 1;
  }
}

void GramBloomBuilder::finish(std::string* bloom) {
  bloom->clear();
  const std::size_t n = keys_.size();
  if (n == 0) {
    clear();
    return;
  }
  const std::size_t bytes = std::max<std::size_t>(8, (n * kGramBloomBitsPerKey + 7) / 8);
  bloom->assign(bytes, '\0');
  std::size_t p[3];
  for (uint32_t g : keys_) {
    probes(g, bytes * 8, p);
    for (std::size_t b : p) (*bloom)[b >> 3] = static_cast<char>((*bloom)[b >> 3] | (1 << (b & 7)));
  }
  clear();
}

std::vector<uint32_t> needle_grams(std::string_view needle) {
  std::vector<uint32_t> g;
  for_each_gram_minimum(needle, &g);
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}

bool gram_bloom_may_hold(std::string_view bloom, const std::vector<uint32_t>& grams) {
  if (grams.empty()) return true;
  if (bloom.empty()) return false;  // the block has no string long enough to hold the needle
  std::size_t p[3];
  for (uint32_t g : grams) {
    probes(g, bloom.size() * 8, p);
    for (std::size_t b : p) {
      if ((static_cast<uint8_t>(bloom[b >> 3]) & (1U << (b & 7))) == 0) return false;
    }
  }
  return true;
}

}  // namespace sentinel::store
