#include "store/search_common.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/escape.h"
#include "core/ip.h"
#include "core/time.h"
#include "core/utf8.h"
#include "store/query.h"

namespace sentinel::store {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Cuts at `max` code points (the last one replaced by an ellipsis), never inside a sequence.
std::string cut_search_cell(const std::string& s, std::size_t max) {
  if (utf8_width(s) <= max) return s;
  std::string r;
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (w + 1 >= max) break;
      ++w;
    }
    r.push_back(s[i]);
  }
  r += "\xE2\x80\xA6";
  return r;
}

}  // namespace

bool parse_span_ms(std::string_view s, int64_t* ms) {
  if (s.size() < 2) return false;
  const char unit = lower(s.back());
  std::string_view num = s.substr(0, s.size() - 1);
  if (!all_digits(num) || num.size() > 9) return false;
  int64_t n = 0;
  std::from_chars(num.data(), num.data() + num.size(), n);
  int64_t mult = 0;
  switch (unit) {
    case 's':
      mult = 1000;
      break;
    case 'm':
      mult = 60'000;
      break;
    case 'h':
      mult = 3'600'000;
      break;
    case 'd':
      mult = 86'400'000;
      break;
    case 'w':
      mult = 7 * 86'400'000LL;
      break;
    default:
      return false;
  }
  *ms = n * mult;
  return true;
}

bool parse_time_arg(std::string_view s, int64_t now_ms, int64_t* ms, std::string* error) {
  int64_t span = 0;
  if (parse_span_ms(s, &span)) {
    *ms = now_ms - span;
    return true;
  }
  if (all_digits(s) && s.size() <= 12) {
    int64_t secs = 0;
    std::from_chars(s.data(), s.data() + s.size(), secs);
    *ms = secs * 1000;
    return true;
  }
  if (parse_iso8601_ms(s, ms)) return true;
  std::string t(s);
  if (t.size() == 10) {
    t += "T00:00:00Z";  // a date alone: its midnight UTC
  } else if (t.size() >= 16 && t[10] == 'T' && t[13] == ':' && (t.size() == 16 || t[16] != ':')) {
    t.insert(16, ":00");  // minutes without seconds: 2024-01-15T02:00Z
  }
  if (parse_iso8601_ms(t, ms)) return true;
  *error = "'" + std::string(s) +
           "' is not a time: use a duration back from now (30m, 12h, 7d, 2w), an ISO 8601 time "
           "(2024-01-15T02:00Z) or a date (2024-01-15)";
  return false;
}

bool parse_hour_range(std::string_view s, int* from, int* to, std::string* error) {
  auto hour = [](std::string_view h, int* out) {
    if (!all_digits(h) || h.size() > 2) return false;
    int v = 0;
    std::from_chars(h.data(), h.data() + h.size(), v);
    if (v > 24) return false;
    *out = v;
    return true;
  };
  const std::size_t dash = s.find('-');
  bool ok;
  if (dash == std::string_view::npos) {
    ok = hour(s, from) && *from < 24;
    *to = (*from + 1) % 24;
  } else {
    ok = hour(s.substr(0, dash), from) && hour(s.substr(dash + 1), to) && *from < 24;
    if (ok) *to %= 24;
    if (ok && *from == *to) ok = false;
  }
  if (!ok) {
    *error = "'" + std::string(s) +
             "' is not an hour range: use UTC hours FROM-TO (02-03 is 02:00 to 02:59, 22-02 "
             "wraps past midnight) or one hour (2)";
  }
  return ok;
}

bool hour_in_range(int64_t ms, int from, int to) {
  int64_t h = (ms / 3'600'000) % 24;
  if (h < 0) h += 24;
  if (from < to) return h >= from && h < to;
  return h >= from || h < to;
}

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?") != std::string_view::npos;
}

bool glob_match(std::string_view p, std::string_view t, bool nocase) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  auto eq = [&](char a, char b) { return nocase ? lower(a) == lower(b) : a == b; };
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], t[ti])))) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Dictionary::Dictionary(sqlite3* db)
    : db_(db),
      by_value_(db, "SELECT id FROM strings WHERE value = ?", nullptr),
      by_id_(db, "SELECT value FROM strings WHERE id = ?", nullptr) {}

int64_t Dictionary::id(std::string_view value) {
  if (!by_value_.ok()) return 0;
  by_value_.bind_text(1, value);
  int64_t r = by_value_.step() == SQLITE_ROW ? by_value_.col_int(0) : 0;
  by_value_.reset();
  return r;
}

