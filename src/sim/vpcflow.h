#pragma once
/// Synthetic VPC Flow Log records in the default version-2 format (14 space-separated
/// fields), as delivered to S3 with a header line.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/rng.h"
#include "sim/world.h"

namespace sentinel::sim {

/// The header line S3 delivery puts first in every text flow-log file (without newline).
inline constexpr std::string_view kFlowHeader =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status";

/// Writes flow-log lines. Holds a reference to `world`, which must outlive it. Not
/// thread-safe; use one generator per thread.
class FlowGenerator {
 public:
  FlowGenerator(const World& world, std::uint64_t seed) : world_(world), rng_(seed) {}

  /// Appends one record line ending in '\n' for an ENI of `account`, whose capture window
  /// ends before Unix second `window_end`.
  void append_line(std::string& out, std::size_t account, std::int64_t window_end);

  Rng& rng() { return rng_; }

 private:
  const World& world_;
  Rng rng_;
};

}  // namespace sentinel::sim
