// Ordered sequence: steps A then B (then C ...) by the same key, the last step within T of the
// first. Events are taken in (time, id) order; "then" means strictly later in that order. For
// each step the operator keeps the partial match with the latest start (it has the most time
// left), so a burst of A's never crowds out the one that can still complete.
#include <algorithm>
#include <cstring>

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
    keys_.set_evict_hook([this](std::string_view, KeyState& st) { free_block(&st); });
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
  // A partial match of steps 0..k: its start and last time, and the ids of its steps (the last
  // one is the newest event) packed in ids_ at `off` (pack_strings: `nids` end offsets, then the
  // bytes). Fixed size: a key's partials are one block of nsteps_ of them in parts_.
  struct Partial {
    int64_t start = 0;
    int64_t last = 0;
    uint64_t off = 0;
    uint32_t nids = 0;
    uint32_t valid = 0;
  };
  static constexpr uint32_t kNoBlock = 0xffffffffu;
  struct KeyState {
    // Its partials: parts_[block * nsteps_ ...], the i-th a match of steps 0..i.
    uint32_t block = kNoBlock;
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

  std::size_t ids_bytes(const Partial& p) const {
    return p.nids == 0 ? 0 : packed_bytes(ids_.data() + p.off, p.nids);
  }
  std::string_view id_of(const Partial& p, std::size_t i) const {
    return packed_string(ids_.data() + p.off, p.nids, i);
  }
  std::string_view last_id(const Partial& p) const {
    return p.nids == 0 ? std::string_view() : id_of(p, p.nids - 1);
  }
  void release(Partial* p) {
    ids_live_ -= ids_bytes(*p);
    *p = Partial{};
  }
  Partial* block_of(const KeyState& st) { return parts_.data() + std::size_t{st.block} * nsteps_; }
  uint32_t new_block() {
    if (!free_blocks_.empty()) {
      const uint32_t b = free_blocks_.back();
      free_blocks_.pop_back();
      return b;
    }
    const auto b = static_cast<uint32_t>(parts_.size() / nsteps_);
    parts_.resize(parts_.size() + nsteps_);
    return b;
  }
  void free_block(KeyState* st) {
    if (st->block == kNoBlock) return;
    Partial* p = block_of(*st);
    for (std::size_t i = 0; i < nsteps_; ++i) release(&p[i]);
    free_blocks_.push_back(st->block);
    st->block = kNoBlock;
  }
  // Bytes the ids of `src` (may be null) and `id` take packed.
  std::size_t extended_bytes(const Partial* src, std::string_view id) const {
    return src == nullptr ? 4 + id.size() : ids_bytes(*src) + 4 + id.size();
  }
  // Writes the ids of `src` (may be null) and `id`, packed (extended_bytes), at ids_[off].
  void write_ids(std::size_t off, const Partial* src, std::string_view id) {
    const uint32_t n = src == nullptr ? 0 : src->nids;
    const std::size_t src_bytes = src == nullptr ? 0 : ids_bytes(*src) - 4 * std::size_t{n};
    char* dst = ids_.data() + off;
    if (src != nullptr) {
      const char* from = ids_.data() + src->off;
      std::memcpy(dst, from, 4 * std::size_t{n});
      std::memcpy(dst + 4 * (std::size_t{n} + 1), from + 4 * std::size_t{n}, src_bytes);
    }
    const auto end = static_cast<uint32_t>(src_bytes + id.size());
    std::memcpy(dst + 4 * std::size_t{n}, &end, sizeof end);
    if (!id.empty()) std::memcpy(dst + 4 * (std::size_t{n} + 1) + src_bytes, id.data(), id.size());
  }
  // Writes the ids of `src` and `id` (packed) at the end of ids_ into *p; compacts ids_ first
  // when it is mostly dead. `src` (may be null) is read after the compaction.
  void append_ids(Partial* p, const Partial* src, std::string_view id) {
    if (ids_.size() > (std::size_t{1} << 16) && ids_.size() > 2 * ids_live_) compact_ids();
    const std::size_t total = extended_bytes(src, id);
    const std::size_t off = ids_.size();
    if (ids_.capacity() < off + total) ids_.reserve(std::max(2 * ids_.capacity(), off + total));
    ids_.resize(off + total);
    write_ids(off, src, id);
    p->off = off;
    p->nids = (src == nullptr ? 0 : src->nids) + 1;
    ids_live_ += total;
  }
  void compact_ids() {
    std::string fresh;
    fresh.reserve(2 * ids_live_);
    for (Partial& p : parts_) {
      if (p.nids == 0) continue;
      const std::size_t len = ids_bytes(p);
      const std::size_t off = fresh.size();
      fresh.append(ids_.data() + p.off, len);
      p.off = off;
    }
    ids_ = std::move(fresh);
  }

  // `dst` becomes `src` extended by the event `it` (`src` null: a new partial at step 0).
  // When the ids `dst` held take exactly the bytes of its new ones (event ids of one length: a
  // step-0 partial replaced by a later step-0 event, most of them), they are overwritten where
  // they are: the arena does not grow (fresh pages, compactions) for a replacement. Another
  // partial's ids never share those bytes (each partial has its own copy).
  void extend(Partial* dst, const Partial* src, const Capture& it) {
    dst->start = src != nullptr ? src->start : it.t;
    if (dst->nids != 0 && ids_bytes(*dst) == extended_bytes(src, it.id)) {
      write_ids(dst->off, src, it.id);
      dst->nids = (src == nullptr ? 0 : src->nids) + 1;
    } else {
      ids_live_ -= ids_bytes(*dst);
      dst->nids = 0;
      append_ids(dst, src, it.id);
    }
    dst->valid = 1;
    dst->last = it.t;
  }

  void process(const Capture& it, StateSink& sink) override {
    if (nsteps_ == 0) return;
    KeyState& st = keys_.use(it.key, it.t);
    if (st.block == kNoBlock) st.block = new_block();
    Partial* done = block_of(st);  // parts_ does not grow below: the pointer stays valid
    const int64_t T = spec_.window_ms;
    // From the last step down, so one event never completes two consecutive steps.
    for (std::size_t k = nsteps_; k-- > 0;) {
      if ((it.mask & (1u << k)) == 0) continue;
      const Partial* prev = nullptr;
      int64_t start = it.t;
      if (k > 0) {
        prev = &done[k - 1];
        if (prev->valid == 0 || it.t - prev->start > T ||
            !before(prev->last, last_id(*prev), it.t, it.id)) {
          continue;
        }
        start = prev->start;
      }
      if (k + 1 == nsteps_) {
        StateHit hit;
        hit.group_key = std::string(it.key);
        const std::size_t n = prev == nullptr ? 0 : prev->nids;
        hit.evidence.reserve(n + 1);
        for (std::size_t i = 0; i < n; ++i) hit.evidence.emplace_back(id_of(*prev, i));
        hit.evidence.emplace_back(it.id);
        hit.count = hit.evidence.size();
        hit.first_seen_ms = start;
        hit.last_seen_ms = it.t;
        hit.evidence_total = hit.evidence.size();
        hit.vars = {{"steps", names_}, {"window", format_duration(T)}};
        for (std::size_t i = 0; i < nsteps_; ++i) release(&done[i]);
        emit(&hit, Sample::of(it), sink);
        continue;
      }
      // Keep the partial with the latest start (the most time left).
      Partial& slot = done[k];
      if (slot.valid == 0 || start >= slot.start) extend(&slot, prev, it);
    }
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [this](SnapshotWriter& w, const KeyState& st) {
      if (st.block == kNoBlock) {
        w.u64(0);
        return;
      }
      const Partial* done = parts_.data() + std::size_t{st.block} * nsteps_;
      w.u64(nsteps_);
      for (std::size_t k = 0; k < nsteps_; ++k) {
        const Partial& p = done[k];
        w.boolean(p.valid != 0);
        w.i64(p.start);
        w.i64(p.last);
        w.str(last_id(p));
        w.u64(p.nids);
        for (std::size_t i = 0; i < p.nids; ++i) w.str(id_of(p, i));
      }
    });
  }
  void restore_keys(SnapshotReader& r) override {
    parts_.clear();
    free_blocks_.clear();
    ids_.clear();
    ids_live_ = 0;
    std::vector<std::string> ids;
    keys_.restore(r, [&](SnapshotReader& r, std::string_view, KeyState& st) {
      const uint64_t n = r.count();
      if (n != 0 && n != nsteps_) r.fail("sequence state with another number of steps");
      if (n == 0 || !r.ok()) return;
      st.block = new_block();
      for (uint64_t k = 0; k < n && r.ok(); ++k) {
        Partial& p = block_of(st)[k];
        p.valid = r.boolean() ? 1 : 0;
        p.start = r.i64();
        p.last = r.i64();
        const std::string last = r.str();
        restore_strings(r, &ids);
        if (!r.ok()) return;
        if (last != (ids.empty() ? std::string() : ids.back())) {
          r.fail("sequence partial whose last id is not its last step");
          return;
        }
        if (ids.empty()) continue;
        // The ids packed as extend() would leave them.
        std::vector<std::string_view> views(ids.begin(), ids.end());
        const std::size_t total = packed_size(views);
        p.off = ids_.size();
        p.nids = static_cast<uint32_t>(ids.size());
        ids_.resize(ids_.size() + total);
        pack_strings(views, ids_.data() + p.off);
        ids_live_ += total;
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
  // The keys' partials (a block of nsteps_ per key that has one; evicted keys' blocks are
  // reused) and their ids, back to back: no allocation per event or per key once grown.
  std::vector<Partial> parts_;
  std::vector<uint32_t> free_blocks_;
  std::string ids_;
  uint64_t ids_live_ = 0;  // bytes of ids_ that live partials point to
};

}  // namespace

std::unique_ptr<StatefulOperator> make_sequence(const Rule& rule) {
  return std::make_unique<SequenceOperator>(rule);
}

}  // namespace sentinel::detect::state
