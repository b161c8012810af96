#include "detect/rules/sigma.h"

#include <re2/re2.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string_view>
#include <utility>

#include "detect/ir/predicate.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"

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
/// the way to a leaf are marked: top-level `resources`, EC2's `items` lists and ECS's
/// `containerDefinitions`.
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
    if (!last &&
        ((seg == 0 && part == "resources") || part == "items" || part == "containerDefinitions")) {
      out += "[*]";
    }
    if (last) break;
    start = dot + 1;
    ++seg;
  }
  return out;
}

/// The members CloudTrail writes as JSON objects (or arrays of objects). A string match on one
/// of them (`requestParameters|contains: Suspended`) is made on its JSON text.
bool is_cloudtrail_object(const std::string& name) {
  static const char* kObjects[] = {
      "requestParameters", "responseElements",    "additionalEventData",
      "userIdentity",      "serviceEventDetails", "tlsDetails",
      "resources",         "insightDetails",      "edgeDeviceDetails"};
  for (const char* o : kObjects) {
    if (name == o) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Functions the Sigma front end binds itself (never looked up by name: rules cannot call them).

/// The CloudTrail record's JSON text as written: what keyword searches search.
class RawRecordFn final : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>&, Value* out,
            std::string*) const override {
    const ingest::CloudTrailEvent* ct = ev.cloudtrail();
    if (ct == nullptr || ct->raw.empty()) return false;
    out->kind = Value::Kind::kString;
    out->str = ct->raw;
    return true;
  }
};

/// The JSON text (minified) of a top-level member of a CloudTrail record, args[0] naming it.
class JsonTextFn final : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override {
    const ingest::CloudTrailEvent* ct = ev.cloudtrail();
    if (ct == nullptr || args.empty()) return false;
    const simdjson::dom::element* record = ingest::cloudtrail_tree(*ct);
    if (record == nullptr) return false;
    simdjson::dom::element e = *record;
    for (const auto& s : args[0].steps) {
      if (s.kind != FieldRef::Step::Kind::kKey) return false;
      if (e.at_key(s.key).get(e) != simdjson::SUCCESS) return false;
    }
    if (e.is_null()) return false;
    std::string_view sv;
    if (e.get_string().get(sv) == simdjson::SUCCESS) {
      out->str = sv;
    } else {
      *buf = simdjson::minify(e);
      out->str = *buf;
    }
    out->kind = Value::Kind::kString;
    return true;
  }
};

/// ASCII case-insensitive equality of `a` and `b`.
bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

/// Sigma's `fieldref`: true when a value of args[0] relates to a value of args[1] (equals,
/// contains, starts or ends with it), compared case-insensitively; false when either is missing.
/// Values are views into the event, valid for the call; nothing is allocated once warm.
class FieldRefFn final : public Function {
 public:
  explicit FieldRefFn(CmpOp op) : op_(op) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string*) const override {
    if (args.size() != 2) return false;
    thread_local std::vector<std::string_view> refs;
    refs.clear();
    ev.any(args[1], [&](const Value& v) {
      if (v.kind == Value::Kind::kString || (v.kind == Value::Kind::kNumber && !v.str.empty())) {
        refs.push_back(v.str);
      }
      return false;
    });
    if (refs.empty()) return false;
    bool hit = ev.any(args[0], [&](const Value& v) {
      if (v.kind != Value::Kind::kString && v.kind != Value::Kind::kNumber) return false;
      const std::string_view text = v.str;
      for (std::string_view r : refs) {
        switch (op_) {
          case CmpOp::kContains:
            for (std::size_t i = 0; i + r.size() <= text.size(); ++i) {
              if (ieq(text.substr(i, r.size()), r)) return true;
            }
            break;
          case CmpOp::kStartsWith:
            if (text.size() >= r.size() && ieq(text.substr(0, r.size()), r)) return true;
            break;
          case CmpOp::kEndsWith:
            if (text.size() >= r.size() && ieq(text.substr(text.size() - r.size()), r)) return true;
            break;
          default:
            if (ieq(text, r)) return true;
        }
      }
      return false;
    });
    out->kind = Value::Kind::kBool;
    out->boolean = hit;
    return true;
  }

 private:
  CmpOp op_;
};

const RawRecordFn kRawRecord;
const JsonTextFn kJsonText;
const FieldRefFn kFieldRefEq(CmpOp::kEq);
const FieldRefFn kFieldRefContains(CmpOp::kContains);
const FieldRefFn kFieldRefStartsWith(CmpOp::kStartsWith);
const FieldRefFn kFieldRefEndsWith(CmpOp::kEndsWith);

// ---------------------------------------------------------------------------------------------
// Value transformations (modifiers that rewrite the values before matching)

