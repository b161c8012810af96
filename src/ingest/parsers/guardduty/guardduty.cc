#include "ingest/parsers/guardduty/guardduty.h"

#include <simdjson.h>

#include <charconv>
#include <utility>

#include "core/limits.h"
#include "core/time.h"
#include "ingest/decode/json_framing.h"
#include "ingest/decode/json_util.h"
#include "ingest/event_json.h"

namespace sentinel::ingest {

// The state of one finding being read. Not in the anonymous namespace: GuardDutyParser::Impl
// holds two (GCC's -Wsubobject-linkage warns otherwise when this file is part of a unity build).
struct GuardDutyWalk : FieldFailure {
  GuardDutyFinding f;
  bool finding_key_seen = false;

  void reset() {
    f = GuardDutyFinding{};
    clear();
    finding_key_seen = false;
  }
};

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

void append_int(std::string* out, int64_t v) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, static_cast<std::size_t>(r.ptr - b));
}

// Reads a number (integer or float) or null; other types are reported.
error_code read_double(od::value v, double* out, bool* has, GuardDutyWalk& w,
                       std::string_view name) {
  od::json_type t;
  error_code err = v.type().get(t);
  if (err) return err;
  if (t == od::json_type::number) {
    err = v.get_double().get(*out);
    if (err == simdjson::NUMBER_ERROR) {
      w.fail_type(name, "a finite number");
      return simdjson::SUCCESS;
    }
    if (err) return err;
    *has = true;
    return simdjson::SUCCESS;
  }
  if (t != od::json_type::null) w.fail_type(name, "a number");
  return consume_ondemand(v);
}

// Reads an object's type; returns true in *is_object, reports other non-null types.
error_code expect_object(od::value& v, bool* is_object, GuardDutyWalk& w, std::string_view name) {
  od::json_type t;
  error_code err = v.type().get(t);
  if (err) return err;
  *is_object = t == od::json_type::object;
  if (*is_object) return simdjson::SUCCESS;
  if (t != od::json_type::null) w.fail_type(name, "an object");
  return consume_ondemand(v);
}

// Reads the object `v` named `name` (null is allowed, other types are reported) for its one
// string field `key` into *out; other fields are consumed.
error_code read_one_string_field(od::value v, GuardDutyWalk& w, std::string_view name,
                                 std::string_view key, std::string_view* out,
                                 std::string_view out_name) {
  bool is_object;
  error_code err = expect_object(v, &is_object, w, name);
  if (err || !is_object) return err;
  return for_each_field(v, [&](std::string_view k, od::value fv) {
    return key_is(k, key) ? read_string(fv, out, w, out_name) : consume_ondemand(fv);
  });
}

error_code read_additional_info(od::value v, GuardDutyWalk& w) {
  od::json_type t;
  error_code err = v.type().get(t);
  if (err) return err;
  // Free-form: never a reject, only `sample` is read.
  if (t != od::json_type::object) return consume_ondemand(v);
  return for_each_field(v, [&w](std::string_view key, od::value fv) {
    if (key_is(key, "sample")) {
      od::json_type st;
      error_code e = fv.type().get(st);
      if (e) return e;
      if (st == od::json_type::boolean) {
        bool b;
        if ((e = fv.get_bool().get(b))) return e;
        w.f.sample = b;
        return simdjson::SUCCESS;
      }
      if (st == od::json_type::string) {
        std::string_view s;
        if ((e = fv.get_string().get(s))) return e;
        w.f.sample = s == "true";
        return simdjson::SUCCESS;
      }
    }
    return consume_ondemand(fv);
  });
}

