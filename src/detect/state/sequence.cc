// Ordered sequence: steps A then B (then C ...) by the same key, the last step within T of the
// first. Events are taken in (time, id) order; "then" means strictly later in that order. For
// each step the operator keeps the partial match with the latest start (it has the most time
// left), so a burst of A's never crowds out the one that can still complete.
#include <algorithm>

#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect::state {
namespace {

constexpr std::size_t kMaxSteps = 32;

class SequenceOperator final : public OperatorBase {
 public:
  explicit SequenceOperator(const Rule& rule)
      : OperatorBase(rule, rule.stateful.window_ms),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, 2 * rule.stateful.window_ms), &stats_),
        nsteps_(std::min(rule.stateful.steps.size(), kMaxSteps)) {
    for (std::size_t i = 0; i < nsteps_; ++i) {
      if (i > 0) names_ += " -> ";
      names_ += i < rule.stateful.step_names.size() && !rule.stateful.step_names[i].empty()
                    ? rule.stateful.step_names[i]
                    : "step" + std::to_string(i + 1);
    }
    // Steps that read only CloudTrail fields the parser extracts, with pure comparisons, give
    // the same mask for the same texts of those fields: their masks are kept by those texts.
    bool pure = nsteps_ > 0;
    for (std::size_t i = 0; i < nsteps_ && pure; ++i) {
      pure = collect_step_fields(rule.stateful.steps[i], &step_fields_);
    }
    if (!pure || step_fields_.empty()) step_fields_.clear();
  }

 private:
  // A partial match of steps 0..k: the ids of its steps (the last one is the newest event),
  // updated in place so that a match reuses the strings' capacity instead of allocating.
  struct Partial {
    bool valid = false;
    int64_t start = 0;
    int64_t last = 0;
    std::vector<std::string> ids;
    std::string_view last_id() const {
      return ids.empty() ? std::string_view() : std::string_view(ids.back());
    }
    void reset() {
      valid = false;
      start = 0;
      last = 0;
      ids.clear();
    }
  };
  struct KeyState {
    std::vector<Partial> done;  // done[i]: a match of steps 0..i
  };

  // Whether `p` is a tree of and / or / not over pure comparisons (no function, named list or
  // network) of CloudTrail fields the parser extracts; adds those fields to *fields.
  static bool collect_step_fields(const Predicate& p, std::vector<FieldRef>* fields) {
    switch (p.kind) {
      case Predicate::Kind::kTrue:
      case Predicate::Kind::kFalse:
        return true;
      case Predicate::Kind::kAnd:
      case Predicate::Kind::kOr:
      case Predicate::Kind::kNot:
        for (const Predicate& c : p.children) {
          if (!collect_step_fields(c, fields)) return false;
        }
        return true;
      case Predicate::Kind::kCompare:
        break;
    }
    if (p.function != nullptr || !p.args.empty() || !p.list.empty() || p.op == CmpOp::kInList ||
        p.op == CmpOp::kCidr || p.field.source != FieldRef::Source::kJsonPath ||
        p.field.ct_field < 0 || p.field.text.rfind("fn:", 0) == 0) {
      return false;
    }
    for (const FieldRef& f : *fields) {
      if (f.ct_field == p.field.ct_field) return true;
    }
    fields->push_back(p.field);
    return true;
  }

  uint32_t eval_steps(const EventView& ev, const EvalContext& ctx) const {
    uint32_t mask = 0;
    for (std::size_t i = 0; i < nsteps_; ++i) {
      if (spec_.steps[i].eval(ev, ctx)) mask |= (1u << i);
    }
    return mask;
  }

  bool extract(const EventView& ev, Extracted* x) override {
    // With the engine's lists: a step may use `in_list` like any match.
    const EvalContext ctx = x->ctx != nullptr ? *x->ctx : EvalContext{};
    if (step_fields_.empty() || ev.cloudtrail() == nullptr) {
      x->mask = eval_steps(ev, ctx);
      return x->mask != 0;
    }
    // The steps' fields as the event gives them: each read directly as a string (else the
    // steps are evaluated as they are: an empty, null or absent field, an Insights record).
    step_key_.clear();
    for (const FieldRef& f : step_fields_) {
      Value v;
      if (ev.direct(f, &v) != 1 || v.kind != Value::Kind::kString) {
        x->mask = eval_steps(ev, ctx);
        return x->mask != 0;
      }
      const auto n = static_cast<uint32_t>(v.str.size());
      step_key_.append(reinterpret_cast<const char*>(&n), sizeof n);
      step_key_.append(v.str);
    }
    auto it = step_masks_.find(std::string_view(step_key_));
    if (it != step_masks_.end()) {
      x->mask = it->second;
    } else {
      x->mask = eval_steps(ev, ctx);
      if (step_masks_.size() >= kMaxStepMasks) step_masks_.clear();  // bounded
      step_masks_.emplace(step_key_, x->mask);
    }
    return x->mask != 0;
  }

  // Only an event matching the last step can complete a sequence, and the sample is the event
  // that completes it: the other steps' captures need no sample fields.
  bool wants_sample(const Extracted& x, std::string_view, int64_t) override {
    return nsteps_ > 0 && (x.mask & (1u << (nsteps_ - 1))) != 0;
  }

  static bool before(int64_t t1, std::string_view id1, int64_t t2, std::string_view id2) {
    return t1 != t2 ? t1 < t2 : id1 < id2;
  }

  // `dst` becomes `src` extended by the event `it` (`src` null: a new partial at step 0).
  static void extend(Partial* dst, const Partial* src, const Capture& it) {
    std::size_t n = 0;
    if (src != nullptr) {
      dst->start = src->start;
      n = src->ids.size();
      dst->ids.resize(n + 1);
      for (std::size_t i = 0; i < n; ++i) dst->ids[i].assign(src->ids[i]);
    } else {
      dst->start = it.t;
      dst->ids.resize(1);
    }
    dst->ids[n].assign(it.id);
    dst->valid = true;
    dst->last = it.t;
  }

  void process(const Capture& it, StateSink& sink) override {
    if (nsteps_ == 0) return;
    KeyState& st = keys_.use(it.key, it.t);
    if (st.done.size() != nsteps_) st.done.assign(nsteps_, Partial{});
    const int64_t T = spec_.window_ms;
    // From the last step down, so one event never completes two consecutive steps.
    for (std::size_t k = nsteps_; k-- > 0;) {
      if ((it.mask & (1u << k)) == 0) continue;
      const Partial* prev = nullptr;
      int64_t start = it.t;
      if (k > 0) {
        prev = &st.done[k - 1];
        if (!prev->valid || it.t - prev->start > T ||
            !before(prev->last, prev->last_id(), it.t, it.id)) {
          continue;
        }
        start = prev->start;
      }
      if (k + 1 == nsteps_) {
        Partial full;
        extend(&full, prev, it);
        StateHit hit;
        hit.group_key = std::string(it.key);
        hit.count = full.ids.size();
        hit.first_seen_ms = full.start;
        hit.last_seen_ms = it.t;
        hit.evidence = std::move(full.ids);
        hit.evidence_total = hit.evidence.size();
        hit.vars = {{"steps", names_}, {"window", format_duration(T)}};
        for (Partial& p : st.done) p.reset();
        emit(&hit, Sample::of(it), sink);
        continue;
      }
      // Keep the partial with the latest start (the most time left).
      Partial& slot = st.done[k];
      if (!slot.valid || start >= slot.start) extend(&slot, prev, it);
    }
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      w.u64(st.done.size());
      for (const Partial& p : st.done) {
        w.boolean(p.valid);
        w.i64(p.start);
        w.i64(p.last);
        w.str(p.last_id());
        save_strings(w, p.ids);
      }
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [&](SnapshotReader& r, const std::string&, KeyState& st) {
      const uint64_t n = r.count();
      if (n != 0 && n != nsteps_) r.fail("sequence state with another number of steps");
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        Partial p;
        p.valid = r.boolean();
        p.start = r.i64();
        p.last = r.i64();
        const std::string last_id = r.str();
        restore_strings(r, &p.ids);
        if (r.ok() && last_id != p.last_id())
          r.fail("sequence partial whose last id is not its last step");
        st.done.push_back(std::move(p));
      }
    });
  }

  KeyTable<KeyState> keys_;
  std::size_t nsteps_;
  std::string names_;
  // The step masks by the texts of the steps' fields (empty step_fields_: not kept).
  static constexpr std::size_t kMaxStepMasks = 4096;
  std::vector<FieldRef> step_fields_;
  std::string step_key_;
  std::unordered_map<std::string, uint32_t, StringHash, StringEq> step_masks_;
};

}  // namespace

std::unique_ptr<StatefulOperator> make_sequence(const Rule& rule) {
  return std::make_unique<SequenceOperator>(rule);
}

}  // namespace sentinel::detect::state
