#include "detect/functions/aws_network.h"

#include "detect/functions/dns.h"
#include "detect/functions/ip.h"
#include "enrich/aws_ranges.h"

namespace sentinel::detect::functions {

bool AwsNetworkFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                              std::string*) const {
  if (ranges_ == nullptr || args.size() != 1) return false;
  Value v;
  IpAddr ip;
  if (!first_value(ev, args[0], &v) || !ip_of(v, &ip)) return false;
  const char* name = "external";
  switch (ranges_->classify(ip).cls) {
    case enrich::IpClass::kPrivate:
      name = "private";
      break;
    case enrich::IpClass::kAws:
      name = "aws";
      break;
    case enrich::IpClass::kPublic:
      break;
  }
  *out = Value{};
  out->kind = Value::Kind::kString;
  out->str = name;
  return true;
}

}  // namespace sentinel::detect::functions
