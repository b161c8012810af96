#include "detect/functions/registry.h"

#include "detect/functions/aws_network.h"
#include "detect/functions/dns.h"
#include "detect/functions/dns_parts.h"
#include "detect/functions/flow.h"
#include "detect/functions/geo_distance.h"
#include "detect/functions/ip.h"
#include "detect/functions/policy.h"

namespace sentinel::detect {

using functions::DnsLabelStatFunction;

void FunctionRegistry::add(std::string name, std::unique_ptr<Function> fn, std::vector<int> arities,
                           std::string summary) {
  Entry e;
  e.fn = std::move(fn);
  e.arities = std::move(arities);
  e.summary = std::move(summary);
  entries_.insert_or_assign(std::move(name), std::move(e));
}

void FunctionRegistry::add_builtins() {
  add("entropy", std::make_unique<functions::EntropyFunction>(), {1},
      "Shannon entropy (bits/char) of the longest label of a DNS name, TLD excluded");
  add("string_entropy", std::make_unique<functions::StringEntropyFunction>(), {1},
      "Shannon entropy (bits/char) of the whole value");
  add("dns_label_count",
      std::make_unique<DnsLabelStatFunction>(DnsLabelStatFunction::Stat::kLabelCount), {1},
      "number of labels in a DNS name");
  add("dns_longest_label",
      std::make_unique<DnsLabelStatFunction>(DnsLabelStatFunction::Stat::kLongestLabel), {1},
      "length of the longest label of a DNS name");
  add("dns_digit_ratio",
      std::make_unique<DnsLabelStatFunction>(DnsLabelStatFunction::Stat::kDigitRatio), {1},
      "digits / non-dot characters of a DNS name");
  add("dns_name_length",
      std::make_unique<DnsLabelStatFunction>(DnsLabelStatFunction::Stat::kNameLength), {1},
      "length of a DNS name without its trailing dot");
  add("ip_class", std::make_unique<functions::IpClassFunction>(nullptr), {1},
      "\"private\" or \"public\" (\"aws\" too when AWS IP ranges are loaded)");
  add("geo_distance_km", std::make_unique<functions::GeoDistanceFunction>(nullptr), {2, 4},
      "great-circle km between two \"lat,lon\" fields (or IPs with a geo database), or "
      "lat1, lon1, lat2, lon2");
  add("ratio", std::make_unique<functions::RatioFunction>(), {2},
      "a / b (mean packet size: ratio(bytes, packets))");
  add("per_second", std::make_unique<functions::PerSecondFunction>(), {3},
      "v / max(1, end - start): a flow's rate");
  add("is_service_port", std::make_unique<functions::IsServicePortFunction>(), {1},
      "whether a port names a service (< 1024 or a common registered one)");
  add("flow_to_service", std::make_unique<functions::FlowToServiceFunction>(), {2},
      "whether (srcport, dstport) is the client-to-service side of a connection");
  add("dns_base_domain", std::make_unique<functions::DnsBaseDomainFunction>(), {1},
      "the registered domain of a DNS name (last two labels, three under co.uk-like suffixes)");
  add("base_domain", std::make_unique<functions::DnsBaseDomainFunction>(), {1},
      "dns_base_domain under its short name: a DNS name's registered domain");
  add("registrable_domain", std::make_unique<functions::DnsBaseDomainFunction>(), {1},
      "dns_base_domain under the Public Suffix List's name for it");
  add("country_or_address", std::make_unique<functions::CountryOrAddressFunction>(nullptr), {1},
      "ISO country code of an address (with a geo database), else the address itself");
  add("asn", std::make_unique<functions::AsnFunction>(nullptr), {1},
      "AS number of an address (with a geo ASN database), else its network: a.b.c.0/24, "
      "the /64 for IPv6");
  add("dns_subdomain_length", std::make_unique<functions::DnsSubdomainLengthFunction>(), {1},
      "bytes of a DNS name in front of its base domain");
  add("dns_base_label", std::make_unique<functions::DnsBaseLabelFunction>(), {1},
      "the first label of a DNS name's base domain (the label its owner registered)");
  add("dns_base_label_entropy", std::make_unique<functions::DnsBaseLabelEntropyFunction>(), {1},
      "Shannon entropy (bits/char) of dns_base_label");
  add("policy_exposure", std::make_unique<functions::PolicyExposureFunction>(), {1, 2},
      "who an IAM/S3 policy in the request lets in: anonymous, cross_account or none");
  add("fields_differ", std::make_unique<functions::FieldsDifferFunction>(), {2},
      "whether two fields of the event hold different values");
  add("foreign_arn", std::make_unique<functions::ForeignArnFunction>(), {2},
      "whether an ARN among the first field's values names an account other than the second "
      "field's value");
  add("aws_network", std::make_unique<functions::AwsNetworkFunction>(nullptr), {1},
      "\"private\", \"aws\" or \"external\" (no value without AWS IP ranges)");
}

void FunctionRegistry::add_enrichment(const EnrichmentData& data) {
  using functions::GeoFieldFunction;
  using functions::ListFunction;
  if (data.ranges != nullptr) {
    add("ip_class", std::make_unique<functions::IpClassFunction>(data.ranges), {1},
        "\"private\", \"aws\" or \"public\"");
    add("aws_network", std::make_unique<functions::AwsNetworkFunction>(data.ranges), {1},
        "\"private\", \"aws\" or \"external\" (AWS IP ranges loaded)");
    add("aws_service", std::make_unique<functions::AwsServiceFunction>(data.ranges), {1},
        "AWS service of an address in the AWS IP ranges (EC2, S3, ..., AMAZON)");
  }
  if (data.geo != nullptr) {
    add("country", std::make_unique<GeoFieldFunction>(data.geo, GeoFieldFunction::What::kCountry),
        {1}, "ISO country code of an address");
    add("country_or_address", std::make_unique<functions::CountryOrAddressFunction>(data.geo), {1},
        "ISO country code of an address, or the address when the database has no country");
    add("asn", std::make_unique<functions::AsnFunction>(data.geo), {1},
        "autonomous system number of an address; its network (a.b.c.0/24, IPv6 /64) when the "
        "database has no AS for it");
    add("asn_org", std::make_unique<GeoFieldFunction>(data.geo, GeoFieldFunction::What::kAsnOrg),
        {1}, "autonomous system organisation of an address");
    add("city", std::make_unique<GeoFieldFunction>(data.geo, GeoFieldFunction::What::kCity), {1},
        "city name of an address");
    add("geo_distance_km", std::make_unique<functions::GeoDistanceFunction>(data.geo), {2, 4},
        "great-circle km between two points: \"lat,lon\" fields or located IPs, or "
        "lat1, lon1, lat2, lon2");
  }
  if (data.lists != nullptr) {
    add("threat_list", std::make_unique<ListFunction>(data.lists, ListFunction::What::kThreatList),
        {1}, "name of the first threat list holding the value (trusted lists win)");
    add("is_trusted", std::make_unique<ListFunction>(data.lists, ListFunction::What::kTrusted), {1},
        "whether the value is on a trusted list");
  }
}

const FunctionRegistry& FunctionRegistry::builtin() {
  static const FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry();
    r->add_builtins();
    return r;
  }();
  return *registry;
}

