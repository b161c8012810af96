#pragma once
/// JSON helpers the JSON-record parsers share.
#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/json_writer.h"

namespace sentinel::ingest {

/// Walks an On-Demand value to its end, so that a syntax error inside a value nobody reads
/// (`"x":tru`) is still found: On-Demand only checks what is read. Recursion depth is bounded by
/// the framer (limits::kMaxJsonDepth).
simdjson::error_code consume_ondemand(simdjson::ondemand::value v);

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
