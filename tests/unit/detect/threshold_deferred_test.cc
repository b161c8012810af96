// The threshold operator's deferred form (captures held per key until one could complete a
// window) against the queued form it stands for: over random streams with ties, files out of
// order, late-accepted and late-dropped events, external watermarks, TTLs shorter and longer
// than the window and a key cap, both give the same hits (every member), the same counters at
// every step, and the same snapshot bytes at any point.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"
#include "detect/rules/native.h"
#include "detect/state/operator_base.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {
namespace {

using ingest::LogType;

constexpr int64_t kT0 = 1705276800000;  // 2024-01-15T00:00:00Z
constexpr int64_t kMin = 60 * 1000;
// Under the sanitizers (SENTINEL_SANITIZED: many times slower) the random streams are a third as
// long; every seed still has its disorder, time grid and address count, so every path is taken.
// A run's cost under them is mostly per file (36 files whatever the length), so they also take
// three of the nine seeds: disorder from the start (3), from two thirds (4) and never (8); the
// 30 s grid (3); 12 addresses (3) and 4 (4, 8); 200, 500 and 2 000 events.
#ifdef SENTINEL_SANITIZED
constexpr int kStreamDivisor = 3;
constexpr uint64_t kSeeds[] = {3, 4, 8};
#else
constexpr int kStreamDivisor = 1;
constexpr uint64_t kSeeds[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
#endif

class Recorder : public detect::StateSink {
 public:
  void on_hit(const detect::Rule& rule, const detect::StateHit& h,
              const detect::EventView* sample) override {
    std::string s = rule.id + " key=" + h.group_key + " n=" + std::to_string(h.count) +
                    " first=" + std::to_string(h.first_seen_ms) +
                    " last=" + std::to_string(h.last_seen_ms) +
                    " total=" + std::to_string(h.evidence_total) +
                    " sev=" + std::to_string(h.severity) + " sample=" + h.sample_id + "@" +
                    std::to_string(h.sample_time_ms) + (sample != nullptr ? " view" : "") + " ev=";
    for (const auto& e : h.evidence) s += e + ",";
    for (const auto& [k, v] : h.vars) s += " " + k + "=" + v;
    for (const auto& [k, v] : h.sample_fields) s += " " + k + ":" + v;
    out.push_back(s);
  }
  std::vector<std::string> out;
};

std::string stats_text(const detect::StateStats& s) {
  return "keys=" + std::to_string(s.keys) + " evictions=" + std::to_string(s.evictions) +
         " cap=" + std::to_string(s.cap_evictions) + " late=" + std::to_string(s.late_events) +
         " late_accepted=" + std::to_string(s.late_accepted) +
         " events=" + std::to_string(s.events) + " hits=" + std::to_string(s.hits);
}

struct Stream {
  std::vector<std::string> files;      // {"Records":[...]} each
  std::vector<int64_t> advance_after;  // an external watermark after each file (0: none)
};

// `hours` of calls from a few addresses, bursty, in five-minute files (each shuffled) read in
// order until `disorder_from` (a fraction of the run), then some files swapped with a later
// one and some records written far behind their file.
Stream make_stream(uint64_t seed, int events, int addresses, int hours, double disorder_from) {
  std::mt19937_64 rng(seed);
  struct Ev {
    int64_t t;
    std::string rec;
  };
  std::vector<Ev> evs;
  for (int i = 0; i < events; ++i) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (static_cast<uint64_t>(hours) * 60 * kMin));
    if (seed % 2 == 1) t -= (t - kT0) % (30 * 1000);  // a 30 s grid: gaps of exactly T or the TTL
    if (i % 7 == 6) t = evs.back().t;                 // ties
    if (i % 11 == 10) t = evs.back().t + static_cast<int64_t>(rng() % 30000);  // bursts
    char id[24];
    std::snprintf(id, sizeof id, "ev-%05d", static_cast<int>(rng() % 100000));
    const std::string ip = "192.0.2." + std::to_string(rng() % static_cast<uint64_t>(addresses));
    evs.push_back({t, ct("\"eventID\":\"" + std::string(id) + "\",\"eventTime\":\"" +
                         format_iso8601(t, true) +
                         "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ListUsers\","
                         "\"awsRegion\":\"eu-west-" +
                         std::to_string(1 + rng() % 3) + "\",\"sourceIPAddress\":\"" + ip + "\"")});
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
  std::vector<std::vector<std::string>> files;
  for (const Ev& e : evs) {
    auto f = static_cast<std::size_t>((e.t - kT0) / (5 * kMin));
    // Written up to half an hour late, from `disorder_from` (a fraction of the run) on.
    if (rng() % 15 == 0 && f >= 6 && e.t - kT0 >= disorder_from * hours * 60 * kMin)
      f -= 1 + rng() % 6;
    if (files.size() <= f) files.resize(f + 1);
    files[f].push_back(e.rec);
  }
  for (std::size_t i = 0; i + 1 < files.size(); ++i) {
    if (rng() % 5 == 0 &&
        static_cast<double>(i) >= disorder_from * static_cast<double>(files.size()))
      std::swap(files[i], files[i + 1 + rng() % std::min<std::size_t>(3, files.size() - i - 1)]);
  }
  Stream s;
  for (auto& f : files) {
    std::shuffle(f.begin(), f.end(), rng);
    if (f.empty()) continue;
    s.files.push_back(records(f));
    s.advance_after.push_back(rng() % 6 == 0 ? kT0 + static_cast<int64_t>(s.files.size()) * 4 * kMin
                                             : 0);
  }
  return s;
}

struct Outcome {
  std::vector<std::string> hits;
  std::vector<std::string> stats;  // after every file
  std::string snapshot;            // save() after file `save_at` (none when out of range)
  std::string final_snapshot;      // save() after finish()
};

// Feeds one CloudTrail file to `op`; returns feed()'s result (0 when every record was read).
int feed_file(detect::StatefulOperator& op, Recorder& rec, const std::string& data) {
  return feed(
      LogType::kCloudTrail, data, [&](const detect::EventView& v) { op.on_match(v, rec); },
      "f.json");
}

// `every_file`: the counters after every file, else at the end only (reading the counters
// settles what the deferred form holds).
Outcome run_op(const detect::Rule& rule, bool deferred, const Stream& s, std::size_t save_at,
               bool every_file = true) {
  std::unique_ptr<detect::StatefulOperator> op = detect::state::make_threshold(rule, deferred);
  Recorder rec;
  Outcome r;
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    EXPECT_EQ(feed_file(*op, rec, s.files[i]), 0);
    if (s.advance_after[i] != 0) op->advance(s.advance_after[i], rec);
    if (every_file) r.stats.push_back(stats_text(op->stats()));
    if (i == save_at) op->save(&r.snapshot);
  }
  op->finish(rec);
  r.stats.push_back(stats_text(op->stats()));
  r.hits = rec.out;
  op->save(&r.final_snapshot);
  return r;
}

