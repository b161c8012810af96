// The retired GuardDuty types map, compiled in from data/guardduty/retired_types.tsv (the file
// is what people read and edit; guardduty_test checks that this table equals it, row by row).
#include <algorithm>
#include <array>

#include "ingest/parsers/guardduty/guardduty.h"

namespace sentinel::ingest {

namespace {

constexpr RetiredGuardDutyType kRetired[] = {
    {"Recon:IAMUser/UserPermissions", "Discovery:IAMUser/AnomalousBehavior",
     "IAM read-permission enumeration became a baseline anomaly"},
    {"Recon:IAMUser/NetworkPermissions", "Discovery:IAMUser/AnomalousBehavior",
     "network-configuration enumeration"},
    {"Recon:IAMUser/ResourcePermissions", "Discovery:IAMUser/AnomalousBehavior",
     "resource-policy enumeration"},
    {"Persistence:IAMUser/UserPermissions", "Persistence:IAMUser/AnomalousBehavior",
     "IAM changes that give lasting access"},
    {"Persistence:IAMUser/NetworkPermissions", "Persistence:IAMUser/AnomalousBehavior",
     "network-access changes (security groups, routes)"},
    {"Persistence:IAMUser/ResourcePermissions", "Persistence:IAMUser/AnomalousBehavior",
     "resource-policy changes"},
    {"PrivilegeEscalation:IAMUser/AdministrativePermissions",
     "PrivilegeEscalation:IAMUser/AnomalousBehavior", "attaching or writing broad policies"},
    {"Stealth:IAMUser/LoggingConfigurationModified",
     "DefenseEvasion:IAMUser/AnomalousBehavior,Stealth:IAMUser/CloudTrailLoggingDisabled",
     "logging changes; stopping or deleting a trail has its own type"},
    {"UnauthorizedAccess:IAMUser/ConsoleLogin", "InitialAccess:IAMUser/AnomalousBehavior",
     "unusual console sign-in"},
    {"UnauthorizedAccess:IAMUser/UnusualASNCaller", "InitialAccess:IAMUser/AnomalousBehavior",
     "the caller's network is a feature of every AnomalousBehavior type"},
    {"ResourceConsumption:IAMUser/ComputeResources", "Impact:IAMUser/AnomalousBehavior",
     "unusual compute launches"},
    {"Behavior:IAMUser/InstanceLaunchUnusual", "Impact:IAMUser/AnomalousBehavior",
     "unusual instance launches"},
    {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration",
     "UnauthorizedAccess:IAMUser/"
     "InstanceCredentialExfiltration.OutsideAWS,UnauthorizedAccess:IAMUser/"
     "InstanceCredentialExfiltration.InsideAWS",
     "split by where the credentials were used"},
    {"UnauthorizedAccess:EC2/TorIPCaller",
     "UnauthorizedAccess:EC2/TorClient,UnauthorizedAccess:EC2/TorRelay",
     "Tor traffic of an instance; Tor API callers are Recon:IAMUser/TorIPCaller and "
     "UnauthorizedAccess:IAMUser/TorIPCaller"},
    {"CryptoCurrency:EC2/BitcoinTool.A", "CryptoCurrency:EC2/BitcoinTool.B",
     "the .B variant (and .B!DNS) replaced it"},
    {"Backdoor:EC2/XORDDOS", "Backdoor:EC2/C&CActivity.B",
     "XOR DDoS bots are caught by their command-and-control traffic"},
    {"Discovery:S3/BucketEnumeration.Unusual", "Discovery:S3/AnomalousBehavior",
     "S3 data-event baselines"},
    {"Impact:S3/PermissionsModification.Unusual", "Impact:S3/AnomalousBehavior.Permission",
     "S3 data-event baselines"},
    {"Impact:S3/ObjectDelete.Unusual", "Impact:S3/AnomalousBehavior.Delete",
     "S3 data-event baselines"},
    {"Exfiltration:S3/ObjectRead.Unusual", "Exfiltration:S3/AnomalousBehavior",
     "S3 data-event baselines"},
};

// Retired type -> its row, sorted once for binary search (a finding's type is looked up once).
struct Index {
  std::array<const RetiredGuardDutyType*, std::size(kRetired)> rows{};
  Index() {
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = &kRetired[i];
    std::sort(rows.begin(), rows.end(),
              [](const auto* a, const auto* b) { return a->retired < b->retired; });
  }
};

}  // namespace

std::span<const RetiredGuardDutyType> retired_guardduty_types() {
  return kRetired;
}

std::string_view current_guardduty_type(std::string_view type) {
  static const Index index;
  auto it = std::lower_bound(index.rows.begin(), index.rows.end(), type,
                             [](const auto* r, std::string_view t) { return r->retired < t; });
  if (it == index.rows.end() || (*it)->retired != type) return {};
  std::string_view cur = (*it)->current;
  cur = cur.substr(0, cur.find(','));
  return cur == "-" ? std::string_view() : cur;
}

}  // namespace sentinel::ingest
