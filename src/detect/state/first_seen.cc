// First-seen baseline: per entity, a frequency profile of feature combinations (and of each
// feature's values) learnt from the entity's own events. After the learning period, a combination
// the profile has never seen (UNSEEN) or has seen in less than rare_fraction of the entity's
// events (RARE) fires, once per combination while the profile remembers it.
//
// Classes of a value by its share f of the entity's events (docs/stateful.md):
//   FREQUENT   f ≥ 10%          INFREQUENT  rare_fraction ≤ f < 10%
//   RARE       0 < f < rare_fraction          UNSEEN  never seen
#include <algorithm>

#include "core/json_writer.h"
#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect::state {
namespace {

constexpr double kFrequentFraction = 0.10;
constexpr std::size_t kProfileValuesShown = 5;

/// Counts per value, least recently seen dropped at the cap. Flat: one record per value (its
/// hash, count, recency stamp and where its bytes are) in one array, the values' bytes back to
/// back in one block; a lookup scans the records and compares text only on an equal hash. An
/// entity sees a handful of values per feature, at most `cap`, so the scan is short and touches
/// one or two cache lines, where a node-based map and an LRU list cost an allocation per value
/// and several cache misses per lookup; a string per value cost an allocation each.
class LruCounter {
 public:
  struct Slot {
    uint64_t count = 0;
    uint64_t stamp = 0;  // larger: seen more recently
    bool alerted = false;
  };
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kScanMax = 16;

  explicit LruCounter(std::size_t cap = 256) : cap_(cap == 0 ? 1 : cap) {}

  /// The index of `v` (hash `h`), or kNone.
  std::size_t index(std::string_view v, uint64_t h) const {
    if (table_.empty()) {
      for (std::size_t i = 0; i < recs_.size(); ++i) {
        if (recs_[i].hash == h && value(i) == v) return i;
      }
      return kNone;
    }
    const std::size_t mask = table_.size() - 1;
    for (std::size_t pos = h & mask; table_[pos] != 0; pos = (pos + 1) & mask) {
      const std::size_t i = table_[pos] - 1u;
      if (recs_[i].hash == h && value(i) == v) return i;
    }
    return kNone;
  }
  const Slot* find(std::string_view v) const {
    const std::size_t i = index(v, hash_text(v));
    return i == kNone ? nullptr : &recs_[i].slot;
  }
  /// One more sighting of `v` (at `i`, its index() or kNone); returns its slot.
  Slot& add(std::string_view v, uint64_t h, std::size_t i) {
    if (i != kNone) {
      Slot& s = recs_[i].slot;
      ++s.count;
      s.stamp = ++clock_;
      return s;
    }
    while (recs_.size() >= cap_) {
      drop(oldest());
      ++dropped_;
    }
    push(v, h, Slot{1, ++clock_, false});
    return recs_.back().slot;
  }
  Slot& add(std::string_view v) {
    const uint64_t h = hash_text(v);
    return add(v, h, index(v, h));
  }
  std::size_t size() const { return recs_.size(); }
  std::string_view value(std::size_t i) const {
    return std::string_view(bytes_.data() + recs_[i].off, recs_[i].len);
  }
  const Slot& slot(std::size_t i) const { return recs_[i].slot; }
  uint64_t dropped() const { return dropped_; }

  void save(SnapshotWriter& w) const {
    w.u64(cap_);
    w.u64(dropped_);
    w.u64(recs_.size());
    for (std::size_t i : by_recency()) {  // most recently seen first
      w.str(value(i));
      w.u64(recs_[i].slot.count);
      w.boolean(recs_[i].slot.alerted);
    }
  }
  void restore(SnapshotReader& r) {
    table_.clear();
    recs_.clear();
    bytes_.clear();
    dead_ = 0;
    cap_ = static_cast<std::size_t>(r.u64());
    if (cap_ == 0) cap_ = 1;
    dropped_ = r.u64();
    const uint64_t n = r.count();
    clock_ = n;
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      const std::string v = r.str();
      const uint64_t h = hash_text(v);
      if (index(v, h) != kNone) {
        r.fail("duplicate value");
        return;
      }
      Slot s;
      s.count = r.u64();
      s.alerted = r.boolean();
      s.stamp = n - i;
      push(v, h, s);
    }
  }

 private:
  struct Rec {
    uint64_t hash = 0;
    uint32_t off = 0;  // in bytes_
    uint32_t len = 0;
    Slot slot;
  };