/// UTF-8 to UTF-16 code units (invalid bytes taken as Latin-1).
std::u16string utf16_of(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    std::size_t n = 1;
    if (c >= 0xF0 && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
           (s[i + 3] & 0x3Fu);
      n = 4;
    } else if (c >= 0xE0 && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
      n = 3;
    } else if (c >= 0xC0 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
      n = 2;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += n;
  }
  return out;
}

std::string utf16_bytes(std::string_view s, bool big_endian, bool bom) {
  std::string out;
  if (bom) out += big_endian ? std::string("\xFE\xFF", 2) : std::string("\xFF\xFE", 2);
  for (char16_t u : utf16_of(s)) {
    char lo = static_cast<char>(u & 0xFF), hi = static_cast<char>(u >> 8);
    if (big_endian) {
      out += hi;
      out += lo;
    } else {
      out += lo;
      out += hi;
    }
  }
  return out;
}

std::string base64_of(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

/// The three encodings of `v` at byte offsets 0, 1 and 2 of a longer base64 text, trimmed of
/// the characters that depend on the neighbouring bytes (Sigma's `base64offset`).
std::vector<std::string> base64_offsets(std::string_view v) {
  static const std::size_t kStart[] = {0, 2, 3};
  static const std::size_t kEndTrim[] = {0, 3, 2};  // chars dropped at the end, by (len+i)%3
  std::vector<std::string> out;
  for (std::size_t i = 0; i < 3; ++i) {
    std::string padded = std::string(i, ' ') + std::string(v);
    std::string enc = base64_of(padded);
    std::size_t trim = kEndTrim[(v.size() + i) % 3];
    std::size_t b = kStart[i];
    std::size_t e = enc.size() >= trim ? enc.size() - trim : 0;
    out.push_back(e > b ? enc.substr(b, e - b) : std::string());
  }
  return out;
}

/// Sigma's `windash`: every `-` or `/` that starts a word, written as each of - / – — ―.
std::vector<std::string> windash_variants(const std::string& v, const std::string& where) {
  static const char* kDashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
  std::vector<std::size_t> spots;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if ((v[i] == '-' || v[i] == '/') && (i == 0 || v[i - 1] == ' ')) spots.push_back(i);
  }
  if (spots.size() > 4) fail(where + ": 'windash' on more than 4 dashes in one value");
  std::vector<std::string> out{""};
  std::size_t prev = 0;
  for (std::size_t s : spots) {
    std::vector<std::string> next;
    for (const auto& o : out) {
      for (const char* d : kDashes) next.push_back(o + v.substr(prev, s - prev) + d);
    }
    out = std::move(next);
    prev = s + 1;
  }
  for (auto& o : out) o += v.substr(prev);
  return out;
}

