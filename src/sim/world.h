#pragma once
/// The simulated AWS estate that generated logs describe: accounts, principals, resources and
/// network interfaces. Built once from a seed, then shared read-only by generator threads.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.h"

namespace sentinel::sim {

enum class PrincipalKind : std::uint8_t {
  kIamUser,
  kRoot,
  kRole,          // an ordinary role assumed by people or CI
  kInstanceRole,  // EC2 instance profile role; sessions are instance ids
  kSsoRole,       // AWSReservedSSO_* permission-set role; sessions are e-mail addresses
  kLambdaRole,    // Lambda execution role; sessions are function names
  kFederated,     // GetFederationToken user
  kService,       // AWS service principal (invokedBy)
};

struct Principal {
  PrincipalKind kind;
  std::string name;        ///< user, role or federated name; service host for kService
  std::string id;          ///< AIDA…/AROA… unique id; account id for Root
  std::string access_key;  ///< long-term key (AKIA…) for IAM users, empty otherwise
  std::vector<std::string> sessions;
  bool console = false;  ///< signs in to the console (users, SSO roles, root)
};

struct Eni {
  std::string id;             ///< eni-…
  std::uint32_t ipv4;         ///< private address
  std::uint16_t ipv6_suffix;  ///< nonzero when the ENI also has an IPv6 address
  std::uint8_t role;          ///< 0 web, 1 app, 2 db, 3 bastion, 4 nat
};

struct Account {
  std::string id;
  std::string alias;
  std::vector<Principal> principals;
  std::vector<std::size_t> by_kind[8];  ///< indexes into principals per PrincipalKind
  std::vector<std::string> buckets;
  std::vector<std::string> instances;
  std::vector<std::string> kms_keys;
  std::vector<std::string> security_groups;
  std::vector<std::string> functions;
  std::vector<std::string> vpcs;
  std::vector<std::string> subnets;
  std::vector<std::string> log_groups;
  std::vector<std::string> db_instances;
  std::vector<std::string> nat_ips;  ///< public egress addresses of the account
  std::vector<Eni> enis;
  std::string flow_log_id;  ///< fl-… id of the account's VPC flow log
  std::string ipv6_prefix;  ///< e.g. "2600:1f18:4a3:6e00"
};

struct World {
  std::vector<Account> accounts;
  std::vector<std::string> office_ips;   ///< where people sign in from
  std::vector<std::string> hostile_ips;  ///< scanners, odd sign-in sources
};

/// Builds the estate deterministically from `seed`.
World make_world(std::uint64_t seed);

/// Regions used by the simulation, most active first.
inline constexpr std::string_view kRegions[] = {
    "us-east-1", "us-east-1",    "us-east-1",      "us-west-2", "us-west-2",
    "eu-west-1", "eu-central-1", "ap-southeast-2", "us-east-2", "ap-northeast-1"};

/// Appends `n` random characters from `alphabet`.
void append_random(std::string& out, Rng& rng, std::string_view alphabet, std::size_t n);
/// Appends a lowercase UUID (version 4 layout).
void append_uuid(std::string& out, Rng& rng);
/// Appends a dotted IPv4 address.
void append_ipv4(std::string& out, std::uint32_t ip);
/// Appends ISO-8601 UTC `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds `t`.
void append_iso_time(std::string& out, std::int64_t t);
/// Civil date of Unix seconds `t`.
struct CivilTime {
  int year, month, day, hour, minute, second;
};
CivilTime civil_time(std::int64_t t);

inline constexpr std::string_view kHexLower = "0123456789abcdef";
inline constexpr std::string_view kUpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
inline constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace sentinel::sim
