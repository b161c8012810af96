#include "core/json_writer.h"

#include <charconv>
#include <cmath>

namespace sentinel {

namespace {
template <typename T>
void append_chars(std::string* out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}
}  // namespace

// append_json_escaped is in escape.cc, beside the terminal escaper it shares its forms with.

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
  append_chars(out_, v);
}

void JsonWriter::number(uint64_t v) {
  separate();
  append_chars(out_, v);
}

void JsonWriter::number(double v) {
  if (!std::isfinite(v)) {
    null();
    return;
  }
  separate();
  append_chars(out_, v);
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
