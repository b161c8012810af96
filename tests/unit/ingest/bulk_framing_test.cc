// The framer's one-pass path (simdjson stage 1 over a window of array elements, stage 2 per
// record: json_framing.h BulkParser) against the per-record path on the same bytes: the same
// records accepted with the same record numbers, lines and offsets, the same rejects, whatever
// damage the data has and wherever the windows fall.
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/limits.h"
#include "ct_documents.h"
#include "ingest/decode/json_framing.h"
#include "ingest/jsonl.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"
#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::testing {
namespace {

using ingest::BulkParser;
using ingest::RecordHandler;
using ingest::RecordStatus;

std::string ref_text(const SourceRef& r) {
  return std::to_string(r.record) + " line " + std::to_string(r.line) + " byte " +
         std::to_string(r.offset);
}

// Accepts objects with an "eventName"; one named "reported" is rejected by the handler itself.
// Logs every outcome in order, and counts which path delivered each record.
class LoggingHandler : public RecordHandler, public ingest::EventSink {
 public:
  explicit LoggingHandler(bool bulk) : bulk_(bulk) {}

  BulkParser* bulk_parser() override { return bulk_ ? &bulk_parser_ : nullptr; }

  RecordStatus on_record(std::string_view json, std::size_t, const SourceRef& ref,
                         RejectReason* reason, std::string_view* detail) override {
    ++per_record;
    simdjson::dom::element root;
    auto err = parser_.parse(json.data(), json.size(), false).get(root);
    if (err != simdjson::SUCCESS) {
      if (err == simdjson::UTF8_ERROR) *reason = RejectReason::kInvalidUtf8;
      *detail = simdjson::error_message(err);
      return RecordStatus::kInvalidJson;
    }
    return take(json, root, ref);
  }

  RecordStatus on_parsed(std::string_view json, const void* root, const SourceRef& ref) override {
    ++one_pass;
    return take(json, *static_cast<const simdjson::dom::element*>(root), ref);
  }

  void on_reject(const Reject& r) override {
    log.push_back("reject " + std::string(reject_name(r.reason)) + " record " + ref_text(r.where) +
                  " lost " + std::to_string(r.records) + ": " + std::string(r.detail));
  }
  void on_cloudtrail(const ingest::CloudTrailEvent&) override {}
  void on_flow(const ingest::FlowRecord&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}

  std::vector<std::string> log;
  int per_record = 0;
  int one_pass = 0;

 private:
  RecordStatus take(std::string_view json, simdjson::dom::element root, const SourceRef& ref) {
    std::string_view name;
    if (!root.is_object() || root["eventName"].get(name) != simdjson::SUCCESS) {
      return RecordStatus::kNotARecord;
    }
    if (name == "reported") {
      on_reject(Reject{ref, RejectReason::kBadFieldType, "reported by the handler", 1});
      return RecordStatus::kReported;
    }
    log.push_back("event " + ref_text(ref) + " " + std::string(name) + " " +
                  std::to_string(json.size()) + " " + simdjson::minify(root));
    return RecordStatus::kAccepted;
  }

