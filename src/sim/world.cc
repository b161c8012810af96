#include "sim/world.h"

#include <array>
#include <charconv>
#include <string>

namespace sentinel::sim {

namespace {

constexpr std::string_view kUserNames[] = {
    "alice",         "bob",          "carol.dev", "dave-ops",     "erin",
    "frank.sec",     "grace",        "heidi",     "ivan.admin",   "judy",
    "mallory",       "ci-deploy",    "terraform", "backup-agent", "jenkins",
    "svc-reporting", "olivia.smith", "peggy",     "trent",        "victor"};
constexpr std::string_view kRoleNames[] = {"OrganizationAccountAccessRole",
                                           "TerraformDeploy",
                                           "GitHubActionsDeploy",
                                           "ReadOnlyAuditor",
                                           "SecurityResponder",
                                           "DataPipelineRole",
                                           "BackupOperator",
                                           "cross-account-billing"};
constexpr std::string_view kInstanceRoleNames[] = {"web-server-role", "app-worker-role",
                                                   "batch-ec2-role", "bastion-role"};
constexpr std::string_view kSsoSets[] = {"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess",
                                         "SecurityAudit"};
constexpr std::string_view kSsoPeople[] = {"alice@example.com", "bob@example.com",
                                           "carol@example.org", "dmitri@example.net",
                                           "eve.w@example.com", "fatima@example.com"};
constexpr std::string_view kFunctionNames[] = {"thumbnailer",    "order-events-consumer",
                                               "nightly-report", "slack-notifier",
                                               "log-shipper",    "auth-authorizer"};
constexpr std::string_view kServices[] = {"config.amazonaws.com",
                                          "lambda.amazonaws.com",
                                          "ec2.amazonaws.com",
                                          "autoscaling.amazonaws.com",
                                          "elasticloadbalancing.amazonaws.com",
                                          "cloudformation.amazonaws.com",
                                          "ssm.amazonaws.com",
                                          "backup.amazonaws.com"};
constexpr std::string_view kWorldAliases[] = {"acme-prod",     "acme-staging", "acme-dev",
                                              "acme-security", "acme-data",    "acme-sandbox"};
constexpr std::string_view kBucketStems[] = {
    "logs", "assets", "backups", "data-lake", "terraform-state", "artifacts", "exports"};
constexpr std::string_view kLogGroupStems[] = {"/aws/lambda/", "/ecs/", "/app/",
                                               "/aws/rds/instance/"};

std::string make_id(Rng& rng, std::string_view prefix, std::size_t n) {
  std::string s(prefix);
  append_random(s, rng, kUpperAlnum, n);
  return s;
}

std::string make_hex_id(Rng& rng, std::string_view prefix, std::size_t n) {
  std::string s(prefix);
  append_random(s, rng, kHexLower, n);
  return s;
}

void index_by_kind(Account& a) {
  for (std::size_t i = 0; i < a.principals.size(); ++i) {
    a.by_kind[static_cast<int>(a.principals[i].kind)].push_back(i);
  }
}

Account make_world_account(Rng& rng, std::size_t index) {
  Account a;
  a.id = std::to_string(rng.range(1, 9));
  append_random(a.id, rng, "0123456789", 11);
  a.alias = std::string(kWorldAliases[index % std::size(kWorldAliases)]);

  a.principals.push_back({PrincipalKind::kRoot, a.alias, a.id, "", {}, true});
  const std::size_t users = 6 + rng.below(8);
  for (std::size_t i = 0; i < users; ++i) {
    Principal p{PrincipalKind::kIamUser,
                std::string(kUserNames[(index * 7 + i) % std::size(kUserNames)]),
                make_id(rng, "AIDA", 17),
                make_id(rng, "AKIA", 16),
                {},
                rng.chance(500)};
    a.principals.push_back(std::move(p));
  }
  for (auto name : kRoleNames) {
    Principal p{PrincipalKind::kRole, std::string(name), make_id(rng, "AROA", 17), "", {}, false};
    p.sessions = {"terraform-run", "gha-" + std::to_string(rng.range(1000000, 9999999)),
                  "botocore-session-" + std::to_string(rng.range(1700000000, 1719999999)),
                  std::string(kUserNames[rng.below(std::size(kUserNames))])};
    a.principals.push_back(std::move(p));
  }
  for (auto name : kInstanceRoleNames) {
    Principal p{
        PrincipalKind::kInstanceRole, std::string(name), make_id(rng, "AROA", 17), "", {}, false};
    const std::size_t n = 2 + rng.below(6);
    for (std::size_t i = 0; i < n; ++i) {
      p.sessions.push_back(make_hex_id(rng, "i-0", 16));
      a.instances.push_back(p.sessions.back());
    }
    a.principals.push_back(std::move(p));
  }
  for (auto set : kSsoSets) {
    std::string name = "AWSReservedSSO_" + std::string(set) + "_";
    append_random(name, rng, kHexLower, 16);
    Principal p{PrincipalKind::kSsoRole, name, make_id(rng, "AROA", 17), "", {}, true};
    for (auto person : kSsoPeople) p.sessions.emplace_back(person);
    a.principals.push_back(std::move(p));
  }
  for (auto fn : kFunctionNames) {
    std::string role = std::string(fn) + "-role-";
    append_random(role, rng, "abcdefghijklmnopqrstuvwxyz0123456789", 8);
    Principal p{PrincipalKind::kLambdaRole, role, make_id(rng, "AROA", 17), "", {}, false};
    p.sessions.emplace_back(fn);
    a.functions.emplace_back(fn);
    a.principals.push_back(std::move(p));
  }
  a.principals.push_back({PrincipalKind::kFederated,
                          "partner-portal",
                          make_id(rng, "AIDA", 17),
                          "",
                          {"partner-portal", "vendor-sync"},
                          false});
  for (auto svc : kServices) {
    a.principals.push_back({PrincipalKind::kService, std::string(svc), "", "", {}, false});
  }
  index_by_kind(a);

  for (auto stem : kBucketStems) a.buckets.push_back(a.alias + "-" + std::string(stem));
  a.buckets.push_back("cf-templates-" + make_hex_id(rng, "", 12) + "-us-east-1");
  for (int i = 0; i < 5; ++i)
    a.kms_keys.push_back([&] {
      std::string s;
      append_uuid(s, rng);
      return s;
    }());
  for (int i = 0; i < 6; ++i) a.security_groups.push_back(make_hex_id(rng, "sg-0", 16));
  for (int i = 0; i < 2; ++i) a.vpcs.push_back(make_hex_id(rng, "vpc-0", 16));
  for (int i = 0; i < 6; ++i) a.subnets.push_back(make_hex_id(rng, "subnet-0", 16));
  for (auto stem : kLogGroupStems) {
    a.log_groups.push_back(std::string(stem) + std::string(kFunctionNames[rng.below(6)]));
  }
  a.db_instances = {a.alias + "-orders-db", a.alias + "-analytics"};
  for (int i = 0; i < 3; ++i) {
    // Public egress addresses from ranges AWS allocates to EC2 (3/8, 18/8, 52/8, 54/8).
    static constexpr std::uint32_t kFirst[] = {3, 18, 34, 52, 54};
    const std::uint32_t ip =
        (kFirst[rng.below(5)] << 24) | static_cast<std::uint32_t>(rng.below(1u << 24));
    std::string s;
    append_ipv4(s, ip);
    a.nat_ips.push_back(s);
  }

  // Private addressing: each account gets a 10.x.0.0/16 (first two) or 172.31.0.0/16.
  const std::uint32_t base =
      index % 3 == 2 ? (172u << 24 | 31u << 16)
                     : (10u << 24 | static_cast<std::uint32_t>(index * 16 + rng.below(16)) << 16);
  const std::size_t enis = 24 + rng.below(40);
  for (std::size_t i = 0; i < enis; ++i) {
    Eni e;
    e.id = make_hex_id(rng, "eni-0", 16);
    e.ipv4 = base | static_cast<std::uint32_t>(rng.below(6) << 8) |
             static_cast<std::uint32_t>(4 + rng.below(250));
    e.ipv6_suffix = rng.chance(200) ? static_cast<std::uint16_t>(1 + rng.below(0xfffe)) : 0;
    e.role = static_cast<std::uint8_t>(rng.below(5));
    a.enis.push_back(std::move(e));
  }
  a.flow_log_id = make_hex_id(rng, "fl-0", 16);
  a.ipv6_prefix = "2600:1f18:" + make_hex_id(rng, "", 3) + ":" + make_hex_id(rng, "", 2) + "00";
  return a;
}

}  // namespace

void append_random(std::string& out, Rng& rng, std::string_view alphabet, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out += alphabet[rng.below(alphabet.size())];
}

void append_uuid(std::string& out, Rng& rng) {
  const std::uint64_t hi = rng.next();
  const std::uint64_t lo = rng.next();
  char buf[36];
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) buf[pos++] = '-';
    std::uint64_t nibble = i < 16 ? (hi >> (60 - 4 * i)) & 15 : (lo >> (60 - 4 * (i - 16))) & 15;
    if (i == 12) nibble = 4;                 // version 4
    if (i == 16) nibble = 8 | (nibble & 3);  // RFC 4122 variant
    buf[pos++] = kHexLower[nibble];
  }
  out.append(buf, 36);
}

