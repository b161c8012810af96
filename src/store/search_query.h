#pragma once
/// `sentinel search`: questions without SQL over the store (docs/investigate.md).
///
/// Every filter is an AND. A CloudTrail search is driven by one filter (access key, source IP,
/// principal, else time) through its postings (schema 3, ct_index.h) or its B-tree index (older
/// stores read as they are), reading the dictionary first to turn the searched strings into ids;
/// the other filters are checked on the rows it yields.
/// `--resource` reads the raw record of each candidate row (decompressing its block): combine
/// it with another filter or a time range on a big store.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/search_common.h"
#include "store/store.h"

namespace sentinel::store {

/// Log types a search covers (bits).
enum SearchType : unsigned {
  kSearchCloudTrail = 1,
  kSearchFlows = 2,
  kSearchDns = 4,
  kSearchFindings = 8,
};
/// "cloudtrail", "flows", "dns", "findings" (and "vpcflow", "route53" as aliases) -> bit; 0 when
/// unknown.
unsigned search_type_from_name(std::string_view name);

struct SearchFilter {
  std::string ip;          ///< source IP of CloudTrail; either end of a flow; DNS client
  std::string principal;   ///< ARN (user, role, assumed role), or a user/role/session name
  std::string access_key;  ///< AKIA.../ASIA...
  std::string event;       ///< eventName, `*` and `?` wildcards
  std::string source;      ///< eventSource (`ec2` means ec2.amazonaws.com), wildcards
  std::string resource;    ///< text found in requestParameters/responseElements/resources
  std::string account;
  std::string region;
  bool errors = false;  ///< only calls that failed (errorCode set)
  int64_t since_ms = kNoLowerTime;
  int64_t until_ms = kNoUpperTime;
  int hour_from = -1;  ///< UTC hour range [from, to), wrapping; -1 = any
  int hour_to = -1;
  unsigned types = 0;  ///< SearchType bits; 0 = what the filters apply to
  std::size_t limit = 1000;
};

/// One matching event, whatever its log type.
struct SearchHit {
  int64_t time_ms = 0;
  std::string type;  ///< cloudtrail, flows, dns, findings
  std::string id;    ///< eventID / event_id / finding id (for `sentinel show`)
  std::string account, region;
  std::string action;  ///< eventName; ACCEPT/REJECT; the query name; the finding type
  std::string source;  ///< eventSource; interface id; query type; severity label
  std::string principal;
  std::string access_key;
  std::string source_ip;
  std::string target;  ///< flows: dst:port; dns: rcode; findings: title
  std::string error;   ///< errorCode
  std::string user_agent;
  int64_t bytes_out = 0;  ///< flows: bytes sent by source_ip
  std::string peer;       ///< flows: the other address
  int64_t raw_ref = 0;    ///< CloudTrail / DNS rows: where the raw record is (0 = none)
};

struct SearchResult {
  std::vector<SearchHit> hits;  ///< newest first
  bool truncated = false;       ///< more matched than the limit
  unsigned types = 0;           ///< what was searched
  std::vector<std::string> notes;
};

/// Runs a search; bad filter values come back as errors with a message for people.
Result<SearchResult> run_search(Store& st, const SearchFilter& f);

/// The CloudTrail statements run_search would run, with EXPLAIN QUERY PLAN output, one block per
/// statement (for tests and `search --explain`).
Result<std::string> explain_search(Store& st, const SearchFilter& f);

/// The dictionary ids of one CloudTrail row (0 = absent), for aggregation without text.
struct CtIds {
  int64_t id = 0, time = 0, account = 0, region = 0, source = 0, name = 0, principal = 0;
  int64_t access_key = 0, source_ip = 0, user_agent = 0, error_code = 0, raw = 0;
  std::string_view access_key_text;  ///< when the store keeps keys as text (then access_key = 0)
};
/// Calls `fn` for every CloudTrail row the filter matches (no limit, no order), through the same
/// indexes as run_search. False with *error when the store cannot be read.
bool for_each_cloudtrail_row(Store& st, const SearchFilter& f,
                             const std::function<void(const CtIds&)>& fn, std::string* error);

/// Output forms.
enum class SearchFormat { kTable, kJsonl, kCsv };
void render_search(const SearchResult& r, SearchFormat format, std::string* out);

}  // namespace sentinel::store
