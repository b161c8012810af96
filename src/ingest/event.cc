#include "ingest/event.h"

namespace sentinel::ingest {

std::string_view log_type_name(LogType t) {
  switch (t) {
    case LogType::kCloudTrail:
      return "cloudtrail";
    case LogType::kVpcFlow:
      return "vpcflow";
    case LogType::kRoute53:
      return "route53";
    case LogType::kGuardDuty:
      return "guardduty";
    case LogType::kDigest:
      return "cloudtrail_digest";
    case LogType::kUnknown:
      break;
  }
  return "unknown";
}

bool parse_log_type(std::string_view name, LogType* out) {
  if (name == "auto")
    *out = LogType::kUnknown;
  else if (name == "cloudtrail")
    *out = LogType::kCloudTrail;
  else if (name == "vpcflow")
    *out = LogType::kVpcFlow;
  else if (name == "route53")
    *out = LogType::kRoute53;
  else if (name == "guardduty")
    *out = LogType::kGuardDuty;
  else
    return false;
  return true;
}

}  // namespace sentinel::ingest