std::string Dictionary::text(int64_t id) {
  if (!by_id_.ok() || id == 0) return {};
  by_id_.bind(1, id);
  std::string r = by_id_.step() == SQLITE_ROW ? std::string(by_id_.col_text(0)) : std::string();
  by_id_.reset();
  return r;
}

std::vector<int64_t> Dictionary::ids_matching(std::string_view pattern) {
  std::vector<int64_t> ids;
  std::size_t lit = pattern.find_first_of("*?");
  std::string_view prefix = pattern.substr(0, lit);
  auto scan = [&](std::string lo, std::string hi) {
    Stmt st(db_,
            hi.empty() ? "SELECT id, value FROM strings"
                       : "SELECT id, value FROM strings WHERE value >= ?1 AND value < ?2",
            nullptr);
    if (!st.ok()) return;
    if (!hi.empty()) {
      st.bind_text(1, lo);
      st.bind_text(2, hi);
    }
    while (st.step() == SQLITE_ROW) {
      if (glob_match(pattern, st.col_text(1), true)) ids.push_back(st.col_int(0));
    }
  };
  const char c0 = prefix.empty() ? '\0' : prefix[0];
  const bool letter = (c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z');
  if (prefix.empty() || !letter) {
    if (!prefix.empty()) {
      std::string lo(1, c0);
      std::string hi(1, static_cast<char>(c0 + 1));
      scan(lo, hi);
    } else {
      scan("", "");
    }
  } else {
    // Both cases of the first letter: the rest is compared case-insensitively by glob_match.
    for (char c : {static_cast<char>(c0 & ~0x20), static_cast<char>(c0 | 0x20)}) {
      scan(std::string(1, c), std::string(1, static_cast<char>(c + 1)));
    }
  }
  return ids;
}

std::vector<int64_t> Dictionary::arns_with_segment(std::string_view name) {
  std::vector<int64_t> ids;
  Stmt st(db_, "SELECT id, value FROM strings WHERE value >= 'arn:' AND value < 'arn;'", nullptr);
  if (!st.ok() || name.empty()) return ids;
  while (st.step() == SQLITE_ROW) {
    std::string_view arn = st.col_text(1);
    // arn:partition:service:region:account:resource: the resource part after the 5th colon.
    std::size_t pos = 0;
    for (int i = 0; i < 5 && pos != std::string_view::npos; ++i) {
      pos = arn.find(':', pos);
      if (pos != std::string_view::npos) ++pos;
    }
    if (pos == std::string_view::npos) continue;
    std::string_view res = arn.substr(pos);
    std::size_t slash = res.find('/');
    bool hit = false;
    while (slash != std::string_view::npos && !hit) {
      std::size_t next = res.find('/', slash + 1);
      std::string_view seg = res.substr(
          slash + 1, next == std::string_view::npos ? std::string_view::npos : next - slash - 1);
      hit = seg == name;
      slash = next;
    }
    if (hit) ids.push_back(st.col_int(0));
  }
  return ids;
}

void render_table(const Table& t, std::size_t max_cell, std::string* out) {
  const std::size_t n = t.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(t.rows.size() + 1);
  cells.push_back(t.columns);
  for (const auto& r : t.rows) {
    std::vector<std::string> row;
    row.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      row.push_back(cut_search_cell(terminal_safe(i < r.size() ? r[i] : std::string()), max_cell));
    }
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> w(n, 0);
  for (const auto& r : cells) {
    for (std::size_t i = 0; i < n; ++i) w[i] = std::max(w[i], utf8_width(r[i]));
  }
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const auto& r = cells[k];
    std::string line;
    for (std::size_t i = 0; i < n; ++i) {
      line += r[i];
      if (i + 1 < n) line.append(w[i] - utf8_width(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    *out += line;
    *out += '\n';
  }
}

void render_csv(const Table& t, std::string* out) {
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (i) *out += ',';
    append_csv_cell(out, t.columns[i], true);
  }
  *out += "\r\n";
  for (const auto& r : t.rows) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (i) *out += ',';
      append_csv_cell(out, i < r.size() ? r[i] : std::string(), true);
    }
    *out += "\r\n";
  }
}

std::string canonical_ip(std::string_view s) {
  IpAddr ip;
  if (IpAddr::parse(s, &ip)) {
    // IPv4-mapped IPv6 spelled as such is the IPv4 address for the store's columns.
    if (!ip.v4 && ip.bytes[10] == 0xff && ip.bytes[11] == 0xff &&
        std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](uint8_t b) { return b == 0; })) {
      ip.v4 = true;
    }
    return ip.to_string();
  }
  return std::string(s);
}

std::string human_bytes(int64_t n) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace sentinel::store
