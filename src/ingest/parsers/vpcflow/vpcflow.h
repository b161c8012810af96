#pragma once
/// VPC Flow Logs (text form: S3 `.log[.gz]` files, CloudWatch Logs exports, stdin).
///
/// Decisions, in one place (see reference/formats.md §3):
/// - Field order comes from, in this order: `ParseOptions::flow_format` (`${version} ...`), else
///   the file's header line, else the default 14-field v2 format. When a format string is given
///   and the file also starts with a header line, the header line is skipped, not parsed as data.
/// - A header line is the first non-blank line when every token is a field-name-shaped word
///   (`[a-z][a-z0-9_-]*`, any case) and at least one is a known field. Names match hyphenated or
///   with underscores, case-insensitively. Unknown names are kept as raw columns. A header or
///   format string with a repeated field, or with nothing in it, is one file-level `bad_header`
///   reject and nothing of the file is read.
/// - Fields are separated by runs of spaces or tabs (AWS writes single spaces; some exports and
///   hand-made samples have doubles). Leading/trailing blanks, CRLF, a UTF-8 BOM and a last line
///   without a newline are accepted; blank lines are skipped and are not records.
/// - Line numbers count every physical line (1-based); `record` counts data lines (0-based: not
///   the header, not blank lines; rejected lines count); `offset` is where the line starts in
///   the decoded data (a BOM counts). A file-level reject has record -1.
/// - A line longer than limits::kMaxLineBytes is one `line_too_long` reject; reading resumes after
///   its newline. A header line is never that long, so such a first line means "no header".
/// - Any byte that is NUL, another control character (other than tab and the final CR) or
///   non-ASCII rejects the line with `bad_value` naming the column it sits in.
/// - `-` means "no value": the field is in the format but absent (`has()` false, raw view empty).
///   NODATA/SKIPDATA lines, with `-` almost everywhere, are records like any other.
/// - Types: ports 0..65535 (`bad_port`), protocol 0..255, version/packets/bytes/start/end and the
///   Transit Gateway `packets-lost-*` counters are non-negative decimal integers (`bad_number`);
///   tcp-flags and traffic-path must be integers and action/log-status must be one of their
///   values (`bad_value`); addresses must be IPv4 or IPv6 (`bad_ip`). Other fields (flow-direction,
///   type, ids, ARNs, service codes, encryption-status) are kept as raw text and never rejected;
///   flow-direction is also typed (`ingress`/`egress`, anything else kOther).
/// - Speed (the point of this parser): lines are found with memchr; each line is scanned 64
///   bytes at a time (SSE2 where available) into a separator mask and a bad-byte mask, so tokens
///   come from bit tricks, not a byte loop; integers of up to 16 digits are parsed 8 digits at a
///   time; IPv4 has a branch-light fast path (IPv6 goes to IpAddr::parse). These read up to 63
///   bytes past a line, which the kPadding contract of FileContext data makes safe. The header
///   is mapped to column kinds once per file, and the default v2 layout has an unrolled path.
///   Past the first line, a default-v2 file first tries a fast path that walks the line once,
///   splitting and converting each field in the same step (SWAR digits, an SSE2 dotted-quad
///   parser, a one-pass IPv6 parser) and finding the newline itself; any line it is not sure of
///   (`-`, blanks other than one space, CR, bad bytes, NODATA...) goes to the general path, which
///   alone decides rejects. Nothing is allocated per line. bench/micro/vpcflow_bench.cc measures
///   it.
/// - JSON output writes addresses in canonical form (dotted quad / RFC 5952), numbers as numbers,
///   `-` as null, and omits fields the format does not have. `encryption_status` is a number when
///   it is an integer, a string otherwise.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/json_writer.h"
#include "ingest/event.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

