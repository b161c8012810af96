#include "ingest/parsers/cloudtrail/cloudtrail.h"

#include <simdjson.h>

#include <cstring>

#include "core/time.h"
#include "ingest/decode/json_framing.h"
#include "ingest/event_json.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"

namespace sentinel::ingest {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Reads a string member; null and absent leave `out` empty. Returns false on a wrong type.
inline bool take_string(element v, std::string_view* out) {
  switch (v.type()) {
    case element_type::STRING:
      *out = v.get_string().value_unsafe();
      return true;
    case element_type::NULL_VALUE:
      return true;
    default:
      return false;
  }
}

inline Tristate take_bool(element v) {
  if (v.type() == element_type::BOOL)
    return v.get_bool().value_unsafe() ? Tristate::kTrue : Tristate::kFalse;
  if (v.type() == element_type::STRING) {
    std::string_view s = v.get_string().value_unsafe();
    if (s == "true") return Tristate::kTrue;
    if (s == "false") return Tristate::kFalse;
  }
  return Tristate::kAbsent;
}

enum class Key : uint8_t {
  kNone,
  kEventVersion,
  kEventTime,
  kEventSource,
  kEventName,
  kAwsRegion,
  kSourceIp,
  kUserAgent,
  kErrorCode,
  kErrorMessage,
  kRequestId,
  kEventId,
  kEventType,
  kEventCategory,
  kRecipientAccountId,
  kSharedEventId,
  kVpcEndpointId,
  kReadOnly,
  kManagementEvent,
  kUserIdentity,
  kInsightDetails,
  kTimestamp,
  kDetailType,
  kDetail,
};

// The member names the parser reads, dispatched on length first so that most keys cost one
// comparison.
inline Key classify_key(std::string_view k) {
  switch (k.size()) {
    case 6:
      return k == "detail" ? Key::kDetail : Key::kNone;
    case 7:
      return k == "eventID" ? Key::kEventId : Key::kNone;
    case 8:
      return k == "readOnly" ? Key::kReadOnly : Key::kNone;
    case 9:
      if (k == "eventTime") return Key::kEventTime;
      if (k == "eventName") return Key::kEventName;
      if (k == "eventType") return Key::kEventType;
      if (k == "awsRegion") return Key::kAwsRegion;
      if (k == "userAgent") return Key::kUserAgent;
      if (k == "errorCode") return Key::kErrorCode;
      if (k == "requestID") return Key::kRequestId;
      return Key::kNone;
    case 10:
      return k == "@timestamp" ? Key::kTimestamp : Key::kNone;
    case 11:
      if (k == "eventSource") return Key::kEventSource;
      if (k == "detail-type") return Key::kDetailType;
      return Key::kNone;
    case 12:
      if (k == "eventVersion") return Key::kEventVersion;
      if (k == "userIdentity") return Key::kUserIdentity;
      if (k == "errorMessage") return Key::kErrorMessage;
      return Key::kNone;
    case 13:
      if (k == "eventCategory") return Key::kEventCategory;
      if (k == "sharedEventID") return Key::kSharedEventId;
      if (k == "vpcEndpointId") return Key::kVpcEndpointId;
      return Key::kNone;
    case 14:
      return k == "insightDetails" ? Key::kInsightDetails : Key::kNone;
    case 15:
      if (k == "sourceIPAddress") return Key::kSourceIp;
      if (k == "managementEvent") return Key::kManagementEvent;
      return Key::kNone;
    case 18:
      return k == "recipientAccountId" ? Key::kRecipientAccountId : Key::kNone;
    default:
      return Key::kNone;
  }
}

bool read_identity(object obj, CloudTrailIdentity* id, std::string_view* bad) {
  for (auto [key, v] : obj) {
    std::string_view* target = nullptr;
    if (key == "type") {
      target = &id->type;
    } else if (key == "principalId") {
      target = &id->principal_id;
    } else if (key == "arn") {
      target = &id->arn;
    } else if (key == "accountId") {
      target = &id->account_id;
    } else if (key == "accessKeyId") {
      target = &id->access_key_id;
    } else if (key == "userName") {
      target = &id->user_name;
    } else if (key == "invokedBy") {
      target = &id->invoked_by;
    } else if (key == "sessionContext" && v.type() == element_type::OBJECT) {
      object sc = v.get_object().value_unsafe();
      for (auto [sk, sv] : sc) {
        if (sk == "sessionIssuer" && sv.type() == element_type::OBJECT) {
          // Bind the object first: iterating the temporary result directly would dangle.
          object issuer = sv.get_object().value_unsafe();
          for (auto [ik, iv] : issuer) {
            if (iv.type() != element_type::STRING) continue;
            if (ik == "type")
              id->issuer_type = iv.get_string().value_unsafe();
            else if (ik == "arn")
              id->issuer_arn = iv.get_string().value_unsafe();
            else if (ik == "userName")
              id->issuer_user_name = iv.get_string().value_unsafe();
          }
        } else if (sk == "attributes" && sv.type() == element_type::OBJECT) {
          element mfa;
          if (sv["mfaAuthenticated"].get(mfa) == simdjson::SUCCESS) {
            if (mfa.type() == element_type::STRING) {
              id->mfa_authenticated = mfa.get_string().value_unsafe();
            } else if (mfa.type() == element_type::BOOL) {
              id->mfa_authenticated = mfa.get_bool().value_unsafe() ? "true" : "false";
            }
          }
        }
      }
      continue;
    }
    if (target != nullptr && !take_string(v, target)) {
      *bad = "userIdentity field of the wrong JSON type";
      return false;
    }
  }
  return true;
}

}  // namespace

