#include "core/escape.h"

#include "core/utf8.h"

namespace sentinel {

namespace {
constexpr char kHex[] = "0123456789abcdef";

void hex_escape(std::string* out, unsigned char c) {
  char buf[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  out->append(buf, 4);
}
}  // namespace

void append_terminal_safe(std::string* out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          hex_escape(out, c);
      }
      ++i;
      continue;
    }
    std::size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) {
      hex_escape(out, c);
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F; some terminals act on them.
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      out->append("\\u00");
      out->push_back(kHex[static_cast<unsigned char>(s[i + 1]) >> 4]);
      out->push_back(kHex[static_cast<unsigned char>(s[i + 1]) & 15]);
    } else {
      out->append(s.data() + i, len);
    }
    i += len;
  }
}

std::string terminal_safe(std::string_view s) {
  std::string out;
  append_terminal_safe(&out, s);
  return out;
}

}  // namespace sentinel