bool is_time_mod(const std::string& m) {
  static const char* kTime[] = {"minute", "hour", "day", "week", "month", "year"};
  for (const char* r : kTime) {
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
  // What the values are matched against: a field, the whole record (keywords) or the JSON text
  // of an object member.
  const bool keyword = field_name.empty();
  FieldRef field;
  if (!keyword) {
    std::string ferr;
    if (!FieldRef::parse(cloudtrail_path(field_name), &field, &ferr)) {
      fail(where + ": bad field name: " + ferr);
    }
    field.text = field_name;
  }

  enum class Base { kNone, kContains, kStartsWith, kEndsWith, kRe, kCidr, kExists, kNum };
  Base base = Base::kNone;
  CmpOp num_op = CmpOp::kLt;
  bool all = false, cased = false, neq = false, expand = false, fieldref = false;
  bool base64 = false, base64offset = false, windash = false;
  enum class Wide { kNone, kLe, kBe, kBom } wide = Wide::kNone;
  std::string re_flags;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string m = lower_ascii(parts[i]);
    auto set_base = [&](Base b) {
      if (base != Base::kNone) {
        fail(where + ": modifier '" + m + "' cannot be combined with an earlier one");
      }
      base = b;
    };
    auto set_wide = [&](Wide w) {
      if (wide != Wide::kNone) fail(where + ": two of utf16le/utf16be/utf16/wide");
      if (base64 || base64offset) {
        fail(where + ": '" + m + "' must come before 'base64'/'base64offset'");
      }
      wide = w;
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
    else if (m == "expand")
      expand = true;
    else if (m == "fieldref")
      fieldref = true;
    else if (m == "windash")
      windash = true;
    else if (m == "base64")
      base64 = true;
    else if (m == "base64offset")
      base64offset = true;
    else if (m == "utf16le" || m == "wide")
      set_wide(Wide::kLe);
    else if (m == "utf16be")
      set_wide(Wide::kBe);
    else if (m == "utf16")
      set_wide(Wide::kBom);
    else if (is_time_mod(m))
      fail(where + ": modifier '" + m +
           "' (a part of a timestamp field) is not supported: CloudTrail times are text");
    else
      fail(where + ": unknown modifier '" + m + "'");
  }
  if (all && neq) fail(where + ": modifiers 'all' and 'neq' together are not supported");
  if (base64 && base64offset) fail(where + ": 'base64' and 'base64offset' together");
  if (base64offset && base != Base::kContains) {
    fail(where + ": 'base64offset' must be followed by 'contains'");
  }
  const bool transforms = base64 || base64offset || windash || wide != Wide::kNone;
  if (transforms && (base == Base::kRe || base == Base::kCidr || base == Base::kExists ||
                     base == Base::kNum || expand || fieldref)) {
    fail(where +
         ": base64/base64offset/windash/utf16 only apply to plain and contains/startswith/"
         "endswith values");
  }
  if (keyword && (base == Base::kCidr || base == Base::kExists || base == Base::kNum || neq ||
                  expand || fieldref)) {
    fail(where +
         ": keyword search (no field) takes only plain values, 'all', 'cased', 're', "
         "'contains' and the encoding modifiers");
  }

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
    if (all || cased || neq || expand || fieldref) {
      fail(where + ": 'exists' cannot be combined with other modifiers");
    }
    Predicate p;
    p.kind = Predicate::Kind::kCompare;
    p.field = field;
    p.op = CmpOp::kExists;
    p.negate = b == "false";
    return p;
  }

  // null: field absent or JSON null (only for plain values).
  bool has_null = false;
  std::vector<std::string> plain;
  std::vector<YAML::Node> plain_nodes;
  for (const auto& v : values) {
    if (v.IsNull()) {
      if (base != Base::kNone || expand || fieldref || transforms || keyword) {
        fail(where + ": null cannot be used with modifiers or in a keyword search");
      }
      has_null = true;
    } else {
      plain.push_back(v.Scalar());
      plain_nodes.push_back(v);
    }
  }
  if (has_null && (all || neq)) fail(where + ": null cannot be used with 'all' or 'neq'");

  // expand: a `%name%` placeholder stands for the named list of the configuration
  // (sentinel.yaml lists), matched as whole values.
  if (expand) {
    if (base != Base::kNone || fieldref || cased || all) {
      fail(where + ": 'expand' cannot be combined with other modifiers");
    }
    std::vector<Predicate> ors;
    for (const auto& s : plain) {
      if (s.size() < 3 || s.front() != '%' || s.back() != '%' || s.find('%', 1) != s.size() - 1) {
        fail(where + ": 'expand' needs each value to be one placeholder '%name%' (got '" + s +
             "')");
      }
      Predicate p;
      p.kind = Predicate::Kind::kCompare;
      p.field = field;
      p.op = CmpOp::kInList;
      p.list = s.substr(1, s.size() - 2);
      p.negate = neq;
      ors.push_back(std::move(p));
    }
    return neq ? Predicate::all_of(std::move(ors)) : Predicate::any_of(std::move(ors));
  }

  // fieldref: the value names another field.
  if (fieldref) {
    if (base != Base::kNone && base != Base::kContains && base != Base::kStartsWith &&
        base != Base::kEndsWith) {
      fail(where + ": 'fieldref' combines only with contains, startswith, endswith");
    }
    if (cased) fail(where + ": 'fieldref' with 'cased' is not supported");
    std::vector<Predicate> preds;
    for (const auto& s : plain) {
      FieldRef other;
      std::string ferr;
      if (!FieldRef::parse(cloudtrail_path(s), &other, &ferr)) {
        fail(where + ": bad field name '" + s + "': " + ferr);
      }
      other.text = s;
      Predicate p;
      p.kind = Predicate::Kind::kCompare;
      p.field.text = field_name + "|fieldref:" + s;
      p.function = base == Base::kContains     ? &kFieldRefContains
                   : base == Base::kStartsWith ? &kFieldRefStartsWith
                   : base == Base::kEndsWith   ? &kFieldRefEndsWith
                                               : &kFieldRefEq;
      p.args = {field, other};
      p.op = neq ? CmpOp::kIsFalse : CmpOp::kIsTrue;
      preds.push_back(std::move(p));
    }
    return all || neq ? Predicate::all_of(std::move(preds)) : Predicate::any_of(std::move(preds));
  }

  // A function target for keyword searches and string matches on object members.
  const Function* target_fn = nullptr;
  std::vector<FieldRef> target_args;
  if (keyword) {
    target_fn = &kRawRecord;
  } else if (is_cloudtrail_object(field_name) &&
             (base == Base::kNone || base == Base::kContains || base == Base::kStartsWith ||
              base == Base::kEndsWith || base == Base::kRe)) {
    target_fn = &kJsonText;
    target_args.push_back(field);
  }

  auto make = [&](CmpOp op) {
    Predicate p;
    p.kind = Predicate::Kind::kCompare;
    p.field = field;
    if (target_fn != nullptr) {
      p.field.text = keyword ? "(keywords)" : field_name;
      p.function = target_fn;
      p.args = target_args;
    }
    p.op = op;
    p.negate = neq;
    return p;
  };

  // Each written value becomes one group of alternatives (its encodings and dash variants).
  std::vector<std::vector<std::string>> groups;
  for (const auto& s : plain) {
    std::vector<std::string> alts{s};
    if (windash) {
      std::vector<std::string> next;
      for (const auto& a : alts) {
        for (auto& w : windash_variants(a, where)) next.push_back(std::move(w));
      }
      alts = std::move(next);
    }
    if (wide != Wide::kNone) {
      for (auto& a : alts) a = utf16_bytes(a, wide == Wide::kBe, wide == Wide::kBom);
    }
    if (base64) {
      for (auto& a : alts) a = base64_of(a);
    } else if (base64offset) {
      std::vector<std::string> next;
      for (const auto& a : alts) {
        for (auto& b : base64_offsets(a)) next.push_back(std::move(b));
      }
      alts = std::move(next);
    }
    if (transforms) {
      // Encoded text is literal: escape what the value syntax would read as wildcards.
      for (auto& a : alts) {
        std::string esc;
        for (char c : a) {
          if (c == '*' || c == '?' || c == '\\') esc += '\\';
          esc += c;
        }
        a = std::move(esc);
      }
    }
    groups.push_back(std::move(alts));
  }

  // Compiles values (OR-ed) into predicates grouped by op. `nodes` (parallel to vals, or null)
  // tells plain YAML numbers, which also compare numerically.
  auto compile_values = [&](const std::vector<std::string>& vals,
                            const std::vector<YAML::Node>* nodes) {
    std::vector<Predicate> preds;
    if (base == Base::kRe) {
      Predicate p = make(CmpOp::kRegex);
      for (const auto& s : vals) {
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
      for (const auto& s : vals) {
        Cidr c;
        if (!Cidr::parse(s, &c)) fail(where + ": bad network '" + s + "'");
        p.cidrs.push_back(c);
      }
      preds.push_back(std::move(p));
    } else if (base == Base::kNum) {
      Predicate p = make(num_op);
      for (const auto& s : vals) {
        double d = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
          fail(where + ": '" + s + "' is not a number");
        }
        p.numbers.push_back(d);
      }
      preds.push_back(std::move(p));
    } else {
      // String matching, whole value, case-insensitive unless |cased. A keyword matches
      // anywhere in the record (an implicit contains).
      const bool ci = !cased;
      const bool around = base == Base::kContains || keyword;
      std::map<CmpOp, Predicate> by_op;
      for (std::size_t k = 0; k < vals.size(); ++k) {
        const std::string& s = vals[k];
        std::vector<Token> toks = tokenize_value(s);
        if (around || base == Base::kEndsWith)
          toks.insert(toks.begin(), Token{Token::Kind::kStar, 0});
        if (around || base == Base::kStartsWith) toks.push_back(Token{Token::Kind::kStar, 0});
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
          if (nodes != nullptr && (*nodes)[k].Tag() == "?" && !s.empty()) {
            double x = 0;
            auto r = std::from_chars(s.data(), s.data() + s.size(), x);
            if (r.ec == std::errc() && r.ptr == s.data() + s.size()) d = x;
          }
          p.numbers.push_back(d);
        }
      }
      for (auto& [op, p] : by_op) preds.push_back(std::move(p));
    }
    return preds;
  };

  bool multi_alt = false;
  for (const auto& g : groups) multi_alt |= g.size() > 1;

  if (all && (target_fn != nullptr || multi_alt)) {
    // Every written value must match: an AND over values of an OR over their alternatives
    // (function targets evaluate one pattern set at a time, so `all` is spelt out).
    std::vector<Predicate> ands;
    for (const auto& g : groups) ands.push_back(Predicate::any_of(compile_values(g, nullptr)));
    return Predicate::all_of(std::move(ands));
  }

  std::vector<std::string> flat;
  for (const auto& g : groups) flat.insert(flat.end(), g.begin(), g.end());
  std::vector<Predicate> preds = compile_values(flat, transforms ? nullptr : &plain_nodes);

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
    bool maps = false, scalars = false;
    for (const auto& item : body) {
      if (item.IsMap()) {
        maps = true;
      } else if (item.IsScalar() || item.IsNull()) {
        scalars = true;
      } else {
        fail("detection: " + name + ": a list must hold maps or plain values");
      }
    }
    if (maps && scalars) {
      fail("detection: " + name + ": a list mixes maps and plain values (keywords)");
    }
    if (scalars) return compile_field(name, "", body);  // keyword search: any of them
    std::vector<Predicate> ors;
    for (const auto& item : body) ors.push_back(compile_map(name, item));
    if (ors.empty()) fail("detection: " + name + ": empty list");
    return Predicate::any_of(std::move(ors));
  }
  if (body.IsScalar()) return compile_field(name, "", body);  // one keyword
  fail("detection: " + name + ": empty search identifier");
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
             "', a legacy Sigma v1 aggregation: count/min/max/avg/sum/near) is not supported at "
             "column " +
             std::to_string(col) +
             "; write it as a correlation (event_count, value_count) or a native threshold rule");
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

