#pragma once
/// The native YAML rule format (docs/rules.md) and the rules folder loader.
#include <map>
#include <string>
#include <vector>

#include "detect/rules/rule.h"

namespace YAML {
class Node;
}

namespace sentinel::detect {

/// Problems found while loading: each names the file, the rule and the key.
struct LoadErrors {
  std::vector<std::string> messages;
  bool empty() const { return messages.empty(); }
};

/// Definitions shared by the rules of a set: macros (named match expressions) and lists (named
/// value lists written in rule files).
struct RuleDefs {
  std::map<std::string, YAML::Node> macros;
  std::map<std::string, std::vector<std::string>> lists;
};

/// Loads every rule under `path` (a .yml/.yaml file or a folder, walked recursively, sorted):
/// native rules, macro and list documents, and Sigma rules (recognised by `logsource` +
/// `detection`). Returns the rules that loaded; every refusal is in *errors.
std::vector<Rule> load_rules(const std::string& path, LoadErrors* errors);

struct LoadOptions {
  /// Read the rules' embedded tests. Detection never runs them and they are most of a pack's
  /// bytes: without them, top-level `tests:` blocks are cut from the text before the YAML parse
  /// (the whole text is parsed when the cut one does not parse), and rules carry no tests.
  bool tests = true;
  /// Read rule files with the fast reader of the YAML subset rule packs use
  /// (detect/rules/yaml_lite.h) and compile the rules from its trees (yaml-cpp reads the files
  /// it declines, copied into the same trees, and Sigma documents). The rules, and every
  /// refusal, are the same either way: a load that refuses anything is done again with yaml-cpp
  /// alone, so messages (with yaml-cpp's line and column) come from yaml-cpp's trees.
  bool fast_yaml = true;
  /// With fast_yaml: a load that refuses anything is done again with yaml-cpp (always, but in
  /// tests that check the fast load alone: then its own refusals are returned).
  bool redo_refusals = true;
};
std::vector<Rule> load_rules(const std::string& path, LoadErrors* errors,
                             const LoadOptions& options);

/// Compiles one native rule document. `source` names it in errors.
bool compile_native_rule(const YAML::Node& doc, const RuleDefs& defs, const std::string& source,
                         Rule* out, std::string* error);

/// Compiles a match expression (exposed for tests and suppression-like filters).
bool compile_match(const YAML::Node& expr, const RuleDefs& defs, Predicate* out,
                   std::string* error);

/// Converts a YAML node to JSON text (plain scalars that look like numbers, booleans or null
/// become those; quoted scalars stay strings). For embedded test events.
std::string yaml_to_json(const YAML::Node& node);

/// Finds the eventName values a predicate requires at its top level (lowercased), for the index.
std::vector<std::string> required_event_names(const Predicate& p);

}  // namespace sentinel::detect
