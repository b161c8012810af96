#include "detect/ir/literal_set.h"
#include "core/ascii.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sentinel::detect {

namespace {

// Up to this many distinct bigrams, each is searched for with SSE2 (see match()).
constexpr std::size_t kSimdBigrams = 4;

inline bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline uint16_t bigram(char a, char b) {
  return static_cast<uint16_t>((static_cast<uint8_t>(a) << 8) | static_cast<uint8_t>(b));
}

// text[0, n) equals lit[0, n), the text's ASCII letters lowercased when `fold`.
inline bool same(const char* text, const char* lit, std::size_t n, bool fold) {
  if (!fold) return n == 0 || std::memcmp(text, lit, n) == 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (ascii_lower(text[k]) != lit[k]) return false;
  }
  return true;
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
        // Under fold_case the text's bytes are looked up lowered, so a literal's own bigram is
        // its key as given (one with an uppercase letter is never met, as intended).
        const uint16_t b = bigram(literal[0], literal[1]);
        bigram_bits_[b >> 6] |= uint64_t{1} << (b & 63);
        auto [it, fresh] = group_of_.try_emplace(b, static_cast<uint32_t>(groups_.size()));
        if (fresh) {
          groups_.push_back(Group{b, literal.size(), {}, {}});
          if (first_bytes_.find(literal[0]) == std::string::npos) {
            first_bytes_.push_back(literal[0]);
          }
        }
        Group& g = groups_[it->second];
        std::size_t common = std::min(g.common, literal.size());
        if (!g.lits.empty()) {
          const std::string& first = g.lits.front().text;
          std::size_t k = 2;
          while (k < common && first[k] == literal[k]) ++k;
          common = k;
        }
        g.lits.push_back(std::move(lit));
        g.next.push_back(0);
        // `common` only shrinks (at most once per byte of the first literal): the next bytes
        // are recomputed then, else only the new literal's.
        const bool shrank = common != g.common;
        g.common = common;
        for (std::size_t k = shrank ? 0 : g.lits.size() - 1; k < g.lits.size(); ++k) {
          const std::string& t = g.lits[k].text;
          g.next[k] = t.size() > common ? static_cast<int16_t>(static_cast<uint8_t>(t[common]))
                                        : int16_t{-1};
        }
      }
      break;
  }
  return index;
}

