// load_rules: each bad rule is refused with one message naming its file and its rule, and the
// good rules of the same folder still load; macro and list documents; the eventName index
// (required_event_names).
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "detect/rules/native.h"
#include "test_support.h"

namespace sentinel::testing::dt {
namespace {

namespace fs = std::filesystem;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("sentinel-detect-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

const char* kGoodA = R"(id: good.a
type: "Recon:IAMUser/GoodA"
match: {eventName: ListBuckets}
)";
const char* kGoodB = R"(id: good.b
type: "Recon:IAMUser/GoodB"
log_types: [vpcflow]
match: {dstport: 22}
stateful:
  threshold: {count: 3, window: 5m, group_by: [srcaddr]}
)";

std::vector<std::string> ids(const std::vector<detect::Rule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.id);
  return out;
}

struct BadCase {
  const char* name;     // file name
  const char* text;     // the bad rule
  const char* rule;     // how the message names the rule
  const char* problem;  // a fragment of the problem
};

const BadCase kBadCases[] = {
    {"missing_id.yaml", "title: Nameless rule\ntype: \"A:B/C\"\nmatch: {eventName: X}\n",
     "Nameless rule", "'id' is required"},
    {"missing_type.yaml", "id: bad.no_type\nmatch: {eventName: X}\n", "bad.no_type",
     "'type' is required"},
    {"missing_match.yaml", "id: bad.no_match\ntype: \"A:B/C\"\n", "bad.no_match",
     "'match' is required"},
    {"bad_type.yaml", "id: bad.type\ntype: JustAWord\nmatch: {eventName: X}\n", "bad.type",
     "JustAWord"},
    {"unknown_op.yaml", "id: bad.op\ntype: \"A:B/C\"\nmatch: {eventName: {like: X}}\n", "bad.op",
     "unknown operator 'like'"},
    {"bad_regex.yaml", "id: bad.re\ntype: \"A:B/C\"\nmatch: {eventName: {re: \"a(b\"}}\n", "bad.re",
     "bad regular expression"},
    {"bad_cidr.yaml",
     "id: bad.cidr\ntype: \"A:B/C\"\nmatch: {sourceIPAddress: {cidr: 10.0.0.0/40}}\n", "bad.cidr",
     "not a CIDR block"},
    {"bad_duration.yaml",
     "id: bad.duration\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
     "stateful: {threshold: {count: 3, window: 5x}}\n",
     "bad.duration", "'5x' is not a duration"},
    {"bad_duration2.yaml",
     "id: bad.duration2\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
     "stateful: {threshold: {count: 3, window: -5m}}\n",
     "bad.duration2", "stateful.threshold.window"},
    {"missing_window.yaml",
     "id: bad.window\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
     "stateful: {threshold: {count: 3}}\n",
     "bad.window", "'window' is required"},
    {"unknown_stateful.yaml",
     "id: bad.kind\ntype: \"A:B/C\"\nmatch: {eventName: X}\nstateful: {bogus: {window: 5m}}\n",
     "bad.kind", "unknown kind 'bogus'"},
    {"bad_log_type.yaml",
     "id: bad.lt\ntype: \"A:B/C\"\nlog_types: [syslog]\nmatch: {eventName: X}\n", "bad.lt",
     "unknown log type 'syslog'"},
    {"bad_severity.yaml", "id: bad.sev\ntype: \"A:B/C\"\nseverity: 11\nmatch: {eventName: X}\n",
     "bad.sev", "between 0 and 10"},
    {"bad_field.yaml", "id: bad.field\ntype: \"A:B/C\"\nmatch: {\"a..b\": X}\n", "bad.field",
     "empty segment"},
    {"bad_template.yaml",
     "id: bad.tpl\ntype: \"A:B/C\"\ntitle: \"from {sourceIPAddress\"\nmatch: {eventName: X}\n",
     "bad.tpl", "unclosed '{'"},
    {"unknown_macro.yaml", "id: bad.macro\ntype: \"A:B/C\"\nmatch: {macro: nosuch}\n", "bad.macro",
     "unknown macro 'nosuch'"},
    {"bad_test.yaml",
     "id: bad.test\ntype: \"A:B/C\"\nmatch: {eventName: X}\ntests: [{name: t1, events: []}]\n",
     "bad.test", "t1"},
    {"zz_duplicate.yaml", "id: good.a\ntype: \"A:B/C\"\nmatch: {eventName: Y}\n", "good.a",
     "duplicate id"},
};

TEST(LoadRules, EachBadRuleIsOneMessageAndTheGoodRulesStillLoad) {
  for (const BadCase& c : kBadCases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    dir.write("a_good.yaml", kGoodA);
    dir.write("sub/b_good.yaml", kGoodB);
    dir.write(c.name, c.text);
    detect::LoadErrors errors;
    auto rules = detect::load_rules(dir.str(), &errors);
    EXPECT_EQ(ids(rules), (std::vector<std::string>{"good.a", "good.b"}));
    ASSERT_EQ(errors.messages.size(), 1u);
    const std::string& msg = errors.messages[0];
    EXPECT_HAS(msg, c.name);
    EXPECT_HAS(msg, std::string("rule '") + c.rule + "'");
    EXPECT_HAS(msg, c.problem);
  }
}

