// The public corpus in ../shared/corpus as a conformance suite: every log file is accounted for
// (events + rejects, no crash), and the counts that matter are pinned.
#include <algorithm>
#include <filesystem>
#include <map>

#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

namespace fs = std::filesystem;

struct Count {
  std::size_t events = 0;
  std::size_t rejects = 0;
  std::map<std::string, int> reasons;
  JsonlSink sink;
};

Count read_path(const std::string& path, ingest::ParseOptions opts = {}) {
  Count c;
  ingest::Reader reader(opts);
  reader.read(path, c.sink);
  c.events = c.sink.events.size();
  c.rejects = c.sink.rejects.size();
  for (const auto& r : c.sink.reasons) ++c.reasons[r];
  return c;
}

// Files in the corpus that are not logs: rule metadata, narratives, archives of the extracted
// files, licences.
bool is_log_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::string name = p.filename().string();
  if (ext == ".yml" || ext == ".yaml" || ext == ".md" || ext == ".zip" || ext == ".py")
    return false;
  // Panther's extracted rule tests are test tables, not logs: read by the detection tests.
  if (name.rfind("tests_", 0) == 0) return false;
  return true;
}

TEST(Corpus, EveryLogFileIsAccountedFor) {
  SENTINEL_REQUIRE_CORPUS(dir);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || !is_log_file(e.path())) continue;
    ++files;
    Count c = read_path(e.path().string());
    EXPECT_GT(c.events + c.rejects, 0u) << e.path() << " produced neither events nor rejects";
  }
  EXPECT_GE(files, 20);
}

TEST(Corpus, OpenSearchLargeSampleHas840Events) {
  SENTINEL_REQUIRE_CORPUS(dir);
  Count c = read_path(dir +
                      "/opensearch-project__opensearch-catalog/integrations/observability/"
                      "aws_cloudtrail/data/raw-large-samples.json");
  EXPECT_EQ(c.events, 840u);
  EXPECT_EQ(c.rejects, 0u);
  EXPECT_NE(c.sink.events[0].find("\"account\":\"347283850106\""), std::string::npos);
  EXPECT_NE(c.sink.events[0].find("\"region\":\"eu-west-1\""), std::string::npos);
}

TEST(Corpus, OpenSearchSingleSamplesReadWhole) {
  SENTINEL_REQUIRE_CORPUS(dir);
  const std::string base =
      dir +
      "/opensearch-project__opensearch-catalog/integrations/observability/aws_cloudtrail/"
      "data/";
  for (const char* f : {"raw-sample.json", "raw-sample-2.json", "raw-sample-3.json",
                        "raw-sample-4.json", "raw-sample-5.json"}) {
    Count c = read_path(base + f);
    EXPECT_EQ(c.events, 1u) << f;
    EXPECT_EQ(c.rejects, 0u) << f;
  }
}

TEST(Corpus, OpenSearchMalformedFileRecoversWhatItCan) {
  SENTINEL_REQUIRE_CORPUS(dir);
  // Upstream broken file: records wrapped in {"aws":{"cloudtrail":...}} with unbalanced braces.
  // The bare records are read; the wrapped ones are reported, not guessed at.
  Count c = read_path(dir +
                      "/opensearch-project__opensearch-catalog/integrations/observability/"
                      "aws_cloudtrail/data/samples-large.MALFORMED.json");
  EXPECT_EQ(c.events, 792u);
  EXPECT_EQ(c.reasons["invalid_json"], 2);
  EXPECT_EQ(c.reasons["not_an_event"], 47);
}