error_code read_count(od::value v, GuardDutyWalk& w) {
  od::json_type t;
  error_code err = v.type().get(t);
  if (err) return err;
  if (t == od::json_type::number) {
    od::number_type nt;
    if ((err = v.get_number_type().get(nt))) return err;
    if (nt == od::number_type::signed_integer || nt == od::number_type::unsigned_integer) {
      int64_t c;
      err = v.get_int64().get(c);
      if (!err && c >= 0) {
        w.f.count = c;
        return simdjson::SUCCESS;
      }
      if (err && err != simdjson::NUMBER_OUT_OF_RANGE && err != simdjson::INCORRECT_TYPE) {
        return err;
      }
    }
    w.fail_type("service.count", "a non-negative integer");
    return consume_ondemand(v);
  }
  if (t != od::json_type::null) w.fail_type("service.count", "an integer");
  return consume_ondemand(v);
}

error_code read_service(od::value v, GuardDutyWalk& w) {
  bool is_object;
  error_code err = expect_object(v, &is_object, w, "service");
  if (err || !is_object) return err;
  struct StringKey {
    std::string_view key;
    std::string_view GuardDutyFinding::*member;
    std::string_view name;
  };
  static constexpr StringKey kStrings[] = {
      {"eventFirstSeen", &GuardDutyFinding::event_first_seen_raw, "service.eventFirstSeen"},
      {"eventLastSeen", &GuardDutyFinding::event_last_seen_raw, "service.eventLastSeen"},
      {"resourceRole", &GuardDutyFinding::resource_role, "service.resourceRole"},
      {"serviceName", &GuardDutyFinding::service_name, "service.serviceName"},
      {"detectorId", &GuardDutyFinding::detector_id, "service.detectorId"},
      {"featureName", &GuardDutyFinding::feature_name, "service.featureName"},
  };
  return for_each_field(v, [&w](std::string_view key, od::value fv) {
    GuardDutyFinding& f = w.f;
    for (const StringKey& s : kStrings) {
      if (key_is(key, s.key)) return read_string(fv, &(f.*(s.member)), w, s.name);
    }
    error_code err;
    if (key_is(key, "action")) {
      err = read_one_string_field(fv, w, "service.action", "actionType", &f.action_type,
                                  "service.action.actionType");
    } else if (key_is(key, "count")) {
      err = read_count(fv, w);
    } else if (key_is(key, "archived")) {
      od::json_type t;
      if ((err = fv.type().get(t))) return err;
      if (t == od::json_type::boolean) {
        err = fv.get_bool().get(f.archived);
        f.has_archived = !err;
      } else {
        if (t != od::json_type::null) w.fail_type("service.archived", "a boolean");
        err = consume_ondemand(fv);
      }
    } else if (key_is(key, "additionalInfo")) {
      err = read_additional_info(fv, w);
    } else {
      err = consume_ondemand(fv);
    }
    return err;
  });
}

// One top-level key of a finding. Unknown keys are consumed.
error_code read_finding_field(std::string_view key, od::value v, GuardDutyWalk& w) {
  GuardDutyFinding& f = w.f;
  struct StringKey {
    std::string_view name;
    std::string_view GuardDutyFinding::*member;
    bool marks_finding;
  };
  static constexpr StringKey kStrings[] = {
      {"schemaVersion", &GuardDutyFinding::schema_version, true},
      {"accountId", &GuardDutyFinding::account_id, false},
      {"region", &GuardDutyFinding::region, false},
      {"partition", &GuardDutyFinding::partition, false},
      {"id", &GuardDutyFinding::id, false},
      {"arn", &GuardDutyFinding::arn, true},
      {"type", &GuardDutyFinding::type, true},
      {"title", &GuardDutyFinding::title, true},
      {"description", &GuardDutyFinding::description, false},
      {"createdAt", &GuardDutyFinding::created_at_raw, true},
      {"updatedAt", &GuardDutyFinding::updated_at_raw, true},
  };
  for (const StringKey& s : kStrings) {
    if (!key_is(key, s.name)) continue;
    w.finding_key_seen |= s.marks_finding;
    return read_string(v, &(f.*(s.member)), w, s.name);
  }
  if (key_is(key, "severity")) {
    w.finding_key_seen = true;
    return read_double(v, &f.severity, &f.has_severity, w, "severity");
  }
  if (key_is(key, "confidence")) {
    return read_double(v, &f.confidence, &f.has_confidence, w, "confidence");
  }
  if (key_is(key, "service")) {
    w.finding_key_seen = true;
    return read_service(v, w);
  }
  if (key_is(key, "resource")) {
    w.finding_key_seen = true;
    return read_one_string_field(v, w, "resource", "resourceType", &f.resource_type,
                                 "resource.resourceType");
  }
  return consume_ondemand(v);
}

