#include "ingest/decode/json_scan.h"

#include <immintrin.h>

#include <algorithm>

#include "core/limits.h"

namespace sentinel::ingest {

namespace {

constexpr std::size_t kScanNpos = std::string_view::npos;
constexpr int kMaxDepth = static_cast<int>(limits::kMaxJsonDepth);

// ---- SSE2 (every x86-64) ----

// Index of the first '"' or '\\' in [i, n), or n. Reads up to 15 bytes past n (padding).
inline std::size_t find_string_special(const char* p, std::size_t i, std::size_t n) {
  const __m128i q = _mm_set1_epi8('"');
  const __m128i b = _mm_set1_epi8('\\');
  while (i < n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
    if (m != 0) return std::min(n, i + static_cast<std::size_t>(__builtin_ctz(m)));
    i += 16;
  }
  return n;
}

// Index of the first of '"' '\\' '{' '}' '[' ']' in [i, n), or n. Reads up to 15 bytes past n.
inline std::size_t find_structural(const char* p, std::size_t i, std::size_t n) {
  const __m128i q = _mm_set1_epi8('"');
  const __m128i bs = _mm_set1_epi8('\\');
  const __m128i ob = _mm_set1_epi8('[');
  const __m128i cb = _mm_set1_epi8(']');
  const __m128i oc = _mm_set1_epi8('{');
  const __m128i cc = _mm_set1_epi8('}');
  while (i < n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i m1 = _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, ob));
    __m128i m2 = _mm_or_si128(_mm_cmpeq_epi8(v, cb), _mm_cmpeq_epi8(v, oc));
    __m128i m3 = _mm_or_si128(_mm_cmpeq_epi8(v, cc), _mm_cmpeq_epi8(v, bs));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(m1, m2), m3));
    if (m != 0) return std::min(n, i + static_cast<std::size_t>(__builtin_ctz(m)));
    i += 16;
  }
  return n;
}

// Outside strings (invalid JSON anyway) a quote after an odd run of backslashes does not open a
// string, as in the AVX2 scanner (and simdjson's stage 1): both agree on every input, valid or
// not, so results do not depend on the CPU.
JsonScan scan_sse2(std::string_view d, std::size_t start, int depth) {
  const char* p = d.data();
  const std::size_t n = d.size();
  std::size_t i = start;
  JsonScan r;
  while (true) {
    i = find_structural(p, i, n);
    if (i >= n) return r;
    char c = p[i];
    if (c == '\\') {
      std::size_t run_end = i;
      while (run_end < n && p[run_end] == '\\') ++run_end;
      const bool odd = ((run_end - i) & 1) != 0;
      i = run_end;
      if (odd && i < n && p[i] == '"') ++i;
      continue;
    }
    if (c == '"') {
      ++i;
      while (true) {
        i = find_string_special(p, i, n);
        if (i >= n) return r;
        if (p[i] == '\\') {
          i += 2;
          if (i >= n) return r;
          continue;
        }
        ++i;
        break;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) r.too_deep = true;
    } else if (--depth <= 0) {
      r.end = i + 1;
      return r;
    }
    ++i;
  }
}

uint64_t count_newlines_sse2(const char* p, std::size_t n) {
  return static_cast<uint64_t>(std::count(p, p + n, '\n'));
}

// ---- AVX2 + PCLMUL: 64 bytes at a time, the way simdjson's stage 1 finds strings ----

__attribute__((target("avx2,bmi,pclmul"))) inline uint64_t eq_mask(__m256i lo, __m256i hi, char c) {
  const __m256i v = _mm256_set1_epi8(c);
  auto a = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)));
  auto b = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)));
  return uint64_t{a} | (uint64_t{b} << 32);
}

