#pragma once
/// Access to the parsed tree of a CloudTrail record, for code that evaluates JSON paths. Kept
/// apart from cloudtrail.h so that only such code pays for including simdjson.
#include <simdjson.h>

#include "ingest/decode/json_framing.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::ingest {

/// The record's tree (for EventBridge envelopes, the `detail` object), parsed now if the parser
/// left it for later; nullptr when there is none (a skipped record) or it cannot be parsed. Valid
/// during the callback; the parser's thread only.
inline const simdjson::dom::element* cloudtrail_tree(const CloudTrailEvent& e) {
  if (e.record_dom != nullptr) return static_cast<const simdjson::dom::element*>(e.record_dom);
  if (e.lazy_tree == nullptr) return nullptr;
  return static_cast<const simdjson::dom::element*>(e.lazy_tree->root());
}

}  // namespace sentinel::ingest
