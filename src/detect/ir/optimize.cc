#include "detect/ir/optimize.h"

#include <algorithm>
#include <numeric>

namespace sentinel::detect {

namespace {

bool uses_lists(const Predicate& p) {
  if (p.kind == Predicate::Kind::kCompare) return p.op == CmpOp::kInList;
  for (const auto& c : p.children) {
    if (uses_lists(c)) return true;
  }
  return false;
}

}  // namespace

int predicate_cost(const Predicate& p) {
  switch (p.kind) {
    case Predicate::Kind::kTrue:
    case Predicate::Kind::kFalse:
      return 0;
    case Predicate::Kind::kAnd:
    case Predicate::Kind::kOr: {
      int sum = 1;
      for (const auto& c : p.children) sum += predicate_cost(c);
      return sum;
    }
    case Predicate::Kind::kNot:
      return 1 + predicate_cost(p.children[0]);
    case Predicate::Kind::kCompare:
      break;
  }
  if (p.function != nullptr) return 60;
  // Reading the field: the envelope, flow fields and the CloudTrail fields the parser extracted
  // need no JSON walk.
  const bool direct = p.field.source != FieldRef::Source::kJsonPath || p.field.ct_field >= 0;
  int cost = direct ? 2 : 10 + 2 * static_cast<int>(p.field.steps.size());
  switch (p.op) {
    case CmpOp::kRegex:
      cost += 20 * static_cast<int>(p.regexes.size());
      break;
    case CmpOp::kInList:
      cost += 15;
      break;
    case CmpOp::kGlob:
    case CmpOp::kContains:
      cost += 3 * static_cast<int>(p.strings.size());
      break;
    case CmpOp::kCidr:
      cost += 2 * static_cast<int>(p.cidrs.size());
      break;
    case CmpOp::kExists:
    case CmpOp::kIsNull:
      cost += direct ? 0 : 2;
      break;
    default:
      cost += static_cast<int>(std::min<std::size_t>(p.strings.size() + p.numbers.size(), 20));
      break;
  }
  if (p.case_insensitive) cost += 2;
  // `!=` and friends mostly hold: in an AND they rarely decide, so they go after.
  if (p.negate) cost += 6;
  return cost;
}

namespace {

// optimized() in place: children first, then an AND's conjuncts by cost (one copy of the rule's
// predicate in all, not one per level).
void optimize_in_place(Predicate* p) {
  for (auto& c : p->children) optimize_in_place(&c);
  if (p->kind != Predicate::Kind::kAnd || p->children.size() < 2 || uses_lists(*p)) return;
  std::vector<int> cost(p->children.size());
  for (std::size_t i = 0; i < cost.size(); ++i) cost[i] = predicate_cost(p->children[i]);
  if (std::is_sorted(cost.begin(), cost.end())) return;  // stable_sort would keep the order
  std::vector<std::size_t> order(cost.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cost[a] < cost[b]; });
  std::vector<Predicate> sorted;
  sorted.reserve(order.size());
  for (std::size_t i : order) sorted.push_back(std::move(p->children[i]));
  p->children = std::move(sorted);
}

}  // namespace

Predicate optimized(const Predicate& p) {
  Predicate out = p;
  optimize_in_place(&out);
  return out;
}

}  // namespace sentinel::detect
