#include "cwl/alarm.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>

namespace sentinel::cwl {

std::string_view alarm_state_name(AlarmState s) {
  switch (s) {
    case AlarmState::kOk:
      return "OK";
    case AlarmState::kAlarm:
      return "ALARM";
    case AlarmState::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "?";
}

namespace {

constexpr std::pair<Statistic, std::string_view> kStatistics[] = {
    {Statistic::kSampleCount, "SampleCount"},
    {Statistic::kAverage, "Average"},
    {Statistic::kSum, "Sum"},
    {Statistic::kMinimum, "Minimum"},
    {Statistic::kMaximum, "Maximum"},
};
constexpr std::pair<Comparison, std::string_view> kComparisons[] = {
    {Comparison::kGreaterThanOrEqualToThreshold, "GreaterThanOrEqualToThreshold"},
    {Comparison::kGreaterThanThreshold, "GreaterThanThreshold"},
    {Comparison::kLessThanThreshold, "LessThanThreshold"},
    {Comparison::kLessThanOrEqualToThreshold, "LessThanOrEqualToThreshold"},
};
constexpr std::pair<MissingData, std::string_view> kMissing[] = {
    {MissingData::kMissing, "missing"},
    {MissingData::kNotBreaching, "notBreaching"},
    {MissingData::kBreaching, "breaching"},
    {MissingData::kIgnore, "ignore"},
};

template <typename E, std::size_t N>
bool lookup(const std::pair<E, std::string_view> (&table)[N], std::string_view s, E* out) {
  for (const auto& [e, name] : table) {
    if (name == s) {
      *out = e;
      return true;
    }
  }
  return false;
}
template <typename E, std::size_t N>
std::string_view name_of(const std::pair<E, std::string_view> (&table)[N], E e) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "?";
}

std::string_view op_phrase(Comparison c) {
  switch (c) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case Comparison::kGreaterThanThreshold:
      return "greater than";
    case Comparison::kLessThanThreshold:
      return "less than";
    case Comparison::kLessThanOrEqualToThreshold:
      return "less than or equal to";
  }
  return "?";
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// `[3.0 (26/11/26 02:30:00), 1.0 (26/11/26 02:25:00)]`, newest first, as CloudWatch lists them.
std::string point_list(const std::vector<Datapoint>& pts) {
  std::string s = "[";
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (i > 0) s += ", ";
    s += reason_number(pts[i].value) + " (" + reason_time(pts[i].start_ms) + ")";
  }
  return s + "]";
}

}  // namespace

bool parse_statistic(std::string_view s, Statistic* out) {
  return lookup(kStatistics, s, out);
}
bool parse_comparison(std::string_view s, Comparison* out) {
  return lookup(kComparisons, s, out);
}
bool parse_missing_data(std::string_view s, MissingData* out) {
  return lookup(kMissing, s, out);
}
std::string_view statistic_name(Statistic s) {
  return name_of(kStatistics, s);
}
std::string_view comparison_name(Comparison c) {
  return name_of(kComparisons, c);
}
std::string_view missing_data_name(MissingData m) {
  return name_of(kMissing, m);
}

double Sample::value(Statistic s) const {
  switch (s) {
    case Statistic::kSampleCount:
      return count;
    case Statistic::kAverage:
      return count > 0 ? sum / count : 0;
    case Statistic::kSum:
      return sum;
    case Statistic::kMinimum:
      return min;
    case Statistic::kMaximum:
      return max;
  }
  return 0;
}

std::string reason_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d/%m/%y %H:%M:%S", &tm);
  return buf;
}

std::string reason_number(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

int evaluation_range(int evaluation_periods) {
  return evaluation_periods + 2;
}

bool breaches(const AlarmSpec& spec, double v) {
  switch (spec.comparison) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return v >= spec.threshold;
    case Comparison::kGreaterThanThreshold:
      return v > spec.threshold;
    case Comparison::kLessThanThreshold:
      return v < spec.threshold;
    case Comparison::kLessThanOrEqualToThreshold:
      return v <= spec.threshold;
  }
  return false;
}

