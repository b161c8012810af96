// Volume anomaly: the sum of a numeric field per key per interval bucket, judged when the bucket
// closes against the key's last K closed buckets with a robust model:
//   threshold = median + z × 1.4826 × MAD      (MAD: median absolute deviation from the median)
// and fires when the sum exceeds both the threshold and the absolute floor. Median and MAD ignore
// up to half the history being spikes, so earlier bursts (what we detect) do not raise the bar the
// way a mean and standard deviation would. 1.4826 scales MAD to σ for normal data.
#include <algorithm>
#include <cmath>
#include <deque>
#include <set>

#include "core/json_writer.h"
#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect::state {
namespace {

constexpr std::size_t kVolumeMaxEvidence = 20;
constexpr double kMadToSigma = 1.4826;

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

class VolumeOperator final : public OperatorBase {
 public:
  explicit VolumeOperator(const Rule& rule)
      : OperatorBase(rule, interval(rule)),
        keys_(rule.stateful.max_keys,
              ttl_or(rule.stateful, interval(rule) * static_cast<int64_t>(history(rule))),
              &stats_) {
    keys_.set_evict_hook([this](std::string_view key, KeyState& st) {
      if (st.open) timers_.erase({end_of(st.bucket), std::string(key)});
    });
  }

 private:
  static int64_t interval(const Rule& r) {
    return r.stateful.interval_ms > 0 ? r.stateful.interval_ms : 60 * 60 * 1000;
  }
  static uint32_t history(const Rule& r) {
    return std::max<uint32_t>(r.stateful.history_intervals, 1);
  }

  struct KeyState {
    bool open = false;
    int64_t bucket = 0;  // index: floor(t / interval)
    double sum = 0;
    uint64_t count = 0;
    int64_t first_t = 0;
    int64_t last_t = 0;
    std::vector<std::string> ids;
    Sample top;  // the event with the largest value (ties: earliest), for the finding's fields
    double top_value = 0;
    bool has_closed = false;
    int64_t last_closed = 0;
    std::deque<double> hist;  // the last K closed sums, oldest first
    uint64_t seen = 0;        // buckets closed since the key appeared (empty ones included)
  };

  int64_t end_of(int64_t bucket) const { return sat_add(bucket * interval_, interval_); }

  bool extract(const EventView& ev, Extracted* x) override {
    bool ok = false;
    ev.any(spec_.volume_field, [&](const Value& v) {
      if (v.kind == Value::Kind::kNumber && std::isfinite(v.number)) {
        x->number = v.number;
        ok = true;
      }
      return true;
    });
    return ok;
  }

  void push_history(KeyState& st, double v) {
    st.hist.push_back(v);
    while (st.hist.size() > k_) st.hist.pop_front();
    ++st.seen;
  }

  void process(const Capture& it, StateSink& sink) override {
    const int64_t b = floor_div(it.t, interval_);
    KeyState* found = keys_.find(it.key);
    // A bucket already judged cannot take more: that item is late after all.
    if (found != nullptr && ((found->open && b < found->bucket) ||
                             (!found->open && found->has_closed && b <= found->last_closed))) {
      ++stats_.late_events;
      if (stats_.late_accepted > 0) --stats_.late_accepted;
      --stats_.events;
      return;
    }
    KeyState& st = keys_.use(it.key, it.t);
    if (st.open && b > st.bucket) close(it.key, st, sink);
    if (!st.open) {
      if (st.has_closed) {
        // Empty buckets between the last closed one and this one are zeros.
        int64_t gap = b - st.last_closed - 1;
        for (int64_t i = 0; i < gap; ++i) {
          if (static_cast<std::size_t>(i) >= k_) {
            st.seen += static_cast<uint64_t>(gap - i);
            break;
          }
          push_history(st, 0);
        }
      }
      st.open = true;
      st.bucket = b;
      st.sum = 0;
      st.count = 0;
      st.first_t = it.t;
      st.last_t = it.t;
      st.ids.clear();
      st.top_value = -INFINITY;
      timers_.emplace(end_of(b), std::string(it.key));
    }
    st.sum += it.number;
    ++st.count;
    st.first_t = std::min(st.first_t, it.t);
    st.last_t = std::max(st.last_t, it.t);
    if (st.ids.size() < kVolumeMaxEvidence) st.ids.emplace_back(it.id);
    if (it.number > st.top_value) {
      st.top_value = it.number;
      st.top = Sample::of(it);
    }
  }

