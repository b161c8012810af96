#include "ingest/sources/inputs.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/escape.h"

namespace sentinel::ingest {

namespace fs = std::filesystem;

InputList expand_inputs(const std::vector<std::string>& args) {
  InputList out;
  for (const std::string& arg : args) {
    if (arg == "-") {
      out.inputs.push_back({"-", true});
      continue;
    }
    std::error_code ec;
    fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back(terminal_safe(arg) + ": no such file or directory");
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec);
      if (ec) {
        out.errors.push_back(terminal_safe(arg) + ": " + ec.message());
        continue;
      }
      for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
          out.errors.push_back(terminal_safe(arg) + ": " + ec.message());
          break;
        }
        std::error_code fec;
        if (it->is_regular_file(fec)) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) out.inputs.push_back({std::move(f), false});
      continue;
    }
    out.inputs.push_back({arg, false});
  }
  return out;
}

}  // namespace sentinel::ingest
