#pragma once
/// Deterministic benchmark and test data: CloudTrail and VPC Flow Log datasets laid out as
/// S3 delivers them (gzip'd object trees) plus optional big uncompressed files. The same
/// options give byte-identical output, whatever the number of worker threads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sim/cloudtrail.h"
#include "sim/vpcflow.h"
#include "sim/world.h"

namespace sentinel::sim {

struct DatasetOptions {
  std::filesystem::path out_dir;   ///< created if missing; existing files are overwritten
  std::uint64_t events = 0;        ///< CloudTrail records in the gzip tree (0: no tree)
  std::uint64_t flows = 0;         ///< flow records in the gzip tree (0: no tree)
  std::uint64_t plain_events = 0;  ///< records in the uncompressed cloudtrail.json (0: none)
  std::uint64_t plain_flows = 0;   ///< records in the uncompressed vpcflow.log (0: none)
  std::uint64_t seed = 1;
  unsigned jobs = 1;  ///< worker threads; does not change the output
  int gzip_level = 6;
};

/// Counts for one gzip tree.
struct TreeSummary {
  std::uint64_t files = 0;
  std::uint64_t records = 0;
  std::uint64_t raw_bytes = 0;       ///< decompressed size, summed over files
  std::uint64_t gz_bytes = 0;        ///< on-disk size, summed over files
  std::uint64_t filter_matches = 0;  ///< CloudTrail only: records whose eventName is the filter
};

struct DatasetSummary {
  std::uint64_t seed = 0;
  TreeSummary cloudtrail_tree;  ///< under <out>/cloudtrail/AWSLogs/…
  TreeSummary flow_tree;        ///< under <out>/vpcflow/AWSLogs/…
  std::uint64_t plain_events = 0;
  std::uint64_t plain_events_bytes = 0;  ///< size of <out>/cloudtrail.json
  std::uint64_t plain_filter_matches = 0;
  std::uint64_t plain_flows = 0;
  std::uint64_t plain_flows_bytes = 0;  ///< size of <out>/vpcflow.log (header included)
};

/// The eventName the benchmark filters on (about 1 % of records).
inline constexpr std::string_view kFilterEventName = "ConsoleLogin";

/// First Unix second of the simulated period (2024-05-06T00:00:00Z).
inline constexpr std::int64_t kStartTime = 1714953600;

/// Writes the dataset and `manifest.json` under options.out_dir, streaming file by file so
/// memory stays bounded (a few MB per job) whatever the sizes. Errors are I/O failures.
Result<DatasetSummary> generate_dataset(const DatasetOptions& options);

/// The manifest as pretty-printed JSON (deterministic: no timestamps or host details).
std::string manifest_json(const DatasetSummary& summary);

/// Gzip-compresses `data` with libdeflate. Returns an empty string only if `data` could not
/// be compressed (allocation failure).
std::string gzip_compress(std::string_view data, int level);

}  // namespace sentinel::sim
