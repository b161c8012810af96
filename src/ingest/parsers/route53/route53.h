#pragma once
/// Route 53 Resolver query logs (reference/formats.md §4.1): one JSON object per line, from S3
/// (`AWSLogs/<acct>/vpcdnsquerylogs/...log.gz`), CloudWatch Logs / Firehose exports or stdin.
///
/// Decisions, in one place:
/// - Framing is frame_json's (NDJSON, also a top-level array or concatenated objects); there is
///   no container key. Each record is parsed on its own with simdjson On-Demand and walked in full,
///   so a record is accepted only when all of it is valid JSON (unknown fields included).
/// - A record is a Route 53 record when it has at least one of `query_name`, `query_timestamp`,
///   `query_type`, `query_class`, `srcids`, `vpc_id` or a `firewall_*` field; other JSON
///   objects are `not_an_event`. `version`, `account_id`, `region`, `rcode`, `answers`,
///   `srcaddr`, `srcport` and `transport` alone are too generic to decide (OCSF DNS Activity
///   records have `answers` and `rcode`; flow records have `srcaddr`).
/// - Required: `query_name` and `query_timestamp` (missing, null or "" → `missing_field`, the
///   detail names the field). An unparsable `query_timestamp` → `bad_time`.
/// - Every other field is optional; JSON null and "" mean absent. A field of the wrong JSON type
///   → `bad_field_type` naming the field (strings must be strings; `answers` an array;
///   `srcids` an object). Two leniencies, both seen in normalised exports: `srcport` may be a
///   JSON integer as well as the documented string, and `answers` may be a single object
///   (Panther's samples), read as one answer.
/// - `srcport`: decimal digits only, 0..65535, else `bad_port`. `srcaddr`: IPv4 or IPv6, else
///   `bad_ip`. Unknown fields are kept (they are in `raw`); the first reject found wins, but a
///   record that is not valid JSON is always `invalid_json` (invalid UTF-8: `invalid_utf8`).
/// - `query_name` is kept as written (with its trailing dot); query_name_without_dot() drops one.
/// - `version` (`"1.100000"`) is kept as text and also read as a decimal number
///   (`version_value`, 0 when it is not one), so versions compare numerically.
/// - meta: type kRoute53; time from `query_timestamp`; account = `account_id`, else the S3
///   path's; region = `region`, else the path's; ref from the framer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/json_writer.h"
#include "ingest/event.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

/// One entry of `answers[]` (`{"Rdata":..,"Type":..,"Class":..}`), unescaped.
struct DnsAnswer {
  std::string_view rdata;
  std::string_view type;
  std::string_view klass;  ///< `Class` (a keyword in C++)
};

/// How many answers a DnsQuery keeps typed, without allocating. Records with more keep the count
/// (`answer_count`) and the raw array (`answers_raw`); the rest are not typed.
inline constexpr std::size_t kDnsInlineAnswers = 32;

/// `srcids`: which resource sent the query.
struct DnsSrcIds {
  std::string_view instance;
  std::string_view resolver_endpoint;
  std::string_view resolver_network_interface;
};

/// One Resolver query-log record. Views borrow from the parsed data and from the parser's string
/// buffer: they are valid only during the EventSink::on_dns callback. Empty view = absent.
struct DnsQuery {
  EventMeta meta;

  std::string_view version;  ///< as written (`1.100000`)
  double version_value = 0;  ///< `version` as a decimal number (0 when absent or not a number)
  std::string_view account_id;
  std::string_view region;
  std::string_view vpc_id;
  std::string_view query_timestamp;  ///< as written; parsed into meta.time_ms
  std::string_view query_name;       ///< as written, normally with a trailing dot
  std::string_view query_type;
  std::string_view query_class;
  std::string_view rcode;

  /// How many answers the record has (may exceed kDnsInlineAnswers).
  uint32_t answer_count = 0;
  /// The first min(answer_count, kDnsInlineAnswers) answers; see answers().
  std::array<DnsAnswer, kDnsInlineAnswers> answer_store{};
  /// The raw JSON of the `answers` value (array, or object in normalised input); empty when
  /// absent. Re-parse it to reach answers beyond kDnsInlineAnswers.
  std::string_view answers_raw;

  std::string_view srcaddr_raw;  ///< as written
  IpAddr srcaddr;                ///< meaningful when has_srcaddr
  bool has_srcaddr = false;
  int32_t srcport = -1;          ///< 0..65535, or -1 when absent
  std::string_view srcport_raw;  ///< as written (a JSON string in real logs)
  std::string_view transport;    ///< UDP / TCP (DoH and others may appear)
  DnsSrcIds srcids;
  std::string_view firewall_rule_group_id;
  std::string_view firewall_rule_action;  ///< ALERT / BLOCK (only on DNS Firewall matches)
  std::string_view firewall_domain_list_id;

  /// The record's JSON bytes as they were in the input (may contain newlines when the input was
  /// pretty-printed); unknown fields live here.
  std::string_view raw;

  /// The answers kept typed (at most kDnsInlineAnswers).
  std::span<const DnsAnswer> answers() const {
    return {answer_store.data(),
            answer_count < kDnsInlineAnswers ? answer_count : kDnsInlineAnswers};
  }
  /// How many answers were counted but not kept typed.
  uint32_t answers_not_stored() const {
    return answer_count > kDnsInlineAnswers
               ? answer_count - static_cast<uint32_t>(kDnsInlineAnswers)
               : 0;
  }
  /// `query_name` without one trailing dot (`example.com.` → `example.com`; the root `.` → "").
  std::string_view query_name_without_dot() const {
    std::string_view n = query_name;
    if (!n.empty() && n.back() == '.') n.remove_suffix(1);
    return n;
  }
};

/// Parses Route 53 Resolver query logs. Holds a simdjson On-Demand parser and reusable buffers,
/// so one instance per thread, reused across files, allocates nothing per record once warm.
/// Not thread-safe.
class Route53Parser {
 public:
  Route53Parser();
  ~Route53Parser();
  Route53Parser(Route53Parser&&) noexcept;
  Route53Parser& operator=(Route53Parser&&) noexcept;
  Route53Parser(const Route53Parser&) = delete;
  Route53Parser& operator=(const Route53Parser&) = delete;

  /// Parses one decoded file. `data` must have ingest::kPadding readable bytes after its end.
  /// Each record goes to sink.on_dns, each bad one to sink.on_reject (reading goes on). Never
  /// throws on input.
  void parse(std::string_view data, const FileContext& ctx, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True when the first bytes of decoded data (a few KB are enough) look like Resolver query
/// logs: both `"query_name"` and `"query_timestamp"` keys appear. Cheap: two substring searches.
bool looks_like_route53_record(std::string_view head);

/// Writes a DNS query's own members (after write_meta_json) into the open object: the typed
/// fields under snake_case names (absent ones omitted; `srcaddr` canonical, `srcport` a number,
/// `answers` as `[{"rdata","type","class"}]` plus `answers_not_stored` when some were not
/// typed), then `"record"`: the raw record, minified to one line when it spans several.
void write_dns_json(const DnsQuery& q, JsonWriter& w);

/// Appends a one-line human summary (`2021-12-11T22:46:23Z 172.31.86.159:48701 A
/// example.com. NXDOMAIN 0 answers`) to `out`. It quotes input: the caller escapes it.
void write_dns_table_row(const DnsQuery& q, std::string* out);

}  // namespace sentinel::ingest
