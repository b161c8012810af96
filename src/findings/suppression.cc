#include "findings/suppression.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/json_writer.h"
#include "core/time.h"
#include "findings/formats/guardduty.h"

namespace sentinel::findings {

namespace {

// One value found at an attribute path: its text (strings as they are, numbers in JSON's
// shortest form, booleans as true/false) and, when it reads as one, a number.
struct Leaf {
  std::string text;
  std::optional<double> number;
  bool json_number = false;
};

std::optional<double> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v)) return v;
  return std::nullopt;
}

// Numbers, numeric strings (`"16509"`), and ISO 8601 times as epoch milliseconds.
std::optional<double> numeric_value(std::string_view s) {
  if (auto n = parse_number(s)) return n;
  int64_t ms = 0;
  if (s.size() >= 10 && parse_iso8601_ms(s, &ms)) return static_cast<double>(ms);
  return std::nullopt;
}

Leaf number_leaf(double v) {
  Leaf l;
  JsonWriter(&l.text).number(v);
  l.number = v;
  l.json_number = true;
  return l;
}

Leaf string_leaf(std::string_view s) {
  Leaf l;
  l.text = std::string(s);
  l.number = numeric_value(s);
  return l;
}

void split_path(std::string_view path, std::vector<std::string_view>* segs) {
  segs->clear();
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    segs->push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
}

bool valid_path(std::string_view path) {
  if (path.empty()) return false;
  std::vector<std::string_view> segs;
  split_path(path, &segs);
  return std::none_of(segs.begin(), segs.end(), [](std::string_view s) { return s.empty(); });
}

void collect(simdjson::dom::element e, const std::vector<std::string_view>& segs, std::size_t i,
             std::vector<Leaf>* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY:
      // Arrays on the way (and at the end) are searched element by element.
      {
        simdjson::dom::array items = e.get_array().value_unsafe();
        for (simdjson::dom::element x : items) collect(x, segs, i, out);
        return;
      }
    case element_type::OBJECT: {
      if (i == segs.size()) return;  // an object is not a comparable value
      simdjson::dom::element child;
      simdjson::dom::object obj = e.get_object().value_unsafe();
      if (obj.at_key(segs[i]).get(child) == simdjson::SUCCESS) {
        collect(child, segs, i + 1, out);
      }
      return;
    }
    default:
      break;
  }
  if (i != segs.size()) return;
  switch (e.type()) {
    case element_type::STRING:
      out->push_back(string_leaf(e.get_string().value_unsafe()));
      break;
    case element_type::INT64:
      out->push_back(number_leaf(static_cast<double>(e.get_int64().value_unsafe())));
      break;
    case element_type::UINT64:
      out->push_back(number_leaf(static_cast<double>(e.get_uint64().value_unsafe())));
      break;
    case element_type::DOUBLE:
      out->push_back(number_leaf(e.get_double().value_unsafe()));
      break;
    case element_type::BOOL: {
      Leaf l;
      l.text = e.get_bool().value_unsafe() ? "true" : "false";
      out->push_back(std::move(l));
      break;
    }
    default:  // null: no value, as if missing
      break;
  }
}

// The finding as the criteria see it: top-level members straight from the struct, anything
// else from its GuardDuty JSON, rendered and parsed once, on first need.
class FindingView {
 public:
  explicit FindingView(const Finding& f) : f_(f) {}

  void values(const std::string& attribute, std::vector<Leaf>* out) {
    out->clear();
    if (attribute == "type") return out->push_back(plain(f_.type));
    if (attribute == "severity") return out->push_back(number_leaf(f_.severity));
    if (attribute == "accountId") return out->push_back(plain(f_.account_id));
    if (attribute == "region") return out->push_back(plain(f_.region));
    if (attribute == "id") return out->push_back(plain(f_.id));
    if (!rendered_) render();
    if (!parsed_) return;
    split_path(attribute, &segs_);
    collect(root_, segs_, 0, out);
  }

