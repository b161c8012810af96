// Block codec: DEFLATE blocks and gzip blocks (a delivered .gz file kept as it came, with the
// records' places in its inflated stream), told apart by the first byte.
#include "store/codec.h"

#include <gtest/gtest.h>
#include <libdeflate.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gzip_for_tests.h"

namespace sentinel::store {
namespace {

using Index = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(Codec, DeflateBlocksNeverStartWithTheGzipBlockMarker) {
  // BTYPE (bits 1-2 of a DEFLATE stream's first byte) is never 11; the marker's are.
  EXPECT_EQ(kGzipBlockMarker & 6, 6);
  std::mt19937 rng(7);
  for (int level = 1; level <= 12; ++level) {
    for (int n : {0, 1, 5, 100, 5000, 70000}) {
      std::string in(static_cast<std::size_t>(n), '\0');
      const bool random = (n + level) % 2 == 0;  // random bytes make stored blocks
      for (auto& ch : in) ch = static_cast<char>(random ? rng() : 'a' + rng() % 3);
      std::string blob;
      deflate_bytes(in, level, &blob);
      ASSERT_FALSE(blob.empty());
      EXPECT_FALSE(is_gzip_block(blob)) << level << " " << n;
      std::string back;
      ASSERT_TRUE(inflate_bytes(blob, in.size(), &back));
      EXPECT_EQ(back, in);
    }
  }
}

TEST(Codec, GzipBlockGivesBackEachRecordOfTheInflatedStream) {
  const std::string text = "{\"Records\":[{\"a\":1},\n  {\"b\":\"two\"},{\"c\":[3]}]}\n";
  // Records out of order and overlapping are located all the same.
  const Index where = {{12, 7}, {23, 11}, {35, 9}, {12, 7}, {0, 0}};
  // A file of two members with zero padding after them, as some uploads are.
  const std::string delivered =
      gzip(text.substr(0, 20)) + gzip(text.substr(20), 9) + std::string(16, '\0');
  std::string blob;
  encode_gzip_block(delivered, where, &blob);
  ASSERT_TRUE(is_gzip_block(blob));
  // The delivered bytes are kept as they were, after the index.
  EXPECT_EQ(blob.substr(blob.size() - delivered.size()), delivered);
  DecodedBlock b;
  ASSERT_TRUE(decode_block(blob, text.size(), &b));
  ASSERT_EQ(b.records.size(), where.size());
  for (std::size_t i = 0; i < where.size(); ++i) {
    EXPECT_EQ(b.record(i), text.substr(where[i].first, where[i].second)) << i;
  }
  EXPECT_EQ(b.record(1), "{\"b\":\"two\"}");
  EXPECT_EQ(b.plain, text);
}

TEST(Codec, DamagedGzipBlocksAreRefused) {
  const std::string text(100000, 'x');
  const std::string delivered = gzip(text);
  std::string blob;
  encode_gzip_block(delivered, {{10, 20}, {99990, 10}}, &blob);
  DecodedBlock b;
  ASSERT_TRUE(decode_block(blob, text.size(), &b));
  // The stored size must be exactly what the members inflate to.
  EXPECT_FALSE(decode_block(blob, text.size() - 1, &b));
  EXPECT_FALSE(decode_block(blob, text.size() + 1, &b));
  // Cut short, or a byte of the DEFLATE data changed (the CRC catches what inflating does not).
  EXPECT_FALSE(decode_block(blob.substr(0, blob.size() - 9), text.size(), &b));
  std::string bad = blob;
  const std::size_t in_deflate = blob.size() - delivered.size() + 12;  // after the gzip header
  bad[in_deflate] = static_cast<char>(bad[in_deflate] ^ 0x40);
  EXPECT_FALSE(decode_block(bad, text.size(), &b));
  // Not gzip after the index, or an index pointing past the stream.
  std::string not_gz;
  encode_gzip_block("plain text, not gzip", {{0, 4}}, &not_gz);
  EXPECT_FALSE(decode_block(not_gz, 20, &b));
  std::string past;
  encode_gzip_block(delivered, {{99995, 10}}, &past);
  EXPECT_FALSE(decode_block(past, text.size(), &b));
  // A truncated index.
  EXPECT_FALSE(decode_block(blob.substr(0, 3), text.size(), &b));
}

TEST(Codec, FlowBlocksOfBothKinds) {
  const std::string lines = "2 123 eni-1 a\n2 123 eni-1 b\n";
  std::string deflated;
  deflate_bytes(lines, 1, &deflated);
  std::string text;
  bool delivered = true;
  ASSERT_TRUE(decode_flow_block(deflated, lines.size(), &text, &delivered));
  EXPECT_EQ(text, lines);
  EXPECT_FALSE(delivered);

  const std::string file = "version account-id interface-id x\r\n2 123 eni-1 a\r\n2 123 eni-1 b";
  std::string blob;
  encode_gzip_block(gzip(file), {}, &blob);
  ASSERT_TRUE(decode_flow_block(blob, file.size(), &text, &delivered));
  EXPECT_EQ(text, file);
  EXPECT_TRUE(delivered);
  EXPECT_FALSE(decode_flow_block(blob, file.size() + 1, &text));
}

}  // namespace
}  // namespace sentinel::store
