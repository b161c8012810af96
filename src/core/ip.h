#pragma once
/// IPv4 and IPv6 addresses as 128-bit values (IPv4 stored as ::ffff:a.b.c.d).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel {

struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;

  /// Parses dotted IPv4 or RFC 4291 IPv6 text (with `::`, and embedded IPv4 in the last 32 bits).
  /// No zone ids, no brackets. Returns false on anything else.
  static bool parse(std::string_view s, IpAddr* out);
  /// The IPv4 address as a host-order integer (only meaningful when v4).
  uint32_t v4_value() const {
    return (uint32_t{bytes[12]} << 24) | (uint32_t{bytes[13]} << 16) | (uint32_t{bytes[14]} << 8) |
           bytes[15];
  }
  /// Canonical text: dotted quad, or RFC 5952 IPv6.
  std::string to_string() const;
  void append_to(std::string* out) const;

  friend bool operator==(const IpAddr& a, const IpAddr& b) = default;
};

}  // namespace sentinel
