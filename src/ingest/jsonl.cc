#include "ingest/jsonl.h"

#include "core/json_writer.h"
#include "ingest/event_json.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::ingest {

namespace {

template <typename Fn>
void line(const EventMeta& meta, std::string* out, Fn&& body) {
  JsonWriter w(out);
  w.begin_object();
  write_meta_json(meta, w);
  body(w);
  w.end_object();
  out->push_back('\n');
}

}  // namespace

void append_jsonl(const CloudTrailEvent& e, std::string* out, JsonlScratch* scratch) {
  line(e.meta, out, [&](JsonWriter& w) { write_cloudtrail_json(e, w, &scratch->buf); });
}

void append_jsonl(const FlowRecord& f, std::string* out, JsonlScratch*) {
  line(f.meta, out, [&](JsonWriter& w) { write_flow_json(f, w); });
}

void append_jsonl(const DnsQuery& q, std::string* out, JsonlScratch*) {
  line(q.meta, out, [&](JsonWriter& w) { write_dns_json(q, w); });
}

void append_jsonl(const GuardDutyFinding& g, std::string* out, JsonlScratch*) {
  line(g.meta, out, [&](JsonWriter& w) { write_guardduty_json(g, w); });
}

void append_reject_jsonl(const Reject& r, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("reason", reject_name(r.reason));
  w.field("path", r.where.path);
  if (r.where.record >= 0) w.field("record", r.where.record);
  if (r.where.line > 0) w.field("line", r.where.line);
  w.field("offset", r.where.offset);
  w.field("records", r.records);
  w.field("detail", r.detail);
  w.end_object();
  out->push_back('\n');
}

}  // namespace sentinel::ingest
