#include "detect/rules/native.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>

#include "core/json_writer.h"
#include "detect/ir/rule_text.h"
#include "detect/rules/sigma.h"
#include "detect/rules/yaml_lite.h"

namespace sentinel::detect {

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// A map's values for a fixed set of keys, found in one pass over its pairs. yaml-cpp's const
// `node["key"]` compares the key with every pair (through a temporary Node and string) and,
// when the key is absent, formats it through a std::stringstream: ~3 000 instructions a lookup,
// ~12 000 lookups for 200 rules. As with node["key"]: the first pair of a repeated key wins and
// an absent key reads as an invalid node naming the key. A node that is not a map, or a key not
// named up front, is looked up through node[key] itself, so yaml-cpp's errors (a subscript on a
// scalar) are raised where and as they were.
class MapKeys {
 public:
  static constexpr std::size_t kMax = 16;

  MapKeys(const YAML::Node& node, std::initializer_list<std::string_view> keys)
      : node_(node), count_(keys.size()) {
    if (count_ > kMax || !node_.IsDefined() || !node_.IsMap()) {
      count_ = 0;
      return;
    }
    std::copy(keys.begin(), keys.end(), keys_.begin());
    is_map_ = true;
    std::size_t left = count_;
    for (auto it = node_.begin(); it != node_.end() && left > 0; ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& k = it->first.Scalar();
      for (std::size_t i = 0; i < count_; ++i) {
        if (!values_[i] && keys_[i] == k) {
          values_[i].emplace(it->second);  // copy-constructed: Node's operator= rebinds
          --left;
          break;
        }
      }
    }
  }

  YAML::Node operator[](std::string_view key) const {
    if (is_map_) {
      for (std::size_t i = 0; i < count_; ++i) {
        if (keys_[i] == key) return values_[i] ? *values_[i] : absent(key);
      }
    }
    return node_[std::string(key)];
  }

 private:
  // The invalid node const node["key"] returns for an absent key (its message names the key),
  // made once per key name.
  static YAML::Node absent(std::string_view key) {
    thread_local const YAML::Node empty(YAML::NodeType::Map);
    thread_local std::map<std::string, YAML::Node, std::less<>> made;
    auto it = made.find(key);
    if (it == made.end()) {
      const std::string k(key);
      it = made.emplace(k, empty[k]).first;
    }
    return it->second;
  }

  YAML::Node node_;
  std::size_t count_;
  bool is_map_ = false;
  std::array<std::string_view, kMax> keys_;
  std::array<std::optional<YAML::Node>, kMax> values_;
};

// MapKeys over a LiteNode: the same first-pair-wins lookups; a lookup yaml-cpp would answer by
// an exception or from a node that is not a map throws LiteShapeError (the load is then done
// again with yaml-cpp).
class LiteMapKeys {
 public:
  static constexpr std::size_t kMax = 16;

  LiteMapKeys(const LiteNode& node, std::initializer_list<std::string_view> keys)
      : count_(keys.size()) {
    if (count_ > kMax || !node.IsDefined() || !node.IsMap()) {
      count_ = 0;
      return;
    }
    std::copy(keys.begin(), keys.end(), keys_.begin());
    is_map_ = true;
    std::size_t left = count_;
    for (auto it = node.begin(); it != node.end() && left > 0; ++it) {
      const LiteItem kv = *it;
      if (!kv.first.IsScalar()) continue;
      const std::string& k = kv.first.Scalar();
      for (std::size_t i = 0; i < count_; ++i) {
        if (!values_[i] && keys_[i] == k) {
          values_[i] = kv.second;
          --left;
          break;
        }
      }
    }
  }

  LiteNode operator[](std::string_view key) const {
    if (is_map_) {
      for (std::size_t i = 0; i < count_; ++i) {
        if (keys_[i] == key) return values_[i];
      }
    }
    throw LiteShapeError("yaml: a lookup in a node that is not a map");
  }

 private:
  std::size_t count_;
  bool is_map_ = false;
  std::array<std::string_view, kMax> keys_;
  std::array<LiteNode, kMax> values_;
};

// The rule compiler below reads yaml-cpp's trees (YAML::Node: the slow load, whose exceptions
// name lines and columns) and the fast reader's (LiteNode) through the same code.
template <class N>
using KeysOf = std::conditional_t<std::is_same_v<N, LiteNode>, LiteMapKeys, MapKeys>;

template <class N>
N true_scalar() {
  if constexpr (std::is_same_v<N, LiteNode>) {
    return LiteNode::true_scalar();
  } else {
    return YAML::Node("true");
  }
}

// Definitions over the fast reader's trees (RuleDefs holds yaml-cpp's).
struct LiteRuleDefs {
  std::map<std::string, LiteNode> macros;
  std::map<std::string, std::vector<std::string>> lists;
};

template <class N>
bool scalar_number(const N& n, double* out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Parses durations like 90s, 5m, 2h, 7d, 1w (and plain seconds).
template <class N>
bool parse_duration(const N& n, int64_t* ms, std::string* error, const char* what) {
  if (!n.IsScalar()) {
    *error = std::string(what) + ": a duration such as 5m, 1h or 7d is expected";
    return false;
  }
  std::string s = n.Scalar();
  int64_t mult = 1000;
  if (!s.empty()) {
    switch (s.back()) {
      case 's':
        mult = 1000;
        s.pop_back();
        break;
      case 'm':
        mult = 60 * 1000;
        s.pop_back();
        break;
      case 'h':
        mult = 3600 * 1000;
        s.pop_back();
        break;
      case 'd':
        mult = 86400 * 1000;
        s.pop_back();
        break;
      case 'w':
        mult = 7 * 86400 * int64_t{1000};
        s.pop_back();
        break;
      default:
        break;
    }
  }
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0) {
    *error = std::string(what) + ": '" + n.Scalar() + "' is not a duration such as 5m, 1h or 7d";
    return false;
  }
  *ms = v * mult;
  return true;
}

bool field_ref(const std::string& name, FieldRef* out, std::string* error) {
  std::string e;
  if (!FieldRef::parse(name, out, &e)) {
    *error = "field '" + name + "': " + e;
    return false;
  }
  return true;
}

template <class N>
bool scalars_of(const N& n, std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return true;
  }
  if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) return false;
      out->push_back(item.Scalar());
    }
    return true;
  }
  return n.IsNull();
}