 private:
  static Leaf plain(std::string_view s) { return string_leaf(s); }

  void render() {
    rendered_ = true;
    write_guardduty(f_, &json_);
    // One parser per thread: suppression runs once per finding on the hot path.
    thread_local simdjson::dom::parser parser;
    parsed_ = parser.parse(json_).get(root_) == simdjson::SUCCESS;
  }

  const Finding& f_;
  bool rendered_ = false;
  bool parsed_ = false;
  std::string json_;
  simdjson::dom::element root_;
  std::vector<std::string_view> segs_;
};

bool equal(const Leaf& leaf, const std::string& want) {
  if (leaf.text == want) return true;
  if (leaf.json_number) {
    auto n = parse_number(want);
    return n && *n == *leaf.number;
  }
  return false;
}

bool any_equal(const std::vector<Leaf>& leaves, const std::vector<std::string>& wants) {
  for (const Leaf& l : leaves) {
    for (const auto& w : wants) {
      if (equal(l, w)) return true;
    }
  }
  return false;
}

bool any_match(const std::vector<Leaf>& leaves, const std::vector<std::string>& patterns) {
  for (const Leaf& l : leaves) {
    for (const auto& p : patterns) {
      if (wildcard_match(p, l.text)) return true;
    }
  }
  return false;
}

bool holds(const Condition& c, const std::vector<Leaf>& leaves) {
  if (!c.equals.empty() && !any_equal(leaves, c.equals)) return false;
  if (!c.not_equals.empty() && any_equal(leaves, c.not_equals)) return false;
  if (!c.matches.empty() && !any_match(leaves, c.matches)) return false;
  if (!c.not_matches.empty() && any_match(leaves, c.not_matches)) return false;
  if (c.greater_than || c.greater_than_or_equal || c.less_than || c.less_than_or_equal) {
    // One value must satisfy every bound (`gte: 4, lt: 7` is a band, not two separate tests).
    bool found = std::any_of(leaves.begin(), leaves.end(), [&](const Leaf& l) {
      if (!l.number) return false;
      double v = *l.number;
      return (!c.greater_than || v > *c.greater_than) &&
             (!c.greater_than_or_equal || v >= *c.greater_than_or_equal) &&
             (!c.less_than || v < *c.less_than) &&
             (!c.less_than_or_equal || v <= *c.less_than_or_equal);
    });
    if (!found) return false;
  }
  return true;
}

bool rule_matches(FindingView& view, const SuppressionRule& rule, std::vector<Leaf>* scratch) {
  if (rule.criteria.empty()) return false;  // an empty filter would archive everything
  for (const Criterion& c : rule.criteria) {
    view.values(c.attribute, scratch);
    if (!holds(c.condition, *scratch)) return false;
  }
  return true;
}

// ---- YAML ----

enum class Op {
  kEquals,
  kNotEquals,
  kMatches,
  kNotMatches,
  kGreaterThan,
  kGreaterThanOrEqual,
  kLessThan,
  kLessThanOrEqual,
};

std::optional<Op> operator_named(std::string name) {
  if (!name.empty() && name[0] >= 'A' && name[0] <= 'Z') name[0] = static_cast<char>(name[0] + 32);
  if (name == "equals" || name == "eq") return Op::kEquals;
  if (name == "notEquals" || name == "neq") return Op::kNotEquals;
  if (name == "matches") return Op::kMatches;
  if (name == "notMatches") return Op::kNotMatches;
  if (name == "greaterThan" || name == "gt") return Op::kGreaterThan;
  if (name == "greaterThanOrEqual" || name == "gte") return Op::kGreaterThanOrEqual;
  if (name == "lessThan" || name == "lt") return Op::kLessThan;
  if (name == "lessThanOrEqual" || name == "lte") return Op::kLessThanOrEqual;
  return std::nullopt;
}

