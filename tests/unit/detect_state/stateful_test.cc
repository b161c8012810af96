// The stateful operators on event time: window edges, lateness, order independence, bounded
// state. Events are real CloudTrail records and flow lines read through ingest::Reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"
#include "detect/event_view.h"
#include "detect/rules/rule.h"
#include "detect/state/stateful.h"
#include "ingest/reader.h"

namespace sentinel::detect {
namespace {

constexpr int64_t kT0 = 1705276800000;  // 2024-01-15T00:00:00Z
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;

FieldRef field(const std::string& name) {
  FieldRef f;
  std::string err;
  EXPECT_TRUE(FieldRef::parse(name, &f, &err)) << err;
  return f;
}

Predicate name_is(const std::string& name) {
  Predicate p;
  p.kind = Predicate::Kind::kCompare;
  p.field = field("eventName");
  p.op = CmpOp::kEq;
  p.strings = {name};
  return p;
}

/// One CloudTrail record. `ms` < 0: no eventTime.
std::string ct(const std::string& id, int64_t ms, const std::string& name = "ConsoleLogin",
               const std::string& user = "alice", const std::string& ip = "203.0.113.7",
               const std::string& params = "{}") {
  std::string time = ms < 0 ? "" : "\"eventTime\":\"" + format_iso8601(ms, true) + "\",";
  return "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
         "\"arn:aws:iam::111122223333:user/" +
         user + "\",\"accountId\":\"111122223333\",\"userName\":\"" + user + "\"}," + time +
         "\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"" + name +
         "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"" + ip +
         "\",\"userAgent\":\"aws-cli/2.15\",\"requestParameters\":" + params +
         ",\"responseElements\":null,\"eventID\":\"" + id +
         "\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}";
}

/// One v2 flow line; `sec` is the flow's start (Unix seconds).
std::string flow(const std::string& src, const std::string& dst, int dport, int64_t sec,
                 uint64_t bytes = 40) {
  return "2 111122223333 eni-0a1b2c3d " + src + " " + dst + " 40000 " + std::to_string(dport) +
         " 6 1 " + std::to_string(bytes) + " " + std::to_string(sec) + " " +
         std::to_string(sec + 10) + " REJECT OK";
}

std::string render_hit(const StateHit& h) {
  std::string s = h.group_key + "|" + std::to_string(h.first_seen_ms) + "|" +
                  std::to_string(h.last_seen_ms) + "|" + std::to_string(h.count) + "|";
  for (const auto& e : h.evidence) s += e + ",";
  s += "|" + std::to_string(h.evidence_total) + "|" + h.unusual_json + "|";
  for (const auto& [k, v] : h.vars) s += k + "=" + v + ";";
  s += "|" + h.sample_id + "@" + std::to_string(h.sample_time_ms);
  for (const auto& [k, v] : h.sample_fields) s += ";" + k + "=" + v;
  return s;
}

class Recorder : public StateSink {
 public:
  void on_hit(const Rule&, const StateHit& hit, const EventView* sample) override {
    EXPECT_EQ(sample, nullptr);
    hits.push_back(hit);
    lines.push_back(render_hit(hit));
  }
  std::vector<StateHit> hits;
  std::vector<std::string> lines;
};

/// Reads files through ingest::Reader and hands every event to the operator.
class Harness : public ingest::EventSink {
 public:
  explicit Harness(const Rule& rule)
      : rule_(rule), op(make_operator(rule)), scratch_(EventView::make_scratch()) {}

  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView v(e, scratch_.get());
    op->on_match(v, rec);
  }
  void on_flow(const ingest::FlowRecord& f) override {
    EventView v(f, scratch_.get());
    op->on_match(v, rec);
  }
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }

  /// CloudTrail records, as one file.
  void ct_file(const std::vector<std::string>& records) {
    std::string f = "{\"Records\":[";
    for (std::size_t i = 0; i < records.size(); ++i) f += (i ? "," : "") + records[i];
    f += "]}";
    ingest::Reader reader{ingest::ParseOptions{}};
    reader.read_bytes("f" + std::to_string(files_++) + ".json", f, *this);
  }
  void ct_events(const std::vector<std::string>& records) {
    for (const auto& r : records) ct_file({r});
  }
  void flow_file(const std::vector<std::string>& lines) {
    std::string f =
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status\n";
    for (const auto& l : lines) f += l + "\n";
    ingest::Reader reader{ingest::ParseOptions{}};
    reader.read_bytes("flows" + std::to_string(files_++) + ".log", f, *this);
  }
  void finish() { op->finish(rec); }

  const Rule& rule_;
  std::unique_ptr<StatefulOperator> op;
  Recorder rec;
  int rejects = 0;

 private:
  decltype(EventView::make_scratch()) scratch_;
  int files_ = 0;
};

