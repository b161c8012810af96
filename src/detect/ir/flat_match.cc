#include "detect/ir/flat_match.h"

#include <string.h>

#include <cstring>
#include <string_view>

#include "core/ascii.h"
#include "detect/ct_fields.h"

namespace sentinel::detect {

namespace {

// More patterns than this stay in the tree (its loop is as good, and the arena stays small).
constexpr std::size_t kMaxPatterns = 16;

// `a` (n bytes of the event's text) equals the lowercased pattern `b` once its letters are folded:
// what comparing the lowered text with `b` gives.
inline bool equal_folded(const char* a, const char* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (ascii_lower(a[i]) != b[i]) return false;
  }
  return true;
}

inline bool equal_bytes(const char* a, const char* b, std::size_t n, bool fold) {
  return fold ? equal_folded(a, b, n) : std::memcmp(a, b, n) == 0;
}

}  // namespace

FlatTest FlatProgram::compile(const Predicate& c) {
  FlatTest t;
  t.pred = &c;
  if (c.kind == Predicate::Kind::kFalse) {
    t.kind = FlatTest::Kind::kFalse;
    return t;
  }
  if (c.kind != Predicate::Kind::kCompare || c.function != nullptr || !c.args.empty() ||
      !c.list.empty() || c.all_patterns || c.field.source != FieldRef::Source::kJsonPath ||
      c.field.ct_field < 0 || c.field.ct_field > 255) {
    return t;
  }
  t.ct_field = static_cast<uint8_t>(c.field.ct_field);
  t.negate = c.negate;
  t.case_insensitive = c.case_insensitive;
  t.words = static_cast<uint32_t>(arena.size());
  if (c.op == CmpOp::kCidr) {
    if (c.cidrs.size() > kMaxPatterns) return t;
    for (const Cidr& net : c.cidrs) {
      if (!net.base.v4 || net.prefix < 96) return t;
    }
    for (const Cidr& net : c.cidrs) {
      const int bits = net.prefix - 96;
      const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
      arena.push_back((uint64_t{net.base.v4_value() & mask} << 32) | mask);
    }
    t.count = static_cast<uint32_t>(c.cidrs.size());
    t.kind = FlatTest::Kind::kCidr4;
    return t;
  }
  FlatTest::Kind kind;
  switch (c.op) {
    case CmpOp::kEq:
      kind = FlatTest::Kind::kEq;
      break;
    case CmpOp::kStartsWith:
      kind = FlatTest::Kind::kStartsWith;
      break;
    case CmpOp::kEndsWith:
      kind = FlatTest::Kind::kEndsWith;
      break;
    case CmpOp::kContains:
      if (c.case_insensitive) return t;  // (a folded substring search: the tree's)
      kind = FlatTest::Kind::kContains;
      break;
    default:
      return t;
  }
  if (c.strings.size() > kMaxPatterns) return t;
  for (const std::string& s : c.strings) {
    arena.push_back(s.size());
    const std::size_t at = arena.size();
    arena.resize(at + (s.size() + 7) / 8, 0);
    if (!s.empty()) std::memcpy(arena.data() + at, s.data(), s.size());
  }
  t.count = static_cast<uint32_t>(c.strings.size());
  t.kind = kind;
  return t;
}

uint32_t FlatProgram::add(const Predicate& p) {
  if (p.kind == Predicate::Kind::kTrue) return 0;
  if (p.kind != Predicate::Kind::kAnd) {
    tests.push_back(compile(p));
    return 1;
  }
  for (const Predicate& c : p.children) tests.push_back(compile(c));
  return static_cast<uint32_t>(p.children.size());
}

bool FlatProgram::eval(uint32_t first, uint32_t n, const EventView& ev,
                       const EvalContext& ctx) const {
  const ingest::CloudTrailEvent* ct = ev.cloudtrail();
  const FlatTest* t = tests.data() + first;
  for (const FlatTest* end = t + n; t != end; ++t) {
    switch (t->kind) {
      case FlatTest::Kind::kTree:
        if (!t->pred->eval(ev, ctx)) return false;
        continue;
      case FlatTest::Kind::kFalse:
        return false;
      default:
        break;
    }
    // (Insights records take eventSource/eventName from insightDetails: not at the top level.)
    if (ct == nullptr || (ct->insight && t->ct_field <= 1)) {
      if (!t->pred->eval(ev, ctx)) return false;
      continue;
    }
    const std::string_view text = ct_field_text(*ct, t->ct_field);
    if (text.empty()) {
      // Absent, null or "": only the record tells which.
      if (!t->pred->eval(ev, ctx)) return false;
      continue;
    }
    const uint64_t* w = arena.data() + t->words;
    bool m = false;
    if (t->kind == FlatTest::Kind::kCidr4) {
      if (t->ct_field != kCtSourceIp ||
          (!ct->source_ip_is_ip && std::memchr(text.data(), '/', text.size()) != nullptr)) {
        // Another field (its text parsed by the comparison), or a network written as the value
        // (inside the rule's network or not): the comparison's own parsing.
        if (!t->pred->eval(ev, ctx)) return false;
        continue;
      }
      // A source the parser could not read as an address (a host name, "AWS Internal") is in
      // no network: the comparison's own IpAddr::parse of the same text fails alike.
      if (ct->source_ip_is_ip && ct->source_ip.v4) {  // (an IPv6 address is in no IPv4 one)
        const uint32_t ip = ct->source_ip.v4_value();
        for (uint32_t k = 0; k < t->count; ++k) {
          const uint64_t net = w[k];
          if ((ip & static_cast<uint32_t>(net)) == static_cast<uint32_t>(net >> 32)) {
            m = true;
            break;
          }
        }
      }
    } else {
      const bool fold = t->case_insensitive;
      for (uint32_t k = 0; k < t->count && !m; ++k) {
        const std::size_t len = static_cast<std::size_t>(*w);
        const char* s = reinterpret_cast<const char*>(w + 1);
        w += 1 + (len + 7) / 8;
        switch (t->kind) {
          case FlatTest::Kind::kEq:
            m = text.size() == len && equal_bytes(text.data(), s, len, fold);
            break;
          case FlatTest::Kind::kStartsWith:
            m = text.size() >= len && equal_bytes(text.data(), s, len, fold);
            break;
          case FlatTest::Kind::kEndsWith:
            m = text.size() >= len && equal_bytes(text.data() + text.size() - len, s, len, fold);
            break;
          default:  // kContains, case-sensitive
            m = len == 0 || memmem(text.data(), text.size(), s, len) != nullptr;
            break;
        }
      }
    }
    if (m == t->negate) return false;
  }
  return true;
}

}  // namespace sentinel::detect
