// Presence bits (CloudTrailEvent::present, FieldRef::ct_present): `exists` of a path the
// CloudTrail parser records answers from the bits exactly what the walk over the record's tree
// answers, over the public corpus and crafted records (members null, repeated, of other types,
// userIdentity repeated or null, EventBridge envelopes, Insights), read with trees first, with
// the typed walk, and skipped.
#include <random>
#include <string>
#include <vector>

#include "detect/ct_fields.h"
#include "detect/event_view.h"
#include "test_support.h"
#include "unit/ingest/ct_documents.h"

namespace sentinel::testing::presence {

namespace {

// The paths under test: every one with a presence bit, and their near neighbours (walked).
std::vector<std::string> presence_test_paths() {
  std::vector<std::string> p;
  for (const auto& e : detect::kCtPresencePaths) p.emplace_back(e.path);
  p.insert(p.end(), {"userIdentity", "eventVersion", "vpcEndpointId", "detail.errorCode",
                     "userIdentity.sessionContext.sessionIssuer.arn", "['errorCode']"});
  return p;
}

// For every CloudTrail event: each path's `exists` as the view answers it (bits first), with a
// memo and without, against the walk over the tree (the same path with no bit and no typed field).
class PresenceCheck : public ct_documents::CloudTrailOnlySink {
 public:
  PresenceCheck() : scratch_(detect::EventView::make_scratch()) {
    for (const std::string& path : presence_test_paths()) {
      detect::FieldRef f;
      std::string err;
      EXPECT_TRUE(detect::FieldRef::parse(path, &f, &err)) << err;
      detect::FieldRef walked = f;
      walked.ct_present = 0;
      walked.ct_field = -1;
      detect::FieldRef interned = f;
      memo_.intern(&interned);
      fields_.push_back(f);
      walked_.push_back(walked);
      interned_.push_back(interned);
    }
  }
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    ++events;
    if ((e.present & ingest::kCtMembersKnown) != 0) ++known;
    detect::EventView view(e, scratch_.get());
    memo_.next_event();
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const bool want = view.exists(walked_[i]);
      present += want ? 1 : 0;
      from_bits += fields_[i].ct_present != 0 && (e.present & ingest::kCtMembersKnown) != 0;
      EXPECT_EQ(view.exists(fields_[i]), want) << fields_[i].text << " in " << e.raw;
      EXPECT_EQ(view.exists(interned_[i], &memo_), want) << fields_[i].text << " in " << e.raw;
    }
  }
  void on_reject(const Reject&) override { ++rejects; }

  int events = 0, known = 0, present = 0, from_bits = 0, rejects = 0;

 private:
  detect::EventView::ScratchPtr scratch_;
  detect::PathMemo memo_;
  std::vector<detect::FieldRef> fields_, walked_, interned_;
};

// Reads `data` (or the file `path`) trees first, with the typed walk, and with everything
// skipped that lacks `needle`; returns the events answered from bits.
int presence_check_all_ways(const std::string& path, const std::string& data) {
  int from_bits = 0;
  const std::vector<std::string> needles = {"AccessDenied"};
  for (int way = 0; way < 3; ++way) {
    ingest::ParseOptions o;
    o.typed_walk = way == 1;
    if (way == 2) o.skip_unless = &needles;
    PresenceCheck check;
    ct_documents::read_as_cloudtrail(path, data, o, check);
    from_bits += check.from_bits;
    if (::testing::Test::HasFailure()) break;
  }
  return from_bits;
}

std::string presence_ct(const std::string& members) {
  return R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z",)"
         R"("eventSource":"s3.amazonaws.com",)" +
         members + "}";
}

