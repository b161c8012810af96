#include "detect/rules/sigma.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "detect/ir/predicate.h"

namespace sentinel::detect {

namespace {

/// Thrown inside one document's compilation; caught by load_sigma and turned into the message.
struct SigmaError {
  std::string what;
};

[[noreturn]] void fail(std::string what) {
  throw SigmaError{std::move(what)};
}

std::string lower_ascii(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string title_slug(std::string_view title) {
  std::string r;
  bool dash = false;
  for (char c : title) {
    if (is_alnum(c)) {
      if (dash && !r.empty()) r += '_';
      dash = false;
      r += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      dash = true;
    }
  }
  return r;
}

std::string camel_case(std::string_view title) {
  std::string r;
  bool start = true;
  for (char c : title) {
    if (!is_alnum(c)) {
      start = true;
      continue;
    }
    r += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  return r;
}

Template literal_template(const std::string& text) {
  Template t;
  if (!text.empty()) {
    Template::Part p;
    p.text = text;
    t.parts.push_back(std::move(p));
  }
  return t;
}

std::string scalar_or_empty(const YAML::Node& n) {
  if (n && n.IsScalar()) return n.Scalar();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Values

/// One plain Sigma value, split into literal text and wildcards.
struct Token {
  enum class Kind : uint8_t { kText, kStar, kOne };
  Kind kind = Kind::kText;
  char c = 0;
};

std::vector<Token> tokenize_value(std::string_view v) {
  std::vector<Token> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\') {
      char n = i + 1 < v.size() ? v[i + 1] : '\0';
      if (n == '*' || n == '?') {  // \* \? : literal
        out.push_back({Token::Kind::kText, n});
        ++i;
      } else if (n == '\\') {  // \\ : one literal backslash (a following wildcard stays one)
        out.push_back({Token::Kind::kText, '\\'});
        ++i;
      } else {  // a lone backslash is literal
        out.push_back({Token::Kind::kText, '\\'});
      }
    } else if (c == '*') {
      out.push_back({Token::Kind::kStar, 0});
    } else if (c == '?') {
      out.push_back({Token::Kind::kOne, 0});
    } else {
      out.push_back({Token::Kind::kText, c});
    }
  }
  return out;
}

/// How one value compiles: an op and its pattern text (for kGlob with glob escapes).
struct Compiled {
  CmpOp op;
  std::string text;
};

Compiled compile_tokens(const std::vector<Token>& toks, bool ci) {
  auto low = [&](char c) {
    return ci ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
  };
  std::size_t b = 0, e = toks.size();
  bool lead = b < e && toks[b].kind == Token::Kind::kStar;
  while (b < e && toks[b].kind == Token::Kind::kStar) ++b;
  bool trail = e > b && toks[e - 1].kind == Token::Kind::kStar;
  while (e > b && toks[e - 1].kind == Token::Kind::kStar) --e;
  bool inner_wild = false;
  for (std::size_t i = b; i < e; ++i) inner_wild |= toks[i].kind != Token::Kind::kText;
  if (!inner_wild && b < e) {
    std::string lit;
    for (std::size_t i = b; i < e; ++i) lit += low(toks[i].c);
    if (lead && trail) return {CmpOp::kContains, lit};
    if (lead) return {CmpOp::kEndsWith, lit};
    if (trail) return {CmpOp::kStartsWith, lit};
    return {CmpOp::kEq, lit};
  }
  if (toks.empty()) return {CmpOp::kEq, ""};
  std::string glob;
  for (const Token& t : toks) {
    switch (t.kind) {
      case Token::Kind::kStar:
        glob += '*';
        break;
      case Token::Kind::kOne:
        glob += '?';
        break;
      case Token::Kind::kText:
        if (t.c == '*' || t.c == '?' || t.c == '\\') glob += '\\';
        glob += low(t.c);
        break;
    }
  }
  return {CmpOp::kGlob, glob};
}

// ---------------------------------------------------------------------------------------------
// One document

class DocCompiler {
 public:
  DocCompiler(const YAML::Node& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  Rule compile();
  std::string label() const {
    std::string s = source_ + ": rule '" + title_ + "'";
    if (!id_.empty()) s += " (" + id_ + ")";
    return s;
  }

 private:
  Predicate compile_identifier(const std::string& name, const YAML::Node& body);
  Predicate compile_map(const std::string& ident, const YAML::Node& map);
  Predicate compile_field(const std::string& ident, const std::string& key, const YAML::Node& v);
  Predicate compile_condition(const std::string& text);

  const YAML::Node& doc_;
  std::string source_;
  std::string title_;
  std::string id_;
  // Search identifiers, in document order, and their compiled predicates.
  std::vector<std::pair<std::string, Predicate>> idents_;

  friend class ConditionParser;
};

/// Sigma writes CloudTrail fields as dotted paths that step through arrays silently
/// (`resources.ARN`); our paths say where arrays are. The arrays CloudTrail is known to have on
/// the way to a leaf are marked: top-level `resources`, and EC2's `items` lists.
std::string cloudtrail_path(const std::string& name) {
  if (name.find('[') != std::string::npos) return name;  // already explicit
  std::string out;
  std::size_t start = 0, seg = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    bool last = dot == std::string::npos;
    std::string part = name.substr(start, last ? std::string::npos : dot - start);
    if (!out.empty()) out += '.';
    out += part;
    if (!last && ((seg == 0 && part == "resources") || part == "items")) out += "[*]";
    if (last) break;
    start = dot + 1;
    ++seg;
  }
  return out;
}

bool is_known_mod(const std::string& m) {
  static const char* kRefused[] = {"windash", "base64", "base64offset", "utf16le",  "utf16be",
                                   "utf16",   "wide",   "expand",       "fieldref", "minute",
                                   "hour",    "day",    "week",         "month",    "year"};
  for (const char* r : kRefused) {
    if (m == r) return true;
  }
  return false;
}

Predicate DocCompiler::compile_field(const std::string& ident, const std::string& key,
                                     const YAML::Node& value) {
  // key = field|mod|mod...
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t bar = key.find('|', start);
    parts.push_back(key.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  const std::string field_name = parts[0];
  const std::string where = "detection: " + ident + ": '" + key + "'";
  if (field_name.empty()) {
    fail(where + ": keyword search ('|all' without a field) is not supported");
  }
  FieldRef field;
  std::string ferr;
  if (!FieldRef::parse(cloudtrail_path(field_name), &field, &ferr)) {
    fail(where + ": bad field name: " + ferr);
  }
  field.text = field_name;

  enum class Base { kNone, kContains, kStartsWith, kEndsWith, kRe, kCidr, kExists, kNum };
  Base base = Base::kNone;
  CmpOp num_op = CmpOp::kLt;
  bool all = false, cased = false, neq = false;
  std::string re_flags;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string m = lower_ascii(parts[i]);
    auto set_base = [&](Base b) {
      if (base != Base::kNone) {
        fail(where + ": modifier '" + m + "' cannot be combined with an earlier one");
      }
      base = b;
    };
    if (m == "contains")
      set_base(Base::kContains);
    else if (m == "startswith")
      set_base(Base::kStartsWith);
    else if (m == "endswith")
      set_base(Base::kEndsWith);
    else if (m == "re")
      set_base(Base::kRe);
    else if (m == "cidr")
      set_base(Base::kCidr);
    else if (m == "exists")
      set_base(Base::kExists);
    else if (m == "lt" || m == "lte" || m == "gt" || m == "gte") {
      set_base(Base::kNum);
      num_op = m == "lt"    ? CmpOp::kLt
               : m == "lte" ? CmpOp::kLe
               : m == "gt"  ? CmpOp::kGt
                            : CmpOp::kGe;
    } else if (m == "all")
      all = true;
    else if (m == "cased")
      cased = true;
    else if (m == "neq")
      neq = true;
    else if ((m == "i" || m == "m" || m == "s") && base == Base::kRe)
      re_flags += m;
    else if (is_known_mod(m))
      fail(where + ": modifier '" + m + "' is not supported");
    else
      fail(where + ": unknown modifier '" + m + "'");
  }
  if (all && neq) fail(where + ": modifiers 'all' and 'neq' together are not supported");

  // The values, as YAML scalars (null kept as a null node).
  std::vector<YAML::Node> values;
  if (value.IsSequence()) {
    for (const auto& v : value) values.push_back(v);
    if (values.empty()) fail(where + ": empty value list");
  } else {
    values.push_back(value);
  }
  for (const auto& v : values) {
    if (!v.IsScalar() && !v.IsNull()) fail(where + ": values must be scalars (got a map or list)");
  }

  if (base == Base::kExists) {
    if (values.size() != 1 || !values[0].IsScalar()) fail(where + ": 'exists' takes true or false");
    std::string b = lower_ascii(values[0].Scalar());
    if (b != "true" && b != "false") fail(where + ": 'exists' takes true or false");
    if (all || cased || neq) fail(where + ": 'exists' cannot be combined with other modifiers");
    Predicate p;
    p.kind = Predicate::Kind::kCompare;
    p.field = field;
    p.op = CmpOp::kExists;
    p.negate = b == "false";
    return p;
  }

  // null: field absent or JSON null (only for plain values).
  std::vector<Predicate> alternatives;  // OR-ed (or AND-ed under |all)
  bool has_null = false;
  std::vector<std::string> plain;
  for (const auto& v : values) {
    if (v.IsNull()) {
      if (base != Base::kNone) fail(where + ": null cannot be used with modifiers");
      has_null = true;
    } else {
      plain.push_back(v.Scalar());
    }
  }
  if (has_null && (all || neq)) fail(where + ": null cannot be used with 'all' or 'neq'");

  auto make = [&](CmpOp op) {
    Predicate p;
    p.kind = Predicate::Kind::kCompare;
    p.field = field;
    p.op = op;
    p.negate = neq;
    return p;
  };

  std::vector<Predicate> preds;
  if (base == Base::kRe) {
    Predicate p = make(CmpOp::kRegex);
    for (const auto& s : plain) {
      std::string pat = s;
      if (!re_flags.empty()) pat = "(?" + re_flags + ")" + pat;
      RE2::Options o;
      o.set_log_errors(false);
      auto re = std::make_shared<RE2>(pat, o);
      if (!re->ok()) fail(where + ": regular expression not supported by RE2: " + re->error());
      p.regexes.push_back(std::move(re));
    }
    preds.push_back(std::move(p));
  } else if (base == Base::kCidr) {
    Predicate p = make(CmpOp::kCidr);
    for (const auto& s : plain) {
      Cidr c;
      if (!Cidr::parse(s, &c)) fail(where + ": bad network '" + s + "'");
      p.cidrs.push_back(c);
    }
    preds.push_back(std::move(p));
  } else if (base == Base::kNum) {
    Predicate p = make(num_op);
    for (const auto& s : plain) {
      double d = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        fail(where + ": '" + s + "' is not a number");
      }
      p.numbers.push_back(d);
    }
    preds.push_back(std::move(p));
  } else {
    // String matching, whole value, case-insensitive unless |cased.
    const bool ci = !cased;
    // One predicate per op, keeping values grouped (OR); under |all each value is its own.
    std::map<CmpOp, Predicate> by_op;
    for (std::size_t k = 0; k < plain.size(); ++k) {
      const std::string& s = plain[k];
      std::vector<Token> toks = tokenize_value(s);
      if (base == Base::kContains || base == Base::kEndsWith) {
        toks.insert(toks.begin(), Token{Token::Kind::kStar, 0});
      }
      if (base == Base::kContains || base == Base::kStartsWith) {
        toks.push_back(Token{Token::Kind::kStar, 0});
      }
      Compiled c = compile_tokens(toks, ci);
      auto it = by_op.find(c.op);
      if (it == by_op.end()) {
        Predicate p = make(c.op);
        p.case_insensitive = ci;
        it = by_op.emplace(c.op, std::move(p)).first;
      }
      Predicate& p = it->second;
      p.strings.push_back(c.text);
      if (c.op == CmpOp::kEq) {
        // Plain YAML numbers also compare numerically with JSON numbers (1 == 1.0).
        double d = std::numeric_limits<double>::quiet_NaN();
        const YAML::Node& node = values[k];
        if (node.Tag() == "?" && !s.empty()) {
          double x = 0;
          auto r = std::from_chars(s.data(), s.data() + s.size(), x);
          if (r.ec == std::errc() && r.ptr == s.data() + s.size()) d = x;
        }
        p.numbers.push_back(d);
      }
    }
    for (auto& [op, p] : by_op) preds.push_back(std::move(p));
  }

  if (all) {
    for (auto& p : preds) p.all_patterns = true;
    return Predicate::all_of(std::move(preds));
  }
  if (neq) return Predicate::all_of(std::move(preds));  // present, and equal to none
  if (has_null) {
    Predicate absent;
    absent.kind = Predicate::Kind::kCompare;
    absent.field = field;
    absent.op = CmpOp::kExists;
    absent.negate = true;
    Predicate isnull;
    isnull.kind = Predicate::Kind::kCompare;
    isnull.field = field;
    isnull.op = CmpOp::kIsNull;
    preds.push_back(std::move(absent));
    preds.push_back(std::move(isnull));
  }
  // Drop empty groups (null-only lists).
  std::vector<Predicate> kept;
  for (auto& p : preds) {
    if (p.kind == Predicate::Kind::kCompare && p.op != CmpOp::kExists && p.op != CmpOp::kIsNull &&
        p.strings.empty() && p.regexes.empty() && p.cidrs.empty() && p.numbers.empty()) {
      continue;
    }
    kept.push_back(std::move(p));
  }
  return Predicate::any_of(std::move(kept));
}

Predicate DocCompiler::compile_map(const std::string& ident, const YAML::Node& map) {
  std::vector<Predicate> ands;
  for (const auto& kv : map) {
    ands.push_back(compile_field(ident, kv.first.Scalar(), kv.second));
  }
  if (ands.empty()) fail("detection: " + ident + ": empty map");
  return Predicate::all_of(std::move(ands));
}

Predicate DocCompiler::compile_identifier(const std::string& name, const YAML::Node& body) {
  if (body.IsMap()) return compile_map(name, body);
  if (body.IsSequence()) {
    std::vector<Predicate> ors;
    for (const auto& item : body) {
      if (item.IsMap()) {
        ors.push_back(compile_map(name, item));
      } else {
        fail("detection: " + name +
             ": keyword search (a list of plain values, matched anywhere in the event) is not "
             "supported; name the field");
      }
    }
    if (ors.empty()) fail("detection: " + name + ": empty list");
    return Predicate::any_of(std::move(ors));
  }
  fail("detection: " + name +
       ": keyword search (a plain value, matched anywhere in the event) is not supported; name "
       "the field");
}

// ---------------------------------------------------------------------------------------------
// Condition: recursive descent over tokens.

class ConditionParser {
 public:
  ConditionParser(const std::string& text, const DocCompiler& dc) : text_(text), dc_(dc) { lex(); }