// index_names: the values of `field` (eventName, eventSource) the predicate requires, when it
// requires some: through top-level ANDs, and ORs whose every branch requires some; only plain,
// non-negated, whole-value equality counts.
bool required_values(const Predicate& p, const char* field, std::vector<std::string>* out) {
  switch (p.kind) {
    case Predicate::Kind::kCompare:
      if (p.function == nullptr && p.field.text == field && p.op == CmpOp::kEq && !p.negate &&
          (!p.all_patterns || p.strings.size() == 1) && !p.strings.empty()) {
        for (const auto& s : p.strings) out->push_back(lower_ascii(s));
        return true;
      }
      return false;
    case Predicate::Kind::kAnd:
      for (const auto& c : p.children) {
        std::vector<std::string> names;
        if (required_values(c, field, &names)) {
          out->insert(out->end(), names.begin(), names.end());
          return true;
        }
      }
      return false;
    case Predicate::Kind::kOr: {
      std::vector<std::string> all;
      for (const auto& c : p.children) {
        if (!required_values(c, field, &all)) return false;
      }
      if (all.empty()) return false;
      out->insert(out->end(), all.begin(), all.end());
      return true;
    }
    default:
      return false;
  }
}

bool required_names(const Predicate& p, std::vector<std::string>* out) {
  return required_values(p, "eventName", out);
}