  void push(std::string_view v, uint64_t h, const Slot& s) {
    recs_.push_back(
        Rec{h, static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(v.size()), s});
    bytes_.append(v);
    index_last();
  }
  std::size_t oldest() const {
    std::size_t best = 0;
    for (std::size_t i = 1; i < recs_.size(); ++i) {
      if (recs_[i].slot.stamp < recs_[best].slot.stamp) best = i;
    }
    return best;
  }
  void drop(std::size_t i) {
    dead_ += recs_[i].len;
    recs_[i] = recs_.back();
    recs_.pop_back();
    // The block keeps at most as many dead bytes as live ones.
    if (2 * dead_ > bytes_.size()) {
      std::string fresh;
      fresh.reserve(bytes_.size() - dead_);
      for (Rec& rec : recs_) {
        const auto off = static_cast<uint32_t>(fresh.size());
        fresh.append(bytes_, rec.off, rec.len);
        rec.off = off;
      }
      bytes_ = std::move(fresh);
      dead_ = 0;
    }
    if (!table_.empty()) rebuild();
  }
  // Above kScanMax values, an open-addressing table of indexes (+1; 0 is empty) at most 3/4
  // full finds a value in a probe or two instead of a scan of all of them.
  void index_last() {
    if (recs_.size() <= kScanMax) return;
    if (4 * recs_.size() > 3 * table_.size()) {
      rebuild();
    } else {
      place(recs_.size() - 1);
    }
  }
  void rebuild() {
    table_.clear();
    if (recs_.size() <= kScanMax) return;
    std::size_t n = 64;
    while (n < 2 * recs_.size()) n *= 2;
    table_.assign(n, 0);
    for (std::size_t i = 0; i < recs_.size(); ++i) place(i);
  }
  void place(std::size_t i) {
    const std::size_t mask = table_.size() - 1;
    std::size_t pos = recs_[i].hash & mask;
    while (table_[pos] != 0) pos = (pos + 1) & mask;
    table_[pos] = static_cast<uint32_t>(i + 1);
  }
  std::vector<std::size_t> by_recency() const {
    std::vector<std::size_t> order(recs_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return recs_[a].slot.stamp > recs_[b].slot.stamp;
    });
    return order;
  }

  std::size_t cap_;
  uint64_t dropped_ = 0;
  uint64_t clock_ = 0;
  std::vector<Rec> recs_;
  std::string bytes_;            // the values, back to back (dead ones until compacted)
  uint64_t dead_ = 0;            // bytes of dropped values in bytes_
  std::vector<uint32_t> table_;  // empty while there are at most kScanMax values
};

const char* classify(uint64_t count, uint64_t total, double rare) {
  if (count == 0) return "UNSEEN";
  double f = total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(total);
  if (f >= kFrequentFraction) return "FREQUENT";
  if (f >= rare) return "INFREQUENT";
  return "RARE";
}

