#pragma once
/// Blocks of raw records, compressed with libdeflate (raw DEFLATE).
///
/// Block layout before compression: varint(count), count x varint(length), then the records'
/// bytes one after the other. Records come back byte-exact. The uncompressed size is stored
/// beside the blob (raw_blocks.raw_size), so decoding allocates once.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sentinel::store {

/// Builds one block. Reused: clear() keeps the buffers. Not thread-safe.
class BlockBuilder {
 public:
  void add(std::string_view record) {
    lengths_.push_back(static_cast<uint32_t>(record.size()));
    body_.append(record);
  }
  std::size_t count() const { return lengths_.size(); }
  std::size_t bytes() const { return body_.size(); }
  bool empty() const { return lengths_.empty(); }
  void clear() {
    lengths_.clear();
    body_.clear();
  }
  /// Compresses the block at `level` (1..12) into *out; *raw_size gets the uncompressed size.
  void compress(int level, std::string* out, uint64_t* raw_size);

 private:
  std::vector<uint32_t> lengths_;
  std::string body_;
  std::string plain_;
};

/// A decoded block: the plain bytes and where each record starts.
struct DecodedBlock {
  std::string plain;
  std::vector<std::pair<uint32_t, uint32_t>> records;  ///< (offset, length) into plain
  std::string_view record(std::size_t i) const {
    return std::string_view(plain).substr(records[i].first, records[i].second);
  }
};

/// Decompresses and splits a block; false when the blob is damaged.
bool decode_block(std::string_view blob, uint64_t raw_size, DecodedBlock* out);

/// Compresses / decompresses one buffer (raw DEFLATE). Used for flow blocks and engine state.
void deflate_bytes(std::string_view in, int level, std::string* out);
bool inflate_bytes(std::string_view in, uint64_t raw_size, std::string* out);

void put_varint(std::string* out, uint64_t v);
/// Reads a varint at *p (< end); false on overrun.
bool get_varint(const char** p, const char* end, uint64_t* v);

}  // namespace sentinel::store
