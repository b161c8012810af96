#pragma once
/// Reject reasons: every record or file Sentinel cannot accept is reported with one of these,
/// counted per reason, and reading goes on.
#include <cstdint>
#include <string_view>

namespace sentinel {

enum class RejectReason : uint8_t {
  kIoError,
  kEmptyFile,
  kUnknownFormat,
  kTruncatedGzip,
  kBadGzip,
  kDecompressedTooLarge,
  kInvalidJson,
  kInvalidUtf8,
  kTooDeep,
  kRecordTooLarge,
  kLineTooLong,
  kNotAnEvent,
  kMissingField,
  kBadFieldType,
  kBadTime,
  kBadHeader,
  kBadFieldCount,
  kBadIp,
  kBadPort,
  kBadNumber,
  kBadValue,
  kRecordsLost,
  kCount  // not a reason; the number of reasons
};

/// The stable snake_case name of a reason (`invalid_json`).
std::string_view reject_name(RejectReason r);
/// One sentence a user can act on.
std::string_view reject_description(RejectReason r);

/// Where a record came from. `path` is the file path (or "-" for stdin); `record` is the
/// 0-based index of the record in the file (or -1 when the whole file is meant); `line` is the
/// 1-based line number when the format is line-oriented (0 when not); `offset` is the byte offset
/// in the decoded (decompressed) data.
struct SourceRef {
  std::string_view path;
  int64_t record = -1;
  uint64_t line = 0;
  uint64_t offset = 0;
};

/// A rejected record or file. `detail` is free text (may be empty); it may quote input and must be
/// escaped before it reaches a terminal. Views are valid only during the sink callback.
struct Reject {
  SourceRef where;
  RejectReason reason;
  std::string_view detail;
  /// How many records this reject stands for (a lost stretch of a broken file may be > 1;
  /// 0 when unknown, e.g. a whole unreadable file).
  uint64_t records = 1;
};

}  // namespace sentinel
