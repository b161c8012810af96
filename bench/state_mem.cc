// sentinel-state-mem: peak RSS of stateful detection per million distinct group keys.
//
// Feeds VPC flow lines with N distinct source addresses (one key each) through the stateful
// operators the engine uses (a threshold window that stays open, a distinct count, a first-seen
// baseline), all within one window so nothing expires, and reports the peak RSS growth
// (getrusage ru_maxrss, after minus before) scaled to one million keys. With --max-keys below N
// it shows the cap holding memory flat and counts the LRU evictions.
//
//   sentinel-state-mem [--keys N] [--max-keys M] [--kind threshold|distinct|first_seen]
//
// Prints one JSON object.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "detect/event_view.h"
#include "detect/rules/rule.h"
#include "detect/state/stateful.h"
#include "ingest/reader.h"

namespace {

using namespace sentinel;

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

detect::FieldRef field(const char* name) {
  detect::FieldRef f;
  std::string err;
  if (!detect::FieldRef::parse(name, &f, &err)) {
    std::fprintf(stderr, "bad field %s: %s\n", name, err.c_str());
    std::exit(2);
  }
  return f;
}

class Sink : public ingest::EventSink, public detect::StateSink {
 public:
  explicit Sink(detect::StatefulOperator* op)
      : op_(op), scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent&) override {}
  void on_flow(const ingest::FlowRecord& f) override {
    detect::EventView v(f, scratch_.get());
    op_->on_match(v, *this);
  }
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  void on_hit(const detect::Rule&, const detect::StateHit&, const detect::EventView*) override {
    ++hits;
  }
  uint64_t rejects = 0;
  uint64_t hits = 0;

 private:
  detect::StatefulOperator* op_;
  detect::EventView::ScratchPtr scratch_;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t keys = 1000000;
  uint64_t max_keys = 0;  // 0: above N (no cap reached)
  std::string kind = "threshold";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--keys") == 0)
      keys = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--max-keys") == 0)
      max_keys = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--kind") == 0)
      kind = argv[i + 1];
  }
  detect::Rule rule;
  rule.id = "bench.state." + kind;
  rule.log_types = {ingest::LogType::kVpcFlow};
  auto& s = rule.stateful;
  s.group_by = {field("srcaddr")};
  s.window_ms = 60LL * 60 * 1000;
  s.max_keys = max_keys == 0 ? keys + 1 : max_keys;
  if (kind == "threshold") {
    s.kind = detect::StatefulSpec::Kind::kThreshold;
    s.threshold = 1000000;  // never fires: every key keeps its window
  } else if (kind == "distinct") {
    s.kind = detect::StatefulSpec::Kind::kDistinct;
    s.distinct_field = field("dstport");
    s.threshold = 1000000;
  } else if (kind == "first_seen") {
    s.kind = detect::StatefulSpec::Kind::kFirstSeen;
    s.features = {field("dstport")};
    s.learning_ms = 24LL * 60 * 60 * 1000;
  } else {
    std::fprintf(stderr, "unknown --kind %s\n", kind.c_str());
    return 2;
  }
  auto op = detect::make_operator(rule);
  Sink sink(op.get());
  ingest::ParseOptions po;
  po.forced_type = ingest::LogType::kVpcFlow;
  ingest::Reader reader(po);

  // Lines in chunks of 100k (one object each, as files): distinct srcaddr per line, times
  // spread over 10 minutes so every key stays inside the window and the TTL.
  const long before = peak_rss_kib();
  const uint64_t chunk = 100000;
  const int64_t t0 = 1705276800;  // 2024-01-15T00:00:00Z
  std::string text;
  for (uint64_t start = 0; start < keys; start += chunk) {
    text.clear();
    for (uint64_t i = start; i < keys && i < start + chunk; ++i) {
      char line[200];
      const int64_t t = t0 + static_cast<int64_t>(i * 600 / keys);
      std::snprintf(line, sizeof line,
                    "2 111122223333 eni-0a1b2c3d 10.%u.%u.%u 172.16.0.1 40000 %u 6 1 40 %lld %lld "
                    "REJECT OK\n",
                    static_cast<unsigned>((i >> 16) & 255), static_cast<unsigned>((i >> 8) & 255),
                    static_cast<unsigned>(i & 255), static_cast<unsigned>(1 + i % 1000),
                    static_cast<long long>(t), static_cast<long long>(t + 10));
      text += line;
    }
    reader.read_bytes("flows-" + std::to_string(start) + ".log", text, sink);
  }
  text.clear();
  text.shrink_to_fit();
  op->advance(t0 * 1000 + 600 * 1000, sink);  // everything behind the watermark is processed
  const long after = peak_rss_kib();
  const detect::StateStats st = op->stats();
  const double mb = static_cast<double>(after - before) * 1024 / 1e6;
  std::printf(
      "{\"kind\":\"%s\",\"keys_fed\":%llu,\"max_keys\":%llu,\"live_keys\":%llu,"
      "\"evictions\":%llu,\"cap_evictions\":%llu,\"events\":%llu,\"rejects\":%llu,"
      "\"peak_rss_growth_mb\":%.1f,\"peak_rss_mb_per_million_live_keys\":%.1f}\n",
      kind.c_str(), static_cast<unsigned long long>(keys),
      static_cast<unsigned long long>(s.max_keys), static_cast<unsigned long long>(st.keys),
      static_cast<unsigned long long>(st.evictions),
      static_cast<unsigned long long>(st.cap_evictions), static_cast<unsigned long long>(st.events),
      static_cast<unsigned long long>(sink.rejects), mb,
      st.keys == 0 ? 0.0 : mb * 1e6 / static_cast<double>(st.keys));
  return 0;
}
