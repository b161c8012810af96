#pragma once
/// Time parsing and formatting for log timestamps (UTC).
#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel {

/// Parses an ISO 8601 / RFC 3339 timestamp into Unix epoch milliseconds:
/// `2024-01-15T02:00:00Z`, with optional fractional seconds (`.123456Z`), a numeric offset
/// (`+01:00`, `-0500`), a space instead of `T` (`2022-12-11 19:42:55`), no zone (UTC) and the
/// basic form `20131102T010628Z`. Returns false when `s` is not such a timestamp.
bool parse_iso8601_ms(std::string_view s, int64_t* out_ms);

/// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/// Formats epoch milliseconds as `2024-01-15T02:00:00Z` (with `.mmm` when ms != 0 and
/// `with_ms`).
std::string format_iso8601(int64_t ms, bool with_ms = false);
/// Appends the same to `out`.
void append_iso8601(std::string* out, int64_t ms, bool with_ms = false);

}  // namespace sentinel
