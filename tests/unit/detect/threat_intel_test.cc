// threatIntelligenceDetails end to end: a rule matching through `in_list` on real ListStore
// lists raises a finding that names the list AND the threat names of the matching entries
// (an OTX CSV row's description; a TXT entry has none), in GuardDuty's shape
// service.evidence.threatIntelligenceDetails[{threatListName, threatNames[]}].
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/rules/native.h"
#include "enrich/lists.h"
#include "findings/formats/guardduty.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {
namespace {

using enrich::ListFormat;
using enrich::ListKind;
using enrich::ListStore;

std::string event(const std::string& id, const std::string& ip) {
  return ct("\"eventID\":\"" + id +
            "\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ListUsers\","
            "\"sourceIPAddress\":\"" +
            ip + "\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"mallory\"}");
}

std::vector<findings::Finding> detect_with(const ListStore& lists, const std::string& rule_yaml,
                                           const std::vector<std::string>& recs) {
  detect::EngineOptions opts;
  opts.lists = &lists;
  std::vector<std::string> errors;
  detect::Engine engine({rule(rule_yaml, detect::RuleDefs{})}, opts, &errors);
  EXPECT_TRUE(errors.empty());
  feed(
      ingest::LogType::kCloudTrail, records(recs),
      [&](const detect::EventView& v) { engine.on_event(v); }, "t.json");
  engine.end_of_input_object();
  engine.finish();
  return engine.take_findings();
}

class ThreatIntelDetails : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two rows for one address range with different descriptions, one for another address,
    // and a TXT list holding the same address (TXT lines carry no names).
    auto otx = lists_.load_text({"otx", ListKind::kThreat, "OTX pulse 42"},
                                "Indicator type,Indicator,Description\n"
                                "IPv4,203.0.113.9,Cobalt Strike C2\n"
                                "CIDR,203.0.113.0/24,\"Scanner, mass exploitation\"\n"
                                "IPv4,198.51.100.7,Tor exit relay\n",
                                ListFormat::kOtxCsv, "otx.csv");
    ASSERT_TRUE(otx.ok()) << otx.error().message;
    ASSERT_TRUE(otx->problems.empty());
    auto txt = lists_.load_text({"blocklist", ListKind::kThreat, "Team blocklist"},
                                "203.0.113.9\n# comment\n192.0.2.0/24\n", ListFormat::kTxt,
                                "blocklist.txt");
    ASSERT_TRUE(txt.ok()) << txt.error().message;
  }
  ListStore lists_;
};

TEST_F(ThreatIntelDetails, OtxEntryDescriptionsBecomeThreatNames) {
  auto fs =
      detect_with(lists_,
                  "id: ti.otx\ntype: \"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom\"\n"
                  "match: {sourceIPAddress: {in_list: otx}}\n",
                  {event("e1", "203.0.113.9")});
  ASSERT_EQ(fs.size(), 1u);
  ASSERT_EQ(fs[0].threat_intel.size(), 1u);
  EXPECT_EQ(fs[0].threat_intel[0].list_name, "OTX pulse 42");
  // Both entries holding the address (the host and its /24), sorted.
  EXPECT_EQ(fs[0].threat_intel[0].threat_names,
            (std::vector<std::string>{"Cobalt Strike C2", "Scanner, mass exploitation"}));
  std::string json;
  findings::write_guardduty(fs[0], &json);
  EXPECT_NE(json.find("\"evidence\":{\"threatIntelligenceDetails\":[{\"threatListName\":\"OTX "
                      "pulse 42\",\"threatNames\":[\"Cobalt Strike C2\",\"Scanner, mass "
                      "exploitation\"]}]}"),
            std::string::npos)
      << json;
}

TEST_F(ThreatIntelDetails, TxtListHasNoThreatNames) {
  auto fs =
      detect_with(lists_,
                  "id: ti.txt\ntype: \"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom\"\n"
                  "match: {sourceIPAddress: {in_list: blocklist}}\n",
                  {event("e1", "203.0.113.9")});
  ASSERT_EQ(fs.size(), 1u);
  ASSERT_EQ(fs[0].threat_intel.size(), 1u);
  EXPECT_EQ(fs[0].threat_intel[0].list_name, "Team blocklist");
  EXPECT_TRUE(fs[0].threat_intel[0].threat_names.empty());
}

TEST_F(ThreatIntelDetails, AnyThreatListAndFoldedOccurrencesUniteNames) {
  // `@threat` reports the first threat list holding the value; two occurrences of one finding
  // (same parameters) with different matching entries fold into one with both names.
  auto fs =
      detect_with(lists_,
                  "id: ti.any\ntype: \"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom\"\n"
                  "match: {sourceIPAddress: {in_list: \"@threat\"}}\n"
                  "group_by: [userIdentity.userName]\n",
                  {event("e1", "198.51.100.7"), event("e2", "203.0.113.77")});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].count, 2u);
  ASSERT_EQ(fs[0].threat_intel.size(), 1u);
  EXPECT_EQ(fs[0].threat_intel[0].list_name, "OTX pulse 42");
  EXPECT_EQ(fs[0].threat_intel[0].threat_names,
            (std::vector<std::string>{"Scanner, mass exploitation", "Tor exit relay"}));
}

TEST_F(ThreatIntelDetails, TrustedAddressIsNoThreat) {
  ASSERT_TRUE(lists_
                  .load_text({"ours", ListKind::kTrusted, ""}, "203.0.113.9\n", ListFormat::kTxt,
                             "ours.txt")
                  .ok());
  auto fs =
      detect_with(lists_,
                  "id: ti.otx\ntype: \"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom\"\n"
                  "match: {sourceIPAddress: {in_list: otx}}\n",
                  {event("e1", "203.0.113.9")});
  EXPECT_TRUE(fs.empty());
}

}  // namespace
}  // namespace sentinel::testing::dt
