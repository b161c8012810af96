#pragma once
/// Many literal string tests against one text at once: equals, starts with, ends with and
/// contains, for the field prefilter (rules no eventName index can place, such as thirty user
/// agent substrings). Contains is found with a bigram filter: one table lookup per text byte,
/// and only positions whose first two bytes start some literal are compared. Bytes, not
/// characters (as the rules compare them).
///
/// Case: by default both sides are compared as they are (a caller wanting case-insensitive
/// matching lowercases both). A set built with `fold_case` matches the text as if its ASCII
/// letters were lowercase, without a lowered copy of it: its literals are given lowercased
/// (a literal with an uppercase ASCII letter then never matches, as against a lowered text).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sentinel::detect {

class LiteralSet {
 public:
  enum class Op : uint8_t { kEq, kStartsWith, kEndsWith, kContains };
  LiteralSet() = default;
  explicit LiteralSet(bool fold_case) : fold_(fold_case) {}
  /// Adds a literal; returns its index (0, 1, ... in order of addition).
  uint32_t add(Op op, std::string_view literal);
  /// Appends the index of every literal that matches `text` (each at most once) to *out.
  void match(std::string_view text, std::vector<uint32_t>* out) const;
  std::size_t size() const { return count_; }
  bool fold_case() const { return fold_; }

 private:
  struct Lit {
    std::string text;
    uint32_t index;
  };
  // Contains literals of 2+ bytes with the same first two bytes. They share their first
  // `common` bytes (thirty "scanner-N" share "scanner-"): a candidate position compares those
  // once, then each literal's byte at `common` (`next`, -1 for a literal of `common` bytes)
  // before the rest of it.
  struct Group {
    uint16_t bigram = 0;
    std::size_t common = 0;
    std::vector<Lit> lits;
    std::vector<int16_t> next;
  };
  bool fold_ = false;
  uint32_t count_ = 0;
  std::unordered_map<std::string, std::vector<uint32_t>> eq_;
  std::vector<Lit> starts_;
  std::vector<Lit> ends_;
  std::vector<Lit> short_contains_;  // 0 or 1 byte: tested directly
  // Contains literals of 2+ bytes, grouped by their first two bytes.
  std::vector<uint64_t> bigram_bits_ = std::vector<uint64_t>(65536 / 64, 0);
  std::vector<Group> groups_;
  std::unordered_map<uint16_t, uint32_t> group_of_;  // bigram -> index in groups_
  std::string first_bytes_;                          // distinct first bytes of those literals
  // With few distinct first bytes, the text is searched for them with memchr (vectorised)
  // instead of testing every position.
  static constexpr std::size_t kMemchrFirstBytes = 4;
  void check_group(const Group& g, std::string_view text, std::size_t i,
                   std::vector<uint32_t>* out) const;
  void check_at(std::string_view text, std::size_t i, std::vector<uint32_t>* out) const;
  mutable std::vector<uint8_t> seen_;  // per match() call: literal already reported
  mutable std::string key_buf_;        // the (folded) text for the equality lookup
};

}  // namespace sentinel::detect