Rule threshold_rule(uint64_t n, int64_t window, int64_t lateness = 15 * kMin) {
  Rule r;
  r.id = "threshold";
  r.stateful.kind = StatefulSpec::Kind::kThreshold;
  r.stateful.group_by = {field("userIdentity.userName"), field("sourceIPAddress")};
  r.stateful.threshold = n;
  r.stateful.window_ms = window;
  r.stateful.lateness_ms = lateness;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Threshold

TEST(Threshold, NMinusOneDoesNotFireNDoes) {
  Rule r = threshold_rule(3, kMin);
  Harness h(r);
  h.ct_events({ct("a1", kT0), ct("a2", kT0 + 10 * kSec)});
  h.finish();
  EXPECT_TRUE(h.rec.hits.empty());

  Harness h2(r);
  h2.ct_events({ct("a1", kT0), ct("a2", kT0 + 10 * kSec), ct("a3", kT0 + 20 * kSec)});
  h2.finish();
  ASSERT_EQ(h2.rec.hits.size(), 1u);
  const StateHit& hit = h2.rec.hits[0];
  EXPECT_EQ(hit.group_key,
            "alice\x1f"
            "203.0.113.7");
  EXPECT_EQ(hit.count, 3u);
  EXPECT_EQ(hit.first_seen_ms, kT0);
  EXPECT_EQ(hit.last_seen_ms, kT0 + 20 * kSec);
  EXPECT_EQ(hit.evidence, (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(hit.evidence_total, 3u);
  EXPECT_EQ(hit.sample_id, "a3");
  EXPECT_EQ(h2.op->stats().hits, 1u);
}

TEST(Threshold, ExactlyTApartIsInsideOneMsMoreIsNot) {
  Rule r = threshold_rule(2, 5 * kMin);
  Harness in(r);
  in.ct_events({ct("a1", kT0), ct("a2", kT0 + 5 * kMin)});
  in.finish();
  EXPECT_EQ(in.rec.hits.size(), 1u);

  Harness out(r);
  out.ct_events({ct("a1", kT0), ct("a2", kT0 + 5 * kMin + 1)});
  out.finish();
  EXPECT_EQ(out.rec.hits.size(), 0u);
}

TEST(Threshold, FiresOncePerEpisodeAndAgainAfterQuiet) {
  Rule r = threshold_rule(3, kMin);
  Harness h(r);
  std::vector<std::string> evs;
  // 10 events 10 s apart: one episode, one hit.
  for (int i = 0; i < 10; ++i) evs.push_back(ct("a" + std::to_string(i), kT0 + i * 10 * kSec));
  // Exactly T after the last one: still the same episode.
  evs.push_back(ct("b0", kT0 + 90 * kSec + kMin));
  evs.push_back(ct("b1", kT0 + 90 * kSec + kMin + 1));
  evs.push_back(ct("b2", kT0 + 90 * kSec + kMin + 2));
  // Quiet for more than T: a new episode fires again.
  int64_t t = kT0 + 90 * kSec + kMin + 2 + kMin + 1;
  for (int i = 0; i < 3; ++i) evs.push_back(ct("c" + std::to_string(i), t + i));
  h.ct_events(evs);
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 2u);
  EXPECT_EQ(h.rec.hits[0].sample_id, "a2");
  EXPECT_EQ(h.rec.hits[1].sample_id, "c2");
  EXPECT_EQ(h.rec.hits[1].first_seen_ms, t);
}

TEST(Threshold, EvidenceIsCappedAtTwentyWithTotal) {
  Rule r = threshold_rule(25, kHour);
  Harness h(r);
  std::vector<std::string> evs;
  for (int i = 0; i < 25; ++i) evs.push_back(ct("e" + std::to_string(100 + i), kT0 + i * kSec));
  h.ct_file(evs);
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].evidence.size(), 20u);
  EXPECT_EQ(h.rec.hits[0].evidence_total, 25u);
  EXPECT_EQ(h.rec.hits[0].evidence.front(), "e100");
  // {count} and {window} for templates.
  EXPECT_EQ(h.rec.hits[0].vars[0], (std::pair<std::string, std::string>{"count", "25"}));
  EXPECT_EQ(h.rec.hits[0].vars[1], (std::pair<std::string, std::string>{"window", "1h"}));
}

TEST(Threshold, LateEventsOutsideTheLatenessAreCountedAndIgnored) {
  // Lateness 1 min, window 1 min: after an event at +10 min the watermark is +9 min; an event
  // before +8 min is late; one between +8 and +9 min is still used (best effort).
  Rule r = threshold_rule(2, kMin, kMin);
  Harness h(r);
  h.ct_events({ct("x0", kT0 + 10 * kMin, "ConsoleLogin", "bob")});
  h.ct_events({ct("late", kT0 + 8 * kMin - 1), ct("late2", kT0 + 8 * kMin - 1000)});
  EXPECT_EQ(h.op->stats().late_events, 2u);
  h.ct_events({ct("ok", kT0 + 8 * kMin + 30 * kSec), ct("ok2", kT0 + 8 * kMin + 40 * kSec)});
  h.finish();
  StateStats s = h.op->stats();
  EXPECT_EQ(s.late_events, 2u);
  EXPECT_EQ(s.late_accepted, 2u);
  EXPECT_EQ(s.events, 3u);
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].evidence, (std::vector<std::string>{"ok", "ok2"}));
}

TEST(Threshold, OutOfOrderWithinLatenessGivesTheSortedResult) {
  Rule r = threshold_rule(3, kMin, 10 * kMin);
  std::vector<std::string> sorted = {ct("a", kT0), ct("b", kT0 + 20 * kSec),
                                     ct("c", kT0 + 50 * kSec), ct("d", kT0 + 70 * kSec),
                                     ct("e", kT0 + 5 * kMin)};
  Harness in_order(r);
  in_order.ct_events(sorted);
  in_order.finish();
  ASSERT_EQ(in_order.rec.hits.size(), 1u);
  EXPECT_EQ(in_order.rec.hits[0].sample_id, "c");

  // Newest first: each event is within 10 min of the newest, so nothing is late.
  std::vector<std::string> reversed(sorted.rbegin(), sorted.rend());
  Harness rev(r);
  rev.ct_events(reversed);
  rev.finish();
  EXPECT_EQ(rev.rec.lines, in_order.rec.lines);
  EXPECT_EQ(rev.op->stats().late_events, 0u);
}

TEST(Threshold, EventsWithoutTimeAreCountedAndIgnored) {
  Rule r = threshold_rule(1, kMin);
  Harness h(r);
  h.ct_events({ct("nt1", -1), ct("nt2", -1)});
  h.finish();
  EXPECT_EQ(h.rejects, 0);
  EXPECT_TRUE(h.rec.hits.empty());
  EXPECT_EQ(h.op->stats().no_time_events, 2u);
  EXPECT_EQ(h.op->stats().events, 0u);
}

