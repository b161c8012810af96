// The Sigma front end: rules for CloudTrail compiled to the predicate IR and evaluated on
// CloudTrail records read through the ingest pipeline.
#include "detect/rules/sigma.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <new>

#include "detect/event_view.h"
#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

using detect::EventView;
using detect::Rule;

/// One Scratch for the whole test binary.
EventView::Scratch* shared_scratch() {
  static EventView::ScratchPtr s = EventView::make_scratch();
  return s.get();
}

/// Evaluates one predicate on every CloudTrail event it is given.
class EvalSink : public ingest::EventSink {
 public:
  explicit EvalSink(const Rule& r) : rule_(r) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView ev(e, shared_scratch());
    results.push_back(rule_.match.eval(ev, detect::EvalContext{}));
  }
  void on_flow(const ingest::FlowRecord&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }

  std::vector<bool> results;
  int rejects = 0;

 private:
  const Rule& rule_;
};

/// A CloudTrail record with the envelope filled in and `body` (JSON members) added.
std::string rec(const std::string& body) {
  return R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","awsRegion":"us-east-1","eventID":"e-1","recipientAccountId":"111122223333",)" +
         body + "}";
}

bool matches(const Rule& r, const std::string& body) {
  EvalSink sink(r);
  ingest::Reader reader(ingest::ParseOptions{});
  reader.read_bytes("t.json", "{\"Records\":[" + rec(body) + "]}", sink);
  EXPECT_EQ(sink.rejects, 0) << body;
  EXPECT_EQ(sink.results.size(), 1u) << body;
  return !sink.results.empty() && sink.results[0];
}

const char* kHead = R"(title: Test Rule
id: t-1
logsource:
  product: aws
  service: cloudtrail
level: high
)";

Rule load1(const std::string& detection) {
  std::vector<Rule> rules;
  std::string err;
  std::string text = std::string(kHead) + "detection:\n" + detection;
  EXPECT_TRUE(detect::load_sigma(text, "test.yml", &rules, &err)) << err << "\n" << text;
  if (rules.size() != 1) {
    ADD_FAILURE() << "expected one rule";
    return Rule{};
  }
  return rules[0];
}

std::string load_error(const std::string& text) {
  std::vector<Rule> rules;
  std::string err;
  EXPECT_FALSE(detect::load_sigma(text, "bad.yml", &rules, &err)) << text;
  EXPECT_TRUE(rules.empty());
  return err;
}

std::string detection_error(const std::string& detection) {
  return load_error(std::string(kHead) + "detection:\n" + detection);
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// Every error names the file, the rule (title and id) and the feature.
void expect_names_rule(const std::string& err) {
  EXPECT_HAS(err, "bad.yml");
  EXPECT_HAS(err, "Test Rule");
  EXPECT_HAS(err, "t-1");
}

// ---------------------------------------------------------------------------------------------
// Skeleton

TEST(Sigma, SkeletonFields) {
  std::vector<Rule> rules;
  std::string err;
  std::string text = R"(title: 'Trail {logging} stopped: by someone'
id: 0b2a5c1e-7d0f-4c7e-9a51-3e8f2d6b7c10
status: test
description: Someone stopped {a} trail.
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: cloudtrail.amazonaws.com
    eventName: [StopLogging, DeleteTrail]
  condition: sel
level: critical
)";
  ASSERT_TRUE(detect::load_sigma(text, "f.yml", &rules, &err)) << err;
  ASSERT_EQ(rules.size(), 1u);
  const Rule& r = rules[0];
  EXPECT_EQ(r.id, "0b2a5c1e-7d0f-4c7e-9a51-3e8f2d6b7c10");
  EXPECT_EQ(r.type, "Sigma:CloudTrail/TrailLoggingStoppedBySomeone");
  EXPECT_EQ(r.title.render(nullptr, {}), "Trail {logging} stopped: by someone");
  EXPECT_EQ(r.description.render(nullptr, {}), "Someone stopped {a} trail.");
  EXPECT_DOUBLE_EQ(r.severity.value, 9.5);
  ASSERT_EQ(r.log_types.size(), 1u);
  EXPECT_EQ(r.log_types[0], ingest::LogType::kCloudTrail);
  EXPECT_EQ(r.tags, (std::vector<std::string>{"attack.defense-evasion", "attack.t1562.008"}));
  EXPECT_EQ(r.index_names, (std::vector<std::string>{"stoplogging", "deletetrail"}));
  EXPECT_EQ(r.source, "f.yml");
  EXPECT_TRUE(r.enabled);
}

