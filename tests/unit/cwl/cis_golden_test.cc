// Golden tests for the shipped CIS pack (rules/alarms/cis.yaml): every metric filter runs over
// the case's CloudTrail events (tests/golden/cwl/<case>/events.json) and over the real event
// shapes of the public corpus (Panther's CloudTrail rule tests), and the matches — sorted
// "filter<TAB>event id" lines — must equal expected_matches.txt / expected_corpus_matches.txt.
// SENTINEL_UPDATE_GOLDEN=1 rewrites them; review the diff.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cwl/metrics.h"
#include "cwl_support.h"

namespace sentinel::testing {
namespace {

namespace fs = std::filesystem;

cwl::MonitorConfig cis_pack() {
  cwl::MonitorConfig mc;
  std::vector<std::string> errors;
  EXPECT_TRUE(cwl::load_monitor_file(source_dir() + "/rules/alarms/cis.yaml", &mc, &errors))
      << (errors.empty() ? "" : errors[0]);
  return mc;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream f(p);
  std::string l;
  while (std::getline(f, l)) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

void compare(const fs::path& expected, std::vector<std::string> got) {
  std::sort(got.begin(), got.end());
  const char* up = std::getenv("SENTINEL_UPDATE_GOLDEN");
  if (up != nullptr && std::string(up) == "1") {
    std::ofstream f(expected);
    for (const auto& l : got) f << l << "\n";
    return;
  }
  EXPECT_EQ(lines_of(expected), got) << "matches differ from " << expected;
}

std::vector<std::string> matches(const cwl::MonitorConfig& mc, const std::string& bytes) {
  std::vector<std::string> got;
  for_each_view("events.json", bytes, [&](const detect::EventView& ev) {
    for (const auto& f : mc.filters) {
      if (f.pattern.matches(ev)) got.push_back(f.name + "\t" + ev.event_id());
    }
  });
  return got;
}

TEST(CisGolden, PackLoadsWithEveryControl) {
  cwl::MonitorConfig mc = cis_pack();
  EXPECT_EQ(mc.filters.size(), 15u);
  EXPECT_EQ(mc.alarms.size(), 15u);
  for (const auto& f : mc.filters) EXPECT_EQ(f.pattern.kind(), cwl::PatternKind::kJson) << f.name;
}

TEST(CisGolden, CaseEvents) {
  cwl::MonitorConfig mc = cis_pack();
  const fs::path root = fs::path(source_dir()) / "tests" / "golden" / "cwl";
  int cases = 0;
  for (const auto& c : fs::directory_iterator(root)) {
    if (!c.is_directory() || !fs::exists(c.path() / "events.json")) continue;
    ++cases;
    compare(c.path() / "expected_matches.txt", matches(mc, read_file(c.path() / "events.json")));
  }
  EXPECT_GT(cases, 0);
}

TEST(CisGolden, CorpusEventShapes) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  const std::string path =
      corpus + "/panther-labs__panther-analysis/_extracted/tests_AWS_CloudTrail.jsonl";
  if (!fs::exists(path)) GTEST_SKIP() << "no " << path;
  // Each line is a Panther rule test; its `log` is a CloudTrail record.
  simdjson::dom::parser parser;
  std::string records = "{\"Records\":[";
  bool first = true;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element doc, log;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) continue;
    if (doc["log"].get(log) != simdjson::SUCCESS || !log.is_object()) continue;
    simdjson::dom::element name;
    if (log["eventName"].get(name) != simdjson::SUCCESS) continue;
    if (!first) records.push_back(',');
    records += simdjson::minify(log);
    first = false;
  }
  records += "]}";
  cwl::MonitorConfig mc = cis_pack();
  std::vector<std::string> got;
  ViewSink sink([&](const detect::EventView& ev) {
    for (const auto& f : mc.filters) {
      if (f.pattern.matches(ev)) got.push_back(f.name + "\t" + ev.event_id());
    }
  });
  ingest::Reader reader({});
  reader.read_bytes("panther.json", records, sink);
  compare(
      fs::path(source_dir()) / "tests" / "golden" / "cwl" / "cis" / "expected_corpus_matches.txt",
      got);
}

}  // namespace
}  // namespace sentinel::testing
