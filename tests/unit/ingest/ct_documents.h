#pragma once
/// CloudTrail documents for the tests that read the same bytes two ways (the skip test, the
/// typed walk): records with some variety and the damages that test a walk over the structural
/// index (types of the typed fields, times, envelopes, numbers, literals, escapes, grammar,
/// nesting, white space, random bytes).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ingest/reader.h"

namespace sentinel::testing::ct_documents {

/// A sink for CloudTrail reads: an event of any other log type is a test failure.
class CloudTrailOnlySink : public ingest::EventSink {
 public:
  void on_flow(const ingest::FlowRecord&) override { ADD_FAILURE() << "flow"; }
  void on_dns(const ingest::DnsQuery&) override { ADD_FAILURE() << "dns"; }
  void on_guardduty(const ingest::GuardDutyFinding&) override { ADD_FAILURE() << "guardduty"; }
  void on_digest(const ingest::DigestFile&) override {}
};

/// The CloudTrail files of the public corpus under `dir` (`.json` or `.gz` with `cloudtrail`,
/// `CloudTrail` or `aws` in the path), in the directory walk's order.
inline std::vector<std::string> corpus_cloudtrail_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string p = e.path().string();
    if (p.find("cloudtrail") == std::string::npos && p.find("CloudTrail") == std::string::npos &&
        p.find("aws") == std::string::npos) {
      continue;
    }
    if (e.path().extension() == ".json" || e.path().extension() == ".gz") out.push_back(p);
  }
  return out;
}

/// Reads `data` (or, when it is empty, the file at `path`) as CloudTrail with `o` into `sink`.
inline void read_as_cloudtrail(const std::string& path, const std::string& data,
                               ingest::ParseOptions o, ingest::EventSink& sink) {
  o.forced_type = ingest::LogType::kCloudTrail;
  ingest::Reader reader(o);
  if (data.empty()) {
    reader.read(path, sink);
  } else {
    reader.read_bytes(path, data, sink);
  }
}

// A CloudTrail record with some variety: nested objects and arrays, numbers, literals, nulls.
inline std::string record(std::mt19937& rng, int i) {
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
inline void damage(std::mt19937& rng, std::string* r) {
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

inline std::string document(uint32_t seed, int n, int damages, bool pretty) {
  std::mt19937 rng(seed);
  std::vector<std::string> recs;
  for (int i = 0; i < n; ++i) recs.push_back(record(rng, i));
  for (int k = 0; k < damages; ++k) damage(rng, &recs[rng() % recs.size()]);
  std::string body;
  for (std::size_t i = 0; i < recs.size(); ++i)
    body += (i ? (pretty ? ",\n  " : ",") : "") + recs[i];
  return "{\"Records\":[" + body + "]}";
}

}  // namespace sentinel::testing::ct_documents
