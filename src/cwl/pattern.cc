#include "cwl/pattern.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cwl {

using detect::CmpOp;
using detect::EventView;
using detect::FieldRef;
using detect::Predicate;
using detect::Value;

namespace {

// CloudWatch's own quotas, which we keep so patterns that work here also work there.
constexpr int kMaxRegexPerPattern = 2;
constexpr int kMaxWildcardSelectors = 3;

// The message text of the event, as a function the IR can call (no arguments).
class MessageFn : public detect::Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>&, Value* out,
            std::string* buf) const override {
    out->kind = Value::Kind::kString;
    out->str = message_text(ev, buf);
    return true;
  }
};

// One field of a space-delimited message, counted from the start or from the end.
class DelimitedFieldFn : public detect::Function {
 public:
  DelimitedFieldFn(std::size_t index, bool from_end) : index_(index), from_end_(from_end) {}
  bool call(const EventView& ev, const std::vector<FieldRef>&, Value* out,
            std::string* buf) const override {
    std::string_view msg = message_text(ev, buf);
    std::size_t want = index_;
    if (from_end_) {
      std::size_t n = split_delimited(msg, [](std::size_t, std::string_view) { return false; });
      if (index_ >= n) return false;
      want = n - 1 - index_;
    }
    bool found = false;
    split_delimited(msg, [&](std::size_t i, std::string_view f) {
      if (i != want) return false;
      out->kind = Value::Kind::kString;
      out->str = f;
      found = true;
      return true;
    });
    return found;
  }

 private:
  std::size_t index_;
  bool from_end_;
};