bool parse_event_version(std::string_view v, uint16_t* major, uint16_t* minor) {
  std::size_t dot = v.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= v.size()) return false;
  auto num = [](std::string_view s, uint16_t* out) {
    if (s.size() > 4) return false;
    unsigned x = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      x = x * 10 + static_cast<unsigned>(c - '0');
    }
    *out = static_cast<uint16_t>(x);
    return true;
  };
  return num(v.substr(0, dot), major) && num(v.substr(dot + 1), minor);
}

struct CloudTrailParser::Impl : RecordHandler {
  simdjson::dom::parser parser;
  const FileContext* ctx = nullptr;
  EventSink* sink = nullptr;
  CloudTrailEvent ev;

  struct Scan {
    bool looks_ct = false;
    std::string_view timestamp;    // Logstash @timestamp
    std::string_view detail_type;  // EventBridge envelope
    bool has_detail = false;
    element detail;
  };

  // Reads the typed fields of `obj` into `ev`, one pass over its members. On a field of the wrong
  // type sets *bad and stops.
  Scan extract(object obj, std::string_view* bad) {
    Scan scan;
    for (auto [key, v] : obj) {
      std::string_view* target = nullptr;
      switch (classify_key(key)) {
        case Key::kNone:
          continue;
        case Key::kEventVersion:
          target = &ev.event_version;
          scan.looks_ct = true;
          break;
        case Key::kEventTime:
          target = &ev.event_time;
          break;
        case Key::kEventSource:
          target = &ev.event_source;
          scan.looks_ct = true;
          break;
        case Key::kEventName:
          target = &ev.event_name;
          scan.looks_ct = true;
          break;
        case Key::kAwsRegion:
          target = &ev.aws_region;
          break;
        case Key::kSourceIp:
          target = &ev.source_ip_address;
          break;
        case Key::kUserAgent:
          target = &ev.user_agent;
          break;
        case Key::kErrorCode:
          target = &ev.error_code;
          break;
        case Key::kErrorMessage:
          target = &ev.error_message;
          break;
        case Key::kRequestId:
          target = &ev.request_id;
          break;
        case Key::kEventId:
          target = &ev.event_id;
          break;
        case Key::kEventType:
          target = &ev.event_type;
          break;
        case Key::kEventCategory:
          target = &ev.event_category;
          break;
        case Key::kRecipientAccountId:
          target = &ev.recipient_account_id;
          break;
        case Key::kSharedEventId:
          target = &ev.shared_event_id;
          break;
        case Key::kVpcEndpointId:
          target = &ev.vpc_endpoint_id;
          break;
        case Key::kReadOnly:
          ev.read_only = take_bool(v);
          continue;
        case Key::kManagementEvent:
          ev.management_event = take_bool(v);
          continue;
        case Key::kUserIdentity:
          if (v.type() == element_type::OBJECT) {
            if (!read_identity(v.get_object().value_unsafe(), &ev.identity, bad)) return scan;
          } else if (v.type() != element_type::NULL_VALUE) {
            *bad = "userIdentity is not an object";
            return scan;
          }
          continue;
        case Key::kInsightDetails:
          if (v.type() == element_type::OBJECT) {
            ev.insight = true;
            scan.looks_ct = true;
            object details = v.get_object().value_unsafe();
            for (auto [ik, iv] : details) {
              if (iv.type() != element_type::STRING) continue;
              std::string_view s = iv.get_string().value_unsafe();
              if (ik == "state") {
                ev.insight_state = s;
              } else if (ik == "insightType") {
                ev.insight_type = s;
              } else if (ik == "eventSource" && ev.event_source.empty()) {
                ev.event_source = s;
              } else if (ik == "eventName" && ev.event_name.empty()) {
                ev.event_name = s;
              }
            }
          }
          continue;
        case Key::kTimestamp:
          if (v.type() == element_type::STRING) scan.timestamp = v.get_string().value_unsafe();
          continue;
        case Key::kDetailType:
          if (v.type() == element_type::STRING) scan.detail_type = v.get_string().value_unsafe();
          continue;
        case Key::kDetail:
          scan.detail = v;
          scan.has_detail = true;
          continue;
      }
      if (!take_string(v, target)) {
        *bad = key;
        return scan;
      }
    }
    return scan;
  }