TEST(Sigma, IdFallsBackToNameThenSlug) {
  std::vector<Rule> rules;
  std::string err;
  std::string text = R"(title: First One
name: first_one
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: A}, condition: sel}
---
title: Second  Rule (v2)!
logsource: {product: AWS, service: CloudTrail}
sentinel_type: Persistence:IAMUser/Backdoor
detection: {sel: {eventName: B}, condition: sel}
level: low
)";
  ASSERT_TRUE(detect::load_sigma(text, "m.yml", &rules, &err)) << err;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "first_one");
  EXPECT_EQ(rules[0].source, "m.yml#1");
  EXPECT_DOUBLE_EQ(rules[0].severity.value, 5.0);  // no level: medium
  EXPECT_EQ(rules[1].id, "second_rule_v2");
  EXPECT_EQ(rules[1].type, "Persistence:IAMUser/Backdoor");
  EXPECT_EQ(rules[1].source, "m.yml#2");
  EXPECT_DOUBLE_EQ(rules[1].severity.value, 2.0);
}

TEST(Sigma, Levels) {
  double v = 0;
  for (auto [name, want] : std::vector<std::pair<std::string, double>>{
           {"informational", 1}, {"low", 2}, {"medium", 5}, {"high", 8}, {"critical", 9.5}}) {
    ASSERT_TRUE(detect::sigma_level_severity(name, &v)) << name;
    EXPECT_DOUBLE_EQ(v, want);
  }
  EXPECT_FALSE(detect::sigma_level_severity("severe", &v));
  std::string err = load_error(R"(title: Test Rule
id: t-1
logsource: {product: aws, service: cloudtrail}
level: severe
detection: {sel: {eventName: A}, condition: sel}
)");
  expect_names_rule(err);
  EXPECT_HAS(err, "unknown level 'severe'");
}

TEST(Sigma, DeprecatedIsDisabled) {
  std::vector<Rule> rules;
  std::string err;
  ASSERT_TRUE(detect::load_sigma(R"(title: Old
status: deprecated
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: A}, condition: sel}
)",
                                 "d.yml", &rules, &err));
  EXPECT_FALSE(rules[0].enabled);
}

// ---------------------------------------------------------------------------------------------
// Values

TEST(Sigma, WholeValueCaseInsensitive) {
  Rule r = load1("  sel:\n    eventName: StopLogging\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("eventName":"StopLogging")"));
  EXPECT_TRUE(matches(r, R"("eventName":"stoplogging")"));
  EXPECT_FALSE(matches(r, R"("eventName":"StopLoggingX")"));
  EXPECT_FALSE(matches(r, R"("eventName":"XStopLogging")"));
  EXPECT_FALSE(matches(r, R"("eventSource":"s3.amazonaws.com")"));  // missing field
}

TEST(Sigma, MapIsAndListOfValuesIsOr) {
  Rule r = load1(R"(  sel:
    eventSource: iam.amazonaws.com
    eventName:
      - CreateUser
      - CreateAccessKey
  condition: sel
)");
  EXPECT_TRUE(matches(r, R"("eventSource":"iam.amazonaws.com","eventName":"CreateUser")"));
  EXPECT_TRUE(matches(r, R"("eventSource":"iam.amazonaws.com","eventName":"createaccesskey")"));
  EXPECT_FALSE(matches(r, R"("eventSource":"iam.amazonaws.com","eventName":"DeleteUser")"));
  EXPECT_FALSE(matches(r, R"("eventSource":"s3.amazonaws.com","eventName":"CreateUser")"));
  EXPECT_EQ(r.index_names, (std::vector<std::string>{"createuser", "createaccesskey"}));
}