Evaluation evaluate(const AlarmSpec& spec, const std::vector<std::optional<double>>& range,
                    const std::vector<int64_t>& starts) {
  const std::size_t n = static_cast<std::size_t>(spec.evaluation_periods);
  const std::size_t m = static_cast<std::size_t>(spec.datapoints_to_alarm);
  const std::string thr = " the threshold (" + reason_number(spec.threshold) + ")";
  const std::string op(op_phrase(spec.comparison));
  // Real points, newest first, with their age in periods (1 = the newest period).
  struct Real {
    Datapoint dp;
    bool breach;
    std::size_t age;
  };
  std::vector<Real> real;
  for (std::size_t i = range.size(); i-- > 0;) {
    if (!range[i]) continue;
    real.push_back({{starts[i], *range[i]}, breaches(spec, *range[i]), range.size() - i});
  }
  Evaluation ev;
  auto decide = [&](const std::vector<Real>& pts, std::size_t filled, bool filled_breach) {
    std::vector<Datapoint> shown;
    std::size_t b = filled_breach ? filled : 0;
    for (const auto& r : pts) {
      shown.push_back(r.dp);
      if (r.breach) {
        ++b;
        ev.breaching.push_back(r.dp);
      }
    }
    const std::size_t total = pts.size() + filled;
    std::string tail;
    if (filled > 0) {
      tail = " (" + plural(filled, "missing datapoint was", "missing datapoints were") +
             " treated as [" + (filled_breach ? "Breaching" : "NonBreaching") + "])";
    }
    if (b >= m) {
      ev.state = AlarmState::kAlarm;
      if (pts.empty()) {
        ev.reason = "Threshold Crossed: no datapoints were received for " +
                    plural(filled, "period", "periods") + " and " +
                    plural(filled, "missing datapoint was", "missing datapoints were") +
                    " treated as [Breaching].";
      } else {
        ev.reason = "Threshold Crossed: " + std::to_string(b) + " out of the last " +
                    std::to_string(total) + " datapoints " + point_list(shown) + " was " + op +
                    thr + tail + ".";
      }
    } else {
      ev.state = AlarmState::kOk;
      ev.breaching.clear();
      if (pts.empty()) {
        ev.reason = "Threshold Crossed: no datapoints were received for " +
                    plural(filled, "period", "periods") + " and " +
                    plural(filled, "missing datapoint was", "missing datapoints were") +
                    " treated as [NonBreaching].";
      } else {
        ev.reason = "Threshold Crossed: " + std::to_string(total - b) + " out of the last " +
                    std::to_string(total) + " datapoints " + point_list(shown) + " was not " + op +
                    thr + tail + ".";
      }
    }
  };
  if (real.size() >= n) {
    // Enough real points: the N most recent decide; the missing-data setting is not used.
    real.resize(n);
    decide(real, 0, false);
    return ev;
  }
  const std::size_t fill = n - real.size();
  switch (spec.missing) {
    case MissingData::kBreaching:
      decide(real, fill, true);
      return ev;
    case MissingData::kNotBreaching:
      decide(real, fill, false);
      return ev;
    case MissingData::kMissing:
    case MissingData::kIgnore: {
      const bool ignore = spec.missing == MissingData::kIgnore;
      std::size_t b = 0, ok = 0, oldest_breach_age = 0;
      for (const auto& r : real) {
        if (r.breach) {
          ++b;
          oldest_breach_age = std::max(oldest_breach_age, r.age);
        } else {
          ++ok;
        }
      }
      if (real.empty()) {
        ev.keep = ignore;
        ev.state = AlarmState::kInsufficientData;
        ev.reason =
            "Insufficient Data: " + plural(range.size(), "datapoint was", "datapoints were") +
            " unknown.";
        return ev;
      }
      if (b >= m) {
        decide(real, 0, false);
        return ev;
      }
      if (ok > 0) {
        decide(real, 0, false);
        return ev;
      }
      // Only breaching points, too few of them: CloudWatch alarms "prematurely" once the
      // oldest breaching point is at least M periods old and nothing newer is non-breaching.
      if (!ignore && oldest_breach_age >= m) {
        decide(real, 0, false);
        ev.state = AlarmState::kAlarm;
        for (const auto& r : real) ev.breaching.push_back(r.dp);
        std::vector<Datapoint> shown;
        for (const auto& r : real) shown.push_back(r.dp);
        ev.reason = "Threshold Crossed: " + std::to_string(b) + " out of the last " +
                    std::to_string(real.size()) + " datapoints " + point_list(shown) + " was " +
                    op + thr + " and the " + std::to_string(n - real.size()) +
                    " newer datapoints were missing.";
        return ev;
      }
      ev.keep = ignore;
      ev.state = AlarmState::kInsufficientData;
      ev.reason = "Insufficient Data: " +
                  plural(range.size() - real.size(), "datapoint was", "datapoints were") +
                  " unknown.";
      return ev;
    }
  }
  return ev;
}

AlarmRun run_alarm(const AlarmSpec& spec, const std::vector<std::pair<int64_t, Sample>>& periods,
                   int64_t begin_ms, int64_t end_ms) {
  AlarmRun run;
  const int64_t p = spec.period_s * 1000;
  std::map<int64_t, double> values;
  for (const auto& [start, s] : periods) {
    if (s.count == 0) continue;
    values[start] = s.value(spec.statistic);
    run.datapoints.push_back({start, values[start]});
  }
  std::sort(run.datapoints.begin(), run.datapoints.end(),
            [](const Datapoint& a, const Datapoint& b) { return a.start_ms < b.start_ms; });
  if (end_ms < begin_ms) return run;
  auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  const int64_t first = floor_div(begin_ms, p) * p;
  const int64_t last = floor_div(end_ms, p) * p;
  const int r = evaluation_range(spec.evaluation_periods);
  std::vector<std::optional<double>> range(static_cast<std::size_t>(r));
  std::vector<int64_t> starts(static_cast<std::size_t>(r));
  for (int64_t k = first; k <= last;) {
    bool empty = true;
    for (int i = 0; i < r; ++i) {
      int64_t s = k - static_cast<int64_t>(r - 1 - i) * p;
      starts[static_cast<std::size_t>(i)] = s;
      auto it = values.find(s);
      range[static_cast<std::size_t>(i)] =
          it == values.end() ? std::nullopt : std::optional<double>(it->second);
      empty = empty && it == values.end();
    }
    Evaluation ev = evaluate(spec, range, starts);
    const int64_t here = k;
    k += p;
    if (empty) {
      // Every window until the next data point is empty too, so evaluates the same: jump
      // (logs spanning years would otherwise cost one evaluation per period).
      auto nx = values.lower_bound(k);
      k = std::max(k, nx == values.end() ? last + p : nx->first);
    }
    if (ev.keep || ev.state == run.state) continue;
    Transition t;
    t.time_ms = here + p;
    t.from = run.state;
    t.to = ev.state;
    t.reason = ev.reason;
    t.breaching = ev.breaching;
    run.state = ev.state;
    run.reason = ev.reason;
    run.transitions.push_back(std::move(t));
  }
  return run;
}

}  // namespace sentinel::cwl