Predicate make_compare(const FieldRef& f, CmpOp op) {
  Predicate p;
  p.kind = Predicate::Kind::kCompare;
  p.field = f;
  p.op = op;
  return p;
}

void set_strings(Predicate* p, std::vector<std::string> values, bool ci) {
  p->case_insensitive = ci;
  if (ci) {
    for (auto& v : values) v = lower(v);
  }
  // Equality also compares numbers as numbers (22 == 22.0).
  p->numbers.clear();
  for (const auto& v : values) {
    double d;
    auto r = std::from_chars(v.data(), v.data() + v.size(), d);
    p->numbers.push_back(!v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size()
                             ? d
                             : std::numeric_limits<double>::quiet_NaN());
  }
  p->strings = std::move(values);
}

// One operator of a field's operator map, e.g. {neq: AwsServiceEvent} or {gte: 10, lt: 100}.
template <class N, class Defs>
bool compile_field_op(const FieldRef& f, const std::string& op, const N& v, const Defs& defs,
                      std::vector<Predicate>* out, std::string* error) {
  {
    std::vector<std::string> values;
    auto need_values = [&]() {
      if (!scalars_of(v, &values) || values.empty()) {
        *error = "'" + f.text + "': '" + op + "' needs a value or a list of values";
        return false;
      }
      return true;
    };
    bool ci = op.size() > 1 && op[0] == 'i' && op != "in" && op != "in_list" && op != "is_null";
    std::string base = ci ? op.substr(1) : op;
    if (op == "iin") base = "in";
    Predicate p;
    if (base == "eq" || base == "in" || base == "neq") {
      if (!need_values()) return false;
      p = make_compare(f, CmpOp::kEq);
      set_strings(&p, values, ci);
      p.negate = base == "neq";
    } else if (base == "contains" || base == "startswith" || base == "endswith" || base == "glob") {
      if (!need_values()) return false;
      p = make_compare(f, base == "contains"     ? CmpOp::kContains
                          : base == "startswith" ? CmpOp::kStartsWith
                          : base == "endswith"   ? CmpOp::kEndsWith
                                                 : CmpOp::kGlob);
      set_strings(&p, values, ci);
    } else if (op == "re") {
      if (!need_values()) return false;
      p = make_compare(f, CmpOp::kRegex);
      for (const auto& r : values) {
        auto re = std::make_shared<re2::RE2>(r, re2::RE2::Quiet);
        if (!re->ok()) {
          *error = "'" + f.text + "': bad regular expression '" + r + "': " + re->error();
          return false;
        }
        p.regexes.push_back(std::move(re));
      }
    } else if (op == "cidr") {
      if (!need_values()) return false;
      p = make_compare(f, CmpOp::kCidr);
      for (const auto& c : values) {
        Cidr cidr;
        if (!Cidr::parse(c, &cidr)) {
          *error = "'" + f.text + "': '" + c + "' is not a CIDR block";
          return false;
        }
        p.cidrs.push_back(cidr);
      }
    } else if (op == "exists" || op == "is_null") {
      if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
        *error = "'" + f.text + "': '" + op + "' takes true or false";
        return false;
      }
      p = make_compare(f, op == "exists" ? CmpOp::kExists : CmpOp::kIsNull);
      p.negate = v.Scalar() == "false";
    } else if (op == "lt" || op == "lte" || op == "gt" || op == "gte") {
      double d;
      if (!scalar_number(v, &d)) {
        *error = "'" + f.text + "': '" + op + "' needs a number";
        return false;
      }
      p = make_compare(f, op == "lt"    ? CmpOp::kLt
                          : op == "lte" ? CmpOp::kLe
                          : op == "gt"  ? CmpOp::kGt
                                        : CmpOp::kGe);
      p.numbers = {d};
    } else if (op == "in_list") {
      if (!v.IsScalar()) {
        *error = "'" + f.text + "': 'in_list' takes a list name";
        return false;
      }
      auto it = defs.lists.find(v.Scalar());
      if (it != defs.lists.end()) {
        p = make_compare(f, CmpOp::kEq);
        set_strings(&p, it->second, false);
      } else {
        p = make_compare(f, CmpOp::kInList);
        p.list = v.Scalar();
      }
    } else {
      *error = "'" + f.text + "': unknown operator '" + op +
               "' (eq, ieq, neq, in, iin, contains, startswith, endswith, glob (each with an i- "
               "form), re, cidr, exists, is_null, lt, lte, gt, gte, in_list)";
      return false;
    }
    out->push_back(std::move(p));
  }
  return true;
}

// One field's operator map.
template <class N, class Defs>
bool compile_field_ops(const FieldRef& f, const N& ops, const Defs& defs,
                       std::vector<Predicate>* out, std::string* error) {
  for (const auto& kv : ops) {
    if (!compile_field_op<N>(f, kv.first.Scalar(), N(kv.second), defs, out, error)) return false;
  }
  return true;
}

