#include "detect/state/stateful.h"

#include "detect/functions/registry.h"
#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect {

void KeyExpr::eval_text(const EventView& ev, std::string* out, std::string* scratch) const {
  if (!is_call()) {
    ev.first_text(*this, out);
    return;
  }
  out->clear();
  Value v;
  if (function == nullptr || !function->call(ev, args, &v, scratch)) return;
  assign_value_text(v, out);
}

namespace {

bool bind_key(KeyExpr* k, const char* where, const FunctionRegistry& reg, std::string* error) {
  if (!k->is_call()) return true;
  std::string e;
  if (!reg.check_call(k->fn, k->args.size(), &e)) {
    *error = std::string("stateful ") + where + " '" + k->text + "': " + e;
    return false;
  }
  k->function = reg.find(k->fn);
  return true;
}

}  // namespace

bool bind_stateful(StatefulSpec* spec, const FunctionRegistry& reg, std::string* error) {
  for (KeyExpr& k : spec->group_by) {
    if (!bind_key(&k, "group_by", reg, error)) return false;
  }
  if (!bind_key(&spec->distinct_field, "distinct.field", reg, error)) return false;
  for (KeyExpr& k : spec->features) {
    if (!bind_key(&k, "first_seen.features", reg, error)) return false;
  }
  return true;
}

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
