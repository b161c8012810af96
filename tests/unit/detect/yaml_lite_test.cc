// The fast YAML reader for rule packs (detect/rules/yaml_lite.h): it builds yaml-cpp's own
// trees, node for node, or declines; and load_rules gives the same rules and the same refusals
// with it as with yaml-cpp alone, over every rule file we ship, every rule file in tests/ and
// the 200-rule benchmark set.
#include "detect/rules/yaml_lite.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/ir/rule_text.h"
#include "detect/rules/native.h"
#include "test_support.h"

namespace sentinel::testing::dt {
namespace {

namespace fs = std::filesystem;

// The first difference between two trees ("" when they are the same).
std::string diff(const YAML::Node& a, const YAML::Node& b, const std::string& at) {
  if (a.Type() != b.Type()) {
    return at + ": type " + std::to_string(static_cast<int>(a.Type())) + " vs " +
           std::to_string(static_cast<int>(b.Type()));
  }
  if (a.Tag() != b.Tag()) return at + ": tag '" + a.Tag() + "' vs '" + b.Tag() + "'";
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      if (a.Scalar() != b.Scalar()) return at + ": '" + a.Scalar() + "' vs '" + b.Scalar() + "'";
      return "";
    case YAML::NodeType::Sequence:
    case YAML::NodeType::Map: {
      if (a.Style() != b.Style()) return at + ": style";
      if (a.size() != b.size()) {
        return at + ": size " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
      }
      auto ia = a.begin();
      auto ib = b.begin();
      for (std::size_t i = 0; ia != a.end(); ++ia, ++ib, ++i) {
        std::string d;
        if (a.IsSequence()) {
          d = diff(*ia, *ib, at + "[" + std::to_string(i) + "]");
        } else {
          d = diff(ia->first, ib->first, at + ".<key " + std::to_string(i) + ">");
          if (d.empty()) d = diff(ia->second, ib->second, at + "." + ia->first.Scalar());
        }
        if (!d.empty()) return d;
      }
      return "";
    }
    default:
      return "";
  }
}

// Lite's trees for `text` equal yaml-cpp's; false when lite declined.
bool same_as_yaml_cpp(const std::string& text, const std::string& name) {
  std::vector<YAML::Node> lite;
  if (!detect::load_all_lite(text, &lite)) return false;
  std::vector<YAML::Node> full;
  try {
    full = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << name << ": lite read what yaml-cpp refuses: " << e.what();
    return true;
  }
  EXPECT_EQ(lite.size(), full.size()) << name;
  for (std::size_t i = 0; i < lite.size() && i < full.size(); ++i) {
    const std::string d = diff(lite[i], full[i], name + "#" + std::to_string(i + 1));
    EXPECT_EQ(d, "");
  }
  return true;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> yaml_files(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yml" || ext == ".yaml")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// bench/rules200.py's set, written into a fresh folder (removed when the tests end).
std::string rules200_dir() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("sentinel-rules200-" + std::to_string(getpid()));
    Dir() {
      fs::remove_all(path);
      const std::string cmd =
          "python3 '" + source_dir() + "/bench/rules200.py' '" + path.string() + "' >/dev/null";
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path.string();
}

TEST(YamlLite, TreesEqualYamlCppOnEveryRuleFile) {
  std::vector<fs::path> files = yaml_files(source_dir() + "/rules");
  const std::size_t shipped = files.size();
  for (const auto& p : yaml_files(source_dir() + "/tests")) files.push_back(p);
  for (const auto& p : yaml_files(rules200_dir())) files.push_back(p);
  std::size_t read_whole = 0, read_cut = 0, shipped_cut = 0, files_with_cut = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string text = read(files[i]);
    if (same_as_yaml_cpp(text, files[i].string())) ++read_whole;
    std::string cut;
    if (detect::strip_top_level_block(text, "tests", &cut)) {
      ++files_with_cut;
      if (same_as_yaml_cpp(cut, files[i].string() + " (tests cut)")) {
        ++read_cut;
        if (i < shipped) ++shipped_cut;
      }
    }
  }
  std::printf("lite read %zu of %zu files whole, %zu of %zu with tests cut (%zu shipped)\n",
              read_whole, files.size(), read_cut, files_with_cut, shipped_cut);
  // The reader must actually cover rule packs, not decline its way through.
  EXPECT_GT(read_whole, files.size() / 2) << read_whole << " of " << files.size();
  EXPECT_GT(read_cut, files_with_cut * 3 / 4) << read_cut << " of " << files_with_cut;
  EXPECT_GT(shipped_cut, 20u);
}

// What load_rules made of a folder, as text: every field a rule's behaviour or listing uses.
std::string describe(const std::vector<detect::Rule>& rules, const detect::LoadErrors& errors) {
  std::string out;
  for (const auto& r : rules) {
    out += r.id + " | " + r.source + " | " + r.type + " | " + r.match.to_string() + " | sev " +
           std::to_string(r.severity.value) + "/" + std::to_string(r.severity.cases.size()) +
           " | " + (r.enabled ? "on" : "off") + " | " + r.resource_role + " |";
    for (auto t : r.log_types) out += " lt" + std::to_string(static_cast<int>(t));
    for (const auto& t : r.tags) out += " #" + t;
    for (const auto& g : r.group_by) out += " by:" + g.text;
    for (const auto& n : r.index_names) out += " ix:" + n;
    for (const auto& c : r.severity.cases) out += " case:" + c.when.to_string();
    for (const auto& t : r.tests) {
      out += " test:" + t.name + "=" + std::to_string(t.expect_findings) + t.expect_type;
      for (const auto& e : t.events_json) out += " ev:" + e;
      for (const auto& l : t.lists) out += " list:" + l.name + l.path;
    }
    out += "\n";
  }
  for (const auto& m : errors.messages) out += "ERROR " + m + "\n";
  return out;
}

// The fast load (with the yaml-cpp redo of a refusal, or without it: `redo_refusals`) against
// yaml-cpp's, with and without the embedded tests: the same rules, errors and engine fingerprint.
// Without the redo, a folder yaml-cpp refuses must be refused by the fast load too (the redo then
// replaces its messages), and a folder yaml-cpp loads must load with no error.
void expect_same_as_yaml_cpp(const std::string& path, bool redo_refusals) {
  for (bool tests : {false, true}) {
    detect::LoadErrors fast_errors, slow_errors;
    auto fast = detect::load_rules(
        path, &fast_errors,
        detect::LoadOptions{.tests = tests, .fast_yaml = true, .redo_refusals = redo_refusals});
    auto slow = detect::load_rules(path, &slow_errors,
                                   detect::LoadOptions{.tests = tests, .fast_yaml = false});
    if (redo_refusals) {
      EXPECT_FALSE(fast.empty()) << path;
    } else if (!slow_errors.empty()) {
      EXPECT_FALSE(fast_errors.empty()) << path;
      continue;
    } else {
      EXPECT_TRUE(fast_errors.empty()) << path << ": " << describe({}, fast_errors);
    }
    EXPECT_EQ(describe(fast, fast_errors), describe(slow, slow_errors)) << path;
    // The engine's fingerprint covers ids, matches, stateful clauses, templates, severities.
    std::vector<std::string> e1, e2;
    detect::Engine a(fast, {}, &e1);
    detect::Engine b(slow, {}, &e2);
    EXPECT_EQ(a.rules_fingerprint(), b.rules_fingerprint()) << path;
    EXPECT_EQ(e1, e2);
  }
}

void expect_same_load(const std::string& path) {
  expect_same_as_yaml_cpp(path, true);
}

TEST(YamlLite, LoadsTheSameRulesAsYamlCpp) {
  expect_same_load(source_dir() + "/rules");
  expect_same_load(rules200_dir());
  for (const auto& dir :
       {"/tests/fixtures/detect", "/tests/fixtures/sigma", "/tests/unit/detect_sigma/compat"}) {
    if (fs::exists(source_dir() + dir)) expect_same_load(source_dir() + dir);
  }
}

// The rules compiled from the fast reader's own trees (LiteNode), without the yaml-cpp redo a
// refusal triggers, are yaml-cpp's rules: over every folder that loads cleanly, with and without
// the embedded tests. So clean packs never pay for a second, yaml-cpp load.
void expect_same_fast_alone(const std::string& path) {
  expect_same_as_yaml_cpp(path, false);
}

TEST(YamlLite, CompilesFromItsOwnTreesAlone) {
  expect_same_fast_alone(source_dir() + "/rules");
  expect_same_fast_alone(rules200_dir());
  std::size_t files = 0;
  for (const auto& p : yaml_files(source_dir() + "/rules")) {
    expect_same_fast_alone(p.string());
    ++files;
  }
  for (const auto& p : yaml_files(source_dir() + "/tests")) {
    expect_same_fast_alone(p.string());
    ++files;
  }
  EXPECT_GT(files, 50u);
}

// Rules the fast load compiles (or refuses) through every path of the compiler: files yaml_lite
// declines (anchors, tags) copied from yaml-cpp's trees, null and odd shapes it hands back to
// yaml-cpp, repeated keys, function operators. Each case is a folder of its own beside a good
// rule; the messages with the redo are yaml-cpp's, and the fast load alone refuses whenever
// yaml-cpp does, and gives yaml-cpp's rules whenever it does not refuse.
TEST(YamlLite, EveryShapeLoadsAsWithYamlCpp) {
  const char* cases[] = {
      // Read by yaml-cpp (anchors, aliases, tags, a merge key) and compiled from the copy.
      "base: &b {eventName: X, userIdentity.type: Root}\nid: r.anchor\ntype: \"A:B/C\"\n"
      "match: *b\n",
      "id: r.tag\ntype: !!str \"A:B/C\"\nmatch: {eventName: !!str 5}\nseverity: !!float 3\n"
      "resource: {n: !!str 5, m: 6, q: !custom x}\n",
      "id: r.merge\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "tests: [{name: t, events: [{<<: {a: 1}, b: '2', c: 3.5, d: 0x1f, e: ~}], "
      "expect: {findings: 1}}]\n",
      // Nulls and shapes yaml-cpp answers without an exception.
      "id: r.nulls\ntype: \"A:B/C\"\ntitle: ~\ndescription:\nmatch: {eventName: X, errorCode: ~}\n",
      "id: r.mapscalar\ntype: \"A:B/C\"\nmatch: {eventName: X}\nenabled: {a: b}\n",
      "id: r.dup\ntype: \"A:B/C\"\nmatch: {eventName: X, eventName: Y}\nid: other\n",
      "id: r.fn\ntype: \"A:B/C\"\nmatch: {eventName: X, fn: {name: entropy, args: [a], gt: 1, "
      "lt: 9, gt: 2}}\n",
      "id: r.fn2\ntype: \"A:B/C\"\nmatch: {eventName: X, fn: {name: is_public, args: [a]}}\n",
      "id: r.stateful\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {threshold: {group_by: [a, {fn: {name: asn, args: [b]}}], window: 5m, count: "
      "3}}\n",
      "id: r.seq\ntype: \"A:B/C\"\nmatch: {eventName: [X, Y]}\n"
      "stateful: {sequence: {steps: [{match: {eventName: X}}, {name: s2, match: {eventName: Y}}], "
      "window: 1h}}\n",
      "id: r.json\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "resource: {a: [1, true, 'x', null, {b: '{eventName}'}], c: 007, d: \"8\"}\n",
      // Refusals: messages from yaml-cpp's trees, with lines and columns.
      "id: bad.cases\ntype: \"A:B/C\"\nmatch: {eventName: X}\nseverity: {default: 5, cases: "
      "[oops]}\n",
      "id: bad.tests\ntype: \"A:B/C\"\nmatch: {eventName: X}\ntests: [oops]\n",
      "id: bad.steps\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {sequence: {steps: [a, b], window: 5m}}\n",
      "id: bad.op\ntype: \"A:B/C\"\nmatch: {eventName: {like: X}}\n",
      "id: bad.dur\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {threshold: {window: {a: 1}, count: 3}}\n",
      "id: bad.field\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {volume: {field: [a], interval: 1h}}\n",
      "id: bad.fnkey\ntype: \"A:B/C\"\nmatch: {eventName: X}\n"
      "stateful: {distinct: {field: {fn: {name: asn, args: [a], gt: 1}}, window: 1h, count: 2}}\n",
      "id: bad.macro\ntype: \"A:B/C\"\nmatch: {macro: nowhere}\n",
      "macro: m1\nmatch: {macro: m1}\n---\nid: bad.loop\ntype: \"A:B/C\"\nmatch: {macro: m1}\n",
      "id: bad.type\ntype: ABC\nmatch: {eventName: X}\n",
      "id: bad.sev\ntype: \"A:B/C\"\nmatch: {eventName: X}\nseverity: {cases: []}\n",
      "id: good.a\ntype: \"A:B/C\"\nmatch: {eventName: X}\n",  // a duplicate id
      "list: [x]\nvalues: [a]\n",
      "id: bad.invalid\ntype: [unclosed\n",
  };
  int n = 0;
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    const fs::path d = fs::temp_directory_path() /
                       ("sentinel-shape-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(d);
    fs::create_directories(d);
    std::ofstream(d / "a_good.yaml") << "id: good.a\ntype: \"A:B/C\"\nmatch: {eventName: X}\n";
    std::ofstream(d / "b_case.yaml") << text;
    for (bool tests : {false, true}) {
      detect::LoadErrors fast_errors, alone_errors, slow_errors;
      auto fast = detect::load_rules(d.string(), &fast_errors, detect::LoadOptions{.tests = tests});
      auto alone = detect::load_rules(
          d.string(), &alone_errors,
          detect::LoadOptions{.tests = tests, .fast_yaml = true, .redo_refusals = false});
      auto slow = detect::load_rules(d.string(), &slow_errors,
                                     detect::LoadOptions{.tests = tests, .fast_yaml = false});
      EXPECT_EQ(describe(fast, fast_errors), describe(slow, slow_errors));
      // The fast load alone refuses whatever yaml-cpp refuses; where it refuses more (a read
      // of its trees yaml-cpp answers otherwise, e.g. the text of a null), the redo decides.
      if (!slow_errors.empty()) {
        EXPECT_FALSE(alone_errors.empty());
      }
      if (alone_errors.empty()) {
        EXPECT_EQ(describe(alone, alone_errors), describe(slow, slow_errors));
      }
    }
    fs::remove_all(d);
  }
}

TEST(YamlLite, FoldsAndNullsAsYamlCpp) {
  const char* cases[] = {
      "a: 1\nb:\nc: ~\nd: null\ne: 'x'\nf: \"y\\tz\\\\\"\ng: plain text # comment\n",
      "k: >-\n  one\n  two\n\n  three\nn: 1\n",
      "k: >\n  one\n  two\n\n\nn: 1\n",
      "k: |\n  one\n    two\n\n  three\nn: |-\n  x\n",
      "d: 'a long\n  text, folded\n\n  with a break'\ne: \"x \n   y\"\n",
      "m: {a: 1, b: [x, y], c: {d: e}}\n",
      "m: {a: 1,\n  b: [x,\n    y], c: 'q'}\nn: [1, 2,\n  3]\n",
      "dup: 1\ndup: 2\nlist:\n- a\n- b: c\n  d: e\n- [f]\n-\n  g: h\n",
      "--- \nid: a\n---\nid: b\n# trailing comment\n",
      "k: http://x:80/y\nq: 'it''s'\ne: []\nf: {}\n",
      "nested:\n  deeper:\n    - x\n    - y\n  back: z\n",
  };
  for (const char* c : cases) {
    EXPECT_TRUE(same_as_yaml_cpp(c, c)) << "declined: " << c;
  }
}

TEST(YamlLite, DeclinesWhatItDoesNotRead) {
  const char* cases[] = {
      "a: &x 1\nb: *x\n",      // anchors, aliases
      "a: !!str 1\n",          // tags
      "a: one\n  two\n",       // a plain scalar over two lines
      "a: {b: one\n  two}\n",  // the same in a flow mapping
      "a:\tb\n",               // a tab
      "a: b\r\n",              // CRLF
      "a: |+\n  x\n",          // keep chomping
      "a: b: c\n",             // not valid YAML
      "a: [b, c\n",            // unclosed
      "- a\n- b\n",            // a document that is not a mapping
      "a: 1\n---\n",           // an empty document
      "a: \"\\u00e9\"\n",      // escapes beyond the simple ones
      "? a\n: b\n",            // a complex key
      "a: 1\n b: 2\n",         // bad indentation
      "d: >-\n  text\n  ",     // a last line of spaces, no line break (yaml-cpp: "text ")
  };
  for (const char* c : cases) {
    std::vector<YAML::Node> docs;
    EXPECT_FALSE(detect::load_all_lite(c, &docs)) << c;
    EXPECT_TRUE(docs.empty());
  }
}

// Differential fuzzing: windows of the shipped rule files, damaged by small edits in the bytes
// YAML gives meaning to. Wherever lite reads a text, its trees must be yaml-cpp's, and it must
// never read a text yaml-cpp refuses (same_as_yaml_cpp fails the test in both cases). The edits
// are drawn from a fixed seed, so a failure names a text that can be replayed.
TEST(YamlLite, MutatedRuleTextReadsAsYamlCppOrDeclines) {
  std::vector<std::string> lines_of_all;
  for (const auto& p : yaml_files(source_dir() + "/rules")) {
    std::istringstream in(read(p));
    for (std::string l; std::getline(in, l);) lines_of_all.push_back(l);
  }
  ASSERT_GT(lines_of_all.size(), 1000u);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state](uint64_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % n;
  };
  static const char kBytes[] = ":- #'\"[]{},\n|>&*!?%@`\\~0aZ.";
  std::size_t read_by_lite = 0;
  const int kCases = 6000;
  for (int c = 0; c < kCases; ++c) {
    // A window of 3-30 lines, made a document by dropping the common indentation of its first line.
    const std::size_t start = next(lines_of_all.size() - 30);
    const std::size_t count = 3 + next(28);
    std::string text;
    std::size_t indent = lines_of_all[start].find_first_not_of(' ');
    if (indent == std::string::npos) indent = 0;
    for (std::size_t i = start; i < start + count; ++i) {
      const std::string& l = lines_of_all[i];
      const std::size_t lead = l.find_first_not_of(' ');
      text += (lead != std::string::npos && lead >= indent) ? l.substr(indent) : l;
      text += '\n';
    }
    const int edits = static_cast<int>(next(4));  // 0 keeps the window as it is
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = next(text.size());
      switch (next(4)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, kBytes[next(sizeof(kBytes) - 1)]);
          break;
        case 2:
          text[at] = kBytes[next(sizeof(kBytes) - 1)];
          break;
        default: {  // indent or dedent the line holding `at` by one or two spaces
          const std::size_t bol =
              text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
          if (next(2) == 0) {
            text.insert(bol, next(2) + 1, ' ');
          } else if (text.compare(bol, 1, " ") == 0) {
            text.erase(bol, 1);
          }
        }
      }
    }
    if (same_as_yaml_cpp(text, "case " + std::to_string(c) + ":\n" + text)) ++read_by_lite;
    if (::testing::Test::HasFailure()) break;  // one replayable text is enough
  }
  std::printf("lite read %zu of %d mutated texts\n", read_by_lite, kCases);
  EXPECT_GT(read_by_lite, static_cast<std::size_t>(kCases / 10));  // the fuzz reaches the reader
}

// A pack that refuses a rule is loaded again with yaml-cpp: the messages, with the line and
// column yaml-cpp's exceptions name, are those of yaml-cpp alone.
TEST(YamlLite, RefusalsAreYamlCppsOwn) {
  const fs::path d = fs::temp_directory_path() / ("sentinel-lite-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  std::ofstream(d / "a_good.yaml") << "id: good.a\ntype: \"A:B/C\"\nmatch: {eventName: X}\n";
  // A scalar where a map is due, deep in a rule: a yaml-cpp exception with a mark.
  std::ofstream(d / "b_shape.yaml")
      << "id: bad.shape\ntype: \"A:B/C\"\nmatch: {eventName: X}\nseverity:\n  default: 2\n"
         "  cases: [3]\n";
  std::ofstream(d / "c_invalid.yaml") << "id: bad.yaml\ntype: [unclosed\n";
  detect::LoadErrors fast_errors, slow_errors;
  auto fast = detect::load_rules(d.string(), &fast_errors, detect::LoadOptions{});
  auto slow = detect::load_rules(d.string(), &slow_errors, detect::LoadOptions{.fast_yaml = false});
  EXPECT_EQ(describe(fast, fast_errors), describe(slow, slow_errors));
  EXPECT_EQ(fast.size(), 1u);
  EXPECT_GE(fast_errors.messages.size(), 2u);
  bool has_line = false;
  for (const auto& m : fast_errors.messages)
    has_line = has_line || m.find("line ") != std::string::npos;
  EXPECT_TRUE(has_line) << describe(fast, fast_errors);
  fs::remove_all(d);
}

}  // namespace
}  // namespace sentinel::testing::dt
