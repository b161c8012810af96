#include "cwl/metrics.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "core/json_writer.h"
#include "core/time.h"

namespace sentinel::cwl {

namespace {

constexpr std::size_t kMaxDimensions = 3;
constexpr std::size_t kMaxEvidencePerMinute = 20;
constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayS = 86'400;

bool number_of(const YAML::Node& n, double* out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  const char* b = s.data();
  if (!s.empty() && s[0] == '+') ++b;
  auto r = std::from_chars(b, s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

bool int_of(const YAML::Node& n, int64_t* out) {
  double d;
  if (!number_of(n, &d) || d != std::floor(d) || std::fabs(d) > 1e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Collects problems as "<where>: <section>[i].<key>: <problem>".
struct Errors {
  std::string where;
  std::vector<std::string>* out;
  bool any = false;
  void add(const std::string& key, const std::string& problem) {
    out->push_back(where + ": " + key + ": " + problem);
    any = true;
  }
};

bool string_key(const YAML::Node& item, const char* key, const std::string& at, bool required,
                Errors* e, std::string* out) {
  YAML::Node n = item[key];
  if (!n) {
    if (required) e->add(at + "." + key, "is required");
    return false;
  }
  if (!n.IsScalar() || n.Scalar().empty()) {
    e->add(at + "." + key, "must be a non-empty string");
    return false;
  }
  *out = n.Scalar();
  return true;
}

void check_unknown(const YAML::Node& item, const std::set<std::string>& known,
                   const std::string& at, Errors* e) {
  for (auto it = item.begin(); it != item.end(); ++it) {
    std::string k = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (!known.count(k)) e->add(at + "." + k, "unknown key");
  }
}

bool dimensions_of(const YAML::Node& n, const std::string& at, Errors* e,
                   std::vector<std::pair<std::string, std::string>>* out) {
  if (!n) return true;
  if (!n.IsMap()) {
    e->add(at, "must be a map of dimension name to value");
    return false;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsScalar() || it->second.Scalar().empty()) {
      e->add(at, "dimension names and values must be non-empty strings");
      return false;
    }
    out->emplace_back(it->first.Scalar(), it->second.Scalar());
  }
  std::sort(out->begin(), out->end());
  if (out->size() > kMaxDimensions) {
    e->add(at, "at most " + std::to_string(kMaxDimensions) + " dimensions");
    return false;
  }
  return true;
}

void load_filter(const YAML::Node& item, const std::string& at, Errors* e, MonitorConfig* cfg) {
  if (!item.IsMap()) {
    e->add(at, "must be a map (name, pattern, metric_namespace, metric_name, ...)");
    return;
  }
  check_unknown(item,
                {"name", "pattern", "metric_namespace", "metric_name", "metric_value",
                 "default_value", "dimensions", "unit", "description"},
                at, e);
  MetricFilterSpec f;
  string_key(item, "name", at, true, e, &f.name);
  YAML::Node pat = item["pattern"];
  if (!pat || !pat.IsScalar()) {
    e->add(at + ".pattern", "is required (a CloudWatch Logs filter pattern)");
  } else {
    PatternError perr;
    if (!Pattern::compile(pat.Scalar(), &f.pattern, &perr)) {
      e->add(at + ".pattern", perr.to_string());
    }
  }
  string_key(item, "metric_namespace", at, true, e, &f.metric_namespace);
  string_key(item, "metric_name", at, true, e, &f.metric_name);
  if (YAML::Node v = item["metric_value"]) {
    if (!v.IsScalar() || v.Scalar().empty()) {
      e->add(at + ".metric_value", "must be a number or a selector ($.field, $name)");
    } else if (v.Scalar()[0] == '$') {
      f.metric_value = v.Scalar();
      f.value_is_selector = true;
      std::string err;
      if (!f.pattern.check_selector(f.metric_value, &err)) e->add(at + ".metric_value", err);
    } else if (!number_of(v, &f.value_literal)) {
      e->add(at + ".metric_value", "'" + v.Scalar() + "' is not a number or a selector");
    } else {
      f.metric_value = v.Scalar();
    }
  }
  if (YAML::Node d = item["default_value"]) {
    if (!number_of(d, &f.default_value)) {
      e->add(at + ".default_value", "must be a number");
    }
    f.has_default = true;
  }
  dimensions_of(item["dimensions"], at + ".dimensions", e, &f.dimensions);
  for (const auto& [k, sel] : f.dimensions) {
    std::string err;
    if (sel.empty() || sel[0] != '$') {
      e->add(at + ".dimensions." + k, "a dimension value must be a selector ($.field, $name)");
    } else if (!f.pattern.check_selector(sel, &err)) {
      e->add(at + ".dimensions." + k, err);
    }
  }
  if (f.has_default && !f.dimensions.empty()) {
    e->add(at + ".default_value", "not allowed together with dimensions (as in CloudWatch)");
  }
  if (YAML::Node u = item["unit"]) f.unit = u.IsScalar() ? u.Scalar() : "";
  cfg->filters.push_back(std::move(f));
}

void load_alarm(const YAML::Node& item, const std::string& at, Errors* e, MonitorConfig* cfg) {
  if (!item.IsMap()) {
    e->add(at, "must be a map (name, metric_namespace, metric_name, threshold, ...)");
    return;
  }
  check_unknown(item,
                {"name", "description", "metric_namespace", "metric_name", "dimensions",
                 "statistic", "period", "evaluation_periods", "datapoints_to_alarm", "threshold",
                 "comparison_operator", "treat_missing_data", "severity", "finding_type"},
                at, e);
  AlarmSpec a;
  string_key(item, "name", at, true, e, &a.name);
  string_key(item, "description", at, false, e, &a.description);
  string_key(item, "metric_namespace", at, true, e, &a.metric_namespace);
  string_key(item, "metric_name", at, true, e, &a.metric_name);
  dimensions_of(item["dimensions"], at + ".dimensions", e, &a.dimensions);
  std::string s;
  if (string_key(item, "statistic", at, false, e, &s) && !parse_statistic(s, &a.statistic)) {
    e->add(at + ".statistic",
           "'" + s +
               "' is not SampleCount, Average, Sum, Minimum or Maximum (percentiles are not "
               "supported)");
  }
  if (YAML::Node p = item["period"]) {
    if (!int_of(p, &a.period_s) || a.period_s <= 0 || a.period_s % 60 != 0) {
      e->add(at + ".period", "must be a positive multiple of 60 seconds");
    }
  }
  int64_t v;
  if (YAML::Node n = item["evaluation_periods"]) {
    if (!int_of(n, &v) || v < 1 || v > 1440) {
      e->add(at + ".evaluation_periods", "must be a whole number from 1");
    } else {
      a.evaluation_periods = static_cast<int>(v);
    }
  }
  a.datapoints_to_alarm = a.evaluation_periods;
  if (YAML::Node n = item["datapoints_to_alarm"]) {
    if (!int_of(n, &v) || v < 1 || v > a.evaluation_periods) {
      e->add(at + ".datapoints_to_alarm", "must be a whole number from 1 to evaluation_periods (" +
                                              std::to_string(a.evaluation_periods) + ")");
    } else {
      a.datapoints_to_alarm = static_cast<int>(v);
    }
  }
  if (a.period_s * a.evaluation_periods > kDayS) {
    e->add(at + ".evaluation_periods", "period x evaluation_periods must not exceed one day");
  }
  if (YAML::Node t = item["threshold"]) {
    if (!number_of(t, &a.threshold)) e->add(at + ".threshold", "must be a number");
  } else {
    e->add(at + ".threshold", "is required");
  }
  if (string_key(item, "comparison_operator", at, false, e, &s) &&
      !parse_comparison(s, &a.comparison)) {
    e->add(at + ".comparison_operator",
           "'" + s +
               "' is not GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold "
               "or LessThanOrEqualToThreshold");
  }
  if (string_key(item, "treat_missing_data", at, false, e, &s) &&
      !parse_missing_data(s, &a.missing)) {
    e->add(at + ".treat_missing_data",
           "'" + s + "' is not missing, notBreaching, breaching or ignore");
  }
  if (YAML::Node sev = item["severity"]) {
    if (!number_of(sev, &a.severity) || a.severity < 0 || a.severity > 10) {
      e->add(at + ".severity", "must be a number from 0 to 10");
    }
  }
  a.finding_type = "Policy:CloudWatch/MetricAlarm";
  string_key(item, "finding_type", at, false, e, &a.finding_type);
  for (const auto& other : cfg->alarms) {
    if (other.name == a.name && !a.name.empty()) e->add(at + ".name", "duplicate alarm name");
  }
  cfg->alarms.push_back(std::move(a));
}

}  // namespace

bool load_monitor_config(const YAML::Node& metric_filters, const YAML::Node& alarms,
                         const std::string& where, MonitorConfig* out,
                         std::vector<std::string>* errors) {
  Errors e{where, errors};
  if (metric_filters && !metric_filters.IsNull()) {
    if (!metric_filters.IsSequence()) {
      e.add("metric_filters", "must be a list");
    } else {
      for (std::size_t i = 0; i < metric_filters.size(); ++i) {
        load_filter(metric_filters[i], "metric_filters[" + std::to_string(i) + "]", &e, out);
      }
    }
  }
  if (alarms && !alarms.IsNull()) {
    if (!alarms.IsSequence()) {
      e.add("alarms", "must be a list");
    } else {
      for (std::size_t i = 0; i < alarms.size(); ++i) {
        load_alarm(alarms[i], "alarms[" + std::to_string(i) + "]", &e, out);
      }
    }
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < out->filters.size(); ++i) {
    if (!out->filters[i].name.empty() && !names.insert(out->filters[i].name).second) {
      e.add("metric_filters[" + std::to_string(i) + "].name", "duplicate metric filter name");
    }
  }
  return !e.any;
}

std::string MetricKey::to_string() const {
  std::string s = ns + "/" + name;
  if (!dimensions.empty()) {
    s += "{";
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
      if (i > 0) s += ",";
      s += dimensions[i].first + "=" + dimensions[i].second;
    }
    s += "}";
  }
  return s;
}

void Accumulator::observe(const detect::EventView& ev) {
  ++events;
  const int64_t t = ev.meta().time_ms;
  if (t == ingest::kNoTime) {
    ++no_time;
    return;
  }
  first_ms = std::min(first_ms, t);
  last_ms = std::max(last_ms, t);
  const int64_t minute = (t >= 0 ? t / kMinuteMs : -((-t + kMinuteMs - 1) / kMinuteMs)) * kMinuteMs;
  ++minutes_with_events[minute];
  if (matched_minutes.size() < cfg_->filters.size()) matched_minutes.resize(cfg_->filters.size());
  for (std::size_t i = 0; i < cfg_->filters.size(); ++i) {
    const MetricFilterSpec& f = cfg_->filters[i];
    if (!f.pattern.matches(ev)) continue;
    double value = f.value_literal;
    if (f.value_is_selector) {
      Extracted x = f.pattern.extract(ev, f.metric_value);
      if (!x.present || !x.is_number) {
        ++bad_value;
        continue;
      }
      value = x.number;
    }
    MetricKey key{f.metric_namespace, f.metric_name, {}};
    bool dims_ok = true;
    for (const auto& [dim, sel] : f.dimensions) {
      Extracted x = f.pattern.extract(ev, sel);
      if (!x.present || x.text.empty()) {
        dims_ok = false;
        break;
      }
      key.dimensions.emplace_back(dim, x.text);
    }
    if (!dims_ok) {
      ++bad_value;
      continue;
    }
    MinuteData& md = metrics[key][minute];
    md.sample.add(value);
    if (md.evidence.size() < kMaxEvidencePerMinute) md.evidence.push_back(ev.event_id());
    if (md.account.empty()) md.account = std::string(ev.meta().account);
    if (md.region.empty()) md.region = std::string(ev.meta().region);
    matched_minutes[i].insert(minute);
  }
}

void Accumulator::merge(const Accumulator& o) {
  for (const auto& [key, minutes] : o.metrics) {
    auto& mine = metrics[key];
    for (const auto& [m, d] : minutes) {
      MinuteData& md = mine[m];
      md.sample.merge(d.sample);
      for (const auto& id : d.evidence) {
        if (md.evidence.size() < kMaxEvidencePerMinute) md.evidence.push_back(id);
      }
      if (md.account.empty()) md.account = d.account;
      if (md.region.empty()) md.region = d.region;
    }
  }
  for (const auto& [m, n] : o.minutes_with_events) minutes_with_events[m] += n;
  if (matched_minutes.size() < o.matched_minutes.size()) {
    matched_minutes.resize(o.matched_minutes.size());
  }
  for (std::size_t i = 0; i < o.matched_minutes.size(); ++i) {
    matched_minutes[i].insert(o.matched_minutes[i].begin(), o.matched_minutes[i].end());
  }
  first_ms = std::min(first_ms, o.first_ms);
  last_ms = std::max(last_ms, o.last_ms);
  events += o.events;
  no_time += o.no_time;
  bad_value += o.bad_value;
}

findings::Finding alarm_finding(const AlarmSpec& spec, const Transition& t,
                                const std::map<int64_t, MinuteData>* minutes) {
  findings::Finding f;
  f.rule_id = "alarm:" + spec.name;
  f.id = findings::finding_id(f.rule_id, std::to_string(t.time_ms));
  f.type = spec.finding_type;
  f.severity = spec.severity;
  f.title = "CloudWatch alarm " + spec.name + " is in ALARM";
  f.description = t.reason;
  if (!spec.description.empty()) f.description = spec.description + " " + t.reason;
  int64_t first = t.time_ms, last = t.time_ms;
  const int64_t p = spec.period_s * 1000;
  if (minutes != nullptr) {
    for (const auto& dp : t.breaching) {
      for (auto it = minutes->lower_bound(dp.start_ms);
           it != minutes->end() && it->first < dp.start_ms + p; ++it) {
        for (const auto& id : it->second.evidence) {
          ++f.evidence_total;
          if (f.evidence.size() < findings::Finding::kMaxEvidence) f.evidence.push_back(id);
        }
        if (f.account_id.empty()) f.account_id = it->second.account;
        if (f.region.empty()) f.region = it->second.region;
        first = std::min(first, it->first);
        last = std::max(last, it->first);
      }
    }
  }
  f.first_seen_ms = first;
  f.last_seen_ms = last;
  f.created_ms = t.time_ms;
  f.updated_ms = t.time_ms;
  std::string r;
  JsonWriter w(&r);
  w.begin_object();
  w.field("resourceType", "CloudWatchAlarm");
  w.key("cloudWatchAlarmDetails");
  w.begin_object();
  w.field("alarmName", spec.name);
  w.field("namespace", spec.metric_namespace);
  w.field("metricName", spec.metric_name);
  w.field("statistic", statistic_name(spec.statistic));
  w.field("period", spec.period_s);
  w.field("evaluationPeriods", spec.evaluation_periods);
  w.field("datapointsToAlarm", spec.datapoints_to_alarm);
  w.field("threshold", spec.threshold);
  w.field("comparisonOperator", comparison_name(spec.comparison));
  w.field("treatMissingData", missing_data_name(spec.missing));
  w.end_object();
  w.end_object();
  f.resource_json = std::move(r);
  std::string a;
  JsonWriter aw(&a);
  aw.begin_object();
  aw.field("actionType", "ALARM_STATE_CHANGE");
  aw.key("alarmStateChangeAction");
  aw.begin_object();
  aw.field("oldState", alarm_state_name(t.from));
  aw.field("newState", alarm_state_name(t.to));
  aw.field("stateReason", t.reason);
  aw.key("datapoints");
  aw.begin_array();
  for (const auto& dp : t.breaching) {
    aw.begin_object();
    std::string ts;
    append_iso8601(&ts, dp.start_ms);
    aw.field("timestamp", ts);
    aw.field("value", dp.value);
    aw.end_object();
  }
  aw.end_array();
  aw.end_object();
  aw.end_object();
  f.action_json = std::move(a);
  f.resource_role = "TARGET";
  return f;
}

std::vector<AlarmReport> run_alarms(const MonitorConfig& cfg, const Accumulator& acc) {
  // Default values: a filter without dimensions publishes its default for every minute in
  // which events were read but it matched none.
  std::map<MetricKey, std::map<int64_t, MinuteData>> metrics = acc.metrics;
  for (std::size_t i = 0; i < cfg.filters.size(); ++i) {
    const MetricFilterSpec& f = cfg.filters[i];
    if (!f.has_default || !f.dimensions.empty()) continue;
    auto& series = metrics[MetricKey{f.metric_namespace, f.metric_name, {}}];
    static const std::set<int64_t> kNone;
    const std::set<int64_t>& matched =
        i < acc.matched_minutes.size() ? acc.matched_minutes[i] : kNone;
    for (const auto& [m, n] : acc.minutes_with_events) {
      (void)n;
      if (!matched.count(m)) series[m].sample.add(f.default_value);
    }
  }
  std::vector<AlarmReport> out;
  for (const auto& spec : cfg.alarms) {
    AlarmReport rep;
    rep.spec = &spec;
    MetricKey key{spec.metric_namespace, spec.metric_name, spec.dimensions};
    auto it = metrics.find(key);
    const int64_t p = spec.period_s * 1000;
    std::map<int64_t, Sample> periods;
    if (it != metrics.end()) {
      for (const auto& [m, d] : it->second) {
        int64_t start = (m >= 0 ? m / p : -((-m + p - 1) / p)) * p;
        periods[start].merge(d.sample);
      }
    }
    std::vector<std::pair<int64_t, Sample>> v(periods.begin(), periods.end());
    if (acc.first_ms <= acc.last_ms) rep.run = run_alarm(spec, v, acc.first_ms, acc.last_ms);
    for (const auto& t : rep.run.transitions) {
      if (t.to != AlarmState::kAlarm) continue;
      rep.findings.push_back(alarm_finding(spec, t, it == metrics.end() ? nullptr : &it->second));
    }
    out.push_back(std::move(rep));
  }
  return out;
}

}  // namespace sentinel::cwl

namespace sentinel::cwl {

bool load_monitor_file(const std::string& path, MonitorConfig* out,
                       std::vector<std::string>* errors) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    errors->push_back(path + ": cannot be read");
    return false;
  } catch (const YAML::Exception& e) {
    errors->push_back(path + ": not valid YAML: " + e.what());
    return false;
  }
  if (!root.IsMap() || (!root["metric_filters"] && !root["alarms"])) {
    errors->push_back(path + ": a pack needs metric_filters: and/or alarms:");
    return false;
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string k = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (k != "metric_filters" && k != "alarms") {
      errors->push_back(path + ": " + k + ": unknown key (a pack holds metric_filters and alarms)");
      return false;
    }
  }
  try {
    return load_monitor_config(root["metric_filters"], root["alarms"], path, out, errors);
  } catch (const YAML::Exception& e) {
    errors->push_back(path + ": a value has the wrong shape: " + e.what());
    return false;
  }
}

}  // namespace sentinel::cwl
