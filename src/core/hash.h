#pragma once
/// The in-memory hash of text that the detection layer's tables and memos share. Not stored
/// anywhere, so it may change; the store's persisted hashes are store/hash_mix.h's, which may not.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sentinel {

/// A fast 64-bit hash of bytes (8 at a time, multiply-xorshift mixing). Not keyed: like
/// std::hash it gives no protection against chosen collisions, which cost only time where it is
/// used (every table and memo compares the text after the hash).
inline uint64_t hash_text(std::string_view s) {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ull;
  const char* p = s.data();
  std::size_t n = s.size();
  uint64_t h = 0x243f6a8885a308d3ull ^ (n * kMul);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * kMul;
    h ^= h >> 29;
  }
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 32);
}

}  // namespace sentinel
