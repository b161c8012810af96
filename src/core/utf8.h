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

}  // namespace sentinel
