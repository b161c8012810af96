#pragma once
/// Access to the parsed tree of a CloudTrail record, for code that evaluates JSON paths. Kept
/// apart from cloudtrail.h so that only such code pays for including simdjson.
#include <simdjson.h>

#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::ingest {

/// The record (for EventBridge envelopes, the `detail` object). Valid during the callback.
inline simdjson::dom::element cloudtrail_record(const CloudTrailEvent& e) {
  return *static_cast<const simdjson::dom::element*>(e.record_dom);
}

}  // namespace sentinel::ingest