bool parse_time_field(GuardDutyWalk& w, std::string_view raw, int64_t* out, std::string_view name) {
  if (raw.empty()) return true;
  if (parse_iso8601_ms(raw, out)) return true;
  *out = kNoTime;
  w.fail_value(RejectReason::kBadTime, name, " is not an ISO 8601 time: ", raw);
  return false;
}

// True when `v` looks like a finding type: `Word:Word/...`.
bool finding_type_shape(std::string_view v) {
  std::size_t colon = v.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::size_t slash = v.find('/', colon + 1);
  return slash != std::string_view::npos && slash > colon + 1 && slash + 1 < v.size();
}

bool has_finding_type_value(std::string_view head, std::string_view quoted_key) {
  std::size_t pos = 0;
  while ((pos = head.find(quoted_key, pos)) != std::string_view::npos) {
    pos += quoted_key.size();
    std::size_t p = pos;
    while (p < head.size() &&
           (head[p] == ' ' || head[p] == '\t' || head[p] == '\n' || head[p] == '\r')) {
      ++p;
    }
    if (p >= head.size() || head[p] != ':') continue;
    ++p;
    while (p < head.size() &&
           (head[p] == ' ' || head[p] == '\t' || head[p] == '\n' || head[p] == '\r')) {
      ++p;
    }
    if (p >= head.size() || head[p] != '"') continue;
    std::size_t end = head.find('"', p + 1);
    if (end == std::string_view::npos || end - p > 256) continue;
    if (finding_type_shape(head.substr(p + 1, end - p - 1))) return true;
  }
  return false;
}

bool contains(std::string_view h, std::string_view n) {
  return h.find(n) != std::string_view::npos;
}

// The key the file's first object starts with, when it is a findings container.
std::string_view first_container_key(std::string_view data) {
  std::size_t p = skip_bom_and_space(data, 0);
  if (p >= data.size() || data[p] != '{') return {};
  p = skip_bom_and_space(data, p + 1);
  std::string_view rest = data.substr(p);
  if (rest.starts_with("\"findings\"")) return "findings";
  if (rest.starts_with("\"Findings\"")) return "Findings";
  return {};
}

}  // namespace

std::string_view guardduty_severity_label(double severity) {
  if (severity >= 9.0) return "Critical";
  if (severity >= 7.0) return "High";
  if (severity >= 4.0) return "Medium";
  return "Low";
}

struct GuardDutyParser::Impl final : RecordHandler {
  od::parser parser{limits::kMaxRecordBytes};
  od::document doc;
  GuardDutyWalk top;    // the record itself (a plain finding, or the envelope's own keys)
  GuardDutyWalk inner;  // the envelope's `detail`, or one element of an unsplit container
  GuardDutyEnvelope env;
  const FileContext* ctx = nullptr;
  EventSink* sink = nullptr;
  SourceRef ref;
  uint64_t emitted = 0;
  uint64_t rejected = 0;

  void report(RejectReason r, std::string_view detail) {
    sink->on_reject(Reject{ref, r, detail, 1});
    ++rejected;
  }