TEST(Threshold, LeastRecentlyUsedKeyIsEvictedAtTheCap) {
  Rule r = threshold_rule(2, kHour);
  r.stateful.max_keys = 2;
  r.stateful.lateness_ms = 0;
  Harness h(r);
  // alice, bob, alice, carol (evicts bob, the least recently used), bob: forgotten, no hit.
  h.ct_events({ct("1", kT0, "L", "alice"), ct("2", kT0 + 1, "L", "bob"),
               ct("3", kT0 + 2, "L", "alice"), ct("4", kT0 + 3, "L", "carol"),
               ct("5", kT0 + 4, "L", "bob"), ct("6", kT0 + 5, "L", "carol")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 2u);
  EXPECT_EQ(h.rec.hits[0].sample_id, "3");  // alice
  EXPECT_EQ(h.rec.hits[1].sample_id, "6");  // carol, kept when bob came back (alice went)
  StateStats s = h.op->stats();
  EXPECT_EQ(s.keys, 2u);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_EQ(s.cap_evictions, 2u);
}

TEST(Threshold, IdleKeysExpireAfterTheTtl) {
  Rule r = threshold_rule(5, kMin);
  r.stateful.lateness_ms = 0;  // TTL defaults to 2 × window
  Harness h(r);
  h.ct_events(
      {ct("1", kT0, "L", "alice"), ct("2", kT0 + 1, "L", "bob"), ct("3", kT0 + 2, "L", "carol")});
  EXPECT_EQ(h.op->stats().keys, 2u);  // carol waits for the watermark to pass her
  h.ct_events({ct("4", kT0 + 2 * kMin + 2, "L", "dave")});
  StateStats s = h.op->stats();
  EXPECT_EQ(s.keys, 1u);  // alice and bob idle > 2 min; carol exactly 2 min
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_EQ(s.cap_evictions, 0u);
  h.finish();
  EXPECT_EQ(h.op->stats().keys, 2u);
}

// ---------------------------------------------------------------------------------------------
// Distinct count

Rule port_scan_rule(uint64_t n, int64_t window) {
  Rule r;
  r.id = "portscan";
  r.stateful.kind = StatefulSpec::Kind::kDistinct;
  r.stateful.group_by = {field("srcaddr")};
  r.stateful.distinct_field = field("dstport");
  r.stateful.threshold = n;
  r.stateful.window_ms = window;
  return r;
}

TEST(Distinct, PortScanFiresAtTheNthDistinctPort) {
  Rule r = port_scan_rule(3, kMin);
  const int64_t s0 = kT0 / 1000;
  Harness two(r);
  // Many flows, two ports: no scan.
  two.flow_file(
      {flow("198.51.100.9", "10.0.0.5", 22, s0), flow("198.51.100.9", "10.0.0.5", 22, s0 + 1),
       flow("198.51.100.9", "10.0.0.5", 23, s0 + 2), flow("198.51.100.9", "10.0.0.5", 22, s0 + 3),
       flow("198.51.100.10", "10.0.0.5", 80, s0 + 3)});
  two.finish();
  EXPECT_TRUE(two.rec.hits.empty());

  Harness three(r);
  three.flow_file(
      {flow("198.51.100.9", "10.0.0.5", 22, s0), flow("198.51.100.9", "10.0.0.5", 22, s0 + 1),
       flow("198.51.100.9", "10.0.0.5", 23, s0 + 2), flow("198.51.100.9", "10.0.0.5", 80, s0 + 3),
       flow("198.51.100.9", "10.0.0.5", 443, s0 + 4)});
  three.finish();
  ASSERT_EQ(three.rec.hits.size(), 1u);
  const StateHit& hit = three.rec.hits[0];
  EXPECT_EQ(hit.group_key, "198.51.100.9");
  EXPECT_EQ(hit.first_seen_ms, kT0);
  EXPECT_EQ(hit.last_seen_ms, kT0 + 3000);
  std::vector<std::pair<std::string, std::string>> want = {{"distinct", "3"},
                                                           {"count", "4"},
                                                           {"values", "22,23,80"},
                                                           {"window", "1m"},
                                                           {"threshold", "3"}};
  EXPECT_EQ(hit.vars, want);
  EXPECT_EQ(hit.evidence_total, 3u);
}

TEST(Distinct, ExactlyTApartIsInsideOneMsMoreIsNot) {
  Rule r;
  r.stateful.kind = StatefulSpec::Kind::kDistinct;
  r.stateful.group_by = {field("sourceIPAddress")};
  r.stateful.distinct_field = field("userIdentity.userName");
  r.stateful.threshold = 2;
  r.stateful.window_ms = 10 * kMin;
  Harness in(r);
  in.ct_events({ct("1", kT0, "L", "u1"), ct("2", kT0 + 10 * kMin, "L", "u2")});
  in.finish();
  EXPECT_EQ(in.rec.hits.size(), 1u);
  Harness out(r);
  out.ct_events({ct("1", kT0, "L", "u1"), ct("2", kT0 + 10 * kMin + 1, "L", "u2")});
  out.finish();
  EXPECT_EQ(out.rec.hits.size(), 0u);
  // A value seen again refreshes its place in the window.
  Harness again(r);
  again.ct_events({ct("1", kT0, "L", "u1"), ct("2", kT0 + 6 * kMin, "L", "u1"),
                   ct("3", kT0 + 15 * kMin, "L", "u2")});
  again.finish();
  EXPECT_EQ(again.rec.hits.size(), 1u);
}

TEST(Distinct, SweepDistinctDestinationsPerSourceAndPort) {
  Rule r;
  r.stateful.kind = StatefulSpec::Kind::kDistinct;
  r.stateful.group_by = {field("srcaddr"), field("dstport")};
  r.stateful.distinct_field = field("dstaddr");
  r.stateful.threshold = 4;
  r.stateful.window_ms = 5 * kMin;
  const int64_t s0 = kT0 / 1000;
  Harness h(r);
  std::vector<std::string> lines;
  for (int i = 0; i < 4; ++i) {
    lines.push_back(flow("198.51.100.9", "10.0.0." + std::to_string(i + 1), 445, s0 + i));
    lines.push_back(flow("198.51.100.9", "10.0.0." + std::to_string(i + 1), 3389, s0 + i));
  }
  lines.pop_back();  // port 3389 reaches only 3 hosts
  h.flow_file(lines);
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].group_key,
            "198.51.100.9\x1f"
            "445");
}

TEST(Distinct, FlowWithoutStartHasNoTime) {
  Rule r = port_scan_rule(1, kMin);
  Harness h(r);
  h.flow_file({"2 111122223333 eni-0a1b2c3d 198.51.100.9 10.0.0.5 40000 22 6 1 40 - - REJECT OK"});
  h.finish();
  EXPECT_EQ(h.op->stats().no_time_events, 1u);
  EXPECT_TRUE(h.rec.hits.empty());
}

// ---------------------------------------------------------------------------------------------
// First-seen baseline

Rule first_seen_rule() {
  Rule r;
  r.id = "firstseen";
  r.stateful.kind = StatefulSpec::Kind::kFirstSeen;
  r.stateful.group_by = {field("userIdentity.userName")};
  r.stateful.features = {field("eventName"), field("sourceIPAddress")};
  r.stateful.learning_ms = kHour;
  r.stateful.rare_fraction = 0.05;
  r.stateful.lateness_ms = 0;
  r.stateful.ttl_ms = 30 * 24 * kHour;
  return r;
}

