#pragma once
/// One JSON line per event or reject: the output of `sentinel parse --output jsonl` and of the
/// golden tests. Each function appends one line (with its '\n') to `out`.
#include <string>

#include "core/reject.h"
#include "ingest/event.h"

namespace sentinel::ingest {

/// Reusable scratch space for the writers (minified records); one per thread.
struct JsonlScratch {
  std::string buf;
};

void append_jsonl(const CloudTrailEvent& e, std::string* out, JsonlScratch* scratch);
void append_jsonl(const FlowRecord& f, std::string* out, JsonlScratch* scratch);
void append_jsonl(const DnsQuery& q, std::string* out, JsonlScratch* scratch);
void append_jsonl(const GuardDutyFinding& g, std::string* out, JsonlScratch* scratch);
/// `{"reason":"invalid_json","path":...,"record":3,"line":7,"offset":120,"records":1,"detail":...}`
void append_reject_jsonl(const Reject& r, std::string* out);

}  // namespace sentinel::ingest