void LiteralSet::match(std::string_view text, std::vector<uint32_t>* out) const {
  const char* p = text.data();
  const std::size_t n = text.size();
  if (!eq_.empty()) {
    key_buf_.assign(p, n);
    if (fold_) {
      for (char& c : key_buf_) c = ascii_lower(c);
    }
    auto it = eq_.find(key_buf_);
    if (it != eq_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
  }
  for (const Lit& l : starts_) {
    if (n >= l.text.size() && same(p, l.text.data(), l.text.size(), fold_)) out->push_back(l.index);
  }
  for (const Lit& l : ends_) {
    if (n >= l.text.size() && same(p + n - l.text.size(), l.text.data(), l.text.size(), fold_))
      out->push_back(l.index);
  }
  for (const Lit& l : short_contains_) {
    bool found = l.text.empty();
    if (!found && fold_ && is_letter(l.text[0])) {
      const char c = l.text[0];
      // Only a lowercase letter can equal a lowered byte: either case of it in the text.
      found = c >= 'a' && c <= 'z' &&
              (text.find(c) != std::string_view::npos ||
               text.find(static_cast<char>(c - 32)) != std::string_view::npos);
    } else if (!found) {
      found = text.find(l.text[0]) != std::string_view::npos;
    }
    if (found) out->push_back(l.index);
  }
  if (groups_.empty() || n < 2) return;
  seen_.assign(count_, 0);
#if defined(__SSE2__)
  // Few distinct bigrams (thirty "scanner-N" literals share one): find each bigram's positions
  // 16 at a time (first byte here and second byte next, compared in one step), so that only
  // real bigram hits reach check_group. SSE2 is part of every x86-64. Folding: a letter is
  // compared with its 0x20 bit set on both sides (a byte equal to it that way is the letter in
  // either case), anything else exactly; check_group decides.
  if (groups_.size() <= kSimdBigrams) {
    for (const Group& g : groups_) {
      const char c0 = static_cast<char>(g.bigram >> 8);
      const char c1 = static_cast<char>(g.bigram & 0xFF);
      const bool f0 = fold_ && is_letter(c0);
      const bool f1 = fold_ && is_letter(c1);
      const __m128i v0 = _mm_set1_epi8(static_cast<char>(f0 ? (c0 | 0x20) : c0));
      const __m128i v1 = _mm_set1_epi8(static_cast<char>(f1 ? (c1 | 0x20) : c1));
      const __m128i or0 = _mm_set1_epi8(static_cast<char>(f0 ? 0x20 : 0));
      const __m128i or1 = _mm_set1_epi8(static_cast<char>(f1 ? 0x20 : 0));
      // The last block (fewer than 17 bytes left) is read from a copy; positions past the
      // last bigram are masked off.
      alignas(16) char tail[33] = {};
      for (std::size_t i = 0; i + 1 < n; i += 16) {
        const char* q = p + i;
        unsigned valid = 0xFFFF;
        if (i + 17 > n) {
          std::memcpy(tail, q, n - i);
          q = tail;
          valid = (1u << (n - i - 1)) - 1;
        }
        const __m128i a = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), or0);
        const __m128i b =
            _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 1)), or1);
        auto mask = static_cast<unsigned>(_mm_movemask_epi8(
                        _mm_and_si128(_mm_cmpeq_epi8(a, v0), _mm_cmpeq_epi8(b, v1)))) &
                    valid;
        while (mask != 0) {
          check_group(g, text, i + static_cast<std::size_t>(__builtin_ctz(mask)), out);
          mask &= mask - 1;
        }
      }
    }
    return;
  }
#endif
  if (!fold_ && first_bytes_.size() <= kMemchrFirstBytes) {
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
  const char* p = text.data() + i;
  const uint16_t b = fold_ ? bigram(ascii_lower(p[0]), ascii_lower(p[1])) : bigram(p[0], p[1]);
  if ((bigram_bits_[b >> 6] & (uint64_t{1} << (b & 63))) == 0) return;
  check_group(groups_[group_of_.at(b)], text, i, out);
}

// The group's bigram is at text[i] (under folding, when fold_).
void LiteralSet::check_group(const Group& g, std::string_view text, std::size_t i,
                             std::vector<uint32_t>* out) const {
  const std::size_t left = text.size() - i;
  const char* p = text.data() + i;
  if (left < g.common) return;  // every literal of the group is at least `common` long
  if (fold_) {
    // The SSE2 filter let a letter's other case through, and a non-letter that equals a letter
    // with 0x20 set: the bigram itself is checked here.
    if (ascii_lower(p[0]) != g.lits.front().text[0] || ascii_lower(p[1]) != g.lits.front().text[1])
      return;
  }
  if (!same(p + 2, g.lits.front().text.data() + 2, g.common - 2, fold_)) return;
  const int16_t at = left > g.common
                         ? static_cast<int16_t>(
                               static_cast<uint8_t>(fold_ ? ascii_lower(p[g.common]) : p[g.common]))
                         : int16_t{-2};  // no byte there: only literals of `common` bytes
  for (std::size_t k = 0; k < g.lits.size(); ++k) {
    const int16_t nb = g.next[k];
    if (nb != -1 && nb != at) continue;
    const Lit& l = g.lits[k];
    if (seen_[l.index] != 0) continue;
    if (nb != -1) {
      const std::size_t from = g.common + 1;
      if (left < l.text.size() ||
          !same(p + from, l.text.data() + from, l.text.size() - from, fold_))
        continue;
    }
    seen_[l.index] = 1;
    out->push_back(l.index);
  }
}

}  // namespace sentinel::detect
