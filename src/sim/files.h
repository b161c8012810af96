#pragma once
/// What the dataset writers share: writing a file whole, and the date parts of AWS log paths.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sentinel::sim {

/// An io_error naming the path: "<what> <path>".
Error io_error(const std::filesystem::path& path, std::string_view what);

/// Closes a FILE* owned by a unique_ptr.
struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};

/// Writes `bytes` to `path` (creating its folders); the number of bytes written.
Result<std::uint64_t> write_file(const std::filesystem::path& path, std::string_view bytes);

/// `YYYY/MM/DD` of Unix seconds `t`, as AWS log paths have it.
std::string date_dirs(std::int64_t t);
/// `YYYYMMDDTHHMMZ` of Unix seconds `t`, as AWS log file names have it.
std::string stamp_minute(std::int64_t t);

/// Appends `v` in decimal.
void put_num(std::string& out, std::uint64_t v);

}  // namespace sentinel::sim