TEST(Sigma, ListOfMapsIsOr) {
  Rule r = load1(R"(  sel:
    - eventName: A
      errorCode: AccessDenied
    - eventName: B
  condition: sel
)");
  EXPECT_TRUE(matches(r, R"("eventName":"A","errorCode":"AccessDenied")"));
  EXPECT_FALSE(matches(r, R"("eventName":"A")"));
  EXPECT_TRUE(matches(r, R"("eventName":"b")"));
  EXPECT_EQ(r.index_names, (std::vector<std::string>{"a", "b"}));
}

TEST(Sigma, Wildcards) {
  Rule r = load1(R"(  sel:
    userAgent: 'aws-cli/2.*'
    requestParameters.name: 'lay?r'
  condition: sel
)");
  EXPECT_TRUE(
      matches(r, R"("userAgent":"AWS-CLI/2.15 Python","requestParameters":{"name":"LAYER"})"));
  EXPECT_TRUE(matches(r, R"("userAgent":"aws-cli/2.","requestParameters":{"name":"layxr"})"));
  EXPECT_FALSE(matches(r, R"("userAgent":"aws-cli/1.0","requestParameters":{"name":"layer"})"));
  EXPECT_FALSE(matches(r, R"("userAgent":"aws-cli/2.1","requestParameters":{"name":"layeer"})"));
  EXPECT_TRUE(r.index_names.empty());
}

TEST(Sigma, InnerWildcardIsGlob) {
  Rule r = load1("  sel:\n    userAgent: 'a*b*c'\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("userAgent":"AxxBxxC")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"AxxBxxCd")"));
}

TEST(Sigma, WildcardEscapes) {
  // \* and \? are literal; \\* is a backslash then a wildcard; a lone \ is literal.
  Rule r = load1(R"(  sel1:
    a: 'x\*y'
  sel2:
    b: 'x\?y'
  sel3:
    c: 'x\\*'
  sel4:
    d: 'C:\Windows'
  sel5:
    e: 'p\\\*q'
  condition: 1 of sel*
)");
  EXPECT_TRUE(matches(r, R"("a":"x*y")"));
  EXPECT_FALSE(matches(r, R"("a":"xzy")"));
  EXPECT_FALSE(matches(r, R"("a":"xy")"));
  EXPECT_TRUE(matches(r, R"("b":"x?y")"));
  EXPECT_FALSE(matches(r, R"("b":"xzy")"));
  EXPECT_TRUE(matches(r, R"("c":"x\\anything")"));
  EXPECT_TRUE(matches(r, R"("c":"x\\")"));
  EXPECT_FALSE(matches(r, R"("c":"xanything")"));
  EXPECT_TRUE(matches(r, R"("d":"c:\\windows")"));
  EXPECT_TRUE(matches(r, R"("e":"p\\*q")"));
  EXPECT_FALSE(matches(r, R"("e":"p\\zq")"));
}

TEST(Sigma, EmptyStringAndNull) {
  Rule r = load1(R"(  empty:
    errorCode: ''
  nul:
    responseElements: null
  condition: empty and nul
)");
  EXPECT_TRUE(matches(r, R"("errorCode":"","responseElements":null)"));
  EXPECT_TRUE(matches(r, R"("errorCode":"")"));  // absent counts as null
  EXPECT_FALSE(matches(r, R"("errorCode":"","responseElements":{"x":1})"));
  EXPECT_FALSE(matches(r, R"("errorCode":"AccessDenied","responseElements":null)"));
}

TEST(Sigma, NullInAList) {
  Rule r = load1("  sel:\n    errorCode: [null, AccessDenied]\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("eventName":"X")"));
  EXPECT_TRUE(matches(r, R"("errorCode":"accessdenied")"));
  EXPECT_FALSE(matches(r, R"("errorCode":"Throttling")"));
}

TEST(Sigma, BooleansAndNumbersAsText) {
  Rule r = load1(R"(  sel:
    readOnly: false
    additionalEventData.MFAUsed: 'No'
    userIdentity.sessionContext.attributes.mfaAuthenticated: 'false'
    requestParameters.maxResults: 50
  condition: sel
)");
  EXPECT_TRUE(matches(
      r,
      R"("readOnly":false,"additionalEventData":{"MFAUsed":"No"},"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"maxResults":50})"));
  EXPECT_TRUE(matches(
      r,
      R"("readOnly":"FALSE","additionalEventData":{"MFAUsed":"no"},"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"maxResults":"50"})"));
  EXPECT_TRUE(matches(
      r,
      R"("readOnly":false,"additionalEventData":{"MFAUsed":"No"},"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"maxResults":50.0})"));
  EXPECT_FALSE(matches(
      r,
      R"("readOnly":true,"additionalEventData":{"MFAUsed":"No"},"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"maxResults":50})"));
  EXPECT_FALSE(matches(
      r,
      R"("readOnly":false,"additionalEventData":{"MFAUsed":"No"},"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"maxResults":51})"));
}

