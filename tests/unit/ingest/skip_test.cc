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
#include "test_support.h"

namespace sentinel::testing {
namespace {

namespace fs = std::filesystem;

struct Entry {
  char kind;  // 'E' event, 'S' skipped, 'R' reject
  int64_t record = 0;
  uint64_t offset = 0;
  uint64_t line = 0;
  std::string text;  // the event's JSON line or the reject's; the raw record for 'S'
  std::string raw;
};

class LogSink : public ingest::EventSink {
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
  void on_flow(const ingest::FlowRecord&) override { ADD_FAILURE() << "flow"; }
  void on_dns(const ingest::DnsQuery&) override { ADD_FAILURE() << "dns"; }
  void on_guardduty(const ingest::GuardDutyFinding&) override { ADD_FAILURE() << "guardduty"; }
  void on_digest(const ingest::DigestFile&) override {}
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
  o.forced_type = ingest::LogType::kCloudTrail;
  o.skip_unless = needles;
  ingest::Reader reader(o);
  LogSink s;
  if (data.empty()) {
    reader.read(path, s);
  } else {
    reader.read_bytes(path, data, s);
  }
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

// A CloudTrail record with some variety: nested objects and arrays, numbers, literals, nulls.
std::string record(std::mt19937& rng, int i) {
  static const char* kNames[] = {"GetObject", "ConsoleLogin", "AssumeRole", "PutObject",
                                 "DescribeInstances"};
  std::string name = kNames[rng() % 5];
  std::string r = R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AID)" +
                  std::to_string(rng() % 1000) +
                  R"(","arn":"arn:aws:iam::123456789012:user/u","accountId":"123456789012",)"
                  R"("sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},)"
                  R"("eventTime":"2024-01-15T02:0)" +
                  std::to_string(rng() % 10) +
                  R"(:00Z","eventSource":"s3.amazonaws.com",)"
                  R"("eventName":")" +
                  name + R"(","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.)" +
                  std::to_string(rng() % 256) +
                  R"(","readOnly":true,"requestParameters":{"bucketName":"b","n":)" +
                  std::to_string(rng() % 100000) +
                  R"(,"f":-12.25,"list":[1,2,{"x":null}],"empty":{},"none":[]},)"
                  R"("responseElements":null,"eventID":"id-)" +
                  std::to_string(i) + R"(","managementEvent":false,"resources":[{"ARN":"a"}]})";
  return r;
}

