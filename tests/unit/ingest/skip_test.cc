// The CloudTrail parser's skip test (ParseOptions::skip_unless, used by `sentinel filter`):
// with it, a record whose bytes hold none of the strings may come as a placeholder
// (CloudTrailEvent::skipped) instead of a parsed event. Everything else must be the same as
// without it: the same records accepted in the same order with the same record numbers, lines,
// offsets and fields, the same rejects (reason, record, line,
// offset, detail, including those the parser makes itself), and no record holding one of
// the strings skipped; whatever damage the data has (grammar, numbers, literals, escapes, types
// of the typed fields, times, nesting, UTF-8), wherever the one-pass path's windows fall.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ingest/event_json.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/reader.h"
#include "ct_documents.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

namespace fs = std::filesystem;
using ct_documents::damage;
using ct_documents::document;
using ct_documents::record;

struct Entry {
  char kind;  // 'E' event, 'S' skipped, 'R' reject
  int64_t record = 0;
  uint64_t offset = 0;
  uint64_t line = 0;
  std::string text;  // the event's JSON line or the reject's; the raw record for 'S'
  std::string raw;
};

class LogSink : public ct_documents::CloudTrailOnlySink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    Entry x{e.skipped ? 'S' : 'E', e.meta.ref.record, e.meta.ref.offset, e.meta.ref.line, {},
            std::string(e.raw)};
    if (!e.skipped) {
      ingest::append_jsonl(e, &x.text, &scratch_);
    } else {
      ++skipped;
    }
    log.push_back(std::move(x));
  }
  void on_reject(const Reject& r) override {
    Entry x{'R', r.where.record, r.where.offset, r.where.line, {}, {}};
    ingest::append_reject_jsonl(r, &x.text);
    log.push_back(std::move(x));
  }
  std::vector<Entry> log;
  int skipped = 0;

 private:
  ingest::JsonlScratch scratch_;
};

LogSink read(const std::string& path, const std::string& data,
             const std::vector<std::string>* needles) {
  ingest::ParseOptions o;
  o.skip_unless = needles;
  LogSink s;
  ct_documents::read_as_cloudtrail(path, data, o, s);
  return s;
}

bool holds_any(const std::string& raw, const std::vector<std::string>& needles) {
  for (const auto& n : needles) {
    if (raw.find(n) != std::string::npos) return true;
  }
  return false;
}

// Reads the same bytes with and without the skip test and checks they agree; returns how many
// records were skipped.
int expect_same(const std::string& path, const std::string& data,
                const std::vector<std::string>& needles, const std::string& what) {
  LogSink full = read(path, data, nullptr);
  LogSink skip = read(path, data, &needles);
  EXPECT_EQ(full.skipped, 0) << what;
  EXPECT_EQ(full.log.size(), skip.log.size()) << what;
  const std::size_t n = std::min(full.log.size(), skip.log.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Entry& a = full.log[i];
    const Entry& b = skip.log[i];
    if (b.kind == 'S') {
      // A placeholder stands for an event the full read accepted at the same place, and the
      // record holds none of the strings.
      EXPECT_EQ(a.kind, 'E') << what << " entry " << i << ": skipped, but read whole it gave "
                             << a.text;
      EXPECT_EQ(a.record, b.record) << what << " entry " << i;
      EXPECT_EQ(a.offset, b.offset) << what << " entry " << i;
      EXPECT_EQ(a.line, b.line) << what << " entry " << i;
      EXPECT_EQ(a.raw, b.raw) << what << " entry " << i;
      EXPECT_FALSE(holds_any(b.raw, needles)) << what << " entry " << i;
    } else {
      EXPECT_EQ(a.kind, b.kind) << what << " entry " << i;
      EXPECT_EQ(a.text, b.text) << what << " entry " << i;
    }
    if (::testing::Test::HasFailure()) return skip.skipped;  // one mismatch is enough to read
  }
  return skip.skipped;
}

const std::vector<std::string> kLogin{"ConsoleLogin"};

TEST(SkipTest, CleanRecordsAreSkippedUnlessTheyHoldTheString) {
  const std::string data = document(1, 3000, 0, false);
  ASSERT_GT(data.size(), std::size_t{1} << 20);  // several windows
  const int skipped = expect_same("t.json", data, kLogin, "clean");
  // Every record that does not name ConsoleLogin (about 4 in 5) is skipped, but the last one
  // (no record boundary follows it, so it takes the per-record path).
  EXPECT_GT(skipped, 2200);
  EXPECT_LT(skipped, 2700);
  // Two strings (an `||` of two values), and one no record holds.
  EXPECT_GT(expect_same("t.json", data, {"AssumeRole", "PutObject"}, "two"), 1300);
  EXPECT_EQ(expect_same("t.json", data, {"NoSuchEvent"}, "none"), 2999);
}

TEST(SkipTest, SameResultsAsAFullReadOnDamagedData) {
  int skipped = 0;
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    std::mt19937 rng(seed);
    const int n = 1 + static_cast<int>(rng() % 1200);
    const int damages = static_cast<int>(rng() % 40);
    const std::string data = document(seed, n, damages, seed % 5 == 0);
    skipped += expect_same("t.json", data, kLogin, "seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
  EXPECT_GT(skipped, 10000);
}

TEST(SkipTest, EveryDamageAloneInACleanDocument) {
  // Each damage kind many times over, one damaged record among clean ones, so that the walk's
  // verdict on it (and not a neighbour's) decides.
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed * 7919);
    std::vector<std::string> recs;
    for (int i = 0; i < 400; ++i) recs.push_back(record(rng, i));
    damage(rng, &recs[200]);
    std::string body;
    for (std::size_t i = 0; i < recs.size(); ++i) body += (i ? "," : "") + recs[i];
    expect_same("t.json", "{\"Records\":[" + body + "]}", {"NoSuchEvent"},
                "seed " + std::to_string(seed) + ": " + recs[200]);
    if (HasFailure()) return;
  }
}

// The public corpus's CloudTrail files (JSON documents, NDJSON, EventBridge, Insights).
TEST(SkipTest, CorpusFilesReadTheSame) {
  SENTINEL_REQUIRE_CORPUS(dir);
  int files = 0;
  int skipped = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const std::string p = e.path().string();
    if (p.find("cloudtrail") == std::string::npos && p.find("CloudTrail") == std::string::npos &&
        p.find("aws") == std::string::npos) {
      continue;
    }
    ++files;
    for (const auto& needles : std::vector<std::vector<std::string>>{
             {"ConsoleLogin"}, {"AssumeRole", "GetObject"}, {"NoSuchEvent"}}) {
      skipped += expect_same(p, "", needles, p);
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(files, 10);
  EXPECT_GT(skipped, 1000);
}

}  // namespace
}  // namespace sentinel::testing
