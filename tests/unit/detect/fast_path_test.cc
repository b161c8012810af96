// What makes detection cheaper must not change what it finds: the rules' tests cut from the
// text before the YAML parse (detection never runs them), the AND conjuncts reordered by cost,
// and the eventName equality that the index lookup decides left out of the evaluation.
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/ir/optimize.h"
#include "detect/ir/rule_text.h"
#include "detect/rules/native.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {
namespace {

namespace fs = std::filesystem;
using ingest::LogType;

// ---------------------------------------------------------------------------------------------
// strip_top_level_block

TEST(RuleText, CutsTheBlockAndKeepsLineNumbers) {
  const std::string in =
      "id: a\n"
      "tests:   # embedded\n"
      "  - name: one\n"
      "    events:\n"
      "\n"
      "      - {eventName: X}\n"
      "- name: compact item at column 0\n"
      "# a comment\n"
      "severity: 3\n"
      "---\n"
      "id: b\n"
      "tests:\n"
      "  - name: two\n";
  std::string out;
  ASSERT_TRUE(detect::strip_top_level_block(in, "tests", &out));
  EXPECT_EQ(out, "id: a\n\n\n\n\n\n\n\nseverity: 3\n---\nid: b\n\n\n");
  auto docs = YAML::LoadAll(out);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["severity"].as<int>(), 3);
  EXPECT_FALSE(docs[0]["tests"]);
  EXPECT_EQ(docs[1]["id"].Scalar(), "b");
}

TEST(RuleText, LeavesOtherShapesAlone) {
  std::string out = "unchanged";
  // A value on the key's line, a nested key, a longer key, a quoted key, no colon.
  for (const char* in : {"tests: [{name: a}]\n", "match:\n  tests:\n    - x\n",
                         "tests_extra:\n  - x\n", "\"tests\":\n  - x\n", "tests\n", "tests:#x\n"}) {
    EXPECT_FALSE(detect::strip_top_level_block(in, "tests", &out)) << in;
  }
  EXPECT_EQ(out, "unchanged");
  // CRLF line ends.
  ASSERT_TRUE(detect::strip_top_level_block("id: a\r\ntests:\r\n  - x\r\nb: 1\r\n", "tests", &out));
  EXPECT_EQ(out, "id: a\r\n\n\nb: 1\r\n");
}

// Every document of every shipped rule file parses to the same tree less its tests.
TEST(RuleText, ShippedRuleFilesParseTheSameLessTheirTests) {
  int cut = 0;
  for (const auto& e : fs::recursive_directory_iterator(source_dir() + "/rules")) {
    const std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".yml" && ext != ".yaml")) continue;
    const std::string text = read_file(e.path().string());
    std::string stripped;
    if (!detect::strip_top_level_block(text, "tests", &stripped)) continue;
    ++cut;
    auto full = YAML::LoadAll(text);
    auto less = YAML::LoadAll(stripped);
    ASSERT_EQ(full.size(), less.size()) << e.path();
    for (std::size_t i = 0; i < full.size(); ++i) {
      if (full[i].IsMap()) full[i].remove("tests");
      EXPECT_EQ(YAML::Dump(full[i]), YAML::Dump(less[i])) << e.path() << " #" << i + 1;
    }
  }
  EXPECT_GT(cut, 10);
}

// The rules detection loads (no tests) are the rules `rules test` loads, less their tests.
TEST(RuleText, LoadingWithoutTestsGivesTheSameRules) {
  detect::LoadErrors with_errors, without_errors;
  auto with = detect::load_rules(source_dir() + "/rules", &with_errors);
  auto without = detect::load_rules(source_dir() + "/rules", &without_errors,
                                    detect::LoadOptions{.tests = false});
  EXPECT_EQ(with_errors.messages, without_errors.messages);
  ASSERT_EQ(with.size(), without.size());
  std::size_t tests = 0;
  for (std::size_t i = 0; i < with.size(); ++i) {
    EXPECT_EQ(with[i].id, without[i].id);
    EXPECT_EQ(with[i].source, without[i].source);
    EXPECT_EQ(with[i].match.to_string(), without[i].match.to_string()) << with[i].id;
    EXPECT_EQ(with[i].index_names, without[i].index_names) << with[i].id;
    tests += with[i].tests.size();
    EXPECT_TRUE(without[i].tests.empty()) << without[i].id;
  }
  EXPECT_GT(tests, 100u);
  std::vector<std::string> errs;
  detect::Engine a(std::move(with), {}, &errs);
  detect::Engine b(std::move(without), {}, &errs);
  EXPECT_EQ(a.rules_fingerprint(), b.rules_fingerprint());
}