class FirstSeenOperator final : public OperatorBase {
 public:
  explicit FirstSeenOperator(const Rule& rule)
      : OperatorBase(rule, 0),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, rule.stateful.learning_ms), &stats_) {}

 private:
  struct KeyState {
    bool started = false;
    int64_t start = 0;
    uint64_t total = 0;
    LruCounter combos;
    std::vector<LruCounter> features;
  };

  bool extract(const EventView& ev, Extracted* x) override {
    for (std::size_t i = 0; i < spec_.features.size(); ++i) {
      spec_.features[i].eval_text(ev, &x->add_value(), &scratch_);
    }
    return true;
  }

  // An event can fire only after its entity's learning period. If the entity is known with a
  // start S and t < S + learning, the event is still learning when it is processed: every
  // processed capture was before the watermark and every accepted one is at or after it (the
  // window is 0), so the entity keeps S or, evicted and created again, gets a later start.
  bool wants_sample(const Extracted&, std::string_view key, int64_t t) override {
    const KeyState* st = keys_.find(key);
    return st == nullptr || !st->started || t >= sat_add(st->start, spec_.learning_ms);
  }

  void process(const Capture& it, StateSink& sink) override {
    KeyState& st = keys_.use(it.key, it.t);
    const std::size_t nf = spec_.features.size();
    if (!st.started) {
      st.started = true;
      st.start = it.t;
      st.combos = LruCounter(spec_.max_combinations);
      st.features.assign(nf, LruCounter(spec_.max_combinations));
    }
    std::string& combo = combo_;
    combo.clear();
    for (std::size_t i = 0; i < nf; ++i) {
      if (i > 0) combo += '\x1f';
      combo += it.value(i);
    }
    const uint64_t combo_hash = hash_text(combo);
    const std::size_t combo_at = st.combos.index(combo, combo_hash);
    const bool learning = it.t < sat_add(st.start, spec_.learning_ms);
    bool fire = false;
    const char* subtype = "";
    if (!learning) {
      const LruCounter::Slot* s =
          combo_at == LruCounter::kNone ? nullptr : &st.combos.slot(combo_at);
      uint64_t count = s == nullptr ? 0 : s->count;
      subtype = classify(count, st.total, spec_.rare_fraction);
      fire = (count == 0 || std::string_view(subtype) == "RARE") && (s == nullptr || !s->alerted);
      if (fire) report(st, it, combo, count, subtype, sink);
    }
    ++st.total;
    LruCounter::Slot& slot = st.combos.add(combo, combo_hash, combo_at);
    if (fire) slot.alerted = true;
    for (std::size_t i = 0; i < nf; ++i) st.features[i].add(it.value(i));
  }

  // Called before the event joins the profile: the profile is what was known before it.
  void report(const KeyState& st, const Capture& it, const std::string& /*combo*/, uint64_t count,
              const char* subtype, StateSink& sink) {
    const std::size_t nf = spec_.features.size();
    std::string json;
    JsonWriter w(&json);
    w.begin_object();
    w.key("profiledBehavior");
    w.begin_object();
    for (std::size_t i = 0; i < nf; ++i) {
      w.key(spec_.features[i].text);
      w.begin_object();
      std::vector<std::pair<std::string_view, uint64_t>> vals;
      const LruCounter& fc = st.features[i];
      for (std::size_t j = 0; j < fc.size(); ++j) vals.emplace_back(fc.value(j), fc.slot(j).count);
      std::sort(vals.begin(), vals.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      for (const char* cls : {"FREQUENT", "INFREQUENT", "RARE"}) {
        std::size_t shown = 0;
        bool open = false;
        for (const auto& [v, c] : vals) {
          if (std::string_view(classify(c, st.total, spec_.rare_fraction)) != cls) continue;
          if (shown == kProfileValuesShown) break;
          if (!open) {
            w.key(cls);
            w.begin_array();
            open = true;
          }
          w.string(v);
          ++shown;
        }
        if (open) w.end_array();
      }
      w.end_object();
    }
    w.end_object();
    w.key("unusualBehavior");
    w.begin_object();
    for (std::size_t i = 0; i < nf; ++i) w.field(spec_.features[i].text, it.value(i));
    w.end_object();
    w.key("unusualProfile");
    w.begin_object();
    for (std::size_t i = 0; i < nf; ++i) {
      const LruCounter::Slot* s = st.features[i].find(it.value(i));
      w.field(spec_.features[i].text,
              classify(s == nullptr ? 0 : s->count, st.total, spec_.rare_fraction));
    }
    w.end_object();
    w.key("combination");
    w.begin_object();
    w.field("profileSubtype", subtype);
    w.field("count", count);
    w.field("observations", st.total);
    w.field("rareFraction", spec_.rare_fraction);
    w.field("frequentFraction", kFrequentFraction);
    w.end_object();
    w.key("learningPeriod");
    w.begin_object();
    w.field("startMs", st.start);
    w.field("endMs", sat_add(st.start, spec_.learning_ms));
    w.end_object();
    w.end_object();

    std::string unusual;
    for (std::size_t i = 0; i < nf; ++i) {
      if (i > 0) unusual += ", ";
      unusual += spec_.features[i].text + "=";
      unusual += it.value(i);
    }
    StateHit hit;
    hit.group_key = std::string(it.key);
    hit.count = 1;
    hit.first_seen_ms = it.t;
    hit.last_seen_ms = it.t;
    hit.evidence.emplace_back(it.id);
    hit.evidence_total = 1;
    hit.unusual_json = std::move(json);
    hit.vars = {{"profile", subtype},
                {"unusual", unusual},
                {"observations", std::to_string(st.total)},
                {"seen", std::to_string(count)}};
    emit(&hit, Sample::of(it), sink);
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      w.boolean(st.started);
      w.i64(st.start);
      w.u64(st.total);
      st.combos.save(w);
      w.u64(st.features.size());
      for (const LruCounter& c : st.features) c.save(w);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [&](SnapshotReader& r, std::string_view, KeyState& st) {
      st.started = r.boolean();
      st.start = r.i64();
      st.total = r.u64();
      st.combos.restore(r);
      const uint64_t n = r.count();
      if (n != 0 && n != spec_.features.size()) r.fail("first-seen state with other features");
      st.features.resize(n);
      for (LruCounter& c : st.features) c.restore(r);
    });
  }

  KeyTable<KeyState> keys_;
  std::string combo_;
};

}  // namespace

std::unique_ptr<StatefulOperator> make_first_seen(const Rule& rule) {
  return std::make_unique<FirstSeenOperator>(rule);
}

}  // namespace sentinel::detect::state
