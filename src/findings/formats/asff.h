#pragma once
/// AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08) for Security Hub's
/// BatchImportFindings.
#include <string>
#include <string_view>
#include <vector>

#include "findings/finding.h"

namespace sentinel::findings {

/// Longest ASFF Title and Description (characters; the writers cut at a byte count no larger,
/// so the character limit always holds).
inline constexpr std::size_t kAsffMaxTitle = 256;
inline constexpr std::size_t kAsffMaxDescription = 1024;

/// Appends `f` as one ASFF finding JSON object (no newline) carrying every required attribute.
void write_asff(const Finding& f, std::string* out);

/// One affected resource, derived from `resource_json`.
struct ResourceRef {
  std::string type;  ///< ASFF type: AwsIamAccessKey, AwsEc2Instance, AwsS3Bucket or Other
  std::string id;    ///< ARN or identifier, never empty
  std::string name;  ///< user name, instance id or bucket name (may be empty)
};

/// The resources `f` is about: AccessKey → AwsIamAccessKey (access key id), Instance →
/// AwsEc2Instance (instance ARN), S3Bucket → AwsS3Bucket (one per bucket, bucket ARN), anything
/// else → Other (id: the GuardDuty resourceType). Never empty.
std::vector<ResourceRef> resource_refs(const Finding& f);

/// ASFF Types for a GuardDuty type, `namespace/category/classifier` where the classifier is the
/// GuardDuty type with `/` replaced by `-` (`TTPs/Initial
/// Access/UnauthorizedAccess:EC2-SSHBruteForce`).
std::vector<std::string> asff_types(std::string_view guardduty_type);

/// Severity.Normalized (0-100): severity x 10, rounded down so it agrees with the GuardDuty band.
int asff_normalized(double severity);
/// Severity.Label from Normalized: 0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH,
/// 90-100 CRITICAL.
std::string_view asff_label(int normalized);

/// `s` cut to at most `max_bytes` bytes at a UTF-8 character boundary, ending in `...` when cut.
/// Invalid bytes count as one character each.
std::string truncate_utf8(std::string_view s, std::size_t max_bytes);

}  // namespace sentinel::findings