  // Walks the finding object `v` into `w`; sets w.f.raw to its bytes.
  error_code walk_finding(od::value v, GuardDutyWalk& w) {
    const char* start = v.raw_json_token().data();
    error_code err = for_each_field(
        v, [&w](std::string_view key, od::value fv) { return read_finding_field(key, fv, w); });
    if (err) return err;
    const char* next = nullptr;
    if ((err = doc.current_location().get(next))) return err;
    w.f.raw = std::string_view(start, static_cast<std::size_t>(end_before(start, next) - start));
    return simdjson::SUCCESS;
  }

  // Checks a walked finding and delivers it or its reject. Returns kNotARecord without reporting
  // when it has no finding key.
  RecordStatus finish(GuardDutyWalk& w) {
    GuardDutyFinding& f = w.f;
    if (!w.finding_key_seen) return RecordStatus::kNotARecord;
    if (!w.failed && f.id.empty()) w.fail(RejectReason::kMissingField, "id", " is missing");
    if (!w.failed && f.type.empty()) w.fail(RejectReason::kMissingField, "type", " is missing");
    parse_time_field(w, f.created_at_raw, &f.created_at, "createdAt");
    parse_time_field(w, f.updated_at_raw, &f.updated_at, "updatedAt");
    parse_time_field(w, f.event_first_seen_raw, &f.event_first_seen, "service.eventFirstSeen");
    parse_time_field(w, f.event_last_seen_raw, &f.event_last_seen, "service.eventLastSeen");
    if (w.failed) {
      report(w.reason, w.detail);
      return RecordStatus::kReported;
    }
    // Old findings: a retired type is read as its current one, the written one kept beside it.
    if (std::string_view cur = current_guardduty_type(f.type); !cur.empty()) {
      f.original_type = f.type;
      f.type = cur;
    }
    f.envelope = env;
    f.meta.ref = ref;
    f.meta.type = LogType::kGuardDuty;
    f.meta.time_ms = f.updated_at != kNoTime   ? f.updated_at
                     : f.created_at != kNoTime ? f.created_at
                                               : env.time_ms;
    f.meta.account = !f.account_id.empty()  ? f.account_id
                     : !env.account.empty() ? env.account
                                            : ctx->path_info.account;
    f.meta.region = !f.region.empty()     ? f.region
                    : !env.region.empty() ? env.region
                                          : ctx->path_info.region;
    sink->on_guardduty(f);
    ++emitted;
    return RecordStatus::kAccepted;
  }

  error_code read_container(od::value v) {
    od::array arr;
    error_code err = v.get_array().get(arr);
    if (err) return err;
    for (auto el : arr) {
      od::value ev;
      if ((err = el.get(ev))) return err;
      od::json_type t;
      if ((err = ev.type().get(t))) return err;
      if (t != od::json_type::object) {
        if ((err = consume_ondemand(ev))) return err;
        report(RejectReason::kNotAnEvent, "a findings array element that is not an object");
        continue;
      }
      inner.reset();
      if ((err = walk_finding(ev, inner))) return err;
      if (finish(inner) == RecordStatus::kNotARecord) {
        report(RejectReason::kNotAnEvent, "valid JSON, but not a GuardDuty finding");
      }
    }
    return simdjson::SUCCESS;
  }

