// Accuracy of the shipped rules on public data nobody on this project wrote:
// - Panther's rule tests (panther-labs/panther-analysis, in the corpus): for every Panther rule
//   with an equivalent here (panther_map.tsv), does our rule agree with Panther's
//   ExpectedResult on each test event? The per-rule tallies are pinned in
//   panther_expected.tsv (SENTINEL_UPDATE_GOLDEN=1 rewrites it; the diff is read in review) and
//   summarised in docs/accuracy.md.
// - Benign real CloudTrail (the opensearch 840-event file, AWS's processing-library test files):
//   no shipped rule raises a High or Critical finding.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detect/engine.h"
#include "detect/event_view.h"
#include "detect/rules/native.h"
#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::detect {
namespace {

namespace fs = std::filesystem;

std::string here() {
  return testing::source_dir() + "/tests/unit/accuracy/";
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    rows.push_back(cols);
  }
  return rows;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

// Feeds CloudTrail records to an engine, counting rejects.
class EngineSink : public ingest::EventSink {
 public:
  explicit EngineSink(Engine* engine) : engine_(engine) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    EventView v(e, scratch_.get());
    engine_->on_event(v);
    ++events;
  }
  void on_flow(const ingest::FlowRecord& f) override {
    EventView v(f, scratch_.get());
    engine_->on_event(v);
    ++events;
  }
  void on_dns(const ingest::DnsQuery& q) override {
    EventView v(q, scratch_.get());
    engine_->on_event(v);
    ++events;
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    EventView v(g, scratch_.get());
    engine_->on_event(v);
    ++events;
  }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  int events = 0;
  int rejects = 0;

 private:
  Engine* engine_;
  EventView::ScratchPtr scratch_ = EventView::make_scratch();
};

// The shipped rules, folder by folder (rules/<area>/). A folder that fails to load is a failure
// for the CloudTrail/S3/sequence folders this test is about; another area's folder (which may be
// mid-edit, or hold a different kind of YAML) is skipped with a note.
std::vector<Rule> shipped_rules() {
  std::vector<Rule> rules;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(testing::source_dir() + "/rules")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    LoadErrors errors;
    std::vector<Rule> loaded = load_rules(d.string(), &errors);
    const std::string area = d.filename().string();
    const bool ours = area == "cloudtrail" || area == "s3" || area == "sequences";
    for (const auto& e : errors.messages) {
      if (ours) {
        ADD_FAILURE() << "rule refused: " << e;
      } else {
        std::printf("note: skipped in rules/%s: %s\n", area.c_str(), e.c_str());
      }
    }
    for (auto& r : loaded) rules.push_back(std::move(r));
  }
  return rules;
}

struct Tally {
  int tests = 0;
  int agree = 0;
  int false_positive = 0;  // we fire, Panther expects no alert
  int false_negative = 0;  // Panther expects an alert, we do not fire
  int unparsed = 0;        // the test event is not a CloudTrail record our parser accepts
  int with_mocks = 0;      // Panther's verdict depends on mocked helpers (counted in tests)
};

std::string tally_line(const std::string& id, const Tally& t) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s\t%d\t%d\t%d\t%d\t%d\t%d", id.c_str(), t.tests, t.agree,
                t.false_positive, t.false_negative, t.unparsed, t.with_mocks);
  return buf;
}