TEST(Sigma, ArrayValuesMatchAny) {
  Rule r = load1("  sel:\n    resources.ARN|contains: ':role/admin'\n  condition: sel\n");
  EXPECT_TRUE(
      matches(r, R"("resources":[{"ARN":"arn:aws:s3:::b"},{"ARN":"ARN:AWS:IAM::1:ROLE/ADMIN"}])"));
  EXPECT_FALSE(matches(r, R"("resources":[{"ARN":"arn:aws:s3:::b"}])"));
  // EC2's `items` lists are stepped through too; an array at the end is visited element-wise.
  Rule r2 = load1(R"(  sel:
    requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0
    requestParameters.names: b
  condition: sel
)");
  EXPECT_TRUE(matches(
      r2,
      R"("requestParameters":{"names":["a","b"],"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"},{"cidrIp":"0.0.0.0/0"}]}}]}})"));
  EXPECT_FALSE(matches(
      r2,
      R"("requestParameters":{"names":["a","b"],"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}})"));
}

// ---------------------------------------------------------------------------------------------
// Modifiers

TEST(Sigma, Contains) {
  Rule r = load1("  sel:\n    userAgent|contains: [Boto3, 'kali*linux']\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("userAgent":"x boto3/1.2 y")"));
  EXPECT_TRUE(matches(r, R"("userAgent":"Agent KALI-linux 6")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"aws-cli")"));
}

TEST(Sigma, StartsWithEndsWith) {
  Rule r = load1(R"(  a:
    userIdentity.arn|startswith: 'arn:aws:sts::'
  b:
    requestParameters.bucketName|endswith: '-backup'
  condition: a and b
)");
  EXPECT_TRUE(matches(
      r,
      R"("userIdentity":{"arn":"ARN:AWS:STS::1:assumed-role/x"},"requestParameters":{"bucketName":"data-BACKUP"})"));
  EXPECT_FALSE(matches(
      r,
      R"("userIdentity":{"arn":"x arn:aws:sts::1"},"requestParameters":{"bucketName":"data-backup"})"));
  EXPECT_FALSE(matches(
      r,
      R"("userIdentity":{"arn":"arn:aws:sts::1"},"requestParameters":{"bucketName":"data-backup2"})"));
}

TEST(Sigma, Cased) {
  Rule r = load1(
      "  sel:\n    eventName|cased: StopLogging\n  c:\n    userAgent|contains|cased: Boto\n  "
      "condition: sel or c\n");
  EXPECT_TRUE(matches(r, R"("eventName":"StopLogging")"));
  EXPECT_FALSE(matches(r, R"("eventName":"stoplogging")"));
  EXPECT_TRUE(matches(r, R"("userAgent":"xBotox")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"xbotox")"));
}

TEST(Sigma, AllModifier) {
  Rule r = load1("  sel:\n    userAgent|contains|all: [python, Boto3]\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("userAgent":"Boto3/1 Python/3")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"Boto3/1")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"python")"));
}

TEST(Sigma, AllModifierMixedOps) {
  // One value with a wildcard run inside, one starting with a text: both must match.
  Rule r = load1("  sel:\n    userAgent|all: ['*python*', 'boto*']\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("userAgent":"Boto3 Python")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"python boto")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"boto3")"));
}

TEST(Sigma, Regex) {
  Rule r = load1(R"(  a:
    userAgent|re: '^Boto3/1\.[0-9]+'
  b:
    requestParameters.name|re|i: 'evil'
  condition: a or b
)");
  EXPECT_TRUE(matches(r, R"("userAgent":"Boto3/1.28 Python")"));
  EXPECT_FALSE(matches(r, R"("userAgent":"boto3/1.28 Python")"));  // case-sensitive
  EXPECT_FALSE(matches(r, R"("userAgent":"x Boto3/1.28")"));
  EXPECT_TRUE(matches(r, R"("requestParameters":{"name":"an EVIL layer"})"));
}