// One damage to record `r` (string surgery on what record() wrote).
void damage(std::mt19937& rng, std::string* r) {
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t p = r->find(from);
    if (p != std::string::npos) r->replace(p, from.size(), to);
  };
  static const char* kNumbers[] = {"1e5",
                                   "1E+2",
                                   "01",
                                   "1.",
                                   "-",
                                   "-0",
                                   "0.5",
                                   "1.0e400",
                                   "12345678901234567890123",
                                   "123456789012345678",
                                   "-.5",
                                   "+1",
                                   "1.2.3",
                                   "0x10",
                                   "9007199254740993",
                                   "1234567890123456789"};
  static const char* kAtoms[] = {"tru", "nul", "falsey", "trueX", "True", "nulll", "f", "t"};
  static const char* kStrings[] = {R"("a\u0041b")",
                                   R"("a\nb")",
                                   R"("a\xb")",
                                   R"("a\u12")",
                                   R"("\ud800")",
                                   R"("a\/b")",
                                   R"("Console\u004cogin")",
                                   R"("a\\")",
                                   "\"a\x01b\"",
                                   "\"a\xffz\"",
                                   "\"\xc3\xa9t\xc3\xa9\"",
                                   R"("ConsoleLogin")",
                                   R"("")",
                                   R"("a\"b")"};
  switch (rng() % 24) {
    case 0:  // a typed field of the wrong type
      replace("\"eventName\":\"",
              std::string("\"eventName\":") + (rng() % 2 ? "5,\"x\":\"" : "{\"a\":1},\"x\":\""));
      break;
    case 1:
      replace("\"awsRegion\":\"us-east-1\"",
              rng() % 2 ? "\"awsRegion\":[\"a\"]" : "\"awsRegion\":null");
      break;
    case 2:  // userIdentity of the wrong type, or a member of it
      if (rng() % 2) {
        replace("\"userIdentity\":{", "\"userIdentity\":\"x\",\"u2\":{");
      } else {
        replace("\"arn\":\"arn:aws:iam::123456789012:user/u\"",
                rng() % 2 ? "\"arn\":5" : "\"arn\":null");
      }
      break;
    case 3:
      replace("\"sessionContext\":{", "\"sessionContext\":\"s\",\"sc\":{");
      break;
    case 4: {  // times
      static const char* kTimes[] = {"\"yesterday\"",
                                     "null",
                                     "\"\"",
                                     "5",
                                     "\"2024-13-01T00:00:00Z\"",
                                     "\"2024-01-15T02:00:00.123+01:00\""};
      std::size_t p = r->find("\"eventTime\":");
      if (p != std::string::npos) {
        std::size_t e = r->find(',', p);
        r->replace(p + 12, e - p - 12, kTimes[rng() % 6]);
      }
      break;
    }
    case 5:  // not CloudTrail, then Insights
      replace("\"eventVersion\":\"1.08\",", "");
      replace("\"eventSource\":\"s3.amazonaws.com\",", "");
      if (rng() % 2) {
        replace("\"eventName\":", "\"eventNam\":");
      } else {
        replace("\"eventName\":", "\"insightDetails\":{\"state\":\"Start\"},\"eventNam\":");
      }
      break;
    case 6:  // an EventBridge envelope
      *r = R"({"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":)" + *r + "}";
      break;
    case 7:  // repeated members
      replace("\"eventName\":", rng() % 2 ? "\"eventTime\":\"bad\",\"eventName\":"
                                          : "\"eventName\":\"Twice\",\"eventName\":");
      break;
    case 8:
    case 9: {  // numbers
      replace("\"n\":", std::string("\"n\":") + kNumbers[rng() % 16] + ",\"n2\":");
      break;
    }
    case 10:  // literals
      replace("true", kAtoms[rng() % 8]);
      break;
    case 11:
    case 12:  // strings with escapes, control bytes, UTF-8
      replace("\"b\"", kStrings[rng() % 14]);
      break;
    case 13:  // keys with escapes
      replace("\"awsRegion\"", rng() % 2 ? R"("aws\u0052egion")" : R"("eventN\u0061me")");
      break;
    case 14: {  // grammar
      static const char* kBad[][2] = {{"\"f\":", "\"f\""},
                                      {",\"f\"", "\"f\""},
                                      {"[1,2,", "[1,2,,"},
                                      {"{\"x\":null}", "{\"x\":null,}"},
                                      {"\"empty\":{}", "\"empty\":{,}"},
                                      {"\"none\":[]", "\"none\":[,]"},
                                      {"[1,2,", "[1:2,"},
                                      {"{\"x\":null}", "{\"x\" null}"},
                                      {"\"none\":[]", "\"none\":[}"},
                                      {"null}", "null]"},
                                      {"\"f\":", ":\"f\":"},
                                      {"1,2", "1 2"}};
      const auto& b = kBad[rng() % 12];
      replace(b[0], b[1]);
      break;
    }
    case 15: {  // nesting around the walk's and simdjson's limits
      const int d = 25 + static_cast<int>(rng() % 45);
      replace("\"none\":[]", "\"none\":" + std::string(d, '[') + std::string(d, ']'));
      break;
    }
    case 16: {
      const int d = 25 + static_cast<int>(rng() % 45);
      std::string o;
      for (int k = 0; k < d; ++k) o += "{\"k\":";
      o += "1" + std::string(d, '}');
      replace("\"empty\":{}", "\"empty\":" + o);
      break;
    }
    case 17:  // white space everywhere
      for (std::size_t p = 0; p < r->size(); ++p) {
        char c = (*r)[p];
        if ((c == ',' || c == ':' || c == '{' || c == '[') && rng() % 3 == 0) {
          r->insert(p + 1, rng() % 2 ? " " : "\n\t ");
        }
      }
      break;
    case 18:  // the needle in other places
      replace("\"bucketName\":\"b\"",
              rng() % 2 ? "\"bucketName\":\"xxConsoleLoginxx\"" : "\"ConsoleLogin\":\"b\"");
      break;
    case 19:
      *r = rng() % 2 ? "{}" : "[1,2]";
      break;
    case 20:
    case 21:
    case 22: {  // a random byte changed, inserted or removed
      static const char kAlphabet[] = "{}[]:,\"\\ tfnrue0123456789.-+Ex\n\x01\xff";
      const std::size_t p = rng() % r->size();
      const char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
      switch (rng() % 3) {
        case 0:
          (*r)[p] = c;
          break;
        case 1:
          r->insert(p, 1, c);
          break;
        default:
          r->erase(p, 1);
          break;
      }
      break;
    }
    default:  // a member that only matters when it has the wrong type
      replace("\"readOnly\":true", rng() % 2 ? "\"readOnly\":\"yes\"" : "\"readOnly\":{}");
      break;
  }
}

std::string document(uint32_t seed, int n, int damages, bool pretty) {
  std::mt19937 rng(seed);
  std::vector<std::string> recs;
  for (int i = 0; i < n; ++i) recs.push_back(record(rng, i));
  for (int k = 0; k < damages; ++k) damage(rng, &recs[rng() % recs.size()]);
  std::string body;
  for (std::size_t i = 0; i < recs.size(); ++i)
    body += (i ? (pretty ? ",\n  " : ",") : "") + recs[i];
  return "{\"Records\":[" + body + "]}";
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
