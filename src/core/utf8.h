#pragma once
/// UTF-8 helpers for untrusted bytes.
#include <cstddef>
#include <string>
#include <string_view>

namespace sentinel {

/// Length of the valid UTF-8 sequence starting at s[0] (1-4), or 0 when it is not valid
/// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s);

/// True when all of `s` is valid UTF-8 (SIMD-accelerated).
bool utf8_valid(std::string_view s);

/// Byte offset of the first invalid sequence in `s`, or npos when valid.
std::size_t utf8_first_invalid(std::string_view s);

/// Code points in `s`, counted as the bytes that are not continuation bytes (a display width good
/// enough to align log text in columns; invalid input is counted, not checked).
inline std::size_t utf8_width(std::string_view s) {
  std::size_t w = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  }
  return w;
}

}  // namespace sentinel
