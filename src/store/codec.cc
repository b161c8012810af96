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

bool decode_block(std::string_view blob, uint64_t raw_size, DecodedBlock* out) {
  out->records.clear();
  if (raw_size > (uint64_t{1} << 32)) return false;
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