/// GuardDuty's finding purpose for a MITRE ATT&CK tactic tag (`attack.defense-evasion`).
const char* purpose_of_tag(std::string tag) {
  tag = lower_ascii(tag);
  for (char& c : tag) {
    if (c == '_') c = '-';
  }
  static const std::pair<const char*, const char*> kTactics[] = {
      {"attack.initial-access", "InitialAccess"},
      {"attack.execution", "Execution"},
      {"attack.persistence", "Persistence"},
      {"attack.privilege-escalation", "PrivilegeEscalation"},
      {"attack.defense-evasion", "DefenseEvasion"},
      {"attack.defense-impairment", "DefenseEvasion"},
      {"attack.stealth", "Stealth"},
      {"attack.credential-access", "CredentialAccess"},
      {"attack.discovery", "Discovery"},
      {"attack.reconnaissance", "Recon"},
      {"attack.lateral-movement", "UnauthorizedAccess"},
      {"attack.collection", "Exfiltration"},
      {"attack.exfiltration", "Exfiltration"},
      {"attack.command-and-control", "Backdoor"},
      {"attack.impact", "Impact"},
  };
  for (const auto& [t, purpose] : kTactics) {
    if (tag == t) return purpose;
  }
  return nullptr;
}

/// GuardDuty's resource type for the event sources a rule requires (IAMUser when they are
/// several kinds, or unknown: a CloudTrail call is made by an identity).
std::string resource_of_sources(const std::vector<std::string>& sources) {
  static const std::pair<const char*, const char*> kSources[] = {
      {"s3.amazonaws.com", "S3"},          {"ec2.amazonaws.com", "EC2"},
      {"rds.amazonaws.com", "RDS"},        {"lambda.amazonaws.com", "Lambda"},
      {"eks.amazonaws.com", "Kubernetes"}, {"ecs.amazonaws.com", "ECS"},
  };
  std::string res;
  for (const auto& s : sources) {
    std::string r = "IAMUser";
    for (const auto& [src, name] : kSources) {
      if (s == src) r = name;
    }
    if (!res.empty() && res != r) return "IAMUser";
    res = r;
  }
  return res.empty() ? "IAMUser" : res;
}

/// The finding type of a Sigma rule: `sentinel_type:` when given, else
/// `<Purpose>:<Resource>/<TitleInCamelCase>.Sigma` in GuardDuty's grammar, the purpose from the
/// first ATT&CK tactic tag (UnauthorizedAccess when none), the resource from the event sources
/// the rule requires.
std::string finding_type(const YAML::Node& doc, const std::vector<std::string>& tags,
                         const Predicate& match, const std::string& title) {
  const YAML::Node st = doc["sentinel_type"];
  if (st && st.IsScalar() && !st.Scalar().empty()) {
    const std::string& t = st.Scalar();
    if (t.find(':') == std::string::npos || t.find('/') == std::string::npos) {
      fail("sentinel_type '" + t + "' is not in the grammar Purpose:Resource/Family.Mechanism");
    }
    return t;
  }
  const char* purpose = nullptr;
  for (const auto& t : tags) {
    if ((purpose = purpose_of_tag(t)) != nullptr) break;
  }
  std::vector<std::string> sources;
  required_values(match, "eventSource", &sources);
  std::string family = camel_case(title);
  if (family.empty()) family = "Rule";
  return std::string(purpose != nullptr ? purpose : "UnauthorizedAccess") + ":" +
         resource_of_sources(sources) + "/" + family + ".Sigma";
}