const char* const kRules[] = {
    // Fires often.
    "threshold: {count: 3, window: 5m, group_by: [sourceIPAddress]}",
    // Never fires: the deferred form all the way (the benchmark's shape).
    "threshold: {count: 100000, window: 10m, group_by: [sourceIPAddress]}",
    // Fires only in the busiest keys, late in the run.
    "threshold: {count: 12, window: 20m, group_by: [sourceIPAddress]}",
    // A TTL shorter than the window forgets windows early.
    "threshold: {count: 6, window: 30m, ttl: 4m, group_by: [sourceIPAddress]}",
    "threshold: {count: 100000, window: 30m, ttl: 3m, group_by: [sourceIPAddress]}",
    // A short lateness: many late events, some accepted behind the frontier.
    "threshold: {count: 8, window: 10m, lateness: 2m, group_by: [sourceIPAddress]}",
    "threshold: {count: 100000, window: 10m, lateness: 1m, group_by: [sourceIPAddress]}",
    "threshold: {count: 5, window: 20m, lateness: 1m, ttl: 5m, group_by: [sourceIPAddress]}",
    "threshold: {count: 100000, window: 20m, lateness: 1m, max_keys: 4, group_by: "
    "[sourceIPAddress]}",
    // A key cap the addresses exceed.
    "threshold: {count: 100000, window: 10m, max_keys: 5, group_by: [sourceIPAddress]}",
    "threshold: {count: 4, window: 10m, max_keys: 7, group_by: [sourceIPAddress, awsRegion]}",
    // One key, a zero-length window.
    "threshold: {count: 2, window: 0s}",
};