// Bits of characters escaped by a backslash, given the backslash bits of this block and the
// carry from the previous block (an odd run of backslashes ending the previous block).
__attribute__((target("avx2,bmi,pclmul"))) inline uint64_t escaped_bits(uint64_t backslash,
                                                                        uint64_t* carry) {
  backslash &= ~*carry;
  const uint64_t follows_escape = backslash << 1 | *carry;
  constexpr uint64_t kEven = 0x5555555555555555ULL;
  const uint64_t odd_starts = backslash & ~kEven & ~follows_escape;
  uint64_t even_starts;
  *carry = __builtin_add_overflow(odd_starts, backslash, &even_starts) ? 1 : 0;
  return (kEven ^ (even_starts << 1)) & follows_escape;
}

__attribute__((target("avx2,bmi,pclmul"))) inline uint64_t prefix_xor(uint64_t bits) {
  const __m128i all_ones = _mm_set1_epi8(static_cast<char>(0xFF));
  const __m128i r =
      _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(bits)), all_ones, 0);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(r));
}

__attribute__((target("avx2,bmi,pclmul"))) JsonScan scan_avx2(std::string_view d, std::size_t start,
                                                              int depth) {
  const char* p = d.data();
  const std::size_t n = d.size();
  uint64_t escape_carry = 0;
  uint64_t in_string_carry = 0;  // all ones when the previous block ended inside a string
  JsonScan r;
  for (std::size_t i = start; i < n; i += 64) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    const uint64_t valid = n - i >= 64 ? ~uint64_t{0} : (uint64_t{1} << (n - i)) - 1;
    const uint64_t quotes =
        eq_mask(lo, hi, '"') & ~escaped_bits(eq_mask(lo, hi, '\\'), &escape_carry);
    const uint64_t in_string = prefix_xor(quotes) ^ in_string_carry;
    in_string_carry = static_cast<uint64_t>(static_cast<int64_t>(in_string) >> 63);
    const uint64_t opens = (eq_mask(lo, hi, '{') | eq_mask(lo, hi, '[')) & ~in_string & valid;
    const uint64_t closes = (eq_mask(lo, hi, '}') | eq_mask(lo, hi, ']')) & ~in_string & valid;
    uint64_t structural = opens | closes;
    while (structural != 0) {
      const int bit = __builtin_ctzll(structural);
      structural &= structural - 1;
      if ((opens >> bit) & 1) {
        if (++depth > kMaxDepth) r.too_deep = true;
      } else if (--depth <= 0) {
        r.end = i + static_cast<std::size_t>(bit) + 1;
        return r;
      }
    }
  }
  return r;
}

__attribute__((target("avx2"))) uint64_t count_newlines_avx2(const char* p, std::size_t n) {
  const __m256i nl = _mm256_set1_epi8('\n');
  uint64_t count = 0;
  std::size_t i = 0;
  // 128 bytes at a time: one test for the usual block without a newline (minified JSON has
  // none), the bit counts only where there are.
  for (; i + 128 <= n; i += 128) {
    const __m256i a =
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)), nl);
    const __m256i b =
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)), nl);
    const __m256i c =
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 64)), nl);
    const __m256i d =
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 96)), nl);
    const __m256i any = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
    if (_mm256_testz_si256(any, any)) continue;
    count +=
        static_cast<uint64_t>(__builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(a))) +
                              __builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(b))) +
                              __builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(c))) +
                              __builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(d))));
  }
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    count += static_cast<uint64_t>(
        __builtin_popcount(static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)))));
  }
  for (; i < n; ++i) count += p[i] == '\n';
  return count;
}

struct Dispatch {
  JsonScan (*scan)(std::string_view, std::size_t, int);
  uint64_t (*newlines)(const char*, std::size_t);
};

Dispatch choose() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul") &&
      __builtin_cpu_supports("bmi")) {
    return {scan_avx2, count_newlines_avx2};
  }
  return {scan_sse2, count_newlines_sse2};
}

const Dispatch kDispatch = choose();

}  // namespace

JsonScan scan_json_value(std::string_view d, std::size_t start, int depth) {
  return kDispatch.scan(d, start, depth);
}

JsonScan scan_json_value_sse2(std::string_view d, std::size_t start, int depth) {
  return scan_sse2(d, start, depth);
}

uint64_t count_newlines(const char* p, std::size_t n) {
  return kDispatch.newlines(p, n);
}

}  // namespace sentinel::ingest
