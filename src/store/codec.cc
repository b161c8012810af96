#include "store/codec.h"

#include <libdeflate.h>

#include <memory>

namespace sentinel::store {

namespace {

// One compressor per level and thread: allocating one costs more than compressing a block.
struct CompressorCache {
  libdeflate_compressor* c[13] = {};
  ~CompressorCache() {
    for (auto* x : c) {
      if (x != nullptr) libdeflate_free_compressor(x);
    }
  }
  libdeflate_compressor* get(int level) {
    if (level < 1) level = 1;
    if (level > 12) level = 12;
    if (c[level] == nullptr) c[level] = libdeflate_alloc_compressor(level);
    return c[level];
  }
};

struct DecompressorHolder {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  ~DecompressorHolder() { libdeflate_free_decompressor(d); }
};

thread_local CompressorCache t_compressors;
thread_local DecompressorHolder t_decompressor;

}  // namespace

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool get_varint(const char** p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return false;
    auto b = static_cast<uint8_t>(**p);
    ++*p;
    r |= uint64_t{b & 0x7fU} << shift;
    if ((b & 0x80U) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

void deflate_bytes(std::string_view in, int level, std::string* out) {
  libdeflate_compressor* c = t_compressors.get(level);
  std::size_t bound = libdeflate_deflate_compress_bound(c, in.size());
  // Compress into a reused buffer and keep an exact-size copy: a block sized to the bound
  // would hold its uncompressed size in memory for as long as the batch lives (a 350 MB flow
  // file's batch: 366 MB of capacity for 85 MB of blocks).
  thread_local std::string scratch;
  if (scratch.size() < bound) scratch.resize(bound);
  std::size_t n = libdeflate_deflate_compress(c, in.data(), in.size(), scratch.data(), bound);
  out->assign(scratch.data(), n);
}

bool inflate_bytes(std::string_view in, uint64_t raw_size, std::string* out) {
  out->resize(raw_size);
  std::size_t actual = 0;
  libdeflate_result r = libdeflate_deflate_decompress(t_decompressor.d, in.data(), in.size(),
                                                      out->data(), raw_size, &actual);
  return r == LIBDEFLATE_SUCCESS && actual == raw_size;
}

void BlockBuilder::compress(int level, std::string* out, uint64_t* raw_size) {
  plain_.clear();
  put_varint(&plain_, lengths_.size());
  for (uint32_t l : lengths_) put_varint(&plain_, l);
  plain_.append(body_);
  *raw_size = plain_.size();
  deflate_bytes(plain_, level, out);
}

void encode_gzip_block(std::string_view gzip,
                       const std::vector<std::pair<uint32_t, uint32_t>>& records,
                       std::string* out) {
  out->clear();
  out->reserve(1 + 10 + records.size() * 4 + gzip.size());
  out->push_back(kGzipBlockMarker);
  put_varint(out, records.size());
  int64_t prev_end = 0;
  for (const auto& [off, len] : records) {
    const int64_t d = static_cast<int64_t>(off) - prev_end;
    put_varint(out, (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63));
    put_varint(out, len);
    prev_end = static_cast<int64_t>(off) + len;
  }
  out->append(gzip);
}

bool gunzip_exact(std::string_view gz, uint64_t raw_size, std::string* out) {
  if (raw_size > (uint64_t{1} << 32)) return false;
  out->resize(raw_size);
  const auto* src = reinterpret_cast<const uint8_t*>(gz.data());
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  while (in_pos < gz.size()) {
    if (out_pos > 0 && gz.find_first_not_of('\0', in_pos) == std::string_view::npos) break;
    std::size_t used_in = 0;
    std::size_t produced = 0;
    libdeflate_result r = libdeflate_gzip_decompress_ex(t_decompressor.d, src + in_pos,
                                                        gz.size() - in_pos, out->data() + out_pos,
                                                        raw_size - out_pos, &used_in, &produced);
    if (r != LIBDEFLATE_SUCCESS || used_in == 0) return false;
    in_pos += used_in;
    out_pos += produced;
  }
  return out_pos == raw_size;
}

namespace {

// Splits a gzip block into its record index (left at *p) and its gzip bytes.
bool open_gzip_block(std::string_view blob, const char** p, uint64_t* count, std::string_view* gz) {
  const char* q = blob.data() + 1;
  const char* end = blob.data() + blob.size();
  if (!get_varint(&q, end, count) || *count > blob.size()) return false;
  *p = q;
  // The index is read twice (here to find the gzip bytes, then by the caller): it is small.
  for (uint64_t i = 0; i < *count; ++i) {
    uint64_t v;
    if (!get_varint(&q, end, &v) || !get_varint(&q, end, &v)) return false;
  }
  *gz = std::string_view(q, static_cast<std::size_t>(end - q));
  return true;
}

bool decode_gzip_block(std::string_view blob, uint64_t raw_size, DecodedBlock* out) {
  const char* p = nullptr;
  uint64_t count = 0;
  std::string_view gz;
  if (!open_gzip_block(blob, &p, &count, &gz)) return false;
  if (!gunzip_exact(gz, raw_size, &out->plain)) return false;
  const char* end = gz.data();
  out->records.reserve(count);
  int64_t prev_end = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t z = 0, len = 0;
    get_varint(&p, end, &z);
    get_varint(&p, end, &len);
    const int64_t off = prev_end + static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    if (off < 0 || static_cast<uint64_t>(off) + len > raw_size) return false;
    out->records.emplace_back(static_cast<uint32_t>(off), static_cast<uint32_t>(len));
    prev_end = off + static_cast<int64_t>(len);
  }
  return true;
}

}  // namespace

bool decode_flow_block(std::string_view blob, uint64_t raw_size, std::string* text,
                       bool* delivered) {
  if (delivered != nullptr) *delivered = is_gzip_block(blob);
  if (!is_gzip_block(blob)) return inflate_bytes(blob, raw_size, text);
  const char* p = nullptr;
  uint64_t count = 0;
  std::string_view gz;
  return open_gzip_block(blob, &p, &count, &gz) && gunzip_exact(gz, raw_size, text);
}

bool decode_block(std::string_view blob, uint64_t raw_size, DecodedBlock* out) {
  out->records.clear();
  if (raw_size > (uint64_t{1} << 32)) return false;
  if (is_gzip_block(blob)) return decode_gzip_block(blob, raw_size, out);
  if (!inflate_bytes(blob, raw_size, &out->plain)) return false;
  const char* p = out->plain.data();
  const char* end = p + out->plain.size();
  uint64_t count = 0;
  if (!get_varint(&p, end, &count) || count > out->plain.size()) return false;
  std::vector<uint64_t> lengths(count);
  for (auto& l : lengths) {
    if (!get_varint(&p, end, &l)) return false;
  }
  uint64_t off = static_cast<uint64_t>(p - out->plain.data());
  for (uint64_t l : lengths) {
    if (off + l > out->plain.size()) return false;
    out->records.emplace_back(static_cast<uint32_t>(off), static_cast<uint32_t>(l));
    off += l;
  }
  return true;
}

}  // namespace sentinel::store
