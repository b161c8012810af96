#include "ingest/event_json.h"

#include "core/time.h"

namespace sentinel::ingest {

void write_source_ref_json(const SourceRef& ref, JsonWriter& w) {
  w.begin_object();
  w.field("path", ref.path);
  if (ref.record >= 0) w.field("record", ref.record);
  if (ref.line > 0) w.field("line", ref.line);
  w.field("offset", ref.offset);
  w.end_object();
}

void write_meta_json(const EventMeta& meta, JsonWriter& w) {
  w.field("log_type", log_type_name(meta.type));
  w.key("time");
  if (meta.time_ms == kNoTime) {
    w.null();
  } else {
    std::string t;
    append_iso8601(&t, meta.time_ms, true);
    w.string(t);
  }
  w.key("account");
  if (meta.account.empty())
    w.null();
  else
    w.string(meta.account);
  w.key("region");
  if (meta.region.empty())
    w.null();
  else
    w.string(meta.region);
  w.key("source");
  write_source_ref_json(meta.ref, w);
}

}  // namespace sentinel::ingest
