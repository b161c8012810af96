#include "ingest/decode/gzip.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <new>

namespace sentinel::ingest {

bool is_gzip(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

GzipDecoder::GzipDecoder() : d_(libdeflate_alloc_decompressor()) {
  if (d_ == nullptr) throw std::bad_alloc();
}

GzipDecoder::~GzipDecoder() {
  libdeflate_free_decompressor(d_);
}

GunzipResult GzipDecoder::decode(std::string_view in, PaddedBuffer* out, std::size_t max_out) {
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  std::size_t in_pos = 0;
  std::size_t out_size = 0;
  out->set_size(0);
  while (in_pos < in.size()) {
    std::string_view rest = in.substr(in_pos);
    if (!is_gzip(rest)) {
      // Trailing zero bytes after the last member are common (padded uploads); anything else
      // is damage.
      if (out_size > 0 && rest.find_first_not_of('\0') == std::string_view::npos) break;
      return slow_decode(in, out, max_out);
    }
    // ISIZE (last 4 bytes) is the size of the last member mod 2^32: a hint only.
    std::size_t hint = 0;
    if (in.size() >= 4) {
      const auto* t = src + in.size() - 4;
      hint = static_cast<std::size_t>(t[0]) | (static_cast<std::size_t>(t[1]) << 8) |
             (static_cast<std::size_t>(t[2]) << 16) | (static_cast<std::size_t>(t[3]) << 24);
    }
    std::size_t room = std::max<std::size_t>({hint + 1, rest.size() * 4, 1 << 16});
    while (true) {
      room = std::min(room, max_out - out_size + 1);
      out->reserve(out_size + room);
      std::size_t used_in = 0, produced = 0;
      libdeflate_result r = libdeflate_gzip_decompress_ex(
          d_, src + in_pos, rest.size(), out->data() + out_size, room, &used_in, &produced);
      if (r == LIBDEFLATE_SUCCESS) {
        out_size += produced;
        if (out_size > max_out) {
          return {false, RejectReason::kDecompressedTooLarge,
                  "decompressed data is larger than the limit (--max-decompressed)", false};
        }
        in_pos += used_in;
        break;
      }
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (out_size + room > max_out) {
          return {false, RejectReason::kDecompressedTooLarge,
                  "decompressed data is larger than the limit (--max-decompressed)", false};
        }
        room *= 2;
        continue;
      }
      return slow_decode(in, out, max_out);
    }
  }
  out->set_size(out_size);
  return {};
}

GunzipResult GzipDecoder::slow_decode(std::string_view in, PaddedBuffer* out, std::size_t max_out) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return {false, RejectReason::kBadGzip, "could not start the gzip decoder", false};
  }
  std::size_t out_size = 0;
  out->set_size(0);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  std::size_t in_left = in.size();
  GunzipResult res;
  while (true) {
    if (zs.avail_in == 0 && in_left > 0) {
      std::size_t chunk = std::min<std::size_t>(in_left, 1u << 30);
      zs.avail_in = static_cast<uInt>(chunk);
      in_left -= chunk;
    }
    if (out_size >= max_out) {
      res = {false, RejectReason::kDecompressedTooLarge,
             "decompressed data is larger than the limit (--max-decompressed)", false};
      break;
    }
    std::size_t room =
        std::min<std::size_t>(std::max<std::size_t>(out_size, 1 << 16), max_out - out_size);
    out->reserve(out_size + room);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + out_size);
    zs.avail_out = static_cast<uInt>(std::min<std::size_t>(room, 1u << 30));
    uInt before = zs.avail_out;
    int r = inflate(&zs, Z_NO_FLUSH);
    out_size += before - zs.avail_out;
    if (r == Z_STREAM_END) {
      // Another member may follow.
      std::size_t consumed = in.size() - in_left - zs.avail_in;
      std::string_view rest = in.substr(consumed);
      if (rest.empty() || rest.find_first_not_of('\0') == std::string_view::npos) break;
      if (!is_gzip(rest)) {
        res = {false, RejectReason::kBadGzip, "bytes after the last gzip member are not gzip",
               true};
        break;
      }
      inflateReset(&zs);
      continue;
    }
    if (r == Z_OK) continue;
    if (r == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      res = {false, RejectReason::kTruncatedGzip,
             "the gzip stream ends early (truncated file); records decoded before the cut are kept",
             true};
      break;
    }
    if (r == Z_BUF_ERROR) continue;
    res = {false, RejectReason::kBadGzip,
           out_size > 0 ? "the gzip data is corrupt; records decoded before the damage are kept"
                        : "the gzip data is corrupt",
           out_size > 0};
    break;
  }
  inflateEnd(&zs);
  out->set_size(out_size);
  return res;
}

}  // namespace sentinel::ingest
