#pragma once
/// The estate `sentinel simulate` writes logs for: N accounts built on the reference architecture
/// (a gateway VPC with a load balancer, bastion and NAT; a backend VPC with an EKS cluster and a
/// database), their people, roles and services, the outside world they talk to, and the threat
/// lists the scenarios draw from. Built once from the seed; read-only afterwards.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/rng.h"

namespace sentinel::sim {

/// An IAM user: a person at the console (with MFA, from their usual office address) or an
/// automation user with an access key.
struct SimUser {
  std::string name;
  std::string id;          ///< AIDA…
  std::string access_key;  ///< AKIA…
  std::uint32_t home_ip = 0;
  bool console = false;
  std::string user_agent;
};

/// A role and the sessions it is used in.
struct SimRole {
  std::string name;
  std::string id;  ///< AROA…
  std::string arn;
  std::string user_agent;
};

/// A network interface and what sits behind it.
enum class Tier : std::uint8_t { kAlb, kBastion, kNat, kEksNode, kDatabase, kBatch };

struct SimHost {
  Tier tier;
  std::string instance_id;  ///< "-" for requester-managed interfaces (ALB, NAT, RDS)
  std::string eni;
  std::uint32_t ip = 0;  ///< private IPv4
  int vpc = 0;           ///< 0 gateway, 1 backend
  int subnet = 0;        ///< index into SimAccount::subnets[vpc]
};

struct SimAccount {
  std::string id;
  std::string alias;
  std::string region;          ///< home region
  std::vector<SimUser> users;  ///< [0..people) console people, then automation users
  std::size_t people = 0;
  SimRole ci;           ///< GitHub Actions deploy role (self-hosted runners in the gateway VPC)
  SimRole terraform;    ///< assumed by people for plans
  SimRole node_role;    ///< EKS node instance profile (sessions are instance ids)
  SimRole pipeline;     ///< data pipeline role (S3 data events)
  SimRole lambda_role;  ///< Lambda execution role (session: function name)
  std::string lambda_function;
  SimRole config_role;  ///< AWSServiceRoleForConfig (service-linked)
  std::vector<SimHost> hosts;
  std::string vpcs[2];
  std::uint32_t vpc_base[2] = {0, 0};  ///< 10.x.0.0/16
  std::vector<std::string> subnets[2];
  std::string flow_log_id;
  std::string trail_name;
  std::string eks_cluster;
  std::string data_bucket, logs_bucket, artifacts_bucket;
  std::string db_endpoint;
  std::string kms_key;
  std::uint32_t nat_ip = 0;        ///< public egress address (inside the AWS ranges written)
  std::string vpce_id;             ///< S3/STS interface endpoint used by the nodes
  std::vector<std::size_t> nodes;  ///< indexes of EKS nodes in hosts
  std::size_t alb = 0, bastion = 0, nat = 0, db = 0, batch = 0;
};

/// An outside service the estate talks to: address, port and the name it is resolved by.
struct Peer {
  std::uint32_t ip;
  std::uint16_t port;
  std::string domain;  ///< with trailing dot
};

struct Estate {
  std::vector<SimAccount> accounts;
  std::vector<Peer> saas;                 ///< steady outbound destinations
  std::vector<std::uint32_t> clients;     ///< internet users of the load balancers
  std::vector<std::uint32_t> aws_public;  ///< AWS service addresses (S3, STS, ECR)
  // Lists the dataset writes (lists/*.txt) and the scenarios draw their addresses from.
  std::vector<std::uint32_t> tor_exits, tor_relays, malicious_ips, custom_threat_ips, mining_ips,
      cc_ips, drop_point_ips, blackhole_ips, other_aws_ips;
  std::vector<std::string> mining_domains, cc_domains, drop_point_domains, phishing_domains,
      malicious_domains, drive_by_domains, blackhole_domains;
  std::vector<std::uint32_t> doh_resolvers;  ///< public DoH/DoT/DNS resolvers
  std::vector<std::uint32_t> spread_ips;     ///< far-apart public addresses (geo-impossible logins)
};

/// The AWS address blocks of the written ip-ranges.json (CIDR, region, service).
struct AwsBlock {
  const char* cidr;
  const char* region;
  const char* service;
};
inline constexpr AwsBlock kAwsBlocks[] = {
    {"3.80.0.0/12", "us-east-1", "EC2"},      {"3.80.0.0/12", "us-east-1", "AMAZON"},
    {"52.94.0.0/22", "us-east-1", "AMAZON"},  {"52.216.0.0/15", "us-east-1", "S3"},
    {"52.216.0.0/15", "us-east-1", "AMAZON"}, {"34.240.0.0/13", "eu-west-1", "EC2"},
    {"34.240.0.0/13", "eu-west-1", "AMAZON"}, {"54.239.0.0/16", "GLOBAL", "AMAZON"}};

/// Builds the estate from `seed` with `accounts` accounts (1..12).
Estate make_estate(std::uint64_t seed, std::size_t accounts);

std::string ipv4_string(std::uint32_t ip);

}  // namespace sentinel::sim