  bool bulk_;
  BulkParser bulk_parser_;
  simdjson::dom::parser parser_;
};

struct FrameRun {
  std::vector<std::string> log;
  ingest::FramingStats stats;
  int per_record = 0;
  int one_pass = 0;
};

FrameRun frame(const std::string& data, bool bulk) {
  // The framer reads up to 64 bytes past the data (simdjson's padding).
  std::string padded = data + std::string(64, '\0');
  std::string_view d(padded.data(), data.size());
  LoggingHandler h(bulk);
  FrameRun r;
  r.stats = ingest::frame_json(d, "t.json", "Records", h, h);
  r.log = h.log;
  r.per_record = h.per_record;
  r.one_pass = h.one_pass;
  return r;
}

void expect_same(const std::string& data, const std::string& what) {
  FrameRun a = frame(data, /*bulk=*/false);
  FrameRun b = frame(data, /*bulk=*/true);
  EXPECT_EQ(a.stats.records, b.stats.records) << what;
  EXPECT_EQ(a.stats.accepted, b.stats.accepted) << what;
  ASSERT_EQ(a.log.size(), b.log.size()) << what;
  for (std::size_t i = 0; i < a.log.size(); ++i) {
    ASSERT_EQ(a.log[i], b.log[i]) << what << " (entry " << i << ")";
  }
}

std::string record(std::mt19937& rng, int i) {
  std::string pad(rng() % 3000, 'x');
  std::string r = R"({"eventVersion":"1.08","eventName":"E)" + std::to_string(i) + R"(","n":)" +
                  std::to_string(rng() % 100000) + R"(,"ok":true,"none":null,"pad":")" + pad +
                  R"(","resources":[)";
  const int k = static_cast<int>(rng() % 4);
  for (int j = 0; j < k; ++j)
    r += (j ? "," : "") + std::string(R"({"arn":"a)") + std::to_string(j) + "\"}";
  return r + "]}";
}

// One damage to record text `r` (or to the separator before it, through `sep`).
void damage(std::mt19937& rng, std::string* r, std::string* sep) {
  const std::size_t mid = r->find("\"pad\"");
  // Only a record as record() wrote it (not one replaced by an earlier damage).
  if (mid == std::string::npos || r->find("true") == std::string::npos || r->back() != '}') return;
  switch (rng() % 16) {
    case 0:
      r->replace(r->find("true"), 4, "tru");
      break;  // bad literal
    case 1:
      r->insert(mid + 2, "\xff");
      break;  // invalid UTF-8
    case 2:
      r->insert(mid + 2, "\x01");
      break;  // control character
    case 3:
      *sep = "";
      break;  // `}{` between records
    case 4:
      r->erase(r->find(','), 1);
      break;  // missing comma inside
    case 5:
      r->insert(mid + 7, R"(x},{\"a\":1},{y},{)");
      break;   // boundaries in a string
    case 6: {  // nesting around the limit
      const int d = 60 + static_cast<int>(rng() % 8);
      r->insert(r->size() - 1, ",\"deep\":" + std::string(d, '[') + std::string(d, ']'));
      break;
    }
    case 7:
      *r = (rng() % 2) ? "123" : R"([{"a":1},{"b":2}])";
      break;  // not an object
    case 8:
      r->insert(mid + 7, std::string(limits::kMaxRecordBytes + 10, 'A'));
      break;  // too large
    case 9:
      *sep = " \n\t" + *sep + "\r\n ";
      break;  // white space
    case 10:
      *r = "{}";
      break;  // not a record
    case 11:
      *sep += ",";
      break;  // empty element
    case 12:
      r->replace(r->find("E"), 1, "reported\",\"x\":\"");
      break;  // handler rejects it
    case 13:
      r->insert(mid + 2, "\"");
      break;  // unbalanced quote
    case 14:
      r->back() = ']';
      break;  // wrong closer
    default:
      r->insert(mid + 7, std::string(300000, 'B'));
      break;  // longer than a window
  }
}

TEST(BulkFraming, CleanRecordsGoThroughTheOnePassPath) {
  std::mt19937 rng(1);
  std::string body;
  for (int i = 0; i < 2000; ++i) body += (i ? "," : "") + record(rng, i);
  const std::string data = "{\"Records\":[" + body + "]}";
  ASSERT_GT(data.size(), std::size_t{2} << 20);  // several windows
  FrameRun b = frame(data, /*bulk=*/true);
  EXPECT_EQ(b.stats.accepted, 2000u);
  // All but the array's last record (no record boundary follows it) take the one-pass path.
  EXPECT_EQ(b.one_pass, 1999);
  EXPECT_EQ(b.per_record, 1);
  expect_same(data, "clean");
}

