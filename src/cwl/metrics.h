#pragma once
/// Metric filters and the alarms on their metrics, as configured in sentinel.yaml
/// (`metric_filters:` and `alarms:`, docs/alarms.md), evaluated over events on event time.
///
/// A Monitor is built once from the configuration; one Accumulator per reading thread collects
/// per-minute samples; the accumulators are merged and run() evaluates every alarm.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cwl/alarm.h"
#include "cwl/pattern.h"
#include "detect/event_view.h"
#include "findings/finding.h"

namespace YAML {
class Node;
}

namespace sentinel::cwl {

/// One metric filter (PutMetricFilter with its one metricTransformation).
struct MetricFilterSpec {
  std::string name;
  Pattern pattern;
  std::string metric_namespace;
  std::string metric_name;
  /// A literal number, or a selector (`$.latency`, `$bytes`) read from each matching event.
  std::string metric_value = "1";
  bool value_is_selector = false;
  double value_literal = 1;
  bool has_default = false;
  double default_value = 0;
  /// Dimension name -> selector, sorted by name (at most 3).
  std::vector<std::pair<std::string, std::string>> dimensions;
  std::string unit;
};

struct MonitorConfig {
  std::vector<MetricFilterSpec> filters;
  std::vector<AlarmSpec> alarms;
};

/// Reads `metric_filters` and `alarms` nodes (either may be null). Every problem is appended to
/// *errors as `<where>: metric_filters[2].metric_value: <problem>`; returns false when any.
bool load_monitor_config(const YAML::Node& metric_filters, const YAML::Node& alarms,
                         const std::string& where, MonitorConfig* out,
                         std::vector<std::string>* errors);

/// The identity of a metric: namespace, name and dimension values.
struct MetricKey {
  std::string ns;
  std::string name;
  std::vector<std::pair<std::string, std::string>> dimensions;
  bool operator<(const MetricKey& o) const {
    return std::tie(ns, name, dimensions) < std::tie(o.ns, o.name, o.dimensions);
  }
  std::string to_string() const;  ///< `NS/Name{Dim=v,...}`
};

/// What one minute of one metric gathered.
struct MinuteData {
  Sample sample;
  std::vector<std::string> evidence;  ///< matching event ids (capped)
  std::string account;
  std::string region;
};

/// Per-thread collection of samples. Not thread-safe; merge() the accumulators at the end.
class Accumulator {
 public:
  explicit Accumulator(const MonitorConfig* cfg) : cfg_(cfg) {}
  /// Tests every metric filter against the event.
  void observe(const detect::EventView& ev);
  void merge(const Accumulator& o);

  /// (metric, minute start ms) -> data.
  std::map<MetricKey, std::map<int64_t, MinuteData>> metrics;
  /// Minutes (start ms) in which any event was read: where default values apply.
  std::map<int64_t, uint64_t> minutes_with_events;
  /// Per metric filter (by index): the minutes in which it matched.
  std::vector<std::set<int64_t>> matched_minutes;
  int64_t first_ms = INT64_MAX;
  int64_t last_ms = INT64_MIN;
  uint64_t events = 0;
  uint64_t no_time = 0;    ///< events without a time (not counted in metrics)
  uint64_t bad_value = 0;  ///< matches whose metric value was missing or not a number

 private:
  const MonitorConfig* cfg_;
};

/// One alarm's outcome over the run.
struct AlarmReport {
  const AlarmSpec* spec = nullptr;
  AlarmRun run;
  std::vector<findings::Finding> findings;  ///< one per transition to ALARM
};

/// Evaluates every alarm over the merged accumulator (default values filled in first).
std::vector<AlarmReport> run_alarms(const MonitorConfig& cfg, const Accumulator& acc);

/// The finding a transition to ALARM raises (GuardDuty-shaped; id deterministic from the alarm
/// name and the transition time, so replays do not duplicate it).
findings::Finding alarm_finding(const AlarmSpec& spec, const Transition& t,
                                const std::map<int64_t, MinuteData>* minutes);

}  // namespace sentinel::cwl

namespace sentinel::cwl {

/// Loads a pack file (a YAML document with `metric_filters:` and/or `alarms:`, like
/// rules/alarms/cis.yaml) into *out, appending to what is there. Errors name the file and key.
bool load_monitor_file(const std::string& path, MonitorConfig* out,
                       std::vector<std::string>* errors);

}  // namespace sentinel::cwl
