// The threshold operator's deferred form, bulk part included (captures kept
// without per-key windows while no key could reach N), against the queued form:
// random CloudTrail streams whose thresholds sit near the number of captures
// the operator holds, so the operator leaves the bulk form in the middle of the
// run with windows, expiries and queued captures to hand over. Both forms must
// give the same hits (every member, sample fields included), the same counters
// after every file and the same snapshot bytes, before and after finish().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "detect/event_view.h"
#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"
#include "ingest/reader.h"

namespace sentinel::detect {
namespace {

constexpr int64_t kT0 = 1705276800000;  // 2024-01-15T00:00:00Z
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

FieldRef field(const std::string& name) {
  FieldRef f;
  std::string err;
  EXPECT_TRUE(FieldRef::parse(name, &f, &err)) << err;
  return f;
}

std::string render(const StateHit& h) {
  std::string s = h.group_key + "|" + std::to_string(h.first_seen_ms) + "|" +
                  std::to_string(h.last_seen_ms) + "|" + std::to_string(h.count) + "|";
  for (const auto& e : h.evidence) s += e + ",";
  s += "|" + std::to_string(h.evidence_total) + "|" + std::to_string(h.severity) + "|";
  for (const auto& [k, v] : h.vars) s += k + "=" + v + ";";
  s += "|" + h.sample_id + "@" + std::to_string(h.sample_time_ms);
  for (const auto& [k, v] : h.sample_fields) s += ";" + k + "=" + v;
  return s;
}

std::string stats_text(const StateStats& s) {
  return "keys=" + std::to_string(s.keys) + " evictions=" + std::to_string(s.evictions) +
         " cap=" + std::to_string(s.cap_evictions) + " late=" + std::to_string(s.late_events) +
         " late_accepted=" + std::to_string(s.late_accepted) +
         " events=" + std::to_string(s.events) + " hits=" + std::to_string(s.hits);
}

class Recorder : public StateSink {
 public:
  void on_hit(const Rule&, const StateHit& hit, const EventView* sample) override {
    lines.push_back(render(hit) + (sample != nullptr ? "|view" : ""));
  }
  std::vector<std::string> lines;
};

// Feeds every event of a file to one operator.
class Feeder : public ingest::EventSink {
 public:
  Feeder(StatefulOperator* op, Recorder* rec)
      : op_(op), rec_(rec), scratch_(EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView v(e, scratch_.get());
    op_->on_match(v, *rec_);
  }
  void on_flow(const ingest::FlowRecord&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  int rejects = 0;

 private:
  StatefulOperator* op_;
  Recorder* rec_;
  decltype(EventView::make_scratch()) scratch_;
};

struct Stream {
  std::vector<std::string> files;
  std::vector<int64_t> advance_after;  // an external watermark after the file (0: none)
};

// `minutes` of calls from `addresses` addresses (some records without one),
// rare addresses on a minute grid and beacons, in 2-minute files shuffled
// inside, some written late and some files swapped with a later one (unless
// `ordered`).
Stream make_stream(uint64_t seed, int events, int addresses, int minutes, bool ordered) {
  std::mt19937_64 rng(seed);
  struct Ev {
    int64_t t;
    std::string rec;
  };
  std::vector<Ev> evs;
  for (int i = 0; i < events; ++i) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (static_cast<uint64_t>(minutes) * kMin));
    if (seed % 2 == 0) t -= (t - kT0) % (15 * kSec);  // a grid: gaps of exactly T or the TTL
    if (i % 5 == 4) t = evs.back().t;                 // ties
    // Quiet spells: a third of the addresses only in some quarters of the run.
    const uint64_t a = rng() % (1 + rng() % static_cast<uint64_t>(addresses));  // skewed
    if (a % 3 == 0 && ((t - kT0) / (minutes * kMin / 4)) % 2 == 1) continue;
    char id[24];
    std::snprintf(id, sizeof id, "ev-%05d", static_cast<int>(rng() % 50000));
    std::string ip = a == 0 ? "" : ",\"sourceIPAddress\":\"198.51.100." + std::to_string(a) + "\"";
    if (rng() % 4 == 0) {
      // A rare address on a whole-minute grid: gaps of exactly the window or
      // the TTL.
      t -= (t - kT0) % kMin;
      ip = ",\"sourceIPAddress\":\"203.0.113." + std::to_string(rng() % 60) + "\"";
    }
    evs.push_back({t, "{\"eventVersion\":\"1.08\",\"eventID\":\"" + std::string(id) +
                          "\",\"eventTime\":\"" + format_iso8601(t, true) +
                          "\",\"eventSource\":\"iam.amazonaws.com\","
                          "\"eventName\":\"ListUsers\","
                          "\"recipientAccountId\":\"111122223333\","
                          "\"awsRegion\":\"eu-west-" +
                          std::to_string(1 + rng() % 2) + "\"" + ip + "}"});
  }
  // Beacons: an address every p minutes all along (gaps of exactly the window
  // or the TTL).
  for (int p = 1; p <= 20; ++p) {
    for (int64_t t = kT0 + p * kSec; t < kT0 + minutes * kMin; t += p * kMin) {
      evs.push_back({t, "{\"eventVersion\":\"1.08\",\"eventID\":\"b-" + std::to_string(p) + "-" +
                            std::to_string(t) + "\",\"eventTime\":\"" + format_iso8601(t, true) +
                            "\",\"eventSource\":\"iam.amazonaws.com\","
                            "\"eventName\":\"ListUsers\","
                            "\"recipientAccountId\":\"111122223333\","
                            "\"awsRegion\":\"eu-west-1\","
                            "\"sourceIPAddress\":\"192.0.2." +
                            std::to_string(p) + "\"}"});
    }
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
  std::vector<std::vector<std::string>> files;
  for (const Ev& e : evs) {
    auto f = static_cast<std::size_t>((e.t - kT0) / (2 * kMin));
    // Written up to 16 minutes late (in an ordered stream no capture is
    // accepted behind the frontier, so the bulk form lasts as long as its
    // bounds allow).
    if (!ordered && rng() % 12 == 0 && f >= 8) f -= 1 + rng() % 8;
    if (files.size() <= f) files.resize(f + 1);
    files[f].push_back(e.rec);
  }
  for (std::size_t i = 0; i + 2 < files.size(); ++i) {
    if (!ordered && rng() % 6 == 0) std::swap(files[i], files[i + 1 + rng() % 2]);
  }
  Stream s;
  for (auto& f : files) {
    if (f.empty()) continue;
    std::shuffle(f.begin(), f.end(), rng);
    std::string text = "{\"Records\":[";
    for (std::size_t i = 0; i < f.size(); ++i) text += (i ? "," : "") + f[i];
    text += "]}";
    s.files.push_back(std::move(text));
    s.advance_after.push_back(
        rng() % 7 == 0 ? kT0 + static_cast<int64_t>(s.files.size()) * 2 * kMin - 20 * kMin : 0);
  }
  return s;
}

struct Outcome {
  std::vector<std::string> hits;
  std::vector<std::string> stats;
  std::string snapshot;  // after file `save_at`
  std::string final_snapshot;
};

Outcome run(const Rule& rule, bool deferred, const Stream& s, std::size_t save_at,
            std::size_t stats_every) {
  std::unique_ptr<StatefulOperator> op = state::make_threshold(rule, deferred);
  Recorder rec;
  Outcome out;
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    Feeder feeder(op.get(), &rec);
    ingest::Reader reader{ingest::ParseOptions{}};
    reader.read_bytes("f" + std::to_string(i) + ".json", s.files[i], feeder);
    EXPECT_EQ(feeder.rejects, 0);
    if (s.advance_after[i] != 0) op->advance(s.advance_after[i], rec);
    if (stats_every != 0 && i % stats_every == 0) out.stats.push_back(stats_text(op->stats()));
    if (i == save_at) op->save(&out.snapshot);
  }
  op->finish(rec);
  out.stats.push_back(stats_text(op->stats()));
  out.hits = rec.lines;
  op->save(&out.final_snapshot);
  return out;
}

struct Clause {
  uint64_t n;
  int64_t window;
  int64_t ttl;  // 0: the default (2 × window)
  int64_t lateness;
  uint64_t max_keys;
  bool by_region;  // group by address and region
};

// The deferred form's run against the queue's: every member equal.
void expect_same(const Outcome& queued, const Outcome& deferred) {
  EXPECT_EQ(queued.stats, deferred.stats);
  EXPECT_EQ(queued.hits, deferred.hits);
  EXPECT_EQ(queued.snapshot, deferred.snapshot);
  EXPECT_EQ(queued.final_snapshot, deferred.final_snapshot);
}

Rule rule_of(const Clause& c, std::string id) {
  Rule r;
  r.id = std::move(id);
  r.stateful.kind = StatefulSpec::Kind::kThreshold;
  r.stateful.group_by = {field("sourceIPAddress")};
  if (c.by_region) r.stateful.group_by.push_back(field("awsRegion"));
  r.stateful.threshold = c.n;
  r.stateful.window_ms = c.window;
  r.stateful.ttl_ms = c.ttl;
  r.stateful.lateness_ms = c.lateness;
  r.stateful.max_keys = c.max_keys;
  return r;
}

// Under the sanitizers (SENTINEL_SANITIZED: tens of times slower, and each run re-reads every file
// of its stream) two of the six seeds: 2 000 events from 25 addresses, disordered (1), and 6 000
// from 6, ordered (6); they raise 23 of the 30-odd hits. The Release run keeps all six.
#ifdef SENTINEL_SANITIZED
constexpr uint64_t kSeeds[] = {1, 6};
constexpr std::size_t kMinHits = 15;
#else
constexpr uint64_t kSeeds[] = {1, 2, 3, 4, 5, 6};
constexpr std::size_t kMinHits = 30;
#endif

TEST(ThresholdBulk, LeavesTheBulkFormMidRunWithTheQueuesState) {
  const Clause clauses[] = {
      {40, 5 * kMin, 0, 15 * kMin, 100000, false},
      {90, 10 * kMin, 0, 15 * kMin, 100000, false},
      {150, 10 * kMin, 3 * kMin, 15 * kMin, 100000, false},
      {60, 20 * kMin, 4 * kMin, 2 * kMin, 100000, true},
      {300, 8 * kMin, 0, 1 * kMin, 100000, false},
      {100000, 6 * kMin, 0, 15 * kMin, 9, false},  // leaves at the key cap
      {100000, 6 * kMin, 2 * kMin, 3 * kMin, 14, true},
      {25, 1 * kMin, 0, 15 * kMin, 100000, true},
      {100000, 10 * kMin, 0, 15 * kMin, 100000, false},  // stays in the bulk form
  };
  std::size_t hits = 0;
  int clause_index = 0;
  for (const Clause& c : clauses) {
    const Rule r = rule_of(c, "t" + std::to_string(clause_index++));
    for (const uint64_t seed : kSeeds) {
      const Stream s =
          make_stream(seed * 104729 + static_cast<uint64_t>(clause_index),
                      seed % 3 == 0 ? 6000 : 2000, seed % 2 == 0 ? 6 : 25, 90, seed % 3 != 1);
      SCOPED_TRACE(r.id + " seed " + std::to_string(seed));
      const std::size_t at = (seed * 7) % s.files.size();
      const Outcome queued = run(r, false, s, at, 1);
      expect_same(queued, run(r, true, s, at, 1));
      if (HasFailure()) return;
      // Counters read rarely: the bulk form goes on longer between reads.
      // Saved at another point, and never.
      const std::size_t at2 = (seed * 13 + 5) % s.files.size();
      const Outcome quiet = run(r, true, s, at2, 9);
      const Outcome quiet_queued = run(r, false, s, at2, 9);
      ASSERT_EQ(quiet.stats, quiet_queued.stats);
      ASSERT_EQ(quiet.hits, queued.hits);
      ASSERT_EQ(quiet.snapshot, quiet_queued.snapshot);
      ASSERT_EQ(quiet.final_snapshot, quiet_queued.final_snapshot);
      const Outcome unsaved = run(r, true, s, s.files.size(), 0);
      const Outcome unsaved_queued = run(r, false, s, s.files.size(), 0);
      ASSERT_EQ(unsaved.stats, unsaved_queued.stats);
      ASSERT_EQ(unsaved.hits, queued.hits);
      ASSERT_EQ(unsaved.final_snapshot, unsaved_queued.final_snapshot);
      hits += queued.hits.size();
    }
  }
  EXPECT_GT(hits, kMinHits);
}

// Long logs: tens of thousands of captures read without counters between files, so the bulk
// form processes batches of thousands (sorted by the radix pass over spans of minutes to the
// whole run at finish()) and compacts its log, stored ids and key texts in place many times;
// then the same with a threshold and a key cap it reaches late in the run.
TEST(ThresholdBulk, LongLogsGiveTheQueuesState) {
#ifdef SENTINEL_SANITIZED
  constexpr int kEvents = 6000;
#else
  constexpr int kEvents = 40000;
#endif
  const Clause clauses[] = {
      {1000000, 10 * kMin, 0, 15 * kMin, 100000, false},  // stays in the bulk form
      {1000000, 2 * kMin, 1 * kMin, 30 * kMin, 100000, true},
      {kEvents / 12, 20 * kMin, 0, 15 * kMin, 100000, false},  // leaves at a window
      {1000000, 10 * kMin, 0, 15 * kMin, 90, true},            // leaves at the key cap
  };
  int clause_index = 0;
  for (const Clause& c : clauses) {
    const Rule r = rule_of(c, "long" + std::to_string(clause_index++));
    for (const bool ordered : {false, true}) {
      const Stream s =
          make_stream(977 + static_cast<uint64_t>(clause_index), kEvents, 40, 240, ordered);
      SCOPED_TRACE(r.id + (ordered ? " ordered" : " disordered"));
      const std::size_t at = s.files.size() / 2;
      const Outcome queued = run(r, false, s, at, 0);
      expect_same(queued, run(r, true, s, at, 0));
      Outcome unsaved = run(r, true, s, s.files.size(), 0);
      unsaved.snapshot = queued.snapshot;  // not saved mid-run
      expect_same(queued, unsaved);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace sentinel::detect