/// Every known flow-log field (versions 2–8, Transit Gateway, and the newer resource-id and
/// encryption-status). The order is the JSON output order.
enum class FlowField : uint8_t {
  // v2
  kVersion,
  kAccountId,
  kInterfaceId,
  kSrcaddr,
  kDstaddr,
  kSrcport,
  kDstport,
  kProtocol,
  kPackets,
  kBytes,
  kStart,
  kEnd,
  kAction,
  kLogStatus,
  // v3
  kVpcId,
  kSubnetId,
  kInstanceId,
  kTcpFlags,
  kType,
  kPktSrcaddr,
  kPktDstaddr,
  // v4
  kRegion,
  kAzId,
  kSublocationType,
  kSublocationId,
  // v5
  kPktSrcAwsService,
  kPktDstAwsService,
  kFlowDirection,
  kTrafficPath,
  // v7 (ECS)
  kEcsClusterArn,
  kEcsClusterName,
  kEcsContainerInstanceArn,
  kEcsContainerInstanceId,
  kEcsContainerId,
  kEcsSecondContainerId,
  kEcsServiceName,
  kEcsTaskDefinitionArn,
  kEcsTaskArn,
  kEcsTaskId,
  // v8
  kRejectReason,
  // Transit Gateway flow logs (v6)
  kResourceType,
  kTgwId,
  kTgwAttachmentId,
  kTgwSrcVpcAccountId,
  kTgwDstVpcAccountId,
  kTgwSrcVpcId,
  kTgwDstVpcId,
  kTgwSrcSubnetId,
  kTgwDstSubnetId,
  kTgwSrcEni,
  kTgwDstEni,
  kTgwSrcAzId,
  kTgwDstAzId,
  kTgwPairAttachmentId,
  kPacketsLostNoRoute,
  kPacketsLostBlackhole,
  kPacketsLostMtuExceeded,
  kPacketsLostTtlExpired,
  // newer
  kResourceId,
  kEncryptionStatus,
  kCount  // not a field; the number of fields
};

inline constexpr std::size_t kFlowFieldCount = static_cast<std::size_t>(FlowField::kCount);
static_assert(kFlowFieldCount <= 64, "presence masks are 64-bit");

/// The hyphenated AWS name of a field (`account-id`).
std::string_view flow_field_name(FlowField f);
/// The snake_case JSON name of a field (`account_id`).
std::string_view flow_field_json_name(FlowField f);
/// Looks a field up by its hyphenated or underscore name, case-insensitively.
bool flow_field_from_name(std::string_view name, FlowField* out);

enum class FlowAction : uint8_t { kNone, kAccept, kReject };
enum class FlowLogStatus : uint8_t { kNone, kOk, kNoData, kSkipData };
enum class FlowDirection : uint8_t { kNone, kIngress, kEgress, kOther };

/// One flow-log record. Views (raw tokens, extra names) borrow from the parsed data and from the
/// parser; they are valid only during the EventSink::on_flow callback. Typed members are
/// meaningful only when `has(field)` is true; otherwise they hold 0 / kNone / an empty address.
struct FlowRecord {
  EventMeta meta;

  int32_t version = 0;
  IpAddr srcaddr;
  IpAddr dstaddr;
  IpAddr pkt_srcaddr;
  IpAddr pkt_dstaddr;
  uint16_t srcport = 0;
  uint16_t dstport = 0;
  uint8_t protocol = 0;
  FlowAction action = FlowAction::kNone;
  FlowLogStatus log_status = FlowLogStatus::kNone;
  FlowDirection flow_direction = FlowDirection::kNone;
  int64_t packets = 0;
  int64_t bytes = 0;
  int64_t start = 0;  ///< Unix seconds
  int64_t end = 0;    ///< Unix seconds
  int32_t tcp_flags = 0;
  int32_t traffic_path = 0;
  int64_t packets_lost_no_route = 0;
  int64_t packets_lost_blackhole = 0;
  int64_t packets_lost_mtu_exceeded = 0;
  int64_t packets_lost_ttl_expired = 0;

  /// Raw token of every known field, indexed by FlowField; empty when `-` or not in the format.
  std::array<std::string_view, kFlowFieldCount> raw{};
  /// Bit i set: FlowField i is a column of this file's format.
  uint64_t in_format_mask = 0;
  /// Bit i set: FlowField i is in the format and its value is not `-`.
  uint64_t present_mask = 0;

