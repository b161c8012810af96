#pragma once
/// The Sigma front end: SigmaHQ-style rules for AWS CloudTrail (`logsource: {product: aws,
/// service: cloudtrail}`) compiled to the predicate IR. What is supported, how values match and
/// what is refused is documented in docs/sigma.md.
#include <string>
#include <vector>

#include "detect/rules/rule.h"

namespace sentinel::detect {

/// Loads every rule of `yaml_text` (one or more YAML documents; one Rule per document with a
/// `detection`). `source` names the file in messages and in Rule::source. Appends to *out and
/// returns true when every document loads; otherwise returns false, appends nothing and sets
/// *error to a message naming the file, the rule (title and id) and the unsupported feature or
/// the mistake. Nothing is ever skipped silently.
bool load_sigma(const std::string& yaml_text, const std::string& source, std::vector<Rule>* out,
                std::string* error);

/// Severity of a Sigma `level` (informational 1, low 2, medium 5, high 8, critical 9.5); false
/// for an unknown level.
bool sigma_level_severity(const std::string& level, double* out);

}  // namespace sentinel::detect
