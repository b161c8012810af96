#pragma once
/// gzip decoding with hard limits. libdeflate decodes whole members fast; when it fails, zlib's
/// streaming inflate tells a truncated stream from a corrupt one and recovers the bytes that
/// were decoded before the damage, so the records in them are not lost.
#include <cstddef>
#include <string_view>

#include "core/reject.h"
#include "ingest/decode/buffer.h"

struct libdeflate_decompressor;

namespace sentinel::ingest {

/// True when `data` starts with the gzip magic bytes.
bool is_gzip(std::string_view data);

struct GunzipResult {
  bool ok = true;           ///< all members decoded completely
  RejectReason reason{};    ///< when !ok: kTruncatedGzip, kBadGzip or kDecompressedTooLarge
  const char* detail = "";  ///< static text
  bool partial = false;     ///< !ok but `out` holds the bytes decoded before the damage
};

/// Decodes every gzip member of `in` into `out` (replacing its contents), refusing to produce
/// more than `max_out` bytes. One decoder per thread.
class GzipDecoder {
 public:
  GzipDecoder();
  ~GzipDecoder();
  GzipDecoder(const GzipDecoder&) = delete;
  GzipDecoder& operator=(const GzipDecoder&) = delete;

  GunzipResult decode(std::string_view in, PaddedBuffer* out, std::size_t max_out);

 private:
  GunzipResult slow_decode(std::string_view in, PaddedBuffer* out, std::size_t max_out);
  libdeflate_decompressor* d_;
};

}  // namespace sentinel::ingest
