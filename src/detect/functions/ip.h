#pragma once
/// Functions over addresses: `ip_class`, `aws_service`, `country`, `asn`, `threat_list`,
/// `is_trusted`. Each reads the first non-null value of its one field argument: a typed address
/// (flows) or text that parses as IPv4/IPv6 (anything else: no value).
#include "detect/ir/predicate.h"

namespace sentinel::enrich {
class AwsRanges;
class GeoDb;
class ListStore;
}  // namespace sentinel::enrich

namespace sentinel::detect::functions {

/// The address in `v` (typed, or parsed from text); false when it holds none.
bool ip_of(const Value& v, IpAddr* out);

/// `ip_class(field)` → "private", "aws" or "public". Private ranges always; AWS ranges when
/// `ranges` is non-null (otherwise every non-private address is "public").
class IpClassFunction : public Function {
 public:
  explicit IpClassFunction(const enrich::AwsRanges* ranges) : ranges_(ranges) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::AwsRanges* ranges_;
};

/// `aws_service(field)` → the AWS service of the address (`EC2`, `S3`, ..., `AMAZON` when AWS
/// lists it under no narrower service); no value for addresses outside AWS.
class AwsServiceFunction : public Function {
 public:
  explicit AwsServiceFunction(const enrich::AwsRanges* ranges) : ranges_(ranges) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::AwsRanges* ranges_;
};

/// `country(field)` → ISO 3166 country code (`DE`); `asn(field)` → AS number (a number);
/// `asn_org(field)` → AS organisation. No value when the database does not know the address.
class GeoFieldFunction : public Function {
 public:
  enum class What { kCountry, kAsn, kAsnOrg, kCity };
  GeoFieldFunction(const enrich::GeoDb* geo, What what) : geo_(geo), what_(what) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::GeoDb* geo_;
  What what_;
};

/// `asn(field)` as rules use it: the AS number when a geo database with ASN data knows the
/// address (a number, as GeoFieldFunction), else the address's network as text: `a.b.c.0/24`
/// for IPv4, the `/64` for IPv6 (`2001:db8:1:2::/64`); a value that is not an address (CloudTrail
/// writes a service name such as `lambda.amazonaws.com` there) is returned as it is. So a rule
/// keyed on the caller's network works without a database, at /24 granularity, and with one
/// still tells apart the addresses the database does not know. `geo` may be null.
class AsnFunction : public Function {
 public:
  explicit AsnFunction(const enrich::GeoDb* geo) : geo_(geo) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::GeoDb* geo_;
};

/// `country_or_address(field)`: where an address is, as coarsely as the data allows: its ISO
/// country code when a geo database knows it, else the address itself (canonical text), so a
/// rule counting places (ConsoleLoginSuccess.B) counts countries with a database and distinct
/// addresses without one. No value for a value that is not an address. `geo` may be null.
class CountryOrAddressFunction : public Function {
 public:
  explicit CountryOrAddressFunction(const enrich::GeoDb* geo) : geo_(geo) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::GeoDb* geo_;
};

/// `threat_list(field)` → display name of the first threat list holding the value (an address
/// or a domain), with trusted beating threat; `is_trusted(field)` → a boolean.
class ListFunction : public Function {
 public:
  enum class What { kThreatList, kTrusted };
  ListFunction(const enrich::ListStore* lists, What what) : lists_(lists), what_(what) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  const enrich::ListStore* lists_;
  What what_;
};

}  // namespace sentinel::detect::functions
