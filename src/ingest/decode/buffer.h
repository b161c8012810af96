#pragma once
/// A reusable byte buffer that always keeps kPadding zeroed bytes after its contents, so that
/// parsers can hand any sub-span to simdjson. Grows, never shrinks; one per worker thread.
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "ingest/parser.h"

namespace sentinel::ingest {

class PaddedBuffer {
 public:
  /// Makes room for `n` bytes of contents (plus padding); keeps the first size() bytes.
  void reserve(std::size_t n) {
    if (n + kPadding <= cap_) return;
    std::size_t cap = cap_ == 0 ? 4096 : cap_;
    while (cap < n + kPadding) cap *= 2;
    std::unique_ptr<char[]> d(new char[cap]);
    if (size_ > 0) std::memcpy(d.get(), data_.get(), size_);
    data_ = std::move(d);
    cap_ = cap;
  }
  /// Sets the size (≤ capacity) and zeroes the padding after it.
  void set_size(std::size_t n) {
    reserve(n);
    size_ = n;
    std::memset(data_.get() + n, 0, kPadding);
  }
  char* data() { return data_.get(); }
  std::size_t size() const { return size_; }
  /// Usable bytes before the padding.
  std::size_t capacity() const { return cap_ < kPadding ? 0 : cap_ - kPadding; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sentinel::ingest