FunctionRegistry FunctionRegistry::with_enrichment(const EnrichmentData& data) {
  FunctionRegistry r;
  r.add_builtins();
  r.add_enrichment(data);
  return r;
}

const Function* FunctionRegistry::find(std::string_view name) const {
  const Entry* e = entry(name);
  return e == nullptr ? nullptr : e->fn.get();
}

const FunctionRegistry::Entry* FunctionRegistry::entry(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

bool FunctionRegistry::check_call(std::string_view name, std::size_t args,
                                  std::string* error) const {
  const Entry* e = entry(name);
  if (e == nullptr) {
    *error =
        "unknown function '" + std::string(name) +
        "' (some need data: aws_service needs AWS IP ranges, country/city/asn_org a geo database, "
        "threat_list/is_trusted lists)";
    return false;
  }
  for (int n : e->arities) {
    if (static_cast<std::size_t>(n) == args) return true;
  }
  *error = "function '" + std::string(name) + "' takes ";
  for (std::size_t i = 0; i < e->arities.size(); ++i) {
    if (i > 0) *error += i + 1 == e->arities.size() ? " or " : ", ";
    *error += std::to_string(e->arities[i]);
  }
  *error += e->arities.size() == 1 && e->arities[0] == 1 ? " argument" : " arguments";
  *error += ", got " + std::to_string(args);
  return false;
}

std::vector<std::string> FunctionRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

}  // namespace sentinel::detect