/// The fields every Sigma document shares: title, id (else name, else a slug of the title),
/// description, level, tags, status.
void fill_common(const YAML::Node& doc, const std::string& title, const std::string& id, Rule* r) {
  r->id = id;
  r->title = literal_template(title);
  r->description = literal_template(scalar_or_empty(doc["description"]));
  std::string level = lower_ascii(scalar_or_empty(doc["level"]));
  double sev = 5.0;
  if (!level.empty() && !sigma_level_severity(level, &sev)) fail("unknown level '" + level + "'");
  r->severity.value = sev;
  r->log_types = {ingest::LogType::kCloudTrail};
  if (const YAML::Node tags = doc["tags"]; tags && tags.IsSequence()) {
    for (const auto& t : tags) {
      if (t.IsScalar()) r->tags.push_back(t.Scalar());
    }
  }
  std::string status = lower_ascii(scalar_or_empty(doc["status"]));
  r->enabled = status != "deprecated" && status != "unsupported";
}

Rule DocCompiler::compile() {
  Rule r;
  title_ = scalar_or_empty(doc_["title"]);
  id_ = scalar_or_empty(doc_["id"]);
  if (id_.empty()) id_ = scalar_or_empty(doc_["name"]);
  if (title_.empty()) fail("missing 'title'");
  if (id_.empty()) id_ = title_slug(title_);

  // Log source: AWS CloudTrail only. A category that names a CloudTrail event category
  // (management, data, insight, networkactivity) requires it in `eventCategory` when the
  // record has one (records before eventVersion 1.07 have none).
  const YAML::Node ls = doc_["logsource"];
  if (!ls || !ls.IsMap()) fail("missing 'logsource'");
  std::string product = lower_ascii(scalar_or_empty(ls["product"]));
  std::string service = lower_ascii(scalar_or_empty(ls["service"]));
  std::string category = lower_ascii(scalar_or_empty(ls["category"]));
  // Older SigmaHQ rules name only the service: CloudTrail is AWS's, so no product means aws.
  if ((product != "aws" && !product.empty()) || service != "cloudtrail") {
    fail("logsource (product '" + product + "', service '" + service +
         "') is not supported: only product aws, service cloudtrail");
  }
  std::vector<Predicate> category_filter;
  if (!category.empty()) {
    if (category != "management" && category != "data" && category != "insight" &&
        category != "networkactivity") {
      fail("logsource category '" + category +
           "' is not supported (only CloudTrail's event categories: management, data, insight, "
           "networkactivity)");
    }
    Predicate eq;
    eq.kind = Predicate::Kind::kCompare;
    std::string ferr;
    FieldRef::parse("eventCategory", &eq.field, &ferr);
    eq.op = CmpOp::kEq;
    eq.case_insensitive = true;
    eq.strings = {category};
    eq.numbers = {std::numeric_limits<double>::quiet_NaN()};
    Predicate absent;
    absent.kind = Predicate::Kind::kCompare;
    absent.field = eq.field;
    absent.op = CmpOp::kExists;
    absent.negate = true;
    std::vector<Predicate> either;
    either.push_back(std::move(eq));
    either.push_back(std::move(absent));
    category_filter.push_back(Predicate::any_of(std::move(either)));
  }

  fill_common(doc_, title_, id_, &r);

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
  if (!category_filter.empty()) {
    category_filter.insert(category_filter.begin(), std::move(r.match));
    r.match = Predicate::all_of(std::move(category_filter));
  }
  r.type = finding_type(doc_, r.tags, r.match, title_);
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

// ---------------------------------------------------------------------------------------------
// Correlations (Sigma's meta rules) mapped onto the stateful clauses.

/// `5m`, `30s`, `1h`, `2d` (Sigma's timespan) in milliseconds.
int64_t parse_timespan(const std::string& t) {
  if (t.size() < 2) fail("correlation: timespan '" + t + "' is not a number and a unit");
  const char unit = t.back();
  const std::string num = t.substr(0, t.size() - 1);
  uint64_t n = 0;
  auto r = std::from_chars(num.data(), num.data() + num.size(), n);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size() || n == 0) {
    fail("correlation: timespan '" + t + "' is not a positive whole number and a unit");
  }
  int64_t unit_ms = unit == 's'   ? 1000
                    : unit == 'm' ? 60 * 1000
                    : unit == 'h' ? 3600 * 1000
                    : unit == 'd' ? 86400 * 1000LL
                    : unit == 'w' ? 7 * 86400 * 1000LL
                                  : 0;
  if (unit_ms == 0) fail("correlation: timespan '" + t + "': unit must be s, m, h, d or w");
  if (n > 365ull * 86400) fail("correlation: timespan '" + t + "' is too long");
  return static_cast<int64_t>(n) * unit_ms;
}