TEST(Accuracy, PantherRuleTestsAgreeWithTheirExpectedResults) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> map;
  for (const auto& row : read_tsv(here() + "panther_map.tsv")) {
    ASSERT_EQ(row.size(), 3u) << "panther_map.tsv: three columns expected";
    map[row[0]] = {row[1], split(row[2], ',')};
  }
  const std::vector<Rule> all = shipped_rules();
  std::map<std::string, const Rule*> by_id;
  for (const auto& r : all) by_id[r.id] = &r;
  for (const auto& [pid, m] : map) {
    for (const auto& id : m.second) ASSERT_TRUE(by_id.count(id)) << pid << ": no rule " << id;
  }

  std::map<std::string, Tally> tallies;
  simdjson::dom::parser parser;
  const std::string dir = corpus + "/panther-labs__panther-analysis/_extracted/";
  for (const char* file :
       {"tests_AWS_CloudTrail.jsonl", "tests_AWS_CloudTrail__AWS_VPCFlow.jsonl"}) {
    std::ifstream in(dir + file);
    ASSERT_TRUE(in) << dir << file;
    std::string line;
    while (std::getline(in, line)) {
      simdjson::dom::element rec;
      ASSERT_EQ(parser.parse(line).get(rec), simdjson::SUCCESS);
      std::string_view pid;
      bool expected = false;
      simdjson::dom::element log;
      if (rec["rule_id"].get(pid) != simdjson::SUCCESS ||
          rec["expected_result"].get(expected) != simdjson::SUCCESS ||
          rec["log"].get(log) != simdjson::SUCCESS) {
        continue;
      }
      auto it = map.find(std::string(pid));
      if (it == map.end()) continue;
      Tally& t = tallies[it->first];
      ++t.tests;
      if (!rec["mocks"].is_null()) ++t.with_mocks;

      std::vector<Rule> rules;
      for (const auto& id : it->second.second) rules.push_back(*by_id[id]);
      std::vector<std::string> errors;
      Engine engine(std::move(rules), EngineOptions{}, &errors);
      ASSERT_TRUE(errors.empty()) << errors.front();
      EngineSink sink(&engine);
      ingest::ParseOptions po;
      po.forced_type = ingest::LogType::kCloudTrail;
      ingest::Reader reader(po);
      reader.read_bytes("panther.json", "{\"Records\":[" + simdjson::minify(log) + "]}", sink);
      engine.finish();
      if (sink.events == 0) {
        ++t.unparsed;
        continue;
      }
      const bool fired = it->second.first == "match" ? engine.stats().matches > 0
                                                     : !engine.take_findings().empty();
      std::string_view name;
      if (rec["test_name"].get(name) != simdjson::SUCCESS) name = "?";
      if (fired != expected) {
        std::printf("DISAGREE %s / %.*s: Panther %s, Sentinel %s\n", it->first.c_str(),
                    static_cast<int>(name.size()), name.data(), expected ? "alerts" : "silent",
                    fired ? "fires" : "silent");
      }
      if (fired == expected) {
        ++t.agree;
      } else if (fired) {
        ++t.false_positive;
      } else {
        ++t.false_negative;
      }
    }
  }

  std::string actual =
      "# panther_rule\ttests\tagree\tfalse_positive\tfalse_negative\tunparsed\tmocked\n";
  Tally total;
  for (const auto& [pid, t] : tallies) {
    actual += tally_line(pid, t) + "\n";
    total.tests += t.tests;
    total.agree += t.agree;
    total.false_positive += t.false_positive;
    total.false_negative += t.false_negative;
    total.unparsed += t.unparsed;
    total.with_mocks += t.with_mocks;
  }
  actual += tally_line("TOTAL", total) + "\n";
  std::printf("%s", actual.c_str());
  EXPECT_EQ(tallies.size(), map.size()) << "a mapped Panther rule has no tests in the corpus";

  const std::string golden = here() + "panther_expected.tsv";
  const char* update = std::getenv("SENTINEL_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden) << actual;
    GTEST_SKIP() << "rewrote " << golden;
  }
  EXPECT_EQ(testing::read_file(golden), actual)
      << "agreement with Panther changed: if intended, rerun with SENTINEL_UPDATE_GOLDEN=1, "
         "review the diff and update docs/accuracy.md";
  // A floor that holds whatever the golden says: most verdicts agree.
  EXPECT_GE(total.agree * 10, (total.tests - total.unparsed) * 8);
}

// Runs every shipped rule over `files` (CloudTrail) and returns the findings.
std::vector<findings::Finding> detect_over(const std::vector<std::string>& files, int* events,
                                           int* rejects) {
  std::vector<std::string> errors;
  Engine engine(shipped_rules(), EngineOptions{}, &errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  EngineSink sink(&engine);
  ingest::ParseOptions po;
  po.forced_type = ingest::LogType::kCloudTrail;
  ingest::Reader reader(po);
  for (const auto& f : files) {
    reader.read_bytes(f, testing::read_file(f), sink);
    engine.end_of_input_object();
  }
  engine.finish();
  *events = sink.events;
  *rejects = sink.rejects;
  return engine.take_findings();
}

void expect_no_high(const std::vector<findings::Finding>& fs, const std::string& what) {
  for (const auto& f : fs) {
    EXPECT_LT(f.severity, 7.0) << what << ": " << f.type << " (" << f.severity << ") " << f.title;
  }
}

TEST(Accuracy, OpensearchBenignSampleRaisesNoHighFinding) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  const std::string f = corpus +
                        "/opensearch-project__opensearch-catalog/integrations/observability/"
                        "aws_cloudtrail/data/raw-large-samples.json";
  ASSERT_TRUE(fs::exists(f)) << f;
  int events = 0;
  int rejects = 0;
  auto found = detect_over({f}, &events, &rejects);
  EXPECT_EQ(events, 840);
  EXPECT_EQ(rejects, 0);
  expect_no_high(found, "opensearch raw-large-samples.json");
  for (const auto& x : found)
    std::printf("opensearch: %s %.0f %s\n", x.type.c_str(), x.severity, x.title.c_str());
}

TEST(Accuracy, ProcessingLibraryFilesRaiseNoHighFinding) {
  SENTINEL_REQUIRE_CORPUS(corpus);
  std::vector<std::string> files;
  for (const auto& e :
       fs::recursive_directory_iterator(corpus + "/aws__aws-cloudtrail-processing-library")) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  int events = 0;
  int rejects = 0;
  auto found = detect_over(files, &events, &rejects);
  EXPECT_GT(events, 20);
  expect_no_high(found, "aws-cloudtrail-processing-library");
  for (const auto& x : found)
    std::printf("processing-library: %s %.0f %s\n", x.type.c_str(), x.severity, x.title.c_str());
}

}  // namespace
}  // namespace sentinel::detect
