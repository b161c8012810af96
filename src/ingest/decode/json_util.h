#pragma once
/// JSON helpers the JSON-record parsers share.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "core/reject.h"
#include "ingest/decode/json_framing.h"

namespace sentinel::ingest {

/// Walks an On-Demand value to its end, so that a syntax error inside a value nobody reads
/// (`"x":tru`) is still found: On-Demand only checks what is read. Recursion depth is bounded by
/// the framer (limits::kMaxJsonDepth).
simdjson::error_code consume_ondemand(simdjson::ondemand::value v);

/// True when `key` is `name` but for the case of its first letter (`SchemaVersion` or
/// `schemaVersion`, `Rdata` or `rdata`): AWS spells some keys both ways. `name` starts lower-case.
inline bool key_is(std::string_view key, std::string_view name) {
  return key.size() == name.size() && !key.empty() && (key[0] | 0x20) == name[0] &&
         std::memcmp(key.data() + 1, name.data() + 1, key.size() - 1) == 0;
}

/// Calls `f(key, value)`, which returns an error_code, for each field of the object `v` in order;
/// stops at the first error, On-Demand's or `f`'s. `v` must be an object.
template <typename F>
simdjson::error_code for_each_field(simdjson::ondemand::value v, F&& f) {
  simdjson::ondemand::object o;
  simdjson::error_code err = v.get_object().get(o);
  if (err) return err;
  for (auto field : o) {
    std::string_view key;
    if ((err = field.unescaped_key().get(key))) return err;
    simdjson::ondemand::value fv;
    if ((err = field.value().get(fv))) return err;
    if ((err = f(key, fv))) return err;
  }
  return simdjson::SUCCESS;
}

/// The first thing wrong with the record being read. Later ones are not kept, but reading goes
/// on, so that invalid JSON further on still wins over a field's reject.
struct FieldFailure {
  bool failed = false;
  RejectReason reason = RejectReason::kBadFieldType;
  std::string detail;

  void clear() {
    failed = false;
    detail.clear();
  }
  /// The detail is `field` then `what`.
  void fail(RejectReason r, std::string_view field, std::string_view what);
  /// kBadFieldType: "<field> has the wrong JSON type: expected <expected>".
  void fail_type(std::string_view field, std::string_view expected);
  /// `fail`, then the offending value quoted (append_quoted_prefix).
  void fail_value(RejectReason r, std::string_view field, std::string_view what,
                  std::string_view value);
};

/// What reading one typed value found.
enum class Read { kOk, kAbsent, kBadType };

/// Reads a string or null into *out: kOk, or kAbsent for null and "". Another type is consumed,
/// *out is left empty and *r is kBadType. Invalid JSON is returned as an error.
simdjson::error_code read_string(simdjson::ondemand::value v, std::string_view* out, Read* r);
/// The same, with a wrong type reported on `f` as `name` (expected "a string").
simdjson::error_code read_string(simdjson::ondemand::value v, std::string_view* out,
                                 FieldFailure& f, std::string_view name);

/// A record On-Demand could not read: kInvalidJson, with the reason and a static detail set for
/// invalid UTF-8 and too deep nesting.
RecordStatus invalid_record(simdjson::error_code err, RejectReason* reason, std::string_view* d);

/// The time column of the table rows: ISO 8601 to the second, or `-` when there is none.
void append_time_column(std::string* out, int64_t ms);

/// Writes a record's raw JSON as the next value: as is when it is one line, else minified (so
/// JSON-lines output stays one line per event). `raw` must be valid JSON; with ≥ 64 readable
/// bytes after it (the reader's padding) no copy is needed for the one-line case.
void write_raw_json(std::string_view raw, JsonWriter& w);

/// The position just past the value that ended before `next` (an On-Demand iterator's next
/// token): the last non-space byte before it, not before `start`.
const char* end_before(const char* start, const char* next);

/// Appends `v` in quotes for a reject's detail, cut to half the detail limit with "..." (the
/// caller escapes details before they reach a terminal).
void append_quoted_prefix(std::string* out, std::string_view v);

}  // namespace sentinel::ingest
