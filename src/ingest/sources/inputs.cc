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

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string delivery_time_key(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  // A token of 8 digits, 'T', 4 or 6 digits, 'Z' between underscores (or before the extension).
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t end = name.find_first_of("_.", start);
    std::string_view tok =
        name.substr(start, end == std::string_view::npos ? name.npos : end - start);
    if ((tok.size() == 14 || tok.size() == 16) && tok[8] == 'T' && tok.back() == 'Z' &&
        all_digits(tok.substr(0, 8)) && all_digits(tok.substr(9, tok.size() - 10))) {
      std::string key(tok.substr(0, tok.size() - 1));
      if (key.size() == 13) key += "00";
      return key;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  // Date folders: .../YYYY/MM/DD/... or year=YYYY/month=MM/day=DD.
  std::string_view dir =
      slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  std::vector<std::string_view> parts;
  std::size_t p = 0;
  while (p <= dir.size()) {
    std::size_t q = dir.find('/', p);
    if (q == std::string_view::npos) q = dir.size();
    std::string_view seg = dir.substr(p, q - p);
    for (std::string_view prefix : {"year=", "month=", "day=", "hour="}) {
      if (seg.substr(0, prefix.size()) == prefix) seg.remove_prefix(prefix.size());
    }
    parts.push_back(seg);
    p = q + 1;
  }
  for (std::size_t i = 0; i + 2 < parts.size(); ++i) {
    if (parts[i].size() == 4 && all_digits(parts[i]) && parts[i + 1].size() == 2 &&
        all_digits(parts[i + 1]) && parts[i + 2].size() == 2 && all_digits(parts[i + 2])) {
      std::string key =
          std::string(parts[i]) + std::string(parts[i + 1]) + std::string(parts[i + 2]);
      std::string hour = "00";
      if (i + 3 < parts.size() && parts[i + 3].size() == 2 && all_digits(parts[i + 3])) {
        hour = std::string(parts[i + 3]);
      }
      return key + "T" + hour + "0000";
    }
  }
  return {};
}

void order_by_delivery_time(std::vector<Input>* inputs) {
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(inputs->size());
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    keys.emplace_back(delivery_time_key((*inputs)[i].path), i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Input> out;
  out.reserve(inputs->size());
  for (const auto& k : keys) out.push_back(std::move((*inputs)[k.second]));
  *inputs = std::move(out);
}

}  // namespace sentinel::ingest
