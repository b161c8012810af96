#include "detect/functions/ip.h"

#include <charconv>

#include "detect/functions/dns.h"
#include "enrich/aws_ranges.h"
#include "enrich/geo.h"
#include "enrich/lists.h"

namespace sentinel::detect::functions {

namespace {

bool field_ip(const EventView& ev, const std::vector<FieldRef>& args, IpAddr* ip) {
  Value v;
  return args.size() == 1 && first_value(ev, args[0], &v) && ip_of(v, ip);
}

void set_string(Value* out, std::string_view s) {
  *out = Value{};
  out->kind = Value::Kind::kString;
  out->str = s;
}

}  // namespace

bool ip_of(const Value& v, IpAddr* out) {
  if (v.ip != nullptr) {
    *out = *v.ip;
    return true;
  }
  return v.kind == Value::Kind::kString && IpAddr::parse(v.str, out);
}

bool IpClassFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                           std::string*) const {
  IpAddr ip;
  if (!field_ip(ev, args, &ip)) return false;
  enrich::IpClass c = enrich::IpClass::kPublic;
  if (ranges_ != nullptr) {
    c = ranges_->classify(ip).cls;
  } else if (enrich::is_private_ip(ip)) {
    c = enrich::IpClass::kPrivate;
  }
  set_string(out, enrich::ip_class_name(c));
  return true;
}

bool AwsServiceFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                              std::string*) const {
  IpAddr ip;
  if (ranges_ == nullptr || !field_ip(ev, args, &ip)) return false;
  const enrich::IpClassification c = ranges_->classify(ip);
  if (c.cls != enrich::IpClass::kAws || c.range == nullptr) return false;
  set_string(out, c.range->service);  // owned by the ranges, which outlive the rules
  return true;
}

bool GeoFieldFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                            std::string* buf) const {
  IpAddr ip;
  if (geo_ == nullptr || !field_ip(ev, args, &ip)) return false;
  enrich::GeoInfo info;
  if (!geo_->lookup(ip, &info)) return false;
  switch (what_) {
    case What::kCountry:
      if (info.country_code.empty()) return false;
      *buf = info.country_code;
      break;
    case What::kAsnOrg:
      if (info.asn_org.empty()) return false;
      *buf = info.asn_org;
      break;
    case What::kCity:
      if (info.city.empty()) return false;
      *buf = info.city;
      break;
    case What::kAsn:
      if (info.asn == 0) return false;
      *out = Value{};
      out->kind = Value::Kind::kNumber;
      out->number = info.asn;
      *buf = std::to_string(info.asn);
      out->str = *buf;
      return true;
  }
  set_string(out, *buf);
  return true;
}

bool AsnFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                       std::string* buf) const {
  Value v;
  if (args.size() != 1 || !first_value(ev, args[0], &v)) return false;
  IpAddr ip;
  if (!ip_of(v, &ip)) {
    if (v.kind != Value::Kind::kString || v.str.empty()) return false;
    buf->assign(v.str);  // not an address: the value names the caller (an AWS service)
    set_string(out, *buf);
    return true;
  }
  enrich::GeoInfo info;
  if (geo_ != nullptr && geo_->lookup(ip, &info) && info.asn != 0) {
    *out = Value{};
    out->kind = Value::Kind::kNumber;
    out->number = info.asn;
    buf->clear();
    char digits[16];
    auto r = std::to_chars(digits, digits + sizeof digits, info.asn);
    buf->assign(digits, r.ptr);
    out->str = *buf;
    return true;
  }
  // The network: the address with its host part zeroed, and the prefix length.
  if (ip.v4) {
    ip.bytes[15] = 0;
  } else {
    for (std::size_t i = 8; i < 16; ++i) ip.bytes[i] = 0;
  }
  buf->clear();
  ip.append_to(buf);
  buf->append(ip.v4 ? "/24" : "/64");
  set_string(out, *buf);
  return true;
}

bool CountryOrAddressFunction::call(const EventView& ev, const std::vector<FieldRef>& args,
                                    Value* out, std::string* buf) const {
  IpAddr ip;
  if (!field_ip(ev, args, &ip)) return false;
  enrich::GeoInfo info;
  if (geo_ != nullptr && geo_->lookup(ip, &info) && !info.country_code.empty()) {
    buf->assign(info.country_code);
  } else {
    buf->clear();
    ip.append_to(buf);
  }
  set_string(out, *buf);
  return true;
}

bool ListFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                        std::string* buf) const {
  Value v;
  if (lists_ == nullptr || args.size() != 1 || !first_value(ev, args[0], &v)) return false;
  if (what_ == What::kTrusted) {
    *out = Value{};
    out->kind = Value::Kind::kBool;
    out->boolean = lists_->trusted(v);
    return true;
  }
  if (!lists_->contains(enrich::ListStore::kAnyThreat, v, buf)) return false;
  set_string(out, *buf);
  return true;
}

}  // namespace sentinel::detect::functions
