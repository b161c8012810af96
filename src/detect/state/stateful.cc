#include "detect/state/stateful.h"

#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect {

std::unique_ptr<StatefulOperator> make_operator(const Rule& rule) {
  switch (rule.stateful.kind) {
    case StatefulSpec::Kind::kThreshold:
      return state::make_threshold(rule);
    case StatefulSpec::Kind::kDistinct:
      return state::make_distinct(rule);
    case StatefulSpec::Kind::kFirstSeen:
      return state::make_first_seen(rule);
    case StatefulSpec::Kind::kSequence:
      return state::make_sequence(rule);
    case StatefulSpec::Kind::kVolume:
      return state::make_volume(rule);
    case StatefulSpec::Kind::kNone:
      break;
  }
  return nullptr;
}

}  // namespace sentinel::detect
