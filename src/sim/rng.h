#pragma once
/// Small, fast, seedable pseudo-random generator for synthetic data. Deterministic across runs
/// and platforms: only integer arithmetic, no std::random_device, no distribution objects
/// (whose output differs between standard libraries).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sentinel::sim {

/// One step of splitmix64; also a good 64-bit mixer for deriving sub-seeds.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Derives an independent seed from a parent seed and a stream number (file index, role).
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(s);
  return splitmix64(s);
}

/// xoshiro256** seeded through splitmix64. Not thread-safe; give each thread its own.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform integer in [0, n); n must be > 0. Multiply-shift, bias below 2^-32 for our n.
  constexpr std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  /// Uniform integer in [lo, hi] (inclusive).
  constexpr std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  /// True with probability per_mille / 1000.
  constexpr bool chance(std::uint32_t per_mille) { return below(1000) < per_mille; }

  /// Picks one element of a non-empty array-like container.
  template <typename C>
  constexpr const auto& pick(const C& c) {
    return c[below(std::size(c))];
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace sentinel::sim