detect::Rule make_rule(const char* clause, int i) {
  return rule("id: t" + std::to_string(i) +
                  "\ntype: \"Recon:IAMUser/T\"\ntitle: \"{count} from {sourceIPAddress} in "
                  "{awsRegion}\"\nmatch: {eventName: ListUsers}\nstateful:\n  " +
                  clause + "\n",
              detect::RuleDefs{});
}

TEST(ThresholdDeferred, SameHitsCountersAndSnapshotsAsTheQueue) {
  int rule_index = 0;
  std::size_t total_hits = 0;
  bool saw_late_accepted = false, saw_late = false, saw_cap = false, saw_expired = false;
  for (const char* clause : kRules) {
    const detect::Rule r = make_rule(clause, rule_index++);
    for (const uint64_t seed : kSeeds) {
      // Disorder from the start, from two thirds of the run, never.
      const double disorder_from = std::array<double, 3>{0.0, 2.0 / 3.0, 2.0}[seed % 3];
      const Stream s = make_stream(seed * 7919 + static_cast<uint64_t>(rule_index),
                                   (seed == 8       ? 6000
                                    : seed % 2 == 0 ? 1500
                                                    : 600) /
                                       kStreamDivisor,
                                   seed % 4 == 0 ? 4 : 12, 3, disorder_from);
      SCOPED_TRACE(std::string(clause) + " seed " + std::to_string(seed));
      const Outcome queued = run_op(r, false, s, s.files.size());
      const Outcome deferred = run_op(r, true, s, s.files.size());
      ASSERT_EQ(queued.stats, deferred.stats);
      ASSERT_EQ(queued.hits, deferred.hits);
      ASSERT_EQ(queued.final_snapshot, deferred.final_snapshot);
      // Without reading the counters on the way: the same state before the end.
      const Outcome quiet = run_op(r, true, s, s.files.size() - 1, false);
      const Outcome quiet_queued = run_op(r, false, s, s.files.size() - 1, false);
      ASSERT_EQ(quiet.snapshot, quiet_queued.snapshot);
      ASSERT_EQ(quiet.stats.back(), queued.stats.back());
      ASSERT_EQ(quiet.hits, queued.hits);
      ASSERT_EQ(quiet.final_snapshot, queued.final_snapshot);
      total_hits += queued.hits.size();
      const std::string& last = queued.stats.back();
      saw_late_accepted |= last.find(" late_accepted=0 ") == std::string::npos;
      saw_late |= last.find(" late=0 ") == std::string::npos;
      saw_cap |= last.find(" cap=0 ") == std::string::npos;
      saw_expired |= last.find(" evictions=0 ") == std::string::npos;
      // A snapshot at some point: the same bytes, and the same run afterwards.
      const std::size_t at = (seed * 13) % s.files.size();
      const Outcome q2 = run_op(r, false, s, at);
      const Outcome d2 = run_op(r, true, s, at);
      ASSERT_FALSE(q2.snapshot.empty());
      ASSERT_EQ(q2.snapshot, d2.snapshot) << "saved after file " << at;
      ASSERT_EQ(q2.hits, queued.hits);
      ASSERT_EQ(d2.hits, queued.hits);
      ASSERT_EQ(d2.stats, queued.stats);
    }
  }
  // The streams do complete windows and reach every path out of the deferred form.
  EXPECT_GT(total_hits, 100u);
  EXPECT_TRUE(saw_late_accepted);
  EXPECT_TRUE(saw_late);
  EXPECT_TRUE(saw_cap);
  EXPECT_TRUE(saw_expired);
}

