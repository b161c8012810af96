#include "ingest/decode/json_util.h"

#include <cstring>
#include <string>

#include "core/limits.h"
#include "core/time.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

namespace od = simdjson::ondemand;

simdjson::error_code consume_ondemand(od::value v) {
  using simdjson::error_code;
  od::json_type t;
  error_code err = v.type().get(t);
  if (err) return err;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if ((err = v.get_object().get(o))) return err;
      for (auto field : o) {
        std::string_view k;
        if ((err = field.unescaped_key().get(k))) return err;
        od::value fv;
        if ((err = field.value().get(fv))) return err;
        if ((err = consume_ondemand(fv))) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array a;
      if ((err = v.get_array().get(a))) return err;
      for (auto el : a) {
        od::value ev;
        if ((err = el.get(ev))) return err;
        if ((err = consume_ondemand(ev))) return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return v.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if ((err = v.is_null().get(is_null))) return err;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

void write_raw_json(std::string_view raw, JsonWriter& w) {
  if (std::memchr(raw.data(), '\n', raw.size()) == nullptr &&
      std::memchr(raw.data(), '\r', raw.size()) == nullptr) {
    w.raw(raw);
    return;
  }
  thread_local std::string buf;
  if (buf.size() < raw.size() + kPadding) buf.resize(raw.size() + kPadding);
  std::size_t len = 0;
  if (simdjson::minify(raw.data(), raw.size(), buf.data(), len) != simdjson::SUCCESS) {
    w.null();  // not reachable for accepted records (they were parsed in full)
    return;
  }
  w.raw(std::string_view(buf.data(), len));
}

const char* end_before(const char* start, const char* next) {
  while (next > start &&
         (next[-1] == ' ' || next[-1] == '\n' || next[-1] == '\r' || next[-1] == '\t')) {
    --next;
  }
  return next;
}

void append_quoted_prefix(std::string* out, std::string_view v) {
  constexpr std::size_t kMaxQuoted = limits::kMaxRejectDetailBytes / 2;
  out->push_back('"');
  out->append(v.substr(0, kMaxQuoted));
  if (v.size() > kMaxQuoted) out->append("...");
  out->push_back('"');
}

void FieldFailure::fail(RejectReason r, std::string_view field, std::string_view what) {
  if (failed) return;
  failed = true;
  reason = r;
  detail.assign(field);
  detail.append(what);
}

void FieldFailure::fail_type(std::string_view field, std::string_view expected) {
  if (failed) return;
  fail(RejectReason::kBadFieldType, field, " has the wrong JSON type: expected ");
  detail.append(expected);
}

void FieldFailure::fail_value(RejectReason r, std::string_view field, std::string_view what,
                              std::string_view value) {
  if (failed) return;
  fail(r, field, what);
  append_quoted_prefix(&detail, value);
}

simdjson::error_code read_string(od::value v, std::string_view* out, Read* r) {
  od::json_type t;
  simdjson::error_code err = v.type().get(t);
  if (err) return err;
  if (t == od::json_type::string) {
    if ((err = v.get_string().get(*out))) return err;
    *r = out->empty() ? Read::kAbsent : Read::kOk;
    return simdjson::SUCCESS;
  }
  *out = {};
  *r = t == od::json_type::null ? Read::kAbsent : Read::kBadType;
  return consume_ondemand(v);
}

simdjson::error_code read_string(od::value v, std::string_view* out, FieldFailure& f,
                                 std::string_view name) {
  Read r = Read::kAbsent;
  simdjson::error_code err = read_string(v, out, &r);
  if (r == Read::kBadType) f.fail_type(name, "a string");
  return err;
}

RecordStatus invalid_record(simdjson::error_code err, RejectReason* reason, std::string_view* d) {
  if (err == simdjson::UTF8_ERROR) {
    *reason = RejectReason::kInvalidUtf8;
    *d = "the record is not valid UTF-8";
  } else if (err == simdjson::DEPTH_ERROR) {
    *reason = RejectReason::kTooDeep;
    *d = "the record nests too deeply";
  }
  return RecordStatus::kInvalidJson;
}

void append_time_column(std::string* out, int64_t ms) {
  if (ms != kNoTime) {
    append_iso8601(out, ms);
  } else {
    out->push_back('-');
  }
}

}  // namespace sentinel::ingest
