#pragma once
/// `aws_network(field)`: where an address sits relative to AWS, only when AWS's ip-ranges.json
/// is loaded. Unlike `ip_class` (which, without the ranges, calls every non-private address
/// "public"), it gives no value without the ranges, so a rule asking "outside AWS?" stays
/// silent instead of firing on every EC2 public address when the data is missing.
#include "detect/ir/predicate.h"

namespace sentinel::enrich {
class AwsRanges;
}

namespace sentinel::detect::functions {

/// → "private" (RFC 1918 and the other private ranges), "aws" (inside a published AWS prefix)
/// or "external"; no value when `ranges` is null or the field holds no address (CloudTrail's
/// `sourceIPAddress` may be a service name such as `ec2.amazonaws.com`).
class AwsNetworkFunction : public Function {
 public:
  explicit AwsNetworkFunction(const enrich::AwsRanges* ranges) : ranges_(ranges) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::AwsRanges* ranges_;
};

}  // namespace sentinel::detect::functions
