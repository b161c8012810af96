#pragma once
/// A longest-prefix-first table of IPv4 and IPv6 networks, each carrying a small integer payload.
///
/// Lookup costs one hash probe per distinct prefix length present (at most 33 for IPv4, 129 for
/// IPv6), whatever the number of networks: a 250,000-entry threat list is as fast as a 10-entry
/// one. Not thread-safe while adding; lookups on a table that no longer changes are safe from any
/// number of threads.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/ip.h"
#include "detect/ir/predicate.h"

namespace sentinel::enrich {

/// `in` with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) marked as IPv4, so both spellings
/// of one IPv4 address look up alike.
IpAddr unmap_v4(const IpAddr& in);

class PrefixTable {
 public:
  /// Adds `net` with `payload`. The same network may be added more than once (payloads stack).
  void add(const detect::Cidr& net, uint32_t payload);

  /// Calls `visit(payload, prefix_bits)` for every network containing `ip`, longest prefix
  /// first (prefix in bits of the address family: 0..32 or 0..128); stops when `visit` returns
  /// true and then returns true. IPv4-mapped IPv6 addresses are looked up as IPv4.
  template <typename Visit>
  bool find(const IpAddr& addr, Visit&& visit) const {
    const IpAddr ip = unmap_v4(addr);
    const std::vector<int>& lengths = ip.v4 ? v4_lengths_ : v6_lengths_;
    const int family_offset = ip.v4 ? 96 : 0;
    for (int bits : lengths) {
      auto it = nets_.find(key_of(ip, bits));
      if (it == nets_.end()) continue;
      for (uint32_t payload : it->second) {
        if (visit(payload, bits - family_offset)) return true;
      }
    }
    return false;
  }

  /// True when some network contains `ip`.
  bool contains(const IpAddr& ip) const;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Key {
    uint64_t hi = 0;
    uint64_t lo = 0;
    int16_t bits = 0;  // 128-bit form (IPv4 /8 is 104)
    bool v4 = false;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  static Key key_of(const IpAddr& ip, int bits128);

  std::unordered_map<Key, std::vector<uint32_t>, KeyHash> nets_;
  std::vector<int> v4_lengths_;  // 128-bit prefix lengths present, longest first
  std::vector<int> v6_lengths_;
  std::size_t size_ = 0;
};

}  // namespace sentinel::enrich