template <class N, class Defs>
bool compile_match_t(const N& expr, const Defs& defs, Predicate* out, std::string* error) {
  if (expr.IsSequence()) {
    // A list is an implicit `all`.
    std::vector<Predicate> parts;
    for (const auto& item : expr) {
      Predicate p;
      if (!compile_match_t<N>(N(item), defs, &p, error)) return false;
      parts.push_back(std::move(p));
    }
    *out = Predicate::all_of(std::move(parts));
    return true;
  }
  if (!expr.IsMap()) {
    *error = "a match expression is a map (field: value, all:, any:, not:, macro:, fn:)";
    return false;
  }
  std::vector<Predicate> parts;
  for (const auto& kv : expr) {
    const std::string key = kv.first.Scalar();
    const N v = kv.second;
    if (key == "all" || key == "any") {
      if (!v.IsSequence()) {
        *error = "'" + key + "' takes a list of expressions";
        return false;
      }
      std::vector<Predicate> sub;
      for (const auto& item : v) {
        Predicate p;
        if (!compile_match_t<N>(N(item), defs, &p, error)) return false;
        sub.push_back(std::move(p));
      }
      parts.push_back(key == "all" ? Predicate::all_of(std::move(sub))
                                   : Predicate::any_of(std::move(sub)));
    } else if (key == "not") {
      Predicate p;
      if (!compile_match_t<N>(v, defs, &p, error)) return false;
      parts.push_back(Predicate::negation(std::move(p)));
    } else if (key == "macro") {
      auto it = defs.macros.find(v.Scalar());
      if (it == defs.macros.end()) {
        *error = "unknown macro '" + v.Scalar() + "'";
        return false;
      }
      // Macros may use macros, but not themselves (directly or through others).
      thread_local std::vector<std::string> expanding;
      if (std::find(expanding.begin(), expanding.end(), v.Scalar()) != expanding.end()) {
        *error = "macro '" + v.Scalar() + "' refers to itself";
        return false;
      }
      expanding.push_back(v.Scalar());
      Predicate p;
      bool ok = compile_match_t<N>(it->second, defs, &p, error);
      expanding.pop_back();
      if (!ok) return false;
      parts.push_back(std::move(p));
    } else if (key == "fn") {
      // {fn: {name: entropy, args: [query_name], gt: 3.5}}: resolved against the function
      // registry when the engine is built (the name is kept in `list`, the op below).
      const KeysOf<N> vk(v, {"name", "args"});
      if (!v.IsMap() || !vk["name"]) {
        *error = "'fn' takes {name: ..., args: [...], <operator>: value}";
        return false;
      }
      const N name = vk["name"];
      const N args = vk["args"];
      FieldRef dummy;
      dummy.text = "fn:" + name.Scalar();
      // The operators in order of first appearance, a repeated one with its last value (as
      // assigning into a yaml-cpp map does).
      std::vector<std::pair<std::string, N>> ops;
      for (const auto& f : v) {
        std::string k = f.first.Scalar();
        if (k == "name" || k == "args") continue;
        auto same = std::find_if(ops.begin(), ops.end(),
                                 [&k](const std::pair<std::string, N>& o) { return o.first == k; });
        if (same != ops.end()) {
          same->second = N(f.second);
        } else {
          ops.emplace_back(std::move(k), N(f.second));
        }
      }
      std::vector<Predicate> cmp;
      if (ops.empty()) ops.emplace_back("eq", true_scalar<N>());
      for (const auto& [op, val] : ops) {
        if (!compile_field_op<N>(dummy, op, val, defs, &cmp, error)) return false;
      }
      for (auto& p : cmp) {
        p.list = name.Scalar();  // function name, bound later
        if (p.op == CmpOp::kInList) {
          *error = "'fn' cannot use in_list";
          return false;
        }
        if (args) {
          std::vector<std::string> names;
          if (!scalars_of(args, &names)) {
            *error = "'fn' args must be field names";
            return false;
          }
          for (const auto& n : names) {
            FieldRef a;
            if (!field_ref(n, &a, error)) return false;
            p.args.push_back(std::move(a));
          }
        }
        parts.push_back(std::move(p));
      }
    } else {
      FieldRef f;
      if (!field_ref(key, &f, error)) return false;
      if (v.IsMap()) {
        if (!compile_field_ops<N>(f, v, defs, &parts, error)) return false;
      } else {
        std::vector<std::string> values;
        if (v.IsNull()) {
          Predicate p = make_compare(f, CmpOp::kIsNull);
          parts.push_back(std::move(p));
          continue;
        }
        if (!scalars_of(v, &values) || values.empty()) {
          *error = "'" + key + "': a value, a list of values or an operator map is expected";
          return false;
        }
        Predicate p = make_compare(f, CmpOp::kEq);
        set_strings(&p, values, false);
        parts.push_back(std::move(p));
      }
    }
  }
  *out = Predicate::all_of(std::move(parts));
  return true;
}

template <class N>
bool compile_json_template(const N& n, JsonTemplate::Node* out, std::string* error) {
  using Kind = JsonTemplate::Node::Kind;
  if (n.IsMap()) {
    out->kind = Kind::kObject;
    for (const auto& kv : n) {
      JsonTemplate::Node child;
      if (!compile_json_template<N>(N(kv.second), &child, error)) return false;
      out->members.emplace_back(kv.first.Scalar(), std::move(child));
    }
    return true;
  }
  if (n.IsSequence()) {
    out->kind = Kind::kArray;
    for (const auto& item : n) {
      JsonTemplate::Node child;
      if (!compile_json_template<N>(N(item), &child, error)) return false;
      out->items.push_back(std::move(child));
    }
    return true;
  }
  if (n.IsNull()) {
    out->kind = Kind::kNull;
    return true;
  }
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {
    double d;
    if (scalar_number(n, &d)) {
      out->kind = Kind::kNumber;
      out->number = d;
      return true;
    }
    if (s == "true" || s == "false") {
      out->kind = Kind::kBool;
      out->boolean = s == "true";
      return true;
    }
  }
  out->kind = Kind::kString;
  return Template::compile(s, &out->text, error);
}

