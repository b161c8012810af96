// Golden cases: each folder tests/golden/<kind>/<case>/ holds input files (any names; a folder
// tree such as AWSLogs/... is walked), an optional `args` file (lines `--type X` or
// `--flow-format ...`), and the expectations `expected_events.jsonl`, `expected_rejects.jsonl`
// and, when digests are listed, `expected_digests.txt`: sorted lines in the `sentinel parse`
// form. SENTINEL_UPDATE_GOLDEN=1 rewrites the expectations; review the diff.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "ingest/reader.h"
#include "ingest/sources/inputs.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

namespace fs = std::filesystem;

fs::path golden_root() {
  return fs::path(source_dir()) / "tests" / "golden";
}

bool is_expectation(const std::string& name) {
  return name == "args" || name.rfind("expected_", 0) == 0 || name.rfind("README", 0) == 0;
}

std::vector<std::string> find_cases() {
  std::vector<std::string> cases;
  std::error_code ec;
  for (const auto& kind : fs::directory_iterator(golden_root(), ec)) {
    if (!kind.is_directory()) continue;
    for (const auto& c : fs::directory_iterator(kind.path(), ec)) {
      if (c.is_directory()) {
        cases.push_back(kind.path().filename().string() + "/" + c.path().filename().string());
      }
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> lines;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  if (lines.empty()) {
    fs::remove(p);
    return;
  }
  std::ofstream f(p);
  for (const auto& l : lines) f << l << "\n";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, Matches) {
  const fs::path dir = golden_root() / GetParam();
  ingest::ParseOptions options;
  for (const std::string& line : read_lines(dir / "args")) {
    std::size_t sp = line.find(' ');
    std::string flag = line.substr(0, sp);
    std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (flag == "--type") {
      ASSERT_TRUE(ingest::parse_log_type(value, &options.forced_type)) << value;
    } else if (flag == "--flow-format") {
      options.flow_format = value;
    } else if (flag == "--max-decompressed") {
      options.max_decompressed = std::stoull(value);
    } else {
      FAIL() << "unknown flag in args: " << flag;
    }
  }
  // Read with paths relative to the case folder, so outputs do not depend on the checkout.
  std::vector<std::string> inputs;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_regular_file()) continue;
    fs::path rel = fs::relative(it->path(), dir);
    if (rel.begin() != rel.end() && is_expectation(rel.begin()->string())) continue;
    inputs.push_back(rel.string());
  }
  std::sort(inputs.begin(), inputs.end());
  ASSERT_FALSE(inputs.empty()) << "no input in " << dir;

  fs::path cwd = fs::current_path();
  fs::current_path(dir);
  JsonlSink sink;
  ingest::Reader reader(options);
  for (const auto& in : inputs) reader.read(in, sink);
  fs::current_path(cwd);

  std::sort(sink.events.begin(), sink.events.end());
  std::sort(sink.rejects.begin(), sink.rejects.end());
  std::sort(sink.digests.begin(), sink.digests.end());
  const char* update = std::getenv("SENTINEL_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    write_lines(dir / "expected_events.jsonl", sink.events);
    write_lines(dir / "expected_rejects.jsonl", sink.rejects);
    write_lines(dir / "expected_digests.txt", sink.digests);
    GTEST_SKIP() << "expectations rewritten";
  }
  EXPECT_EQ(read_lines(dir / "expected_events.jsonl"), sink.events) << "events differ in " << dir;
  EXPECT_EQ(read_lines(dir / "expected_rejects.jsonl"), sink.rejects)
      << "rejects differ in " << dir;
  EXPECT_EQ(read_lines(dir / "expected_digests.txt"), sink.digests) << "digests differ in " << dir;
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(find_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

}  // namespace
}  // namespace sentinel::testing
