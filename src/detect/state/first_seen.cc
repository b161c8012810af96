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

/// Counts per value, least recently seen dropped at the cap.
class LruCounter {
 public:
  struct Slot {
    uint64_t count = 0;
    bool alerted = false;
    std::list<std::string>::iterator pos;
  };
  explicit LruCounter(std::size_t cap = 256) : cap_(cap == 0 ? 1 : cap) {}

  const Slot* find(std::string_view v) const {
    auto it = map_.find(v);
    return it == map_.end() ? nullptr : &it->second;
  }
  Slot& add(std::string_view v) {
    auto it = map_.find(v);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.pos);
      ++it->second.count;
      return it->second;
    }
    while (map_.size() >= cap_) {
      map_.erase(order_.back());
      order_.pop_back();
      ++dropped_;
    }
    order_.emplace_front(v);
    Slot& s = map_[order_.front()];
    s.pos = order_.begin();
    s.count = 1;
    return s;
  }
  const std::unordered_map<std::string, Slot, StringHash, StringEq>& all() const { return map_; }
  uint64_t dropped() const { return dropped_; }

  void save(SnapshotWriter& w) const {
    w.u64(cap_);
    w.u64(dropped_);
    w.u64(order_.size());
    for (const std::string& v : order_) {  // most recently seen first
      const Slot& s = map_.at(v);
      w.str(v);
      w.u64(s.count);
      w.boolean(s.alerted);
    }
  }
  void restore(SnapshotReader& r) {
    map_.clear();
    order_.clear();
    cap_ = static_cast<std::size_t>(r.u64());
    if (cap_ == 0) cap_ = 1;
    dropped_ = r.u64();
    const uint64_t n = r.count();
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      std::string v = r.str();
      if (map_.count(v) != 0) {
        r.fail("duplicate value");
        return;
      }
      order_.push_back(v);
      Slot& s = map_[v];
      s.pos = std::prev(order_.end());
      s.count = r.u64();
      s.alerted = r.boolean();
    }
  }

 private:
  std::size_t cap_;
  uint64_t dropped_ = 0;
  std::unordered_map<std::string, Slot, StringHash, StringEq> map_;
  std::list<std::string> order_;
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
    const bool learning = it.t < sat_add(st.start, spec_.learning_ms);
    bool fire = false;
    const char* subtype = "";
    if (!learning) {
      const LruCounter::Slot* s = st.combos.find(combo);
      uint64_t count = s == nullptr ? 0 : s->count;
      subtype = classify(count, st.total, spec_.rare_fraction);
      fire = (count == 0 || std::string_view(subtype) == "RARE") && (s == nullptr || !s->alerted);
      if (fire) report(st, it, combo, count, subtype, sink);
    }
    ++st.total;
    LruCounter::Slot& slot = st.combos.add(combo);
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
      std::vector<std::pair<const std::string*, uint64_t>> vals;
      for (const auto& [v, slot] : st.features[i].all()) vals.emplace_back(&v, slot.count);
      std::sort(vals.begin(), vals.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : *a.first < *b.first;
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
          w.string(*v);
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
    keys_.restore(r, [&](SnapshotReader& r, const std::string&, KeyState& st) {
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
