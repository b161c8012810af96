#pragma once
/// What every parser receives: the decoded bytes of one file and its context.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "ingest/event.h"

namespace sentinel::ingest {

/// Bytes handed to a parser always have at least this many readable bytes after their end
/// (simdjson's padding), so parsers may hand sub-spans to simdjson without copying.
inline constexpr std::size_t kPadding = 64;

/// Options that change how input is read (from the command line or sentinel.yaml).
struct ParseOptions {
  /// Forced log type (kUnknown = route by path, then sniff content).
  LogType forced_type = LogType::kUnknown;
  /// VPC flow log format string (`${version} ${account-id} ...`); empty = use the file's header
  /// line, or the default v2 format when there is none.
  std::string flow_format;
  std::size_t max_decompressed = limits::kDefaultMaxDecompressedBytes;
  /// Set by a consumer that reads only the events a pattern can match (`sentinel filter`): a
  /// parser may deliver a record whose bytes hold none of these strings and no JSON escape as a
  /// placeholder (CloudTrailEvent::skipped: place only, no fields) once it has checked the
  /// record is one it would accept whole. Not owned; nullptr = every event whole.
  const std::vector<std::string>* skip_unless = nullptr;
  /// Set by a consumer that reads the typed fields of every event but the tree of few or none
  /// (`stats`, `parse`): a CloudTrail record of a large array with no backslash then has its
  /// typed fields read from the framer's walk over the structural index, and its tree is parsed
  /// only when cloudtrail_tree() asks. Off, every record's tree is parsed first: cheaper for a
  /// consumer that reads most trees (`detect` and its `exists` tests, the store's resource index).
  bool typed_walk = false;
};

/// The file being parsed. Views live as long as the parse call.
struct FileContext {
  std::string_view path;  ///< as given by the user, or "-" for stdin
  PathInfo path_info;     ///< what the S3-style key says (account, region, type)
  const ParseOptions* options = nullptr;
};

}  // namespace sentinel::ingest
