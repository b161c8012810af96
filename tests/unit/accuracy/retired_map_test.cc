// data/guardduty/retired_types.tsv: the map of retired GuardDuty finding types to current ones.
// Its shape, and that every current type it names is real here: raised by a shipped rule, or
// listed in docs/detections.md (types of other detection areas, or not reproducible from logs).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detect/rules/native.h"
#include "test_support.h"

namespace sentinel::detect {
namespace {

TEST(RetiredTypes, EveryRowMapsToCurrentTypes) {
  const std::string root = testing::source_dir();
  std::ifstream in(root + "/data/guardduty/retired_types.tsv");
  ASSERT_TRUE(in) << "data/guardduty/retired_types.tsv is missing";
  LoadErrors errors;
  std::set<std::string> raised;
  // Every area's rules (a folder that does not load adds nothing; rules test reports it).
  for (const auto& d : std::filesystem::directory_iterator(root + "/rules")) {
    if (!d.is_directory()) continue;
    for (const auto& r : load_rules(d.path().string(), &errors)) raised.insert(r.type);
  }
  const std::string docs = testing::read_file(root + "/docs/detections.md");
  std::set<std::string> retired;
  std::string line;
  int rows = 0;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    ASSERT_EQ(cols.size(), 3u) << "line " << line_no << ": retired, current, note expected";
    EXPECT_TRUE(retired.insert(cols[0]).second) << "line " << line_no << ": duplicate " << cols[0];
    EXPECT_EQ(raised.count(cols[0]), 0u)
        << "line " << line_no << ": " << cols[0] << " is retired but a shipped rule raises it";
    std::stringstream cur(cols[1]);
    std::string type;
    while (std::getline(cur, type, ',')) {
      if (type == "-") continue;
      EXPECT_NE(type.find(':'), std::string::npos) << "line " << line_no << ": " << type;
      EXPECT_TRUE(raised.count(type) > 0 || docs.find(type) != std::string::npos)
          << "line " << line_no << ": " << type
          << " is neither raised by a shipped rule nor listed in docs/detections.md";
    }
    ++rows;
  }
  EXPECT_GE(rows, 15);
}

}  // namespace
}  // namespace sentinel::detect
