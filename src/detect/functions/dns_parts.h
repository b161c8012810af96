#pragma once
/// A DNS name split into its base domain (the registered name) and the subdomain in front of
/// it, for tunnelling detections: `dns_base_domain(name)` and `dns_subdomain_length(name)`.
///
/// Without a public-suffix list the base domain is the last two labels, or the last three when
/// the TLD has two letters (a country) and the label before it is one of the generic
/// second-level labels countries register under (`co`, `com`, `net`, `org`, `gov`, `edu`, `ac`,
/// `ne`, `or`, `go`, `gob`, `nic`, `ltd`, `plc`, `mil`, `nom`, `sch`, `gen`, `biz`, `info`):
/// `x.evil.com` → `evil.com`, `a.b.example.co.uk.` → `example.co.uk`. Case-folded, one trailing
/// dot ignored. A name of one or two labels is its own base domain.
#include <string>
#include <string_view>

#include "detect/ir/predicate.h"

namespace sentinel::detect::functions {

/// The base domain of `name`, lowercased, without a trailing dot. Writes into *buf.
std::string_view dns_base_domain(std::string_view name, std::string* buf);

/// Bytes of `name` in front of its base domain, without the joining dot (0 when none).
int dns_subdomain_length(std::string_view name);

/// `dns_base_domain(field)`: text.
class DnsBaseDomainFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `dns_subdomain_length(field)`: a number.
class DnsSubdomainLengthFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

}  // namespace sentinel::detect::functions
