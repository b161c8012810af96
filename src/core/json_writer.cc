#include "core/json_writer.h"

#include <charconv>
#include <cmath>

#include "core/utf8.h"

namespace sentinel {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}

void append_json_escaped(std::string* out, std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    // Copy the longest run that needs no escaping in one append.
    size_t run = i;
    while (run < n) {
      auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
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
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(buf, 6);
      }
    }
    ++i;
  }
}

void JsonWriter::separate() {
  if (need_comma_) out_->push_back(',');
  need_comma_ = true;
}

void JsonWriter::begin_object() {
  separate();
  out_->push_back('{');
  need_comma_ = false;
}

void JsonWriter::end_object() {
  out_->push_back('}');
  need_comma_ = true;
}

void JsonWriter::begin_array() {
  separate();
  out_->push_back('[');
  need_comma_ = false;
}

void JsonWriter::end_array() {
  out_->push_back(']');
  need_comma_ = true;
}

void JsonWriter::key(std::string_view k) {
  separate();
  out_->push_back('"');
  append_json_escaped(out_, k);
  out_->append("\":");
  need_comma_ = false;
}

void JsonWriter::string(std::string_view s) {
  separate();
  out_->push_back('"');
  append_json_escaped(out_, s);
  out_->push_back('"');
}

void JsonWriter::number(int64_t v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void JsonWriter::number(uint64_t v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void JsonWriter::number(double v) {
  if (!std::isfinite(v)) {
    null();
    return;
  }
  separate();
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void JsonWriter::boolean(bool v) {
  separate();
  out_->append(v ? "true" : "false");
}

void JsonWriter::null() {
  separate();
  out_->append("null");
}

void JsonWriter::raw(std::string_view json) {
  separate();
  out_->append(json);
}

}  // namespace sentinel
