#pragma once
/// Rules' compiled predicates as flat runs of small tests, for the engine's per-event path.
///
/// A predicate tree touches many scattered cache lines per evaluation (each node, its children
/// array, each comparison's pattern vector and strings) and goes through several calls per
/// comparison. Here a rule's match is the run of its top-level conjuncts, each a 24-byte test
/// whose patterns sit in one shared arena of words: the rules an event meets (those of one
/// eventName bucket) are a few contiguous lines. The fast tests compare a CloudTrail field the
/// parser extracted (FieldRef::ct_field): equality, prefix, suffix, substring (case-sensitive or
/// folded), and IPv4 networks as (base, mask) integers against the source address the parser
/// already parsed. Whenever a fast test cannot decide exactly as Predicate::eval would (another
/// log type, an Insights record's name or source, an empty extracted value, which only the
/// record's JSON tells apart, a source that is not an IP address), it evaluates its comparison's
/// own tree; everything else (functions, lists, regexes, JSON paths, OR / NOT) is a tree test.
#include <cstdint>
#include <vector>

#include "detect/ir/predicate.h"

namespace sentinel::detect {

struct FlatTest {
  enum class Kind : uint8_t { kTree, kFalse, kEq, kStartsWith, kEndsWith, kContains, kCidr4 };
  Kind kind = Kind::kTree;
  uint8_t ct_field = 0;
  bool negate = false;
  bool case_insensitive = false;  ///< patterns lowercased; the text's ASCII letters folded
  uint32_t count = 0;             ///< patterns
  uint32_t words = 0;             ///< where the patterns start in FlatProgram::arena
  /// The comparison (or subtree) itself: evaluated for kTree and whenever a fast test cannot
  /// decide. Owned by the caller of FlatProgram::add.
  const Predicate* pred = nullptr;
};

/// Tests of any number of rules, and their patterns.
struct FlatProgram {
  /// Patterns: kCidr4, one word per network, (base << 32) | mask; strings, a word holding the
  /// length, then the bytes in as many words as they need.
  std::vector<uint64_t> arena;
  std::vector<FlatTest> tests;

  /// Appends the tests of `p` (one per conjunct of a top-level AND, in order; otherwise `p` as
  /// one test; none for `true`) and returns how many. `p` must outlive the program.
  uint32_t add(const Predicate& p);
  /// Whether every test of [first, first + n) holds for the event: exactly Predicate::eval of
  /// the predicate they were made from.
  bool eval(uint32_t first, uint32_t n, const EventView& ev, const EvalContext& ctx) const;

 private:
  FlatTest compile(const Predicate& c);
};

}  // namespace sentinel::detect
