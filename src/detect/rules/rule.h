#pragma once
/// A compiled rule: what every front end (native YAML, Sigma, CloudWatch patterns) produces.
#include <cstdint>
#include <string>
#include <vector>

#include "detect/event_view.h"
#include "detect/ir/predicate.h"
#include "detect/state/stateful.h"
#include "ingest/event.h"

namespace sentinel::detect {

/// A text with `{field.path}` placeholders filled from an event (`{eventName} from
/// {sourceIPAddress}`), and `{count}`-style variables filled from a stateful hit.
struct Template {
  struct Part {
    bool is_field = false;
    std::string text;  ///< literal text, or the variable name when !is_field and var
    bool is_var = false;
    FieldRef field;
  };
  std::vector<Part> parts;
  /// Compiles `text`; false with *error when a placeholder is not a valid field.
  static bool compile(std::string_view text, Template* out, std::string* error);
  /// Renders with `ev` and `vars`. With no event, fields are looked up in `vars` by their name
  /// (stateful operators capture them), else render empty.
  std::string render(const EventView* ev,
                     const std::vector<std::pair<std::string, std::string>>& vars) const;
  bool empty() const { return parts.empty(); }
};

/// A JSON object whose string leaves are templates: how the finding's resource and action are
/// filled
/// (`{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"{userIdentity.accessKeyId}"}}`).
struct JsonTemplate {
  struct Node {
    enum class Kind : uint8_t { kObject, kArray, kString, kNumber, kBool, kNull };
    Kind kind = Kind::kNull;
    std::vector<std::pair<std::string, Node>> members;  ///< kObject
    std::vector<Node> items;                            ///< kArray
    Template text;                                      ///< kString
    double number = 0;
    bool boolean = false;
  };
  Node root;
  bool empty() const { return root.kind == Node::Kind::kNull; }
  /// Renders to JSON; strings that render empty are left out (so absent fields vanish).
  std::string render(const EventView* ev,
                     const std::vector<std::pair<std::string, std::string>>& vars) const;
};

/// Severity: a default, optionally overridden by the first matching case.
struct Severity {
  double value = 5.0;
  struct Case {
    Predicate when;
    double value = 0;
  };
  std::vector<Case> cases;
  double eval(const EventView* ev, const EvalContext& ctx) const;
};

/// An event in a rule's embedded test, and what it expects.
struct RuleTest {
  std::string name;
  std::vector<std::string>
      events_json;  ///< raw records (CloudTrail/Route 53/GuardDuty JSON) or flow lines
  ingest::LogType log_type = ingest::LogType::kCloudTrail;
  uint64_t expect_findings = 0;  ///< how many findings the events must raise
  std::string expect_type;       ///< when set, every finding has this type
  double expect_severity = -1;   ///< when ≥ 0, every finding has this severity
  /// Threat/trusted lists (`in_list: name`) the test's engine sees instead of the configured
  /// ones, when any are given: inline `values`, or a TXT `path` resolved against the rule file.
  struct List {
    std::string name;
    bool trusted = false;
    std::vector<std::string> values;
    std::string path;
  };
  std::vector<List> lists;
  /// An ip-ranges.json (AWS's format) for this test, resolved against the rule file: the test's
  /// engine gets the functions that need it (ip_class with "aws", aws_network, aws_service).
  std::string aws_ip_ranges;
};

struct Rule {
  std::string id;
  std::string source;  ///< file it came from (and document index), for messages
  std::string type;    ///< finding type
  Template title;
  Template description;
  Severity severity;
  std::vector<ingest::LogType> log_types;
  Predicate match;
  StatefulSpec stateful;
  std::vector<FieldRef> group_by;  ///< stateless rules: the finding's parameters (aggregation key)
  JsonTemplate resource;
  JsonTemplate action;
  std::string resource_role;  ///< ACTOR / TARGET, may be a template-free constant
  std::vector<std::string> tags;
  std::vector<RuleTest> tests;
  bool enabled = true;

  /// Lowercased eventName values the rule requires (from its predicate), for the index; empty
  /// means the rule must see every event of its log types.
  std::vector<std::string> index_names;
};

}  // namespace sentinel::detect