  RecordStatus on_record(std::string_view json, std::size_t capacity, const SourceRef& ref,
                         RejectReason* reason, std::string_view* detail) override {
    (void)capacity;  // the framer guarantees SIMDJSON_PADDING bytes after the record
    element root;
    auto err = parser.parse(json.data(), json.size(), false).get(root);
    if (err != simdjson::SUCCESS) {
      if (err == simdjson::UTF8_ERROR) {
        *reason = RejectReason::kInvalidUtf8;
        *detail = "the record is not valid UTF-8";
      } else if (err == simdjson::DEPTH_ERROR) {
        *reason = RejectReason::kTooDeep;
        *detail = "the record nests too deeply";
      } else {
        *detail = simdjson::error_message(err);
      }
      return RecordStatus::kInvalidJson;
    }
    return take_record(json, root, ref);
  }

  BulkParser* bulk_parser() override { return &bulk; }

  // ---- the skip test (ParseOptions::skip_unless): a record is skipped only when take_record
  // would accept it without a reject: it looks like CloudTrail, every typed field is a string or
  // null (userIdentity an object or null, its typed members strings or null), and every
  // eventTime parses. (A repeated member changes which value the event keeps, never whether
  // the record is accepted: each one is checked.) Members with string or null values are seen
  // only for the names in skip_keys_list; the others are fine as strings or null. ----

