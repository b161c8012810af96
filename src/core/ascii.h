#pragma once
/// ASCII helpers for the hot paths (no locale, no table lookup).

namespace sentinel {

/// `c` lowercased when it is an ASCII capital letter, otherwise unchanged (UTF-8 bytes included).
inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace sentinel