// A stateful key or value: a field path, or {fn: {name, args: [fields]}} (bound to the function
// registry when the engine is built). A call is named by its text, `name(arg1, arg2)`.
template <class N>
bool key_expr(const N& n, const std::string& where, KeyExpr* out, std::string* error) {
  if (n.IsScalar()) {
    FieldRef f;
    if (!field_ref(n.Scalar(), &f, error)) {
      *error = where + ": " + *error;
      return false;
    }
    *out = KeyExpr(f);
    return true;
  }
  const N fn = n.IsMap() ? KeysOf<N>(n, {"fn"})["fn"] : N();
  const KeysOf<N> fk(fn, {"name", "args"});
  if (!fn || !fn.IsMap() || !fk["name"] || !fk["name"].IsScalar() || n.size() != 1) {
    *error = where + ": a field name or {fn: {name: ..., args: [fields]}} is expected";
    return false;
  }
  for (const auto& kv : fn) {
    const std::string k = kv.first.Scalar();
    if (k != "name" && k != "args") {
      *error = where + ": fn '" + fk["name"].Scalar() + "': unknown key '" + k +
               "' (a stateful key is a value: name and args only, no operator)";
      return false;
    }
  }
  KeyExpr k;
  k.fn = fk["name"].Scalar();
  std::vector<std::string> names;
  if (fk["args"] && !scalars_of(fk["args"], &names)) {
    *error = where + ": fn '" + k.fn + "': args must be field names";
    return false;
  }
  k.text = k.fn + "(";
  for (std::size_t i = 0; i < names.size(); ++i) {
    FieldRef a;
    if (!field_ref(names[i], &a, error)) {
      *error = where + ": fn '" + k.fn + "': " + *error;
      return false;
    }
    if (i > 0) k.text += ", ";
    k.text += names[i];
    k.args.push_back(std::move(a));
  }
  k.text += ")";
  *out = std::move(k);
  return true;
}

template <class N, class Defs>
bool compile_stateful(const N& n, const Defs& defs, StatefulSpec* spec, std::string* error) {
  if (!n.IsMap() || n.size() != 1) {
    *error = "stateful: one of threshold, distinct, first_seen, sequence, volume";
    return false;
  }
  const std::string kind = (*n.begin()).first.Scalar();
  const N c = (*n.begin()).second;  // a copy: the iterator's pair is a temporary
  const std::string where = "stateful." + kind;
  if (!c.IsMap()) {
    *error = where + ": a map is expected";
    return false;
  }
  const KeysOf<N> ck(
      c, {"group_by", "lateness", "max_keys", "ttl", "window", "count", "field", "features",
          "rare_fraction", "learning", "steps", "z", "min_volume", "warmup", "interval"});
  // Field paths or function calls ({fn: {name: asn, args: [sourceIPAddress]}}).
  auto fields = [&](const char* key, std::vector<KeyExpr>* out) {
    if (!ck[key]) return true;
    const N list = ck[key];
    if (list.IsScalar() || list.IsMap()) {
      KeyExpr k;
      if (!key_expr<N>(list, where + "." + key, &k, error)) return false;
      out->push_back(std::move(k));
      return true;
    }
    if (!list.IsSequence()) {
      *error = where + "." + key + ": field names or {fn: {name, args}} are expected";
      return false;
    }
    for (const auto& item : list) {
      KeyExpr k;
      if (!key_expr<N>(N(item), where + "." + key, &k, error)) return false;
      out->push_back(std::move(k));
    }
    return true;
  };
  auto duration = [&](const char* key, int64_t* ms, bool required) {
    if (!ck[key]) {
      if (required) *error = where + ": '" + key + "' is required";
      return !required;
    }
    std::string what = where + "." + key;
    return parse_duration<N>(ck[key], ms, error, what.c_str());
  };
  auto count = [&](const char* key, uint64_t* v, bool required) {
    double d;
    if (!ck[key]) {
      if (required) *error = where + ": '" + key + "' is required";
      return !required;
    }
    if (!scalar_number(ck[key], &d) || d < 1) {
      *error = where + "." + key + ": a whole number ≥ 1 is expected";
      return false;
    }
    *v = static_cast<uint64_t>(d);
    return true;
  };
  if (!fields("group_by", &spec->group_by)) return false;
  if (!duration("lateness", &spec->lateness_ms, false)) return false;
  if (ck["max_keys"] && !count("max_keys", &spec->max_keys, false)) return false;
  if (!duration("ttl", &spec->ttl_ms, false)) return false;
  if (kind == "threshold") {
    spec->kind = StatefulSpec::Kind::kThreshold;
    return duration("window", &spec->window_ms, true) && count("count", &spec->threshold, true);
  }
  if (kind == "distinct") {
    spec->kind = StatefulSpec::Kind::kDistinct;
    if (!ck["field"]) {
      *error = where + ": 'field' is required";
      return false;
    }
    return key_expr<N>(ck["field"], where + ".field", &spec->distinct_field, error) &&
           duration("window", &spec->window_ms, true) && count("count", &spec->threshold, true);
  }
  if (kind == "first_seen") {
    spec->kind = StatefulSpec::Kind::kFirstSeen;
    if (!fields("features", &spec->features)) return false;
    if (spec->features.empty()) {
      *error = where + ": 'features' is required";
      return false;
    }
    if (ck["rare_fraction"] && !scalar_number(ck["rare_fraction"], &spec->rare_fraction)) {
      *error = where + ".rare_fraction: a number is expected";
      return false;
    }
    return duration("learning", &spec->learning_ms, true);
  }
  if (kind == "sequence") {
    spec->kind = StatefulSpec::Kind::kSequence;
    if (!ck["steps"] || !ck["steps"].IsSequence() || ck["steps"].size() < 2) {
      *error = where + ": 'steps' needs two or more {name, match} entries";
      return false;
    }
    const N steps = ck["steps"];
    for (const auto& step : steps) {
      const KeysOf<N> sk(step, {"match", "name"});
      Predicate p;
      if (!sk["match"] || !compile_match_t<N>(sk["match"], defs, &p, error)) {
        if (error->empty()) *error = where + ": every step needs 'match'";
        return false;
      }
      spec->steps.push_back(std::move(p));
      spec->step_names.push_back(sk["name"] ? sk["name"].Scalar()
                                            : "step" + std::to_string(spec->steps.size()));
    }
    return duration("window", &spec->window_ms, true);
  }
  if (kind == "volume") {
    spec->kind = StatefulSpec::Kind::kVolume;
    if (!ck["field"]) {
      *error = where + ": 'field' is required";
      return false;
    }
    if (ck["z"] && !scalar_number(ck["z"], &spec->z_threshold)) {
      *error = where + ".z: a number is expected";
      return false;
    }
    if (ck["min_volume"] && !scalar_number(ck["min_volume"], &spec->min_volume)) {
      *error = where + ".min_volume: a number is expected";
      return false;
    }
    uint64_t warm = spec->warmup_intervals;
    if (!count("warmup", &warm, false)) return false;
    spec->warmup_intervals = static_cast<uint32_t>(warm);
    return field_ref(ck["field"].Scalar(), &spec->volume_field, error) &&
           duration("interval", &spec->interval_ms, true);
  }
  *error =
      "stateful: unknown kind '" + kind + "' (threshold, distinct, first_seen, sequence, volume)";
  return false;
}