bool fail(std::string* error, const std::string& where, const std::string& what) {
  if (error) *error = where + ": " + what;
  return false;
}

bool parse_list(const YAML::Node& v, const std::string& where, const std::string& op,
                std::vector<std::string>* out, std::string* error) {
  const std::size_t before = out->size();
  if (v.IsScalar()) {
    out->push_back(v.Scalar());
  } else if (v.IsSequence()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) {
        return fail(error, where, "'" + op + "' needs a string or a list of strings");
      }
      out->push_back(v[i].Scalar());
    }
  } else {
    return fail(error, where, "'" + op + "' needs a string or a list of strings");
  }
  if (out->size() == before) return fail(error, where, "'" + op + "' needs at least one value");
  if (out->size() > kMaxConditionValues) {
    return fail(error, where,
                "'" + op + "' has " + std::to_string(out->size()) + " values, at most " +
                    std::to_string(kMaxConditionValues) + " are allowed");
  }
  return true;
}

bool parse_bound(const YAML::Node& v, const std::string& where, const std::string& op,
                 std::optional<double>* out, std::string* error) {
  std::optional<double> n;
  if (v.IsScalar()) n = numeric_value(v.Scalar());
  if (!n) return fail(error, where, "'" + op + "' needs a number");
  if (out->has_value()) return fail(error, where, "'" + op + "' repeats a bound already given");
  *out = n;
  return true;
}

bool parse_condition(const YAML::Node& node, const std::string& where, Condition* c,
                     std::string* error) {
  if (!node.IsMap() || node.size() == 0) {
    return fail(error, where,
                "expected a map of operator to value(s), e.g. {equals: [...]} or {gte: 7}");
  }
  for (const auto& kv : node) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    auto op = operator_named(name);
    if (!op) {
      return fail(error, where,
                  "unknown operator '" + name +
                      "' (expected equals, notEquals, greaterThan, greaterThanOrEqual, "
                      "lessThan, lessThanOrEqual, matches, notMatches or eq, neq, gt, gte, lt, "
                      "lte)");
    }
    const YAML::Node& v = kv.second;
    bool ok = true;
    switch (*op) {
      case Op::kEquals:
        ok = parse_list(v, where, name, &c->equals, error);
        break;
      case Op::kNotEquals:
        ok = parse_list(v, where, name, &c->not_equals, error);
        break;
      case Op::kMatches:
        ok = parse_list(v, where, name, &c->matches, error);
        break;
      case Op::kNotMatches:
        ok = parse_list(v, where, name, &c->not_matches, error);
        break;
      case Op::kGreaterThan:
        ok = parse_bound(v, where, name, &c->greater_than, error);
        break;
      case Op::kGreaterThanOrEqual:
        ok = parse_bound(v, where, name, &c->greater_than_or_equal, error);
        break;
      case Op::kLessThan:
        ok = parse_bound(v, where, name, &c->less_than, error);
        break;
      case Op::kLessThanOrEqual:
        ok = parse_bound(v, where, name, &c->less_than_or_equal, error);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool parse_criteria(const YAML::Node& node, const std::string& where, std::vector<Criterion>* out,
                    std::string* error) {
  if (!node.IsMap() || node.size() == 0) {
    return fail(error, where, "needs at least one attribute (attribute: {operator: value})");
  }
  if (node.size() > kMaxCriteria) {
    return fail(error, where,
                std::to_string(node.size()) + " attributes, at most " +
                    std::to_string(kMaxCriteria) + " are allowed");
  }
  for (const auto& kv : node) {
    const std::string attribute = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const std::string at = where + "." + attribute;
    if (!valid_path(attribute)) return fail(error, at, "not a dotted attribute path");
    for (const Criterion& seen : *out) {
      if (seen.attribute == attribute) return fail(error, at, "attribute given twice");
    }
    Criterion c;
    c.attribute = attribute;
    if (!parse_condition(kv.second, at, &c.condition, error)) return false;
    out->push_back(std::move(c));
  }
  return true;
}

bool parse_rule(const YAML::Node& node, const std::string& where, SuppressionRule* rule,
                std::string* error) {
  if (!node.IsMap()) return fail(error, where, "expected a map with name and criteria");
  bool have_criteria = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const std::string at = where + "." + key;
    const YAML::Node& v = kv.second;
    if (key == "name") {
      if (!v.IsScalar() || v.Scalar().empty()) return fail(error, at, "needs a non-empty string");
      rule->name = v.Scalar();
    } else if (key == "description") {
      if (!v.IsScalar()) return fail(error, at, "needs a string");
      rule->description = v.Scalar();
    } else if (key == "action") {
      if (!v.IsScalar() || v.Scalar() != "ARCHIVE") {
        return fail(error, at,
                    "'" + (v.IsScalar() ? v.Scalar() : std::string("?")) +
                        "' is not supported (a suppression rule archives: use ARCHIVE or leave "
                        "it out)");
      }
    } else if (key == "criteria") {
      if (have_criteria) return fail(error, at, "criteria given twice");
      have_criteria = true;
      if (!parse_criteria(v, at, &rule->criteria, error)) return false;
    } else if (key == "findingCriteria") {
      if (have_criteria) return fail(error, at, "criteria given twice");
      have_criteria = true;
      if (!v.IsMap() || !v["criterion"]) {
        return fail(error, at, "expected {criterion: {attribute: {operator: value}}}");
      }
      if (!parse_criteria(v["criterion"], at + ".criterion", &rule->criteria, error)) {
        return false;
      }
    } else {
      return fail(error, at,
                  "unknown key (expected name, description, action, criteria or "
                  "findingCriteria)");
    }
  }
  if (rule->name.empty()) return fail(error, where + ".name", "missing (every rule needs a name)");
  if (!have_criteria) {
    return fail(error, where + ".criteria",
                "missing (a rule without criteria would suppress everything)");
  }
  return true;
}

}  // namespace