// Up to 1500 records with up to 11 damages (seed 7k: a top-level array; 5k: line breaks between
// records; 9k: truncated).
std::string damaged_document(uint32_t seed) {
  std::mt19937 rng(seed);
  const int n = 1 + static_cast<int>(rng() % 1500);
  const int damages = static_cast<int>(rng() % 12);
  std::vector<std::string> recs;
  std::vector<std::string> seps;
  for (int i = 0; i < n; ++i) {
    recs.push_back(record(rng, i));
    seps.push_back(i == 0 ? "" : (seed % 5 == 0 ? ",\n  " : ","));
  }
  for (int k = 0; k < damages; ++k) {
    const auto i = static_cast<std::size_t>(rng()) % recs.size();
    damage(rng, &recs[i], &seps[i]);
  }
  std::string body;
  for (std::size_t i = 0; i < recs.size(); ++i) body += seps[i] + recs[i];
  std::string data = seed % 7 == 0 ? "[" + body + "]" : "{\"Records\":[" + body + "]}";
  if (seed % 9 == 0) data.resize(static_cast<std::size_t>(rng()) % data.size());  // truncated
  return data;
}

TEST(BulkFraming, SameResultsAsThePerRecordPathOnDamagedData) {
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    expect_same(damaged_document(seed), "seed " + std::to_string(seed));
  }
}

TEST(BulkFraming, PrettyPrintedArrays) {
  std::mt19937 rng(3);
  std::string body;
  for (int i = 0; i < 400; ++i) body += (i ? ",\n    " : "\n    ") + record(rng, i);
  const std::string data = "{\n  \"Records\": [" + body + "\n  ]\n}\n";
  FrameRun b = frame(data, /*bulk=*/true);
  EXPECT_EQ(b.stats.accepted, 400u);
  EXPECT_GT(b.one_pass, 300);
  expect_same(data, "pretty");
}

// Windows of one line (counted by one memchr each, not per record) followed by windows with
// line breaks and damage: every record and reject keeps the line the per-record path gives.
TEST(BulkFraming, LinesAfterOneLineWindows) {
  std::mt19937 rng(11);
  std::string body;
  for (int i = 0; i < 1200; ++i) {
    std::string r = record(rng, i);
    if (i == 700 || i == 1100) r.replace(r.find("true"), 4, "tru");
    body += (i == 0 ? "" : i < 500 ? "," : i % 3 == 0 ? ",\n\n  " : ",") + r;
  }
  const std::string data = "{\"Records\":[" + body + "]}";
  ASSERT_GT(data.size(), std::size_t{3} << 18);  // the one-line part spans windows
  FrameRun b = frame(data, /*bulk=*/true);
  EXPECT_EQ(b.stats.accepted, 1198u);
  EXPECT_GT(b.one_pass, 900);  // (after each damage, per record to the next window)
  expect_same(data, "one-line windows, then lines");
}

