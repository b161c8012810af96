#include "core/ip.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace sentinel {

namespace {

bool parse_v4(std::string_view s, uint8_t out[4]) {
  int part = 0;
  std::size_t i = 0;
  while (part < 4) {
    if (i >= s.size()) return false;
    unsigned v = 0;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > 255 || i - start >= 3) return false;
      ++i;
    }
    if (i == start) return false;
    if (i - start > 1 && s[start] == '0') return false;  // no leading zeros (octal ambiguity)
    out[part++] = static_cast<uint8_t>(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_v6(std::string_view s, uint8_t out[16]) {
  uint16_t groups[8] = {};
  int n = 0;
  int gap = -1;  // index in groups where "::" stands
  std::size_t i = 0;
  if (s.size() < 2) return false;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    gap = 0;
    i = 2;
    if (i == s.size()) {
      std::fill(out, out + 16, 0);
      return true;
    }
  }
  while (i < s.size()) {
    if (n >= 8) return false;
    // Embedded IPv4 in the last 32 bits.
    std::size_t next_colon = s.find(':', i);
    std::string_view tok =
        s.substr(i, next_colon == std::string_view::npos ? s.size() - i : next_colon - i);
    if (tok.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos || n > 6) return false;
      uint8_t v4[4];
      if (!parse_v4(tok, v4)) return false;
      groups[n++] = static_cast<uint16_t>((v4[0] << 8) | v4[1]);
      groups[n++] = static_cast<uint16_t>((v4[2] << 8) | v4[3]);
      i = s.size();
      break;
    }
    if (tok.empty() || tok.size() > 4) return false;
    unsigned v = 0;
    for (char c : tok) {
      int h = hexval(c);
      if (h < 0) return false;
      v = (v << 4) | static_cast<unsigned>(h);
    }
    groups[n++] = static_cast<uint16_t>(v);
    i += tok.size();
    if (i == s.size()) break;
    // s[i] == ':'
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  uint16_t full[8] = {};
  if (gap >= 0) {
    if (n >= 8) return false;
    int tail = n - gap;
    for (int k = 0; k < gap; ++k) full[k] = groups[k];
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  } else {
    if (n != 8) return false;
    for (int k = 0; k < 8; ++k) full[k] = groups[k];
  }
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xFF);
  }
  return true;
}

}  // namespace

bool IpAddr::parse(std::string_view s, IpAddr* out) {
  IpAddr a;
  if (s.find(':') == std::string_view::npos) {
    uint8_t v4[4];
    if (!parse_v4(s, v4)) return false;
    a.bytes[10] = 0xFF;
    a.bytes[11] = 0xFF;
    a.bytes[12] = v4[0];
    a.bytes[13] = v4[1];
    a.bytes[14] = v4[2];
    a.bytes[15] = v4[3];
    a.v4 = true;
  } else {
    if (!parse_v6(s, a.bytes.data())) return false;
    a.v4 = false;
  }
  *out = a;
  return true;
}

void IpAddr::append_to(std::string* out) const {
  char buf[48];
  if (v4) {
    // Dotted decimal through to_chars (snprintf was most of the cost of the asn() function).
    char* p = buf;
    for (int k = 12; k < 16; ++k) {
      if (k > 12) *p++ = '.';
      p = std::to_chars(p, buf + sizeof buf, static_cast<unsigned>(bytes[k])).ptr;
    }
    out->append(buf, static_cast<std::size_t>(p - buf));
    return;
  }
  uint16_t g[8];
  for (int k = 0; k < 8; ++k) g[k] = static_cast<uint16_t>((bytes[2 * k] << 8) | bytes[2 * k + 1]);
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first one on ties.
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && g[j] == 0) ++j;
    if (j - k > best_len) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  if (best_len < 2) best = -1;
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out->append("::");
      k += best_len - 1;
      continue;
    }
    if (k > 0 && !(best >= 0 && k == best + best_len)) out->push_back(':');
    int n = std::snprintf(buf, sizeof buf, "%x", g[k]);
    out->append(buf, static_cast<std::size_t>(n));
  }
}

std::string IpAddr::to_string() const {
  std::string s;
  append_to(&s);
  return s;
}

}  // namespace sentinel
