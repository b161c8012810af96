#pragma once
/// CloudWatch metric alarms over the metrics that metric filters publish (docs/alarms.md):
/// the M-out-of-N evaluation with an evaluation range larger than N, the four ways to treat
/// missing data, the premature-ALARM rule, and a history of state transitions with reasons
/// worded like CloudWatch's.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sentinel::cwl {

enum class AlarmState : uint8_t { kInsufficientData, kOk, kAlarm };
/// `OK`, `ALARM`, `INSUFFICIENT_DATA`.
std::string_view alarm_state_name(AlarmState s);

enum class Statistic : uint8_t { kSampleCount, kAverage, kSum, kMinimum, kMaximum };
enum class Comparison : uint8_t {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};
enum class MissingData : uint8_t { kMissing, kNotBreaching, kBreaching, kIgnore };

bool parse_statistic(std::string_view s, Statistic* out);
bool parse_comparison(std::string_view s, Comparison* out);
bool parse_missing_data(std::string_view s, MissingData* out);
std::string_view statistic_name(Statistic s);
std::string_view comparison_name(Comparison c);
std::string_view missing_data_name(MissingData m);

/// One alarm as configured (sentinel.yaml `alarms:`).
struct AlarmSpec {
  std::string name;
  std::string description;
  std::string metric_namespace;
  std::string metric_name;
  std::vector<std::pair<std::string, std::string>> dimensions;  ///< sorted by name
  Statistic statistic = Statistic::kSum;
  int64_t period_s = 300;
  int evaluation_periods = 1;
  int datapoints_to_alarm = 1;
  double threshold = 1;
  Comparison comparison = Comparison::kGreaterThanOrEqualToThreshold;
  MissingData missing = MissingData::kMissing;
  double severity = 5.0;     ///< of the finding raised on a transition to ALARM
  std::string finding_type;  ///< default `Policy:CloudWatch/MetricAlarm`
};

/// The statistics of one period (or one minute) of a metric.
struct Sample {
  double count = 0;
  double sum = 0;
  double min = 0;
  double max = 0;
  void add(double v) {
    if (count == 0 || v < min) min = v;
    if (count == 0 || v > max) max = v;
    sum += v;
    count += 1;
  }
  void merge(const Sample& o) {
    if (o.count == 0) return;
    if (count == 0 || o.min < min) min = o.min;
    if (count == 0 || o.max > max) max = o.max;
    sum += o.sum;
    count += o.count;
  }
  double value(Statistic s) const;
};

/// A data point of the alarm: its period's start (epoch ms) and statistic.
struct Datapoint {
  int64_t start_ms = 0;
  double value = 0;
};

/// A state change, at the end of the period whose evaluation caused it.
struct Transition {
  int64_t time_ms = 0;
  AlarmState from = AlarmState::kInsufficientData;
  AlarmState to = AlarmState::kInsufficientData;
  std::string reason;
  std::vector<Datapoint> breaching;  ///< the breaching data points behind an ALARM
};

/// The outcome of one evaluation.
struct Evaluation {
  AlarmState state = AlarmState::kInsufficientData;
  bool keep = false;  ///< `ignore` (or nothing to decide): the state stays as it was
  std::string reason;
  std::vector<Datapoint> breaching;
};

/// The number of periods CloudWatch fetches for an evaluation ("evaluation range"): N + 2 here
/// (5 for N = 3, as in CloudWatch's documented tables).
int evaluation_range(int evaluation_periods);

/// Evaluates one alarm over `range`, the last evaluation_range(N) periods, oldest first; an
/// empty optional is a missing data point. `starts` gives each period's start (for reasons).
Evaluation evaluate(const AlarmSpec& spec, const std::vector<std::optional<double>>& range,
                    const std::vector<int64_t>& starts);

/// True when `v` breaches the threshold.
bool breaches(const AlarmSpec& spec, double v);

/// The alarm's life over a run: evaluated at the end of every period from the first period
/// with data to the period holding `end_ms`, starting in INSUFFICIENT_DATA.
struct AlarmRun {
  AlarmState state = AlarmState::kInsufficientData;
  std::string reason = "Unchecked: Initial alarm creation";
  std::vector<Datapoint> datapoints;  ///< every period with data, oldest first
  std::vector<Transition> transitions;
};

/// `periods` maps period start (epoch ms, aligned to the period) to the period's sample.
AlarmRun run_alarm(const AlarmSpec& spec, const std::vector<std::pair<int64_t, Sample>>& periods,
                   int64_t begin_ms, int64_t end_ms);

/// CloudWatch's timestamp in reasons: `dd/mm/yy HH:MM:SS` (UTC).
std::string reason_time(int64_t ms);
/// A number as CloudWatch writes it in reasons: `3.0`, `0.5`, `1250.0`.
std::string reason_number(double v);

}  // namespace sentinel::cwl
