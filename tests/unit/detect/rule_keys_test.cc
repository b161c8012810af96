// The native rule loader reads each YAML map in one pass over its pairs (not
// node["key"] lookups): every key is still read, a repeated key keeps its first
// value (as node["key"] did), absent keys keep their defaults, and the refusal
// messages are the ones the lookups gave, including yaml-cpp's own for a scalar
// where a map is due.
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "detect/rules/native.h"
#include "test_support.h"

namespace sentinel::testing::dt {
namespace {

namespace fs = std::filesystem;

detect::Rule compile(const std::string &text) {
  detect::Rule r;
  std::string err;
  EXPECT_TRUE(detect::compile_native_rule(YAML::Load(text), detect::RuleDefs{},
                                          "/r/t.yaml", &r, &err))
      << err << "\n"
      << text;
  return r;
}

TEST(RuleKeys, EveryKeyIsRead) {
  const detect::Rule r = compile(R"(id: keys.all
type: "Recon:IAMUser/Keys.All"
title: "t {eventName}"
description: "d {eventName}"
severity: {default: 4, cases: [{when: {eventName: X}, value: 8}]}
log_types: [cloudtrail]
match: {eventName: X, fn: {name: entropy, args: [eventSource], gt: 3}}
stateful:
  volume: {field: eventName, interval: 10m, z: 2.5, min_volume: 7, warmup: 3, lateness: 2m,
           ttl: 1h, max_keys: 9, group_by: [{fn: {name: asn, args: [sourceIPAddress]}}]}
group_by: [eventName]
resource: {a: "{eventName}"}
action: {b: 1}
resource_role: TARGET
tags: [x, y]
enabled: false
tests:
  - name: one
    log_type: cloudtrail
    events: [{eventName: X}]
    expect: {findings: 2, type: "Recon:IAMUser/Keys.All", severity: 8}
    aws_ip_ranges: ranges.json
    lists: [{name: bad, kind: trusted, values: [a]}, {name: more, path: l.txt}]
)");
  EXPECT_EQ(r.id, "keys.all");
  EXPECT_FALSE(r.description.empty());
  EXPECT_EQ(r.severity.value, 4);
  ASSERT_EQ(r.severity.cases.size(), 1u);
  EXPECT_EQ(r.severity.cases[0].value, 8);
  ASSERT_EQ(r.match.children.size(), 2u);
  EXPECT_EQ(r.match.children[1].list, "entropy");
  ASSERT_EQ(r.match.children[1].args.size(), 1u);
  EXPECT_EQ(r.stateful.kind, detect::StatefulSpec::Kind::kVolume);
  EXPECT_EQ(r.stateful.interval_ms, 600000);
  EXPECT_EQ(r.stateful.z_threshold, 2.5);
  EXPECT_EQ(r.stateful.min_volume, 7);
  EXPECT_EQ(r.stateful.warmup_intervals, 3u);
  EXPECT_EQ(r.stateful.lateness_ms, 120000);
  EXPECT_EQ(r.stateful.ttl_ms, 3600000);
  EXPECT_EQ(r.stateful.max_keys, 9u);
  ASSERT_EQ(r.stateful.group_by.size(), 1u);
  EXPECT_EQ(r.stateful.group_by[0].text, "asn(sourceIPAddress)");
  EXPECT_EQ(r.group_by.size(), 1u);
  EXPECT_FALSE(r.resource.empty());
  EXPECT_FALSE(r.action.empty());
  EXPECT_EQ(r.resource_role, "TARGET");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(r.enabled);
  ASSERT_EQ(r.tests.size(), 1u);
  const auto &t = r.tests[0];
  EXPECT_EQ(t.name, "one");
  EXPECT_EQ(t.expect_findings, 2u);
  EXPECT_EQ(t.expect_type, "Recon:IAMUser/Keys.All");
  EXPECT_EQ(t.expect_severity, 8);
  EXPECT_EQ(t.aws_ip_ranges, "/r/ranges.json");
  ASSERT_EQ(t.lists.size(), 2u);
  EXPECT_TRUE(t.lists[0].trusted);
  EXPECT_EQ(t.lists[0].values, std::vector<std::string>{"a"});
  EXPECT_EQ(t.lists[1].path, "/r/l.txt");
}

TEST(RuleKeys, SequenceStepsAndDefaults) {
  const detect::Rule r = compile(R"(id: seq
type: "A:B/C.D"
match: {eventName: [X, Y]}
stateful: {sequence: {window: 5m, steps: [{name: first, match: {eventName: X}},
                                          {match: {eventName: Y}}]}}
)");
  EXPECT_EQ(r.stateful.step_names,
            (std::vector<std::string>{"first", "step2"}));
  EXPECT_EQ(r.severity.value, 5);
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.log_types,
            std::vector<ingest::LogType>{ingest::LogType::kCloudTrail});
}

TEST(RuleKeys, RepeatedKeyKeepsTheFirst) {
  const detect::Rule r = compile("id: first\ntype: \"A:B/C.D\"\nid: "
                                 "second\nmatch: {eventName: X}\nseverity: 2\n"
                                 "severity: 9\n");
  EXPECT_EQ(r.id, "first");
  EXPECT_EQ(r.severity.value, 2);
}

class TempDir {
public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("sentinel-rulekeys-" + std::to_string(::getpid()) + "-" +
             std::to_string(++n));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string &name, const std::string &text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }
  std::string str() const { return path_.string(); }

private:
  fs::path path_;
};

