#pragma once
/// Splits JSON data into records, so each record is parsed (and fails) on its own:
///   - `{"<container_key>":[ rec, rec, ... ]}` (CloudTrail `Records`, GuardDuty `Findings`),
///     recognised by the first key of a top-level object;
///   - a top-level array `[ rec, rec, ... ]`;
///   - NDJSON / concatenated objects (`rec\nrec\n...`), including CloudWatch Logs exports;
///   - a single object.
/// A record that is not valid JSON costs only itself: the framer looks for the next place where
/// a record starts (a new line opening `{`, or `},{` between array elements), reports the
/// skipped bytes as one `invalid_json` reject with an estimate of the records lost, and goes on.
/// Framing is a linear scan that tracks strings and nesting without recursion, so deep nesting
/// (`too_deep`) and huge records (`record_too_large`) are rejected without exhausting the stack.
#include <cstddef>
#include <string_view>

#include "core/reject.h"
#include "ingest/event.h"

namespace sentinel::ingest {

/// What a record handler made of one record.
enum class RecordStatus {
  kAccepted,     ///< a valid record, delivered to the sink
  kReported,     ///< valid JSON but rejected; the handler already reported the reject
  kInvalidJson,  ///< not valid JSON (or invalid UTF-8: see `detail`); the framer reports/resyncs
  kNotARecord,   ///< valid JSON but not a record of this format; the framer reports `not_an_event`
};

class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  /// Called for each record. `json` is the record's bytes; `capacity` ≥ json.size() + 64 is how
  /// many bytes from json.data() may be read (simdjson padding). On kInvalidJson the handler may
  /// set `*reason` (default kInvalidJson, e.g. kInvalidUtf8) and `*detail` (a static string).
  virtual RecordStatus on_record(std::string_view json, std::size_t capacity, const SourceRef& ref,
                                 RejectReason* reason, std::string_view* detail) = 0;
};

struct FramingStats {
  uint64_t records = 0;   ///< records framed (accepted or not)
  uint64_t accepted = 0;  ///< records the handler accepted
};

/// Frames `data` (which has ≥ 64 readable bytes after its end). `container_key` is the key whose
/// array holds the records (empty = none). `path` is used for SourceRefs. Rejects go to `sink`.
FramingStats frame_json(std::string_view data, std::string_view path,
                        std::string_view container_key, RecordHandler& handler, EventSink& sink);

/// True when `data` (after a BOM and white space) starts like JSON (`{` or `[`).
bool looks_like_json(std::string_view data);

/// Skips a UTF-8 BOM and JSON white space from `pos`; returns the new position.
std::size_t skip_bom_and_space(std::string_view data, std::size_t pos);

}  // namespace sentinel::ingest
