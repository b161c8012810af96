#include "findings/finding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "findings/aggregator.h"
#include "findings/formats/guardduty.h"

namespace sentinel::findings {
namespace {

Finding occurrence(const std::string& group, int64_t t, std::vector<std::string> evidence) {
  Finding f;
  f.rule_id = "iam.root_console_login";
  f.id = finding_id(f.rule_id, group);
  f.type = "Policy:IAMUser/RootCredentialUsage";
  f.severity = 2;
  f.title = "Root credentials used";
  f.description = "The root user signed in.";
  f.account_id = "123456789012";
  f.region = "us-east-1";
  f.resource_json = R"({"resourceType":"AccessKey","accessKeyDetails":{"userName":"Root"}})";
  f.action_json = R"({"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"ConsoleLogin"}})";
  f.first_seen_ms = f.last_seen_ms = f.created_ms = f.updated_ms = t;
  f.evidence_total = evidence.size();
  f.evidence = std::move(evidence);
  return f;
}

TEST(FindingId, DeterministicLowercaseHex) {
  EXPECT_EQ(finding_id("rule.x", "acct=1"), "00a35ce4ebdc5fe98bae18292b72be16");
  EXPECT_EQ(finding_id("rule.x", "acct=1"), finding_id("rule.x", "acct=1"));
  std::string id = finding_id("r", "k");
  ASSERT_EQ(id.size(), 32u);
  EXPECT_TRUE(std::all_of(id.begin(), id.end(),
                          [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
  EXPECT_NE(finding_id("r", "k1"), finding_id("r", "k2"));
  // The separator keeps rule and key apart.
  EXPECT_NE(finding_id("ab", "c"), finding_id("a", "bc"));
}

TEST(SeverityLabel, BandEdges) {
  EXPECT_EQ(severity_label(0), "Low");
  EXPECT_EQ(severity_label(0.5), "Low");
  EXPECT_EQ(severity_label(std::nan("")), "Low");
  EXPECT_EQ(severity_label(1.0), "Low");
  EXPECT_EQ(severity_label(3.9), "Low");
  EXPECT_EQ(severity_label(3.95), "Low");
  EXPECT_EQ(severity_label(4.0), "Medium");
  EXPECT_EQ(severity_label(6.9), "Medium");
  EXPECT_EQ(severity_label(7.0), "High");
  EXPECT_EQ(severity_label(8.9), "High");
  EXPECT_EQ(severity_label(9.0), "Critical");
  EXPECT_EQ(severity_label(10.0), "Critical");
}

TEST(FindingMerge, CountsTimesEvidenceIntelSeverity) {
  Finding a = occurrence("g", 1000, {"e1", "e2"});
  a.threat_intel = {{"listB", {"x"}}};
  Finding b = occurrence("g", 5000, {"e3"});
  b.severity = 5;
  b.count = 3;
  b.evidence_total = 7;
  b.threat_intel = {{"listA", {"y"}}, {"listB", {"z", "x"}}};
  a.merge(b);
  EXPECT_EQ(a.count, 4u);
  EXPECT_EQ(a.first_seen_ms, 1000);
  EXPECT_EQ(a.last_seen_ms, 5000);
  EXPECT_EQ(a.created_ms, 1000);
  EXPECT_EQ(a.updated_ms, 5000);
  EXPECT_EQ(a.severity, 5);
  EXPECT_EQ(a.evidence, (std::vector<std::string>{"e1", "e2", "e3"}));
  EXPECT_EQ(a.evidence_total, 9u);
  ASSERT_EQ(a.threat_intel.size(), 2u);
  EXPECT_EQ(a.threat_intel[0].list_name, "listA");
  EXPECT_EQ(a.threat_intel[1].list_name, "listB");
  EXPECT_EQ(a.threat_intel[1].threat_names, (std::vector<std::string>{"x", "z"}));
}

TEST(FindingMerge, EvidenceCappedKeepingEarliest) {
  std::vector<std::string> first, second;
  for (int i = 0; i < 15; ++i) first.push_back(std::string("a") + std::to_string(i));
  for (int i = 0; i < 15; ++i) second.push_back(std::string("b") + std::to_string(i));
  Finding early = occurrence("g", 1000, first);
  Finding late = occurrence("g", 2000, second);
  // Arriving late first: the earlier occurrence's ids still lead.
  Finding x = late;
  x.merge(early);
  ASSERT_EQ(x.evidence.size(), Finding::kMaxEvidence);
  EXPECT_EQ(x.evidence.front(), "a0");
  EXPECT_EQ(x.evidence[14], "a14");
  EXPECT_EQ(x.evidence[15], "b0");
  EXPECT_EQ(x.evidence_total, 30u);
  Finding y = early;
  y.merge(late);
  EXPECT_EQ(x.evidence, y.evidence);
}

TEST(FindingMerge, EarliestOccurrenceDescribesAndArchivedNeedsBoth) {
  Finding early = occurrence("g", 1000, {});
  Finding late = occurrence("g", 2000, {});
  late.description = "later text";
  late.archived = true;
  late.suppressed_by = "r1";
  Finding x = late;
  x.merge(early);
  EXPECT_EQ(x.description, "The root user signed in.");
  EXPECT_FALSE(x.archived);
  EXPECT_TRUE(x.suppressed_by.empty());

  Finding a = occurrence("g", 1000, {});
  a.archived = true;
  a.suppressed_by = "zeta";
  Finding b = occurrence("g", 2000, {});
  b.archived = true;
  b.suppressed_by = "alpha";
  a.merge(b);
  EXPECT_TRUE(a.archived);
  EXPECT_EQ(a.suppressed_by, "alpha");
}

std::string render_all(const std::vector<Finding>& fs) {
  std::string out;
  for (const Finding& f : fs) {
    write_guardduty(f, &out);
    out.push_back('\n');
  }
  return out;
}

TEST(Aggregator, FoldsById) {
  Aggregator agg;
  EXPECT_TRUE(agg.add(occurrence("g1", 3000, {"c"})));
  EXPECT_TRUE(agg.add(occurrence("g1", 1000, {"a"})));
  EXPECT_TRUE(agg.add(occurrence("g2", 2000, {"b"})));
  EXPECT_EQ(agg.size(), 2u);
  std::vector<Finding> out = agg.take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, finding_id("iam.root_console_login", "g1"));  // created 1000
  EXPECT_EQ(out[0].count, 2u);
  EXPECT_EQ(out[0].created_ms, 1000);
  EXPECT_EQ(out[0].updated_ms, 3000);
  EXPECT_EQ(out[0].evidence, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(out[1].created_ms, 2000);
  EXPECT_EQ(agg.size(), 0u);
}

TEST(Aggregator, SameCreatedTimeOrdersById) {
  Aggregator agg;
  for (int i = 0; i < 10; ++i) agg.add(occurrence(std::string("g") + std::to_string(i), 1000, {}));
  std::vector<Finding> out = agg.take();
  ASSERT_EQ(out.size(), 10u);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].id, out[i].id);
}

TEST(Aggregator, OutputIndependentOfArrivalOrder) {
  std::mt19937 rng(42);
  std::vector<Finding> input;
  for (int i = 0; i < 300; ++i) {
    int group = static_cast<int>(rng() % 25);
    int64_t t = 1'700'000'000'000 + static_cast<int64_t>(rng() % 50) * 1000;  // ties on purpose
    std::vector<std::string> ev;
    int n = static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) ev.push_back(std::string("ev-") + std::to_string(rng() % 1000));
    Finding f = occurrence(std::string("g") + std::to_string(group), t, ev);
    f.severity = static_cast<double>(rng() % 90) / 10 + 1;
    f.description = "variant " + std::to_string(rng() % 3);  // descriptions differ per occurrence
    if (rng() % 5 == 0) f.threat_intel = {{std::string("list") + std::to_string(rng() % 3), {"t"}}};
    input.push_back(std::move(f));
  }
  std::string expected;
  {
    Aggregator agg;
    for (const Finding& f : input) agg.add(f);
    expected = render_all(agg.take());
  }
  ASSERT_FALSE(expected.empty());
  for (int round = 0; round < 20; ++round) {
    std::shuffle(input.begin(), input.end(), rng);
    Aggregator agg;
    for (const Finding& f : input) agg.add(f);
    EXPECT_EQ(render_all(agg.take()), expected) << "round " << round;
  }
}

TEST(Aggregator, CapCountsOverflowAndStillFolds) {
  Aggregator agg(2);
  EXPECT_TRUE(agg.add(occurrence("a", 1, {})));
  EXPECT_TRUE(agg.add(occurrence("b", 2, {})));
  EXPECT_FALSE(agg.add(occurrence("c", 3, {})));
  EXPECT_TRUE(agg.add(occurrence("a", 4, {})));  // known id: folds despite the cap
  EXPECT_EQ(agg.overflow(), 1u);
  EXPECT_EQ(agg.added(), 3u);
  std::vector<Finding> out = agg.take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].count, 2u);
  EXPECT_EQ(Aggregator::kDefaultMaxFindings, 1'000'000u);
}

}  // namespace
}  // namespace sentinel::findings
