#pragma once
/// Optional geolocation and ASN lookups in MaxMind databases (GeoLite2/GeoIP2 City and ASN,
/// or GeoIP2 ISP), producing GuardDuty's `remoteIpDetails`.
///
/// Either database may be absent; lookups then leave those fields empty. Fields read:
/// City DB: `country.iso_code`, `country.names.en` (falling back to `registered_country`),
/// `city.names.en`, `location.latitude`, `location.longitude`. ASN DB:
/// `autonomous_system_number`, `autonomous_system_organization`, and `isp` / `organization`
/// when the database has them (GeoIP2 ISP); otherwise isp and org repeat the AS organisation,
/// as GuardDuty's findings usually do.
///
/// Thread-safety: open at start-up; lookups are safe from any number of threads (the
/// databases are memory-mapped and read-only). Owns the mappings; closes them on destruction.
#include <cstdint>
#include <memory>
#include <string>

#include "core/ip.h"
#include "core/json_writer.h"
#include "core/result.h"

namespace sentinel::enrich {

struct GeoInfo {
  bool found = false;  ///< some database had the address
  std::string country_code;
  std::string country_name;
  std::string city;
  bool has_location = false;
  double lat = 0;
  double lon = 0;
  uint32_t asn = 0;  ///< 0: unknown
  std::string asn_org;
  std::string isp;
  std::string org;
};

class GeoDb {
 public:
  /// Opens the databases; an empty path skips that one. Errors `geo_db_unreadable` (cannot
  /// open or not a MaxMind DB) name the file.
  static Result<std::unique_ptr<GeoDb>> open(const std::string& city_path,
                                             const std::string& asn_path);
  ~GeoDb();
  GeoDb(const GeoDb&) = delete;
  GeoDb& operator=(const GeoDb&) = delete;

  bool has_city() const { return city_ != nullptr; }
  bool has_asn() const { return asn_ != nullptr; }

  /// Looks `ip` up in both databases; false (and *out reset) when neither knows it.
  bool lookup(const IpAddr& ip, GeoInfo* out) const;

 private:
  GeoDb() = default;
  struct Db;
  std::unique_ptr<Db> city_;
  std::unique_ptr<Db> asn_;
};

/// Writes GuardDuty's remoteIpDetails object for `ip`: `ipAddressV4` or `ipAddressV6`, and,
/// from `geo` when it is non-null and found, `city {cityName}`, `country {countryCode,
/// countryName}`, `geoLocation {lat, lon}`, `organization {asn (a string), asnOrg, isp, org}`;
/// members with no data are left out.
void write_remote_ip_details(const IpAddr& ip, const GeoInfo* geo, JsonWriter* w);

}  // namespace sentinel::enrich