  Predicate parse() {
    if (toks_.empty()) fail("condition: empty");
    Predicate p = parse_or();
    if (pos_ < toks_.size()) {
      fail("condition: unexpected '" + toks_[pos_].text + "' at column " +
           std::to_string(toks_[pos_].col));
    }
    return p;
  }

 private:
  struct Tok {
    std::string text;
    int col;  // 1-based
  };

  void lex() {
    std::size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      int col = static_cast<int>(i) + 1;
      if (c == '|') {
        fail("condition: aggregation ('" + trim(text_.substr(i)) +
             "', legacy Sigma v1 count()/min()/max()/avg()/sum()) is not supported at column " +
             std::to_string(col) + "; use a native threshold rule");
      }
      if (c == '(' || c == ')') {
        toks_.push_back({std::string(1, c), col});
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < text_.size() && !std::isspace(static_cast<unsigned char>(text_[j])) &&
             text_[j] != '(' && text_[j] != ')' && text_[j] != '|') {
        ++j;
      }
      toks_.push_back({text_.substr(i, j - i), col});
      i = j;
    }
  }

  static std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
  }

  bool at(const char* word) const { return pos_ < toks_.size() && toks_[pos_].text == word; }
  [[noreturn]] void unexpected_end() const {
    fail("condition: unexpected end at column " + std::to_string(text_.size() + 1));
  }

