#pragma once
/// The normalised JSON form of events (`sentinel parse --output jsonl`). Every event starts with
/// the common envelope below; each format's writer then adds its own fields.
///
///   {"log_type":"vpcflow","time":"2015-01-01T00:00:00Z","account":"123456789012",
///    "region":"us-east-1","source":{"path":"f.log","record":3,"line":5}, ...}
///
/// `time` is null when the record has none; `line` only appears for line-oriented input.
#include "core/json_writer.h"
#include "ingest/event.h"

namespace sentinel::ingest {

/// Writes the common envelope fields (the object must already be open).
void write_meta_json(const EventMeta& meta, JsonWriter& w);
/// Writes a SourceRef as an object value.
void write_source_ref_json(const SourceRef& ref, JsonWriter& w);

}  // namespace sentinel::ingest
