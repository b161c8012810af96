// policy_exposure, fields_differ and aws_network: the functions the IAM/S3 policy, credential
// exfiltration and cross-account rules call.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "detect/event_view.h"
#include "detect/functions/aws_network.h"
#include "detect/functions/policy.h"
#include "detect/functions/registry.h"
#include "enrich/aws_ranges.h"
#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::detect {
namespace {

using functions::classify_policy_json;
using functions::PolicyExposure;

PolicyExposure classify(const std::string& json, const std::string& own = "111122223333") {
  PolicyExposure e = PolicyExposure::kNone;
  EXPECT_TRUE(classify_policy_json(json, own, &e)) << json;
  return e;
}

TEST(PolicyExposure, WildcardAllowIsAnonymous) {
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
      "Resource":"arn:aws:s3:::b/*"}]})"),
            PolicyExposure::kAnonymous);
  EXPECT_EQ(classify(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*"}})"),
            PolicyExposure::kAnonymous);
  EXPECT_EQ(
      classify(
          R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]}}]})"),
      PolicyExposure::kAnonymous);
  EXPECT_EQ(
      classify(
          R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/x"}}]})"),
      PolicyExposure::kAnonymous);
}

TEST(PolicyExposure, DenyAndRestrictedWildcardsAreNot) {
  // The usual "deny plain HTTP" statement names everyone, but denies.
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
      "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:GetObject"}]})"),
            PolicyExposure::kNone);
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
      "Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]})"),
            PolicyExposure::kNone);
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":"*",
      "Condition":{"StringEquals":{"AWS:PrincipalOrgID":"o-abc"}}}]})"),
            PolicyExposure::kNone);
  // A condition that does not narrow who may call leaves it open.
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":"*",
      "Condition":{"Bool":{"aws:SecureTransport":"true"}}}]})"),
            PolicyExposure::kAnonymous);
}

TEST(PolicyExposure, ForeignAccountsAreCrossAccount) {
  EXPECT_EQ(
      classify(
          R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"}}]})"),
      PolicyExposure::kCrossAccount);
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"999988887777"}}]})"),
            PolicyExposure::kCrossAccount);
  EXPECT_EQ(
      classify(
          R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/x"}}]})"),
      PolicyExposure::kNone);
  EXPECT_EQ(classify(R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},
      "Action":"sts:AssumeRole"}]})"),
            PolicyExposure::kNone);
  // Without the owner's account a named account cannot be called foreign.
  EXPECT_EQ(
      classify(
          R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"}}]})",
          ""),
      PolicyExposure::kNone);
}

TEST(PolicyExposure, UrlEncodedAndBrokenDocuments) {
  EXPECT_EQ(classify("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%"
                     "22%2A%22%7D%5D%7D"),
            PolicyExposure::kAnonymous);
  PolicyExposure e;
  EXPECT_FALSE(classify_policy_json("not json", "", &e));
  EXPECT_FALSE(classify_policy_json(R"({"Version":"2012-10-17"})", "", &e));
  EXPECT_FALSE(classify_policy_json("%7B%2", "", &e));  // cut short
}

// Runs `fn` on each CloudTrail record of `json` (a {"Records":[...]} body).
class Sink : public ingest::EventSink {
 public:
  explicit Sink(std::function<void(const EventView&)> fn) : fn_(std::move(fn)) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView v(e, scratch_.get());
    fn_(v);
    ++events;
  }
  void on_flow(const ingest::FlowRecord&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  int events = 0;
  int rejects = 0;

 private:
  std::function<void(const EventView&)> fn_;
  EventView::ScratchPtr scratch_ = EventView::make_scratch();
};

void each_event(const std::string& record, const std::function<void(const EventView&)>& fn) {
  ingest::ParseOptions po;
  po.forced_type = ingest::LogType::kCloudTrail;
  ingest::Reader reader(po);
  Sink sink(fn);
  reader.read_bytes("test.json", "{\"Records\":[" + record + "]}", sink);
  EXPECT_EQ(sink.rejects, 0);
  EXPECT_EQ(sink.events, 1);
}

FieldRef field(const char* name) {
  FieldRef f;
  std::string error;
  EXPECT_TRUE(FieldRef::parse(name, &f, &error)) << error;
  return f;
}

