#include "core/time.h"

#include <cstdio>

namespace sentinel {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_iso8601_ms(std::string_view s, int64_t* out_ms) {
  int y, mo, d, h, mi, sec;
  std::size_t p = 0;
  if (!digits(s, 0, 4, &y)) return false;
  p = 4;
  bool basic = false;
  if (p < s.size() && s[p] == '-') {
    if (!digits(s, 5, 2, &mo) || s.size() < 8 || s[7] != '-' || !digits(s, 8, 2, &d)) return false;
    p = 10;
  } else {
    if (!digits(s, 4, 2, &mo) || !digits(s, 6, 2, &d)) return false;
    p = 8;
    basic = true;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  int64_t ms = 0;
  h = mi = sec = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    ++p;
    if (!digits(s, p, 2, &h)) return false;
    p += 2;
    if (!basic) {
      if (p >= s.size() || s[p] != ':') return false;
      ++p;
    }
    if (!digits(s, p, 2, &mi)) return false;
    p += 2;
    if (p < s.size() && (s[p] == ':' || (basic && s[p] >= '0' && s[p] <= '9'))) {
      if (s[p] == ':') ++p;
      if (!digits(s, p, 2, &sec)) return false;
      p += 2;
    }
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int frac_digits = 0;
      int64_t frac = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (frac_digits < 3) {
          frac = frac * 10 + (s[p] - '0');
          ++frac_digits;
        }
        ++p;
      }
      if (frac_digits == 0) return false;
      while (frac_digits < 3) {
        frac *= 10;
        ++frac_digits;
      }
      ms = frac;
    }
  }
  if (h > 23 || mi > 59 || sec > 60) return false;
  int64_t offset_s = 0;
  if (p < s.size()) {
    char c = s[p];
    if (c == 'Z' || c == 'z') {
      ++p;
    } else if (c == '+' || c == '-') {
      int oh, om = 0;
      if (!digits(s, p + 1, 2, &oh)) return false;
      std::size_t q = p + 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (q < s.size()) {
        if (!digits(s, q, 2, &om)) return false;
        q += 2;
      }
      offset_s = (oh * 3600 + om * 60) * (c == '+' ? 1 : -1);
      p = q;
    }
  }
  if (p != s.size()) return false;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *out_ms = secs * 1000 + ms;
  return true;
}

void append_iso8601(std::string* out, int64_t ms, bool with_ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t rem_ms = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[40];
  int n;
  if (with_ms && rem_ms != 0) {
    n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                      static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                      static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                      static_cast<long long>(rem_ms));
  } else {
    n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                      static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                      static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  }
  out->append(buf, static_cast<std::size_t>(n));
}

std::string format_iso8601(int64_t ms, bool with_ms) {
  std::string s;
  append_iso8601(&s, ms, with_ms);
  return s;
}

}  // namespace sentinel
