#include "core/escape.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/json_writer.h"
#include "core/utf8.h"

namespace sentinel {

// Both escapers of untrusted bytes live here, for people's eyes (terminal_safe) and for JSON
// (append_json_escaped, declared in json_writer.h), so that they share their escape forms.
namespace {
constexpr char kHex[] = "0123456789abcdef";

// `\xNN`: a terminal's form for a control or an invalid UTF-8 byte.
void append_x_escape(std::string* out, unsigned char c) {
  const char buf[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  out->append(buf, 4);
}

// `\u00NN`: JSON's form for a control, a terminal's for a C1 control.
void append_u_escape(std::string* out, unsigned char c) {
  const char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
  out->append(buf, 6);
}

// The letter of the two-character escape (`\n`) a terminal shows a control as, else 0.
char line_escape(unsigned char c) {
  switch (c) {
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

// JSON's two-character escapes: the terminal's and the quote, backslash, backspace, form feed.
char json_short_escape(unsigned char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    default:
      return line_escape(c);
  }
}

void append_short_escape(std::string* out, char letter) {
  const char buf[2] = {'\\', letter};
  out->append(buf, 2);
}

// Where the run from s[i] that JSON copies as is (printable ASCII and DEL, but the quote and the
// backslash) ends, 16 bytes at a time: the printed records are long runs between escapes.
inline size_t escape_json_plain_end(const char* s, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // A signed compare: bytes from 0x80 up are negative, so below the space too.
    const __m128i special =
        _mm_or_si128(_mm_cmplt_epi8(b, space),
                     _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
  }
  return i;
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
      if (char e = line_escape(c)) {
        append_short_escape(out, e);
      } else {
        append_x_escape(out, c);
      }
      ++i;
      continue;
    }
    std::size_t len = utf8_sequence_length(s.substr(i));
    if (len == 0) {
      append_x_escape(out, c);
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F; some terminals act on them.
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      append_u_escape(out, static_cast<unsigned char>(s[i + 1]));
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

void append_json_escaped(std::string* out, std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Copy the longest run that needs no escaping in one append.
    const size_t run = escape_json_plain_end(s.data(), i, n);
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= n) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = utf8_sequence_length(s.substr(i));
      if (len == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    if (char e = json_short_escape(c)) {
      append_short_escape(out, e);
    } else {
      append_u_escape(out, c);
    }
    ++i;
  }
}

}  // namespace sentinel