TEST(LoadRules, BadYamlNamesTheFileAndOtherFilesLoad) {
  TempDir dir;
  dir.write("a_good.yaml", kGoodA);
  dir.write("sub/b_good.yaml", kGoodB);
  dir.write("broken.yaml", "id: broken\ntype: \"A:B/C\"\nmatch: {eventName: [X, Y}\n");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_EQ(ids(rules), (std::vector<std::string>{"good.a", "good.b"}));
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "broken.yaml");
  EXPECT_HAS(errors.messages[0], "not valid YAML");
}

TEST(LoadRules, MultiDocumentFileNamesTheDocument) {
  TempDir dir;
  dir.write("multi.yaml",
            std::string(kGoodA) +
                "---\nid: bad.second\ntype: \"A:B/C\"\nmatch: {eventName: {re: \"(\"}}\n"
                "---\nid: good.third\ntype: \"A:B/C\"\nmatch: {eventName: Z}\n");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_EQ(ids(rules), (std::vector<std::string>{"good.a", "good.third"}));
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "multi.yaml#2");
  EXPECT_HAS(errors.messages[0], "bad.second");
  EXPECT_EQ(rules[0].source.find("multi.yaml#1") != std::string::npos, true) << rules[0].source;
}

TEST(LoadRules, MissingPathIsAnError) {
  detect::LoadErrors errors;
  auto rules = detect::load_rules("/nonexistent/sentinel/rules", &errors);
  EXPECT_TRUE(rules.empty());
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "/nonexistent/sentinel/rules");
}

TEST(LoadRules, MacrosAndListsFromAnyFileOfTheSet) {
  TempDir dir;
  // The rule file sorts before the definitions: definitions are collected first.
  dir.write("a_rule.yaml", R"(id: uses.defs
type: "Policy:IAMUser/Test"
match:
  macro: root_api
  userAgent: {in_list: scanners}
)");
  dir.write("z_defs.yaml", R"(macro: root_api
match: {userIdentity.type: Root}
---
list: scanners
values: [sqlmap, nikto]
)");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_TRUE(errors.empty()) << errors.messages[0];
  ASSERT_EQ(ids(rules), std::vector<std::string>{"uses.defs"});
  const std::string s = rules[0].match.to_string();
  EXPECT_HAS(s, "Root");
  EXPECT_HAS(s, "sqlmap");
  EXPECT_HAS(s, "nikto");
}

TEST(LoadRules, MacroWithoutMatchIsRefused) {
  TempDir dir;
  dir.write("a_good.yaml", kGoodA);
  dir.write("defs.yaml", "macro: empty\n");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_EQ(ids(rules), std::vector<std::string>{"good.a"});
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "defs.yaml");
  EXPECT_HAS(errors.messages[0], "macro 'empty'");
}

// BUG (reported): native.cc load_rules calls scalars_of(n["values"]) on a missing key; yaml-cpp
// throws InvalidNode out of load_rules ("invalid node; first invalid key: \"values\""), so one
// bad list document aborts the whole load instead of being one message.
TEST(LoadRules, ListWithoutValuesIsOneMessage) {
  TempDir dir;
  dir.write("a_good.yaml", kGoodA);
  dir.write("defs.yaml", "list: nothing\n");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_EQ(ids(rules), std::vector<std::string>{"good.a"});
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "list 'nothing'");
}

// BUG (reported): compile_native_rule / compile_stateful subscript list items without checking
// that they are maps (severity.cases[i]["when"], tests[i]["name"], steps[i]["match"],
// tests[i].expect["findings"]); yaml-cpp throws BadSubscript ("operator[] call on a scalar") out
// of load_rules, which aborts the whole load. Each should be one message naming file and rule.
TEST(LoadRules, ScalarWhereAMapIsExpectedIsOneMessage) {
  const char* cases[] = {
      "id: bad.cases\ntype: \"A:B/C\"\nmatch: {eventName: X}\nseverity: {default: 5, cases: "
      "[oops]}\n",
      "id: bad.tests\ntype: \"A:B/C\"\nmatch: {eventName: X}\ntests: [oops]\n",
      "id: bad.expect\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "tests: [{name: t, events: [{eventName: X}], expect: 1}]\n",
      "id: bad.steps\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {sequence: {steps: [a, b], window: 5m}}\n",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    TempDir dir;
    dir.write("a_good.yaml", kGoodA);
    dir.write("bad.yaml", text);
    detect::LoadErrors errors;
    std::vector<detect::Rule> rules;
    EXPECT_NO_THROW(rules = detect::load_rules(dir.str(), &errors));
    EXPECT_EQ(ids(rules), std::vector<std::string>{"good.a"});
    ASSERT_EQ(errors.messages.size(), 1u);
    EXPECT_HAS(errors.messages[0], "bad.yaml");
  }
}

