// Alarm evaluation against CloudWatch's documented tables (AlarmThatSendsEmail, "How CloudWatch
// alarms treat missing data"): 0 = not breaching, X = breaching, - = missing, oldest first.
#include <gtest/gtest.h>

#include "cwl/alarm.h"

namespace sentinel::cwl {
namespace {

// "OK", "ALARM", "INSUFFICIENT_DATA", or "keep" for `ignore`'s "retain current state".
std::string eval(const std::string& points, int m, int n, MissingData md) {
  AlarmSpec s;
  s.evaluation_periods = n;
  s.datapoints_to_alarm = m;
  s.threshold = 1;
  s.missing = md;
  std::vector<std::optional<double>> range;
  std::vector<int64_t> starts;
  for (char c : points) {
    if (c == ' ') continue;
    starts.push_back(static_cast<int64_t>(range.size()) * 300000);
    range.push_back(c == '-' ? std::nullopt : std::optional<double>(c == 'X' ? 2.0 : 0.0));
  }
  EXPECT_EQ(range.size(), static_cast<std::size_t>(evaluation_range(n)));
  Evaluation e = evaluate(s, range, starts);
  return e.keep ? "keep" : std::string(alarm_state_name(e.state));
}

struct Row {
  const char* points;
  const char* missing;
  const char* ignore;
  const char* breaching;
  const char* not_breaching;
};

void check(int m, int n, const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    EXPECT_EQ(eval(r.points, m, n, MissingData::kMissing), r.missing) << r.points << " missing";
    EXPECT_EQ(eval(r.points, m, n, MissingData::kIgnore), r.ignore) << r.points << " ignore";
    EXPECT_EQ(eval(r.points, m, n, MissingData::kBreaching), r.breaching)
        << r.points << " breaching";
    EXPECT_EQ(eval(r.points, m, n, MissingData::kNotBreaching), r.not_breaching)
        << r.points << " notBreaching";
  }
}

TEST(AlarmTable, ThreeOfThree) {
  check(3, 3,
        {
            {"0 - X - X", "OK", "OK", "OK", "OK"},
            {"0 - - - -", "OK", "OK", "OK", "OK"},
            {"- - - - -", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"},
            {"0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
            {"- - - - X", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"},
            {"X - - - -", "ALARM", "keep", "ALARM", "OK"},
            {"- - X - -", "ALARM", "keep", "ALARM", "OK"},
        });
}

TEST(AlarmTable, TwoOfThree) {
  check(2, 3,
        {
            {"0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
            {"0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"},
            {"0 - X - -", "OK", "OK", "ALARM", "OK"},
            {"- - - - 0", "OK", "OK", "ALARM", "OK"},
            {"- - - - X", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"},
            {"- - - X -", "ALARM", "keep", "ALARM", "OK"},
        });
}

TEST(AlarmTable, OneOfOneTheCisShape) {
  check(1, 1,
        {
            {"- - X", "ALARM", "ALARM", "ALARM", "ALARM"},
            {"- - 0", "OK", "OK", "OK", "OK"},
            {"- - -", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"},
            // One real point is enough for N = 1, so it decides while it is in the evaluation
            // range, whatever the missing-data setting ("re-evaluates the last set of data
            // points after the metric has stopped flowing").
            {"X - -", "ALARM", "ALARM", "ALARM", "ALARM"},
        });
}

TEST(AlarmRun, TransitionsAndReasonsWordedLikeCloudWatch) {
  AlarmSpec s;
  s.name = "cis";
  s.period_s = 300;
  s.threshold = 1;
  s.missing = MissingData::kNotBreaching;
  // 2026-11-26T02:30:00Z has 3 events; nothing in the next periods.
  const int64_t t0 = 1795660200000;
  Sample sample;
  for (int i = 0; i < 3; ++i) sample.add(1);
  AlarmRun run = run_alarm(s, {{t0, sample}}, t0 - 600000, t0 + 900000);
  ASSERT_EQ(run.transitions.size(), 3u);
  EXPECT_EQ(run.transitions[0].to, AlarmState::kOk);
  EXPECT_EQ(run.transitions[1].to, AlarmState::kAlarm);
  EXPECT_EQ(run.transitions[1].time_ms, t0 + 300000);
  EXPECT_EQ(run.transitions[1].reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (26/11/26 02:30:00)] was "
            "greater than or equal to the threshold (1.0).");
  EXPECT_EQ(run.transitions[2].to, AlarmState::kOk);
  // The breaching point stays in the evaluation range (3 periods for N = 1) until 02:45.
  EXPECT_EQ(run.transitions[2].time_ms, t0 + 900000 + 300000);
  EXPECT_EQ(run.transitions[2].reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint "
            "was treated as [NonBreaching].");
}

TEST(AlarmStatistic, EachStatistic) {
  Sample s;
  for (double v : {4.0, 1.0, 7.0}) s.add(v);
  EXPECT_EQ(s.value(Statistic::kSum), 12);
  EXPECT_EQ(s.value(Statistic::kSampleCount), 3);
  EXPECT_EQ(s.value(Statistic::kAverage), 4);
  EXPECT_EQ(s.value(Statistic::kMinimum), 1);
  EXPECT_EQ(s.value(Statistic::kMaximum), 7);
}

}  // namespace
}  // namespace sentinel::cwl