TEST(FirstSeen, LearnsThenFlagsUnseenAndRareOnce) {
  Rule r = first_seen_rule();
  Harness h(r);
  std::vector<std::string> evs;
  // Learning: 18 × (GetObject, ip1), 1 × (PutObject, ip2), and a new combination at 59 min.
  for (int i = 0; i < 18; ++i) {
    evs.push_back(
        ct("l" + std::to_string(10 + i), kT0 + i * kMin, "GetObject", "alice", "10.0.0.1"));
  }
  evs.push_back(ct("l50", kT0 + 30 * kMin + 1, "PutObject", "alice", "10.0.0.2"));
  evs.push_back(ct("l59", kT0 + 59 * kMin, "ListBuckets", "alice", "10.0.0.1"));
  // Exactly at the end of learning: known and frequent → nothing.
  evs.push_back(ct("p1", kT0 + kHour, "GetObject", "alice", "10.0.0.1"));
  // Unseen combination of a frequent API and an unseen address.
  evs.push_back(ct("p2", kT0 + kHour + 1, "GetObject", "alice", "192.0.2.66"));
  // Seen once in 22 events (4.5% < 5%): RARE, fires once only.
  evs.push_back(ct("p3", kT0 + kHour + 2, "PutObject", "alice", "10.0.0.2"));
  evs.push_back(ct("p4", kT0 + kHour + 3, "PutObject", "alice", "10.0.0.2"));
  h.ct_events(evs);
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 2u);
  const StateHit& unseen = h.rec.hits[0];
  EXPECT_EQ(unseen.sample_id, "p2");
  EXPECT_EQ(unseen.group_key, "alice");
  EXPECT_EQ(unseen.unusual_json,
            "{\"profiledBehavior\":{\"eventName\":{\"FREQUENT\":[\"GetObject\"],"
            "\"RARE\":[\"ListBuckets\",\"PutObject\"]},\"sourceIPAddress\":{\"FREQUENT\":"
            "[\"10.0.0.1\"],\"RARE\":[\"10.0.0.2\"]}},\"unusualBehavior\":{\"eventName\":"
            "\"GetObject\",\"sourceIPAddress\":\"192.0.2.66\"},\"unusualProfile\":{\"eventName\":"
            "\"FREQUENT\",\"sourceIPAddress\":\"UNSEEN\"},\"combination\":{\"profileSubtype\":"
            "\"UNSEEN\",\"count\":0,\"observations\":21,\"rareFraction\":0.05,"
            "\"frequentFraction\":0.1},\"learningPeriod\":{\"startMs\":1705276800000,"
            "\"endMs\":1705280400000}}");
  EXPECT_EQ(unseen.vars[0], (std::pair<std::string, std::string>{"profile", "UNSEEN"}));
  const StateHit& rare = h.rec.hits[1];
  EXPECT_EQ(rare.sample_id, "p3");
  EXPECT_EQ(rare.vars[0], (std::pair<std::string, std::string>{"profile", "RARE"}));
  EXPECT_NE(rare.unusual_json.find("\"profileSubtype\":\"RARE\",\"count\":1,\"observations\":22"),
            std::string::npos);
}