void collect_names(const Predicate& p, std::vector<std::string>* out, bool* unconstrained) {
  // At the top level: an AND is constrained when any child is; an OR when all children are.
  switch (p.kind) {
    case Predicate::Kind::kAnd: {
      for (const auto& c : p.children) {
        std::vector<std::string> names;
        bool unc = false;
        collect_names(c, &names, &unc);
        if (!unc) {
          *out = std::move(names);
          *unconstrained = false;
          return;
        }
      }
      *unconstrained = true;
      return;
    }
    case Predicate::Kind::kOr: {
      std::vector<std::string> all;
      for (const auto& c : p.children) {
        std::vector<std::string> names;
        bool unc = false;
        collect_names(c, &names, &unc);
        if (unc) {
          *unconstrained = true;
          return;
        }
        all.insert(all.end(), names.begin(), names.end());
      }
      *out = std::move(all);
      *unconstrained = false;
      return;
    }
    case Predicate::Kind::kCompare:
      if (p.op == CmpOp::kEq && !p.negate && p.function == nullptr && p.list.empty() &&
          p.field.source == FieldRef::Source::kJsonPath && p.field.steps.size() == 1 &&
          p.field.steps[0].key == "eventName") {
        for (const auto& s : p.strings) out->push_back(lower(s));
        *unconstrained = false;
        return;
      }
      *unconstrained = true;
      return;
    default:
      *unconstrained = true;
      return;
  }
}

template <class N>
std::string yaml_to_json_t(const N& node);

}  // namespace

