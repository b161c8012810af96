#pragma once
/// `sentinel investigate X`: one chronological timeline across CloudTrail, flows, DNS and
/// findings for an IP address, an access key, a principal, an instance, an interface or a
/// finding, headed by a summary (docs/investigate.md).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/search_query.h"
#include "store/store.h"

namespace sentinel::store {

enum class EntityKind { kIp, kAccessKey, kPrincipal, kInstance, kEni, kFinding };
const char* entity_kind_name(EntityKind k);

/// What the argument is, from its shape: AKIA/ASIA... an access key, i-... an instance,
/// eni-... an interface, arn:... a principal, an address an IP; else a finding id when the store
/// has a finding with that id; else a principal name (user, role or session).
EntityKind classify_entity(Store& st, const std::string& arg);

struct InvestigateOptions {
  /// Related records (CloudTrail calls naming an instance or interface, the events around a
  /// finding) are looked for this long before the first and after the last sighting.
  int64_t around_ms = 2 * 3'600'000;
  int64_t since_ms = kNoLowerTime;
  int64_t until_ms = kNoUpperTime;
  std::size_t timeline_limit = 200;  ///< the latest this many entries are listed
  /// Values kept per summary list (accounts, APIs, access keys...), the most frequent; 0 keeps
  /// them all (the JSON form lists every one; the text form shows kSummaryListed).
  std::size_t summary_limit = 0;
};

/// Values per summary line in the text form.
inline constexpr std::size_t kSummaryListed = 12;

struct Counted {
  std::string value;
  int64_t count = 0;
  int64_t errors = 0;  ///< APIs: calls that failed
};

/// A summary list: the values counted, most frequent first (ties by value, bytewise).
struct CountedList {
  std::vector<Counted> top;  ///< every value, or the first InvestigateOptions::summary_limit
  std::size_t distinct = 0;  ///< how many values were counted
  bool empty() const { return distinct == 0; }
};

struct Peer {
  std::string address;
  int64_t bytes_in = 0, bytes_out = 0, flows = 0, rejects = 0;
  std::vector<std::string> ports;  ///< service ports seen (up to 8)
};

struct TimelineEntry {
  int64_t time_ms = 0;
  std::string type;  ///< cloudtrail, flows, dns, findings
  std::string text;  ///< one line (untrusted text: escape for terminals)
  std::string id;    ///< for `sentinel show` (or the finding id)
};

struct Investigation {
  std::string subject;
  EntityKind kind = EntityKind::kIp;
  std::string pivot;  ///< for a finding: the entity it was investigated through
  int64_t first_ms = 0, last_ms = 0;
  bool seen = false;
  int64_t cloudtrail_events = 0, flow_records = 0, dns_queries = 0;
  CountedList accounts, regions, apis, resources, source_ips, user_agents, principals, access_keys,
      domains;
  std::vector<std::string> own_addresses;  ///< an interface's or instance's own addresses
  std::vector<Peer> peers;
  std::vector<SearchHit> findings;
  std::vector<TimelineEntry> timeline;  ///< chronological
  int64_t timeline_total = 0;           ///< entries before the limit
  std::vector<std::string> notes;
};

Result<Investigation> investigate(Store& st, const std::string& arg, const InvestigateOptions& o);

void render_investigation_text(const Investigation& inv, std::string* out);
void render_investigation_json(const Investigation& inv, std::string* out);

}  // namespace sentinel::store