// AWS's own CloudTrail processing library test files, read as its tests expect: the valid files
// give all their records, the damaged ones give their good records and a named reject.
TEST(Corpus, AwsProcessingLibraryFiles) {
  SENTINEL_REQUIRE_CORPUS(dir);
  const std::string base = dir + "/aws__aws-cloudtrail-processing-library/src/test/resources/";
  struct Expect {
    const char* file;
    std::size_t events;
    std::map<std::string, int> reasons;
  };
  const Expect expects[] = {
      {"SerializerTestFile.json", 6, {}},
      {"SerializerTestFileCompact.json", 6, {}},
      {"SerializerTestFileCompact.json.gz", 6, {}},
      {"SerializerTestFileLocation.json", 6, {}},
      {"SerializerAllFieldsNull.json", 2, {}},
      {"SerializerTestFileNewFieldAtRandomPlaces.json", 2, {}},
      {"SerializerTestFileNewFieldsInRoot.json", 2, {}},
      {"SerializerTestFileNewFieldsInUserIdentity.json", 2, {}},
      {"SerializerVariousUserIdentityTestFile.json", 1, {}},
      // Every field name misspelt in the first record: not a CloudTrail record.
      {"SerializerTestFileBadFieldName.json", 1, {{"not_an_event", 1}}},
      {"SerializerTestFileNewFieldName.json", 1, {{"not_an_event", 1}}},
      // eventTime "ThisIsAWrongEventTime".
      {"SerializerTestFileMissField.json", 3, {{"bad_time", 1}}},
      // A missing '}' in the first record: it is lost, the second is read.
      {"SerializerTestFileBadJsonFormat.json", 1, {{"invalid_json", 1}}},
      // SNS notifications about delivered files, not log records.
      {"SQSMessageBody", 0, {{"unknown_format", 1}}},
      {"SQSMessageBodyWrongFormat", 0, {{"unknown_format", 1}}},
  };
  for (const auto& e : expects) {
    Count c = read_path(base + e.file);
    EXPECT_EQ(c.events, e.events) << e.file;
    EXPECT_EQ(c.reasons, e.reasons) << e.file;
  }
  // The compact file and the pretty one hold the same records.
  Count pretty = read_path(base + "SerializerTestFileCompact.json");
  Count gz = read_path(base + "SerializerTestFileCompact.json.gz");
  for (std::size_t i = 0; i < pretty.sink.events.size(); ++i) {
    std::string a = pretty.sink.events[i], b = gz.sink.events[i];
    a.erase(a.find("\"source\""), a.find("},", a.find("\"source\"")) - a.find("\"source\""));
    b.erase(b.find("\"source\""), b.find("},", b.find("\"source\"")) - b.find("\"source\""));
    EXPECT_EQ(a, b);
  }
}

TEST(Corpus, OtrfNdjsonUsesLogstashTimestamp) {
  SENTINEL_REQUIRE_CORPUS(dir);
  // Events that passed through Logstash: no eventTime, so the time comes from @timestamp.
  Count c = read_path(dir +
                      "/OTRF__Security-Datasets/_extracted/"
                      "ec2_proxy_s3_exfiltration_2020-09-14011940.json");
  EXPECT_EQ(c.events, 103u);
  EXPECT_EQ(c.rejects, 0u);
  for (const auto& ev : c.sink.events) {
    EXPECT_NE(ev.find("\"time_from\":\"@timestamp\""), std::string::npos);
    EXPECT_EQ(ev.find("\"time\":null"), std::string::npos);
  }
}

TEST(Corpus, PantherScenariosReadCompletely) {
  SENTINEL_REQUIRE_CORPUS(dir);
  const std::string base = dir + "/panther-labs__panther-analysis/_extracted/test_scenarios/";
  const std::map<std::string, std::size_t> expected = {
      {"compromised-root-creds__attacker_cloudtrail.cloudtrail.json", 12},
      {"compromised-root-creds__attacker_vpc.vpcflow.log", 6},
  };
  for (const auto& [file, n] : expected) {
    Count c = read_path(base + file);
    EXPECT_EQ(c.events, n) << file;
    EXPECT_EQ(c.rejects, 0u) << file;
  }
  for (const auto& e : fs::directory_iterator(base)) {
    Count c = read_path(e.path().string());
    EXPECT_GT(c.events, 0u) << e.path();
    EXPECT_EQ(c.rejects, 0u) << e.path();
  }
}

}  // namespace
}  // namespace sentinel::testing