// Through the reader and the CloudTrail parser: a damaged record in the middle of a large file
// is reported with its record number and the records around it are kept.
TEST(BulkFraming, CloudTrailKeepsEverythingAroundABadRecord) {
  std::string body;
  for (int i = 0; i < 3000; ++i) {
    std::string r =
        R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"id-)" +
        std::to_string(i) + R"(","requestParameters":{"k":")" + std::string(200, 'v') + "\"}}";
    if (i == 1234) r.replace(r.find("\"GetObject\""), 11, "GetObject");  // not JSON
    body += (i ? "," : "") + r;
  }
  JsonlSink sink;
  ingest::Reader reader(ingest::ParseOptions{});
  reader.read_bytes("big.json", "{\"Records\":[" + body + "]}", sink);
  EXPECT_EQ(sink.events.size(), 2999u);
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_NE(sink.rejects[0].find("\"record\":1234"), std::string::npos) << sink.rejects[0];
  EXPECT_EQ(sink.reasons[0], "invalid_json");
  EXPECT_NE(sink.events[1234].find("\"id-1235\""), std::string::npos);
}

// ---- the CloudTrail typed walk (the typed fields read from the one-pass path's walk, the tree
// parsed on request: ParseOptions::typed_walk) against trees first ----

// Every event (its JSON line, the typed fields the line leaves out, and for every other event the
// tree, minified) and every reject, in order; counts the events whose fields came from the walk
// (their texts lie in the record's own bytes, not in the tree's string buffer).
class TypedWalkLog : public ct_documents::CloudTrailOnlySink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    std::string x = "event " + ref_text(e.meta.ref) + " ";
    ingest::append_jsonl(e, &x, &scratch_);
    x += " | " + std::string(e.request_id) + " " + std::string(e.shared_event_id) + " " +
         std::string(e.vpc_endpoint_id) + " " + std::to_string(static_cast<int>(e.management_event)) +
         " " + std::to_string(e.version_major) + "." + std::to_string(e.version_minor) + " " +
         std::to_string(e.source_ip_is_ip) + " " + std::to_string(e.meta.time_ms);
    if (e.source_ip_is_ip) x += " " + e.source_ip.to_string();
    if (events_++ % 2 == 0) {
      const simdjson::dom::element* tree = ingest::cloudtrail_tree(e);
      x += tree != nullptr ? " tree " + simdjson::minify(*tree) : " no tree";
    }
    if (!e.event_name.empty() && e.event_name.data() >= e.raw.data() &&
        e.event_name.data() < e.raw.data() + e.raw.size()) {
      ++walked;
    }
    log.push_back(std::move(x));
  }
  void on_reject(const Reject& r) override {
    std::string x = "reject ";
    ingest::append_reject_jsonl(r, &x);
    log.push_back(std::move(x));
  }

  std::vector<std::string> log;
  int walked = 0;

 private:
  ingest::JsonlScratch scratch_;
  int events_ = 0;
};

TypedWalkLog read_ct(const std::string& path, const std::string& data, bool typed_walk) {
  ingest::ParseOptions o;
  o.typed_walk = typed_walk;
  TypedWalkLog log;
  ct_documents::read_as_cloudtrail(path, data, o, log);
  return log;
}

// Reads the bytes both ways and checks they agree; returns how many events the walk gave.
int expect_same_typed(const std::string& path, const std::string& data, const std::string& what) {
  const TypedWalkLog trees = read_ct(path, data, /*typed_walk=*/false);
  const TypedWalkLog walk = read_ct(path, data, /*typed_walk=*/true);
  EXPECT_EQ(trees.walked, 0) << what;
  EXPECT_EQ(trees.log.size(), walk.log.size()) << what;
  for (std::size_t i = 0; i < std::min(trees.log.size(), walk.log.size()); ++i) {
    EXPECT_EQ(trees.log[i], walk.log[i]) << what << " (entry " << i << ")";
    if (::testing::Test::HasFailure()) break;  // one mismatch is enough to read
  }
  return walk.walked;
}