// A capture accepted behind the frontier is processed at once by the queue, into its place in
// the key's window: the deferred operator gives it to the queue (the snapshot has the window in
// (time, id) order, and the hit names the late capture first).
TEST(ThresholdDeferred, LateAcceptedCaptureTakesItsPlaceInTheWindow) {
  const detect::Rule r =
      make_rule("threshold: {count: 4, window: 10m, lateness: 1m, group_by: [sourceIPAddress]}", 0);
  auto call = [](const char* id, int second) {
    return ct(std::string("\"eventID\":\"") + id + "\",\"eventTime\":\"" +
              format_iso8601(kT0 + second * 1000, true) +
              "\",\"eventName\":\"ListUsers\",\"sourceIPAddress\":\"192.0.2.1\"");
  };
  std::vector<std::string> snapshots;
  std::vector<std::string> hits;
  for (bool deferred : {false, true}) {
    std::unique_ptr<detect::StatefulOperator> op = detect::state::make_threshold(r, deferred);
    Recorder rec;
    auto file = [&](const std::vector<std::string>& recs) { feed_file(*op, rec, records(recs)); };
    file({call("b", 180), call("c", 300)});  // b processed once c sets the watermark to 4:00
    file({call("a", 120)});                  // behind the frontier, within the window
    op->save(&snapshots.emplace_back());
    file({call("d", 400), call("e", 500)});
    op->finish(rec);
    ASSERT_EQ(rec.out.size(), 1u) << deferred;
    EXPECT_NE(rec.out[0].find(" ev=a,b,c,d,"), std::string::npos) << rec.out[0];
    EXPECT_NE(stats_text(op->stats()).find(" late_accepted=1 "), std::string::npos);
    hits.push_back(rec.out[0]);
  }
  EXPECT_EQ(snapshots[0], snapshots[1]);
  EXPECT_EQ(hits[0], hits[1]);
}

// The counters a deferred operator reports mid-run name its TTL expiries and live keys as the
// queue's would: two keys, each idle past the TTL in turn.
TEST(ThresholdDeferred, ExpiriesAndLiveKeysWhileDeferred) {
  const detect::Rule r = make_rule(
      "threshold: {count: 1000, window: 10m, ttl: 20m, lateness: 1m, group_by: "
      "[sourceIPAddress]}",
      0);
  auto call = [](const char* id, const char* ip, int minute) {
    return ct(std::string("\"eventID\":\"") + id + "\",\"eventTime\":\"" +
              format_iso8601(kT0 + minute * kMin, true) +
              "\",\"eventName\":\"ListUsers\",\"sourceIPAddress\":\"" + ip + "\"");
  };
  for (bool deferred : {false, true}) {
    std::unique_ptr<detect::StatefulOperator> op = detect::state::make_threshold(r, deferred);
    Recorder rec;
    auto file = [&](const std::vector<std::string>& recs) { feed_file(*op, rec, records(recs)); };
    auto expect = [&](const char* want) { EXPECT_EQ(stats_text(op->stats()), want) << deferred; };
    // Nothing is processed before the watermark (newest - 1 minute) passes it.
    file({call("a", "192.0.2.1", 0), call("b", "192.0.2.2", 1)});
    expect("keys=0 evictions=0 cap=0 late=0 late_accepted=0 events=2 hits=0");
    file({call("c", "192.0.2.2", 15)});
    expect("keys=2 evictions=0 cap=0 late=0 late_accepted=0 events=3 hits=0");
    file({call("d", "192.0.2.2", 30)});  // at minute 29, 192.0.2.1 has been idle 29 minutes
    expect("keys=1 evictions=1 cap=0 late=0 late_accepted=0 events=4 hits=0");
    file({call("e", "192.0.2.1", 60)});  // at minute 59, 192.0.2.2 (last used at 30) too
    expect("keys=0 evictions=2 cap=0 late=0 late_accepted=0 events=5 hits=0");
    op->finish(rec);
    expect("keys=1 evictions=2 cap=0 late=0 late_accepted=0 events=5 hits=0");
  }
}

}  // namespace
}  // namespace sentinel::testing::dt
