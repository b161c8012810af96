#pragma once
/// Hard limits on untrusted input. Every limit has a test in tests/unit/core/limits_test.cc.
#include <cstddef>

namespace sentinel::limits {

/// Largest single record (one JSON object, one text line) accepted; larger ones are rejected
/// with `record_too_large` (or `line_too_long` for text lines).
inline constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;
/// Deepest JSON nesting accepted; deeper documents are rejected with `too_deep`.
inline constexpr std::size_t kMaxJsonDepth = 64;
/// Default cap on the decompressed size of one object (file or stdin); larger ones are rejected
/// with `decompressed_too_large`. Configurable with --max-decompressed.
inline constexpr std::size_t kDefaultMaxDecompressedBytes = std::size_t{100} << 20;
/// Longest text line (flow logs, NDJSON) accepted.
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
/// How many gzip layers are unwrapped (a gzip inside a gzip is unwrapped once more).
inline constexpr int kMaxGzipLayers = 2;
/// How many bytes of a record's detail text a reject keeps.
inline constexpr std::size_t kMaxRejectDetailBytes = 200;

}  // namespace sentinel::limits
