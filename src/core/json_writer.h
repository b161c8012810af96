#pragma once
/// A small append-only JSON writer. Strings are escaped per RFC 8259; invalid UTF-8 is replaced
/// with U+FFFD so output is always valid JSON. Not thread-safe; one per thread.
#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  /// Writes an object key (call inside an object, before the value).
  void key(std::string_view k);
  void string(std::string_view s);
  void number(int64_t v);
  void number(uint64_t v);
  void number(double v);
  void boolean(bool v);
  void null();
  /// Writes already-serialised JSON as the next value. The caller guarantees it is valid JSON
  /// without raw newlines (use minify first for pretty-printed input).
  void raw(std::string_view json);

  /// key + value helpers.
  void field(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void field(std::string_view k, const char* v) {
    key(k);
    string(v);
  }
  void field(std::string_view k, int64_t v) {
    key(k);
    number(v);
  }
  void field(std::string_view k, uint64_t v) {
    key(k);
    number(v);
  }
  void field(std::string_view k, int v) {
    key(k);
    number(static_cast<int64_t>(v));
  }
  void field(std::string_view k, double v) {
    key(k);
    number(v);
  }
  void field(std::string_view k, bool v) {
    key(k);
    boolean(v);
  }

  std::string* out() { return out_; }

 private:
  void separate();
  std::string* out_;
  bool need_comma_ = false;
};

/// Appends `s` to `out` as a JSON string body (no quotes), escaping control characters, quotes and
/// backslashes, and replacing invalid UTF-8 with U+FFFD.
void append_json_escaped(std::string* out, std::string_view s);

}  // namespace sentinel