  void close(std::string_view key, KeyState& st, StateSink& sink) {
    timers_.erase({end_of(st.bucket), std::string(key)});
    st.open = false;
    if (st.seen >= spec_.warmup_intervals && !st.hist.empty()) {
      std::vector<double> h(st.hist.begin(), st.hist.end());
      const double med = median_of(h);
      for (double& x : h) x = std::fabs(x - med);
      const double mad = median_of(std::move(h));
      const double thr = med + spec_.z_threshold * kMadToSigma * mad;
      if (st.sum > thr && st.sum > spec_.min_volume) report(key, st, med, mad, thr, sink);
    }
    push_history(st, st.sum);
    st.has_closed = true;
    st.last_closed = st.bucket;
  }

  void report(std::string_view key, const KeyState& st, double med, double mad, double thr,
              StateSink& sink) {
    std::string json;
    JsonWriter w(&json);
    w.begin_object();
    w.key("profiledBehavior");
    w.begin_object();
    w.field("profileType", "VOLUME");
    w.field("median", med);
    w.field("mad", mad);
    w.field("threshold", thr);
    w.field("zThreshold", spec_.z_threshold);
    w.field("minVolume", spec_.min_volume);
    w.field("intervals", static_cast<uint64_t>(st.hist.size()));
    w.field("intervalMs", interval_);
    w.end_object();
    w.key("unusualBehavior");
    w.begin_object();
    w.field("field", spec_.volume_field.text);
    w.field("sum", st.sum);
    w.field("bucketStartMs", st.bucket * interval_);
    w.field("bucketEndMs", end_of(st.bucket));
    w.field("events", st.count);
    w.end_object();
    w.end_object();

    StateHit hit;
    hit.group_key = std::string(key);
    hit.count = st.count;
    hit.first_seen_ms = st.first_t;
    hit.last_seen_ms = st.last_t;
    hit.evidence = st.ids;
    hit.evidence_total = st.count;
    hit.unusual_json = std::move(json);
    hit.vars = {{"value", format_number(st.sum)},      {"sum", format_number(st.sum)},
                {"median", format_number(med)},        {"mad", format_number(mad)},
                {"threshold", format_number(thr)},     {"count", std::to_string(st.count)},
                {"window", format_duration(interval_)}};
    emit(&hit, st.top, sink);
  }

  void close_until(int64_t now, StateSink& sink) {
    while (!timers_.empty() && timers_.begin()->first <= now) {
      std::string key = timers_.begin()->second;
      KeyState* st = keys_.find(key);
      if (st == nullptr || !st->open) {
        timers_.erase(timers_.begin());
        continue;
      }
      close(key, *st, sink);
    }
  }

  void on_time(int64_t now, StateSink& sink) override {
    close_until(now, sink);
    keys_.expire(now);
  }
  void on_finish(StateSink& sink) override { close_until(kMaxTime, sink); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      w.boolean(st.open);
      w.i64(st.bucket);
      w.f64(st.sum);
      w.u64(st.count);
      w.i64(st.first_t);
      w.i64(st.last_t);
      save_strings(w, st.ids);
      st.top.save(w);
      w.f64(st.top_value);
      w.boolean(st.has_closed);
      w.i64(st.last_closed);
      w.u64(st.hist.size());
      for (double h : st.hist) w.f64(h);
      w.u64(st.seen);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    timers_.clear();
    keys_.restore(r, [&](SnapshotReader& r, std::string_view key, KeyState& st) {
      st.open = r.boolean();
      st.bucket = r.i64();
      st.sum = r.f64();
      st.count = r.u64();
      st.first_t = r.i64();
      st.last_t = r.i64();
      restore_strings(r, &st.ids);
      st.top.restore(r);
      st.top_value = r.f64();
      st.has_closed = r.boolean();
      st.last_closed = r.i64();
      const uint64_t n = r.count();
      for (uint64_t i = 0; i < n && r.ok(); ++i) st.hist.push_back(r.f64());
      st.seen = r.u64();
      if (st.open) timers_.emplace(end_of(st.bucket), key);  // the open buckets' ends
    });
  }

  int64_t interval_ = interval(rule_);
  std::size_t k_ = history(rule_);
  KeyTable<KeyState> keys_;
  std::set<std::pair<int64_t, std::string>> timers_;  // (bucket end, key) of open buckets
};

}  // namespace

std::unique_ptr<StatefulOperator> make_volume(const Rule& rule) {
  return std::make_unique<VolumeOperator>(rule);
}

}  // namespace sentinel::detect::state
