// Bounded state through the rule format and the engine: `max_keys` and `ttl` in a stateful
// clause, cap evictions and TTL expiries counted per rule and in the engine's totals.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/rules/native.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {
namespace {

std::string call(const std::string& id, const std::string& ip, const std::string& time) {
  return ct("\"eventID\":\"" + id + "\",\"eventTime\":\"" + time +
            "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ListUsers\","
            "\"sourceIPAddress\":\"" +
            ip + "\"");
}

const char* const kRule =
    "id: bounded\ntype: \"Recon:IAMUser/Bounded\"\nmatch: {eventName: ListUsers}\n"
    "stateful:\n  threshold: {count: 100, window: 10m, group_by: [sourceIPAddress], "
    "max_keys: 2, ttl: 30m}\n";

TEST(StateBounds, MaxKeysAndTtlAreReadFromTheClause) {
  detect::Rule r = rule(kRule, detect::RuleDefs{});
  EXPECT_EQ(r.stateful.max_keys, 2u);
  EXPECT_EQ(r.stateful.ttl_ms, 30 * 60 * 1000);
  detect::Rule bad;
  std::string err;
  YAML::Node doc = YAML::Load(
      "id: b\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful:\n  threshold: {count: 2, window: 10m, ttl: soon}\n");
  EXPECT_FALSE(detect::compile_native_rule(doc, detect::RuleDefs{}, "t.yaml", &bad, &err));
  EXPECT_NE(err.find("ttl"), std::string::npos) << err;
}

TEST(StateBounds, CapEvictionsAndExpiriesAreCountedPerRule) {
  std::vector<std::string> errs;
  detect::Engine engine({rule(kRule, detect::RuleDefs{})}, detect::EngineOptions{}, &errs);
  ASSERT_TRUE(errs.empty());
  auto file = [&](const std::vector<std::string>& recs) {
    feed(
        ingest::LogType::kCloudTrail, records(recs),
        [&](const detect::EventView& v) { engine.on_event(v); }, "t.json");
    engine.end_of_input_object();
  };
  // Three addresses within a minute: the third evicts the least recently used (cap 2).
  file({call("e1", "192.0.2.1", "2024-01-15T02:00:00Z"),
        call("e2", "192.0.2.2", "2024-01-15T02:00:10Z"),
        call("e3", "192.0.2.3", "2024-01-15T02:00:20Z")});
  // Two hours later: the two live keys have been idle longer than the 30-minute TTL.
  file({call("e4", "192.0.2.4", "2024-01-15T04:00:00Z")});
  engine.finish();
  const detect::EngineStats st = engine.stats();
  EXPECT_EQ(st.state_evictions, 1u);
  EXPECT_EQ(st.state_expired, 2u);
  EXPECT_EQ(st.state_keys, 1u);
  auto per_rule = engine.state_stats();
  ASSERT_EQ(per_rule.size(), 1u);
  EXPECT_EQ(per_rule[0].first->id, "bounded");
  EXPECT_EQ(per_rule[0].second.cap_evictions, 1u);
  EXPECT_EQ(per_rule[0].second.evictions, 3u);
}

}  // namespace
}  // namespace sentinel::testing::dt
