#pragma once
/// Many literal string tests against one text at once: equals, starts with, ends with and
/// contains, for the field prefilter (rules no eventName index can place, such as thirty user
/// agent substrings). Contains is found with a bigram filter: one table lookup per text byte,
/// and only positions whose first two bytes start some literal are compared. Bytes, not
/// characters (as the rules compare them); case folding is the caller's (lowercase both).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sentinel::detect {

class LiteralSet {
 public:
  enum class Op : uint8_t { kEq, kStartsWith, kEndsWith, kContains };
  /// Adds a literal; returns its index (0, 1, ... in order of addition).
  uint32_t add(Op op, std::string_view literal);
  /// Appends the index of every literal that matches `text` (each at most once) to *out.
  void match(std::string_view text, std::vector<uint32_t>* out) const;
  std::size_t size() const { return count_; }

 private:
  struct Lit {
    std::string text;
    uint32_t index;
  };
  uint32_t count_ = 0;
  std::unordered_map<std::string, std::vector<uint32_t>> eq_;
  std::vector<Lit> starts_;
  std::vector<Lit> ends_;
  std::vector<Lit> short_contains_;  // 0 or 1 byte: tested directly
  // Contains literals of 2+ bytes, grouped by their first two bytes.
  std::vector<uint64_t> bigram_bits_ = std::vector<uint64_t>(65536 / 64, 0);
  std::unordered_map<uint16_t, std::vector<Lit>> by_bigram_;
  std::string first_bytes_;  // distinct first bytes of those literals
  // With few distinct first bytes, the text is searched for them with memchr (vectorised)
  // instead of testing every position.
  static constexpr std::size_t kMemchrFirstBytes = 4;
  void check_at(std::string_view text, std::size_t i, std::vector<uint32_t>* out) const;
  mutable std::vector<uint8_t> seen_;  // per match() call: literal already reported
};

}  // namespace sentinel::detect
