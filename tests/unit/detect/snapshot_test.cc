// Engine state snapshots: input split in two runs with save_state / restore_state in between
// gives byte-identical findings (GuardDuty JSON) and counters to one run, for every stateful
// kind, at many split points; snapshots are deterministic; a snapshot of another rule set, a
// corrupt or truncated one is refused and leaves the engine as it was.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "detect/engine.h"
#include "detect/rules/native.h"
#include "findings/formats/guardduty.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {

namespace {

using ingest::LogType;

constexpr int64_t kT0 = 1705276800000;  // 2024-01-15T00:00:00Z
constexpr int64_t kMin = 60 * 1000;

detect::Rule R(const std::string& yaml) {
  return rule(yaml, detect::RuleDefs{});
}

const char* const kAction =
    "action: {actionType: AWS_API_CALL, awsApiCallAction: {api: \"{eventName}\", "
    "remoteIpDetails: {ipAddressV4: \"{sourceIPAddress}\"}}}\n"
    "resource: {resourceType: AccessKey, accessKeyDetails: {userName: "
    "\"{userIdentity.userName}\"}}\n";

std::vector<detect::Rule> stateful_rules() {
  std::vector<std::string> yamls = {
      "id: s.threshold\ntype: \"Recon:IAMUser/Burst\"\n"
      "title: \"{count} calls of {eventName} by {userIdentity.userName} in {window}\"\n"
      "match: {eventName: [ConsoleLogin, GetObject]}\n"
      "stateful:\n  threshold: {count: 4, window: 10m, group_by: [userIdentity.userName, "
      "sourceIPAddress]}\n",
      "id: s.threshold_capped\ntype: \"Recon:IAMUser/Capped\"\ntitle: \"{eventName}\"\n"
      "match: {eventType: AwsApiCall}\n"
      "stateful:\n  threshold: {count: 2, window: 5m, group_by: [userIdentity.userName, "
      "sourceIPAddress], max_keys: 3}\n",
      "id: s.distinct\ntype: \"Discovery:IAMUser/Distinct\"\n"
      "title: \"{distinct} APIs ({values}) by {userIdentity.userName}\"\n"
      "match: {eventType: AwsApiCall}\n"
      "stateful:\n  distinct: {field: eventName, count: 4, window: 20m, group_by: "
      "[userIdentity.userName]}\n",
      "id: s.first_seen\ntype: \"Discovery:IAMUser/AnomalousBehavior\"\n"
      "title: \"{profile} {unusual} for {userIdentity.userName}\"\n"
      "match: {eventType: AwsApiCall}\n"
      "stateful:\n  first_seen: {features: [eventName, sourceIPAddress], group_by: "
      "[userIdentity.userName], learning: 2h, rare_fraction: 0.05}\n",
      "id: s.sequence\ntype: \"Persistence:IAMUser/Sequence\"\ntitle: \"{steps} by "
      "{userIdentity.userName}\"\n"
      "match: {eventName: [CreateUser, AttachUserPolicy, DeleteBucket]}\n"
      "stateful:\n  sequence:\n    window: 30m\n    group_by: [userIdentity.userName]\n"
      "    steps:\n      - {name: create, match: {eventName: CreateUser}}\n"
      "      - {name: attach, match: {eventName: AttachUserPolicy}}\n"
      "      - {name: delete, match: {eventName: DeleteBucket}}\n",
      "id: s.volume\ntype: \"Exfiltration:IAMUser/Volume\"\ntitle: \"{sum} bytes by "
      "{userIdentity.userName} (median {median})\"\n"
      "match: {eventType: AwsApiCall}\n"
      "stateful:\n  volume: {field: requestParameters.bytes, interval: 15m, group_by: "
      "[userIdentity.userName], z: 3, warmup: 4}\n",
      // Stateless, folded across the split by the aggregator.
      "id: s.stateless\ntype: \"Policy:IAMUser/DeleteBucket\"\ntitle: \"{eventName}\"\n"
      "match: {eventName: DeleteBucket}\ngroup_by: [userIdentity.userName]\n",
  };
  std::vector<detect::Rule> rules;
  for (const auto& y : yamls) rules.push_back(R(y + kAction));
  return rules;
}

struct Timed {
  int64_t t;
  std::string record;
};

// 8 hours of calls by four users: bursts, new places, sequences, one large transfer in 97.
std::vector<std::string> five_minute_files() {
  std::mt19937_64 rng(11);
  std::vector<Timed> evs;
  const char* users[] = {"alice", "bob", "carol", "dave"};
  const char* ips[] = {"10.0.0.1", "10.0.0.2", "198.51.100.7", "203.0.113.9"};
  const char* names[] = {"ConsoleLogin", "CreateUser", "AttachUserPolicy", "GetObject",
                         "DeleteBucket"};
  for (int i = 0; i < 700; ++i) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (8 * 60 * kMin));
    if (i % 10 == 9) t = evs.back().t;  // ties, broken by id
    std::string u = users[rng() % 4];
    std::string ip = ips[rng() % (u == "alice" ? 2 : 4)];
    std::string n = names[rng() % 5];
    char id[16];
    std::snprintf(id, sizeof id, "ev-%04d", i);
    std::string bytes = std::to_string(100 + rng() % 900 + (i % 97 == 0 ? 50000 : 0));
    evs.push_back({t, ct("\"eventID\":\"" + std::string(id) + "\",\"eventTime\":\"" +
                         format_iso8601(t, true) +
                         "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"" + n +
                         "\",\"sourceIPAddress\":\"" + ip +
                         "\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"" + u +
                         "\"},\"requestParameters\":{\"bytes\":" + bytes + "}")});
  }
  std::sort(evs.begin(), evs.end(), [](const Timed& a, const Timed& b) { return a.t < b.t; });
  std::vector<std::vector<std::string>> files;
  for (const Timed& e : evs) {
    auto f = static_cast<std::size_t>((e.t - kT0) / (5 * kMin));
    if (files.size() <= f) files.resize(f + 1);
    files[f].push_back(e.record);
  }
  std::vector<std::string> out;
  for (auto& f : files) {
    std::shuffle(f.begin(), f.end(), rng);  // records inside a file in no particular order
    out.push_back(records(f));
  }
  return out;
}