TEST(Sigma, RegexRefusedWhenRe2CannotCompile) {
  std::string err = detection_error("  sel:\n    userAgent|re: '(?<=a)b'\n  condition: sel\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "RE2");
  EXPECT_HAS(err, "userAgent|re");
}

TEST(Sigma, Cidr) {
  Rule r =
      load1("  sel:\n    sourceIPAddress|cidr: [10.0.0.0/8, '2001:db8::/32']\n  condition: sel\n");
  EXPECT_TRUE(matches(r, R"("sourceIPAddress":"10.1.2.3")"));
  EXPECT_TRUE(matches(r, R"("sourceIPAddress":"2001:db8::1")"));
  EXPECT_FALSE(matches(r, R"("sourceIPAddress":"11.1.2.3")"));
  EXPECT_FALSE(matches(r, R"("sourceIPAddress":"AWS Internal")"));
}

TEST(Sigma, Exists) {
  Rule r = load1(R"(  has:
    errorCode|exists: true
  hasnt:
    userIdentity.invokedBy|exists: false
  condition: has and hasnt
)");
  EXPECT_TRUE(matches(r, R"("errorCode":"AccessDenied")"));
  EXPECT_FALSE(matches(r, R"("eventName":"X")"));
  EXPECT_FALSE(
      matches(r, R"("errorCode":"AccessDenied","userIdentity":{"invokedBy":"s3.amazonaws.com"})"));
}

TEST(Sigma, NumericComparisons) {
  Rule r = load1(R"(  a:
    requestParameters.durationSeconds|gte: 3600
  b:
    requestParameters.durationSeconds|lt: 43200
  condition: a and b
)");
  EXPECT_TRUE(matches(r, R"("requestParameters":{"durationSeconds":3600})"));
  EXPECT_TRUE(matches(r, R"("requestParameters":{"durationSeconds":"7200"})"));
  EXPECT_FALSE(matches(r, R"("requestParameters":{"durationSeconds":900})"));
  EXPECT_FALSE(matches(r, R"("requestParameters":{"durationSeconds":43200})"));
  Rule r2 = load1("  a:\n    x|gt: 1.5\n  b:\n    y|lte: -2\n  condition: a or b\n");
  EXPECT_TRUE(matches(r2, R"("x":2)"));
  EXPECT_FALSE(matches(r2, R"("x":1.5)"));
  EXPECT_TRUE(matches(r2, R"("y":-2)"));
  EXPECT_FALSE(matches(r2, R"("y":-1)"));
}

TEST(Sigma, Neq) {
  Rule r = load1(
      "  sel:\n    eventName: ConsoleLogin\n    userIdentity.type|neq: [Root, AssumedRole]\n  "
      "condition: sel\n");
  EXPECT_TRUE(matches(r, R"("eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"})"));
  EXPECT_FALSE(matches(r, R"("eventName":"ConsoleLogin","userIdentity":{"type":"root"})"));
  EXPECT_FALSE(matches(r, R"("eventName":"ConsoleLogin","userIdentity":{"type":"AssumedRole"})"));
  // A missing field is not "different": like `!=` elsewhere, it does not match.
  EXPECT_FALSE(matches(r, R"("eventName":"ConsoleLogin")"));
  Rule r2 = load1("  sel:\n    userAgent|contains|neq: [boto, 'cli*2']\n  condition: sel\n");
  EXPECT_TRUE(matches(r2, R"("userAgent":"console.amazonaws.com")"));
  EXPECT_FALSE(matches(r2, R"("userAgent":"Boto3")"));
  EXPECT_FALSE(matches(r2, R"("userAgent":"aws-cli/2.1")"));
}

// ---------------------------------------------------------------------------------------------
// Conditions

const char* kABC = R"(  a:
    x: '1'
  b:
    y: '1'
  c:
    z: '1'
)";

std::string ev(bool a, bool b, bool c) {
  std::string s = R"("eventName":"E")";
  if (a) s += R"(,"x":"1")";
  if (b) s += R"(,"y":"1")";
  if (c) s += R"(,"z":"1")";
  return s;
}