  RecordStatus on_record(std::string_view json, std::size_t capacity, const SourceRef& r,
                         RejectReason* reason, std::string_view* d) override {
    top.reset();
    env = GuardDutyEnvelope{};
    ref = r;
    emitted = 0;
    rejected = 0;
    bool is_envelope = false;
    bool detail_seen = false;
    bool container_seen = false;

    error_code err = parser.iterate(json.data(), json.size(), capacity).get(doc);
    if (err) return invalid_record(err, reason, d);
    od::object obj;
    err = doc.get_object().get(obj);
    if (err == simdjson::INCORRECT_TYPE) return RecordStatus::kNotARecord;
    if (err) return invalid_record(err, reason, d);
    for (auto field : obj) {
      std::string_view key;
      od::value v;
      if (!(err = field.unescaped_key().get(key)) && !(err = field.value().get(v))) {
        if (key == "detail-type") {
          is_envelope = true;
          err = read_string(v, &env.detail_type, top, "detail-type");
        } else if (key == "source") {
          err = read_string(v, &env.source, top, "source");
        } else if (key == "time") {
          err = read_string(v, &env.time, top, "time");
        } else if (key == "account") {
          err = read_string(v, &env.account, top, "account");
        } else if (key == "detail") {
          od::json_type t;
          if (!(err = v.type().get(t))) {
            if (t == od::json_type::object) {
              detail_seen = true;
              inner.reset();
              err = walk_finding(v, inner);
            } else {
              if (t != od::json_type::null) top.fail_type("detail", "an object");
              err = consume_ondemand(v);
            }
          }
        } else if (key_is(key, "findings")) {
          od::json_type t;
          if (!(err = v.type().get(t))) {
            if (t == od::json_type::array) {
              container_seen = true;
              err = read_container(v);
            } else {
              err = consume_ondemand(v);
            }
          }
        } else {
          err = read_finding_field(key, v, top);
        }
      }
      if (err) break;
    }
    if (err) {
      if (emitted + rejected == 0) return invalid_record(err, reason, d);
      // Findings of this container were already delivered: report the rest here rather than
      // let the framer resynchronise inside the container and deliver them twice.
      report(err == simdjson::UTF8_ERROR ? RejectReason::kInvalidUtf8 : RejectReason::kInvalidJson,
             "the rest of the findings container is not valid JSON");
      return RecordStatus::kReported;
    }

    if (is_envelope) {
      env.present = true;
      env.id = top.f.id;
      env.region = top.f.region;
      if (!env.time.empty() && !parse_iso8601_ms(env.time, &env.time_ms)) env.time_ms = kNoTime;
      if (env.detail_type != "GuardDuty Finding") return RecordStatus::kNotARecord;
      if (top.failed) {
        report(top.reason, top.detail);
        return RecordStatus::kReported;
      }
      if (!detail_seen) {
        report(RejectReason::kMissingField, "detail is missing");
        return RecordStatus::kReported;
      }
      RecordStatus st = finish(inner);
      if (st == RecordStatus::kNotARecord) {
        report(RejectReason::kNotAnEvent, "the event's detail is not a GuardDuty finding");
        return RecordStatus::kReported;
      }
      return st;
    }
    if (container_seen && !top.finding_key_seen) {
      return emitted > 0 || rejected == 0 ? RecordStatus::kAccepted : RecordStatus::kReported;
    }
    top.f.raw = json;
    return finish(top);
  }
};

GuardDutyParser::GuardDutyParser() : impl_(std::make_unique<Impl>()) {}
GuardDutyParser::~GuardDutyParser() = default;
GuardDutyParser::GuardDutyParser(GuardDutyParser&&) noexcept = default;
GuardDutyParser& GuardDutyParser::operator=(GuardDutyParser&&) noexcept = default;

void GuardDutyParser::parse(std::string_view data, const FileContext& ctx, EventSink& sink) {
  impl_->ctx = &ctx;
  impl_->sink = &sink;
  std::string_view key = first_container_key(data);
  frame_json(data, ctx.path, key.empty() ? std::string_view("Findings") : key, *impl_, sink);
  impl_->ctx = nullptr;
  impl_->sink = nullptr;
}

bool looks_like_guardduty(std::string_view head) {
  if (contains(head, "\"GuardDuty Finding\"") && contains(head, "\"detail-type\"")) return true;
  bool finding_shape =
      (contains(head, "\"schemaVersion\"") || contains(head, "\"SchemaVersion\"")) &&
      (contains(head, "\"service\"") || contains(head, "\"Service\"")) &&
      (has_finding_type_value(head, "\"type\"") || has_finding_type_value(head, "\"Type\""));
  if (finding_shape) return true;
  // An empty API page (`{"Findings": []}`) is GuardDuty's too; Security Hub's ASFF pages use the
  // same key but have findings in them, which finding_shape tells apart.
  std::string_view key = first_container_key(head);
  if (key.empty()) return false;
  std::size_t p = head.find(':', head.find(key));
  if (p == std::string_view::npos) return false;
  p = skip_bom_and_space(head, p + 1);
  if (p >= head.size() || head[p] != '[') return false;
  p = skip_bom_and_space(head, p + 1);
  return p < head.size() && head[p] == ']';
}