  // `YYYY-MM-DDTHH:MM:SSZ` with the month, day, hour, minute and second in the ranges
  // parse_iso8601_ms takes (CloudTrail's own form): parse_iso8601_ms accepts every such time,
  // so the skip test need not call it.
  static bool plain_utc_time(std::string_view t) {
    if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
        t[16] != ':' || t[19] != 'Z') {
      return false;
    }
    auto num = [&](std::size_t at) {
      const int a = t[at] - '0', b = t[at + 1] - '0';
      return (a < 0 || a > 9 || b < 0 || b > 9) ? -1 : a * 10 + b;
    };
    if (num(0) < 0 || num(2) < 0) return false;  // the year
    const int mo = num(5), d = num(8), h = num(11), mi = num(14), sec = num(17);
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
           sec >= 0 && sec <= 60;
  }

  const std::vector<std::string>* skip_needles() override {
    return ctx != nullptr && ctx->options != nullptr ? ctx->options->skip_unless : nullptr;
  }

  const std::vector<std::string>* skip_keys() override { return &skip_keys_list; }

  void skip_begin() override { skip_ct = false; }

  SkipVerdict skip_member(int depth, std::string_view key, JsonKind kind,
                          std::string_view text) override {
    const bool string_or_null = kind == JsonKind::kString || kind == JsonKind::kNull;
    if (depth == 2) {
      // userIdentity's members: the ones read_identity takes as strings.
      const bool typed = key == "type" || key == "principalId" || key == "arn" ||
                         key == "accountId" || key == "accessKeyId" || key == "userName" ||
                         key == "invokedBy";
      return !typed || string_or_null ? SkipVerdict::kFine : SkipVerdict::kNo;
    }
    switch (classify_key(key)) {
      case Key::kNone:
      case Key::kReadOnly:
      case Key::kManagementEvent:
      case Key::kTimestamp:
      case Key::kDetailType:
      case Key::kDetail:
        return SkipVerdict::kFine;
      case Key::kEventVersion:
      case Key::kEventSource:
      case Key::kEventName:
        skip_ct = true;
        break;
      case Key::kEventTime:
        if (kind == JsonKind::kString && !text.empty() && !plain_utc_time(text)) {
          int64_t ms;
          if (!parse_iso8601_ms(text, &ms)) return SkipVerdict::kNo;
        }
        break;
      case Key::kUserIdentity:
        if (kind == JsonKind::kObject) return SkipVerdict::kDescend;
        return kind == JsonKind::kNull ? SkipVerdict::kFine : SkipVerdict::kNo;
      case Key::kInsightDetails:
        if (kind == JsonKind::kObject) skip_ct = true;
        return SkipVerdict::kFine;
      default:
        break;
    }
    return string_or_null ? SkipVerdict::kFine : SkipVerdict::kNo;
  }

  bool skip_deliver(std::string_view json, const SourceRef& ref) override {
    if (!skip_ct) return false;
    skip_ev.meta.ref = ref;
    skip_ev.meta.type = LogType::kCloudTrail;
    skip_ev.raw = json;
    skip_ev.skipped = true;
    sink->on_cloudtrail(skip_ev);
    return true;
  }

  // The members whose string or null values the skip test must see: the ones that make a
  // record CloudTrail, the time that must parse, and userIdentity (an object or null).
  const std::vector<std::string> skip_keys_list{"eventVersion", "eventSource", "eventName",
                                                "eventTime", "userIdentity"};
  bool skip_ct = false;  // a member that makes the record CloudTrail
  CloudTrailEvent skip_ev;

  RecordStatus on_parsed(std::string_view json, const void* root, const SourceRef& ref) override {
    return take_record(json, *static_cast<const element*>(root), ref);
  }

  // The record's tree, however it was parsed: checks it is a CloudTrail record, extracts the
  // typed fields and hands it to the sink (or reports why not).
  RecordStatus take_record(std::string_view json, element root, const SourceRef& ref) {
    if (root.type() != element_type::OBJECT) return RecordStatus::kNotARecord;
    object obj = root.get_object().value_unsafe();

    ev = CloudTrailEvent{};
    ev.meta.ref = ref;
    ev.meta.type = LogType::kCloudTrail;
    ev.raw = json;
    record_elem = root;

    std::string_view bad;
    Scan scan = extract(obj, &bad);
    if (!scan.detail_type.empty() && !scan.looks_ct) {
      // EventBridge envelope: the CloudTrail record is `detail`.
      if (!scan.has_detail || scan.detail.type() != element_type::OBJECT) {
        return RecordStatus::kNotARecord;
      }
      std::string_view detail_type = scan.detail_type;
      ev = CloudTrailEvent{};
      ev.meta.ref = ref;
      ev.meta.type = LogType::kCloudTrail;
      ev.raw = json;
      ev.envelope_detail_type = detail_type;
      record_elem = scan.detail;
      bad = {};
      scan = extract(scan.detail.get_object().value_unsafe(), &bad);
    }
    ev.record_dom = &record_elem;
    const bool looks_ct = scan.looks_ct;
    const std::string_view timestamp = scan.timestamp;
    if (!looks_ct) return RecordStatus::kNotARecord;
    if (!bad.empty()) {
      detail_buf = "field of the wrong JSON type: ";
      detail_buf.append(bad.substr(0, 80));
      reject(ref, RejectReason::kBadFieldType, detail_buf);
      return RecordStatus::kReported;
    }

    if (!ev.event_version.empty()) {
      parse_event_version(ev.event_version, &ev.version_major, &ev.version_minor);
    }
    if (!ev.event_time.empty()) {
      if (!parse_iso8601_ms(ev.event_time, &ev.meta.time_ms)) {
        detail_buf = "eventTime is not an ISO 8601 time: ";
        detail_buf.append(ev.event_time.substr(0, 60));
        reject(ref, RejectReason::kBadTime, detail_buf);
        return RecordStatus::kReported;
      }
    } else if (!timestamp.empty() && parse_iso8601_ms(timestamp, &ev.meta.time_ms)) {
      ev.time_from_timestamp = true;
    }

    if (!ev.source_ip_address.empty()) {
      ev.source_ip_is_ip = IpAddr::parse(ev.source_ip_address, &ev.source_ip);
    }
    ev.meta.account = !ev.recipient_account_id.empty()  ? ev.recipient_account_id
                      : !ev.identity.account_id.empty() ? ev.identity.account_id
                                                        : ctx->path_info.account;
    ev.meta.region = !ev.aws_region.empty() ? ev.aws_region : ctx->path_info.region;
    sink->on_cloudtrail(ev);
    return RecordStatus::kAccepted;
  }

  void reject(const SourceRef& ref, RejectReason reason, std::string_view detail) {
    sink->on_reject(Reject{ref, reason, detail, 1});
  }

  element record_elem;
  std::string detail_buf;
  BulkParser bulk;
};

