#pragma once
/// GuardDuty findings (reference/formats.md §4.2) in every shape they are delivered in:
///   - EventBridge events: `{"detail-type":"GuardDuty Finding","source":"aws.guardduty",...,
///     "detail":{<finding>}}` (one per line, or one pretty-printed object);
///   - the S3 export (`.jsonl[.gz]`, one finding per line; gzip is undone before the parser);
///   - API / CLI output: `{"Findings":[...]}` (AWS CLI and boto3, PascalCase keys) or
///     `{"findings":[...]}` (the REST API and tools built on it, camelCase keys);
///   - a top-level array of findings, or a single finding.
///
/// Decisions, in one place:
/// - Keys are matched in camelCase (`schemaVersion`, `service.action.actionType`) and in
///   PascalCase (`SchemaVersion`, `Service.Action.ActionType`): only the first letter differs, so
///   it is compared case-insensitively and the rest exactly. Envelope keys (`detail-type`,
///   `source`, `detail`, ...) are matched exactly, as EventBridge writes them.
/// - Container key: the framer is given `Findings` or `findings`, whichever the file's first
///   object starts with (default `Findings`). A `{"findings":[...]}` / `{"Findings":[...]}`
///   object the framer did not split (the other spelling, or the key not first: elastic's samples
///   end an NDJSON file with `{"findings":[]}`) is read by the parser itself: each element is a
///   finding of its own, all sharing the container's SourceRef; an empty one yields nothing.
/// - An object with a `detail-type` key is an EventBridge envelope: `GuardDuty Finding` → the
///   finding is `detail` (raw = the `detail` object's bytes); any other detail-type (other
///   GuardDuty events, CloudTrail events, Security Hub) is `not_an_event`.
/// - A finding must have at least one of `schemaVersion`, `arn`, `type`, `severity`, `service`,
///   `resource`, `title`, `createdAt`, `updatedAt`; other JSON objects are `not_an_event`.
///   ASFF findings (`Types`, `Severity.Label`, `AwsAccountId`) are a different format: they
///   fail the required `type` (`missing_field`) or `severity` (`bad_field_type`) checks.
/// - Required: `id` and `type` (missing, null or "" → `missing_field`, the detail names it).
/// - Types: `severity`, `confidence` numbers (int or float; anything else → `bad_field_type`);
///   `service.count` an integer; `service.archived` a boolean; strings must be strings; objects
///   (`resource`, `service`, `service.action`) must be objects. JSON null means absent.
/// - Times: `createdAt`, `updatedAt`, `service.eventFirstSeen`/`eventLastSeen` must be ISO 8601
///   strings when present (`2020-02-14T18:12:22.316Z`, also `2025-02-25 20:40:06.721`);
///   unparsable → `bad_time`. Event time = `updatedAt`, else `createdAt`, else the envelope's
///   `time`, else none.
/// - account = `accountId`, else the envelope's `account`, else the S3 path's; region likewise.
/// - `service.additionalInfo.sample` (true or "true") marks GuardDuty's generated sample findings.
/// - A retired type (data/guardduty/retired_types.tsv, compiled in: retired_guardduty_types())
///   is read as its current type, the first one the map lists: `type` is the current type (what
///   rules, the store's type column and the outputs use), `original_type` keeps the type as
///   written, and `raw` is left untouched. A type the map does not know is kept as written.
/// - Every record is walked in full, so only valid JSON is accepted; invalid UTF-8 is
///   `invalid_utf8`. When a record has several problems, invalid JSON wins, then the first type
///   error, then missing id, missing type, bad times in that order.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "ingest/event.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

/// The EventBridge event a finding came in, when it came in one.
struct GuardDutyEnvelope {
  bool present = false;
  std::string_view id;
  std::string_view detail_type;  ///< `GuardDuty Finding`
  std::string_view source;       ///< `aws.guardduty`
  std::string_view account;
  std::string_view region;
  std::string_view time;      ///< as written
  int64_t time_ms = kNoTime;  ///< `time` parsed (kNoTime when absent or unparsable)
};

/// One GuardDuty finding. Views borrow from the parsed data and the parser's string buffer: they
/// are valid only during the EventSink::on_guardduty callback. Empty view = absent.
struct GuardDutyFinding {
  EventMeta meta;

