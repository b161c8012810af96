#pragma once
/// Blocks of raw records and flow lines. Two kinds, told apart by the blob's first byte:
///
/// - A DEFLATE block (raw DEFLATE, libdeflate): before compression, varint(count),
///   count x varint(length), then the records' bytes one after the other (flow blocks: the lines
///   joined by '\n').
/// - A gzip block: a delivered `.gz` file kept as it was. kGzipBlockMarker, varint(count),
///   count x (zigzag varint(offset - end of the previous record), varint(length)) locating each
///   record in the file's inflated stream, then the file's gzip members byte for byte. Flow gzip
///   blocks have count 0: the whole inflated stream (header line included) is parsed again.
///   The marker cannot start a raw DEFLATE stream (its BTYPE bits are 11, a reserved type).
///
/// Records come back byte-exact. The size of what decoding produces (the DEFLATE block's
/// uncompressed bytes, or the gzip file's inflated stream) is stored beside the blob
/// (raw_size), so decoding allocates once.
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

/// Decompresses and splits a block of either kind; false when the blob is damaged.
bool decode_block(std::string_view blob, uint64_t raw_size, DecodedBlock* out);

/// First byte of a gzip block: bits 1-2 set (BTYPE 3, reserved), so no DEFLATE block has it.
inline constexpr char kGzipBlockMarker = 0x07;

/// True when `blob` is a gzip block.
inline bool is_gzip_block(std::string_view blob) {
  return !blob.empty() && blob[0] == kGzipBlockMarker;
}

/// Builds a gzip block from a delivered file's bytes and its records' (offset, length) in the
/// inflated stream (none for a flow block).
void encode_gzip_block(std::string_view gzip,
                       const std::vector<std::pair<uint32_t, uint32_t>>& records, std::string* out);

/// Inflates every gzip member of `gz` (trailing zero bytes after the last one are ignored) into
/// *out, which must come to exactly `raw_size` bytes; false otherwise.
bool gunzip_exact(std::string_view gz, uint64_t raw_size, std::string* out);

/// The text of a flow block of either kind, to be parsed with the block's format string: the
/// joined lines, or a delivered file's whole inflated stream (its header line, if any, is
/// skipped by the parser, which is given the format). *delivered tells which: a delivered
/// file's lines may end in "\r\n", which the parser drops. False when the blob is damaged.
bool decode_flow_block(std::string_view blob, uint64_t raw_size, std::string* text,
                       bool* delivered = nullptr);

/// Compresses / decompresses one buffer (raw DEFLATE). Used for flow blocks and engine state.
void deflate_bytes(std::string_view in, int level, std::string* out);
bool inflate_bytes(std::string_view in, uint64_t raw_size, std::string* out);

void put_varint(std::string* out, uint64_t v);
/// Reads a varint at *p (< end); false on overrun.
bool get_varint(const char** p, const char* end, uint64_t* v);

}  // namespace sentinel::store
