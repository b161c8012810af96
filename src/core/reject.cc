#include "core/reject.h"

namespace sentinel {

namespace {

struct ReasonText {
  std::string_view name;
  std::string_view description;
};

constexpr ReasonText kReasons[] = {
    {"io_error", "The file could not be opened or read; check that it exists and is readable."},
    {"empty_file", "The file or standard input holds no data."},
    {"unknown_format",
     "Neither the path nor the content says which AWS log this is; pass --type to say."},
    {"truncated_gzip",
     "The gzip stream ends early (an interrupted copy or download); fetch the object again."},
    {"bad_gzip", "The gzip data is corrupt; fetch the object again."},
    {"decompressed_too_large",
     "The data decompresses to more than the limit (a gzip bomb or a very large object); raise "
     "--max-decompressed if it is genuine."},
    {"invalid_json", "The record is not valid JSON; the records around it were read."},
    {"invalid_utf8", "The record holds bytes that are not UTF-8; it was not passed on."},
    {"too_deep", "The record nests JSON deeper than 64 levels."},
    {"record_too_large", "The record is larger than 1 MiB."},
    {"line_too_long", "The text line is longer than 1 MiB."},
    {"not_an_event", "Valid JSON, but not a record of the log format being read."},
    {"missing_field", "A field the format requires is missing."},
    {"bad_field_type", "A field has the wrong JSON type (for example a number where text is due)."},
    {"bad_time", "A timestamp could not be read as ISO 8601 / epoch time."},
    {"bad_header", "The header line or --flow-format string names no usable fields."},
    {"bad_field_count", "The line has a different number of fields from its format."},
    {"bad_ip", "An address field is not an IPv4 or IPv6 address."},
    {"bad_port", "A port is not a number from 0 to 65535."},
    {"bad_number", "A numeric field is not a whole number in range."},
    {"bad_value", "A field holds a value its format does not allow."},
    {"records_lost", "Records were lost to damage in the file."},
};

static_assert(sizeof(kReasons) / sizeof(kReasons[0]) == static_cast<int>(RejectReason::kCount));

}  // namespace

std::string_view reject_name(RejectReason r) {
  auto i = static_cast<std::size_t>(r);
  return i < static_cast<std::size_t>(RejectReason::kCount) ? kReasons[i].name : "unknown";
}

std::string_view reject_description(RejectReason r) {
  auto i = static_cast<std::size_t>(r);
  return i < static_cast<std::size_t>(RejectReason::kCount) ? kReasons[i].description : "";
}

}  // namespace sentinel
