#pragma once
/// Event types shared by every parser and consumer. Events borrow their bytes from the decoded
/// buffer of the file they came from: the views are valid only during the EventSink callback.
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/reject.h"

namespace sentinel::ingest {

enum class LogType : uint8_t { kUnknown, kCloudTrail, kVpcFlow, kRoute53, kGuardDuty, kDigest };

/// `cloudtrail`, `vpcflow`, `route53`, `guardduty`, `cloudtrail_digest`, `unknown`.
std::string_view log_type_name(LogType t);
/// Parses the names above (and `auto` → kUnknown); false when the name is not one of them.
bool parse_log_type(std::string_view name, LogType* out);

inline constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

/// What an S3-style key (`AWSLogs/[o-org/]<acct>/<Service>/<region>/YYYY/MM/DD/...`) says about
/// a file. Empty views where the path says nothing. Views point into the path string.
struct PathInfo {
  LogType type = LogType::kUnknown;
  std::string_view account;
  std::string_view region;
  std::string_view org;
  bool insight = false;  ///< under CloudTrail-Insight/
};

/// Fields every event has, whatever its log type.
struct EventMeta {
  SourceRef ref;
  LogType type = LogType::kUnknown;
  int64_t time_ms = kNoTime;  ///< event time, Unix epoch milliseconds (kNoTime when absent)
  std::string_view account;
  std::string_view region;
};

struct CloudTrailEvent;
struct FlowRecord;
struct DnsQuery;
struct GuardDutyFinding;

/// A digest file: recognised and listed, never parsed as events.
struct DigestFile {
  SourceRef ref;
  std::string_view account;
  std::string_view region;
};

/// Receives what parsers produce. Called from one thread per sink instance.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_cloudtrail(const CloudTrailEvent& e) = 0;
  virtual void on_flow(const FlowRecord& f) = 0;
  virtual void on_dns(const DnsQuery& q) = 0;
  virtual void on_guardduty(const GuardDutyFinding& g) = 0;
  virtual void on_digest(const DigestFile& d) = 0;
  virtual void on_reject(const Reject& r) = 0;
  /// Before the records of a file that was one gzip layer decoded whole (no damage): the file's
  /// bytes as delivered and the inflated stream the parser reads, into which record views point.
  /// Both are valid until the file's last callback. The store keeps such a file as it came
  /// instead of compressing its records again. Ignored by default.
  virtual void on_gzip_file(std::string_view /*delivered*/, std::string_view /*inflated*/) {}
};

}  // namespace sentinel::ingest
