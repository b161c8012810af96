#pragma once
/// Helpers shared by the generator and simulator tests: read a file, gunzip a small object.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sentinel::sim::testing {

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The test objects are small; 40x plus a margin holds any of them.
inline std::string gunzip(const std::string& gz) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string out(gz.size() * 40 + 4096, '\0');
  std::size_t n = 0;
  const auto rc = libdeflate_gzip_decompress(d, gz.data(), gz.size(), out.data(), out.size(), &n);
  libdeflate_free_decompressor(d);
  EXPECT_EQ(rc, LIBDEFLATE_SUCCESS);
  out.resize(n);
  return out;
}

}  // namespace sentinel::sim::testing
