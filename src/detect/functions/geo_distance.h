#pragma once
/// Great-circle distance, for "impossible travel" and console-login geo-spread detections.
#include "detect/ir/predicate.h"

namespace sentinel::enrich {
class GeoDb;
}

namespace sentinel::detect::functions {

/// Mean Earth radius used by haversine_km (IUGG, km).
inline constexpr double kEarthRadiusKm = 6371.0088;

/// Haversine distance in km between two points in decimal degrees. Accurate to about 0.5%
/// (the Earth is not a sphere); fine for "farther than 500 km".
double haversine_km(double lat1, double lon1, double lat2, double lon2);

/// Parses "lat,lon" (decimal degrees, optional spaces; lat in [-90, 90], lon in [-180, 180]).
bool parse_lat_lon(std::string_view text, double* lat, double* lon);

/// `geo_distance_km(a, b)`: distance in km between two points, each field holding either
/// "lat,lon" text or an IP address located through the geo database (when one is loaded and
/// knows the address). `geo_distance_km(lat1, lon1, lat2, lon2)` with four numeric fields also
/// works. No value when a point cannot be placed.
class GeoDistanceFunction : public Function {
 public:
  explicit GeoDistanceFunction(const enrich::GeoDb* geo) : geo_(geo) {}
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;

 private:
  bool point(const EventView& ev, const FieldRef& f, double* lat, double* lon) const;
  const enrich::GeoDb* geo_;
};

}  // namespace sentinel::detect::functions
