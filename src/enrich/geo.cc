#include "enrich/geo.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cstring>

#include "enrich/prefix_table.h"

namespace sentinel::enrich {

struct GeoDb::Db {
  MMDB_s mmdb{};
  ~Db() { MMDB_close(&mmdb); }
};

namespace {

bool lookup_entry(MMDB_s* mmdb, const IpAddr& addr, MMDB_lookup_result_s* out) {
  const IpAddr ip = unmap_v4(addr);
  int mmdb_error = MMDB_SUCCESS;
  if (ip.v4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::memcpy(&sa.sin_addr, ip.bytes.data() + 12, 4);
    *out = MMDB_lookup_sockaddr(mmdb, reinterpret_cast<const sockaddr*>(&sa), &mmdb_error);
  } else {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    std::memcpy(&sa.sin6_addr, ip.bytes.data(), 16);
    *out = MMDB_lookup_sockaddr(mmdb, reinterpret_cast<const sockaddr*>(&sa), &mmdb_error);
  }
  return mmdb_error == MMDB_SUCCESS && out->found_entry;
}

// MMDB_aget_value takes a NULL-terminated path array.
bool get_string(MMDB_entry_s* entry, const char* const* path, std::string* out) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return false;
  }
  out->assign(data.utf8_string, data.data_size);
  return true;
}

bool get_number(MMDB_entry_s* entry, const char* const* path, double* out) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return false;
  switch (data.type) {
    case MMDB_DATA_TYPE_DOUBLE:
      *out = data.double_value;
      return true;
    case MMDB_DATA_TYPE_FLOAT:
      *out = data.float_value;
      return true;
    case MMDB_DATA_TYPE_UINT16:
      *out = data.uint16;
      return true;
    case MMDB_DATA_TYPE_UINT32:
      *out = data.uint32;
      return true;
    case MMDB_DATA_TYPE_INT32:
      *out = data.int32;
      return true;
    case MMDB_DATA_TYPE_UINT64:
      *out = static_cast<double>(data.uint64);
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::unique_ptr<GeoDb>> GeoDb::open(const std::string& city_path,
                                           const std::string& asn_path) {
  std::unique_ptr<GeoDb> db(new GeoDb());
  for (auto [path, slot] : {std::pair{&city_path, &db->city_}, std::pair{&asn_path, &db->asn_}}) {
    if (path->empty()) continue;
    auto d = std::make_unique<Db>();
    int status = MMDB_open(path->c_str(), MMDB_MODE_MMAP, &d->mmdb);
    if (status != MMDB_SUCCESS) {
      // MMDB_open frees what it allocated on failure; a zeroed struct is safe to close.
      std::memset(&d->mmdb, 0, sizeof d->mmdb);
      return Error{"geo_db_unreadable",
                   "cannot open MaxMind database '" + *path + "': " + MMDB_strerror(status)};
    }
    *slot = std::move(d);
  }
  return db;
}

GeoDb::~GeoDb() = default;

bool GeoDb::lookup(const IpAddr& ip, GeoInfo* out) const {
  *out = GeoInfo{};
  MMDB_lookup_result_s r{};
  if (city_ != nullptr && lookup_entry(&city_->mmdb, ip, &r)) {
    out->found = true;
    static const char* const kCode[] = {"country", "iso_code", nullptr};
    static const char* const kName[] = {"country", "names", "en", nullptr};
    static const char* const kRegCode[] = {"registered_country", "iso_code", nullptr};
    static const char* const kRegName[] = {"registered_country", "names", "en", nullptr};
    static const char* const kCity[] = {"city", "names", "en", nullptr};
    static const char* const kLat[] = {"location", "latitude", nullptr};
    static const char* const kLon[] = {"location", "longitude", nullptr};
    if (!get_string(&r.entry, kCode, &out->country_code)) {
      get_string(&r.entry, kRegCode, &out->country_code);
    }
    if (!get_string(&r.entry, kName, &out->country_name)) {
      get_string(&r.entry, kRegName, &out->country_name);
    }
    get_string(&r.entry, kCity, &out->city);
    out->has_location =
        get_number(&r.entry, kLat, &out->lat) && get_number(&r.entry, kLon, &out->lon);
  }
  if (asn_ != nullptr && lookup_entry(&asn_->mmdb, ip, &r)) {
    out->found = true;
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    static const char* const kAsnOrg[] = {"autonomous_system_organization", nullptr};
    static const char* const kIsp[] = {"isp", nullptr};
    static const char* const kOrg[] = {"organization", nullptr};
    double asn = 0;
    if (get_number(&r.entry, kAsn, &asn) && asn > 0) out->asn = static_cast<uint32_t>(asn);
    get_string(&r.entry, kAsnOrg, &out->asn_org);
    if (!get_string(&r.entry, kIsp, &out->isp)) out->isp = out->asn_org;
    if (!get_string(&r.entry, kOrg, &out->org)) out->org = out->asn_org;
  }
  if (!out->found) *out = GeoInfo{};
  return out->found;
}

void write_remote_ip_details(const IpAddr& addr, const GeoInfo* geo, JsonWriter* w) {
  const IpAddr ip = unmap_v4(addr);
  w->begin_object();
  w->field(ip.v4 ? "ipAddressV4" : "ipAddressV6", ip.to_string());
  if (geo != nullptr && geo->found) {
    if (!geo->city.empty()) {
      w->key("city");
      w->begin_object();
      w->field("cityName", geo->city);
      w->end_object();
    }
    if (!geo->country_code.empty() || !geo->country_name.empty()) {
      w->key("country");
      w->begin_object();
      if (!geo->country_code.empty()) w->field("countryCode", geo->country_code);
      if (!geo->country_name.empty()) w->field("countryName", geo->country_name);
      w->end_object();
    }
    if (geo->has_location) {
      w->key("geoLocation");
      w->begin_object();
      w->field("lat", geo->lat);
      w->field("lon", geo->lon);
      w->end_object();
    }
    if (geo->asn != 0 || !geo->asn_org.empty() || !geo->isp.empty() || !geo->org.empty()) {
      w->key("organization");
      w->begin_object();
      if (geo->asn != 0) w->field("asn", std::to_string(geo->asn));
      if (!geo->asn_org.empty()) w->field("asnOrg", geo->asn_org);
      if (!geo->isp.empty()) w->field("isp", geo->isp);
      if (!geo->org.empty()) w->field("org", geo->org);
      w->end_object();
    }
  }
  w->end_object();
}

}  // namespace sentinel::enrich
