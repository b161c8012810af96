#pragma once
/// Suppression rules with GuardDuty's filter semantics (a saved filter with action ARCHIVE):
/// a finding that matches a rule is archived, kept and counted, but not alerted on.
#include <optional>
#include <string>
#include <vector>

#include "findings/finding.h"

namespace YAML {
class Node;
}

namespace sentinel::findings {

/// GuardDuty's limits on one filter.
inline constexpr std::size_t kMaxCriteria = 50;
inline constexpr std::size_t kMaxConditionValues = 50;

/// The condition on one attribute. Every operator present must hold (AND); the values of one
/// list operator are alternatives (OR). An attribute that is missing from the finding fails
/// equals, matches and the comparisons, and passes notEquals and notMatches.
struct Condition {
  std::vector<std::string> equals;       ///< some value equals one of these
  std::vector<std::string> not_equals;   ///< no value equals any of these
  std::vector<std::string> matches;      ///< some value matches one of these `*` patterns
  std::vector<std::string> not_matches;  ///< no value matches any of these patterns
  /// Numeric bounds. A value compares as a number when it is a JSON number, a numeric string
  /// or an ISO 8601 time (epoch milliseconds, so `updatedAt` can be bounded).
  std::optional<double> greater_than;
  std::optional<double> greater_than_or_equal;
  std::optional<double> less_than;
  std::optional<double> less_than_or_equal;
};

/// One attribute (a dotted path into the finding's GuardDuty JSON, `resource.resourceType`)
/// and its condition. Arrays on the path are searched element by element, so
/// `resource.instanceDetails.tags.value` reaches every tag.
struct Criterion {
  std::string attribute;
  Condition condition;
};

/// A named rule: every criterion must match (AND across attributes).
struct SuppressionRule {
  std::string name;
  std::string description;
  std::vector<Criterion> criteria;
};

/// True when `f` matches `rule`.
bool matches(const Finding& f, const SuppressionRule& rule);

/// Archives `f` when it matches one of `rules` (the first in order names itself in
/// `suppressed_by`). Returns whether it did. Renders `f` as GuardDuty JSON at most once, and
/// only when a rule needs an attribute beyond the top-level ones.
bool suppress(Finding& f, const std::vector<SuppressionRule>& rules);

/// GuardDuty's wildcard match: `*` matches any run of characters (also none), everything else
/// matches itself, case-sensitively, over the whole value.
bool wildcard_match(std::string_view pattern, std::string_view value);

/// Reads the `suppression:` list of sentinel.yaml into `out` (appending). Each rule is a map
/// with `name` (unique), optional `description`, optional `action` (only ARCHIVE) and
/// `criteria` (or GuardDuty's `findingCriteria: {criterion: ...}`): attribute → {operator:
/// value(s)}. Operators: equals/eq, notEquals/neq, greaterThan/gt, greaterThanOrEqual/gte,
/// lessThan/lt, lessThanOrEqual/lte, matches, notMatches (a leading capital is accepted, as in
/// CloudFormation). A null node is an empty list. On error returns false with `*error` naming
/// the key and the problem (`suppression[2].criteria.severity: 'gte' needs a number`).
bool parse_suppression_rules(const YAML::Node& node, std::vector<SuppressionRule>* out,
                             std::string* error);

}  // namespace sentinel::findings
