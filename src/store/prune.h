#pragma once
/// Retention: deletes what is older than a cut-off (event time), in one transaction.
#include <cstdint>
#include <string>

#include "store/store.h"

namespace sentinel::store {

struct PruneCounts {
  uint64_t cloudtrail = 0;
  uint64_t dns = 0;
  uint64_t guardduty = 0;
  uint64_t flow_blocks = 0;
  uint64_t flow_records = 0;
  uint64_t findings = 0;
  uint64_t raw_blocks = 0;
};

/// Deletes CloudTrail events, DNS queries and GuardDuty findings with a time before `cutoff_ms`,
/// flow blocks whose every record ended before it, Sentinel findings last seen before it, and the
/// raw blocks no row refers to any more. Events without a time are kept. File checkpoints are
/// kept, so re-ingesting old files does not bring pruned events back. `dry_run` counts only.
bool prune(Store& st, int64_t cutoff_ms, bool dry_run, PruneCounts* counts, std::string* error);

}  // namespace sentinel::store