// A stripped text that no longer parses (an alias into the tests) falls back to the whole text.
TEST(RuleText, FallsBackToTheWholeTextWhenTheCutOneDoesNotParse) {
  const fs::path dir = fs::temp_directory_path() / ("sentinel-fast-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string text =
      "id: aliased\n"
      "type: \"A:B/C\"\n"
      "tests:\n"
      "  - name: t\n"
      "    events: []\n"
      "    expect: &n {findings: 0}\n"
      "match: {eventName: X}\n"
      "tags: [*n]\n";
  std::ofstream(dir / "r.yaml") << text;
  detect::LoadErrors e1, e2;
  auto with = detect::load_rules(dir.string(), &e1);
  auto without = detect::load_rules(dir.string(), &e2, detect::LoadOptions{.tests = false});
  EXPECT_EQ(e1.messages, e2.messages);
  EXPECT_EQ(with.size(), without.size());
  fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Conjunct order

detect::Rule R(const std::string& yaml) {
  return rule(yaml, detect::RuleDefs{});
}

TEST(Optimize, CheapAndSelectiveConjunctsFirst) {
  auto r =
      R("id: o\ntype: \"A:B/C\"\nmatch:\n"
        "  requestParameters.bucketName: {re: '^x'}\n"
        "  userIdentity.type: {neq: Root}\n"
        "  sourceIPAddress: {cidr: 10.0.0.0/8}\n");
  const std::string o = detect::optimized(r.match).to_string();
  EXPECT_LT(o.find("cidr"), o.find("not-eq")) << o;
  EXPECT_LT(o.find("not-eq"), o.find("re ")) << o;
}

TEST(Optimize, AndOverANamedListKeepsItsOrder) {
  auto r =
      R("id: o\ntype: \"A:B/C\"\nmatch:\n"
        "  all:\n"
        "    - any: [{sourceIPAddress: {in_list: threats}}, {userAgent: {re: x}}]\n"
        "    - eventName: X\n");
  EXPECT_EQ(detect::optimized(r.match).to_string(), r.match.to_string());
}

// ---------------------------------------------------------------------------------------------
// The eventName equality the index decides

std::string named(const std::string& id, const std::string& name, const std::string& type) {
  return ct("\"eventID\":\"" + id +
            "\",\"eventTime\":\"2024-01-15T02:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
            "\"eventName\":\"" +
            name + "\",\"sourceIPAddress\":\"203.0.113.9\",\"userIdentity\":{\"type\":\"" + type +
            "\"}");
}

TEST(EngineIndexedName, CaseSensitiveAndInsensitiveNamesDecideAsTheComparisonDoes) {
  const auto input =
      records({named("e1", "ConsoleLogin", "IAMUser"), named("e2", "CONSOLELOGIN", "IAMUser"),
               named("e3", "ConsoleLogin", "Root"), named("e4", "GetObject", "IAMUser")});
  struct Case {
    const char* match;
    std::size_t findings;
  } cases[] = {
      {"{eventName: ConsoleLogin, userIdentity.type: IAMUser}", 1},         // e1 (e2: case differs)
      {"{eventName: {ieq: consolelogin}, userIdentity.type: IAMUser}", 2},  // e1, e2
      {"{eventName: [ConsoleLogin, GetObject], userIdentity.type: {neq: Root}}", 2},  // e1, e4
      {"{eventName: CONSOLELOGIN}", 1},                                               // e2
      {"{all: [{userIdentity.type: Root}, {eventName: ConsoleLogin}]}", 1},           // e3
  };
  for (const auto& c : cases) {
    detect::EngineStats st;
    auto fs = run(
        {R(std::string("id: n\ntype: \"A:B/C\"\ngroup_by: [eventID]\nmatch: ") + c.match + "\n")},
        {{LogType::kCloudTrail, input}}, &st, nullptr);
    EXPECT_EQ(fs.size(), c.findings) << c.match;
    EXPECT_EQ(st.events, 4u);
  }
}

using RuleText = std::pair<const char*, const char*>;  // (id, match)

// Loads one rule per (id, match), runs them over the CloudTrail `input` and returns, per rule
// id, the ids of the events it raised on, sorted, each followed by a space.
std::map<std::string, std::string> hits_by_rule(const std::vector<RuleText>& rules,
                                                const std::string& input, detect::EngineStats* st) {
  std::vector<detect::Rule> loaded;
  for (const auto& [id, match] : rules) {
    loaded.push_back(R(std::string("id: ") + id +
                       "\ntype: \"A:B/C\"\ngroup_by: [eventID]\nmatch: " + match + "\n"));
  }
  auto fs = run(std::move(loaded), {{LogType::kCloudTrail, input}}, st, nullptr);
  std::map<std::string, std::vector<std::string>> ids;
  for (const auto& f : fs) ids[f.rule_id].push_back(f.evidence.front());
  std::map<std::string, std::string> hits;
  for (auto& [id, list] : ids) {
    std::sort(list.begin(), list.end());
    for (const auto& x : list) hits[id] += x + " ";
  }
  return hits;
}

// Several rules under one lowercased name, spelled differently: the bucket matches the event's
// exact spelling once and each rule takes its own answer from it. Names the rules spell are
// found as written (NameIndex::find_spelling); e5 is spelled as the bucket's lowercased key,
// which no rule writes, and e6 as nothing any rule writes (the lowercased lookup).
TEST(EngineIndexedName, RulesSharingABucketEachKeepTheirOwnSpellings) {
  const auto input =
      records({named("e1", "ConsoleLogin", "IAMUser"), named("e2", "CONSOLELOGIN", "IAMUser"),
               named("e3", "consoleLOGIN", "IAMUser"), named("e4", "GetObject", "IAMUser"),
               named("e5", "consolelogin", "IAMUser"), named("e6", "CoNsOlElOgIn", "IAMUser")});
  const std::vector<RuleText> rules = {
      {"exact", "{eventName: ConsoleLogin}"},
      {"upper", "{eventName: CONSOLELOGIN, userIdentity.type: IAMUser}"},
      {"ci", "{eventName: {ieq: consolelogin}}"},
      {"two", "{eventName: [ConsoleLogin, CONSOLELOGIN, GetObject]}"},
      {"ci_list", "{eventName: {iin: [getobject, CONSOLELOGIN]}, userIdentity.type: IAMUser}"},
      {"nested", "{all: [{userIdentity.type: IAMUser}, {eventName: consoleLOGIN}]}"},
  };
  detect::EngineStats st;
  auto hits = hits_by_rule(rules, input, &st);
  EXPECT_EQ(hits["exact"], "e1 ");
  EXPECT_EQ(hits["upper"], "e2 ");
  EXPECT_EQ(hits["ci"], "e1 e2 e3 e5 e6 ");
  EXPECT_EQ(hits["two"], "e1 e2 e4 ");
  EXPECT_EQ(hits["ci_list"], "e1 e2 e3 e4 e5 e6 ");
  EXPECT_EQ(hits["nested"], "e3 ");
  EXPECT_EQ(st.events, 6u);
}

// Comparisons several rules make alike are computed once per event and shared (Predicate::
// memo): each rule still gets the answer for the event at hand, event after event, under `not`
// and in any position of its match.
TEST(EngineSharedComparisons, EachEventGetsItsOwnAnswer) {
  const auto input = records({named("e1", "GetUser", "IAMUser"), named("e2", "PutUser", "IAMUser"),
                              named("e3", "GetUser", "Root"), named("e4", "ListUsers", "Root"),
                              named("e5", "GetRole", "IAMUser")});
  const std::vector<RuleText> rules = {
      {"get_iam", "{eventName: {re: '^Get'}, userIdentity.type: IAMUser}"},
      {"get_root", "[{userIdentity.type: Root}, {eventName: {re: '^Get'}}]"},
      {"not_get", "{not: {eventName: {re: '^Get'}}}"},
      {"get_or_list", "{any: [{eventName: {re: '^Get'}}, {eventName: {re: '^List'}}]}"},
      {"iam", "{userIdentity.type: IAMUser, eventSource: iam.amazonaws.com}"},
  };
  detect::EngineStats st;
  auto hits = hits_by_rule(rules, input, &st);
  EXPECT_EQ(hits["get_iam"], "e1 e5 ");
  EXPECT_EQ(hits["get_root"], "e3 ");
  EXPECT_EQ(hits["not_get"], "e2 e4 ");
  EXPECT_EQ(hits["get_or_list"], "e1 e3 e4 e5 ");
  EXPECT_EQ(hits["iam"], "e1 e2 e5 ");
  EXPECT_EQ(st.events, 5u);
}

// Case-insensitive user-agent rules are found by one scan of the lowercased agent (16 bytes
// at a time): the needle at every offset across the blocks, with the bytes just outside A-Z
// ('@', '[') and non-ASCII bytes left as they are.
TEST(EnginePrefilter, CaseInsensitiveAgentAtEveryOffset) {
  std::vector<std::string> recs;
  std::string want_at, want_bracket;
  for (int off = 0; off <= 40; ++off) {
    const std::string id = "e" + std::to_string(off);
    const std::string agent = std::string(static_cast<std::size_t>(off), 'Q') + "SCAN@ER-[\u00c9]" +
                              std::string(static_cast<std::size_t>(off % 7), 'z');
    recs.push_back(
        ct("\"eventID\":\"" + id + "\",\"eventName\":\"X\",\"userAgent\":\"" + agent + "\""));
    want_at += id + " ";
  }
  // "qqq" lowercased only at 3+ leading Q's; a byte past Z must not become '{'.
  const std::vector<RuleText> rules = {
      {"at", "{userAgent: {icontains: 'scan@er-[\u00c9]'}}"},
      {"brace", "{userAgent: {icontains: 'scan@er-{'}}"},
      {"qs", "{userAgent: {icontains: 'qqqscan'}}"},
  };
  detect::EngineStats st;
  auto hits = hits_by_rule(rules, records(recs), &st);
  std::vector<std::string> ids;
  for (int off = 0; off <= 40; ++off) ids.push_back("e" + std::to_string(off));
  std::sort(ids.begin(), ids.end());
  std::string all, qs;
  for (const auto& id : ids) {
    all += id + " ";
    if (std::stoi(id.substr(1)) >= 3) qs += id + " ";
  }
  EXPECT_EQ(hits["at"], all);
  EXPECT_EQ(hits["brace"], "");
  EXPECT_EQ(hits["qs"], qs);
  EXPECT_GT(st.prefilter_scans, 0u);
}

// The prefilter keeps its answer for texts seen lately (PrefilterMemo): agents that repeat, back
// to back and far apart, 600 of them (more than the memo's slots), most of one length and alike
// in every byte its slot is chosen by (so they all compete for one slot and a slot must be
// checked against the whole text), through a literal set and an RE2::Set (a glob in the group).
// Every event's rules are those of an engine that sees that event alone.
TEST(EnginePrefilter, RepeatedAgentsAnswerAsAFreshScan) {
  std::vector<std::string> agents;
  for (int i = 0; i < 600; ++i) {
    std::string a(40, 'x');
    a[10] = static_cast<char>('a' + i % 26);
    a[11] = static_cast<char>('a' + i / 26);
    a.replace(24, 8, i % 3 == 0 ? "SCANNER-" : i % 3 == 1 ? "scanner_" : "Scanner-");
    if (i % 10 == 9) a += std::string(static_cast<std::size_t>(i % 13), 'y');  // other lengths
    agents.push_back(a);
  }
  const std::vector<RuleText> rules = {
      {"lit", "{userAgent: {icontains: 'scanner-'}}"},
      {"glob", "{userAgent: {glob: '*SCANNER-x*'}}"},
      {"cs", "{userAgent: {contains: 'Scanner-'}}"},
  };
  std::vector<std::string> recs;
  std::map<std::string, std::vector<std::string>> want_ids;
  for (int k = 0; k < 1200; ++k) {
    const int idx = k % 2 == 0 ? (k / 2) % 600 : (k * 7) % 600;
    const std::string id = "e" + std::to_string(1000 + k);
    const std::string rec = ct("\"eventID\":\"" + id + "\",\"eventName\":\"X\",\"userAgent\":\"" +
                               agents[static_cast<std::size_t>(idx)] + "\"");
    recs.push_back(rec);
    detect::EngineStats one;
    for (const auto& [rule, ids] : hits_by_rule(rules, records({rec}), &one)) {
      if (!ids.empty()) want_ids[rule].push_back(id);
    }
  }
  detect::EngineStats st;
  auto hits = hits_by_rule(rules, records(recs), &st);
  std::map<std::string, std::string> want;
  for (auto& [rule, ids] : want_ids) {
    std::sort(ids.begin(), ids.end());
    for (const auto& x : ids) want[rule] += x + " ";
  }
  EXPECT_EQ(hits, want);
  EXPECT_EQ(want.size(), 3u);               // every rule matches some events
  EXPECT_EQ(st.prefilter_scans, 2 * 1200u);  // two prefilter groups, one value each
}

}  // namespace
}  // namespace sentinel::testing::dt
