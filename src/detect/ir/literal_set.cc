#include "detect/ir/literal_set.h"

#include <cstring>

namespace sentinel::detect {

namespace {

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
