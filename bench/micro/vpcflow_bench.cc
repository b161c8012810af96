// Throughput of the VPC flow-log parser on generated default-format (v2) lines, in memory,
// uncompressed. Reports lines/s and bytes/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "ingest/parser.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace {

using sentinel::Reject;
using namespace sentinel::ingest;

// Counts what arrives and touches one typed field so the work is not optimised away.
class CountingSink : public EventSink {
 public:
  void on_cloudtrail(const CloudTrailEvent&) override {}
  void on_flow(const FlowRecord& f) override {
    ++flows;
    bytes += static_cast<uint64_t>(f.bytes) + f.srcport;
  }
  void on_dns(const DnsQuery&) override {}
  void on_guardduty(const GuardDutyFinding&) override {}
  void on_digest(const DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  uint64_t flows = 0;
  uint64_t rejects = 0;
  uint64_t bytes = 0;
};

std::string ip4(std::mt19937_64& rng, bool priv) {
  auto o = [&] { return std::to_string(rng() % 256); };
  if (priv) return "10." + o() + "." + o() + "." + o();
  return std::to_string(1 + rng() % 223) + "." + o() + "." + o() + "." + o();
}

// ~115-byte lines like AWS writes them: header line, then v2 records, a few NODATA.
std::string make_file(std::size_t lines, bool ipv6_mix) {
  std::mt19937_64 rng(42);
  std::string s =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  for (std::size_t i = 0; i < lines; ++i) {
    const uint64_t start = 1700000000 + i / 100;
    if (i % 97 == 0) {
      s += "2 123456789012 eni-0a1b2c3d4e5f67890 - - - - - - - " + std::to_string(start) + " " +
           std::to_string(start + 60) + " - NODATA\n";
      continue;
    }
    const bool in = rng() % 2 == 0;
    std::string a = ip4(rng, !in), b = ip4(rng, in);
    if (ipv6_mix && i % 10 == 0) {
      a = "2001:db8:1234:a100:8d6e:3477:df66:f105";
      b = "2001:db8:1234:a102::4071";
    }
    s += "2 123456789012 eni-0a1b2c3d4e5f67890 " + a + " " + b + " " +
         std::to_string(1024 + rng() % 60000) + " " + std::to_string(rng() % 2 ? 443 : 22) + " " +
         (rng() % 5 ? "6" : "17") + " " + std::to_string(1 + rng() % 300) + " " +
         std::to_string(40 + rng() % 900000) + " " + std::to_string(start) + " " +
         std::to_string(start + 60) + (rng() % 8 ? " ACCEPT OK\n" : " REJECT OK\n");
  }
  return s;
}

void run(benchmark::State& state, bool ipv6_mix) {
  const std::size_t lines = static_cast<std::size_t>(state.range(0));
  std::string data = make_file(lines, ipv6_mix);
  const std::size_t size = data.size();
  data.append(kPadding, '\0');
  ParseOptions options;
  FileContext ctx;
  ctx.path = "bench.log";
  ctx.options = &options;
  VpcFlowParser parser;
  CountingSink sink;
  for (auto _ : state) {
    parser.parse(std::string_view(data.data(), size), ctx, sink);
    benchmark::DoNotOptimize(sink.bytes);
  }
  if (sink.rejects != 0) state.SkipWithError("unexpected rejects");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.counters["bytes_per_line"] = static_cast<double>(size) / static_cast<double>(lines);
}

void BM_VpcFlowV2(benchmark::State& state) {
  run(state, false);
}
void BM_VpcFlowV2Ipv6Mix(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(BM_VpcFlowV2)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VpcFlowV2Ipv6Mix)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