TEST(FirstSeen, EachEntityHasItsOwnLearningPeriod) {
  Rule r = first_seen_rule();
  Harness h(r);
  h.ct_events({ct("a1", kT0, "GetObject", "alice"), ct("b1", kT0 + 2 * kHour, "GetObject", "bob"),
               ct("a2", kT0 + 2 * kHour + 1, "DeleteBucket", "alice"),
               ct("b2", kT0 + 2 * kHour + 2, "DeleteBucket", "bob")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);  // bob is still learning
  EXPECT_EQ(h.rec.hits[0].sample_id, "a2");
}

TEST(FirstSeen, EntitiesAreBoundedWithLru) {
  Rule r = first_seen_rule();
  r.stateful.max_keys = 3;
  Harness h(r);
  std::vector<std::string> evs;
  for (int i = 0; i < 10; ++i) {
    evs.push_back(ct("e" + std::to_string(i), kT0 + i, "GetObject", "user" + std::to_string(i)));
  }
  h.ct_events(evs);
  h.finish();
  EXPECT_EQ(h.op->stats().keys, 3u);
  EXPECT_EQ(h.op->stats().cap_evictions, 7u);
}

TEST(FirstSeen, CombinationsPerEntityAreBounded) {
  Rule r = first_seen_rule();
  r.stateful.max_combinations = 4;
  r.stateful.learning_ms = 10;
  Harness h(r);
  std::vector<std::string> evs;
  evs.push_back(ct("x0", kT0, "Api0"));
  // After learning: 6 new APIs each fire; Api0 is forgotten (LRU) and fires when it returns.
  for (int i = 1; i <= 6; ++i)
    evs.push_back(ct("x" + std::to_string(i), kT0 + 100 + i, "Api" + std::to_string(i)));
  evs.push_back(ct("x7", kT0 + 200, "Api0"));
  evs.push_back(ct("x8", kT0 + 201, "Api6"));  // remembered and alerted: no hit
  h.ct_events(evs);
  h.finish();
  EXPECT_EQ(h.rec.hits.size(), 7u);
}

TEST(FirstSeen, ManyValuesPerEntityAreIndexedAndForgottenLeastRecentFirst) {
  // Above 16 values a counter indexes them in a hash table; the cap still drops the least
  // recently seen, and a snapshot taken in that state gives the same hits as one run.
  Rule r = first_seen_rule();
  r.stateful.max_combinations = 24;
  r.stateful.learning_ms = 10;
  std::vector<std::string> first;
  first.push_back(ct("base", kT0, "Base"));
  // After learning: 40 new APIs each fire; the profile keeps the last 24 (Api16..Api39).
  for (int i = 0; i < 40; ++i) {
    first.push_back(ct("n" + std::to_string(i), kT0 + 100 + i, "Api" + std::to_string(i), "alice"));
  }
  const std::vector<std::string> second = {
      ct("k39", kT0 + 200, "Api39"),  // kept and alerted: nothing
      ct("k20", kT0 + 201, "Api20"),  // kept: nothing
      ct("d5", kT0 + 202, "Api5"),    // forgotten: UNSEEN again (Api16 is dropped for it)
      ct("d16", kT0 + 203, "Api16"),  // forgotten just now: fires (Api17 dropped)
      ct("d17", kT0 + 204, "Api17"),  // fires
      ct("k21", kT0 + 205, "Api21"),  // kept: nothing
  };
  Harness one(r);
  one.ct_events(first);
  one.ct_events(second);
  one.finish();
  ASSERT_EQ(one.rec.hits.size(), 43u);
  EXPECT_EQ(one.rec.hits[40].sample_id, "d5");
  EXPECT_EQ(one.rec.hits[41].sample_id, "d16");
  EXPECT_EQ(one.rec.hits[42].sample_id, "d17");
  // The profile of the sample lists the most frequent values first, ties by value.
  EXPECT_NE(one.rec.hits[42].unusual_json.find("\"observations\":45"), std::string::npos)
      << one.rec.hits[42].unusual_json;

  Harness part1(r);
  part1.ct_events(first);
  std::string saved;
  part1.op->save(&saved);
  Harness part2(r);
  std::string error;
  ASSERT_TRUE(part2.op->restore(saved, &error)) << error;
  std::string again;
  part2.op->save(&again);
  EXPECT_EQ(again, saved);
  part2.ct_events(second);
  part2.finish();
  std::vector<std::string> joined = part1.rec.lines;
  joined.insert(joined.end(), part2.rec.lines.begin(), part2.rec.lines.end());
  EXPECT_EQ(joined, one.rec.lines);
}

TEST(FirstSeen, TheUnusualEventCarriesItsFieldsAtTheEndOfLearning) {
  // Events inside the learning period are captured without their template fields; the first
  // one at the end of learning (t = start + learning) must have them.
  Rule r = first_seen_rule();
  Template::Part p;
  p.is_field = true;
  p.field = field("sourceIPAddress");
  r.title.parts.push_back(p);
  Harness h(r);
  h.ct_events({ct("l1", kT0, "GetObject", "alice", "10.0.0.1"),
               ct("l2", kT0 + kMin, "GetObject", "alice", "10.0.0.1"),
               ct("u1", kT0 + kHour, "GetObject", "alice", "192.0.2.66")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].sample_id, "u1");
  EXPECT_EQ(h.rec.hits[0].sample_fields,
            (std::vector<std::pair<std::string, std::string>>{{"sourceIPAddress", "192.0.2.66"},
                                                              {"account", "111122223333"},
                                                              {"region", "us-east-1"}}));
}

// ---------------------------------------------------------------------------------------------
// Ordered sequence

Rule sequence_rule(std::vector<std::string> names, int64_t window) {
  Rule r;
  r.id = "sequence";
  r.stateful.kind = StatefulSpec::Kind::kSequence;
  r.stateful.group_by = {field("userIdentity.userName")};
  r.stateful.window_ms = window;
  for (const auto& n : names) {
    r.stateful.steps.push_back(name_is(n));
    r.stateful.step_names.push_back(n);
  }
  return r;
}

TEST(Sequence, InOrderWithinWindowFires) {
  Rule r = sequence_rule({"CreateUser", "AttachUserPolicy"}, 10 * kMin);
  Harness h(r);
  h.ct_events({ct("s1", kT0, "CreateUser"), ct("s2", kT0 + 10 * kMin, "AttachUserPolicy")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].evidence, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(h.rec.hits[0].vars[0],
            (std::pair<std::string, std::string>{"steps", "CreateUser -> AttachUserPolicy"}));
  EXPECT_EQ(h.rec.hits[0].first_seen_ms, kT0);
  EXPECT_EQ(h.rec.hits[0].last_seen_ms, kT0 + 10 * kMin);
}

TEST(Sequence, TooLateOrWrongOrderDoesNot) {
  Rule r = sequence_rule({"CreateUser", "AttachUserPolicy"}, 10 * kMin);
  Harness late(r);
  late.ct_events({ct("s1", kT0, "CreateUser"), ct("s2", kT0 + 10 * kMin + 1, "AttachUserPolicy")});
  late.finish();
  EXPECT_TRUE(late.rec.hits.empty());
  Harness order(r);
  order.ct_events({ct("s1", kT0 + 1, "CreateUser"), ct("s2", kT0, "AttachUserPolicy")});
  order.finish();
  EXPECT_TRUE(order.rec.hits.empty());
  Harness other_user(r);
  other_user.ct_events(
      {ct("s1", kT0, "CreateUser", "alice"), ct("s2", kT0 + 1, "AttachUserPolicy", "bob")});
  other_user.finish();
  EXPECT_TRUE(other_user.rec.hits.empty());
}

TEST(Sequence, StepMasksKeptByFieldTextGiveTheEvaluatedResult) {
  // Steps over eventName only keep their masks by the name's text; the same steps made
  // uncacheable (an OR with a comparison of a field read from the JSON, never true) are
  // evaluated on every event. Both give the same hits, including for events with an empty
  // name (evaluated, not looked up) and across many distinct names.
  Rule cached = sequence_rule({"A", "B", "C"}, 10 * kMin);
  Rule evaluated = cached;
  for (Predicate& step : evaluated.stateful.steps) {
    Predicate never;
    never.kind = Predicate::Kind::kCompare;
    never.field = field("requestParameters.neverThere");
    never.op = CmpOp::kEq;
    never.strings = {"x"};
    step = Predicate::any_of({step, never});
  }
  std::mt19937 rng(11);
  const std::vector<std::string> names = {"A", "B", "C", "", "a", "D", "Other"};
  std::vector<std::string> evs;
  for (int i = 0; i < 4000; ++i) {
    std::string name = names[rng() % names.size()];
    if (rng() % 8 == 0) name = "N" + std::to_string(rng() % 6000);  // many distinct names
    evs.push_back(
        ct("q" + std::to_string(i), kT0 + i * 7 * kSec, name, "user" + std::to_string(rng() % 5)));
  }
  Harness a(cached);
  Harness b(evaluated);
  for (std::size_t i = 0; i < evs.size(); i += 50) {
    const std::vector<std::string> file(evs.begin() + i,
                                        evs.begin() + std::min(evs.size(), i + 50));
    a.ct_file(file);
    b.ct_file(file);
  }
  a.finish();
  b.finish();
  EXPECT_GT(a.rec.hits.size(), 20u);
  EXPECT_EQ(a.rec.lines, b.rec.lines);
  EXPECT_EQ(a.op->stats().events, b.op->stats().events);
}

TEST(Sequence, ThreeStepsUseTheLatestStart) {
  Rule r = sequence_rule({"A", "B", "C"}, 10 * kMin);
  Harness h(r);
  // A at 0, A at 5, B at 11 (too late for the first A), C at 14: A(5) B(11) C(14) fires.
  h.ct_events({ct("a0", kT0, "A"), ct("a5", kT0 + 5 * kMin, "A"), ct("b11", kT0 + 11 * kMin, "B"),
               ct("c14", kT0 + 14 * kMin, "C"), ct("c15", kT0 + 15 * kMin, "C")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].evidence, (std::vector<std::string>{"a5", "b11", "c14"}));
}

TEST(Sequence, TheSampleIsTheLastStepWithItsFields) {
  // Only the last step's captures keep the template fields; the hit's fields are that event's.
  Rule r = sequence_rule({"A", "B", "C"}, 10 * kMin);
  Template::Part p;
  p.is_field = true;
  p.field = field("sourceIPAddress");
  r.title.parts.push_back(p);
  Harness h(r);
  h.ct_events(
      {ct("a", kT0, "A", "alice", "10.0.0.1"), ct("b", kT0 + 1, "B", "alice", "10.0.0.2"),
       ct("c", kT0 + 2, "C", "alice", "10.0.0.3"), ct("a2", kT0 + 3, "A", "alice", "10.0.0.4"),
       ct("b2", kT0 + 4, "B", "alice", "10.0.0.5"), ct("c2", kT0 + 5, "C", "alice", "10.0.0.6")});
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 2u);
  EXPECT_EQ(h.rec.hits[1].evidence, (std::vector<std::string>{"a2", "b2", "c2"}));
  EXPECT_EQ(
      h.rec.hits[0].sample_fields,
      (std::vector<std::pair<std::string, std::string>>{
          {"sourceIPAddress", "10.0.0.3"}, {"account", "111122223333"}, {"region", "us-east-1"}}));
  EXPECT_EQ(
      h.rec.hits[1].sample_fields,
      (std::vector<std::pair<std::string, std::string>>{
          {"sourceIPAddress", "10.0.0.6"}, {"account", "111122223333"}, {"region", "us-east-1"}}));
}

// ---------------------------------------------------------------------------------------------
// Volume anomaly

Rule volume_rule(uint32_t warmup) {
  Rule r;
  r.id = "volume";
  r.stateful.kind = StatefulSpec::Kind::kVolume;
  r.stateful.group_by = {field("srcaddr")};
  r.stateful.volume_field = field("bytes");
  r.stateful.interval_ms = kHour;
  r.stateful.z_threshold = 6;
  r.stateful.warmup_intervals = warmup;
  r.stateful.history_intervals = 24;
  return r;
}

std::vector<std::string> hourly(const std::vector<uint64_t>& sums,
                                const std::string& src = "10.0.0.5") {
  std::vector<std::string> lines;
  const int64_t s0 = kT0 / 1000;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    if (sums[i] == 0) continue;
    // Two flows per hour, to exercise the sum.
    lines.push_back(
        flow(src, "203.0.113.50", 443, s0 + static_cast<int64_t>(i) * 3600 + 60, sums[i] / 2));
    lines.push_back(flow(src, "203.0.113.51", 443, s0 + static_cast<int64_t>(i) * 3600 + 120,
                         sums[i] - sums[i] / 2));
  }
  return lines;
}

