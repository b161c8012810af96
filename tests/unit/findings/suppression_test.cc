#include "findings/suppression.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace sentinel::findings {
namespace {

Finding sample() {
  Finding f;
  f.id = "0123456789abcdef0123456789abcdef";
  f.type = "UnauthorizedAccess:EC2/SSHBruteForce";
  f.severity = 5;
  f.title = "SSH brute force";
  f.account_id = "123456789012";
  f.region = "eu-west-1";
  f.rule_id = "ec2.ssh_bruteforce";
  f.resource_json =
      R"({"resourceType":"Instance","instanceDetails":{"instanceId":"i-0abc","tags":[)"
      R"({"key":"Role","value":"bastion"},{"key":"Env","value":"prod"}]}})";
  f.action_json =
      R"({"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":)"
      R"("INBOUND","localPortDetails":{"port":22},"remoteIpDetails":{"ipAddressV4":"198.51.100.7",)"
      R"("organization":{"asn":"64500"}}}})";
  f.resource_role = "TARGET";
  f.additional_info_json = R"({"threatListName":"corp-scanners"})";
  f.created_ms = f.first_seen_ms = 1'705'284'000'000;  // 2024-01-15T02:00:00Z
  f.updated_ms = f.last_seen_ms = 1'705'287'600'000;   // 03:00
  return f;
}

SuppressionRule rule(std::vector<Criterion> criteria) {
  return SuppressionRule{"r", "", std::move(criteria)};
}

Criterion eq(std::string attr, std::vector<std::string> values) {
  Criterion c{std::move(attr), {}};
  c.condition.equals = std::move(values);
  return c;
}

bool match1(Criterion c) {
  return matches(sample(), rule({std::move(c)}));
}

TEST(Wildcard, GuardDutyStar) {
  EXPECT_TRUE(wildcard_match("abc", "abc"));
  EXPECT_FALSE(wildcard_match("abc", "abcd"));
  EXPECT_FALSE(wildcard_match("ABC", "abc"));
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("*", "anything"));
  EXPECT_TRUE(wildcard_match("Recon:*", "Recon:EC2/Portscan"));
  EXPECT_TRUE(wildcard_match("*SSH*", "UnauthorizedAccess:EC2/SSHBruteForce"));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(wildcard_match("a*a", "aaaa"));
  EXPECT_FALSE(wildcard_match("a?c", "abc"));  // only `*` is special
  EXPECT_TRUE(wildcard_match("a?c", "a?c"));
  EXPECT_TRUE(wildcard_match("**x", "x"));
}

TEST(Suppression, EqualsIsOrWithinAttribute) {
  EXPECT_TRUE(match1(eq("type", {"UnauthorizedAccess:EC2/SSHBruteForce"})));
  EXPECT_TRUE(match1(eq("type", {"Recon:EC2/Portscan", "UnauthorizedAccess:EC2/SSHBruteForce"})));
  EXPECT_FALSE(match1(eq("type", {"Recon:EC2/Portscan"})));
  EXPECT_TRUE(match1(eq("accountId", {"123456789012"})));
  EXPECT_TRUE(match1(eq("region", {"eu-west-1"})));
  EXPECT_TRUE(match1(eq("severity", {"5"})));  // numeric equality
  EXPECT_TRUE(match1(eq("severity", {"5.0"})));
  EXPECT_FALSE(match1(eq("severity", {"8"})));
}

TEST(Suppression, AndAcrossAttributes) {
  Finding f = sample();
  EXPECT_TRUE(matches(f, rule({eq("type", {"UnauthorizedAccess:EC2/SSHBruteForce"}),
                               eq("resource.instanceDetails.instanceId", {"i-0abc"})})));
  EXPECT_FALSE(matches(f, rule({eq("type", {"UnauthorizedAccess:EC2/SSHBruteForce"}),
                                eq("resource.instanceDetails.instanceId", {"i-other"})})));
}

TEST(Suppression, NotEquals) {
  Criterion c{"region", {}};
  c.condition.not_equals = {"us-east-1", "us-west-2"};
  EXPECT_TRUE(match1(c));
  c.condition.not_equals = {"us-east-1", "eu-west-1"};
  EXPECT_FALSE(match1(c));
}