void expect_truth_table(const Rule& r, bool (*f)(bool, bool, bool)) {
  for (int m = 0; m < 8; ++m) {
    bool a = m & 1, b = m & 2, c = m & 4;
    EXPECT_EQ(matches(r, ev(a, b, c)), f(a, b, c)) << "a=" << a << " b=" << b << " c=" << c;
  }
}

TEST(Sigma, PrecedenceOrAndNot) {
  Rule r = load1(std::string(kABC) + "  condition: a or b and not c\n");
  expect_truth_table(r, [](bool a, bool b, bool c) { return a || (b && !c); });
}

TEST(Sigma, Parentheses) {
  Rule r = load1(std::string(kABC) + "  condition: (a or b) and not c\n");
  expect_truth_table(r, [](bool a, bool b, bool c) { return (a || b) && !c; });
  Rule r2 = load1(std::string(kABC) + "  condition: not (a and (b or c))\n");
  expect_truth_table(r2, [](bool a, bool b, bool c) { return !(a && (b || c)); });
}

TEST(Sigma, NotNot) {
  Rule r = load1(std::string(kABC) + "  condition: not not a and b\n");
  expect_truth_table(r, [](bool a, bool b, bool) { return a && b; });
}

TEST(Sigma, ConditionList) {
  Rule r = load1(std::string(kABC) + "  condition:\n    - a and b\n    - c\n");
  expect_truth_table(r, [](bool a, bool b, bool c) { return (a && b) || c; });
}

TEST(Sigma, OneOfAllOfPattern) {
  const std::string d = R"(  sel_a:
    x: '1'
  sel_b:
    y: '1'
  filter:
    z: '1'
)";
  Rule one = load1(d + "  condition: 1 of sel_* and not filter\n");
  expect_truth_table(one, [](bool a, bool b, bool c) { return (a || b) && !c; });
  Rule all = load1(d + "  condition: all of sel_*\n");
  expect_truth_table(all, [](bool a, bool b, bool) { return a && b; });
}

TEST(Sigma, ThemExcludesUnderscore) {
  const std::string d = R"(  a:
    x: '1'
  b:
    y: '1'
  _c:
    z: '1'
)";
  Rule one = load1(d + "  condition: 1 of them\n");
  expect_truth_table(one, [](bool a, bool b, bool) { return a || b; });
  Rule all = load1(d + "  condition: all of them\n");
  expect_truth_table(all, [](bool a, bool b, bool) { return a && b; });
  Rule under = load1(d + "  condition: all of them and not _c\n");
  expect_truth_table(under, [](bool a, bool b, bool c) { return a && b && !c; });
}

TEST(Sigma, NotOneOf) {
  Rule r = load1(std::string(kABC) + "  condition: a and not 1 of b*\n");
  // `b*` matches only b.
  expect_truth_table(r, [](bool a, bool b, bool) { return a && !b; });
}

TEST(Sigma, IndexNamesFromTopLevelAnd) {
  Rule r = load1(R"(  sel:
    eventSource: s3.amazonaws.com
    eventName: PutBucketPolicy
  filter:
    userAgent|contains: console
  condition: sel and not filter
)");
  EXPECT_EQ(r.index_names, (std::vector<std::string>{"putbucketpolicy"}));
  Rule wild = load1("  sel:\n    eventName: 'Put*'\n  condition: sel\n");
  EXPECT_TRUE(wild.index_names.empty());
  Rule neg = load1("  sel:\n    eventName: PutX\n  condition: not sel\n");
  EXPECT_TRUE(neg.index_names.empty());
  Rule two = load1(R"(  a:
    eventSource: iam.amazonaws.com
    eventName: CreatePolicyVersion
  b:
    eventSource: iam.amazonaws.com
    eventName: SetDefaultPolicyVersion
  f:
    userIdentity.type: AWSService
  condition: (a or b) and not f
)");
  EXPECT_EQ(two.index_names,
            (std::vector<std::string>{"createpolicyversion", "setdefaultpolicyversion"}));
  Rule either = load1("  a:\n    eventName: A\n  b:\n    userAgent: x\n  condition: a or b\n");
  EXPECT_TRUE(either.index_names.empty());
}

