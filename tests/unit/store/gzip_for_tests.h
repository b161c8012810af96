#pragma once
/// gzip() for the store tests that make delivered .gz files (codec_test, batch_test).
#include <libdeflate.h>

#include <string>
#include <string_view>

namespace sentinel::store {

/// `text` as one gzip member at libdeflate's `level`.
inline std::string gzip(std::string_view text, int level = 6) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  std::string out(libdeflate_gzip_compress_bound(c, text.size()), '\0');
  out.resize(libdeflate_gzip_compress(c, text.data(), text.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

}  // namespace sentinel::store
