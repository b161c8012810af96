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
  kVpcEndpointAccountId,  // read for its presence only (CloudTrailEvent::present)
};

// The CloudTrailMember bit a top-level member sets (0: none; userIdentity is the caller's, as
// only the first one counts).
constexpr uint32_t cloudtrail_key_present_bit(Key k) {
  switch (k) {
    case Key::kEventName:
      return kCtHasEventName;
    case Key::kEventSource:
      return kCtHasEventSource;
    case Key::kEventType:
      return kCtHasEventType;
    case Key::kAwsRegion:
      return kCtHasAwsRegion;
    case Key::kSourceIp:
      return kCtHasSourceIp;
    case Key::kUserAgent:
      return kCtHasUserAgent;
    case Key::kErrorCode:
      return kCtHasErrorCode;
    case Key::kErrorMessage:
      return kCtHasErrorMessage;
    case Key::kEventId:
      return kCtHasEventId;
    case Key::kRecipientAccountId:
      return kCtHasRecipientAccountId;
    case Key::kEventCategory:
      return kCtHasEventCategory;
    case Key::kVpcEndpointAccountId:
      return kCtHasVpcEndpointAccountId;
    default:
      return 0;
  }
}

// The member names the parser reads, dispatched on length first so that most keys cost one
// comparison. (Inlined into both callers, extract() and walk_top(), as it was into the one.)
__attribute__((always_inline)) inline Key classify_key(std::string_view k) {
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
    case 20:
      return k == "vpcEndpointAccountId" ? Key::kVpcEndpointAccountId : Key::kNone;
    default:
      return Key::kNone;
  }
}

// A string member of userIdentity.sessionContext.sessionIssuer (the tree's read and the typed
// walk alike).
void take_issuer_member(std::string_view key, std::string_view s, CloudTrailIdentity* id) {
  if (key == "type") {
    id->issuer_type = s;
  } else if (key == "arn") {
    id->issuer_arn = s;
  } else if (key == "userName") {
    id->issuer_user_name = s;
  }
}

// A string member of insightDetails (the tree's read and the typed walk alike).
void take_insight_member(std::string_view key, std::string_view s, CloudTrailEvent* ev) {
  if (key == "state") {
    ev->insight_state = s;
  } else if (key == "insightType") {
    ev->insight_type = s;
  } else if (key == "eventSource" && ev->event_source.empty()) {
    ev->event_source = s;
  } else if (key == "eventName" && ev->event_name.empty()) {
    ev->event_name = s;
  }
}