// ---------------------------------------------------------------------------------------------
// Refusals: each names the file, the rule and the feature.

TEST(SigmaRefuses, UnknownIdentifierWithColumn) {
  std::string err =
      detection_error("  selection:\n    eventName: A\n  condition: selection and selction\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "condition: unknown identifier 'selction' at column 15");
}

TEST(SigmaRefuses, ConditionSyntax) {
  expect_names_rule(detection_error("  a:\n    x: 1\n  condition: (a\n"));
  EXPECT_HAS(detection_error("  a:\n    x: 1\n  condition: (a\n"), "missing ')'");
  EXPECT_HAS(detection_error("  a:\n    x: 1\n  condition: a and\n"), "unexpected end");
  EXPECT_HAS(detection_error("  a:\n    x: 1\n  condition: a b\n"), "unexpected 'b' at column 3");
  EXPECT_HAS(detection_error("  a:\n    x: 1\n  condition: 1 of zz*\n"), "pattern 'zz*'");
  EXPECT_HAS(detection_error("  a:\n    x: 1\n"), "missing 'condition'");
}

TEST(SigmaRefuses, LegacyAggregation) {
  std::string err = detection_error(
      "  sel:\n    eventName: ConsoleLogin\n  timeframe: 5m\n  condition: sel | count() by "
      "sourceIPAddress > 5\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "aggregation");
  EXPECT_HAS(err, "count()");
}

TEST(SigmaRefuses, Near) {
  std::string err = detection_error("  a:\n    x: 1\n  b:\n    y: 1\n  condition: a and near b\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "'near'");
}

TEST(SigmaRefuses, Correlation) {
  std::string err = load_error(R"(title: Base
name: base
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: ConsoleLogin}, condition: sel}
---
title: Test Rule
id: t-1
correlation:
  type: event_count
  rules: [base]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 10}
)");
  expect_names_rule(err);
  EXPECT_HAS(err, "bad.yml#2");
  EXPECT_HAS(err, "correlation");
  EXPECT_HAS(err, "event_count");
}

TEST(SigmaRefuses, Keywords) {
  std::string err = detection_error("  keywords:\n    - evil\n    - bad\n  condition: keywords\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "keyword search");
  std::string err2 = detection_error("  kw:\n    '|all':\n      - a\n      - b\n  condition: kw\n");
  expect_names_rule(err2);
  EXPECT_HAS(err2, "keyword search");
}

TEST(SigmaRefuses, EachUnsupportedModifier) {
  for (const char* m : {"windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide",
                        "expand", "fieldref", "hour"}) {
    std::string err =
        detection_error(std::string("  sel:\n    userAgent|") + m + ": x\n  condition: sel\n");
    expect_names_rule(err);
    EXPECT_HAS(err, std::string("modifier '") + m + "' is not supported");
  }
  std::string err = detection_error("  sel:\n    userAgent|contains|base64: x\n  condition: sel\n");
  EXPECT_HAS(err, "modifier 'base64' is not supported");
}

TEST(SigmaRefuses, UnknownModifier) {
  std::string err = detection_error("  sel:\n    userAgent|contain: x\n  condition: sel\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "unknown modifier 'contain'");
}

TEST(SigmaRefuses, BadModifierValues) {
  EXPECT_HAS(detection_error("  sel:\n    x|exists: maybe\n  condition: sel\n"),
             "'exists' takes true or false");
  EXPECT_HAS(detection_error("  sel:\n    x|gt: many\n  condition: sel\n"),
             "'many' is not a number");
  EXPECT_HAS(detection_error("  sel:\n    x|cidr: 10.0.0.0/33\n  condition: sel\n"), "bad network");
  EXPECT_HAS(detection_error("  sel:\n    x|contains|startswith: a\n  condition: sel\n"),
             "cannot be combined");
  EXPECT_HAS(detection_error("  sel:\n    x|all|neq: [a, b]\n  condition: sel\n"),
             "'all' and 'neq'");
}

TEST(SigmaRefuses, OtherLogSource) {
  std::string err = load_error(R"(title: Test Rule
id: t-1
logsource: {product: azure, service: activitylogs}
detection: {sel: {operationName: x}, condition: sel}
)");
  expect_names_rule(err);
  EXPECT_HAS(err, "logsource");
  EXPECT_HAS(err, "azure");
  std::string err2 = load_error(
      "title: Test Rule\nid: t-1\nlogsource: {product: aws, service: cloudtrail, category: "
      "x}\ndetection: {sel: {a: b}, condition: sel}\n");
  EXPECT_HAS(err2, "category");
}

TEST(SigmaRefuses, MissingTitleAndBadYaml) {
  EXPECT_HAS(load_error("id: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: "
                        "{a: b}, condition: sel}\n"),
             "missing 'title'");
  EXPECT_HAS(load_error("title: [unclosed\n"), "YAML");
  EXPECT_HAS(load_error(""), "no Sigma rule");
}

TEST(SigmaRefuses, WholeFileOnAnyError) {
  std::vector<Rule> rules;
  std::string err;
  EXPECT_FALSE(detect::load_sigma(R"(title: Good
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: A}, condition: sel}
---
title: Test Rule
id: t-1
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName|base64: A}, condition: sel}
)",
                                  "bad.yml", &rules, &err));
  EXPECT_TRUE(rules.empty());
  EXPECT_HAS(err, "bad.yml#2: rule 'Test Rule' (t-1)");
}

