// sentinel-gen: writes a deterministic synthetic CloudTrail / VPC Flow Logs dataset.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <thread>

#include "sim/generator.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a deterministic synthetic AWS log dataset (CloudTrail, VPC Flow Logs)"};
  sentinel::sim::DatasetOptions opt;
  std::string out;
  bool plain = false;
  std::uint64_t plain_events = 0;
  std::uint64_t plain_flows = 0;
  opt.jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("--out", out, "output directory")->required();
  app.add_option("--events", opt.events, "CloudTrail records in the gzip tree")
      ->capture_default_str();
  app.add_option("--flows", opt.flows, "VPC flow records in the gzip tree")->capture_default_str();
  app.add_option("--seed", opt.seed, "generator seed")->capture_default_str();
  app.add_flag("--plain", plain,
               "also write uncompressed cloudtrail.json and vpcflow.log "
               "(sizes from --plain-events/--plain-flows, else --events/--flows)");
  app.add_option("--plain-events", plain_events, "records in cloudtrail.json (implies --plain)");
  app.add_option("--plain-flows", plain_flows, "records in vpcflow.log (implies --plain)");
  app.add_option("--jobs", opt.jobs, "worker threads (output does not depend on it)")
      ->capture_default_str();
  app.add_option("--gzip-level", opt.gzip_level, "libdeflate level 1-12")
      ->check(CLI::Range(1, 12))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  opt.out_dir = out;
  if (plain || plain_events || plain_flows) {
    opt.plain_events = plain_events ? plain_events : (plain ? opt.events : 0);
    opt.plain_flows = plain_flows ? plain_flows : (plain ? opt.flows : 0);
  }
  auto summary = sentinel::sim::generate_dataset(opt);
  if (!summary) {
    std::fprintf(stderr, "sentinel-gen: %s: %s\n", summary.error().code.c_str(),
                 summary.error().message.c_str());
    return 1;
  }
  std::fputs(sentinel::sim::manifest_json(*summary).c_str(), stdout);
  return 0;
}
