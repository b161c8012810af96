#pragma once
/// A DNS name split into its base domain (the registered name) and the subdomain in front of
/// it, for tunnelling and DGA detections: `dns_base_domain(name)`, `dns_subdomain_length(name)`,
/// `dns_base_label(name)` and `dns_base_label_entropy(name)`.
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

/// The first label of the base domain (the name its owner registered): `example` for
/// `www.example.co.uk.`, `x7kq9z2v` for `a.x7kq9z2v.com`. Lowercased, into *buf.
std::string_view dns_base_label(std::string_view name, std::string* buf);

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

/// `dns_base_label(field)`: text.
class DnsBaseLabelFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `dns_base_label_entropy(field)`: shannon_entropy of dns_base_label (a number). Generated
/// (DGA) names are random in the label their owner registers; CDN, load-balancer and database
/// endpoints are random in a label below a well-known base (`d1x2...`.cloudfront.net).
class DnsBaseLabelEntropyFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

}  // namespace sentinel::detect::functions