// ---------------------------------------------------------------------------------------------
// The fixtures under tests/fixtures/sigma/ (original rules written for these tests).

TEST(SigmaFixtures, LoadAndMatch) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(source_dir()) / "tests" / "fixtures" / "sigma";
  std::map<std::string, std::vector<Rule>> by_file;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yml") continue;
    std::vector<Rule> rules;
    std::string err;
    bool ok = detect::load_sigma(read_file(e.path().string()), e.path().filename().string(), &rules,
                                 &err);
    if (e.path().filename().string().rfind("refused_", 0) == 0) {
      EXPECT_FALSE(ok) << e.path();
      EXPECT_HAS(err, e.path().filename().string());
    } else {
      EXPECT_TRUE(ok) << err;
      by_file[e.path().filename().string()] = std::move(rules);
    }
  }
  ASSERT_EQ(by_file.count("trail_tampering.yml"), 1u);
  const Rule& r = by_file["trail_tampering.yml"][0];
  EXPECT_TRUE(matches(
      r,
      R"("eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/mallory"})"));
  EXPECT_FALSE(matches(
      r,
      R"("eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/OrgAutomation/x"})"));
  EXPECT_FALSE(matches(
      r,
      R"("eventSource":"cloudtrail.amazonaws.com","eventName":"DescribeTrails","userIdentity":{"type":"IAMUser"})"));
  ASSERT_EQ(by_file.count("console_login_no_mfa.yml"), 1u);
  const Rule& c = by_file["console_login_no_mfa.yml"][0];
  EXPECT_TRUE(matches(
      c,
      R"("eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"userIdentity":{"type":"IAMUser"})"));
  EXPECT_FALSE(matches(
      c,
      R"("eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},"userIdentity":{"type":"IAMUser"})"));
  EXPECT_EQ(c.index_names, (std::vector<std::string>{"consolelogin"}));
}

// The compatibility exercise: loads every .yml under $SIGMA_COMPAT_DIR and prints a summary
// (run with --gtest_also_run_disabled_tests --gtest_filter='*Compat*').
TEST(SigmaCompat, DISABLED_Directory) {
  const char* d = std::getenv("SIGMA_COMPAT_DIR");
  if (d == nullptr) GTEST_SKIP() << "set SIGMA_COMPAT_DIR";
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(d)) {
    if (e.path().extension() == ".yml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int loaded = 0;
  for (const auto& p : files) {
    std::vector<Rule> rules;
    std::string err;
    if (detect::load_sigma(read_file(p.string()), p.filename().string(), &rules, &err)) {
      ++loaded;
      std::cout << "OK  " << p.filename().string() << " index=" << rules[0].index_names.size()
                << "\n";
    } else {
      std::cout << "ERR " << err << "\n";
    }
  }
  std::cout << "total " << files.size() << " loaded " << loaded << "\n";
}

}  // namespace
}  // namespace sentinel::testing