std::vector<std::string> required_event_names(const Predicate& p) {
  std::vector<std::string> names;
  bool unconstrained = true;
  collect_names(p, &names, &unconstrained);
  if (unconstrained) return {};
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {

template <class N>
std::string yaml_to_json_t(const N& node) {
  std::string out;
  JsonWriter w(&out);
  std::function<void(const N&)> emit = [&](const N& n) {
    if (n.IsMap()) {
      // YAML merge keys (`<<: *anchor`), which yaml-cpp leaves to the application: the merged
      // map's members come first, and the map's own members override them.
      std::vector<std::pair<std::string, N>> members;
      auto put = [&members](const std::string& k, const N& v) {
        for (auto& m : members) {
          if (m.first == k) {
            m.second = v;
            return;
          }
        }
        members.emplace_back(k, v);
      };
      for (const auto& kv : n) {
        if (kv.first.Scalar() == "<<" && kv.second.IsMap()) {
          for (const auto& m : kv.second) put(m.first.Scalar(), N(m.second));
        }
      }
      for (const auto& kv : n) {
        if (kv.first.Scalar() != "<<") put(kv.first.Scalar(), N(kv.second));
      }
      w.begin_object();
      for (const auto& [k, v] : members) {
        w.key(k);
        emit(v);
      }
      w.end_object();
    } else if (n.IsSequence()) {
      w.begin_array();
      for (const auto& item : n) emit(N(item));
      w.end_array();
    } else if (n.IsNull()) {
      w.null();
    } else {
      const std::string& s = n.Scalar();
      double d;
      if (n.Tag() != "!" && (s == "true" || s == "false")) {
        w.boolean(s == "true");
      } else if (n.Tag() != "!" && scalar_number(n, &d) &&
                 s.find_first_of("xX") == std::string::npos &&
                 !(s.size() > 1 && s[0] == '0' && s[1] != '.')) {
        w.raw(s);
      } else {
        w.string(s);
      }
    }
  };
  emit(node);
  return out;
}

template <class N, class Defs>
bool compile_native_rule_t(const N& doc, const Defs& defs, const std::string& source, Rule* out,
                           std::string* error) {
  Rule r;
  r.source = source;
  const KeysOf<N> dk(
      doc, {"id", "type", "title", "description", "severity", "log_types", "match", "stateful",
            "group_by", "resource", "action", "resource_role", "tags", "enabled", "tests"});
  auto req = [&](const char* key) {
    if (!dk[key] || !dk[key].IsScalar()) {
      *error = std::string("'") + key + "' is required";
      return false;
    }
    return true;
  };
  if (!req("id") || !req("type")) return false;
  r.id = dk["id"].Scalar();
  r.type = dk["type"].Scalar();
  if (r.type.find(':') == std::string::npos || r.type.find('/') == std::string::npos) {
    *error = "type '" + r.type + "' is not in the grammar Purpose:Resource/Family.Mechanism";
    return false;
  }
  std::string title = dk["title"] ? dk["title"].Scalar() : r.type;
  if (!Template::compile(title, &r.title, error)) return false;
  if (dk["description"] && !Template::compile(dk["description"].Scalar(), &r.description, error)) {
    return false;
  }
  if (const N sev = dk["severity"]) {
    if (sev.IsMap()) {
      const KeysOf<N> sk(sev, {"default", "cases"});
      if (!sk["default"] || !scalar_number(sk["default"], &r.severity.value)) {
        *error = "severity.default: a number is expected";
        return false;
      }
      if (const N cases = sk["cases"]) {
        for (const auto& c : cases) {
          const KeysOf<N> cw(c, {"when", "value"});
          Severity::Case sc;
          if (!cw["when"] || !cw["value"] || !scalar_number(cw["value"], &sc.value)) {
            *error = "severity.cases: each case needs 'when' and a numeric 'value'";
            return false;
          }
          if (!compile_match_t<N>(cw["when"], defs, &sc.when, error)) return false;
          r.severity.cases.push_back(std::move(sc));
        }
      }
    } else if (!scalar_number(sev, &r.severity.value)) {
      *error = "severity: a number (or {default, cases}) is expected";
      return false;
    }
  }
  if (r.severity.value < 0 || r.severity.value > 10) {
    *error = "severity must be between 0 and 10";
    return false;
  }
  std::vector<std::string> types;
  if (dk["log_types"] && !scalars_of(dk["log_types"], &types)) {
    *error = "log_types: a list of cloudtrail, vpcflow, route53, guardduty";
    return false;
  }
  if (types.empty()) types = {"cloudtrail"};
  for (const auto& t : types) {
    ingest::LogType lt;
    if (!ingest::parse_log_type(t, &lt) || lt == ingest::LogType::kUnknown) {
      *error = "log_types: unknown log type '" + t + "'";
      return false;
    }
    r.log_types.push_back(lt);
  }
  if (!dk["match"]) {
    *error = "'match' is required";
    return false;
  }
  if (!compile_match_t<N>(dk["match"], defs, &r.match, error)) {
    *error = "match: " + *error;
    return false;
  }
  if (dk["stateful"] && !compile_stateful<N>(dk["stateful"], defs, &r.stateful, error)) {
    return false;
  }
  if (dk["group_by"]) {
    std::vector<std::string> names;
    if (!scalars_of(dk["group_by"], &names)) {
      *error = "group_by: field names are expected";
      return false;
    }
    for (const auto& n : names) {
      FieldRef f;
      if (!field_ref(n, &f, error)) return false;
      r.group_by.push_back(std::move(f));
    }
  }
  if (dk["resource"] && !compile_json_template<N>(dk["resource"], &r.resource.root, error)) {
    *error = "resource: " + *error;
    return false;
  }
  if (dk["action"] && !compile_json_template<N>(dk["action"], &r.action.root, error)) {
    *error = "action: " + *error;
    return false;
  }
  if (dk["resource_role"]) r.resource_role = dk["resource_role"].Scalar();
  if (dk["tags"] && !scalars_of(dk["tags"], &r.tags)) {
    *error = "tags: a list of strings is expected";
    return false;
  }
  if (dk["enabled"] && dk["enabled"].Scalar() == "false") r.enabled = false;
  if (const N tests = dk["tests"]) {
    for (const auto& t : tests) {
      const KeysOf<N> tk(t, {"name", "log_type", "events", "expect", "aws_ip_ranges", "lists"});
      RuleTest rt;
      rt.name = tk["name"] ? tk["name"].Scalar() : "test" + std::to_string(r.tests.size() + 1);
      rt.log_type = r.log_types.front();
      if (tk["log_type"] && !ingest::parse_log_type(tk["log_type"].Scalar(), &rt.log_type)) {
        *error = "tests: unknown log_type '" + tk["log_type"].Scalar() + "'";
        return false;
      }
      if (!tk["events"] || !tk["events"].IsSequence()) {
        *error = "tests[" + rt.name + "]: 'events' (a list) is required";
        return false;
      }
      for (const auto& e : tk["events"]) {
        rt.events_json.push_back(e.IsScalar() ? e.Scalar() : yaml_to_json_t<N>(N(e)));
      }
      const N ex = tk["expect"];
      const KeysOf<N> ek(ex, {"findings", "type", "severity"});
      double d;
      if (!ex || !ek["findings"] || !scalar_number(ek["findings"], &d) || d < 0) {
        *error = "tests[" + rt.name + "]: 'expect: {findings: N}' is required";
        return false;
      }
      rt.expect_findings = static_cast<uint64_t>(d);
      if (ek["type"]) rt.expect_type = ek["type"].Scalar();
      if (ek["severity"] && !scalar_number(ek["severity"], &rt.expect_severity)) {
        *error = "tests[" + rt.name + "]: expect.severity must be a number";
        return false;
      }
      if (tk["aws_ip_ranges"]) {
        std::string file = source.substr(0, source.rfind('#'));
        rt.aws_ip_ranges =
            (std::filesystem::path(file).parent_path() / tk["aws_ip_ranges"].Scalar()).string();
      }
      if (const N ls = tk["lists"]) {
        // [{name, kind: threat|trusted, values: [...] | path: file}]; a path is relative to the
        // rule file (its document suffix "#n" dropped).
        for (const auto& l : ls) {
          const KeysOf<N> lk(l, {"name", "kind", "values", "path"});
          RuleTest::List tl;
          if (!l.IsMap() || !lk["name"] || (!lk["values"] && !lk["path"])) {
            *error = "tests[" + rt.name + "]: lists: each needs 'name' and 'values' or 'path'";
            return false;
          }
          tl.name = lk["name"].Scalar();
          tl.trusted = lk["kind"] && lk["kind"].Scalar() == "trusted";
          if (lk["values"] && !scalars_of(lk["values"], &tl.values)) {
            *error = "tests[" + rt.name + "]: lists: 'values' must be strings";
            return false;
          }
          if (lk["path"]) {
            std::string file = source.substr(0, source.rfind('#'));
            tl.path = (std::filesystem::path(file).parent_path() / lk["path"].Scalar()).string();
          }
          rt.lists.push_back(std::move(tl));
        }
      }
      r.tests.push_back(std::move(rt));
    }
  }
  r.index_names = required_event_names(r.match);
  *out = std::move(r);
  return true;
}

}  // namespace

bool compile_match(const YAML::Node& expr, const RuleDefs& defs, Predicate* out,
                   std::string* error) {
  return compile_match_t<YAML::Node>(expr, defs, out, error);
}

std::string yaml_to_json(const YAML::Node& node) {
  return yaml_to_json_t<YAML::Node>(node);
}

bool compile_native_rule(const YAML::Node& doc, const RuleDefs& defs, const std::string& source,
                         Rule* out, std::string* error) {
  return compile_native_rule_t<YAML::Node>(doc, defs, source, out, error);
}

std::vector<Rule> load_rules(const std::string& path, LoadErrors* errors) {
  return load_rules(path, errors, LoadOptions{});
}

namespace {

// The documents of one rule file, in the tree type N the load compiles from. With yaml-cpp's
// trees (N = YAML::Node) as they always were. With the fast reader's (N = LiteNode): the text
// read by yaml_lite into *tree; a text it declines, or one with Sigma documents, read by
// yaml-cpp and copied into *tree (its yaml-cpp trees kept in *yaml, for Sigma's dumps).
// False with *error when yaml-cpp refuses the text.
template <class N>
bool read_rule_file(std::string* text, const LoadOptions& options, LiteTree* tree,
                    std::vector<N>* nodes, std::vector<YAML::Node>* yaml, std::string* error) {
  // Without tests: parse the text with its `tests:` blocks cut (yaml-cpp's parse dominates
  // loading); should the cut text not parse, the whole text decides as before.
  std::string cut;
  const bool have_cut = !options.tests && strip_top_level_block(*text, "tests", &cut);
  if constexpr (std::is_same_v<N, LiteNode>) {
    // Sigma documents stay with yaml-cpp: a file of several is dumped back to text from its
    // trees.
    const std::size_t nodes_before = tree->nodes.size();
    const std::size_t kids_before = tree->kids.size();
    if (load_all_lite(have_cut ? cut : *text, tree, nodes)) {
      for (const auto& n : *nodes) {
        if (n.IsMap() && [&] {
              const LiteMapKeys k(n, {"logsource", "detection", "correlation"});
              return k["logsource"] || k["detection"] || k["correlation"];
            }()) {
          nodes->clear();
          tree->nodes.resize(nodes_before);
          tree->kids.resize(kids_before);
          break;
        }
      }
      if (!nodes->empty()) {
        if (have_cut) *text = std::move(cut);
        return true;
      }
    }
  }
  std::vector<YAML::Node> parsed;
  if (have_cut) {
    try {
      parsed = YAML::LoadAll(cut);
      *text = std::move(cut);
    } catch (const YAML::Exception&) {
      parsed.clear();
    }
  }
  try {
    if (parsed.empty()) parsed = YAML::LoadAll(*text);
  } catch (const YAML::Exception& e) {
    *error = e.what();
    return false;
  }
  if constexpr (std::is_same_v<N, LiteNode>) {
    for (const auto& y : parsed) {
      LiteNode n;
      if (!lite_from_yaml(y, tree, &n)) throw LiteShapeError("yaml: a tree too large to copy");
      nodes->push_back(n);
    }
    *yaml = std::move(parsed);
  } else {
    (void)tree;
    (void)yaml;
    *nodes = std::move(parsed);
  }
  return true;
}

template <class N>
std::vector<Rule> load_rules_with(const std::string& path, LoadErrors* errors,
                                  const LoadOptions& options) {
  using Defs = std::conditional_t<std::is_same_v<N, LiteNode>, LiteRuleDefs, RuleDefs>;
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::string ext = it->path().extension().string();
      if (it->is_regular_file() && (ext == ".yml" || ext == ".yaml")) {
        files.push_back(it->path().string());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    errors->messages.push_back(path + ": no such file or directory");
    return {};
  }

  // Pass 1: read every document; collect macros and lists.
  struct Doc {
    N node;
    std::string source;
    std::string text;         // for Sigma, which reparses its own documents
    bool sigma_file = false;  // the whole file goes to load_sigma (it has correlations)
    bool sigma = false;       // a Sigma document (logsource and detection)
  };
  std::vector<Doc> docs;
  Defs defs;
  // The fast reader's trees, one per file (their nodes are referred to until the end).
  std::vector<std::unique_ptr<LiteTree>> trees;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    std::vector<N> nodes;
    std::vector<YAML::Node> yaml;
    std::string yaml_error;
    LiteTree* tree = nullptr;
    if constexpr (std::is_same_v<N, LiteNode>) {
      tree = trees.emplace_back(std::make_unique<LiteTree>()).get();
      tree->nodes.reserve(text.size() / 8 + 16);
      tree->kids.reserve(text.size() / 8 + 16);
    }
    if (!read_rule_file<N>(&text, options, tree, &nodes, &yaml, &yaml_error)) {
      errors->messages.push_back(file + ": not valid YAML: " + yaml_error);
      continue;
    }
    // A Sigma file with correlations is loaded whole: they refer to the rules beside them.
    bool correlated = false;
    for (const auto& n : nodes) {
      correlated = correlated || (n.IsMap() && KeysOf<N>(n, {"correlation"})["correlation"]);
    }
    if (correlated) {
      docs.push_back({N(), file, text, true, false});
      continue;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const N& n = nodes[i];
      std::string source = file + (nodes.size() > 1 ? "#" + std::to_string(i + 1) : "");
      if (!n.IsMap()) continue;
      const KeysOf<N> nk(n, {"metric_filters", "alarms", "macro", "list", "match", "values",
                             "logsource", "detection"});
      // CloudWatch metric-filter and alarm packs (rules/alarms/, read by src/cwl) are not rules.
      if (nk["metric_filters"] || nk["alarms"]) continue;
      if ((nk["macro"] && !nk["macro"].IsScalar()) || (nk["list"] && !nk["list"].IsScalar())) {
        errors->messages.push_back(source + ": a macro or list name must be a string");
        continue;
      }
      if (nk["macro"]) {
        if (!nk["match"]) {
          errors->messages.push_back(source + ": macro '" + nk["macro"].Scalar() +
                                     "' needs 'match'");
          continue;
        }
        defs.macros[nk["macro"].Scalar()] = nk["match"];
      } else if (nk["list"]) {
        std::vector<std::string> values;
        if (!nk["values"] || !scalars_of(nk["values"], &values)) {
          errors->messages.push_back(source + ": list '" + nk["list"].Scalar() +
                                     "' needs 'values' (a list of strings)");
          continue;
        }
        defs.lists[nk["list"].Scalar()] = std::move(values);
      } else {
        // Only Sigma reparses its text: dumping every native document of a large file cost
        // more than compiling the rules.
        const bool sigma = nk["logsource"] && nk["detection"];
        std::string sigma_text;
        if (sigma) {
          if (nodes.size() == 1) {
            sigma_text = text;
          } else if constexpr (std::is_same_v<N, LiteNode>) {
            if (yaml.size() != nodes.size()) throw LiteShapeError("yaml: a Sigma document");
            sigma_text = YAML::Dump(yaml[i]);
          } else {
            sigma_text = YAML::Dump(n);
          }
        }
        docs.push_back({n, source, std::move(sigma_text), false, sigma});
      }
    }
  }

  // Pass 2: compile rules.
  std::vector<Rule> rules;
  std::set<std::string> ids;
  // A rule is over a kilobyte: grown by doubling, the vector would move and touch twice that.
  rules.reserve(docs.size());
  for (const auto& d : docs) {
    std::vector<Rule> loaded;
    std::string error;
    bool ok;
    try {
      if (d.sigma_file || d.sigma) {
        ok = load_sigma(d.text, d.source, &loaded, &error);
      } else {
        Rule r;
        ok = compile_native_rule_t<N>(d.node, defs, d.source, &r, &error);
        if (ok) loaded.push_back(std::move(r));
      }
    } catch (const YAML::Exception& e) {
      // A value of the wrong shape (a scalar where a map is due) deep in the document.
      ok = false;
      error = std::string("a value has the wrong shape (a map or list was expected): ") + e.what();
    }
    if (!ok) {
      if constexpr (std::is_same_v<N, LiteNode>) {
        // The load is done again with yaml-cpp, whose message (with its marks) is the one kept.
        errors->messages.push_back(d.source + ": " + error);
        continue;
      } else {
        const MapKeys dk(d.node, {"id", "title"});
        std::string id = dk["id"] ? dk["id"].Scalar() : dk["title"] ? dk["title"].Scalar() : "?";
        errors->messages.push_back(d.source + ": rule '" + id + "': " + error);
        continue;
      }
    }
    for (auto& r : loaded) {
      if (!ids.insert(r.id).second) {
        errors->messages.push_back(d.source + ": rule '" + r.id + "': duplicate id");
        continue;
      }
      rules.push_back(std::move(r));
    }
  }
  return rules;
}

}  // namespace

std::vector<Rule> load_rules(const std::string& path, LoadErrors* errors,
                             const LoadOptions& options) {
  if (options.fast_yaml) {
    // Any refusal, or any read of the fast trees yaml-cpp would answer otherwise: the load
    // again with yaml-cpp alone, whose trees carry the marks (line and column) its exceptions
    // name.
    LoadErrors fast_errors;
    bool thrown = false;
    try {
      std::vector<Rule> rules = load_rules_with<LiteNode>(path, &fast_errors, options);
      if (fast_errors.empty() || !options.redo_refusals) {
        *errors = std::move(fast_errors);
        return rules;
      }
    } catch (const YAML::Exception& e) {
      thrown = true;
      fast_errors.messages.push_back(e.what());
    } catch (const LiteShapeError& e) {
      thrown = true;
      fast_errors.messages.push_back(e.what());
    }
    if (thrown && !options.redo_refusals) {
      *errors = std::move(fast_errors);
      return {};
    }
  }
  return load_rules_with<YAML::Node>(path, errors, options);
}

}  // namespace sentinel::detect
