#pragma once
/// Record writers for `sentinel simulate`: CloudTrail records, VPC flow log lines (version 5
/// fields, with their header) and Route 53 Resolver query log lines, in AWS's own shapes.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/estate.h"
#include "sim/rng.h"

namespace sentinel::sim {

/// Who made a CloudTrail call.
struct Caller {
  enum class Type : std::uint8_t { kIamUser, kAssumedRole, kRoot, kAwsService };
  Type type = Type::kIamUser;
  std::string account;
  std::string principal_id;  ///< AIDA… for users, AROA…:session for roles
  std::string arn;
  std::string access_key;  ///< empty: no accessKeyId (console sign-in)
  std::string user_name;   ///< IAM user name
  // Assumed roles.
  std::string role_name, role_id, role_arn;
  bool ec2_delivery = false;  ///< credentials from the instance metadata service
  bool mfa = false;
  bool assumed_root = false;  ///< root: short-term credentials from sts:AssumeRoot
  std::int64_t session_created = 0;
  std::string invoked_by;  ///< service principal acting for the caller
};

Caller user_caller(const SimAccount& a, const SimUser& u, bool with_key = true);
Caller role_caller(const SimAccount& a, const SimRole& r, std::string_view session,
                   std::int64_t created, bool ec2 = false);
Caller root_caller(const SimAccount& a);
Caller service_caller(const SimAccount& a, std::string_view service);

/// One CloudTrail call. JSON members are raw JSON text ("" = absent, "null" = null).
struct Call {
  std::int64_t time = 0;
  std::string_view source;  ///< e.g. "ec2.amazonaws.com"
  std::string_view name;
  std::string_view region;
  std::string ip;  ///< sourceIPAddress (an address or a service host)
  std::string_view user_agent;
  bool read_only = true;
  bool data = false;                           ///< data event (S3 object calls)
  std::string_view event_type = "AwsApiCall";  ///< or AwsConsoleSignIn, AwsServiceEvent
  std::string request = "null";
  std::string response = "null";
  std::string additional;
  std::string resources;  ///< raw JSON array
  std::string error_code, error_message;
  std::string vpce_id, vpce_account;
};

/// Appends one CloudTrail record (compact JSON, no separator) for `recipient`.
void write_call(std::string& out, Rng& rng, std::string_view recipient, const Caller& who,
                const Call& call);

/// The header line of the flow-log files `simulate` writes (version 5 fields).
inline constexpr std::string_view kFlowHeaderV5 =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
    "pkt-dstaddr region az-id flow-direction traffic-path";

struct Flow {
  const SimHost* host = nullptr;  ///< the interface the record belongs to
  std::uint32_t src = 0, dst = 0;
  std::uint32_t sport = 0, dport = 0, proto = 6;
  std::uint64_t packets = 1, bytes = 40;
  std::int64_t start = 0, end = 0;
  bool accept = true;
  int tcp_flags = 2;
  bool egress = true;
};

/// Appends one flow-log line ending in '\n'.
void write_flow(std::string& out, const SimAccount& a, const Flow& f);
/// A NODATA record for `host` (no traffic in the interval).
void write_nodata(std::string& out, const SimAccount& a, const SimHost& host, std::int64_t start,
                  std::int64_t end);

struct Query {
  std::int64_t time = 0;
  const SimHost* host = nullptr;
  std::string_view name;  ///< FQDN with trailing dot
  std::string_view type = "A";
  std::string_view rcode = "NOERROR";
  std::string answers;  ///< raw JSON array
};

/// Appends one Route 53 Resolver query log line ending in '\n'.
void write_query(std::string& out, Rng& rng, const SimAccount& a, const Query& q);
/// A GuardDuty finding as GuardDuty exports it to S3 (one JSON object a line, schemaVersion 2.0,
/// camelCase), for the detections that are not in CloudTrail, flow or DNS logs (Runtime
/// Monitoring, EKS audit logs, Malware Protection).
struct GdFinding {
  std::string_view type;
  std::string_view severity = "5";  ///< JSON number as GuardDuty writes it (8, 5, 2.5)
  std::string title, description;
  std::string resource;        ///< the `resource` object (raw JSON, with resourceType)
  std::string service_fields;  ///< raw JSON members of `service` (action, runtimeDetails, ...),
                               ///< each followed by ','; may be empty
  std::string_view feature;    ///< service.featureName
  std::string_view resource_role = "TARGET";
  std::int64_t first = 0, last = 0;  ///< the activity (eventFirstSeen, eventLastSeen)
  std::int64_t created = 0;          ///< when GuardDuty raised it (createdAt = updatedAt)
  std::int64_t count = 1;
};

/// Appends one finding line ending in '\n' for account `a` in its home region. The finding id,
/// and the milliseconds of the times, come from `rng`; the detector id from the account.
void write_gd_finding(std::string& out, Rng& rng, const SimAccount& a, const GdFinding& f);

/// `[{"Rdata":ip,"Type":"A","Class":"IN"}]` for each address.
std::string a_answers(std::initializer_list<std::uint32_t> ips);

}  // namespace sentinel::sim