  std::string_view schema_version;
  std::string_view account_id;
  std::string_view region;
  std::string_view partition;
  std::string_view id;
  std::string_view arn;
  std::string_view
      type;  ///< `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.Mechanism!Artifact`
  /// The type as written when it is a retired type that `type` now holds the current type of;
  /// empty otherwise.
  std::string_view original_type;
  std::string_view title;
  std::string_view description;
  double severity = 0;  ///< 1.0–10.0 (Critical 9.0–10.0); meaningful when has_severity
  bool has_severity = false;
  double confidence = 0;  ///< older findings only; meaningful when has_confidence
  bool has_confidence = false;
  std::string_view created_at_raw;  ///< as written
  std::string_view updated_at_raw;  ///< as written
  int64_t created_at = kNoTime;     ///< Unix epoch ms
  int64_t updated_at = kNoTime;     ///< Unix epoch ms

  std::string_view resource_type;  ///< resource.resourceType (`Instance`, `AccessKey`, ...)

  std::string_view action_type;    ///< service.action.actionType (`AWS_API_CALL`, ...)
  std::string_view service_name;   ///< service.serviceName (`guardduty`)
  std::string_view detector_id;    ///< service.detectorId
  std::string_view feature_name;   ///< service.featureName
  std::string_view resource_role;  ///< service.resourceRole (`TARGET` / `ACTOR`)
  int64_t count = -1;              ///< service.count (-1 when absent)
  std::string_view event_first_seen_raw;
  std::string_view event_last_seen_raw;
  int64_t event_first_seen = kNoTime;  ///< Unix epoch ms
  int64_t event_last_seen = kNoTime;   ///< Unix epoch ms
  bool has_archived = false;
  bool archived = false;  ///< service.archived, meaningful when has_archived
  bool sample = false;    ///< service.additionalInfo.sample: a generated sample finding

  GuardDutyEnvelope envelope;

  /// The finding's JSON bytes (for an EventBridge event, the `detail` object's). May contain
  /// newlines when the input was pretty-printed; unknown fields live here.
  std::string_view raw;
};

/// A retired GuardDuty finding type and the current type(s) that detect the same activity.
struct RetiredGuardDutyType {
  std::string_view retired;
  std::string_view current;  ///< comma-separated, the one a finding is read as first
  std::string_view note;
};

/// The map of data/guardduty/retired_types.tsv (compiled in; a test keeps the two equal), in the
/// file's order. Static storage: the views never dangle.
std::span<const RetiredGuardDutyType> retired_guardduty_types();

/// The current type a finding of retired type `type` is read as (the first current type the map
/// lists); empty when `type` is not retired or has no successor.
std::string_view current_guardduty_type(std::string_view type);

/// GuardDuty's severity band: `Critical` (≥ 9.0), `High` (≥ 7.0), `Medium` (≥ 4.0), `Low`.
std::string_view guardduty_severity_label(double severity);

/// Parses GuardDuty findings. Holds a simdjson On-Demand parser and reusable buffers, so one
/// instance per thread, reused across files, allocates nothing per record once warm. Not
/// thread-safe.
class GuardDutyParser {
 public:
  GuardDutyParser();
  ~GuardDutyParser();
  GuardDutyParser(GuardDutyParser&&) noexcept;
  GuardDutyParser& operator=(GuardDutyParser&&) noexcept;
  GuardDutyParser(const GuardDutyParser&) = delete;
  GuardDutyParser& operator=(const GuardDutyParser&) = delete;

  /// Parses one decoded file. `data` must have ingest::kPadding readable bytes after its end.
  /// Each finding goes to sink.on_guardduty, each bad record to sink.on_reject (reading goes
  /// on). Never throws on input.
  void parse(std::string_view data, const FileContext& ctx, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True when the first bytes of decoded data (a few KB are enough) look like GuardDuty: an
/// EventBridge `"GuardDuty Finding"` detail-type, a `Findings`/`findings` container as the first
/// key, or a `schemaVersion` key with a `service` key and a `type` value shaped like a finding
/// type (`Purpose:Resource/Name`), in either key case. Cheap: a few substring searches.
bool looks_like_guardduty(std::string_view head);

/// Writes a finding's own members (after write_meta_json) into the open object: the typed fields
/// under snake_case names (`original_type` after `type` when a retired type was mapped; absent ones
/// omitted; times as ISO 8601 UTC, `.mmm` when not whole; `severity_label` added), `envelope` when
/// the finding came in an EventBridge event, then
/// `"record"`: the raw finding, minified to one line when it spans several.
void write_guardduty_json(const GuardDutyFinding& g, JsonWriter& w);

/// Appends a one-line human summary (`2022-01-28T21:12:25Z 8.0 High
/// UnauthorizedAccess:IAMUser/TorIPCaller 123456789012 us-east-1 AccessKey: <title>`; a mapped
/// retired type is followed by ` (retired <original type>)`) to `out`.
/// It quotes input: the caller escapes it.
void write_guardduty_table_row(const GuardDutyFinding& g, std::string* out);

}  // namespace sentinel::ingest
