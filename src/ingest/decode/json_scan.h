#pragma once
/// The structural scan under JSON framing: finds where a JSON value ends without parsing it,
/// tracking strings (and their escapes) and nesting. Uses 64-byte AVX2 blocks with a carry-less
/// multiply for the in-string mask where the CPU has them (chosen once at start-up), SSE2
/// otherwise. Both need 64 readable bytes after the data (the reader's padding).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sentinel::ingest {

struct JsonScan {
  std::size_t end = std::string_view::npos;  ///< one past the matching close; npos: data ended
  bool too_deep = false;                     ///< nesting went past limits::kMaxJsonDepth
};

/// Scans the composite value starting at `start` ('{' or '[') with `depth` levels already open
/// before it (0 normally). Bracket kinds are not matched against each other: the record parser
/// rejects `{]`; framing only needs the extent.
JsonScan scan_json_value(std::string_view d, std::size_t start, int depth = 0);

/// The SSE2 scanner that runs where AVX2 is missing; exposed so tests can check that both give
/// the same answer on every input.
JsonScan scan_json_value_sse2(std::string_view d, std::size_t start, int depth = 0);

/// Number of '\n' bytes in [p, p + n).
uint64_t count_newlines(const char* p, std::size_t n);

}  // namespace sentinel::ingest
