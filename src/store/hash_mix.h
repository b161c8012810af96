// The 64-bit finalizer of MurmurHash3 (fmix64), shared by the store's hashes. Values derived
// from it are stored (ct_uid keys, postings terms, bloom filters): do not change it.
#pragma once

#include <cstdint>

namespace sentinel::store {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace sentinel::store
