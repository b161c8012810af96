#pragma once
/// Synthetic CloudTrail records: a weighted mix of ~60 management and data APIs across
/// ec2, s3, iam, sts, kms, lambda, cloudtrail, signin, logs, ssm, rds, secretsmanager,
/// guardduty and organizations, called by every common identity type.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/rng.h"
#include "sim/world.h"

namespace sentinel::sim {

/// Writes CloudTrail records. Holds a reference to `world`, which must outlive it. Not
/// thread-safe; use one generator per thread (each with its own seed).
class CloudTrailGenerator {
 public:
  CloudTrailGenerator(const World& world, std::uint64_t seed) : world_(world), rng_(seed) {}

  /// Appends one record (a compact JSON object, no separator or newline) to `out`, as
  /// delivered for `account` (index into world.accounts) in `region` in a file delivered at
  /// Unix second `delivery_time`. Returns the record's eventName (static storage).
  std::string_view append_record(std::string& out, std::size_t account, std::string_view region,
                                 std::int64_t delivery_time);

  Rng& rng() { return rng_; }

 private:
  const World& world_;
  Rng rng_;
};

}  // namespace sentinel::sim