void append_ipv4(std::string& out, std::uint32_t ip) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (ip >> shift) & 255u;
    if (octet >= 100) out += static_cast<char>('0' + octet / 100);
    if (octet >= 10) out += static_cast<char>('0' + octet / 10 % 10);
    out += static_cast<char>('0' + octet % 10);
    if (shift) out += '.';
  }
}

CivilTime civil_time(std::int64_t t) {
  // Days-from-civil inverse (proleptic Gregorian), valid for all dates we generate.
  std::int64_t days = t / 86400;
  std::int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year,
          month,
          day,
          static_cast<int>(secs / 3600),
          static_cast<int>(secs / 60 % 60),
          static_cast<int>(secs % 60)};
}

void append_iso_time(std::string& out, std::int64_t t) {
  const CivilTime c = civil_time(t);
  char buf[21];
  auto put = [&buf](int pos, int v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, c.year, 4);
  buf[4] = '-';
  put(5, c.month, 2);
  buf[7] = '-';
  put(8, c.day, 2);
  buf[10] = 'T';
  put(11, c.hour, 2);
  buf[13] = ':';
  put(14, c.minute, 2);
  buf[16] = ':';
  put(17, c.second, 2);
  buf[19] = 'Z';
  out.append(buf, 20);
}

World make_world(std::uint64_t seed) {
  Rng rng(derive_seed(seed, 0x574f524cULL));
  World w;
  const std::size_t accounts = 5;
  for (std::size_t i = 0; i < accounts; ++i) w.accounts.push_back(make_world_account(rng, i));
  for (int i = 0; i < 12; ++i) {
    // Office and home ranges outside AWS (documentation-style blocks avoided on purpose so
    // that enrichment code sees ordinary public addresses).
    static constexpr std::uint32_t kFirst[] = {81, 86, 92, 109, 176, 185, 195, 213};
    std::string s;
    append_ipv4(s, (kFirst[rng.below(8)] << 24) | static_cast<std::uint32_t>(rng.below(1u << 24)));
    w.office_ips.push_back(s);
  }
  for (int i = 0; i < 20; ++i) {
    static constexpr std::uint32_t kFirst[] = {45, 89, 91, 103, 141, 193, 198, 222};
    std::string s;
    append_ipv4(s, (kFirst[rng.below(8)] << 24) | static_cast<std::uint32_t>(rng.below(1u << 24)));
    w.hostile_ips.push_back(s);
  }
  return w;
}

}  // namespace sentinel::sim
