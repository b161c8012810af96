// The 64-bit finalizer of MurmurHash3 (fmix64), shared by the store's hashes. Values derived
// from it are stored (ct_uid keys, postings terms, bloom filters): do not change it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sentinel::store {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// Bytes hashed eight at a time through mix64, `tweak` folded into the last step (stored through
/// batch.cc's callers: do not change it either).
inline uint64_t hash_bytes(std::string_view s, uint64_t tweak) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix64(h ^ w);
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  return mix64(h ^ w ^ tweak);
}

}  // namespace sentinel::store