void feed_files(detect::Engine& e, const std::vector<std::string>& files, std::size_t from,
                std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    EXPECT_EQ(
        feed(
            LogType::kCloudTrail, files[i], [&](const detect::EventView& v) { e.on_event(v); },
            "f" + std::to_string(i) + ".json"),
        0);
    e.end_of_input_object();
  }
}

std::string render(detect::Engine& e) {
  e.finish();
  std::string out;
  for (const auto& f : e.take_findings()) {
    findings::write_guardduty(f, &out);
    out += "\n";
  }
  detect::EngineStats s = e.stats();
  out += "events=" + std::to_string(s.events) + " evaluations=" + std::to_string(s.evaluations) +
         " matches=" + std::to_string(s.matches) + " raised=" + std::to_string(s.findings_raised) +
         " evictions=" + std::to_string(s.state_evictions) +
         " late=" + std::to_string(s.late_events) + "\n";
  return out;
}

std::string one_run(const std::vector<std::string>& files) {
  std::vector<std::string> errs;
  detect::Engine e(stateful_rules(), detect::EngineOptions{}, &errs);
  EXPECT_TRUE(errs.empty());
  feed_files(e, files, 0, files.size());
  return render(e);
}

TEST(EngineSnapshot, SplitRunWithSaveAndRestoreIsByteIdenticalForEveryKind) {
  const std::vector<std::string> files = five_minute_files();
  const std::string expected = one_run(files);
  // Every rule fires in the data set, so every kind's state crosses the split.
  for (const char* id : {"s.threshold\"", "s.threshold_capped\"", "s.distinct\"", "s.first_seen\"",
                         "s.sequence\"", "s.volume\"", "s.stateless\""}) {
    EXPECT_NE(expected.find(std::string("\"ruleId\":\"") + id), std::string::npos)
        << id << " must fire in the data set";
  }
  // Split points: early (learning, warm-up), middle, late, and every 7th file.
  std::vector<std::size_t> splits = {1, files.size() / 2, files.size() - 1};
  // (Every 21st under the sanitizers, SENTINEL_SANITIZED: many times slower.)
#ifdef SENTINEL_SANITIZED
  constexpr std::size_t kSplitStep = 21;
#else
  constexpr std::size_t kSplitStep = 7;
#endif
  for (std::size_t s = 3; s < files.size(); s += kSplitStep) splits.push_back(s);
  for (std::size_t split : splits) {
    std::vector<std::string> errs;
    std::string snap;
    {
      detect::Engine day1(stateful_rules(), detect::EngineOptions{}, &errs);
      feed_files(day1, files, 0, split);
      snap = day1.save_state();
      EXPECT_EQ(day1.save_state(), snap) << "saving does not change the state";
    }
    detect::Engine day2(stateful_rules(), detect::EngineOptions{}, &errs);
    std::string err;
    ASSERT_TRUE(day2.restore_state(snap, &err)) << err;
    EXPECT_EQ(day2.save_state(), snap) << "a restored engine saves the same bytes";
    feed_files(day2, files, split, files.size());
    EXPECT_EQ(render(day2), expected) << "split after file " << split;
  }
}

