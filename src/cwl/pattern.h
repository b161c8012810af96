#pragma once
/// CloudWatch Logs filter patterns (the language of metric filters, subscription filters and
/// FilterLogEvents), compiled to the engine's predicate IR (detect/ir/predicate.h).
///
/// Kinds, chosen by the first non-blank character (docs/filters.md):
/// - `{ ... }` JSON: `$.a.b[0]`, `$.a[*].b`, `$.['k.dots']` selectors; `= != < <= > >=`,
///   `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`; `&&` binds tighter than `||`; parentheses;
///   values quoted, bare (dots, dashes, `*` wildcards), numeric, `*`, or `%regex%`.
/// - `[ ... ]` space-delimited: names bound to the message's space-separated fields, `...`
///   skipping any number, conditions on a position combined with `&&` / `||`.
/// - `%regex%` alone: an RE2 search of the message.
/// - anything else: terms (`ERROR`, `"a phrase"`, `?any ?of`, `-not`); empty matches everything.
///
/// The message is the event's record text: the CloudTrail, Route 53 or GuardDuty JSON record as
/// written, or the flow-log line. Matching is case-sensitive.
///
/// Thread-safety: a compiled Pattern is immutable; matches() may run on many threads at once.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/event_view.h"
#include "detect/ir/predicate.h"

namespace sentinel::cwl {

enum class PatternKind : uint8_t { kAll, kTerms, kRegex, kJson, kDelimited };

/// `json`, `delimited`, `regex`, `terms`, `all`.
std::string_view pattern_kind_name(PatternKind k);

/// Where and why a pattern does not parse. `position` is a 0-based character offset.
struct PatternError {
  std::size_t position = 0;
  std::string message;
  /// `at character N: message` (1-based, as people count).
  std::string to_string() const;
};

/// A value read from an event for a metric (`$.latency`, `$bytes`).
struct Extracted {
  bool present = false;
  bool is_number = false;
  double number = 0;
  std::string text;
};

class Pattern {
 public:
  Pattern();
  ~Pattern();
  Pattern(Pattern&&) noexcept;
  Pattern& operator=(Pattern&&) noexcept;
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  /// Compiles `text`; false with *error set when it is not a valid pattern.
  static bool compile(std::string_view text, Pattern* out, PatternError* error);

  /// True when the event matches.
  bool matches(const detect::EventView& ev) const;

  PatternKind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  /// The compiled predicate (for `sentinel filter --explain` and tests).
  const detect::Predicate& predicate() const { return pred_; }
  /// Names bound by a space-delimited pattern, in order (`...` excluded).
  const std::vector<std::string>& delimited_names() const { return names_; }

  /// For a JSON pattern: strings such that a JSON record (CloudTrail, Route 53, GuardDuty) whose
  /// bytes hold no backslash can match only if its bytes hold one of them, as written (every
  /// value the pattern can match is a string in the record, equal to or containing one of them).
  /// False when there is no such set (a `!=`, `NOT`, number, regex, `IS ...`, a test of the
  /// source's metadata like `$.account`, an `||` with such a side, or more than 8 strings).
  /// `sentinel filter` hands them to the parser (ParseOptions::skip_unless).
  bool required_literals(std::vector<std::string>* out) const;

  /// Checks that `selector` (`$.field` for JSON patterns, `$name` for space-delimited ones) can
  /// be read from events this pattern matches; false with *error set otherwise.
  bool check_selector(std::string_view selector, std::string* error) const;
  /// Reads `selector` from `ev` (check it first with check_selector).
  Extracted extract(const detect::EventView& ev, std::string_view selector) const;

 private:
  friend class Compiler;
  PatternKind kind_ = PatternKind::kAll;
  std::string text_;
  detect::Predicate pred_;
  std::vector<std::string> names_;
  bool has_ellipsis_ = false;
  std::size_t ellipsis_at_ = 0;  // names before the `...`
  // The functions the predicate calls (message text, delimited fields); owned here so their
  // addresses stay valid when the Pattern moves.
  std::vector<std::unique_ptr<detect::Function>> functions_;
};

/// The event's message as CloudWatch Logs would hold it: the JSON record (CloudTrail, Route 53,
/// GuardDuty) or the flow-log line. Views the event's bytes; `buf` is unused today but reserved
/// for sources without a single record text.
std::string_view message_text(const detect::EventView& ev, std::string* buf);

/// Splits a space-delimited message into fields as CloudWatch does: runs of spaces separate;
/// `"..."` and `[...]` are one field each, without their quotes or brackets. Calls `visit(i,
/// field)` for each and returns the count.
template <typename Visit>
std::size_t split_delimited(std::string_view msg, Visit&& visit);

}  // namespace sentinel::cwl

#include "cwl/pattern_inl.h"