bool wildcard_match(std::string_view pattern, std::string_view value) {
  std::size_t p = 0, v = 0;
  std::size_t star = std::string_view::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (p < pattern.size() && pattern[p] == value[v]) {
      ++p;
      ++v;
    } else if (star != std::string_view::npos) {
      // Let the last star swallow one more character and retry.
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool matches(const Finding& f, const SuppressionRule& rule) {
  FindingView view(f);
  std::vector<Leaf> scratch;
  return rule_matches(view, rule, &scratch);
}

bool suppress(Finding& f, const std::vector<SuppressionRule>& rules) {
  if (rules.empty()) return false;
  FindingView view(f);
  std::vector<Leaf> scratch;
  for (const SuppressionRule& rule : rules) {
    if (rule_matches(view, rule, &scratch)) {
      f.archived = true;
      f.suppressed_by = rule.name;
      return true;
    }
  }
  return false;
}

bool parse_suppression_rules(const YAML::Node& node, std::vector<SuppressionRule>* out,
                             std::string* error) {
  if (!node.IsDefined() || node.IsNull()) return true;
  if (!node.IsSequence()) return fail(error, "suppression", "expected a list of rules");
  std::vector<SuppressionRule> rules;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = "suppression[" + std::to_string(i) + "]";
    SuppressionRule rule;
    if (!parse_rule(node[i], where, &rule, error)) return false;
    for (std::size_t j = 0; j < rules.size(); ++j) {
      if (rules[j].name == rule.name) {
        return fail(
            error, where + ".name",
            "'" + rule.name + "' is already the name of suppression[" + std::to_string(j) + "]");
      }
    }
    rules.push_back(std::move(rule));
  }
  for (auto& r : rules) out->push_back(std::move(r));
  return true;
}

}  // namespace sentinel::findings
