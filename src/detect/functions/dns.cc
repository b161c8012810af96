#include "detect/functions/dns.h"
#include "core/ascii.h"

#include <array>
#include <charconv>
#include <cmath>

namespace sentinel::detect::functions {

namespace {}  // namespace

bool first_value(const EventView& ev, const FieldRef& f, Value* out) {
  bool found = false;
  ev.any(f, [&](const Value& v) {
    if (v.kind == Value::Kind::kNull) return false;
    *out = v;
    found = true;
    return true;
  });
  return found;
}

bool first_text(const EventView& ev, const FieldRef& f, std::string_view* text, std::string* buf) {
  Value v;
  if (!first_value(ev, f, &v)) return false;
  switch (v.kind) {
    case Value::Kind::kString:
      *text = v.str;
      return true;
    case Value::Kind::kNumber: {
      if (!v.str.empty()) {
        *text = v.str;
        return true;
      }
      char tmp[32];
      auto r = std::to_chars(tmp, tmp + sizeof tmp, v.number);
      buf->assign(tmp, r.ptr);
      *text = *buf;
      return true;
    }
    case Value::Kind::kBool:
      *text = v.boolean ? "true" : "false";
      return true;
    case Value::Kind::kNull:
      return false;
  }
  return false;
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<uint32_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  const double n = static_cast<double>(s.size());
  double h = 0;
  for (uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h == 0 ? 0 : h;  // no -0
}

std::string_view dns_entropy_part(std::string_view name, std::string* buf) {
  name = strip_dot(name);
  std::string_view best;
  std::size_t last_dot = name.rfind('.');
  std::string_view head = last_dot == std::string_view::npos ? name : name.substr(0, last_dot);
  while (true) {
    std::size_t dot = head.find('.');
    std::string_view label = head.substr(0, dot);
    if (label.size() > best.size()) best = label;
    if (dot == std::string_view::npos) break;
    head.remove_prefix(dot + 1);
  }
  buf->resize(best.size());
  for (std::size_t i = 0; i < best.size(); ++i) (*buf)[i] = ascii_lower(best[i]);
  return *buf;
}

double dns_entropy(std::string_view name) {
  std::string buf;
  return shannon_entropy(dns_entropy_part(name, &buf));
}

DnsLabelStats dns_label_stats(std::string_view name) {
  name = strip_dot(name);
  DnsLabelStats s;
  s.name_length = static_cast<int>(name.size());
  if (name.empty()) return s;
  int digits = 0, non_dot = 0, cur = 0;
  s.label_count = 1;
  for (char c : name) {
    if (c == '.') {
      ++s.label_count;
      cur = 0;
      continue;
    }
    ++non_dot;
    if (c >= '0' && c <= '9') ++digits;
    if (++cur > s.longest_label) s.longest_label = cur;
  }
  s.digit_ratio = non_dot == 0 ? 0 : static_cast<double>(digits) / non_dot;
  return s;
}

bool EntropyFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                           std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  thread_local std::string part;  // no allocation per event once warm
  set_number(out, shannon_entropy(dns_entropy_part(text, &part)));
  return true;
}

bool StringEntropyFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                 std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  set_number(out, shannon_entropy(text));
  return true;
}

bool DnsLabelStatFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  const DnsLabelStats s = dns_label_stats(text);
  switch (stat_) {
    case Stat::kLabelCount:
      set_number(out, s.label_count);
      break;
    case Stat::kLongestLabel:
      set_number(out, s.longest_label);
      break;
    case Stat::kDigitRatio:
      set_number(out, s.digit_ratio);
      break;
    case Stat::kNameLength:
      set_number(out, s.name_length);
      break;
  }
  return true;
}

}  // namespace sentinel::detect::functions
