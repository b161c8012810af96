#pragma once
/// Helpers shared by `sentinel search`, `investigate` and `flows`: time and hour arguments,
/// wildcard patterns, dictionary lookups and the three output forms (an aligned table escaped
/// for the terminal, JSON lines, CSV with formula cells defused).
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"
#include "store/store.h"

namespace sentinel::store {

inline constexpr int64_t kNoLowerTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kNoUpperTime = std::numeric_limits<int64_t>::max();

/// A duration like 90s, 30m, 2h, 7d, 2w in milliseconds; false when malformed.
bool parse_span_ms(std::string_view s, int64_t* ms);

/// A point in time for --since/--until: a duration back from `now_ms` (`7d`), an ISO 8601
/// timestamp (`2024-01-15T02:00:00Z`, `2024-01-15T02:00Z`, `2024-01-15`) or epoch seconds.
/// False (with *error) when it is none of these.
bool parse_time_arg(std::string_view s, int64_t now_ms, int64_t* ms, std::string* error);

/// `--hour 02-03`: UTC hours from (inclusive) to (exclusive), wrapping past midnight (`22-02`);
/// `--hour 2` is 02-03. False (with *error) on anything else.
bool parse_hour_range(std::string_view s, int* from, int* to, std::string* error);
/// True when the UTC hour of `ms` is in [from, to) (wrapping when from >= to).
bool hour_in_range(int64_t ms, int from, int to);

/// `*` (any run) and `?` (one character) wildcards; case-insensitive for ASCII when `nocase`.
bool glob_match(std::string_view pattern, std::string_view text, bool nocase);
bool has_wildcard(std::string_view s);

/// Dictionary lookups (table `strings`). Not thread-safe; one per connection.
class Dictionary {
 public:
  explicit Dictionary(sqlite3* db);
  /// The id of exactly this string; 0 when the store has no such string.
  int64_t id(std::string_view value);
  /// Ids of strings matching a wildcard pattern (case-insensitive). A pattern without a leading
  /// wildcard reads only the index range of its literal prefix (case variants of the prefix's
  /// first letter included); otherwise the whole dictionary is read.
  std::vector<int64_t> ids_matching(std::string_view pattern);
  /// Ids of ARN strings (`arn:...`) whose resource part has a `/`-separated segment equal to
  /// `name` (a user, role or session name: `user/alice`, `assumed-role/Admin/alice`). Reads
  /// only the dictionary's `arn:` range.
  std::vector<int64_t> arns_with_segment(std::string_view name);
  /// The text of an id ("" when absent); cached.
  std::string text(int64_t id);

 private:
  sqlite3* db_;
  Stmt by_value_;
  Stmt by_id_;
};

/// Output of the table form: column headers and rows of cells.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

/// Appends `t` as an aligned table: cells escaped for a terminal (terminal_safe) and cut at
/// `max_cell` code points.
void render_table(const Table& t, std::size_t max_cell, std::string* out);
/// Appends `t` as CSV (header line, then one line per row; formula cells defused).
void render_csv(const Table& t, std::string* out);

/// Canonical text of an IP address, or `s` unchanged when it is not one.
std::string canonical_ip(std::string_view s);

/// "1.2 MB" style byte counts for people.
std::string human_bytes(int64_t n);

}  // namespace sentinel::store
