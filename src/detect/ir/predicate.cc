#include "detect/ir/predicate.h"

#include <re2/re2.h>

#include <algorithm>

#include <string.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/hash.h"

namespace sentinel::detect {

namespace {

// The text form of a value for string operators; numbers use their text as written when known.
std::string_view text_of(const Value& v, std::string* buf) {
  switch (v.kind) {
    case Value::Kind::kString:
      return v.str;
    case Value::Kind::kNumber: {
      if (!v.str.empty()) return v.str;
      char tmp[32];
      std::to_chars_result r;
      if (v.number == std::floor(v.number) && std::fabs(v.number) < 9.0e15) {
        r = std::to_chars(tmp, tmp + sizeof tmp, static_cast<int64_t>(v.number));
      } else {
        r = std::to_chars(tmp, tmp + sizeof tmp, v.number);
      }
      buf->assign(tmp, r.ptr);
      return *buf;
    }
    case Value::Kind::kBool:
      return v.boolean ? "true" : "false";
    case Value::Kind::kNull:
      return {};
  }
  return {};
}

std::string_view lowered(std::string_view s, std::string* buf) {
  if (buf->size() < s.size()) buf->resize(s.size());
  // Plain pointers, so the loop neither reloads the buffer through the thread-local nor aliases
  // the input, and GCC vectorises it.
  char* __restrict out = buf->data();
  const char* __restrict in = s.data();
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = in[i];
    out[i] = static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 32 : 0));
  }
  return std::string_view(out, n);
}

bool number_of(const Value& v, double* out) {
  if (v.kind == Value::Kind::kNumber) {
    *out = v.number;
    return true;
  }
  if (v.kind != Value::Kind::kString || v.str.empty()) return false;
  const char* b = v.str.data();
  const char* e = b + v.str.size();
  auto r = std::from_chars(b, e, *out);
  return r.ec == std::errc() && r.ptr == e;
}

bool match_pattern(const Predicate& p, std::size_t i, std::string_view text, const Value& v,
                   const EvalContext& ctx) {
  switch (p.op) {
    case CmpOp::kEq:
      if (v.kind == Value::Kind::kNumber && i < p.numbers.size() && !std::isnan(p.numbers[i])) {
        return v.number == p.numbers[i];
      }
      return text == p.strings[i];
    case CmpOp::kContains:
      // glibc's memmem (two-way, vectorised) beats string_view::find's memchr+memcmp loop on
      // short needles with common first letters.
      return p.strings[i].empty() ||
             memmem(text.data(), text.size(), p.strings[i].data(), p.strings[i].size()) != nullptr;
    case CmpOp::kStartsWith:
      return text.substr(0, p.strings[i].size()) == p.strings[i];
    case CmpOp::kEndsWith:
      return text.size() >= p.strings[i].size() &&
             text.substr(text.size() - p.strings[i].size()) == p.strings[i];
    case CmpOp::kGlob:
      return glob_match(p.strings[i], text);
    case CmpOp::kRegex:
      if (ctx.regex_memo != nullptr) return ctx.regex_memo->partial_match(*p.regexes[i], text);
      return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *p.regexes[i]);
    case CmpOp::kCidr: {
      IpAddr ip;
      const IpAddr* a = v.ip;
      if (a == nullptr) {
        if (v.kind != Value::Kind::kString) return false;
        if (v.str.find('/') != std::string_view::npos) {
          // The value is itself a network (a security-group rule's cidrIp): it matches when it
          // lies inside the rule's network (0.0.0.0/0 is inside 0.0.0.0/0; 10.1.0.0/16 inside
          // 10.0.0.0/8).
          Cidr net;
          return Cidr::parse(v.str, &net) && net.prefix >= p.cidrs[i].prefix &&
                 p.cidrs[i].contains(net.base);
        }
        if (!IpAddr::parse(v.str, &ip)) return false;
        a = &ip;
      }
      return p.cidrs[i].contains(*a);
    }
    case CmpOp::kLt:
    case CmpOp::kLe:
    case CmpOp::kGt:
    case CmpOp::kGe: {
      double x;
      if (!number_of(v, &x)) return false;
      double y = p.numbers[i];
      switch (p.op) {
        case CmpOp::kLt:
          return x < y;
        case CmpOp::kLe:
          return x <= y;
        case CmpOp::kGt:
          return x > y;
        default:
          return x >= y;
      }
    }
    case CmpOp::kInList: {
      if (ctx.lists == nullptr) return false;
      std::string matched;
      if (!ctx.lists->contains(p.list, v, &matched)) return false;
      if (ctx.matched_names != nullptr) {
        std::vector<std::string> names;
        ctx.lists->entry_names(p.list, v, &names);
        for (auto& n : names) ctx.matched_names->emplace_back(matched, std::move(n));
      }
      if (ctx.matched_lists != nullptr) ctx.matched_lists->push_back(std::move(matched));
      return true;
    }
    case CmpOp::kIsTrue:
      return v.kind == Value::Kind::kBool && v.boolean;
    case CmpOp::kIsFalse:
      return v.kind == Value::Kind::kBool && !v.boolean;
    case CmpOp::kExists:
    case CmpOp::kIsNull:
      return false;  // decided at the predicate level
  }
  return false;
}