  Predicate parse_or() {
    std::vector<Predicate> c;
    c.push_back(parse_and());
    while (at("or")) {
      ++pos_;
      c.push_back(parse_and());
    }
    return Predicate::any_of(std::move(c));
  }

  Predicate parse_and() {
    std::vector<Predicate> c;
    c.push_back(parse_not());
    while (at("and")) {
      ++pos_;
      c.push_back(parse_not());
    }
    return Predicate::all_of(std::move(c));
  }

  Predicate parse_not() {
    if (at("not")) {
      ++pos_;
      return Predicate::negation(parse_not());
    }
    return parse_primary();
  }

  Predicate parse_primary() {
    if (pos_ >= toks_.size()) unexpected_end();
    const Tok& t = toks_[pos_];
    if (t.text == "(") {
      ++pos_;
      Predicate p = parse_or();
      if (!at(")")) {
        if (pos_ >= toks_.size()) {
          fail("condition: missing ')' for '(' at column " + std::to_string(t.col));
        }
        fail("condition: expected ')' at column " + std::to_string(toks_[pos_].col) + ", found '" +
             toks_[pos_].text + "'");
      }
      ++pos_;
      return p;
    }
    if (t.text == ")" || t.text == "and" || t.text == "or" || t.text == "of") {
      fail("condition: unexpected '" + t.text + "' at column " + std::to_string(t.col));
    }
    if ((t.text == "1" || t.text == "all" || t.text == "any") && pos_ + 1 < toks_.size() &&
        toks_[pos_ + 1].text == "of") {
      if (t.text == "any") {
        fail("condition: 'any of' at column " + std::to_string(t.col) +
             " is not Sigma; use '1 of'");
      }
      bool all = t.text == "all";
      pos_ += 2;
      if (pos_ >= toks_.size()) unexpected_end();
      const Tok& target = toks_[pos_++];
      std::vector<Predicate> members;
      if (target.text == "them") {
        for (const auto& [name, pred] : dc_.idents_) {
          if (!name.empty() && name[0] == '_') continue;
          members.push_back(pred);
        }
        if (members.empty()) fail("condition: 'them' matches no search identifier");
      } else {
        for (const auto& [name, pred] : dc_.idents_) {
          if (glob_match(target.text, name)) members.push_back(pred);
        }
        if (members.empty()) {
          fail("condition: pattern '" + target.text + "' at column " + std::to_string(target.col) +
               " matches no search identifier");
        }
      }
      return all ? Predicate::all_of(std::move(members)) : Predicate::any_of(std::move(members));
    }
    if (t.text == "them" || t.text == "1" || t.text == "all") {
      fail("condition: unexpected '" + t.text + "' at column " + std::to_string(t.col));
    }
    for (const auto& [name, pred] : dc_.idents_) {
      if (name == t.text) {
        ++pos_;
        return pred;
      }
    }
    if (t.text == "near") {
      fail("condition: 'near' (legacy temporal aggregation) is not supported at column " +
           std::to_string(t.col));
    }
    fail("condition: unknown identifier '" + t.text + "' at column " + std::to_string(t.col));
  }

