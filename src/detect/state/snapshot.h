#pragma once
/// The byte codec of detection state snapshots (Engine::save_state): varints, zigzag varints,
/// IEEE doubles by their bits, length-prefixed strings. Little-endian, no alignment, no padding,
/// so a snapshot is the same bytes on every machine for the same state.
///
/// The reader is for untrusted bytes (a snapshot file may be truncated or corrupt): every read
/// checks the remaining length, a failure is sticky (later reads return zero values), and
/// `count()` refuses element counts larger than the bytes left, so a corrupt length can never
/// make a restore allocate without bound.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sentinel::detect::state {

class SnapshotWriter {
 public:
  explicit SnapshotWriter(std::string* out) : out_(out) {}

  void u64(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void i64(int64_t v) {
    u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));  // zigzag
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void boolean(bool v) { out_->push_back(v ? '\1' : '\0'); }
  void str(std::string_view s) {
    u64(s.size());
    out_->append(s.data(), s.size());
  }
  std::string* out() { return out_; }

 private:
  std::string* out_;
};

class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view in) : in_(in) {}

  uint64_t u64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail("truncated number");
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail("number longer than 64 bits");
  }
  int64_t i64() {
    const uint64_t z = u64();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  double f64() {
    if (in_.size() - pos_ < 8) return static_cast<double>(fail("truncated number"));
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= uint64_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
    pos_ += 8;
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  bool boolean() {
    if (pos_ >= in_.size()) return fail("truncated flag") != 0;
    const char c = in_[pos_++];
    if (c != '\0' && c != '\1') fail("bad flag byte");
    return c == '\1';
  }
  std::string str() {
    const uint64_t n = u64();
    if (failed_) return {};
    if (n > in_.size() - pos_) {
      fail("string longer than the snapshot");
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::string_view view(std::size_t n) {
    if (failed_ || n > in_.size() - pos_) {
      fail("truncated");
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  /// An element count: refused (0 and failed) when larger than the bytes left, since every
  /// element takes at least one byte.
  uint64_t count() {
    const uint64_t n = u64();
    if (n > in_.size() - pos_) return fail("count larger than the snapshot");
    return n;
  }

  bool ok() const { return !failed_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t offset() const { return pos_; }
  const std::string& error() const { return error_; }
  /// Marks the snapshot bad with `why` (the first reason is kept); returns 0.
  uint64_t fail(const char* why) {
    if (!failed_) {
      failed_ = true;
      error_ = std::string(why) + " at byte " + std::to_string(pos_);
    }
    pos_ = in_.size();
    return 0;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace sentinel::detect::state