std::size_t pattern_count(const Predicate& p) {
  switch (p.op) {
    case CmpOp::kRegex:
      return p.regexes.size();
    case CmpOp::kCidr:
      return p.cidrs.size();
    case CmpOp::kLt:
    case CmpOp::kLe:
    case CmpOp::kGt:
    case CmpOp::kGe:
      return p.numbers.size();
    case CmpOp::kInList:
    case CmpOp::kIsTrue:
    case CmpOp::kIsFalse:
      return 1;
    default:
      return p.strings.size();
  }
}

// Does `v` match pattern `i` (or any pattern when i == npos)?
bool value_matches(const Predicate& p, const Value& v, std::size_t i, const EvalContext& ctx) {
  if (v.kind == Value::Kind::kNull && p.op != CmpOp::kInList) return false;
  thread_local std::string num_buf;
  thread_local std::string low_buf;
  std::string_view text = text_of(v, &num_buf);
  if (p.case_insensitive) text = lowered(text, &low_buf);
  if (i != std::string_view::npos) return match_pattern(p, i, text, v, ctx);
  const std::size_t n = pattern_count(p);
  for (std::size_t k = 0; k < n; ++k) {
    if (match_pattern(p, k, text, v, ctx)) return true;
  }
  return false;
}

const char* op_name(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return "eq";
    case CmpOp::kContains:
      return "contains";
    case CmpOp::kStartsWith:
      return "startswith";
    case CmpOp::kEndsWith:
      return "endswith";
    case CmpOp::kGlob:
      return "glob";
    case CmpOp::kRegex:
      return "re";
    case CmpOp::kCidr:
      return "cidr";
    case CmpOp::kExists:
      return "exists";
    case CmpOp::kIsNull:
      return "is_null";
    case CmpOp::kIsTrue:
      return "is_true";
    case CmpOp::kIsFalse:
      return "is_false";
    case CmpOp::kLt:
      return "lt";
    case CmpOp::kLe:
      return "lte";
    case CmpOp::kGt:
      return "gt";
    case CmpOp::kGe:
      return "gte";
    case CmpOp::kInList:
      return "in_list";
  }
  return "?";
}

}  // namespace

bool RegexMemo::partial_match(const re2::RE2& re, std::string_view text) {
  if (text.size() > kMaxText) {
    return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
  }
  // The whole text (texts that share a long prefix, like ARNs of one account, differ in their
  // tails), with the expression's address.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const uint64_t h = hash_text(text) ^ (reinterpret_cast<uintptr_t>(&re) * kMul);
  Slot& s = slots[(h * kMul) >> (64 - kSlotBits)];
  if (s.re == &re && s.text == text) return s.result;
  const bool r = RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
  s.re = &re;
  s.result = r;
  s.text.assign(text);
  return r;
}

bool Cidr::parse(std::string_view text, Cidr* out) {
  std::size_t slash = text.find('/');
  Cidr c;
  if (!IpAddr::parse(text.substr(0, slash), &c.base)) return false;
  int max_bits = c.base.v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    auto r = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (r.ec != std::errc() || r.ptr != b.data() + b.size() || bits < 0 || bits > max_bits) {
      return false;
    }
  }
  c.prefix = c.base.v4 ? bits + 96 : bits;
  // Clear host bits so that contains() compares prefixes only.
  for (int i = 0; i < 16; ++i) {
    int keep = std::max(0, std::min(8, c.prefix - i * 8));
    c.base.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : (0xFF << (8 - keep)) & 0xFF);
  }
  *out = c;
  return true;
}

