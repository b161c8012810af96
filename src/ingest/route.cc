#include "ingest/route.h"

#include <array>

#include "ingest/decode/json_framing.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::ingest {

namespace {

bool is_account_id(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

LogType service_type(std::string_view seg, bool* insight) {
  if (seg == "CloudTrail") return LogType::kCloudTrail;
  if (seg == "CloudTrail-Insight") {
    *insight = true;
    return LogType::kCloudTrail;
  }
  if (seg == "CloudTrail-Digest") return LogType::kDigest;
  if (seg == "vpcflowlogs") return LogType::kVpcFlow;
  if (seg == "vpcdnsquerylogs") return LogType::kRoute53;
  if (seg == "GuardDuty") return LogType::kGuardDuty;
  return LogType::kUnknown;
}

std::string_view strip_prefix(std::string_view seg, std::string_view prefix) {
  return seg.substr(0, prefix.size()) == prefix ? seg.substr(prefix.size()) : std::string_view();
}

// `<acct>_CloudTrail_<region>_...`, `<acct>_CloudTrail-Digest_<region>_...`,
// `<acct>_vpcflowlogs_<region>_...`, `<vpc>_vpcdnsquerylogs_<acct>_...`.
void route_by_file_name(std::string_view name, PathInfo* info) {
  std::array<std::string_view, 4> parts{};
  std::size_t start = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    std::size_t us = name.find('_', start);
    if (us == std::string_view::npos) return;
    parts[k] = name.substr(start, us - start);
    start = us + 1;
  }
  bool insight = false;
  LogType t = service_type(parts[1], &insight);
  if (t == LogType::kUnknown) return;
  if (t == LogType::kRoute53) {
    if (is_account_id(parts[2])) info->account = parts[2];
  } else {
    if (!is_account_id(parts[0])) return;
    info->account = parts[0];
    info->region = parts[2];
  }
  info->type = t;
  info->insight = insight;
}

}  // namespace

PathInfo route_by_path(std::string_view path) {
  PathInfo info;
  std::size_t at = path.rfind("AWSLogs/");
  if (at != std::string_view::npos) {
    std::string_view rest = path.substr(at + 8);
    std::array<std::string_view, 5> seg{};
    std::size_t n = 0;
    while (n < seg.size() && !rest.empty()) {
      std::size_t slash = rest.find('/');
      if (slash == std::string_view::npos) break;  // the last part is the file name
      seg[n++] = rest.substr(0, slash);
      rest = rest.substr(slash + 1);
    }
    std::size_t i = 0;
    if (i < n && seg[i].substr(0, 2) == "o-") info.org = seg[i++];
    if (i < n) {
      std::string_view acct = seg[i];
      if (auto v = strip_prefix(acct, "aws-account-id="); !v.empty()) acct = v;
      if (is_account_id(acct)) {
        info.account = acct;
        ++i;
      }
    }
    if (i < n) {
      std::string_view svc = seg[i];
      if (auto v = strip_prefix(svc, "aws-service="); !v.empty()) svc = v;
      info.type = service_type(svc, &info.insight);
      ++i;
    }
    if (i < n && info.type != LogType::kUnknown && info.type != LogType::kRoute53) {
      std::string_view region = seg[i];
      if (auto v = strip_prefix(region, "aws-region="); !v.empty()) region = v;
      info.region = region;
    }
  }
  if (info.type == LogType::kUnknown) {
    std::size_t slash = path.rfind('/');
    route_by_file_name(slash == std::string_view::npos ? path : path.substr(slash + 1), &info);
  }
  return info;
}

LogType sniff_content(std::string_view head) {
  if (looks_like_json(head)) {
    std::size_t p = skip_bom_and_space(head, 0);
    std::string_view h = head.substr(p);
    if (h.find("\"digestStartTime\"") != std::string_view::npos ||
        h.find("\"digestS3Object\"") != std::string_view::npos) {
      return LogType::kDigest;
    }
    if (looks_like_guardduty(h)) return LogType::kGuardDuty;
    if (h.find("\"Records\"") != std::string_view::npos ||
        h.find("\"eventVersion\"") != std::string_view::npos ||
        h.find("\"eventSource\"") != std::string_view::npos ||
        h.find("\"eventName\"") != std::string_view::npos ||
        h.find("via CloudTrail\"") != std::string_view::npos) {
      return LogType::kCloudTrail;
    }
    if (looks_like_route53_record(h)) return LogType::kRoute53;
    return LogType::kUnknown;
  }
  std::size_t nl = head.find('\n');
  std::string_view first = head.substr(0, nl);
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  if (first.size() >= 3 && static_cast<unsigned char>(first[0]) == 0xEF) first.remove_prefix(3);
  if (VpcFlowParser::looks_like_flow_header(first) || VpcFlowParser::looks_like_flow_line(first)) {
    return LogType::kVpcFlow;
  }
  return LogType::kUnknown;
}

}  // namespace sentinel::ingest