  /// Columns the parser did not know: JSON names (`-` turned to `_`) and raw tokens (empty when
  /// `-`), `extra_count` of each. Owned by the parser.
  const std::string_view* extra_names = nullptr;
  const std::string_view* extra_values = nullptr;
  std::size_t extra_count = 0;

  /// The record's line as it was in the decoded input (without the newline and a final CR).
  std::string_view line;
  /// The file's columns as a format string (`${version} ${account-id} ...`, names as written),
  /// which parses `line` again through ParseOptions::flow_format. Owned by the parser.
  std::string_view format;

  bool in_format(FlowField f) const { return (in_format_mask >> static_cast<unsigned>(f)) & 1U; }
  bool has(FlowField f) const { return (present_mask >> static_cast<unsigned>(f)) & 1U; }
  std::string_view get(FlowField f) const { return raw[static_cast<std::size_t>(f)]; }
};

/// Parses VPC flow-log text. Holds reusable buffers, so one instance per thread, reused across
/// files, allocates only when a file's format has more columns than any before. Not thread-safe.
class VpcFlowParser {
 public:
  /// Parses one decoded file. `data` must have ingest::kPadding readable bytes after its end.
  /// Each record goes to sink.on_flow; each bad line to sink.on_reject (reading goes on); a bad
  /// format string or header is one file-level `bad_header` reject. Never throws on input.
  void parse(std::string_view data, const FileContext& ctx, EventSink& sink);

  /// True when `first_line` looks like a flow-log header line (`version account-id ...`).
  static bool looks_like_flow_header(std::string_view first_line);
  /// True when `line` looks like a flow-log data line (has a log-status token and, unless it is
  /// NODATA/SKIPDATA, an IP address).
  static bool looks_like_flow_line(std::string_view line);

 private:
  struct Column {
    FlowField field;        ///< kCount for an unknown column
    uint32_t extra = 0;     ///< index in extra_* for unknown columns
    std::string_view name;  ///< as written in the header / format string
  };

  bool set_columns_from_format(std::string_view format, std::string* error);
  bool set_columns_from_header(std::string_view header, std::string* error);
  void set_default_columns();
  bool add_column(std::string_view name, std::string* error);
  void finish_columns();
  /// Parses one data line (no newline, no CR). Returns false and fills reason/detail on reject.
  bool parse_line(std::string_view line, RejectReason* reason);
  /// Fast path for the default v2 layout: parses the line starting at `p` (data ends at `end`,
  /// kPadding readable bytes after it) into rec_ when it is a plain single-spaced v2 line with
  /// every field present, and returns its newline; otherwise returns nullptr and the caller uses
  /// parse_line, which decides the line (and words any reject) exactly as before.
  const char* parse_default_v2_fast(const char* p, const char* end);
  void reject_bad_bytes(std::string_view line, std::size_t bad_at);

  std::vector<Column> columns_;
  std::vector<std::string> extra_json_names_;
  std::vector<std::string_view> extra_name_views_;
  std::vector<std::string_view> extra_values_;
  std::vector<std::string_view> tokens_;
  bool default_v2_ = false;  ///< columns are exactly the default v2 layout (unrolled path)
  std::string format_;       ///< the columns as a format string (FlowRecord::format)
  FlowRecord rec_;
  std::string detail_;
};

/// Writes a flow record's own members (after write_meta_json) into the open object: known fields
/// in FlowField order under their snake_case names, then unknown columns; `-` as null; fields not
/// in the format omitted.
void write_flow_json(const FlowRecord& f, JsonWriter& w);

/// Appends a one-line human summary (`2015-01-01T00:00:00Z 10.0.0.1:443 -> 10.0.0.2:5123 tcp
/// ACCEPT 4249B 20pk`) to `out`. It quotes input: the caller escapes it for terminals.
void write_flow_table_row(const FlowRecord& f, std::string* out);

}  // namespace sentinel::ingest
