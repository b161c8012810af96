#pragma once
/// Reads one input end to end: load (read or mmap), decode (gzip, nested gzip, limits), route
/// (path, then content), parse. Every failure becomes a counted reject; nothing throws.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/decode/buffer.h"
#include "ingest/decode/gzip.h"
#include "ingest/event.h"
#include "ingest/parser.h"

namespace sentinel::ingest {

/// What reading one file amounted to.
struct FileReport {
  LogType type = LogType::kUnknown;
  uint64_t bytes_read = 0;     ///< bytes on disk
  uint64_t bytes_decoded = 0;  ///< bytes after decompression
  bool gzip = false;
  bool readable = false;  ///< false when the whole file was rejected
};

/// One per worker thread: owns the decoders, buffers and parsers, reused from file to file.
class Reader {
 public:
  explicit Reader(const ParseOptions& options);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// Reads the file at `path` ("-" = standard input).
  FileReport read(const std::string& path, EventSink& sink);
  /// Parses bytes already in memory as if read from `path` (tests, stdin).
  FileReport read_bytes(std::string_view path, std::string_view bytes, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sentinel::ingest
