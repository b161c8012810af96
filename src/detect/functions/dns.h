#pragma once
/// DNS-name features for detections that need C++: entropy (DGA and tunnelling) and label
/// statistics. Pure functions of the text; all are case-insensitive and ignore one trailing dot.
#include <string_view>

#include "detect/ir/predicate.h"

namespace sentinel::detect::functions {

/// Shannon entropy of `s` in bits per character over its bytes (0 for "" and "aaaa", 2 for
/// "abcd").
double shannon_entropy(std::string_view s);

/// The part of a DNS name that `entropy` measures: the longest label (the leftmost of equally
/// long ones) among all labels but the last (the TLD), lowercased; a one-label name is its own
/// part. `x7kq9z2v.com` → `x7kq9z2v`, `aGVsbG8gd29ybGQ.t.evil.com.` → `agvsbg8gd29ybgq`.
/// Writes into *buf and returns a view of it.
std::string_view dns_entropy_part(std::string_view name, std::string* buf);

/// Entropy of dns_entropy_part(name).
double dns_entropy(std::string_view name);

struct DnsLabelStats {
  int name_length = 0;     ///< bytes, without the trailing dot
  int label_count = 0;     ///< labels ("a.b.c." has 3; "" has 0)
  int longest_label = 0;   ///< bytes of the longest label
  double digit_ratio = 0;  ///< ASCII digits / bytes that are not dots (0 for "")
};
DnsLabelStats dns_label_stats(std::string_view name);

/// `entropy(field)`: dns_entropy of the field's first value (a number).
class EntropyFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `string_entropy(field)`: shannon_entropy of the whole first value, as written.
class StringEntropyFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `dns_label_count`, `dns_longest_label`, `dns_digit_ratio`, `dns_name_length` of the field's
/// first value (a number each).
class DnsLabelStatFunction : public Function {
 public:
  enum class Stat { kLabelCount, kLongestLabel, kDigitRatio, kNameLength };
  explicit DnsLabelStatFunction(Stat stat) : stat_(stat) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  Stat stat_;
};

/// The first non-null value of `f` in `ev` as text (numbers as written or formatted into
/// *buf); false when there is none. Shared by the functions.
bool first_text(const EventView& ev, const FieldRef& f, std::string_view* text, std::string* buf);
/// The first non-null value of `f` in `ev`; false when there is none.
bool first_value(const EventView& ev, const FieldRef& f, Value* out);

/// `name` without one trailing dot.
inline std::string_view strip_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

/// Sets *out to the number `x`.
inline void set_number(Value* out, double x) {
  *out = Value{};
  out->kind = Value::Kind::kNumber;
  out->number = x;
}

}  // namespace sentinel::detect::functions
