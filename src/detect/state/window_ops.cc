// Threshold and distinct count: ≥ N matches (or N distinct values) per key within a sliding
// window T, once per episode. An episode of a key is a run of its matches with no gap longer than
// T; the clause fires at the match that first reaches N inside the episode, and not again until a
// gap longer than T starts a new episode.
#include <algorithm>
#include <deque>
#include <set>
#include <vector>

#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect::state {
namespace {

constexpr std::size_t kMaxEvidence = 20;
constexpr std::size_t kMaxValuesSample = 10;

class ThresholdOperator final : public OperatorBase {
 public:
  explicit ThresholdOperator(const Rule& rule)
      : OperatorBase(rule, rule.stateful.window_ms),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, 2 * rule.stateful.window_ms), &stats_) {
  }

 private:
  // A match in the window: its time and its id in the key's id pool.
  struct Entry {
    int64_t t;
    uint32_t off;
    uint32_t len;
  };
  // The window's entries, oldest first: a vector with a moving head (a deque would allocate
  // a 512-byte block for every key's first match).
  struct EntryQueue {
    std::vector<Entry> v;
    std::size_t head = 0;
    bool empty() const { return head == v.size(); }
    std::size_t size() const { return v.size() - head; }
    const Entry& front() const { return v[head]; }
    const Entry& back() const { return v.back(); }
    const Entry& operator[](std::size_t i) const { return v[head + i]; }
    auto begin() { return v.begin() + static_cast<std::ptrdiff_t>(head); }
    auto end() { return v.end(); }
    auto begin() const { return v.begin() + static_cast<std::ptrdiff_t>(head); }
    auto end() const { return v.end(); }
    void push_back(const Entry& e) { v.push_back(e); }
    template <typename It>
    void insert(It pos, const Entry& e) {
      v.insert(pos, e);
    }
    void pop_front() {
      if (++head == v.size()) {
        v.clear();
        head = 0;
      } else if (head >= 32 && 2 * head >= v.size()) {
        v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(head));
        head = 0;
      }
    }
    void clear() {
      v.clear();
      head = 0;
    }
    void shrink_to_fit() { v.shrink_to_fit(); }
  };
  struct KeyState {
    EntryQueue window;     // before firing only; fewer than N entries
    std::string ids;       // the window's ids, back to back (no string per match)
    std::size_t dead = 0;  // bytes of `ids` no entry refers to any more
    bool fired = false;
    int64_t last = kMinTime;

    std::string_view id(const Entry& e) const { return std::string_view(ids).substr(e.off, e.len); }
    void add(int64_t t, std::string_view id) {
      const Entry e{t, static_cast<uint32_t>(ids.size()), static_cast<uint32_t>(id.size())};
      ids.append(id);
      // Sorted insert: the common case appends; late-accepted ones go in their place.
      if (window.empty() || before(window.back(), e)) {
        window.push_back(e);
        return;
      }
      auto pos = std::upper_bound(window.begin(), window.end(), e,
                                  [&](const Entry& a, const Entry& b) { return before(a, b); });
      window.insert(pos, e);
    }
    bool before(const Entry& a, const Entry& b) const {
      return a.t != b.t ? a.t < b.t : id(a) < id(b);
    }
    void pop_front() {
      dead += window.front().len;
      window.pop_front();
      if (window.empty()) {
        ids.clear();
        dead = 0;
      } else if (dead > 4096 && dead > ids.size() / 2) {
        std::string fresh;
        fresh.reserve(ids.size() - dead);
        for (Entry& e : window) {
          const uint32_t off = static_cast<uint32_t>(fresh.size());
          fresh.append(id(e));
          e.off = off;
        }
        ids = std::move(fresh);
        dead = 0;
      }
    }
    void clear() {
      window.clear();
      ids.clear();
      dead = 0;
    }
  };

  bool extract(const EventView&, Extracted*) override { return true; }

  void process(const Capture& it, StateSink& sink) override {
    KeyState& st = keys_.use(it.key, it.t);
    const int64_t T = spec_.window_ms;
    if (st.last != kMinTime && it.t > st.last && it.t - st.last > T) {
      st.fired = false;
      st.clear();
    }
    if (it.t > st.last) st.last = it.t;
    if (st.fired) return;
    st.add(it.t, it.id);
    const int64_t newest = st.window.back().t;
    while (!st.window.empty() && st.window.front().t < sat_sub(newest, T)) st.pop_front();
    const uint64_t n = std::max<uint64_t>(spec_.threshold, 1);
    if (st.window.size() < n) return;
    StateHit hit;
    hit.group_key = std::string(it.key);
    hit.count = st.window.size();
    hit.first_seen_ms = st.window.front().t;
    hit.last_seen_ms = newest;
    for (std::size_t i = 0; i < st.window.size() && i < kMaxEvidence; ++i) {
      hit.evidence.emplace_back(st.id(st.window[i]));
    }
    hit.evidence_total = st.window.size();
    hit.vars = {{"count", std::to_string(hit.count)},
                {"window", format_duration(T)},
                {"threshold", std::to_string(n)}};
    st.fired = true;
    st.clear();
    st.window.shrink_to_fit();
    st.ids.shrink_to_fit();
    emit(&hit, Sample::of(it), sink);
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      w.u64(st.window.size());
      for (const Entry& e : st.window) {
        w.i64(e.t);
        w.str(st.id(e));
      }
      w.boolean(st.fired);
      w.i64(st.last);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [](SnapshotReader& r, const std::string&, KeyState& st) {
      const uint64_t n = r.count();
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        const int64_t t = r.i64();
        const std::string id = r.str();
        st.window.push_back(
            Entry{t, static_cast<uint32_t>(st.ids.size()), static_cast<uint32_t>(id.size())});
        st.ids.append(id);
      }
      st.fired = r.boolean();
      st.last = r.i64();
    });
  }

  KeyTable<KeyState> keys_;
};