// BUG (reported): a macro that refers to itself (directly or through another macro) makes
// compile_match recurse until the stack overflows (SIGSEGV in `sentinel rules list`). It should
// be refused as a macro cycle naming the macro.
TEST(LoadRules, RecursiveMacroIsRefused) {
  TempDir dir;
  dir.write("a_good.yaml", kGoodA);
  dir.write("defs.yaml", "macro: loop\nmatch: {macro: loop}\n");
  dir.write("rule.yaml", "id: uses.loop\ntype: \"A:B/C\"\nmatch: {macro: loop}\n");
  detect::LoadErrors errors;
  auto rules = detect::load_rules(dir.str(), &errors);
  EXPECT_EQ(ids(rules), std::vector<std::string>{"good.a"});
  ASSERT_EQ(errors.messages.size(), 1u);
  EXPECT_HAS(errors.messages[0], "loop");
}

TEST(LoadRules, ShippedRulesLoadCleanly) {
  detect::LoadErrors errors;
  auto rules = detect::load_rules(source_dir() + "/rules", &errors);
  EXPECT_TRUE(errors.empty()) << errors.messages[0];
  EXPECT_GE(rules.size(), 6u);
  for (const auto& r : rules) EXPECT_FALSE(r.tests.empty()) << r.id;
}

// ---------------------------------------------------------------------------------------------
// The eventName index

std::vector<std::string> names(const std::string& expr) {
  detect::Predicate p;
  std::string err;
  EXPECT_TRUE(detect::compile_match(YAML::Load(expr), detect::RuleDefs{}, &p, &err)) << err;
  return detect::required_event_names(p);
}

using V = std::vector<std::string>;

TEST(RuleIndex, RequiredEventNames) {
  EXPECT_EQ(names("{eventName: ConsoleLogin}"), V{"consolelogin"});
  EXPECT_EQ(names("{eventName: [StopLogging, DeleteTrail]}"), (V{"deletetrail", "stoplogging"}));
  EXPECT_EQ(names("{eventName: {in: [B, A, B]}}"), (V{"a", "b"}));
  EXPECT_EQ(names("{eventName: {ieq: GetObject}}"), V{"getobject"});
  // AND: constrained when any child is.
  EXPECT_EQ(names("{eventSource: s3.amazonaws.com, eventName: GetObject}"), V{"getobject"});
  EXPECT_EQ(names("{all: [{userIdentity.type: Root}, {eventName: [A, B]}]}"), (V{"a", "b"}));
  EXPECT_EQ(names("[{userIdentity.type: Root}, {eventName: X}]"), V{"x"});
  // OR: constrained only when every branch is.
  EXPECT_EQ(names("{any: [{eventName: A}, {eventName: [B, C]}]}"), (V{"a", "b", "c"}));
  EXPECT_EQ(names("{any: [{eventName: A}, {eventSource: s3.amazonaws.com}]}"), V{});
  EXPECT_EQ(names("{all: [{any: [{eventName: A}, {eventName: B}]}, {readOnly: false}]}"),
            (V{"a", "b"}));
  // NOT, negated and pattern operators never constrain.
  EXPECT_EQ(names("{not: {eventName: A}}"), V{});
  EXPECT_EQ(names("{eventName: {neq: A}}"), V{});
  EXPECT_EQ(names("{eventName: {startswith: Get}}"), V{});
  EXPECT_EQ(names("{eventName: {glob: \"Get*\"}}"), V{});
  EXPECT_EQ(names("{eventName: {exists: true}}"), V{});
  EXPECT_EQ(names("{userIdentity.type: Root}"), V{});
  EXPECT_EQ(names("{requestParameters.eventName: A}"), V{});
  EXPECT_EQ(names("{not: {not: {eventName: A}}}"), V{});
}

TEST(RuleIndex, CompiledRulesCarryTheirIndexNames) {
  detect::LoadErrors errors;
  auto rules = detect::load_rules(source_dir() + "/rules", &errors);
  for (const auto& r : rules) {
    if (r.id == "guardduty.iam.cloudtrail_logging_disabled") {
      EXPECT_EQ(r.index_names, (V{"deletetrail", "stoplogging"}));
    }
    if (r.id == "sentinel.iam.console_login_failure_burst") {
      EXPECT_EQ(r.index_names, V{"consolelogin"});
    }
    if (r.id == "guardduty.iam.root_credential_usage") {
      EXPECT_EQ(r.index_names, V{});
    }
  }
}

}  // namespace
}  // namespace sentinel::testing::dt
