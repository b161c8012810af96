#pragma once
/// Helpers shared by the tests: a capturing sink, the corpus location, reading files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/event.h"
#include "ingest/jsonl.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::testing {

/// Records everything as JSON lines (the `sentinel parse` form) and rejects as reject lines.
class JsonlSink : public ingest::EventSink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override { add(e); }
  void on_flow(const ingest::FlowRecord& f) override { add(f); }
  void on_dns(const ingest::DnsQuery& q) override { add(q); }
  void on_guardduty(const ingest::GuardDutyFinding& g) override { add(g); }
  void on_digest(const ingest::DigestFile& d) override { digests.emplace_back(d.ref.path); }
  void on_reject(const Reject& r) override {
    std::string s;
    ingest::append_reject_jsonl(r, &s);
    s.pop_back();
    rejects.push_back(s);
    reasons.emplace_back(reject_name(r.reason));
  }

  std::vector<std::string> events;
  std::vector<std::string> rejects;
  std::vector<std::string> reasons;
  std::vector<std::string> digests;

 private:
  template <typename E>
  void add(const E& e) {
    std::string s;
    ingest::append_jsonl(e, &s, &scratch_);
    s.pop_back();
    events.push_back(s);
  }
  ingest::JsonlScratch scratch_;
};

inline std::string source_dir() {
  const char* env = std::getenv("SENTINEL_SOURCE_DIR");
  return env != nullptr ? env : SENTINEL_SOURCE_DIR;
}

/// The public corpus folder: $SENTINEL_CORPUS, else ../shared/corpus beside the repository.
/// Empty when missing; tests then skip, except under CI=true where they fail.
inline std::string corpus_dir() {
  const char* env = std::getenv("SENTINEL_CORPUS");
  std::filesystem::path p = env != nullptr
                                ? std::filesystem::path(env)
                                : std::filesystem::path(source_dir()) / ".." / "shared" / "corpus";
  return std::filesystem::is_directory(p) ? p.lexically_normal().string() : std::string();
}

#define SENTINEL_REQUIRE_CORPUS(dir)                                      \
  std::string dir = ::sentinel::testing::corpus_dir();                    \
  if (dir.empty()) {                                                      \
    const char* ci = std::getenv("CI");                                   \
    if (ci != nullptr && std::string(ci) == "true") {                     \
      FAIL() << "the public corpus is missing (set SENTINEL_CORPUS)";     \
    }                                                                     \
    GTEST_SKIP() << "the public corpus is missing (set SENTINEL_CORPUS)"; \
  }

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace sentinel::testing