TEST(Presence, ExistsFromBitsAsTheTreeOnCraftedRecords) {
  const std::vector<std::string> records = {
      presence_ct(R"("eventName":"A","errorCode":null,"vpcEndpointAccountId":null)"),
      presence_ct(R"("eventName":null,"errorCode":"x","errorCode":null,"vpcEndpointAccountId":5)"),
      presence_ct(R"("vpcEndpointAccountId":{"a":1},"awsRegion":null,"eventID":null)"),
      presence_ct(R"("userIdentity":null,"errorMessage":null,"userAgent":null)"),
      presence_ct(R"("userIdentity":{"invokedBy":null,"type":null,"arn":null,"accountId":null,)"
                  R"("accessKeyId":null,"userName":null,"principalId":null}")"),
      presence_ct(R"("userIdentity":{},"userIdentity":{"invokedBy":"s3.amazonaws.com"})"),
      presence_ct(R"("userIdentity":null,"userIdentity":{"invokedBy":"x","type":"Root"})"),
      presence_ct(R"("userIdentity":{"invokedBy":"x"},"userIdentity":{"type":"Root"})"),
      presence_ct(R"("userIdentity":{"invokedBy":"x","invokedBy":null},"userIdentity":null)"),
      presence_ct(R"("userIdentity":{"sessionContext":{"sessionIssuer":{"arn":null}}})"),
      presence_ct(R"("recipientAccountId":null,"eventCategory":null,"eventType":null,)"
                  R"("sourceIPAddress":null,"eventName":"B")"),
      // Wrong types of typed fields: rejected, no event.
      presence_ct(R"("errorCode":5)"),
      presence_ct(R"("userIdentity":{"invokedBy":[1]})"),
      presence_ct(R"("userIdentity":"someone")"),
      // Insights: eventName and eventSource only inside insightDetails.
      R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","eventCategory":"Insight",)"
      R"("insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com",)"
      R"("eventName":"RunInstances","insightType":"ApiCallRateInsight"}})",
      // An EventBridge envelope: the record is `detail`; the envelope's members are not.
      R"({"version":"0","detail-type":"AWS API Call via CloudTrail","errorCode":"outer",)"
      R"("userIdentity":{"invokedBy":"outer"},"detail":{"eventVersion":"1.08",)"
      R"("eventTime":"2024-01-15T02:00:00Z","eventSource":"s3.amazonaws.com",)"
      R"("eventName":"C","vpcEndpointAccountId":null}})",
      // An escaped key: the walk leaves it to the tree, the tree unescapes it.
      presence_ct(R"("eventName":"D","error\u0043ode":null,"userIdentity":{"invoked\u0042y":"x"})"),
      // AccessDenied: kept when the others are skipped.
      presence_ct(R"("eventName":"E","errorCode":"AccessDenied","userIdentity":null)"),
  };
  std::string body;
  for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
  EXPECT_GT(presence_check_all_ways("t.json", "{\"Records\":[" + body + "]}"), 100);
  // The same records one per line (NDJSON).
  std::string lines;
  for (const std::string& r : records) lines += r + "\n";
  EXPECT_GT(presence_check_all_ways("t.json", lines), 100);
  // And ct_documents' varied records with their typed-field changes and damages.
  std::mt19937 rng(7);
  std::vector<std::string> recs;
  for (int i = 0; i < 400; ++i) recs.push_back(ct_documents::record(rng, i));
  for (int k = 0; k < 60; ++k) ct_documents::damage(rng, &recs[rng() % recs.size()]);
  body.clear();
  for (std::size_t i = 0; i < recs.size(); ++i) body += (i ? "," : "") + recs[i];
  EXPECT_GT(presence_check_all_ways("t.json", "{\"Records\":[" + body + "]}"), 1000);
}

TEST(Presence, ExistsFromBitsAsTheTreeOnTheCorpus) {
  SENTINEL_REQUIRE_CORPUS(dir);
  int files = 0, from_bits = 0;
  for (const std::string& p : ct_documents::corpus_cloudtrail_files(dir)) {
    ++files;
    from_bits += presence_check_all_ways(p, "");
    if (HasFailure()) return;
  }
  EXPECT_GT(files, 10);
  EXPECT_GT(from_bits, 1000);
}

}  // namespace
}  // namespace sentinel::testing::presence