TEST(EngineSnapshot, ThreeWaySplitChainsSnapshots) {
  const std::vector<std::string> files = five_minute_files();
  const std::string expected = one_run(files);
  std::vector<std::string> errs;
  std::string snap;
  const std::size_t cuts[] = {0, files.size() / 3, 2 * files.size() / 3, files.size()};
  for (int part = 0; part < 3; ++part) {
    detect::Engine e(stateful_rules(), detect::EngineOptions{}, &errs);
    std::string err;
    if (part > 0) {
      ASSERT_TRUE(e.restore_state(snap, &err)) << err;
    }
    feed_files(e, files, cuts[part], cuts[part + 1]);
    if (part < 2) {
      snap = e.save_state();
    } else {
      EXPECT_EQ(render(e), expected);
    }
  }
}

TEST(EngineSnapshot, AnotherRuleSetIsRefused) {
  std::vector<std::string> errs;
  detect::Engine a(stateful_rules(), detect::EngineOptions{}, &errs);
  const std::string snap = a.save_state();
  // One window changed: the state would mean something else.
  std::vector<detect::Rule> changed = stateful_rules();
  changed[0].stateful.window_ms += 1;
  detect::Engine b(std::move(changed), detect::EngineOptions{}, &errs);
  EXPECT_NE(a.rules_fingerprint(), b.rules_fingerprint());
  std::string err;
  EXPECT_FALSE(b.restore_state(snap, &err));
  EXPECT_NE(err.find("different rule set"), std::string::npos) << err;
  // One rule fewer.
  std::vector<detect::Rule> fewer = stateful_rules();
  fewer.pop_back();
  detect::Engine c(std::move(fewer), detect::EngineOptions{}, &errs);
  EXPECT_FALSE(c.restore_state(snap, &err));
  // The same rules built again: the same fingerprint.
  detect::Engine d(stateful_rules(), detect::EngineOptions{}, &errs);
  EXPECT_EQ(a.rules_fingerprint(), d.rules_fingerprint());
  EXPECT_EQ(a.rules_fingerprint().size(), 64u);
}

TEST(EngineSnapshot, CorruptOrTruncatedSnapshotsAreRefusedAndChangeNothing) {
  const std::vector<std::string> files = five_minute_files();
  std::vector<std::string> errs;
  detect::Engine a(stateful_rules(), detect::EngineOptions{}, &errs);
  feed_files(a, files, 0, files.size() / 2);
  const std::string snap = a.save_state();

  detect::Engine b(stateful_rules(), detect::EngineOptions{}, &errs);
  feed_files(b, files, 0, 3);
  const std::string before = b.save_state();
  std::string err;
  EXPECT_FALSE(b.restore_state("", &err));
  EXPECT_NE(err.find("not a sentinel detection state snapshot"), std::string::npos) << err;
  EXPECT_FALSE(b.restore_state(snap.substr(0, snap.size() / 2), &err));
  EXPECT_NE(err.find("checksum"), std::string::npos) << err;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    std::string bad = snap;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    EXPECT_FALSE(b.restore_state(bad, &err));
  }
  EXPECT_EQ(b.save_state(), before) << "a refused snapshot leaves the engine as it was";
}

TEST(EngineSnapshot, FindingsTakenBeforeSavingAreNotInTheSnapshot) {
  const std::vector<std::string> files = five_minute_files();
  std::vector<std::string> errs;
  detect::Engine a(stateful_rules(), detect::EngineOptions{}, &errs);
  feed_files(a, files, 0, files.size() / 2);
  const std::size_t held = a.take_findings().size();
  EXPECT_GT(held, 0u);
  detect::Engine b(stateful_rules(), detect::EngineOptions{}, &errs);
  std::string err;
  ASSERT_TRUE(b.restore_state(a.save_state(), &err)) << err;
  EXPECT_TRUE(b.take_findings().empty());
}

}  // namespace
}  // namespace sentinel::testing::dt