// The function `name` of the registry over `fields` of the one event in `record`: its text
// (booleans as true/false), or "<none>".
std::string call(const FunctionRegistry& reg, const char* name, const std::string& record,
                 std::vector<const char*> fields) {
  std::string result = "<none>";
  const Function* fn = reg.find(name);
  EXPECT_NE(fn, nullptr) << name;
  if (fn == nullptr) return result;
  std::vector<FieldRef> args;
  for (const char* f : fields) args.push_back(field(f));
  each_event(record, [&](const EventView& ev) {
    Value v;
    std::string buf;
    if (!fn->call(ev, args, &v, &buf)) return;
    result = v.kind == Value::Kind::kBool ? (v.boolean ? "true" : "false") : std::string(v.str);
  });
  return result;
}

const char* const kPutBucketPolicy =
    R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","eventSource":"s3.amazonaws.com",
    "eventName":"PutBucketPolicy","awsRegion":"us-east-1","recipientAccountId":"111122223333",
    "eventType":"AwsApiCall","sourceIPAddress":"203.0.113.5",
    "userIdentity":{"type":"IAMUser","accountId":"111122223333"},
    "requestParameters":{"bucketName":"b","bucketPolicy":{"Version":"2012-10-17",
    "Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},
    "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}})";

const char* const kUpdateAssumeRolePolicy =
    R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","eventSource":"iam.amazonaws.com",
    "eventName":"UpdateAssumeRolePolicy","awsRegion":"us-east-1","recipientAccountId":"111122223333",
    "eventType":"AwsApiCall","sourceIPAddress":"10.0.0.5","vpcEndpointId":"vpce-1",
    "userIdentity":{"type":"IAMUser","accountId":"111122223333"},
    "requestParameters":{"roleName":"r","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"}})";

TEST(PolicyExposureFunction, ReadsObjectsAndJsonStringsInTheRecord) {
  const auto& reg = FunctionRegistry::builtin();
  EXPECT_EQ(call(reg, "policy_exposure", kPutBucketPolicy,
                 {"requestParameters.bucketPolicy", "recipientAccountId"}),
            "cross_account");
  EXPECT_EQ(call(reg, "policy_exposure", kPutBucketPolicy, {"requestParameters.bucketPolicy"}),
            "none");
  EXPECT_EQ(call(reg, "policy_exposure", kUpdateAssumeRolePolicy,
                 {"requestParameters.policyDocument", "recipientAccountId"}),
            "anonymous");
  EXPECT_EQ(call(reg, "policy_exposure", kPutBucketPolicy, {"requestParameters.missing"}),
            "<none>");
  EXPECT_EQ(call(reg, "policy_exposure", kPutBucketPolicy, {"requestParameters.bucketName"}),
            "<none>");
}

TEST(FieldsDiffer, ComparesTwoFieldsOfOneEvent) {
  const auto& reg = FunctionRegistry::builtin();
  EXPECT_EQ(call(reg, "fields_differ", kPutBucketPolicy,
                 {"recipientAccountId", "userIdentity.accountId"}),
            "false");
  EXPECT_EQ(call(reg, "fields_differ", kPutBucketPolicy, {"recipientAccountId", "sourceIPAddress"}),
            "true");
  EXPECT_EQ(call(reg, "fields_differ", kPutBucketPolicy, {"recipientAccountId", "nope"}), "<none>");
}

TEST(AwsNetwork, NeedsTheRangesAndClassifiesAddresses) {
  EXPECT_EQ(call(FunctionRegistry::builtin(), "aws_network", kPutBucketPolicy, {"sourceIPAddress"}),
            "<none>");
  enrich::AwsRanges ranges;
  ASSERT_TRUE(
      ranges.load_file(std::string(SENTINEL_SOURCE_DIR) + "/tests/fixtures/enrich/ip-ranges.json"));
  FunctionRegistry reg = FunctionRegistry::with_enrichment({&ranges, nullptr, nullptr});
  EXPECT_EQ(call(reg, "aws_network", kPutBucketPolicy, {"sourceIPAddress"}), "external");
  EXPECT_EQ(call(reg, "aws_network", kUpdateAssumeRolePolicy, {"sourceIPAddress"}), "private");
  std::string in_aws = kPutBucketPolicy;
  in_aws.replace(in_aws.find("203.0.113.5"), 11, "198.51.100.7");
  EXPECT_EQ(call(reg, "aws_network", in_aws, {"sourceIPAddress"}), "aws");
  std::string service = kPutBucketPolicy;
  service.replace(service.find("203.0.113.5"), 11, "ec2.amazonaws.com");
  EXPECT_EQ(call(reg, "aws_network", service, {"sourceIPAddress"}), "<none>");
}

}  // namespace
}  // namespace sentinel::detect