// `present`: where the members' CloudTrailMember bits go (the record's first userIdentity), or
// a scratch word.
bool read_identity(object obj, CloudTrailIdentity* id, uint32_t* present, std::string_view* bad) {
  for (auto [key, v] : obj) {
    std::string_view* target = nullptr;
    if (key == "type") {
      target = &id->type;
      *present |= kCtHasIdentityType;
    } else if (key == "principalId") {
      target = &id->principal_id;
      *present |= kCtHasIdentityPrincipalId;
    } else if (key == "arn") {
      target = &id->arn;
      *present |= kCtHasIdentityArn;
    } else if (key == "accountId") {
      target = &id->account_id;
      *present |= kCtHasIdentityAccountId;
    } else if (key == "accessKeyId") {
      target = &id->access_key_id;
      *present |= kCtHasIdentityAccessKeyId;
    } else if (key == "userName") {
      target = &id->user_name;
      *present |= kCtHasIdentityUserName;
    } else if (key == "invokedBy") {
      target = &id->invoked_by;
      *present |= kCtHasIdentityInvokedBy;
    } else if (key == "sessionContext" && v.type() == element_type::OBJECT) {
      object sc = v.get_object().value_unsafe();
      for (auto [sk, sv] : sc) {
        if (sk == "sessionIssuer" && sv.type() == element_type::OBJECT) {
          // Bind the object first: iterating the temporary result directly would dangle.
          object issuer = sv.get_object().value_unsafe();
          for (auto [ik, iv] : issuer) {
            if (iv.type() == element_type::STRING) {
              take_issuer_member(ik, iv.get_string().value_unsafe(), id);
            }
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
    ev.present |= kCtMembersKnown;
    for (auto [key, v] : obj) {
      std::string_view* target = nullptr;
      const Key k = classify_key(key);
      ev.present |= cloudtrail_key_present_bit(k);
      switch (k) {
        case Key::kNone:
        case Key::kVpcEndpointAccountId:
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
        case Key::kUserIdentity: {
          // A path lookup finds the first userIdentity: only its members' presence counts.
          uint32_t later = 0;
          uint32_t* present = (ev.present & kCtHasUserIdentity) != 0 ? &later : &ev.present;
          ev.present |= kCtHasUserIdentity;
          if (v.type() == element_type::OBJECT) {
            if (!read_identity(v.get_object().value_unsafe(), &ev.identity, present, bad)) {
              return scan;
            }
          } else if (v.type() != element_type::NULL_VALUE) {
            *bad = "userIdentity is not an object";
            return scan;
          }
          continue;
        }
        case Key::kInsightDetails:
          if (v.type() == element_type::OBJECT) {
            ev.insight = true;
            scan.looks_ct = true;
            object details = v.get_object().value_unsafe();
            for (auto [ik, iv] : details) {
              if (iv.type() == element_type::STRING) {
                take_insight_member(ik, iv.get_string().value_unsafe(), &ev);
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
      case Key::kVpcEndpointAccountId:
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

  // ---- the typed walk (RecordHandler::typed_walk): the fields extract() reads, taken from the
  // framer's walk over the structural index instead of the tree, with the same rules. Anything
  // extract() would reject or treat specially (a typed field of the wrong type, an EventBridge
  // envelope, not CloudTrail, a bad eventTime) is left to the tree (walk_member says kNo or
  // walk_deliver false), so what is accepted and rejected never depends on the path. ----

  bool typed_walk() override { return ctx->options != nullptr && ctx->options->typed_walk; }

  // Which object the typed walk's members at a depth belong to.
  enum class WalkIn : uint8_t {
    kOther,
    kUserIdentity,
    kSessionContext,
    kSessionIssuer,
    kAttributes,
    kInsightDetails,
  };

  void walk_begin() override {
    ev = CloudTrailEvent{};
    ev.present = kCtMembersKnown;
    walk_ct = false;
    walk_timestamp = {};
  }

  // A typed userIdentity member: walk_string, and its presence bit (CloudTrailMember) when this
  // is the record's first userIdentity.
  SkipVerdict walk_identity_string(uint32_t bit, JsonKind kind, std::string_view text,
                                   std::string_view* out) {
    if (walk_identity_first) ev.present |= bit;
    return walk_string(kind, text, out);
  }

  // A typed string member: strings are taken, null leaves it empty, any other type is extract's
  // "wrong JSON type" reject (left to the tree).
  static SkipVerdict walk_string(JsonKind kind, std::string_view text, std::string_view* out) {
    if (kind == JsonKind::kString) {
      *out = text;
      return SkipVerdict::kFine;
    }
    return kind == JsonKind::kNull ? SkipVerdict::kFine : SkipVerdict::kNo;
  }

  // take_bool() on a walked value.
  static Tristate walk_bool(JsonKind kind, std::string_view text) {
    if (kind == JsonKind::kTrue) return Tristate::kTrue;
    if (kind == JsonKind::kFalse) return Tristate::kFalse;
    if (kind == JsonKind::kString && text == "true") return Tristate::kTrue;
    if (kind == JsonKind::kString && text == "false") return Tristate::kFalse;
    return Tristate::kAbsent;
  }

  SkipVerdict walk_member(int depth, std::string_view key, JsonKind kind,
                          std::string_view text) override {
    if (depth == 1) return walk_top(key, kind, text);
    const WalkIn in = walk_in[depth - 1];
    const bool str = kind == JsonKind::kString;
    CloudTrailIdentity& id = ev.identity;
    switch (in) {
      case WalkIn::kUserIdentity:  // read_identity()
        if (key == "type") return walk_identity_string(kCtHasIdentityType, kind, text, &id.type);
        if (key == "principalId") {
          return walk_identity_string(kCtHasIdentityPrincipalId, kind, text, &id.principal_id);
        }
        if (key == "arn") return walk_identity_string(kCtHasIdentityArn, kind, text, &id.arn);
        if (key == "accountId") {
          return walk_identity_string(kCtHasIdentityAccountId, kind, text, &id.account_id);
        }
        if (key == "accessKeyId") {
          return walk_identity_string(kCtHasIdentityAccessKeyId, kind, text, &id.access_key_id);
        }
        if (key == "userName") {
          return walk_identity_string(kCtHasIdentityUserName, kind, text, &id.user_name);
        }
        if (key == "invokedBy") {
          return walk_identity_string(kCtHasIdentityInvokedBy, kind, text, &id.invoked_by);
        }
        if (key == "sessionContext" && kind == JsonKind::kObject) {
          return descend(depth, WalkIn::kSessionContext);
        }
        return SkipVerdict::kFine;
      case WalkIn::kSessionContext:
        if (kind == JsonKind::kObject && key == "sessionIssuer") {
          return descend(depth, WalkIn::kSessionIssuer);
        }
        if (kind == JsonKind::kObject && key == "attributes") {
          walk_mfa_seen = false;
          return descend(depth, WalkIn::kAttributes);
        }
        return SkipVerdict::kFine;
      case WalkIn::kSessionIssuer:
        if (str) take_issuer_member(key, text, &id);
        return SkipVerdict::kFine;
      case WalkIn::kAttributes:
        // The tree's lookup takes the first mfaAuthenticated of the object.
        if (key != "mfaAuthenticated" || walk_mfa_seen) return SkipVerdict::kFine;
        walk_mfa_seen = true;
        if (str) {
          id.mfa_authenticated = text;
        } else if (kind == JsonKind::kTrue || kind == JsonKind::kFalse) {
          id.mfa_authenticated = kind == JsonKind::kTrue ? "true" : "false";
        }
        return SkipVerdict::kFine;
      case WalkIn::kInsightDetails:
        if (str) take_insight_member(key, text, &ev);
        return SkipVerdict::kFine;
      case WalkIn::kOther:
        break;
    }
    return SkipVerdict::kFine;
  }

  SkipVerdict descend(int depth, WalkIn into) {
    walk_in[depth] = into;
    return SkipVerdict::kDescend;
  }

  // A member of the record's own object: extract()'s switch.
  SkipVerdict walk_top(std::string_view key, JsonKind kind, std::string_view text) {
    const Key k = classify_key(key);
    ev.present |= cloudtrail_key_present_bit(k);
    switch (k) {
      case Key::kNone:
      case Key::kVpcEndpointAccountId:
        return SkipVerdict::kFine;
      case Key::kEventVersion:
        walk_ct = true;
        return walk_string(kind, text, &ev.event_version);
      case Key::kEventTime:
        return walk_string(kind, text, &ev.event_time);
      case Key::kEventSource:
        walk_ct = true;
        return walk_string(kind, text, &ev.event_source);
      case Key::kEventName:
        walk_ct = true;
        return walk_string(kind, text, &ev.event_name);
      case Key::kAwsRegion:
        return walk_string(kind, text, &ev.aws_region);
      case Key::kSourceIp:
        return walk_string(kind, text, &ev.source_ip_address);
      case Key::kUserAgent:
        return walk_string(kind, text, &ev.user_agent);
      case Key::kErrorCode:
        return walk_string(kind, text, &ev.error_code);
      case Key::kErrorMessage:
        return walk_string(kind, text, &ev.error_message);
      case Key::kRequestId:
        return walk_string(kind, text, &ev.request_id);
      case Key::kEventId:
        return walk_string(kind, text, &ev.event_id);
      case Key::kEventType:
        return walk_string(kind, text, &ev.event_type);
      case Key::kEventCategory:
        return walk_string(kind, text, &ev.event_category);
      case Key::kRecipientAccountId:
        return walk_string(kind, text, &ev.recipient_account_id);
      case Key::kSharedEventId:
        return walk_string(kind, text, &ev.shared_event_id);
      case Key::kVpcEndpointId:
        return walk_string(kind, text, &ev.vpc_endpoint_id);
      case Key::kReadOnly:
        ev.read_only = walk_bool(kind, text);
        return SkipVerdict::kFine;
      case Key::kManagementEvent:
        ev.management_event = walk_bool(kind, text);
        return SkipVerdict::kFine;
      case Key::kUserIdentity:
        walk_identity_first = (ev.present & kCtHasUserIdentity) == 0;
        ev.present |= kCtHasUserIdentity;
        if (kind == JsonKind::kObject) return descend(1, WalkIn::kUserIdentity);
        return kind == JsonKind::kNull ? SkipVerdict::kFine : SkipVerdict::kNo;
      case Key::kInsightDetails:
        if (kind != JsonKind::kObject) return SkipVerdict::kFine;
        ev.insight = true;
        walk_ct = true;
        return descend(1, WalkIn::kInsightDetails);
      case Key::kTimestamp:
        if (kind == JsonKind::kString) walk_timestamp = text;
        return SkipVerdict::kFine;
      case Key::kDetailType:  // (an envelope is never CloudTrail itself: see walk_deliver)
      case Key::kDetail:
        return SkipVerdict::kFine;
    }
    return SkipVerdict::kFine;
  }

  bool walk_deliver(std::string_view json, const SourceRef& ref, LazyRecordTree& tree) override {
    // Not CloudTrail (perhaps an EventBridge envelope): the tree path decides.
    if (!walk_ct) return false;
    ev.meta.ref = ref;
    ev.meta.type = LogType::kCloudTrail;
    ev.raw = json;
    ev.lazy_tree = &tree;
    if (!complete(walk_timestamp)) return false;  // a bad eventTime: rejected on the tree path
    sink->on_cloudtrail(ev);
    return true;
  }

  bool walk_ct = false;        // a member that makes the record CloudTrail
  bool walk_mfa_seen = false;  // the current attributes object's mfaAuthenticated was read
  bool walk_identity_first = false;  // the userIdentity being walked is the record's first
  std::string_view walk_timestamp;
  WalkIn walk_in[4] = {};  // [d]: the object whose members are at depth d + 1

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

    if (!complete(timestamp)) {
      detail_buf = "eventTime is not an ISO 8601 time: ";
      detail_buf.append(ev.event_time.substr(0, 60));
      reject(ref, RejectReason::kBadTime, detail_buf);
      return RecordStatus::kReported;
    }
    sink->on_cloudtrail(ev);
    return RecordStatus::kAccepted;
  }

  // What follows from the typed fields (version, time, IP, account, region), however they were
  // read; false when eventTime does not parse.
  bool complete(std::string_view timestamp) {
    if (!ev.event_version.empty()) {
      parse_event_version(ev.event_version, &ev.version_major, &ev.version_minor);
    }
    if (!ev.event_time.empty()) {
      if (!parse_iso8601_ms(ev.event_time, &ev.meta.time_ms)) return false;
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
    return true;
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
    const element* detail = cloudtrail_tree(e);
    if (detail == nullptr) {
      w.null();
      return;
    }
    w.raw(simdjson::minify(*detail));
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
