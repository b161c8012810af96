#pragma once
/// Rewrites a rule's predicate into the form the engine evaluates: same answers, less work.
#include "detect/ir/predicate.h"

namespace sentinel::detect {

/// A static estimate of what evaluating `p` costs (instructions, roughly relative): fields the
/// parser extracted are cheap, JSON walks dearer, regexes, lists and functions dearest.
int predicate_cost(const Predicate& p);

/// `p` with the conjuncts of every AND ordered so that cheap and likely-false ones come first
/// (a stable sort on predicate_cost, negated comparisons counted dearer since they mostly
/// hold). An AND is left as written when anything under it consults a named list: which lists
/// a predicate records as matched (threatIntelligenceDetails) may depend on what ran before a
/// false conjunct stopped it. ORs keep their order for the same reason.
Predicate optimized(const Predicate& p);

}  // namespace sentinel::detect