// One change to a ct_documents record in what the typed fields read: the identity's nested
// objects, Insights, @timestamp, literals and nulls where strings go, repeated members.
void typed_damage(std::mt19937& rng, std::string* r) {
  static const char* kChanges[][2] = {
      {R"("sessionContext":{)",
       R"("sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r","userName":"r","x":1},)"},
      {R"("mfaAuthenticated":"false")", R"("mfaAuthenticated":true)"},
      {R"("mfaAuthenticated":"false")", R"("mfaAuthenticated":5,"mfaAuthenticated":"true")"},
      {R"("mfaAuthenticated":"false")", R"("mfaAuthenticated":"false","mfaAuthenticated":"true")"},
      {R"("attributes":{)", R"("attributes":{"creationDate":"x"},"attributes":{)"},
      {R"("sessionContext":{)", R"("sessionContext":{"sessionIssuer":{"arn":5,"type":null},)"},
      {R"("sessionContext":{)", R"("sessionContext":{"sessionIssuer":"s","attributes":[1],)"},
      {R"("eventVersion":"1.08",)",
       R"("eventVersion":"1.08","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.5}}}},)"},
      {R"("eventVersion":"1.08",)", R"("insightDetails":[1],"eventVersion":"1.08",)"},
      {R"("eventVersion":"1.08",)", R"("eventVersion":null,)"},
      {R"("eventTime":"2024-01-15T02:0)", R"("@timestamp":"2024-02-01T00:00:00.5Z","eventTim":"2024-01-15T02:0)"},
      {R"("eventTime":"2024-01-15T02:0)", R"("@timestamp":7,"eventTime":"2024-01-15T02:0)"},
      {R"("readOnly":true)", R"("readOnly":"false")"},
      {R"("readOnly":true)", R"("readOnly":null,"managementEvent":"true")"},
      {R"("awsRegion":"us-east-1")", R"("awsRegion":"us-east-1","awsRegion":null)"},
      {R"("userIdentity":{)", R"("userIdentity":null,"userIdentity":{"userName":"first"},"userIdentity":{)"},
      {R"("userIdentity":{)", R"("userIdentity":{"invokedBy":"s3.amazonaws.com","accessKeyId":null,)"},
      {R"("sourceIPAddress":"10.0.0.)", R"("sourceIPAddress":"AWS Internal","x":"10.0.0.)"},
      {R"("sourceIPAddress":"10.0.0.)", R"("sourceIPAddress":"2001:db8::)"},
      {R"("eventVersion":"1.08")", R"("eventVersion":"1.x")"},
      {R"("eventID":)", R"("requestID":"rq","sharedEventID":"sh","vpcEndpointId":"vpce-1","errorCode":"AccessDenied","errorMessage":"no","eventType":"AwsApiCall","eventCategory":"Management","recipientAccountId":"210987654321","userAgent":"ua","eventID":)"},
      {R"("eventID":)", R"("recipientAccountId":{},"eventID":)"},
      {R"("eventName":)", R"("detail-type":"x","eventName":)"},
  };
  const auto& c = kChanges[rng() % std::size(kChanges)];
  const std::size_t p = r->find(c[0]);
  if (p != std::string::npos) r->replace(p, std::strlen(c[0]), c[1]);
}

TEST(BulkFraming, CloudTrailTypedWalkReadsAsTheTree) {
  int walked = 0;
  for (uint32_t seed = 1; seed <= 120; ++seed) {
    std::mt19937 rng(seed * 31);
    const int n = 1 + static_cast<int>(rng() % 1200);
    std::vector<std::string> recs;
    for (int i = 0; i < n; ++i) recs.push_back(ct_documents::record(rng, i));
    const int changes = static_cast<int>(rng() % 60);
    for (int k = 0; k < changes; ++k) typed_damage(rng, &recs[rng() % recs.size()]);
    const int damages = static_cast<int>(rng() % 30);
    for (int k = 0; k < damages; ++k) ct_documents::damage(rng, &recs[rng() % recs.size()]);
    std::string body;
    for (std::size_t i = 0; i < recs.size(); ++i) body += (i ? (seed % 4 ? "," : ",\n ") : "") + recs[i];
    walked += expect_same_typed("t.json", "{\"Records\":[" + body + "]}",
                                "seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
  EXPECT_GT(walked, 25000);
}

// The framer's damaged documents (grammar, UTF-8, nesting, sizes, windows) read as CloudTrail.
TEST(BulkFraming, CloudTrailTypedWalkOnTheFramersDamagedData) {
  int walked = 0;
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    walked += expect_same_typed("t.json", damaged_document(seed), "seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
  EXPECT_GT(walked, 10000);
}

// Every CloudTrail file of the public corpus (documents, NDJSON, EventBridge, Insights).
TEST(BulkFraming, CloudTrailTypedWalkOnTheCorpus) {
  SENTINEL_REQUIRE_CORPUS(dir);
  int files = 0;
  for (const std::string& p : ct_documents::corpus_cloudtrail_files(dir)) {
    ++files;
    expect_same_typed(p, "", p);
    if (HasFailure()) return;
  }
  EXPECT_GT(files, 10);
}

}  // namespace
}  // namespace sentinel::testing
