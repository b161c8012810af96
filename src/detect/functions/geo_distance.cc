#include "detect/functions/geo_distance.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "detect/functions/dns.h"
#include "detect/functions/ip.h"
#include "enrich/geo.h"

namespace sentinel::detect::functions {

namespace {

constexpr double kPi = 3.14159265358979323846;

double radians(double deg) {
  return deg * kPi / 180.0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view s, double* out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

bool geo_number_of(const EventView& ev, const FieldRef& f, double* out) {
  Value v;
  if (!first_value(ev, f, &v)) return false;
  if (v.kind == Value::Kind::kNumber) {
    *out = v.number;
    return true;
  }
  return v.kind == Value::Kind::kString && parse_double(v.str, out);
}

}  // namespace

double haversine_km(double lat1, double lon1, double lat2, double lon2) {
  const double dlat = radians(lat2 - lat1);
  const double dlon = radians(lon2 - lon1);
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(radians(lat1)) * std::cos(radians(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

bool parse_lat_lon(std::string_view text, double* lat, double* lon) {
  std::size_t comma = text.find(',');
  if (comma == std::string_view::npos) return false;
  if (!parse_double(text.substr(0, comma), lat) || !parse_double(text.substr(comma + 1), lon)) {
    return false;
  }
  return *lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180;
}

bool GeoDistanceFunction::point(const EventView& ev, const FieldRef& f, double* lat,
                                double* lon) const {
  Value v;
  if (!first_value(ev, f, &v)) return false;
  IpAddr ip;
  if (ip_of(v, &ip)) {
    enrich::GeoInfo info;
    if (geo_ == nullptr || !geo_->lookup(ip, &info) || !info.has_location) return false;
    *lat = info.lat;
    *lon = info.lon;
    return true;
  }
  return v.kind == Value::Kind::kString && parse_lat_lon(v.str, lat, lon);
}

bool GeoDistanceFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                               std::string*) const {
  double lat1, lon1, lat2, lon2;
  if (args.size() == 2) {
    if (!point(ev, args[0], &lat1, &lon1) || !point(ev, args[1], &lat2, &lon2)) return false;
  } else if (args.size() == 4) {
    if (!geo_number_of(ev, args[0], &lat1) || !geo_number_of(ev, args[1], &lon1) ||
        !geo_number_of(ev, args[2], &lat2) || !geo_number_of(ev, args[3], &lon2)) {
      return false;
    }
  } else {
    return false;
  }
  *out = Value{};
  out->kind = Value::Kind::kNumber;
  out->number = haversine_km(lat1, lon1, lat2, lon2);
  return true;
}

}  // namespace sentinel::detect::functions
