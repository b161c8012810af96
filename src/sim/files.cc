#include "sim/files.h"

#include <charconv>
#include <memory>
#include <system_error>

#include "sim/world.h"

namespace sentinel::sim {

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return Error{"io_error", std::string(what) + " " + path.string()};
}

Result<std::uint64_t> write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return io_error(path.parent_path(), "cannot create directory");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) return io_error(path, "cannot open for writing");
  if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
    return io_error(path, "short write to");
  }
  if (std::fclose(f.release()) != 0) return io_error(path, "cannot close");
  return static_cast<std::uint64_t>(bytes.size());
}

std::string date_dirs(std::int64_t t) {
  const CivilTime c = civil_time(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d", c.year, c.month, c.day);
  return buf;
}

std::string stamp_minute(std::int64_t t) {
  const CivilTime c = civil_time(t);
  char buf[20];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute);
  return buf;
}

void put_num(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace sentinel::sim