// The number of fields of a space-delimited message.
class DelimitedCountFn : public detect::Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>&, Value* out,
            std::string* buf) const override {
    std::string_view msg = message_text(ev, buf);
    out->kind = Value::Kind::kNumber;
    out->str = {};
    out->number = static_cast<double>(
        split_delimited(msg, [](std::size_t, std::string_view) { return false; }));
    return true;
  }
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Escapes `?` and `\` so glob_match treats only `*` as a wildcard (CloudWatch has no `?`).
std::string cw_glob(std::string_view s) {
  std::string g;
  for (char c : s) {
    if (c == '?' || c == '\\') g.push_back('\\');
    g.push_back(c);
  }
  return g;
}

bool parse_number(std::string_view s, double* out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

// True when `s` holds a byte no rendering of a JSON number has: a number's text (as the
// comparison renders it) then never contains it.
bool beyond_number_text(std::string_view s) {
  for (char c : s) {
    if (std::string_view("0123456789+-.eE").find(c) == std::string_view::npos) return true;
  }
  return false;
}

// True when `s` could be the text of a JSON number as the comparison renders it (all of it reads
// as a number): only then may a record value equal to it be written otherwise (1e2 for "100").
bool could_be_number_text(std::string_view s) {
  double d;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The longest run of literal text in a glob (`*` and `?` split; `\*`, `\?`, `\\` are literal).
std::string longest_glob_literal(std::string_view g) {
  std::string best, cur;
  for (std::size_t i = 0; i < g.size(); ++i) {
    char c = g[i];
    if (c == '\\' && i + 1 < g.size() && (g[i + 1] == '*' || g[i + 1] == '?' || g[i + 1] == '\\')) {
      cur.push_back(g[++i]);
      continue;
    }
    if (c == '*' || c == '?') {
      if (cur.size() > best.size()) best = cur;
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  return cur.size() > best.size() ? cur : best;
}

// Strings one of which a record must hold for `p` to be true of it (see
// Pattern::required_literals); false when there is no such set.
bool needed_literals(const Predicate& p, std::vector<std::string>* out) {
  switch (p.kind) {
    case Predicate::Kind::kTrue:
    case Predicate::Kind::kFalse:
    case Predicate::Kind::kNot:
      return false;
    case Predicate::Kind::kAnd: {
      // Any one conjunct's set will do: the one whose shortest string is longest.
      bool found = false;
      std::size_t best_min = 0;
      for (const Predicate& c : p.children) {
        std::vector<std::string> v;
        if (!needed_literals(c, &v)) continue;
        std::size_t m = std::string::npos;
        for (const auto& s : v) m = std::min(m, s.size());
        if (!found || m > best_min) {
          *out = std::move(v);
          best_min = m;
          found = true;
        }
      }
      return found;
    }
    case Predicate::Kind::kOr: {
      std::vector<std::string> all;
      for (const Predicate& c : p.children) {
        std::vector<std::string> v;
        if (!needed_literals(c, &v)) return false;
        for (auto& s : v) all.push_back(std::move(s));
      }
      *out = std::move(all);
      return !out->empty();
    }
    case Predicate::Kind::kCompare:
      break;
  }
  if (p.negate || p.function != nullptr || p.case_insensitive || p.all_patterns ||
      p.field.source == FieldRef::Source::kMeta || p.strings.empty()) {
    return false;
  }
  std::vector<std::string> v;
  for (std::size_t i = 0; i < p.strings.size(); ++i) {
    std::string lit;
    if (p.op == CmpOp::kEq) {
      // A number pattern also matches numbers by value: no literal.
      if (i < p.numbers.size() && !std::isnan(p.numbers[i])) return false;
      lit = p.strings[i];
      if (could_be_number_text(lit)) return false;
    } else if (p.op == CmpOp::kGlob) {
      // A part of a number's text ("29.2" in 129.25) must hold a byte no number has.
      lit = longest_glob_literal(p.strings[i]);
      if (!beyond_number_text(lit)) return false;
    } else {
      return false;
    }
    if (lit.empty()) return false;
    v.push_back(std::move(lit));
  }
  *out = std::move(v);
  return true;
}

}  // namespace

bool Pattern::required_literals(std::vector<std::string>* out) const {
  out->clear();
  if (kind_ != PatternKind::kJson) return false;
  if (!needed_literals(pred_, out) || out->size() > 8) {
    out->clear();
    return false;
  }
  // The same string twice adds nothing to the search.
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

std::string_view pattern_kind_name(PatternKind k) {
  switch (k) {
    case PatternKind::kAll:
      return "all";
    case PatternKind::kTerms:
      return "terms";
    case PatternKind::kRegex:
      return "regex";
    case PatternKind::kJson:
      return "json";
    case PatternKind::kDelimited:
      return "delimited";
  }
  return "?";
}

std::string PatternError::to_string() const {
  return "at character " + std::to_string(position + 1) + ": " + message;
}

std::string_view message_text(const EventView& ev, std::string* buf) {
  (void)buf;
  if (const auto* ct = ev.cloudtrail()) return ct->raw;
  if (const auto* f = ev.flow()) return f->line;
  if (const auto* q = ev.dns()) return q->raw;
  if (const auto* g = ev.guardduty()) return g->raw;
  return {};
}

// The recursive-descent parser. Positions in errors are offsets into the whole pattern text.
class Compiler {
 public:
  Compiler(std::string_view text, Pattern* out) : s_(text), out_(out) {}

  bool compile(PatternError* err) {
    std::size_t b = 0;
    while (b < s_.size() && is_space(s_[b])) ++b;
    std::size_t e = s_.size();
    while (e > b && is_space(s_[e - 1])) --e;
    std::string_view t = s_.substr(b, e - b);
    bool ok;
    if (t.empty()) {
      out_->kind_ = PatternKind::kAll;
      out_->pred_ = Predicate::always();
      ok = true;
    } else if (t[0] == '{') {
      out_->kind_ = PatternKind::kJson;
      pos_ = b;
      ok = json(&out_->pred_);
    } else if (t[0] == '[') {
      out_->kind_ = PatternKind::kDelimited;
      pos_ = b;
      ok = delimited(&out_->pred_);
    } else if (t.size() >= 2 && t.front() == '%' && t.back() == '%') {
      out_->kind_ = PatternKind::kRegex;
      Predicate p;
      ok = regex_value(t.substr(1, t.size() - 2), b + 1, &p);
      if (ok) {
        bind_message(&p);
        out_->pred_ = std::move(p);
      }
    } else {
      out_->kind_ = PatternKind::kTerms;
      pos_ = b;
      ok = terms(e, &out_->pred_);
    }
    if (!ok) *err = err_;
    return ok;
  }

 private:
  bool fail(std::size_t at, std::string msg) {
    err_.position = at;
    err_.message = std::move(msg);
    return false;
  }

  void skip_ws() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  bool peek(std::string_view w) const { return s_.substr(pos_, w.size()) == w; }
  bool eat(std::string_view w) {
    if (!peek(w)) return false;
    pos_ += w.size();
    return true;
  }
  std::string describe_here() const {
    if (at_end()) return "the end of the pattern";
    std::string_view rest = s_.substr(pos_, 12);
    std::size_t nl = rest.find_first_of("\r\n");
    if (nl != std::string_view::npos) rest = rest.substr(0, nl);
    return "'" + std::string(rest) + "'";
  }

  const detect::Function* add_function(std::unique_ptr<detect::Function> fn) {
    out_->functions_.push_back(std::move(fn));
    return out_->functions_.back().get();
  }
  void bind_message(Predicate* p) {
    if (message_fn_ == nullptr) message_fn_ = add_function(std::make_unique<MessageFn>());
    p->function = message_fn_;
    p->field.text = "@message";
  }

  // ---- values shared by JSON and space-delimited patterns ----

  bool regex_value(std::string_view body, std::size_t at, Predicate* p) {
    if (++regex_count_ > kMaxRegexPerPattern) {
      return fail(at, "more than " + std::to_string(kMaxRegexPerPattern) +
                          " regular expressions in one pattern (CloudWatch's limit)");
    }
    if (body.empty()) return fail(at, "empty regular expression");
    for (std::size_t i = 0; i < body.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(body[i]);
      if (c >= 0x80) return fail(at + i, "regular expressions take ASCII only (use \\xhh)");
      if (c == '(' || c == ')') {
        return fail(at + i, "regular expressions have no groups: '" + std::string(1, body[i]) +
                                "' is not allowed (use \\x28 / \\x29 for a literal parenthesis)");
      }
      if (c == '\\') {
        ++i;  // the escaped character is taken as RE2 reads it
        continue;
      }
      if (!(std::isalnum(c) ||
            std::string_view(" :_#=@/;,-^$?[]{}|*+.").find(static_cast<char>(c)) !=
                std::string_view::npos)) {
        return fail(at + i, std::string("'") + static_cast<char>(c) +
                                "' is not allowed in a regular expression (use \\xhh)");
      }
    }
    RE2::Options o;
    o.set_log_errors(false);
    auto re = std::make_shared<RE2>(re2::StringPiece(body.data(), body.size()), o);
    if (!re->ok()) return fail(at, "bad regular expression: " + re->error());
    p->kind = Predicate::Kind::kCompare;
    p->op = CmpOp::kRegex;
    p->regexes.push_back(std::move(re));
    return true;
  }

  // Reads one value token after an operator: "quoted", %regex%, or a bare word that ends at
  // blank, ')', '}', ',' (delimited only), ']' (delimited only), '&&' or '||'.
  struct Token {
    enum class Kind { kQuoted, kRegex, kBare } kind = Kind::kBare;
    std::string text;
    std::size_t at = 0;
  };
  bool value_token(bool delimited, Token* t) {
    skip_ws();
    t->at = pos_;
    if (at_end()) return fail(pos_, "a value is missing after the operator");
    char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      t->kind = Token::Kind::kQuoted;
      while (!at_end() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size() &&
            (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '\\')) {
          ++pos_;
        }
        t->text.push_back(s_[pos_++]);
      }
      if (at_end()) return fail(t->at, "unterminated quoted string");
      ++pos_;
      return true;
    }
    if (c == '%') {
      std::size_t close = s_.find('%', pos_ + 1);
      if (close == std::string_view::npos) return fail(pos_, "unterminated %regex%");
      t->kind = Token::Kind::kRegex;
      t->text = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return true;
    }
    while (!at_end()) {
      char d = s_[pos_];
      if (is_space(d) || d == ')' || d == '}' || d == '(' || peek("&&") || peek("||")) break;
      if (delimited && (d == ',' || d == ']')) break;
      t->text.push_back(d);
      ++pos_;
    }
    if (t->text.empty()) return fail(t->at, "a value is missing after the operator");
    t->kind = Token::Kind::kBare;
    return true;
  }

  bool read_op(CmpOp* op, bool* negate, std::size_t* at) {
    skip_ws();
    *at = pos_;
    *negate = false;
    if (eat("!=")) {
      *op = CmpOp::kEq;
      *negate = true;
    } else if (eat("<=")) {
      *op = CmpOp::kLe;
    } else if (eat(">=")) {
      *op = CmpOp::kGe;
    } else if (eat("=")) {
      if (peek("=")) return fail(pos_ - 1, "'==' is not an operator; use '='");
      *op = CmpOp::kEq;
    } else if (eat("<")) {
      *op = CmpOp::kLt;
    } else if (eat(">")) {
      *op = CmpOp::kGt;
    } else {
      return false;
    }
    return true;
  }

  // Builds the comparison `op value` into *p (field or function already set by the caller).
  bool comparison(CmpOp op, bool negate, std::size_t op_at, bool delimited, Predicate* p) {
    Token v;
    if (!value_token(delimited, &v)) return false;
    p->kind = Predicate::Kind::kCompare;
    p->negate = negate;
    if (v.kind == Token::Kind::kRegex) {
      if (op != CmpOp::kEq) {
        return fail(op_at, "a %regex% value takes '=' or '!=' only");
      }
      return regex_value(v.text, v.at + 1, p);
    }
    double num = 0;
    const bool numeric = v.kind == Token::Kind::kBare && parse_number(v.text, &num);
    if (op != CmpOp::kEq) {
      if (!numeric) {
        return fail(v.at, "'" + v.text + "' is not a number; <, <=, > and >= compare numbers");
      }
      p->op = op;
      p->numbers.push_back(num);
      return true;
    }
    if (numeric) {
      // A number matches JSON numbers by value and strings by the text as written.
      p->op = CmpOp::kEq;
      p->strings.push_back(v.text);
      p->numbers.push_back(num);
      return true;
    }
    if (v.text.find('*') != std::string::npos) {
      p->op = CmpOp::kGlob;
      p->strings.push_back(cw_glob(v.text));
      return true;
    }
    p->op = CmpOp::kEq;
    p->strings.push_back(v.text);
    p->numbers.push_back(std::nan(""));
    return true;
  }

  // ---- JSON patterns ----

  bool json(Predicate* out) {
    eat("{");
    skip_ws();
    if (peek("}")) return fail(pos_, "empty JSON pattern: '{ }' needs a condition");
    if (!or_expr(out)) return false;
    skip_ws();
    if (!eat("}")) {
      if (at_end()) return fail(pos_, "missing '}' at the end of the JSON pattern");
      return fail(pos_, "expected '&&', '||' or '}' but found " + describe_here());
    }
    skip_ws();
    if (!at_end()) return fail(pos_, "unexpected text after the closing '}'");
    if (wildcard_selectors_ > kMaxWildcardSelectors) {
      return fail(0, "more than " + std::to_string(kMaxWildcardSelectors) +
                         " wildcard selectors in one pattern (CloudWatch's limit)");
    }
    return true;
  }

  bool or_expr(Predicate* out) {
    std::vector<Predicate> parts(1);
    if (!and_expr(&parts[0])) return false;
    for (;;) {
      skip_ws();
      if (!eat("||")) break;
      parts.emplace_back();
      if (!and_expr(&parts.back())) return false;
    }
    *out = Predicate::any_of(std::move(parts));
    return true;
  }

  bool and_expr(Predicate* out) {
    std::vector<Predicate> parts(1);
    if (!json_term(&parts[0])) return false;
    for (;;) {
      skip_ws();
      if (!eat("&&")) break;
      parts.emplace_back();
      if (!json_term(&parts.back())) return false;
    }
    *out = Predicate::all_of(std::move(parts));
    return true;
  }

  bool json_term(Predicate* out) {
    skip_ws();
    if (at_end()) return fail(pos_, "a condition is missing at the end of the pattern");
    if (eat("(")) {
      std::size_t open = pos_ - 1;
      if (!or_expr(out)) return false;
      skip_ws();
      if (!eat(")")) {
        if (at_end()) return fail(open, "unclosed '('");
        return fail(pos_, "expected ')' but found " + describe_here());
      }
      return true;
    }
    if (s_[pos_] != '$') {
      return fail(pos_, "expected a selector like $.eventName but found " + describe_here());
    }
    std::string field;
    std::size_t sel_at = pos_;
    if (!selector(&field)) return false;
    Predicate p;
    std::string ferr;
    if (!FieldRef::parse(field, &p.field, &ferr)) return fail(sel_at, ferr);
    p.field.text = std::string(s_.substr(sel_at, pos_ - sel_at));
    p.kind = Predicate::Kind::kCompare;
    skip_ws();
    std::size_t kw_at = pos_;
    if (eat("IS")) {
      skip_ws();
      if (eat("NULL")) {
        p.op = CmpOp::kIsNull;
      } else if (eat("TRUE")) {
        p.op = CmpOp::kIsTrue;
      } else if (eat("FALSE")) {
        p.op = CmpOp::kIsFalse;
      } else if (peek("NOT")) {
        return fail(pos_, "'IS NOT' is not supported: use '!=' or 'NOT EXISTS'");
      } else {
        return fail(pos_, "expected NULL, TRUE or FALSE after IS");
      }
      *out = std::move(p);
      return true;
    }
    if (eat("NOT")) {
      skip_ws();
      if (!eat("EXISTS")) return fail(pos_, "expected EXISTS after NOT");
      p.op = CmpOp::kExists;
      p.negate = true;
      *out = std::move(p);
      return true;
    }
    if (peek("EXISTS")) {
      return fail(kw_at, "'EXISTS' is not supported: use '= *' or 'NOT EXISTS'");
    }
    CmpOp op;
    bool negate;
    std::size_t op_at;
    if (!read_op(&op, &negate, &op_at)) {
      if (!err_.message.empty()) return false;
      return fail(pos_, "expected an operator (=, !=, <, <=, >, >=, IS, NOT EXISTS) after " +
                            std::string(s_.substr(sel_at, pos_ - sel_at)) + " but found " +
                            describe_here());
    }
    if (!comparison(op, negate, op_at, false, &p)) return false;
    *out = std::move(p);
    return true;
  }

  // `$` then `.name`, `[n]`, `[*]`, `.*`, `.['key']`; into the FieldRef path syntax.
  bool selector(std::string* field) {
    std::size_t at = pos_;
    ++pos_;  // '$'
    int wildcards = 0;
    bool any = false;
    while (!at_end()) {
      if (s_[pos_] == '.') {
        ++pos_;
        if (eat("*")) {
          ++wildcards;
          if (!field->empty()) field->push_back('.');
          field->push_back('*');
        } else if (peek("['") || peek("[\"")) {
          continue;  // `$.['key']`: the bracket step follows
        } else {
          std::size_t b = pos_;
          while (!at_end() && is_name_char(s_[pos_])) ++pos_;
          if (pos_ == b) return fail(pos_, "expected a field name after '.' in the selector");
          if (!field->empty()) field->push_back('.');
          field->append(s_.substr(b, pos_ - b));
        }
        any = true;
      } else if (s_[pos_] == '[') {
        std::size_t close = s_.find(']', pos_);
        if (close == std::string_view::npos) return fail(pos_, "unclosed '[' in the selector");
        std::string_view inside = s_.substr(pos_ + 1, close - pos_ - 1);
        if (inside == "*") {
          ++wildcards;
        } else if (inside.size() >= 2 && (inside[0] == '\'' || inside[0] == '"') &&
                   inside.back() == inside[0]) {
          // a quoted key
        } else {
          for (char c : inside) {
            if (c < '0' || c > '9') {
              return fail(pos_, "bad array index [" + std::string(inside) +
                                    "]: use a number, * or a quoted key");
            }
          }
          if (inside.empty()) return fail(pos_, "empty [] in the selector");
        }
        field->append(s_.substr(pos_, close - pos_ + 1));
        pos_ = close + 1;
        any = true;
      } else {
        break;
      }
    }
    if (!any) return fail(at, "a selector needs a path: $.field");
    if (wildcards > 1) return fail(at, "at most one wildcard ([*] or .*) per selector");
    wildcard_selectors_ += wildcards;
    return true;
  }

  // ---- unstructured terms ----

  bool terms(std::size_t end, Predicate* out) {
    struct Term {
      char prefix;  // 0, '?' or '-'
      std::string text;
      bool blank;  // a quoted term of blanks only: matches everything
    };
    std::vector<Term> ts;
    while (true) {
      skip_ws();
      if (pos_ >= end) break;
      Term t{0, {}, false};
      std::size_t at = pos_;
      if (s_[pos_] == '?' || s_[pos_] == '-') {
        t.prefix = s_[pos_++];
        if (pos_ >= end || is_space(s_[pos_])) {
          return fail(at, std::string("'") + t.prefix + "' must be followed by a term");
        }
      }
      if (s_[pos_] == '"') {
        std::size_t q = pos_++;
        while (pos_ < end && s_[pos_] != '"') {
          if (s_[pos_] == '\\' && pos_ + 1 < end && (s_[pos_ + 1] == '"' || s_[pos_ + 1] == '\\')) {
            ++pos_;
          }
          t.text.push_back(s_[pos_++]);
        }
        if (pos_ >= end) return fail(q, "unterminated quoted term");
        ++pos_;
        t.blank = true;
        for (char c : t.text) t.blank = t.blank && is_space(c);
      } else {
        while (pos_ < end && !is_space(s_[pos_])) t.text.push_back(s_[pos_++]);
      }
      ts.push_back(std::move(t));
    }
    bool has_plain = false;
    for (const auto& t : ts) has_plain = has_plain || t.prefix != '?';
    std::vector<Predicate> all, any;
    for (auto& t : ts) {
      // `?` terms mixed with plain or `-` terms are ignored (CloudWatch's documented rule).
      if (t.prefix == '?' && has_plain) continue;
      Predicate p;
      if (t.blank || t.text.empty()) {
        p = Predicate::always();
      } else {
        p.kind = Predicate::Kind::kCompare;
        p.op = CmpOp::kContains;
        p.strings.push_back(t.text);
        bind_message(&p);
      }
      if (t.prefix == '-') {
        all.push_back(Predicate::negation(std::move(p)));
      } else if (t.prefix == '?') {
        any.push_back(std::move(p));
      } else {
        all.push_back(std::move(p));
      }
    }
    *out = has_plain ? Predicate::all_of(std::move(all)) : Predicate::any_of(std::move(any));
    return true;
  }

  // ---- space-delimited patterns ----

  bool delimited(Predicate* out) {
    eat("[");
    std::vector<Predicate> conds;
    struct Slot {
      std::string name;
      std::size_t at;
      Predicate expr;
      bool has_expr = false;
    };
    std::vector<Slot> slots;
    bool closed = false;
    while (!at_end()) {
      skip_ws();
      std::size_t at = pos_;
      if (eat("...")) {
        if (out_->has_ellipsis_) {
          return fail(at, "only one '...' per pattern is supported (see docs/filters.md)");
        }
        out_->has_ellipsis_ = true;
        out_->ellipsis_at_ = slots.size();
      } else {
        Slot slot;
        slot.at = at;
        if (!delimited_slot(&slot.name, &slot.expr, &slot.has_expr)) return false;
        for (const auto& sl : slots) {
          if (sl.name == slot.name) return fail(at, "field name '" + slot.name + "' is used twice");
        }
        slots.push_back(std::move(slot));
      }
      skip_ws();
      if (eat(",")) continue;
      if (eat("]")) {
        closed = true;
        break;
      }
      if (at_end()) break;
      return fail(pos_, "expected ',' or ']' but found " + describe_here());
    }
    if (!closed) return fail(pos_, "missing ']' at the end of the space-delimited pattern");
    skip_ws();
    if (!at_end()) return fail(pos_, "unexpected text after the closing ']'");
    if (slots.empty() && !out_->has_ellipsis_) return fail(0, "empty space-delimited pattern");
    // Bind each slot's function: before `...` from the start, after it from the end.
    const std::size_t n = slots.size();
    const std::size_t split = out_->has_ellipsis_ ? out_->ellipsis_at_ : n;
    for (std::size_t i = 0; i < n; ++i) {
      auto fn = i < split ? std::make_unique<DelimitedFieldFn>(i, false)
                          : std::make_unique<DelimitedFieldFn>(n - 1 - i, true);
      const detect::Function* f = add_function(std::move(fn));
      out_->names_.push_back(slots[i].name);
      if (slots[i].has_expr) {
        bind_function(&slots[i].expr, f, "$" + slots[i].name);
        conds.push_back(std::move(slots[i].expr));
      }
    }
    // Field count: exactly the names without `...`, at least them with it.
    Predicate count;
    count.kind = Predicate::Kind::kCompare;
    count.function = add_function(std::make_unique<DelimitedCountFn>());
    count.field.text = "@fields";
    count.op = out_->has_ellipsis_ ? CmpOp::kGe : CmpOp::kEq;
    count.numbers.push_back(static_cast<double>(n));
    if (count.op == CmpOp::kEq) count.strings.push_back(std::to_string(n));
    std::vector<Predicate> all;
    all.push_back(std::move(count));
    for (auto& c : conds) all.push_back(std::move(c));
    *out = Predicate::all_of(std::move(all));
    return true;
  }

  static void bind_function(Predicate* p, const detect::Function* f, const std::string& name) {
    if (p->kind == Predicate::Kind::kCompare) {
      p->function = f;
      p->field.text = name;
      return;
    }
    for (auto& c : p->children) bind_function(&c, f, name);
  }

  // `name`, or `name op value` conditions joined by && / || (all on the same name).
  bool delimited_slot(std::string* name, Predicate* expr, bool* has_expr) {
    std::vector<Predicate> ors;
    std::vector<Predicate> ands;
    bool first = true;
    for (;;) {
      skip_ws();
      std::size_t at = pos_;
      std::size_t b = pos_;
      while (!at_end() && (is_name_char(s_[pos_]) || s_[pos_] == '$' || s_[pos_] == '.')) ++pos_;
      std::string n(s_.substr(b, pos_ - b));
      if (n.empty()) return fail(at, "expected a field name but found " + describe_here());
      if (!n.empty() && n[0] == '$') n.erase(0, 1);
      if (first) {
        *name = n;
      } else if (n != *name) {
        return fail(at, "conditions in one position must all name its field '" + *name +
                            "', not '" + n + "'");
      }
      first = false;
      CmpOp op;
      bool negate;
      std::size_t op_at;
      skip_ws();
      if (!read_op(&op, &negate, &op_at)) {
        if (!err_.message.empty()) return false;
        if (!ands.empty() || !ors.empty()) {
          return fail(pos_, "expected an operator after '" + n + "'");
        }
        *has_expr = false;
        return true;  // a bare name
      }
      Predicate p;
      if (!comparison(op, negate, op_at, true, &p)) return false;
      ands.push_back(std::move(p));
      skip_ws();
      if (eat("&&")) continue;
      if (eat("||")) {
        ors.push_back(Predicate::all_of(std::move(ands)));
        ands.clear();
        continue;
      }
      break;
    }
    ors.push_back(Predicate::all_of(std::move(ands)));
    *expr = Predicate::any_of(std::move(ors));
    *has_expr = true;
    return true;
  }

  std::string_view s_;
  Pattern* out_;
  std::size_t pos_ = 0;
  PatternError err_;
  int regex_count_ = 0;
  int wildcard_selectors_ = 0;
  const detect::Function* message_fn_ = nullptr;
};

Pattern::Pattern() = default;
Pattern::~Pattern() = default;
Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;

bool Pattern::compile(std::string_view text, Pattern* out, PatternError* error) {
  Pattern p;
  p.text_ = std::string(text);
  Compiler c(p.text_, &p);
  if (!c.compile(error)) return false;
  *out = std::move(p);
  return true;
}

bool Pattern::matches(const EventView& ev) const {
  if (kind_ == PatternKind::kAll) return true;
  static const detect::EvalContext kCtx{};
  return pred_.eval(ev, kCtx);
}

bool Pattern::check_selector(std::string_view selector, std::string* error) const {
  if (selector.size() < 2 || selector[0] != '$') {
    *error = "'" + std::string(selector) + "' is not a selector ($.field or $name)";
    return false;
  }
  if (kind_ == PatternKind::kDelimited) {
    std::string_view n = selector.substr(1);
    for (const auto& name : names_) {
      if (name == n) return true;
    }
    *error = "'" + std::string(selector) + "' is not a field of the pattern " + text_;
    return false;
  }
  if (kind_ == PatternKind::kJson) {
    if (selector[1] != '.' && selector[1] != '[') {
      *error = "'" + std::string(selector) + "' is not a JSON selector ($.field)";
      return false;
    }
    FieldRef f;
    std::string_view path = selector.substr(selector[1] == '.' ? 2 : 1);
    return FieldRef::parse(path, &f, error);
  }
  *error = "'" + std::string(selector) + "': only JSON and space-delimited patterns extract values";
  return false;
}

Extracted Pattern::extract(const EventView& ev, std::string_view selector) const {
  Extracted x;
  if (kind_ == PatternKind::kDelimited) {
    std::string_view n = selector.substr(1);
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] != n) continue;
      const std::size_t split = has_ellipsis_ ? ellipsis_at_ : names_.size();
      DelimitedFieldFn fn(i < split ? i : names_.size() - 1 - i, i >= split);
      Value v;
      std::string buf;
      if (!fn.call(ev, {}, &v, &buf)) return x;
      x.present = true;
      x.text = std::string(v.str);
      x.is_number = parse_number(v.str, &x.number);
      return x;
    }
    return x;
  }
  FieldRef f;
  std::string err;
  std::string_view path = selector.size() > 1 ? selector.substr(selector[1] == '.' ? 2 : 1) : "";
  if (!FieldRef::parse(path, &f, &err)) return x;
  ev.any(f, [&](const Value& v) {
    switch (v.kind) {
      case Value::Kind::kNumber:
        x.is_number = true;
        x.number = v.number;
        if (!v.str.empty()) {
          x.text = std::string(v.str);
        } else {
          char b[32];
          auto r = std::to_chars(b, b + sizeof b, v.number);
          x.text.assign(b, r.ptr);
        }
        break;
      case Value::Kind::kString:
        x.text = std::string(v.str);
        x.is_number = parse_number(v.str, &x.number);
        break;
      case Value::Kind::kBool:
        x.text = v.boolean ? "true" : "false";
        break;
      case Value::Kind::kNull:
        return false;
    }
    x.present = true;
    return true;
  });
  return x;
}

}  // namespace sentinel::cwl
