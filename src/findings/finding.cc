#include "findings/finding.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace sentinel::findings {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// The members that describe an occurrence (as opposed to counting it). When two occurrences are
// folded, the earliest one's description wins; ties on time fall back to the content itself so
// the result does not depend on which occurrence arrived first.
auto occurrence_key(const Finding& f) {
  return std::tie(f.created_ms, f.action_json, f.resource_json, f.title, f.description,
                  f.additional_info_json, f.unusual_json, f.resource_role);
}

void merge_threat_intel(std::vector<ThreatIntel>* into, const std::vector<ThreatIntel>& from) {
  for (const ThreatIntel& t : from) {
    auto it = std::find_if(into->begin(), into->end(),
                           [&](const ThreatIntel& x) { return x.list_name == t.list_name; });
    if (it == into->end()) {
      into->push_back(t);
    } else {
      it->threat_names.insert(it->threat_names.end(), t.threat_names.begin(), t.threat_names.end());
    }
  }
  // Canonical order (by list, names sorted and unique) so the union is the same whichever side
  // arrived first.
  for (ThreatIntel& t : *into) {
    std::sort(t.threat_names.begin(), t.threat_names.end());
    t.threat_names.erase(std::unique(t.threat_names.begin(), t.threat_names.end()),
                         t.threat_names.end());
  }
  std::sort(into->begin(), into->end(),
            [](const ThreatIntel& a, const ThreatIntel& b) { return a.list_name < b.list_name; });
}

}  // namespace

void Finding::merge(const Finding& later) {
  const bool other_first = occurrence_key(later) < occurrence_key(*this);

  // Evidence: the earliest kMaxEvidence ids, the earlier occurrence's ids first.
  if (other_first) {
    std::vector<std::string> combined;
    combined.reserve(std::min(kMaxEvidence, later.evidence.size() + evidence.size()));
    for (const auto& e : later.evidence) {
      if (combined.size() == kMaxEvidence) break;
      combined.push_back(e);
    }
    for (auto& e : evidence) {
      if (combined.size() == kMaxEvidence) break;
      combined.push_back(std::move(e));
    }
    evidence = std::move(combined);
  } else {
    for (const auto& e : later.evidence) {
      if (evidence.size() >= kMaxEvidence) break;
      evidence.push_back(e);
    }
  }
  evidence_total += later.evidence_total;

  if (other_first) {
    title = later.title;
    description = later.description;
    resource_json = later.resource_json;
    action_json = later.action_json;
    resource_role = later.resource_role;
    additional_info_json = later.additional_info_json;
    unusual_json = later.unusual_json;
    tags = later.tags;
  }

  count += later.count;
  first_seen_ms = std::min(first_seen_ms, later.first_seen_ms);
  last_seen_ms = std::max(last_seen_ms, later.last_seen_ms);
  created_ms = std::min(created_ms, later.created_ms);
  updated_ms = std::max(updated_ms, later.updated_ms);
  // NaN never wins: a comparison with NaN is false.
  if (later.severity > severity || std::isnan(severity)) severity = later.severity;
  merge_threat_intel(&threat_intel, later.threat_intel);

  // One occurrence that no rule suppressed keeps the folded finding visible.
  if (archived && later.archived) {
    if (later.suppressed_by < suppressed_by) suppressed_by = later.suppressed_by;
  } else {
    archived = false;
    suppressed_by.clear();
  }
}

std::string finding_id(std::string_view rule_id, std::string_view group_key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const unsigned char zero = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, rule_id.data(), rule_id.size()) == 1 &&
            EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
            EVP_DigestUpdate(ctx, group_key.data(), group_key.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
  EVP_MD_CTX_free(ctx);
  std::string id;
  if (!ok || md_len < 16) return id;  // only when OpenSSL itself is broken
  id.resize(32);
  for (unsigned int i = 0; i < 16; ++i) {
    id[2 * i] = kHex[md[i] >> 4];
    id[2 * i + 1] = kHex[md[i] & 15];
  }
  return id;
}

std::string_view severity_label(double severity) {
  // Below 1.0 (and NaN) is still Low: GuardDuty has no Informational band, and a finding that
  // exists is at least worth a look.
  if (severity >= 9.0) return "Critical";
  if (severity >= 7.0) return "High";
  if (severity >= 4.0) return "Medium";
  return "Low";
}

}  // namespace sentinel::findings
