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
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

/// The framer's one-pass path over the records of an array: simdjson's stage 1 over a window of
/// consecutive elements (about 256 KB), then simdjson's stage 2 once per element from that one
/// structural index, so neither the framer's own scan nor a per-record stage 1 runs. Owned by a
/// handler that can take parsed records (reused from file to file); see
/// RecordHandler::bulk_parser.
class BulkParser {
 public:
  BulkParser();
  ~BulkParser();
  BulkParser(const BulkParser&) = delete;
  BulkParser& operator=(const BulkParser&) = delete;
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// The kind of a JSON value, as the one-pass path's skip test sees it.
enum class JsonKind : uint8_t { kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };

/// What a handler's skip test says about one member of a record it may skip.
enum class SkipVerdict : uint8_t {
  kFine,     ///< nothing here stops the skip
  kDescend,  ///< (top-level object values only) report this object's members too, at depth 2
  kNo,       ///< parse the record whole
};

/// The tree of a record the one-pass path delivered from its typed walk
/// (RecordHandler::walk_deliver), parsed only when someone asks for it. Valid during the
/// walk_deliver call (and the sink callbacks made from it); one thread.
class LazyRecordTree {
 public:
  /// The record's `simdjson::dom::element`, parsed on the first call (simdjson's stage 2 from the
  /// window's structural index, which stays valid during the call); nullptr when it cannot be.
  virtual const void* root() = 0;

 protected:
  ~LazyRecordTree() = default;
};

class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  /// A handler that returns a BulkParser here gets the elements of arrays through on_parsed when
  /// they parse in the one-pass path. Whatever that path does not accept whole (a stage 1 error
  /// anywhere in the window, a record that does not parse, a too deep or too large record, odd
  /// separators) goes through on_record from that record on, as without it, so what is accepted
  /// and what is reported (reason, record number, line) does not depend on the path.
  virtual BulkParser* bulk_parser() { return nullptr; }
  /// A record the framer parsed itself: `root` is its `simdjson::dom::element`, valid during the
  /// call. Returns kAccepted, kReported (reject already reported) or kNotARecord, as on_record
  /// would for the same bytes.
  virtual RecordStatus on_parsed(std::string_view json, const void* root, const SourceRef& ref) {
    (void)json;
    (void)root;
    (void)ref;
    return RecordStatus::kNotARecord;
  }
  /// Called for each record. `json` is the record's bytes; `capacity` ≥ json.size() + 64 is how
  /// many bytes from json.data() may be read (simdjson padding). On kInvalidJson the handler may
  /// set `*reason` (default kInvalidJson, e.g. kInvalidUtf8) and `*detail` (a static string).
  virtual RecordStatus on_record(std::string_view json, std::size_t capacity, const SourceRef& ref,
                                 RejectReason* reason, std::string_view* detail) = 0;

  /// The skip test (optional; needs bulk_parser()). A handler returning strings here lets the
  /// one-pass path skip building the tree of an array element whose bytes hold none of them and
  /// no backslash, once a walk over stage 1's structural index has shown simdjson's stage 2
  /// would accept it (a conservative check: anything it is not sure of is parsed whole). The
  /// walk reports the element's members through skip_member, then skip_deliver decides.
  virtual const std::vector<std::string>* skip_needles() { return nullptr; }
  /// Top-level member names whose string and null values skip_member must see too (at most 8).
  virtual const std::vector<std::string>* skip_keys() { return nullptr; }
  /// Called before the members of each record the walk looks at.
  virtual void skip_begin() {}
  /// A member of the element's top-level object (depth 1) whose value is not a string or null or
  /// whose name is one of skip_keys(), or a member whose value is not a string or null of an
  /// object that is the value of a depth-1 member answered with kDescend (depth 2). `text` is a
  /// string value's bytes (there are no escapes), empty otherwise.
  virtual SkipVerdict skip_member(int depth, std::string_view key, JsonKind kind,
                                  std::string_view text) {
    (void)depth;
    (void)key;
    (void)kind;
    (void)text;
    return SkipVerdict::kNo;
  }
  /// After every member passed: true when the handler delivered the record `json` without its
  /// tree (it counts as accepted); false to have it parsed whole.
  virtual bool skip_deliver(std::string_view json, const SourceRef& ref) {
    (void)json;
    (void)ref;
    return false;
  }
  /// The typed walk (optional; needs bulk_parser(); not used when skip_needles() gives strings):
  /// true to have each array element of the one-pass path that holds no backslash walked over
  /// the window's structural index, member by member through walk_member, instead of parsed,
  /// when the walk shows simdjson's stage 2 would accept it (the skip test's proof). The tree is
  /// then parsed only if the handler asks for it (LazyRecordTree).
  virtual bool typed_walk() { return false; }
  /// Called before the members of each record walked.
  virtual void walk_begin() {}
  /// Every member of the record's object (depth 1), and of each object whose member was answered
  /// kDescend (depth + 1, up to depth 4), in document order. `text` is a string value's bytes
  /// (there are no escapes), empty otherwise. kNo: parse the record whole.
  virtual SkipVerdict walk_member(int depth, std::string_view key, JsonKind kind,
                                  std::string_view text) {
    (void)depth;
    (void)key;
    (void)kind;
    (void)text;
    return SkipVerdict::kNo;
  }
  /// After every member passed: true when the handler delivered the record `json` from what the
  /// walk told it (it counts as accepted; `tree` parses it on request); false, with nothing
  /// delivered or reported, to have it parsed whole and given to on_parsed.
  virtual bool walk_deliver(std::string_view json, const SourceRef& ref, LazyRecordTree& tree) {
    (void)json;
    (void)ref;
    (void)tree;
    return false;
  }
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