CloudTrailParser::CloudTrailParser() : impl_(std::make_unique<Impl>()) {}
CloudTrailParser::~CloudTrailParser() = default;

void CloudTrailParser::parse(std::string_view data, const FileContext& ctx, EventSink& sink) {
  impl_->ctx = &ctx;
  impl_->sink = &sink;
  frame_json(data, ctx.path, "Records", *impl_, sink);
}

void write_cloudtrail_json(const CloudTrailEvent& e, JsonWriter& w, std::string* scratch) {
  auto opt = [&](std::string_view k, std::string_view v) {
    if (!v.empty()) w.field(k, v);
  };
  opt("event_version", e.event_version);
  opt("event_time", e.event_time);
  opt("event_source", e.event_source);
  opt("event_name", e.event_name);
  opt("event_type", e.event_type);
  opt("event_category", e.event_category);
  opt("event_id", e.event_id);
  opt("aws_region", e.aws_region);
  opt("source_ip_address", e.source_ip_address);
  opt("user_agent", e.user_agent);
  opt("error_code", e.error_code);
  opt("error_message", e.error_message);
  opt("recipient_account_id", e.recipient_account_id);
  if (e.read_only != Tristate::kAbsent) w.field("read_only", e.read_only == Tristate::kTrue);
  const CloudTrailIdentity& id = e.identity;
  if (!id.type.empty() || !id.arn.empty() || !id.principal_id.empty()) {
    w.key("user_identity");
    w.begin_object();
    opt("type", id.type);
    opt("principal_id", id.principal_id);
    opt("arn", id.arn);
    opt("account_id", id.account_id);
    opt("access_key_id", id.access_key_id);
    opt("user_name", id.user_name);
    opt("invoked_by", id.invoked_by);
    opt("session_issuer_type", id.issuer_type);
    opt("session_issuer_arn", id.issuer_arn);
    opt("session_issuer_user_name", id.issuer_user_name);
    opt("mfa_authenticated", id.mfa_authenticated);
    w.end_object();
  }
  if (e.insight) {
    w.key("insight");
    w.begin_object();
    opt("state", e.insight_state);
    opt("insight_type", e.insight_type);
    w.end_object();
  }
  opt("envelope_detail_type", e.envelope_detail_type);
  if (e.time_from_timestamp) w.field("time_from", "@timestamp");
  w.key("record");
  if (!e.envelope_detail_type.empty()) {
    // The record is the envelope's `detail`; re-serialise it from the parsed tree.
    w.raw(simdjson::minify(cloudtrail_record(e)));
    return;
  }
  if (e.raw.find_first_of("\r\n") == std::string_view::npos) {
    w.raw(e.raw);
    return;
  }
  scratch->resize(e.raw.size());
  std::size_t len = 0;
  if (simdjson::minify(e.raw.data(), e.raw.size(), scratch->data(), len) != simdjson::SUCCESS) {
    w.null();
    return;
  }
  w.raw(std::string_view(scratch->data(), len));
}

void write_cloudtrail_table_row(const CloudTrailEvent& e, std::string* out) {
  if (e.meta.time_ms != kNoTime) {
    append_iso8601(out, e.meta.time_ms);
  } else {
    out->append("-");
  }
  out->push_back(' ');
  std::string_view who = !e.identity.arn.empty()          ? e.identity.arn
                         : !e.identity.user_name.empty()  ? e.identity.user_name
                         : !e.identity.invoked_by.empty() ? e.identity.invoked_by
                         : !e.identity.type.empty()       ? e.identity.type
                                                          : std::string_view("-");
  out->append(who);
  out->push_back(' ');
  out->append(e.source_ip_address.empty() ? std::string_view("-") : e.source_ip_address);
  out->push_back(' ');
  out->append(e.event_source.empty() ? std::string_view("-") : e.event_source);
  out->push_back(':');
  out->append(e.event_name.empty() ? std::string_view("-") : e.event_name);
  if (!e.error_code.empty()) {
    out->append(" ERROR=");
    out->append(e.error_code);
  }
}

}  // namespace sentinel::ingest