TEST(Volume, SpikeAfterWarmupFiresWithTheModel) {
  Rule r = volume_rule(6);
  Harness h(r);
  h.flow_file(hourly({1000, 1100, 900, 1000, 1050, 950, 50000}));
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  const StateHit& hit = h.rec.hits[0];
  // History 1000 1100 900 1000 1050 950: median 1000, MAD 50, threshold 1000 + 6×1.4826×50.
  EXPECT_EQ(hit.unusual_json,
            "{\"profiledBehavior\":{\"profileType\":\"VOLUME\",\"median\":1000,\"mad\":50,"
            "\"threshold\":1444.78,\"zThreshold\":6,\"minVolume\":0,\"intervals\":6,"
            "\"intervalMs\":3600000},\"unusualBehavior\":{\"field\":\"bytes\",\"sum\":50000,"
            "\"bucketStartMs\":1705298400000,\"bucketEndMs\":1705302000000,\"events\":2}}");
  EXPECT_EQ(hit.count, 2u);
  EXPECT_EQ(hit.first_seen_ms, kT0 + 6 * kHour + 60 * kSec);
  EXPECT_EQ(hit.vars[0], (std::pair<std::string, std::string>{"value", "50000"}));
}

TEST(Volume, NoVerdictDuringWarmup) {
  Rule r = volume_rule(6);
  Harness h(r);
  h.flow_file(hourly({1000, 1100, 900, 1000, 1050, 50000}));
  h.finish();
  EXPECT_TRUE(h.rec.hits.empty());
}

TEST(Volume, EmptyBucketsCountAsZerosAndTheFloorHolds) {
  Rule r = volume_rule(5);
  r.stateful.min_volume = 5000;
  std::vector<uint64_t> sums(12, 0);
  sums[0] = 100;
  sums[11] = 4000;  // above median 0 + 0, below the floor
  Harness below(r);
  below.flow_file(hourly(sums));
  below.finish();
  EXPECT_TRUE(below.rec.hits.empty());
  sums[11] = 6000;
  Harness above(r);
  above.flow_file(hourly(sums));
  above.finish();
  ASSERT_EQ(above.rec.hits.size(), 1u);
  EXPECT_NE(above.rec.hits[0].unusual_json.find("\"median\":0,\"mad\":0"), std::string::npos);
}

TEST(Volume, EarlierSpikesDoNotRaiseTheBar) {
  Rule r = volume_rule(8);
  Harness h(r);
  // Two earlier bursts stay in the history; the median and MAD barely move, so the third fires.
  h.flow_file(hourly({1000, 90000, 1000, 1100, 900, 95000, 1000, 1000, 1050, 80000}));
  h.finish();
  ASSERT_EQ(h.rec.hits.size(), 1u);
  EXPECT_EQ(h.rec.hits[0].first_seen_ms, kT0 + 9 * kHour + 60 * kSec);
}

TEST(Volume, EventForAClosedBucketIsLate) {
  Rule r = volume_rule(1);
  r.stateful.lateness_ms = 10 * kMin;
  Harness h(r);
  const int64_t s0 = kT0 / 1000;
  h.flow_file({flow("10.0.0.5", "203.0.113.50", 443, s0 + 3000, 100)});
  h.flow_file({flow("10.0.0.5", "203.0.113.50", 443, s0 + 3600 + 1200, 100)});  // wm = 1:10
  // In bucket 0 (closed at 1:00) but newer than wm - interval: accepted, then found late.
  h.flow_file({flow("10.0.0.5", "203.0.113.50", 443, s0 + 3500, 100)});
  h.finish();
  StateStats s = h.op->stats();
  EXPECT_EQ(s.late_events, 1u);
  EXPECT_EQ(s.events, 2u);
}

// ---------------------------------------------------------------------------------------------
// Order independence: one data set, files read in 20 shuffled orders within the lateness.

struct Timed {
  int64_t t;
  std::string record;
};