TEST(Suppression, NumericComparisonsAtEdges) {
  auto bound = [](auto setter) {
    Criterion c{"severity", {}};
    setter(c.condition);
    return match1(c);
  };
  EXPECT_TRUE(bound([](Condition& c) { c.greater_than = 4.9; }));
  EXPECT_FALSE(bound([](Condition& c) { c.greater_than = 5; }));
  EXPECT_TRUE(bound([](Condition& c) { c.greater_than_or_equal = 5; }));
  EXPECT_FALSE(bound([](Condition& c) { c.greater_than_or_equal = 5.1; }));
  EXPECT_TRUE(bound([](Condition& c) { c.less_than = 5.1; }));
  EXPECT_FALSE(bound([](Condition& c) { c.less_than = 5; }));
  EXPECT_TRUE(bound([](Condition& c) { c.less_than_or_equal = 5; }));
  EXPECT_FALSE(bound([](Condition& c) { c.less_than_or_equal = 4.9; }));
  // A band: both bounds hold.
  EXPECT_TRUE(bound([](Condition& c) {
    c.greater_than_or_equal = 4;
    c.less_than = 7;
  }));
  EXPECT_FALSE(bound([](Condition& c) {
    c.greater_than_or_equal = 7;
    c.less_than = 9;
  }));
}

TEST(Suppression, ComparisonsOnTimesAndNumericStrings) {
  Criterion c{"updatedAt", {}};
  c.condition.greater_than_or_equal = 1'705'287'600'000.0;
  EXPECT_TRUE(match1(c));
  c.condition.greater_than_or_equal = 1'705'287'600'001.0;
  EXPECT_FALSE(match1(c));
  Criterion port{"service.action.networkConnectionAction.localPortDetails.port", {}};
  port.condition.less_than = 1024;
  EXPECT_TRUE(match1(port));
  Criterion asn{"service.action.networkConnectionAction.remoteIpDetails.organization.asn", {}};
  asn.condition.greater_than = 64000;  // asn is a string in GuardDuty JSON
  EXPECT_TRUE(match1(asn));
}

TEST(Suppression, MatchesAndNotMatches) {
  Criterion c{"type", {}};
  c.condition.matches = {"Recon:*", "UnauthorizedAccess:EC2/*"};
  EXPECT_TRUE(match1(c));
  c.condition.matches = {"Recon:*"};
  EXPECT_FALSE(match1(c));
  Criterion n{"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4", {}};
  n.condition.not_matches = {"10.*", "192.168.*"};
  EXPECT_TRUE(match1(n));
  n.condition.not_matches = {"198.51.100.*"};
  EXPECT_FALSE(match1(n));
}

TEST(Suppression, NestedPathsArraysAndServiceMembers) {
  EXPECT_TRUE(match1(eq("resource.resourceType", {"Instance"})));
  EXPECT_TRUE(match1(eq("resource.instanceDetails.tags.value", {"bastion"})));
  EXPECT_TRUE(match1(eq("resource.instanceDetails.tags.key", {"Env"})));
  EXPECT_FALSE(match1(eq("resource.instanceDetails.tags.value", {"dev"})));
  EXPECT_TRUE(match1(
      eq("service.action.networkConnectionAction.remoteIpDetails.ipAddressV4", {"198.51.100.7"})));
  EXPECT_TRUE(match1(eq("service.resourceRole", {"TARGET"})));
  EXPECT_TRUE(match1(eq("service.additionalInfo.threatListName", {"corp-scanners"})));
  EXPECT_TRUE(match1(eq("service.archived", {"false"})));
  EXPECT_TRUE(match1(eq("service.count", {"1"})));
}

TEST(Suppression, MissingAttributes) {
  const std::string missing = "resource.accessKeyDetails.userName";
  EXPECT_FALSE(match1(eq(missing, {"alice"})));
  Criterion neq{missing, {}};
  neq.condition.not_equals = {"alice"};
  EXPECT_TRUE(match1(neq));
  Criterion m{missing, {}};
  m.condition.matches = {"*"};
  EXPECT_FALSE(match1(m));
  Criterion nm{missing, {}};
  nm.condition.not_matches = {"*"};
  EXPECT_TRUE(match1(nm));
  Criterion gt{missing, {}};
  gt.condition.greater_than = 0;
  EXPECT_FALSE(match1(gt));
  // A path through a scalar is missing too.
  EXPECT_FALSE(match1(eq("type.inner", {"x"})));
}

TEST(Suppression, SuppressArchivesWithFirstMatchingRule) {
  std::vector<SuppressionRule> rules = {
      {"no", "", {eq("region", {"us-east-1"})}},
      {"bastion", "", {eq("resource.instanceDetails.tags.value", {"bastion"})}},
      {"any-ssh", "", {eq("type", {"UnauthorizedAccess:EC2/SSHBruteForce"})}},
  };
  Finding f = sample();
  EXPECT_TRUE(suppress(f, rules));
  EXPECT_TRUE(f.archived);
  EXPECT_EQ(f.suppressed_by, "bastion");

  Finding g = sample();
  EXPECT_FALSE(suppress(g, {rules[0]}));
  EXPECT_FALSE(g.archived);
  EXPECT_TRUE(g.suppressed_by.empty());
  EXPECT_FALSE(suppress(g, {}));
  // A rule without criteria never matches (it would archive everything).
  EXPECT_FALSE(suppress(g, {SuppressionRule{"empty", "", {}}}));
}

