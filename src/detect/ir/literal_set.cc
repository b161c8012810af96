#include "detect/ir/literal_set.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sentinel::detect {

namespace {

// Up to this many distinct bigrams, each is searched for with SSE2 (see match()).
constexpr std::size_t kSimdBigrams = 4;

inline uint16_t bigram(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

}  // namespace

uint32_t LiteralSet::add(Op op, std::string_view literal) {
  const uint32_t index = count_++;
  Lit lit{std::string(literal), index};
  switch (op) {
    case Op::kEq:
      eq_[lit.text].push_back(index);
      break;
    case Op::kStartsWith:
      starts_.push_back(std::move(lit));
      break;
    case Op::kEndsWith:
      ends_.push_back(std::move(lit));
      break;
    case Op::kContains:
      if (literal.size() < 2) {
        short_contains_.push_back(std::move(lit));
      } else {
        const uint16_t b = bigram(literal.data());
        bigram_bits_[b >> 6] |= uint64_t{1} << (b & 63);
        by_bigram_[b].push_back(std::move(lit));
        if (first_bytes_.find(literal[0]) == std::string::npos) first_bytes_.push_back(literal[0]);
      }
      break;
  }
  return index;
}

void LiteralSet::match(std::string_view text, std::vector<uint32_t>* out) const {
  if (!eq_.empty()) {
    // Heterogeneous lookup would need a transparent hash; the keys are few and short.
    auto it = eq_.find(std::string(text));
    if (it != eq_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
  }
  for (const Lit& l : starts_) {
    if (text.size() >= l.text.size() && std::memcmp(text.data(), l.text.data(), l.text.size()) == 0)
      out->push_back(l.index);
  }
  for (const Lit& l : ends_) {
    if (text.size() >= l.text.size() &&
        std::memcmp(text.data() + text.size() - l.text.size(), l.text.data(), l.text.size()) == 0)
      out->push_back(l.index);
  }
  for (const Lit& l : short_contains_) {
    if (l.text.empty() || text.find(l.text[0]) != std::string_view::npos) out->push_back(l.index);
  }
  if (by_bigram_.empty() || text.size() < 2) return;
  seen_.assign(count_, 0);
  const char* p = text.data();
  const std::size_t n = text.size();
#if defined(__SSE2__)
  // Few distinct bigrams (thirty "scanner-N" literals share one): find each bigram's positions
  // 16 at a time (first byte here and second byte next, compared in one step), so that only
  // real bigram hits reach check_at. SSE2 is part of every x86-64.
  if (by_bigram_.size() <= kSimdBigrams) {
    for (const auto& entry : by_bigram_) {
      const char c0 = static_cast<char>(entry.first >> 8);
      const char c1 = static_cast<char>(entry.first & 0xFF);
      const __m128i v0 = _mm_set1_epi8(c0);
      const __m128i v1 = _mm_set1_epi8(c1);
      std::size_t i = 0;
      for (; i + 17 <= n; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
        auto mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, v0), _mm_cmpeq_epi8(b, v1))));
        while (mask != 0) {
          check_at(text, i + static_cast<std::size_t>(__builtin_ctz(mask)), out);
          mask &= mask - 1;
        }
      }
      for (; i + 1 < n; ++i) {
        if (p[i] == c0 && p[i + 1] == c1) check_at(text, i, out);
      }
    }
    return;
  }
#endif
  if (first_bytes_.size() <= kMemchrFirstBytes) {
    for (char c : first_bytes_) {
      const char* q = p;
      const char* end = p + n - 1;  // a literal needs two bytes
      while (q < end) {
        q = static_cast<const char*>(std::memchr(q, c, static_cast<std::size_t>(end - q)));
        if (q == nullptr) break;
        check_at(text, static_cast<std::size_t>(q - p), out);
        ++q;
      }
    }
    return;
  }
  for (std::size_t i = 0; i + 1 < n; ++i) check_at(text, i, out);
}

void LiteralSet::check_at(std::string_view text, std::size_t i, std::vector<uint32_t>* out) const {
  const uint16_t b = bigram(text.data() + i);
  if ((bigram_bits_[b >> 6] & (uint64_t{1} << (b & 63))) == 0) return;
  for (const Lit& l : by_bigram_.at(b)) {
    if (seen_[l.index] != 0 || text.size() - i < l.text.size()) continue;
    if (std::memcmp(text.data() + i, l.text.data(), l.text.size()) == 0) {
      seen_[l.index] = 1;
      out->push_back(l.index);
    }
  }
}

}  // namespace sentinel::detect
