#pragma once
/// OCSF v1.1.0 Detection Finding (class_uid 2004, category Findings), the schema Security Lake
/// emits.
#include <string>
#include <string_view>

#include "findings/finding.h"

namespace sentinel::findings {

/// metadata.version: the OCSF schema version written.
inline constexpr std::string_view kOcsfVersion = "1.1.0";
/// metadata.product.version (keep equal to the project version in CMakeLists.txt).
inline constexpr std::string_view kProductVersion = "0.1.0";

/// Appends `f` as one OCSF Detection Finding JSON object (no newline). activity_id is 1 Create
/// for a finding seen once and 2 Update once occurrences were folded into it (count > 1);
/// status_id is 3 Suppressed when archived, else 1 New; severity_id follows severity_label
/// (2 Low .. 5 Critical); GuardDuty members OCSF has no place for go to `unmapped`.
void write_ocsf(const Finding& f, std::string* out);

/// OCSF severity_id for a GuardDuty severity: 2 Low, 3 Medium, 4 High, 5 Critical.
int ocsf_severity_id(double severity);

}  // namespace sentinel::findings
