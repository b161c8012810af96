#pragma once
/// What the JSON-record parser tests share: a sink that keeps one log type's events as their JSON
/// line and table row, a runner that parses a string as one file, and Panther's rule tests from
/// the public corpus.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ingest/event_json.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "test_support.h"

namespace sentinel::ingest::parser_test {

struct RejectCopy {
  RejectReason reason;
  std::string detail;
  int64_t record;
  uint64_t line;
};

inline void write_format_json(const GuardDutyFinding& g, JsonWriter& w) {
  write_guardduty_json(g, w);
}
inline void write_format_json(const DnsQuery& q, JsonWriter& w) {
  write_dns_json(q, w);
}
inline void write_table_row(const GuardDutyFinding& g, std::string* out) {
  write_guardduty_table_row(g, out);
}
inline void write_table_row(const DnsQuery& q, std::string* out) {
  write_dns_table_row(q, out);
}

/// Keeps what the parser delivers beyond the callback: each event of type E as its JSON line and
/// table row, each reject as a copy; `check` (then `keep`) runs inside the callback, while the
/// views are valid. An event of any other type is a test failure.
template <typename E>
class CaptureSink : public EventSink {
 public:
  std::function<void(const E&)> check;
  std::vector<std::string> json;
  std::vector<std::string> rows;
  std::vector<RejectCopy> rejects;

  void on_cloudtrail(const CloudTrailEvent& e) override { take(e, "cloudtrail event"); }
  void on_flow(const FlowRecord& e) override { take(e, "flow record"); }
  void on_dns(const DnsQuery& e) override { take(e, "dns query"); }
  void on_guardduty(const GuardDutyFinding& e) override { take(e, "guardduty finding"); }
  void on_digest(const DigestFile&) override { ADD_FAILURE() << "digest"; }
  void on_reject(const Reject& r) override {
    rejects.push_back({r.reason, std::string(r.detail), r.where.record, r.where.line});
  }

 protected:
  /// What a test's own sink keeps beside the JSON line and the row.
  virtual void keep(const E&) {}

 private:
  template <typename T>
  void take(const T& e, const char* what) {
    if constexpr (std::is_same_v<T, E>) {
      if (check) check(e);
      keep(e);
      std::string s;
      JsonWriter w(&s);
      w.begin_object();
      write_meta_json(e.meta, w);
      write_format_json(e, w);
      w.end_object();
      json.push_back(std::move(s));
      std::string row;
      write_table_row(e, &row);
      rows.push_back(std::move(row));
    } else {
      ADD_FAILURE() << what;
    }
  }
};

/// Parses `text` as one file named `path`, with the padding parsers may read.
template <typename Parser>
void parse_text(std::string_view text, EventSink& sink, std::string_view path,
                std::string_view account, std::string_view region) {
  std::string buf(text);
  buf.append(kPadding, '\0');
  FileContext ctx;
  ctx.path = path;
  ctx.path_info.account = account;
  ctx.path_info.region = region;
  Parser parser;
  parser.parse(std::string_view(buf.data(), text.size()), ctx, sink);
}

/// A record the parser must reject on its own: for `reason`, with a detail that names
/// `detail_has`.
struct RejectCase {
  std::string line;
  RejectReason reason;
  const char* detail_has;
};

/// Parses each case as its own file `path`: no event, and exactly the case's one reject.
template <typename Parser, typename E>
void expect_each_rejected(const std::vector<RejectCase>& cases, std::string_view path) {
  for (const RejectCase& c : cases) {
    CaptureSink<E> sink;
    parse_text<Parser>(c.line, sink, path, {}, {});
    EXPECT_TRUE(sink.json.empty()) << c.line;
    ASSERT_EQ(sink.rejects.size(), 1u) << c.line;
    EXPECT_EQ(sink.rejects[0].reason, c.reason) << c.line;
    EXPECT_NE(sink.rejects[0].detail.find(c.detail_has), std::string::npos)
        << c.line << " → " << sink.rejects[0].detail;
  }
}

/// The JSON output must be one valid JSON line.
inline simdjson::dom::element parse_json(simdjson::dom::parser& p, const std::string& s) {
  EXPECT_EQ(s.find('\n'), std::string::npos);
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(s).get(e), simdjson::SUCCESS) << s;
  return e;
}

/// Panther's rule tests for one log type, `file_name` in the corpus (one test a line, the event
/// under `log`): the events, minified, one a line in *ndjson, and how many in *count. False when
/// the file is missing: the caller skips (under CI=true that is a failure too).
inline bool read_panther_logs(std::string_view file_name, std::string* ndjson, int* count) {
  const std::string dir = ::sentinel::testing::corpus_dir();
  const std::filesystem::path file = std::filesystem::path(dir) / "panther-labs__panther-analysis" /
                                     "_extracted" / std::string(file_name);
  if (dir.empty() || !std::filesystem::exists(file)) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
      ADD_FAILURE() << "the public corpus is missing (set SENTINEL_CORPUS): " << file;
    }
    return false;
  }
  simdjson::dom::parser p;
  simdjson::dom::document_stream stream;
  if (p.load_many(file.string()).get(stream) != simdjson::SUCCESS) {
    ADD_FAILURE() << "cannot read " << file;
    return true;
  }
  for (auto doc : stream) {
    simdjson::dom::element log;
    if (doc["log"].get(log) != simdjson::SUCCESS) {
      ADD_FAILURE() << file << ": a test without `log`";
      continue;
    }
    *ndjson += simdjson::minify(log);
    *ndjson += '\n';
    ++*count;
  }
  return true;
}

}  // namespace sentinel::ingest::parser_test
