#pragma once
// Helpers for the CloudWatch tests: evaluate a compiled pattern over every event of some bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cwl/pattern.h"
#include "detect/event_view.h"
#include "ingest/reader.h"
#include "test_support.h"

namespace sentinel::testing {

/// Runs `fn(EventView)` for every event parsed from `bytes` (read as if from `path`).
template <typename Fn>
class ViewSink : public ingest::EventSink {
 public:
  explicit ViewSink(Fn fn) : fn_(std::move(fn)), scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    fn_(detect::EventView(e, scratch_.get()));
  }
  void on_flow(const ingest::FlowRecord& f) override { fn_(detect::EventView(f, scratch_.get())); }
  void on_dns(const ingest::DnsQuery& q) override { fn_(detect::EventView(q, scratch_.get())); }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    fn_(detect::EventView(g, scratch_.get()));
  }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject& r) override {
    rejects.push_back(std::string(reject_name(r.reason)));
  }
  std::vector<std::string> rejects;

 private:
  Fn fn_;
  detect::EventView::ScratchPtr scratch_;
};

template <typename Fn>
void for_each_view(const std::string& path, const std::string& bytes, Fn fn,
                   ingest::ParseOptions options = {}) {
  ViewSink<Fn> sink(std::move(fn));
  ingest::Reader reader(options);
  reader.read_bytes(path, bytes, sink);
  EXPECT_TRUE(sink.rejects.empty()) << "rejects reading " << path << ": " << sink.rejects.size();
}

/// Compiles `pattern` (failing the test on an error) and returns which of `records` (one JSON
/// CloudTrail record each) match, as a string of '1' and '0'.
inline std::string match_string(const std::string& pattern,
                                const std::vector<std::string>& records) {
  cwl::Pattern p;
  cwl::PatternError err;
  if (!cwl::Pattern::compile(pattern, &p, &err)) {
    ADD_FAILURE() << "pattern " << pattern << " does not compile: " << err.to_string();
    return "";
  }
  std::string out;
  for (const auto& r : records) {
    for_each_view("test.json", "{\"Records\":[" + r + "]}",
                  [&](const detect::EventView& ev) { out.push_back(p.matches(ev) ? '1' : '0'); });
  }
  return out;
}

}  // namespace sentinel::testing
