#pragma once
// Template definitions for cwl/pattern.h.
#include <string_view>

namespace sentinel::cwl {

template <typename Visit>
std::size_t split_delimited(std::string_view msg, Visit&& visit) {
  std::size_t i = 0, n = 0;
  const std::size_t len = msg.size();
  while (i < len) {
    while (i < len && (msg[i] == ' ' || msg[i] == '\t')) ++i;
    if (i >= len) break;
    std::string_view field;
    if (msg[i] == '"' || msg[i] == '[') {
      const char close = msg[i] == '"' ? '"' : ']';
      std::size_t e = msg.find(close, i + 1);
      if (e == std::string_view::npos) {
        // Unclosed: the rest of the token is the field, as written.
        std::size_t s = i;
        while (i < len && msg[i] != ' ' && msg[i] != '\t') ++i;
        field = msg.substr(s, i - s);
      } else {
        field = msg.substr(i + 1, e - i - 1);
        i = e + 1;
      }
    } else {
      std::size_t s = i;
      while (i < len && msg[i] != ' ' && msg[i] != '\t') ++i;
      field = msg.substr(s, i - s);
    }
    if (visit(n, field)) return n + 1;
    ++n;
  }
  return n;
}

}  // namespace sentinel::cwl
