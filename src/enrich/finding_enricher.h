#pragma once
/// Fills what a finding says about remote addresses from the geo/ASN databases: every
/// `remoteIpDetails` object in the finding's action (GuardDuty's shape) that names an
/// `ipAddressV4`/`ipAddressV6` gets country, city, geoLocation and organization.
#include "enrich/geo.h"
#include "findings/finding.h"

namespace sentinel::enrich {

/// Rewrites f->action_json in place; returns how many addresses were enriched. A finding whose
/// action holds no such object is left as it is.
int enrich_remote_ips(findings::Finding* f, const GeoDb& geo);

}  // namespace sentinel::enrich
