#include "detect/functions/dns_parts.h"

#include <algorithm>
#include <array>

#include "detect/event_view.h"
#include "detect/functions/dns.h"

namespace sentinel::detect::functions {

namespace {

constexpr std::array<std::string_view, 20> kSecondLevel = {
    "ac",  "biz", "co", "com", "edu", "gen", "go", "gob", "gov", "info",
    "ltd", "mil", "ne", "net", "nic", "nom", "or", "org", "plc", "sch"};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool second_level(std::string_view label) {
  return std::any_of(kSecondLevel.begin(), kSecondLevel.end(),
                     [&](std::string_view s) { return iequal(label, s); });
}

// Offset in `name` (no trailing dot) where its base domain starts.
std::size_t base_start(std::string_view name) {
  const std::size_t last = name.rfind('.');
  if (last == std::string_view::npos || last == 0) return 0;
  const std::size_t second = name.rfind('.', last - 1);
  if (second == std::string_view::npos) return 0;
  const std::string_view tld = name.substr(last + 1);
  const std::string_view sld = name.substr(second + 1, last - second - 1);
  if (tld.size() == 2 && second_level(sld) && second > 0) {
    const std::size_t third = name.rfind('.', second - 1);
    return third == std::string_view::npos ? 0 : third + 1;
  }
  return second + 1;
}

}  // namespace

std::string_view dns_base_domain(std::string_view name, std::string* buf) {
  name = strip_dot(name);
  const std::string_view base = name.substr(base_start(name));
  buf->assign(base);
  for (char& c : *buf) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return *buf;
}

std::string_view dns_base_label(std::string_view name, std::string* buf) {
  dns_base_domain(name, buf);
  const std::size_t dot = buf->find('.');
  if (dot != std::string::npos) buf->resize(dot);
  return *buf;
}

int dns_subdomain_length(std::string_view name) {
  name = strip_dot(name);
  const std::size_t start = base_start(name);
  return start == 0 ? 0 : static_cast<int>(start - 1);
}

bool DnsBaseDomainFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                 std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  thread_local std::string part;  // no allocation per event once warm
  dns_base_domain(text, &part);
  buf->assign(part);
  *out = Value{};
  out->kind = Value::Kind::kString;
  out->str = *buf;
  return true;
}

bool DnsSubdomainLengthFunction::call(const EventView& ev, const std::vector<FieldRef>& args,
                                      Value* out, std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  *out = Value{};
  out->kind = Value::Kind::kNumber;
  out->number = dns_subdomain_length(text);
  return true;
}

bool DnsBaseLabelFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  thread_local std::string part;  // no allocation per event once warm
  dns_base_label(text, &part);
  buf->assign(part);
  *out = Value{};
  out->kind = Value::Kind::kString;
  out->str = *buf;
  return true;
}

bool DnsBaseLabelEntropyFunction::call(const EventView& ev, const std::vector<FieldRef>& args,
                                       Value* out, std::string* buf) const {
  std::string_view text;
  if (args.size() != 1 || !first_text(ev, args[0], &text, buf)) return false;
  thread_local std::string part;
  *out = Value{};
  out->kind = Value::Kind::kNumber;
  out->number = shannon_entropy(dns_base_label(text, &part));
  return true;
}

}  // namespace sentinel::detect::functions
