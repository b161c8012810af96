#pragma once
/// CloudTrail records from trail files (`{"Records":[...]}`, plain or gzip), top-level arrays,
/// NDJSON (CloudWatch Logs exports, one record per line), EventBridge envelopes ("AWS API Call
/// via CloudTrail", "AWS Console Signin via CloudTrail", ...: the record is `detail`) and
/// Insights records.
///
/// Typed common fields are extracted once; everything else stays in `raw`, the record's own
/// bytes, so rules can reach any JSON path (`requestParameters.bucketName`) and unknown fields are
/// never lost.
///
/// Decisions:
/// - A record is a CloudTrail record when it has `eventName` or `eventSource` or `eventVersion`
///   or is an Insights record (`insightDetails`); other JSON objects are `not_an_event`.
/// - `eventTime` missing: the Logstash `@timestamp` is used when present (OTRF datasets); with
///   neither the event is kept with no time (`time: null`) and counted as `no_time` in stats.
///   An `eventTime` that is present but unparsable is rejected (`bad_time`).
/// - `eventVersion` is split on the dot and compared as integers (1.10 > 1.9); a missing or odd
///   version is kept as text with major/minor 0.
/// - account = `recipientAccountId`, else `userIdentity.accountId`, else the S3 path's account.
/// - Insights records take eventSource/eventName from `insightDetails`.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/json_writer.h"
#include "ingest/event.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

class LazyRecordTree;  // ingest/decode/json_framing.h

/// `true`, `false` or absent.
enum class Tristate : uint8_t { kAbsent, kFalse, kTrue };

struct CloudTrailIdentity {
  std::string_view type;
  std::string_view principal_id;
  std::string_view arn;
  std::string_view account_id;
  std::string_view access_key_id;
  std::string_view user_name;
  std::string_view invoked_by;
  std::string_view issuer_type;        ///< sessionContext.sessionIssuer.type
  std::string_view issuer_arn;         ///< sessionContext.sessionIssuer.arn
  std::string_view issuer_user_name;   ///< sessionContext.sessionIssuer.userName
  std::string_view mfa_authenticated;  ///< sessionContext.attributes.mfaAuthenticated ("true")
};

/// Bits of CloudTrailEvent::present: which members the record's object has, whatever their
/// values (null included). The userIdentity.* bits are the members of the record's first
/// `userIdentity` member when that is an object (the one a path lookup finds).
enum CloudTrailMember : uint32_t {
  kCtHasEventName = 1u << 0,  // the top level, in detect::kCtTypedPaths' order
  kCtHasEventSource = 1u << 1,
  kCtHasEventType = 1u << 2,
  kCtHasAwsRegion = 1u << 3,
  kCtHasSourceIp = 1u << 4,
  kCtHasUserAgent = 1u << 5,
  kCtHasErrorCode = 1u << 6,
  kCtHasErrorMessage = 1u << 7,
  kCtHasEventId = 1u << 8,
  kCtHasRecipientAccountId = 1u << 9,
  kCtHasEventCategory = 1u << 10,
  kCtHasIdentityType = 1u << 11,  // userIdentity's
  kCtHasIdentityArn = 1u << 12,
  kCtHasIdentityAccountId = 1u << 13,
  kCtHasIdentityAccessKeyId = 1u << 14,
  kCtHasIdentityUserName = 1u << 15,
  kCtHasIdentityPrincipalId = 1u << 16,
  kCtHasIdentityInvokedBy = 1u << 17,
  kCtHasVpcEndpointAccountId = 1u << 20,
  kCtHasUserIdentity = 1u << 21,
  /// The parser read the object's members, so the bits above are the answer (not set for a
  /// skipped record).
  kCtMembersKnown = 1u << 31,
};

struct CloudTrailEvent {
  EventMeta meta;
  /// The record's JSON bytes (for EventBridge envelopes, the `detail` object). May contain
  /// newlines when the input was pretty-printed.
  std::string_view raw;
  std::string_view event_version;
  uint16_t version_major = 0;
  uint16_t version_minor = 0;
  std::string_view event_time;  ///< as written
  std::string_view event_source;
  std::string_view event_name;
  std::string_view aws_region;
  std::string_view source_ip_address;  ///< may be a host name or "AWS Internal"
  bool source_ip_is_ip = false;
  IpAddr source_ip;  ///< parsed when source_ip_is_ip
  std::string_view user_agent;
  std::string_view error_code;
  std::string_view error_message;
  std::string_view request_id;
  std::string_view event_id;
  std::string_view event_type;
  std::string_view event_category;
  std::string_view recipient_account_id;
  std::string_view shared_event_id;
  std::string_view vpc_endpoint_id;
  Tristate read_only = Tristate::kAbsent;
  Tristate management_event = Tristate::kAbsent;
  CloudTrailIdentity identity;
  bool insight = false;
  std::string_view insight_state;  ///< insightDetails.state (Start/End)
  std::string_view insight_type;   ///< insightDetails.insightType
  /// EventBridge envelope `detail-type` when the record came wrapped in one.
  std::string_view envelope_detail_type;
  bool time_from_timestamp = false;  ///< time came from Logstash `@timestamp`
  /// CloudTrailMember bits of the record's object (for EventBridge envelopes, `detail`): lets
  /// `exists` of those paths be answered without the tree.
  uint32_t present = 0;
  /// The record's tree, valid during the callback: parsed (a simdjson::dom::element), or, for a
  /// record the framer's typed walk read, parsed on the first request. Reach it only through
  /// cloudtrail_tree() from cloudtrail_dom.h. Both null for a skipped record.
  const void* record_dom = nullptr;
  LazyRecordTree* lazy_tree = nullptr;
  /// A placeholder for a record the parser accepted without reading its fields, because its
  /// bytes hold none of ParseOptions::skip_unless (only given by a consumer that reads just the
  /// events those strings can match): only meta.ref, meta.type and raw are set.
  bool skipped = false;
};

/// Parses CloudTrail input. Holds a reusable simdjson parser; one instance per thread.
class CloudTrailParser {
 public:
  CloudTrailParser();
  ~CloudTrailParser();
  CloudTrailParser(const CloudTrailParser&) = delete;
  CloudTrailParser& operator=(const CloudTrailParser&) = delete;

  /// With ParseOptions::typed_walk, a record of an array without a backslash has its typed
  /// fields read by the framer's typed walk and its tree parsed only on request.
  void parse(std::string_view data, const FileContext& ctx, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes the normalised members after the common envelope, ending with `"record": <raw>`.
/// `scratch` is a reusable buffer for minifying pretty-printed records.
void write_cloudtrail_json(const CloudTrailEvent& e, JsonWriter& w, std::string* scratch);
/// A one-line human summary (time, principal, source IP, event, error); the caller escapes it.
void write_cloudtrail_table_row(const CloudTrailEvent& e, std::string* out);

/// Splits "1.08" into (1, 8); false when it is not `<int>.<int>`.
bool parse_event_version(std::string_view v, uint16_t* major, uint16_t* minor);

}  // namespace sentinel::ingest