  const std::string& text_;
  const DocCompiler& dc_;
  std::vector<Tok> toks_;
  std::size_t pos_ = 0;
};

Predicate DocCompiler::compile_condition(const std::string& text) {
  ConditionParser p(text, *this);
  return p.parse();
}

// index_names: the eventName values the predicate requires, when it requires some.
bool required_names(const Predicate& p, std::vector<std::string>* out) {
  switch (p.kind) {
    case Predicate::Kind::kCompare:
      if (p.function == nullptr && p.field.text == "eventName" && p.op == CmpOp::kEq && !p.negate &&
          (!p.all_patterns || p.strings.size() == 1) && !p.strings.empty()) {
        for (const auto& s : p.strings) out->push_back(lower_ascii(s));
        return true;
      }
      return false;
    case Predicate::Kind::kAnd:
      for (const auto& c : p.children) {
        std::vector<std::string> names;
        if (required_names(c, &names)) {
          out->insert(out->end(), names.begin(), names.end());
          return true;
        }
      }
      return false;
    case Predicate::Kind::kOr: {
      std::vector<std::string> all;
      for (const auto& c : p.children) {
        if (!required_names(c, &all)) return false;
      }
      if (all.empty()) return false;
      out->insert(out->end(), all.begin(), all.end());
      return true;
    }
    default:
      return false;
  }
}