void write_guardduty_json(const GuardDutyFinding& g, JsonWriter& w) {
  auto opt = [&w](std::string_view k, std::string_view v) {
    if (!v.empty()) w.field(k, v);
  };
  thread_local std::string t;
  auto time = [&w](std::string_view k, int64_t ms) {
    if (ms == kNoTime) return;
    t.clear();
    append_iso8601(&t, ms, true);
    w.field(k, std::string_view(t));
  };
  opt("schema_version", g.schema_version);
  opt("account_id", g.account_id);
  // `region` is the envelope's region (the finding's wins over the path there).
  opt("partition", g.partition);
  opt("id", g.id);
  opt("arn", g.arn);
  opt("type", g.type);
  opt("original_type", g.original_type);
  opt("title", g.title);
  opt("description", g.description);
  if (g.has_severity) {
    w.field("severity", g.severity);
    w.field("severity_label", guardduty_severity_label(g.severity));
  }
  if (g.has_confidence) w.field("confidence", g.confidence);
  time("created_at", g.created_at);
  time("updated_at", g.updated_at);
  opt("resource_type", g.resource_type);
  opt("action_type", g.action_type);
  opt("service_name", g.service_name);
  opt("detector_id", g.detector_id);
  opt("feature_name", g.feature_name);
  opt("resource_role", g.resource_role);
  if (g.count >= 0) w.field("count", g.count);
  time("event_first_seen", g.event_first_seen);
  time("event_last_seen", g.event_last_seen);
  if (g.has_archived) w.field("archived", g.archived);
  if (g.sample) w.field("sample", true);
  if (g.envelope.present) {
    const GuardDutyEnvelope& e = g.envelope;
    w.key("envelope");
    w.begin_object();
    opt("id", e.id);
    opt("detail_type", e.detail_type);
    opt("source", e.source);
    opt("account", e.account);
    opt("region", e.region);
    opt("time", e.time);
    w.end_object();
  }
  w.key("record");
  write_raw_json(g.raw, w);
}

void write_guardduty_table_row(const GuardDutyFinding& g, std::string* out) {
  append_time_column(out, g.meta.time_ms);
  out->push_back(' ');
  if (g.has_severity) {
    // One decimal, as the console shows it (8.0, 9.5).
    int64_t tenths = static_cast<int64_t>(g.severity * 10 + (g.severity >= 0 ? 0.5 : -0.5));
    if (tenths < 0) {
      out->push_back('-');
      tenths = -tenths;
    }
    append_int(out, tenths / 10);
    out->push_back('.');
    append_int(out, tenths % 10);
    out->push_back(' ');
    out->append(guardduty_severity_label(g.severity));
  } else {
    out->append("- -");
  }
  out->push_back(' ');
  out->append(g.type);
  if (!g.original_type.empty()) {
    out->append(" (retired ");
    out->append(g.original_type);
    out->push_back(')');
  }
  out->push_back(' ');
  out->append(g.meta.account.empty() ? std::string_view("-") : g.meta.account);
  out->push_back(' ');
  out->append(g.meta.region.empty() ? std::string_view("-") : g.meta.region);
  out->push_back(' ');
  out->append(g.resource_type.empty() ? std::string_view("-") : g.resource_type);
  if (g.count > 1) {
    out->append(" x");
    append_int(out, g.count);
  }
  if (g.sample) out->append(" [sample]");
  if (!g.title.empty()) {
    out->append(": ");
    out->append(g.title);
  }
}

}  // namespace sentinel::ingest