std::vector<Timed> mixed_events() {
  std::mt19937_64 rng(7);
  std::vector<Timed> out;
  const char* users[] = {"alice", "bob", "carol", "dave"};
  const char* ips[] = {"10.0.0.1", "10.0.0.2", "198.51.100.7", "203.0.113.9"};
  const char* names[] = {"ConsoleLogin", "CreateUser", "AttachUserPolicy", "GetObject",
                         "DeleteBucket"};
  for (int i = 0; i < 600; ++i) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (8 * kHour));
    // Bursts: a tenth of events repeat a neighbour's time exactly (ties by id).
    if (i % 10 == 9) t = out.back().t;
    std::string u = users[rng() % 4];
    std::string ip = ips[rng() % (u == "alice" ? 2 : 4)];
    std::string n = names[rng() % 5];
    std::string params =
        "{\"bytes\":" + std::to_string(100 + rng() % 900 + (i % 97 == 0 ? 50000 : 0)) + "}";
    char id[16];
    std::snprintf(id, sizeof id, "ev-%04d", i);
    out.push_back({t, ct(id, t, n, u, ip, params)});
  }
  return out;
}

std::vector<Rule> all_rules() {
  std::vector<Rule> rules;
  Rule t = threshold_rule(4, 10 * kMin);
  rules.push_back(t);
  Rule d;
  d.id = "distinct";
  d.stateful.kind = StatefulSpec::Kind::kDistinct;
  d.stateful.group_by = {field("userIdentity.userName")};
  d.stateful.distinct_field = field("eventName");
  d.stateful.threshold = 4;
  d.stateful.window_ms = 20 * kMin;
  rules.push_back(d);
  Rule f;
  f.id = "firstseen";
  f.stateful.kind = StatefulSpec::Kind::kFirstSeen;
  f.stateful.group_by = {field("userIdentity.userName")};
  f.stateful.features = {field("eventName"), field("sourceIPAddress")};
  f.stateful.learning_ms = 2 * kHour;
  f.stateful.rare_fraction = 0.05;
  rules.push_back(f);
  Rule s = sequence_rule({"CreateUser", "AttachUserPolicy", "DeleteBucket"}, 30 * kMin);
  rules.push_back(s);
  Rule v;
  v.id = "volume";
  v.stateful.kind = StatefulSpec::Kind::kVolume;
  v.stateful.group_by = {field("userIdentity.userName")};
  v.stateful.volume_field = field("requestParameters.bytes");
  v.stateful.interval_ms = 15 * kMin;
  v.stateful.warmup_intervals = 4;
  v.stateful.z_threshold = 3;
  rules.push_back(v);
  Rule capped = threshold_rule(2, 5 * kMin);
  capped.id = "capped";
  capped.stateful.max_keys = 3;
  rules.push_back(capped);
  // Templates name fields: the hit carries their values from the sample event.
  for (Rule& r : rules) {
    Template::Part p;
    p.is_field = true;
    p.field = field("eventName");
    r.title.parts.push_back(p);
  }
  return rules;
}

std::string run(const Rule& rule, const std::vector<std::vector<std::string>>& files) {
  Harness h(rule);
  for (const auto& f : files) h.ct_file(f);
  h.finish();
  std::string out;
  for (const auto& l : h.rec.lines) out += l + "\n";
  StateStats s = h.op->stats();
  out += "keys=" + std::to_string(s.keys) + " evictions=" + std::to_string(s.evictions) +
         " late=" + std::to_string(s.late_events) + " events=" + std::to_string(s.events) +
         " hits=" + std::to_string(s.hits);
  return out;
}

// Twenty orders; five under the sanitizers (SENTINEL_SANITIZED: many times slower), where the
// point is memory and undefined-behaviour errors on the same paths.
#ifdef SENTINEL_SANITIZED
constexpr int kShuffledRounds = 5;
#else
constexpr int kShuffledRounds = 20;
#endif

TEST(OrderIndependence, TwentyShuffledFileOrdersGiveIdenticalHits) {
  std::vector<Timed> evs = mixed_events();
  // 5-minute files, like CloudTrail's delivery.
  std::vector<std::vector<Timed>> files;
  std::vector<Timed> sorted = evs;
  std::sort(sorted.begin(), sorted.end(), [](const Timed& a, const Timed& b) { return a.t < b.t; });
  for (const Timed& e : sorted) {
    std::size_t f = static_cast<std::size_t>((e.t - kT0) / (5 * kMin));
    if (files.size() <= f) files.resize(f + 1);
    files[f].push_back(e);
  }
  std::vector<std::vector<std::string>> in_order;
  for (const auto& f : files) {
    in_order.emplace_back();
    for (const Timed& e : f) in_order.back().push_back(e.record);
  }
  for (const Rule& rule : all_rules()) {
    const std::string expected = run(rule, in_order);
    RecordProperty(rule.id + "_hits",
                   static_cast<int>(std::count(expected.begin(), expected.end(), '\n')));
    ASSERT_NE(expected.find('|'), std::string::npos) << rule.id << ": the data set must raise hits";
    EXPECT_NE(expected.find("eventName="), std::string::npos);
    EXPECT_NE(expected.find(" late=0 "), std::string::npos) << expected;
    for (int round = 0; round < kShuffledRounds; ++round) {
      std::mt19937_64 rng(1000 + round);
      // Each file is read at most 8 minutes (jitter) after its start: files up to 8 minutes newer
      // may come first, so the newest time seen is < 13 minutes past any unread event: within the
      // 15-minute lateness. Records inside a file are shuffled too.
      std::vector<std::pair<int64_t, std::size_t>> order;
      for (std::size_t i = 0; i < files.size(); ++i) {
        order.emplace_back(
            static_cast<int64_t>(i) * 5 * kMin + static_cast<int64_t>(rng() % (8 * kMin)), i);
      }
      std::sort(order.begin(), order.end());
      std::vector<std::vector<std::string>> shuffled;
      for (const auto& [key, i] : order) {
        shuffled.push_back(in_order[i]);
        std::shuffle(shuffled.back().begin(), shuffled.back().end(), rng);
      }
      EXPECT_EQ(run(rule, shuffled), expected) << rule.id << " round " << round;
    }
  }
}

TEST(OrderIndependence, AdvanceFromTheEngineClosesWindows) {
  Rule r = volume_rule(1);
  r.stateful.lateness_ms = kHour;
  Harness h(r);
  h.flow_file(hourly({1000, 1000, 90000}));
  EXPECT_TRUE(h.rec.hits.empty());  // the last bucket is still open behind the lateness
  h.op->advance(kT0 + 3 * kHour, h.rec);
  EXPECT_EQ(h.rec.hits.size(), 1u);
  h.finish();
  EXPECT_EQ(h.rec.hits.size(), 1u);
}

