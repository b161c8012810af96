#pragma once
/// Minimal streaming JSON appender used by the generators. Writes compact JSON into a
/// caller-owned std::string; the caller guarantees well-formed nesting. Not thread-safe.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace sentinel::sim {

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  void begin_object() {
    value_prefix();
    out_ += '{';
    push();
  }
  void end_object() {
    out_ += '}';
    --depth_;
  }
  void begin_array() {
    value_prefix();
    out_ += '[';
    push();
  }
  void end_array() {
    out_ += ']';
    --depth_;
  }

  /// Writes `"name":`; the next value written belongs to it.
  void key(std::string_view name) {
    separator();
    out_ += '"';
    out_ += name;  // keys are our own ASCII identifiers: no escaping needed
    out_ += "\":";
    after_key_ = true;
  }

  void string(std::string_view s) {
    value_prefix();
    append_escaped(s);
  }
  void number(std::int64_t v) {
    value_prefix();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void boolean(bool v) {
    value_prefix();
    out_ += v ? "true" : "false";
  }
  void null() {
    value_prefix();
    out_ += "null";
  }
  /// Writes `json` as a value unchanged; the caller guarantees it is well-formed JSON.
  void raw(std::string_view json) {
    value_prefix();
    out_ += json;
  }
  void kv_raw(std::string_view k, std::string_view json) {
    key(k);
    raw(json);
  }

  void kv(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void kv(std::string_view k, const char* v) {
    key(k);
    string(v);
  }
  void kv(std::string_view k, const std::string& v) {
    key(k);
    string(v);
  }
  void kv_num(std::string_view k, std::int64_t v) {
    key(k);
    number(v);
  }
  void kv_bool(std::string_view k, bool v) {
    key(k);
    boolean(v);
  }
  void kv_null(std::string_view k) {
    key(k);
    null();
  }
  void obj(std::string_view k) {
    key(k);
    begin_object();
  }
  void arr(std::string_view k) {
    key(k);
    begin_array();
  }

  std::string& buffer() { return out_; }

 private:
  void push() {
    ++depth_;
    first_[depth_] = true;
  }
  void separator() {
    if (!first_[depth_]) out_ += ',';
    first_[depth_] = false;
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
    } else if (depth_ > 0) {
      separator();
    }
  }
  void append_escaped(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c == '\t') {
        out_ += "\\t";
      } else if (u < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[u >> 4];
        out_ += kHex[u & 15];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string& out_;
  int depth_ = 0;
  bool after_key_ = false;
  bool first_[32] = {};
};

/// `s` as a JSON string, quotes included.
inline std::string json_quoted(std::string_view s) {
  std::string out;
  JsonOut j(out);
  j.string(s);
  return out;
}

}  // namespace sentinel::sim