Rule DocCompiler::compile() {
  Rule r;
  title_ = scalar_or_empty(doc_["title"]);
  id_ = scalar_or_empty(doc_["id"]);
  if (id_.empty()) id_ = scalar_or_empty(doc_["name"]);
  if (title_.empty()) fail("missing 'title'");
  if (id_.empty()) id_ = title_slug(title_);

  // Log source: AWS CloudTrail only.
  const YAML::Node ls = doc_["logsource"];
  if (!ls || !ls.IsMap()) fail("missing 'logsource'");
  std::string product = lower_ascii(scalar_or_empty(ls["product"]));
  std::string service = lower_ascii(scalar_or_empty(ls["service"]));
  std::string category = scalar_or_empty(ls["category"]);
  if (product != "aws" || service != "cloudtrail") {
    fail("logsource (product '" + product + "', service '" + service +
         "') is not supported: only product aws, service cloudtrail");
  }
  if (!category.empty()) fail("logsource category '" + category + "' is not supported");

  r.id = id_;
  const YAML::Node st = doc_["sentinel_type"];
  r.type = st && st.IsScalar() && !st.Scalar().empty() ? st.Scalar()
                                                       : "Sigma:CloudTrail/" + camel_case(title_);
  r.title = literal_template(title_);
  r.description = literal_template(scalar_or_empty(doc_["description"]));
  std::string level = lower_ascii(scalar_or_empty(doc_["level"]));
  double sev = 5.0;
  if (!level.empty() && !sigma_level_severity(level, &sev)) fail("unknown level '" + level + "'");
  r.severity.value = sev;
  r.log_types = {ingest::LogType::kCloudTrail};
  if (const YAML::Node tags = doc_["tags"]; tags && tags.IsSequence()) {
    for (const auto& t : tags) {
      if (t.IsScalar()) r.tags.push_back(t.Scalar());
    }
  }
  std::string status = lower_ascii(scalar_or_empty(doc_["status"]));
  r.enabled = status != "deprecated" && status != "unsupported";

  // Detection.
  const YAML::Node det = doc_["detection"];
  if (!det.IsMap()) fail("'detection' must be a map");
  YAML::Node cond;
  bool has_cond = false;
  for (const auto& kv : det) {
    std::string name = kv.first.Scalar();
    if (name == "condition") {
      cond = kv.second;
      has_cond = true;
      continue;
    }
    if (name == "timeframe") continue;  // only meaningful with an aggregation (refused there)
    idents_.emplace_back(name, Predicate{});
  }
  // Compile bodies after listing names (order kept).
  for (auto& [name, pred] : idents_) pred = compile_identifier(name, det[name]);
  if (!has_cond) fail("detection: missing 'condition'");
  std::vector<Predicate> conds;
  if (cond.IsSequence()) {
    for (const auto& c : cond) {
      if (!c.IsScalar()) fail("condition: list entries must be text");
      conds.push_back(compile_condition(c.Scalar()));
    }
    if (conds.empty()) fail("condition: empty list");
  } else if (cond.IsScalar()) {
    conds.push_back(compile_condition(cond.Scalar()));
  } else {
    fail("condition: must be text or a list of texts");
  }
  r.match = Predicate::any_of(std::move(conds));
  required_names(r.match, &r.index_names);
  return r;
}