std::vector<std::string> scalars(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& v : n) {
      if (!v.IsScalar()) fail("correlation: " + what + ": a list of names is expected");
      out.push_back(v.Scalar());
    }
  } else {
    fail("correlation: " + what + ": a name or a list of names is expected");
  }
  return out;
}

/// The minimum count a correlation condition asks for (`gte: N` → N, `gt: N` → N + 1).
/// Other comparisons are refused: the stateful clauses fire when a count reaches a minimum.
uint64_t condition_minimum(const YAML::Node& c, bool needs_field, std::string* field) {
  if (!c || !c.IsMap()) fail("correlation: 'condition' (a map such as {gte: 10}) is required");
  uint64_t min = 0;
  bool have = false;
  for (const auto& kv : c) {
    const std::string k = kv.first.Scalar();
    if (k == "field") {
      if (!kv.second.IsScalar()) fail("correlation: condition.field must be a field name");
      *field = kv.second.Scalar();
      continue;
    }
    if (k == "gte" || k == "gt") {
      if (have) fail("correlation: condition has two minimums");
      const std::string v = kv.second.IsScalar() ? kv.second.Scalar() : "";
      uint64_t n = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
        fail("correlation: condition." + k + ": a whole number is expected");
      }
      min = k == "gt" ? n + 1 : n;
      if (min == 0) min = 1;
      have = true;
      continue;
    }
    if (k == "lt" || k == "lte" || k == "eq" || k == "neq" || k == "range") {
      fail("correlation: condition '" + k +
           "' is not supported: the stateful clauses fire when a count reaches a minimum "
           "(use gte or gt)");
    }
    fail("correlation: unknown condition key '" + k + "'");
  }
  if (!have) fail("correlation: condition needs gte or gt");
  if (needs_field && field->empty()) fail("correlation: value_count needs condition.field");
  if (!needs_field && !field->empty()) {
    fail("correlation: condition.field only applies to value_count");
  }
  return min;
}