std::string parse_error(const std::string& yaml) {
  std::vector<SuppressionRule> rules;
  std::string error;
  YAML::Node root = YAML::Load(yaml);
  EXPECT_FALSE(parse_suppression_rules(root["suppression"], &rules, &error)) << yaml;
  return error;
}

TEST(SuppressionYaml, ParsesRules) {
  YAML::Node root = YAML::Load(R"(
suppression:
  - name: bastion-ssh
    description: our bastions are brute-forced all day
    action: ARCHIVE
    criteria:
      type: {equals: [UnauthorizedAccess:EC2/SSHBruteForce]}
      resource.instanceDetails.tags.value: {eq: bastion}
      severity: {gte: 4, Lt: 7}
  - name: scanners
    findingCriteria:
      criterion:
        service.action.networkConnectionAction.remoteIpDetails.ipAddressV4:
          Matches: ["198.51.100.*"]
        updatedAt: {greaterThanOrEqual: "2024-01-15T00:00:00Z"}
)");
  std::vector<SuppressionRule> rules;
  std::string error;
  ASSERT_TRUE(parse_suppression_rules(root["suppression"], &rules, &error)) << error;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].name, "bastion-ssh");
  ASSERT_EQ(rules[0].criteria.size(), 3u);
  EXPECT_EQ(rules[0].criteria[1].condition.equals, (std::vector<std::string>{"bastion"}));
  EXPECT_EQ(rules[0].criteria[2].condition.greater_than_or_equal, 4.0);
  EXPECT_EQ(rules[0].criteria[2].condition.less_than, 7.0);
  EXPECT_EQ(rules[1].criteria[1].condition.greater_than_or_equal, 1'705'276'800'000.0);
  Finding f = sample();
  EXPECT_TRUE(matches(f, rules[0]));
  EXPECT_TRUE(matches(f, rules[1]));

  std::vector<SuppressionRule> none;
  EXPECT_TRUE(parse_suppression_rules(YAML::Node(), &none, &error));
  EXPECT_TRUE(none.empty());
}

TEST(SuppressionYaml, ErrorsNameKeyAndProblem) {
  EXPECT_EQ(parse_error(R"(
suppression:
  - {name: a, criteria: {type: {eq: [x]}}}
  - {name: b, criteria: {type: {eq: [x]}}}
  - {name: c, criteria: {severity: {gte: high}}}
)"),
            "suppression[2].criteria.severity: 'gte' needs a number");
  EXPECT_EQ(parse_error("suppression: {name: a}"), "suppression: expected a list of rules");
  EXPECT_EQ(parse_error("suppression: [{criteria: {type: {eq: x}}}]"),
            "suppression[0].name: missing (every rule needs a name)");
  EXPECT_EQ(parse_error("suppression: [{name: a}]"),
            "suppression[0].criteria: missing (a rule without criteria would suppress everything)");
  EXPECT_EQ(parse_error("suppression: [{name: a, critera: {}}]")
                .rfind("suppression[0].critera: unknown key", 0),
            0u);
  EXPECT_EQ(parse_error("suppression: [{name: a, action: NOOP, criteria: {type: {eq: x}}}]")
                .rfind("suppression[0].action: 'NOOP' is not supported", 0),
            0u);
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {type: {equal: x}}}]")
                .rfind("suppression[0].criteria.type: unknown operator 'equal'", 0),
            0u);
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {type: x}}]")
                .rfind("suppression[0].criteria.type: expected a map of operator", 0),
            0u);
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {type: {eq: {k: v}}}}]"),
            "suppression[0].criteria.type: 'eq' needs a string or a list of strings");
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {type: {eq: []}}}]"),
            "suppression[0].criteria.type: 'eq' needs at least one value");
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {a..b: {eq: x}}}]"),
            "suppression[0].criteria.a..b: not a dotted attribute path");
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {type: {eq: x}}}, "
                        "{name: a, criteria: {type: {eq: y}}}]"),
            "suppression[1].name: 'a' is already the name of suppression[0]");
  EXPECT_EQ(parse_error("suppression: [{name: a, criteria: {}}]"),
            "suppression[0].criteria: needs at least one attribute (attribute: {operator: value})");

  std::string many = "suppression: [{name: a, criteria: {type: {eq: [";
  for (int i = 0; i <= 50; ++i) many += (i ? "," : "") + std::to_string(i);
  many += "]}}}]";
  EXPECT_EQ(parse_error(many),
            "suppression[0].criteria.type: 'eq' has 51 values, at most 50 are allowed");
}

}  // namespace
}  // namespace sentinel::findings