std::string doc_label(const YAML::Node& doc, const std::string& source) {
  std::string title = scalar_or_empty(doc["title"]);
  std::string id = scalar_or_empty(doc["id"]);
  if (id.empty()) id = scalar_or_empty(doc["name"]);
  std::string s = source + ": rule '" + title + "'";
  if (!id.empty()) s += " (" + id + ")";
  return s;
}

}  // namespace

bool sigma_level_severity(const std::string& level, double* out) {
  static const std::pair<const char*, double> kLevels[] = {
      {"informational", 1.0}, {"low", 2.0}, {"medium", 5.0}, {"high", 8.0}, {"critical", 9.5}};
  for (const auto& [name, v] : kLevels) {
    if (level == name) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool load_sigma(const std::string& yaml_text, const std::string& source, std::vector<Rule>* out,
                std::string* error) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    *error = source + ": YAML: " + e.what();
    return false;
  }
  std::vector<const YAML::Node*> real;
  for (const auto& d : docs) {
    if (!d.IsNull()) real.push_back(&d);
  }
  if (real.empty()) {
    *error = source + ": no Sigma rule in the file";
    return false;
  }
  std::vector<Rule> loaded;
  for (std::size_t i = 0; i < real.size(); ++i) {
    const YAML::Node& doc = *real[i];
    std::string src = real.size() > 1 ? source + "#" + std::to_string(i + 1) : source;
    if (!doc.IsMap()) {
      *error = src + ": a Sigma document must be a map";
      return false;
    }
    if (doc["correlation"]) {
      std::string type = scalar_or_empty(doc["correlation"]["type"]);
      *error = doc_label(doc, src) + ": correlation rules (type '" + type +
               "') are not supported; use a native stateful rule";
      return false;
    }
    if (doc["action"]) {
      *error = doc_label(doc, src) +
               ": rule collections ('action: " + scalar_or_empty(doc["action"]) +
               "') are not supported";
      return false;
    }
    if (!doc["detection"]) {
      *error = doc_label(doc, src) + ": no 'detection' (and not a correlation)";
      return false;
    }
    DocCompiler dc(doc, src);
    try {
      Rule r = dc.compile();
      r.source = src;
      loaded.push_back(std::move(r));
    } catch (const SigmaError& e) {
      *error = dc.label() + ": " + e.what;
      return false;
    } catch (const YAML::Exception& e) {
      *error = dc.label() + ": YAML: " + e.what();
      return false;
    }
  }
  for (auto& r : loaded) out->push_back(std::move(r));
  return true;
}

}  // namespace sentinel::detect
