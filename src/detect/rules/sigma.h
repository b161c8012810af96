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
/// the mistake. Nothing is ever skipped silently. Correlation documents (`correlation:`) become
/// stateful rules over the detection rules of the same text they name (docs/sigma.md).
bool load_sigma(const std::string& yaml_text, const std::string& source, std::vector<Rule>* out,
                std::string* error);

/// One file of a Sigma compatibility check.
struct SigmaFileResult {
  std::string path;
  bool loaded = false;
  std::size_t rules = 0;         ///< rules it yields (detection rules and correlations)
  std::size_t correlations = 0;  ///< of which correlations (stateful)
  std::string error;             ///< the refusal, naming the file, the rule and the feature
  std::string reason;            ///< the refusal without the file and rule, for grouping
};

/// What `sentinel rules check --sigma` reports: every .yml/.yaml file under a folder (sorted),
/// each loaded as one unit with load_sigma.
struct SigmaDirReport {
  std::vector<SigmaFileResult> files;
  std::size_t loaded = 0;
  std::size_t refused = 0;
  std::string error;  ///< the path itself cannot be read
};

/// Loads every Sigma file under `path` (a folder, walked recursively, or one file).
SigmaDirReport check_sigma_dir(const std::string& path);

/// Severity of a Sigma `level` (informational 1, low 2, medium 5, high 8, critical 9.5); false
/// for an unknown level.
bool sigma_level_severity(const std::string& level, double* out);

}  // namespace sentinel::detect
