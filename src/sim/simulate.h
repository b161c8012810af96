#pragma once
/// `sentinel simulate`: a labelled, multi-account dataset in AWS's own S3 layout (CloudTrail,
/// VPC flow logs, Route 53 Resolver query logs, optionally GuardDuty finding exports) with a
/// benign background and injected attacks,
/// plus labels.jsonl, the threat lists the attacks use, ip-ranges.json and a sentinel.yaml
/// that configures them. Deterministic from the seed; streams in bounded memory.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace sentinel::sim {

struct SimulateOptions {
  std::filesystem::path out_dir;
  std::vector<std::string> scenarios;  ///< names; empty = every scenario that fits the days
  std::size_t accounts = 3;            ///< 1..12
  int days = 8;                        ///< 1..366
  std::uint64_t events = 200000;       ///< background records over all log types
  std::uint64_t seed = 1;
  int gzip_level = 6;
  /// Also write the findings GuardDuty itself would export for the attacks (Runtime Monitoring,
  /// EKS audit logs, Malware Protection: what no log here shows), in its S3 export layout.
  bool guardduty = false;
};

struct SimulateSummary {
  std::uint64_t files = 0;
  std::uint64_t cloudtrail = 0, flows = 0, dns = 0;  ///< records written, attacks included
  std::uint64_t guardduty = 0;                       ///< GuardDuty findings written
  std::uint64_t attack_records = 0;
  std::uint64_t gz_bytes = 0;
  std::vector<std::string> injected;  ///< scenario names, in label order
  std::vector<std::string> skipped;   ///< "name: reason"
};

/// Writes the dataset. Errors: unknown scenario names, options out of range, I/O failures.
Result<SimulateSummary> simulate(const SimulateOptions& options);

/// Scenario names with their one-line summaries and expected finding types, for --list.
struct ScenarioInfo {
  std::string name, summary;
  std::vector<std::string> expected;
  int min_days;
  std::vector<std::string> guardduty;  ///< GuardDuty's own finding types (--guardduty)
};
std::vector<ScenarioInfo> list_scenarios();

}  // namespace sentinel::sim
