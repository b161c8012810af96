#pragma once
/// GuardDuty's finding JSON (schemaVersion 2.0, camelCase), as GetFindings returns it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"

namespace sentinel {
class JsonWriter;
}

namespace sentinel::findings {

/// The detector id in every ARN and in service.detectorId.
inline constexpr std::string_view kDetectorId = "sentinel";
/// service.serviceName: names who generated the finding, so Sentinel's findings are never
/// mistaken for AWS GuardDuty's own (the shape is otherwise GuardDuty's).
inline constexpr std::string_view kServiceName = "sentinel";

/// Appends `f` as one GuardDuty finding JSON object (no newline). `resource_json`,
/// `action_json`, `additional_info_json` and `unusual_json` are embedded as they are; each must
/// be a JSON object without raw newlines, or empty. The members of `additional_info_json` are
/// spliced into service.additionalInfo beside `value` (the same object as a string, as the API
/// carries it), `type` ("default"), `evidence` ({ids, total}) and `unusual`, so they must not
/// use those four names.
void write_guardduty(const Finding& f, std::string* out);

/// `arn:<partition>:guardduty:<region>:<account>:detector/sentinel/finding/<id>`.
std::string guardduty_arn(const Finding& f);

/// Appends epoch milliseconds as ISO 8601 UTC with exactly three fraction digits
/// (`2024-01-15T02:00:00.000Z`), GuardDuty's createdAt form.
void append_iso8601_millis(std::string* out, int64_t ms);
std::string iso8601_millis(int64_t ms);

/// Writes `"threatIntelligenceDetails": [{threatListName, threatNames[]}]` (GuardDuty's
/// service.evidence shape; OCSF's unmapped object carries the same).
void write_threat_intelligence_details(JsonWriter& w, const std::vector<ThreatIntel>& intel);

/// True when `json` looks like one embeddable JSON object (`{...}` after trimming blanks); the
/// writers embed `{}` instead of anything else.
bool is_json_object(std::string_view json);

}  // namespace sentinel::findings