// The exact messages (file aside), as the node["key"] loader gave them.
TEST(RuleKeys, RefusalMessagesAreUnchanged) {
  struct Case {
    const char *text;
    const char *message;
  };
  const Case cases[] = {
      {"type: \"A:B/C.D\"\nmatch: {eventName: A}\n",
       "rule '?': 'id' is required"},
      {"id: [a]\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\n",
       "rule '': 'id' is required"},
      {"id: c\ntype: \"A:B/C.D\"\n", "rule 'c': 'match' is required"},
      {"id: d\ntype: \"A:B/C.D\"\nseverity: {cases: []}\nmatch: {eventName: "
       "A}\n",
       "rule 'd': severity.default: a number is expected"},
      {"id: f\ntype: \"A:B/C.D\"\nseverity: {default: 5, cases: [scalar]}\n"
       "match: {eventName: A}\n",
       "rule 'f': a value has the wrong shape (a map or list was expected): "
       "yaml-cpp: error at "
       "line 3, column 32: operator[] call on a scalar (key: \"when\")"},
      {"id: i\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\nstateful: {threshold: "
       "{window: 5m}}\n",
       "rule 'i': stateful.threshold: 'count' is required"},
      {"id: k\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\nstateful: {distinct: "
       "{window: 5m, "
       "count: 3, field: {fn: {name: asn, args: [a], gt: 1}}}}\n",
       "rule 'k': stateful.distinct.field: fn 'asn': unknown key 'gt' (a "
       "stateful key is a "
       "value: name and args only, no operator)"},
      {"id: m\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\nstateful: {sequence: "
       "{window: 5m, "
       "steps: [{name: s1}, {match: {eventName: B}}]}}\n",
       "rule 'm': stateful.sequence: every step needs 'match'"},
      {"id: o\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\ntests:\n  - name: t1\n"
       "    events: [{eventName: A}]\n",
       "rule 'o': tests[t1]: 'expect: {findings: N}' is required"},
      {"id: r\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\ntests:\n  - events: "
       "[{eventName: A}]\n"
       "    expect: {findings: 1}\n    lists: [{name: x}]\n",
       "rule 'r': tests[test1]: lists: each needs 'name' and 'values' or "
       "'path'"},
      {"id: s\ntype: \"A:B/C.D\"\nmatch: {fn: 3}\n",
       "rule 's': match: 'fn' takes {name: ..., args: [...], <operator>: "
       "value}"},
      {"id: y\ntype: \"A:B/C.D\"\nmatch: {eventName: A}\ntests: {a: b}\n",
       "rule 'y': a value has the wrong shape (a map or list was expected): "
       "invalid node; this "
       "may result from using a map iterator as a sequence iterator, or "
       "vice-versa"},
      {"title: only title\ntype: \"A:B/C.D\"\n",
       "rule 'only title': 'id' is required"},
      {"macro: m1\n", "macro 'm1' needs 'match'"},
      {"list: [l1]\n", "a macro or list name must be a string"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.text);
    TempDir dir;
    const std::string file = dir.write("r.yaml", c.text);
    detect::LoadErrors errors;
    EXPECT_TRUE(detect::load_rules(dir.str(), &errors).empty());
    ASSERT_EQ(errors.messages.size(), 1u);
    EXPECT_EQ(errors.messages[0], file + ": " + c.message);
  }
}

} // namespace
} // namespace sentinel::testing::dt