bool Cidr::contains(const IpAddr& ip) const {
  if (ip.v4 != base.v4) return false;
  // Two 64-bit halves, big-endian, against a mask of `prefix` leading ones (host bits of
  // `base` are already clear): a few instructions instead of a byte loop.
  uint64_t a[2];
  uint64_t b[2];
  std::memcpy(a, ip.bytes.data(), 16);
  std::memcpy(b, base.bytes.data(), 16);
  const int bits = prefix;
  const uint64_t m0 = bits >= 64 ? ~uint64_t{0} : bits <= 0 ? 0 : ~uint64_t{0} << (64 - bits);
  const uint64_t m1 = bits >= 128 ? ~uint64_t{0} : bits <= 64 ? 0 : ~uint64_t{0} << (128 - bits);
  return ((__builtin_bswap64(a[0]) ^ __builtin_bswap64(b[0])) & m0) == 0 &&
         ((__builtin_bswap64(a[1]) ^ __builtin_bswap64(b[1])) & m1) == 0;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with one backtrack point: linear in practice, never exponential.
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char c = pattern[p];
      if (c == '\\' && p + 1 < pattern.size() &&
          (pattern[p + 1] == '*' || pattern[p + 1] == '?' || pattern[p + 1] == '\\')) {
        if (text[t] == pattern[p + 1]) {
          p += 2;
          ++t;
          continue;
        }
      } else if (c == '*') {
        star_p = p++;
        star_t = t;
        continue;
      } else if (c == '?' || c == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool compare_value(const Predicate& p, const Value& v, const EvalContext& ctx) {
  return value_matches(p, v, std::string_view::npos, ctx);
}

Predicate Predicate::all_of(std::vector<Predicate> c) {
  if (c.size() == 1) return std::move(c[0]);
  Predicate p;
  p.kind = c.empty() ? Kind::kTrue : Kind::kAnd;
  p.children = std::move(c);
  return p;
}

Predicate Predicate::any_of(std::vector<Predicate> c) {
  if (c.size() == 1) return std::move(c[0]);
  Predicate p;
  p.kind = c.empty() ? Kind::kFalse : Kind::kOr;
  p.children = std::move(c);
  return p;
}

Predicate Predicate::negation(Predicate c) {
  Predicate p;
  p.kind = Kind::kNot;
  p.children.push_back(std::move(c));
  return p;
}

namespace {
bool eval_compare(const Predicate& p, const EventView& ev, const EvalContext& ctx);
}  // namespace

bool Predicate::eval(const EventView& ev, const EvalContext& ctx) const {
  switch (kind) {
    case Kind::kTrue:
      return true;
    case Kind::kFalse:
      return false;
    case Kind::kAnd:
      for (const auto& c : children) {
        if (!c.eval(ev, ctx)) return false;
      }
      return true;
    case Kind::kOr:
      for (const auto& c : children) {
        if (c.eval(ev, ctx)) return true;
      }
      return false;
    case Kind::kNot:
      return !children[0].eval(ev, ctx);
    case Kind::kCompare:
      break;
  }
  if (memo >= 0 && ctx.memo != nullptr) {
    uint32_t& slot = ctx.memo->slots[static_cast<std::size_t>(memo)];
    if ((slot >> 1) == ctx.memo->generation) return (slot & 1) != 0;
    const bool r = eval_compare(*this, ev, ctx);
    slot = (ctx.memo->generation << 1) | (r ? 1u : 0u);
    return r;
  }
  return eval_compare(*this, ev, ctx);
}

namespace {

bool eval_compare(const Predicate& p, const EventView& ev, const EvalContext& ctx) {
  if (p.function != nullptr) {
    Value v;
    std::string buf;
    if (!p.function->call(ev, p.args, &v, &buf)) return false;
    bool m = value_matches(p, v, std::string_view::npos, ctx);
    return p.negate ? !m : m;
  }
  if (p.op == CmpOp::kExists) {
    bool e = ev.exists(p.field, ctx.paths);
    return p.negate ? !e : e;
  }
  if (p.op == CmpOp::kIsNull) {
    bool n = ev.any(
        p.field, [](const Value& v) { return v.kind == Value::Kind::kNull; }, ctx.paths);
    return p.negate ? !n : n;
  }
  if (!p.all_patterns) {
    // One value without a walk (typed fields): no visitor.
    Value v;
    const int d = ev.direct(p.field, &v);
    if (d == 0) return false;
    if (d == 1) {
      const bool m = value_matches(p, v, std::string_view::npos, ctx);
      return p.negate ? !m : m;
    }
  }
  if (p.negate) {
    // `!=`: the field must have a value, and none may match (a missing field matches nothing).
    bool seen = false;
    bool hit = ev.any(
        p.field,
        [&](const Value& v) {
          seen = true;
          return value_matches(p, v, std::string_view::npos, ctx);
        },
        ctx.paths);
    return seen && !hit;
  }
  if (p.all_patterns) {
    const std::size_t n = pattern_count(p);
    for (std::size_t i = 0; i < n; ++i) {
      if (!ev.any(
              p.field, [&](const Value& v) { return value_matches(p, v, i, ctx); }, ctx.paths)) {
        return false;
      }
    }
    return n > 0;
  }
  return ev.any(
      p.field, [&](const Value& v) { return value_matches(p, v, std::string_view::npos, ctx); },
      ctx.paths);
}

}  // namespace

std::string Predicate::to_string() const {
  switch (kind) {
    case Kind::kTrue:
      return "true";
    case Kind::kFalse:
      return "false";
    case Kind::kAnd:
    case Kind::kOr: {
      std::string s = kind == Kind::kAnd ? "(and" : "(or";
      for (const auto& c : children) s += " " + c.to_string();
      return s + ")";
    }
    case Kind::kNot:
      return "(not " + children[0].to_string() + ")";
    case Kind::kCompare:
      break;
  }
  std::string s = "(";
  if (negate) s += "not-";
  s += op_name(op);
  if (case_insensitive) s += "-ci";
  if (all_patterns) s += "-all";
  s += " ";
  s += function != nullptr ? "fn(...)" : field.text;
  for (const auto& v : strings) s += " \"" + v + "\"";
  if (strings.empty()) {
    for (double d : numbers) s += " " + std::to_string(d);
  }
  for (const auto& r : regexes) s += " /" + r->pattern() + "/";
  if (!list.empty()) s += " @" + list;
  return s + ")";
}

}  // namespace sentinel::detect
