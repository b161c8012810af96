#pragma once
/// A finding, shaped like GuardDuty's (schemaVersion 2.0), plus what GuardDuty lacks: the rule
/// that raised it, the ids of the evidence events and, for baselines, why it was unusual.
/// Formats (GuardDuty JSON, ASFF, OCSF, table) live in src/findings/formats/.
#include <cstdint>
#include <string>
#include <vector>

namespace sentinel::findings {

/// A threat or trusted list that matched (GuardDuty's threatIntelligenceDetails).
struct ThreatIntel {
  std::string list_name;
  std::vector<std::string> threat_names;
};

struct Finding {
  std::string id;    ///< deterministic: hash of rule id and group key (see finding_id)
  std::string type;  ///< `Purpose:Resource/Family.Mechanism!Artifact`
  double severity = 0;
  std::string title;
  std::string description;
  std::string account_id;
  std::string region;
  std::string partition = "aws";
  std::string rule_id;
  std::vector<std::string> tags;  ///< MITRE ATT&CK etc.

  /// `resource` object as JSON (`{"resourceType":"AccessKey","accessKeyDetails":{...}}`).
  std::string resource_json;
  /// `service.action` object as JSON (`{"actionType":"AWS_API_CALL","awsApiCallAction":{...}}`).
  std::string action_json;
  std::string resource_role;  ///< ACTOR or TARGET (may be empty)
  /// Extra `service.additionalInfo` members as a JSON object (may be empty).
  std::string additional_info_json;
  /// For baseline findings: why it was unusual, as a JSON object (may be empty).
  std::string unusual_json;
  std::vector<ThreatIntel> threat_intel;

  int64_t first_seen_ms = 0;  ///< eventFirstSeen
  int64_t last_seen_ms = 0;   ///< eventLastSeen
  int64_t created_ms = 0;     ///< createdAt (event time of the first occurrence: reproducible)
  int64_t updated_ms = 0;     ///< updatedAt (event time of the last occurrence)
  uint64_t count = 1;         ///< occurrences folded into this finding
  bool archived = false;      ///< suppressed
  std::string suppressed_by;  ///< the suppression rule's name

  /// Evidence event ids, capped at kMaxEvidence, and how many there were in all.
  static constexpr std::size_t kMaxEvidence = 20;
  std::vector<std::string> evidence;
  uint64_t evidence_total = 0;

  /// Folds a later occurrence of the same finding into this one (count, last seen, evidence).
  void merge(const Finding& later);
};

/// The deterministic id: 32 lowercase hex characters of SHA-256(rule_id + '\0' + group_key).
std::string finding_id(std::string_view rule_id, std::string_view group_key);

/// GuardDuty's severity label: Low (1.0-3.9), Medium (4.0-6.9), High (7.0-8.9), Critical (9.0+).
std::string_view severity_label(double severity);

}  // namespace sentinel::findings