// The sequence operator's flat state (a block of fixed partials per key, the ids in one arena
// per operator, compacted when mostly dead, blocks of evicted keys reused) against the plain
// algorithm over a model LRU table: many users, few keys allowed, long ids so the arena is
// compacted many times, and the same run with a save and restore into a fresh operator between
// every file, which must give the same hits and the same final snapshot.
struct SequenceModelPartial {
  bool valid = false;
  int64_t start = 0;
  int64_t last = 0;
  std::vector<std::string> ids;
};

// `id_of(i, rng)`: the id of the i-th event.
void check_sequence_against_model(const std::function<std::string(int, std::mt19937&)>& id_of) {
  const std::vector<std::string> names = {"ListBuckets", "CreateUser", "StopLogging"};
  Rule r = sequence_rule(names, 10 * kMin);
  r.stateful.max_keys = 40;
  const std::size_t nsteps = names.size();
  const int64_t ttl = 2 * r.stateful.window_ms;
  std::mt19937 rng(7);
  struct Ev {
    std::string id;
    int64_t t;
    std::string user;
    std::size_t step;
  };
  std::vector<Ev> evs;
  for (int i = 0; i < 6000; ++i) {
    const std::size_t step = rng() % 10 < 6 ? 0 : (rng() % 2 == 0 ? 1 : 2);
    std::string id = id_of(i, rng);
    evs.push_back({std::move(id), kT0 + i * 7 * kSec, "u" + std::to_string(rng() % 120), step});
  }

  // The plain algorithm: per key a vector of partials with their ids as strings, in an LRU list.
  struct Key {
    std::string user;
    int64_t last;
    std::vector<SequenceModelPartial> done;
  };
  std::list<Key> lru;  // most recently used first
  std::vector<std::string> expected;
  uint64_t evictions = 0;
  for (const Ev& e : evs) {
    while (!lru.empty() && lru.back().last + ttl < e.t) {
      lru.pop_back();
      ++evictions;
    }
    auto it = std::find_if(lru.begin(), lru.end(), [&](const Key& k) { return k.user == e.user; });
    if (it != lru.end()) {
      lru.splice(lru.begin(), lru, it);
    } else {
      while (lru.size() >= r.stateful.max_keys) {
        lru.pop_back();
        ++evictions;
      }
      lru.push_front({e.user, e.t, std::vector<SequenceModelPartial>(nsteps)});
    }
    Key& k = lru.front();
    k.last = std::max(k.last, e.t);
    const std::size_t s = e.step;
    const SequenceModelPartial* prev = s > 0 ? &k.done[s - 1] : nullptr;
    if (prev != nullptr &&
        (!prev->valid || e.t - prev->start > r.stateful.window_ms ||
         !(prev->last < e.t || (prev->last == e.t && prev->ids.back() < e.id)))) {
      continue;
    }
    std::vector<std::string> ids = prev != nullptr ? prev->ids : std::vector<std::string>{};
    ids.push_back(e.id);
    const int64_t start = prev != nullptr ? prev->start : e.t;
    if (s + 1 == nsteps) {
      std::string line = e.user + "|" + std::to_string(start) + "|" + std::to_string(e.t) + "|";
      for (const auto& id : ids) line += id + ",";
      expected.push_back(line);
      for (auto& p : k.done) p = SequenceModelPartial{};
      continue;
    }
    SequenceModelPartial& slot = k.done[s];
    if (!slot.valid || start >= slot.start) slot = {true, start, e.t, std::move(ids)};
  }
  ASSERT_GT(expected.size(), 20u);
  ASSERT_GT(evictions, 100u);

  auto brief = [](const StateHit& h) {
    std::string line = h.group_key + "|" + std::to_string(h.first_seen_ms) + "|" +
                       std::to_string(h.last_seen_ms) + "|";
    for (const auto& id : h.evidence) line += id + ",";
    return line;
  };
  auto records = [&](std::size_t from, std::size_t to) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < to; ++i) {
      out.push_back(ct(evs[i].id, evs[i].t, names[evs[i].step], evs[i].user));
    }
    return out;
  };
  constexpr std::size_t kPerFile = 250;

  Harness straight(r);
  for (std::size_t i = 0; i < evs.size(); i += kPerFile) {
    straight.ct_file(records(i, std::min(evs.size(), i + kPerFile)));
  }
  straight.finish();
  std::vector<std::string> got;
  for (const StateHit& h : straight.rec.hits) got.push_back(brief(h));
  EXPECT_EQ(got, expected);
  EXPECT_EQ(straight.op->stats().evictions, evictions);

  Harness split(r);
  for (std::size_t i = 0; i < evs.size(); i += kPerFile) {
    split.ct_file(records(i, std::min(evs.size(), i + kPerFile)));
    std::string bytes;
    split.op->save(&bytes);
    split.op = make_operator(r);
    std::string error;
    ASSERT_TRUE(split.op->restore(bytes, &error)) << error;
  }
  split.finish();
  ASSERT_EQ(split.rec.lines, straight.rec.lines);
  std::string a;
  std::string b;
  straight.op->save(&a);
  split.op->save(&b);
  EXPECT_EQ(a, b);
}

TEST(Sequence, FlatStateMatchesThePlainAlgorithmWithEvictionAndSnapshots) {
  check_sequence_against_model([](int i, std::mt19937&) {
    return "evt-" + std::string(30, 'x') + "-" + std::to_string(100000 + i);
  });
}

// A partial's ids are overwritten in place when the new ones take the same bytes, appended
// otherwise: ids of 1 to 3 lengths (equal and unequal replacements mixed, a step extended into a
// slot whose old partial is longer or shorter) give the plain algorithm's hits and snapshots.
TEST(Sequence, IdsReplacedInPlaceOrAppendedMatchThePlainAlgorithm) {
  check_sequence_against_model([](int i, std::mt19937& rng) {
    return "e" + std::string(rng() % 3 * 7, 'y') + "-" + std::to_string(100000 + i);
  });
  check_sequence_against_model([](int i, std::mt19937& rng) {
    return "id-" + std::to_string(100000 + i) + std::string(rng() % 2, 'z');
  });
}

TEST(MakeOperator, NoneGivesNull) {
  Rule r;
  EXPECT_EQ(make_operator(r), nullptr);
}

}  // namespace
}  // namespace sentinel::detect