class DistinctOperator final : public OperatorBase {
 public:
  explicit DistinctOperator(const Rule& rule)
      : OperatorBase(rule, rule.stateful.window_ms),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, 2 * rule.stateful.window_ms), &stats_) {
  }

 private:
  struct ValueState {
    int64_t first = 0;   // first time in the current window
    int64_t latest = 0;  // latest time: the value leaves the window T after it
    std::string first_id;
  };
  struct KeyState {
    std::unordered_map<std::string, ValueState, StringHash, StringEq> values;
    std::set<std::pair<int64_t, std::string>> by_latest;
    bool fired = false;
    int64_t last = kMinTime;
    int64_t episode_first = 0;
    uint64_t episode_count = 0;
  };

  bool extract(const EventView& ev, Extracted* x) override {
    std::string& v = x->add_value();
    spec_.distinct_field.eval_text(ev, &v, &scratch_);
    return !v.empty();  // nothing to count without a value
  }

  void process(const Capture& it, StateSink& sink) override {
    KeyState& st = keys_.use(it.key, it.t);
    const int64_t T = spec_.window_ms;
    if (st.last == kMinTime || (it.t > st.last && it.t - st.last > T)) {
      st.fired = false;
      st.values.clear();
      st.by_latest.clear();
      st.episode_first = it.t;
      st.episode_count = 0;
    }
    if (it.t > st.last) st.last = it.t;
    if (it.t < st.episode_first) st.episode_first = it.t;
    ++st.episode_count;
    if (st.fired) return;
    const std::string_view value = it.value(0);
    auto vit = st.values.find(value);
    if (vit == st.values.end()) {
      ValueState& vs = st.values[std::string(value)];
      vs.first = it.t;
      vs.latest = it.t;
      vs.first_id = std::string(it.id);
      st.by_latest.emplace(it.t, value);
    } else {
      ValueState& vs = vit->second;
      if (it.t < vs.first || (it.t == vs.first && it.id < vs.first_id)) {
        vs.first = it.t;
        vs.first_id = std::string(it.id);
      }
      if (it.t > vs.latest) {
        st.by_latest.erase({vs.latest, vit->first});
        vs.latest = it.t;
        st.by_latest.emplace(vs.latest, vit->first);
      }
    }
    const int64_t horizon = sat_sub(st.last, T);
    while (!st.by_latest.empty() && st.by_latest.begin()->first < horizon) {
      st.values.erase(st.by_latest.begin()->second);
      st.by_latest.erase(st.by_latest.begin());
    }
    const uint64_t n = std::max<uint64_t>(spec_.threshold, 1);
    if (st.values.size() < n) return;

    // Values in the order they first appeared (ties by value) for the sample and evidence.
    std::vector<std::pair<const std::string*, const ValueState*>> order;
    order.reserve(st.values.size());
    for (const auto& [k, v] : st.values) order.emplace_back(&k, &v);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.second->first != b.second->first) return a.second->first < b.second->first;
      return *a.first < *b.first;
    });
    StateHit hit;
    hit.group_key = std::string(it.key);
    hit.count = st.episode_count;
    hit.first_seen_ms = order.front().second->first;
    hit.last_seen_ms = st.last;
    std::string sample;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i < kMaxEvidence) hit.evidence.push_back(order[i].second->first_id);
      if (i < kMaxValuesSample) {
        if (i > 0) sample += ',';
        sample += *order[i].first;
      }
    }
    hit.evidence_total = order.size();
    hit.vars = {{"distinct", std::to_string(order.size())},
                {"count", std::to_string(st.episode_count)},
                {"values", sample},
                {"window", format_duration(T)},
                {"threshold", std::to_string(n)}};
    st.fired = true;
    st.values.clear();
    st.by_latest.clear();
    emit(&hit, Sample::of(it), sink);
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      // Values in a canonical order (by value): the map's own order is not part of the state.
      std::vector<const std::pair<const std::string, ValueState>*> vals;
      vals.reserve(st.values.size());
      for (const auto& kv : st.values) vals.push_back(&kv);
      std::sort(vals.begin(), vals.end(), [](auto* a, auto* b) { return a->first < b->first; });
      w.u64(vals.size());
      for (const auto* kv : vals) {
        w.str(kv->first);
        w.i64(kv->second.first);
        w.i64(kv->second.latest);
        w.str(kv->second.first_id);
      }
      w.boolean(st.fired);
      w.i64(st.last);
      w.i64(st.episode_first);
      w.u64(st.episode_count);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [](SnapshotReader& r, const std::string&, KeyState& st) {
      const uint64_t n = r.count();
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        std::string v = r.str();
        ValueState vs;
        vs.first = r.i64();
        vs.latest = r.i64();
        vs.first_id = r.str();
        st.by_latest.emplace(vs.latest, v);
        st.values.emplace(std::move(v), std::move(vs));
      }
      st.fired = r.boolean();
      st.last = r.i64();
      st.episode_first = r.i64();
      st.episode_count = r.u64();
    });
  }

  KeyTable<KeyState> keys_;
};

}  // namespace

std::unique_ptr<StatefulOperator> make_threshold(const Rule& rule) {
  return std::make_unique<ThresholdOperator>(rule);
}

std::unique_ptr<StatefulOperator> make_distinct(const Rule& rule) {
  return std::make_unique<DistinctOperator>(rule);
}

}  // namespace sentinel::detect::state