Rule compile_correlation(const YAML::Node& doc, std::vector<Rule>* loaded,
                         const std::map<std::string, std::size_t>& by_name) {
  Rule r;
  const std::string title = scalar_or_empty(doc["title"]);
  std::string id = scalar_or_empty(doc["id"]);
  if (id.empty()) id = scalar_or_empty(doc["name"]);
  if (title.empty()) fail("missing 'title'");
  if (id.empty()) id = title_slug(title);
  fill_common(doc, title, id, &r);
  const YAML::Node c = doc["correlation"];
  if (!c.IsMap()) fail("'correlation' must be a map");
  const std::string type = scalar_or_empty(c["type"]);
  if (c["aliases"]) {
    fail(
        "correlation: 'aliases' (fields renamed per rule) is not supported; use one field name "
        "in every rule");
  }
  std::vector<std::string> refs = scalars(c["rules"], "rules");
  if (refs.empty()) fail("correlation: 'rules' is required");
  std::vector<std::size_t> steps;
  for (const auto& ref : refs) {
    auto it = by_name.find(ref);
    if (it == by_name.end()) {
      fail("correlation: rule '" + ref +
           "' is not a detection rule of this file (correlations refer to the rules beside them "
           "by name or id; chained correlations are not supported)");
    }
    steps.push_back(it->second);
  }
  for (const auto& g : scalars(c["group-by"], "group-by")) {
    FieldRef f;
    std::string ferr;
    if (!FieldRef::parse(cloudtrail_path(g), &f, &ferr)) {
      fail("correlation: group-by '" + g + "': " + ferr);
    }
    f.text = g;
    r.stateful.group_by.push_back(std::move(f));
  }
  const std::string span = scalar_or_empty(c["timespan"]);
  if (span.empty()) fail("correlation: 'timespan' is required");
  r.stateful.window_ms = parse_timespan(span);

  std::vector<Predicate> preds;
  for (std::size_t i : steps) preds.push_back((*loaded)[i].match);
  if (type == "event_count" || type == "value_count") {
    std::string field;
    r.stateful.threshold = condition_minimum(c["condition"], type == "value_count", &field);
    if (type == "event_count") {
      r.stateful.kind = StatefulSpec::Kind::kThreshold;
    } else {
      r.stateful.kind = StatefulSpec::Kind::kDistinct;
      std::string ferr;
      if (!FieldRef::parse(cloudtrail_path(field), &r.stateful.distinct_field, &ferr)) {
        fail("correlation: condition.field '" + field + "': " + ferr);
      }
      r.stateful.distinct_field.text = field;
    }
    r.match = Predicate::any_of(std::move(preds));
  } else if (type == "temporal_ordered") {
    if (steps.size() < 2) fail("correlation: temporal_ordered needs two or more rules");
    if (c["condition"]) {
      std::string field;
      if (condition_minimum(c["condition"], false, &field) != steps.size()) {
        fail(
            "correlation: temporal_ordered with a condition below the number of rules is not "
            "supported (every rule must match, in order)");
      }
    }
    r.stateful.kind = StatefulSpec::Kind::kSequence;
    r.stateful.steps = preds;
    for (std::size_t k = 0; k < steps.size(); ++k) r.stateful.step_names.push_back(refs[k]);
    r.match = Predicate::any_of(std::move(preds));
  } else if (type == "temporal") {
    fail(
        "correlation type 'temporal' (the rules in any order) is not supported: the sequence "
        "clause is ordered; write temporal_ordered");
  } else {
    fail("correlation: unknown type '" + type +
         "' (event_count, value_count, temporal, temporal_ordered)");
  }
  r.type = finding_type(doc, r.tags, r.match, title);
  required_names(r.match, &r.index_names);
  // The rules a correlation uses report nothing of their own unless it says `generate: true`.
  const bool generate = lower_ascii(scalar_or_empty(c["generate"])) == "true";
  if (!generate) {
    for (std::size_t i : steps) (*loaded)[i].enabled = false;
  }
  return r;
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
  auto src_of = [&](std::size_t i) {
    return real.size() > 1 ? source + "#" + std::to_string(i + 1) : source;
  };
  // Detection documents first (correlations refer to them, before or after), then correlations.
  std::vector<Rule> loaded;
  std::map<std::string, std::size_t> by_name;  // name and id -> index in loaded
  std::vector<std::size_t> correlations;
  for (std::size_t i = 0; i < real.size(); ++i) {
    const YAML::Node& doc = *real[i];
    const std::string src = src_of(i);
    if (!doc.IsMap()) {
      *error = src + ": a Sigma document must be a map";
      return false;
    }
    if (doc["correlation"]) {
      correlations.push_back(i);
      continue;
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
      for (const char* k : {"name", "id"}) {
        const std::string n = scalar_or_empty(doc[k]);
        if (!n.empty()) by_name[n] = loaded.size();
      }
      loaded.push_back(std::move(r));
    } catch (const SigmaError& e) {
      *error = dc.label() + ": " + e.what;
      return false;
    } catch (const YAML::Exception& e) {
      *error = dc.label() + ": YAML: " + e.what();
      return false;
    }
  }
  for (std::size_t i : correlations) {
    const YAML::Node& doc = *real[i];
    const std::string src = src_of(i);
    try {
      Rule r = compile_correlation(doc, &loaded, by_name);
      r.source = src;
      loaded.push_back(std::move(r));
    } catch (const SigmaError& e) {
      *error = doc_label(doc, src) + ": " + e.what;
      return false;
    } catch (const YAML::Exception& e) {
      *error = doc_label(doc, src) + ": YAML: " + e.what();
      return false;
    }
  }
  for (auto& r : loaded) out->push_back(std::move(r));
  return true;
}

SigmaDirReport check_sigma_dir(const std::string& path) {
  namespace fs = std::filesystem;
  SigmaDirReport rep;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const std::string ext = it->path().extension().string();
      if (it->is_regular_file(ec) && (ext == ".yml" || ext == ".yaml")) {
        files.push_back(it->path().string());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    rep.error = path + ": no such file or directory";
    return rep;
  }
  for (const auto& f : files) {
    SigmaFileResult res;
    res.path = f;
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      res.error = f + ": cannot be read";
    } else {
      std::stringstream ss;
      ss << in.rdbuf();
      std::vector<Rule> rules;
      res.loaded = load_sigma(ss.str(), f, &rules, &res.error);
      res.rules = rules.size();
      for (const auto& r : rules) {
        if (r.stateful.kind != StatefulSpec::Kind::kNone) ++res.correlations;
      }
    }
    if (res.loaded) {
      ++rep.loaded;
    } else {
      // The reason without the file and rule: after the label "...: rule '...' (...): ".
      std::string reason = res.error;
      std::size_t at = reason.find(": rule '");
      if (at != std::string::npos) {
        std::size_t q = reason.find("': ", at + 8);
        std::size_t p = reason.find("): ", at + 8);
        std::size_t cut = std::string::npos;
        if (p != std::string::npos && (q == std::string::npos || p < q))
          cut = p + 3;
        else if (q != std::string::npos)
          cut = q + 3;
        if (cut != std::string::npos) reason = reason.substr(cut);
      }
      res.reason = reason;
      ++rep.refused;
    }
    rep.files.push_back(std::move(res));
  }
  return rep;
}

}  // namespace sentinel::detect
