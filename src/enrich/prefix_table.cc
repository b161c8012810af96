#include "enrich/prefix_table.h"

#include <algorithm>

namespace sentinel::enrich {

namespace {

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t mask_top(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~uint64_t{0};
  return ~uint64_t{0} << (64 - bits);
}

void insert_length(std::vector<int>* lengths, int bits) {
  auto it = std::lower_bound(lengths->begin(), lengths->end(), bits, std::greater<int>());
  if (it == lengths->end() || *it != bits) lengths->insert(it, bits);
}

}  // namespace

std::size_t PrefixTable::KeyHash::operator()(const Key& k) const {
  uint64_t h = k.hi * 0x9E3779B97F4A7C15ULL;
  h ^= k.lo + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
  h ^= static_cast<uint64_t>(k.bits) * 0xBF58476D1CE4E5B9ULL + (k.v4 ? 1 : 0);
  return static_cast<std::size_t>(h ^ (h >> 31));
}

PrefixTable::Key PrefixTable::key_of(const IpAddr& ip, int bits128) {
  Key k;
  k.hi = load_be64(ip.bytes.data()) & mask_top(bits128);
  k.lo = load_be64(ip.bytes.data() + 8) & mask_top(bits128 - 64);
  k.bits = static_cast<int16_t>(bits128);
  k.v4 = ip.v4;
  return k;
}

void PrefixTable::add(const detect::Cidr& net, uint32_t payload) {
  nets_[key_of(net.base, net.prefix)].push_back(payload);
  insert_length(net.base.v4 ? &v4_lengths_ : &v6_lengths_, net.prefix);
  ++size_;
}

IpAddr unmap_v4(const IpAddr& in) {
  if (in.v4) return in;
  for (int i = 0; i < 10; ++i) {
    if (in.bytes[i] != 0) return in;
  }
  if (in.bytes[10] != 0xFF || in.bytes[11] != 0xFF) return in;
  IpAddr out = in;
  out.v4 = true;
  return out;
}

bool PrefixTable::contains(const IpAddr& addr) const {
  const IpAddr ip = unmap_v4(addr);
  const std::vector<int>& lengths = ip.v4 ? v4_lengths_ : v6_lengths_;
  for (int bits : lengths) {
    if (nets_.count(key_of(ip, bits)) != 0) return true;
  }
  return false;
}

}  // namespace sentinel::enrich
