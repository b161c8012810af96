#include "sim/estate.h"

#include <string_view>

#include "sim/world.h"

namespace sentinel::sim {

namespace {

constexpr std::string_view kEstateAliases[] = {
    "acme-prod", "acme-staging", "acme-data",  "acme-shared", "acme-dev", "acme-sandbox",
    "acme-ml",   "acme-edge",    "acme-audit", "acme-qa",     "acme-ops", "acme-lab"};
constexpr std::string_view kPeople[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
constexpr std::string_view kBrowsers[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"};

std::uint32_t ip4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

std::string rand_id(Rng& rng, std::string_view prefix, std::string_view alphabet, std::size_t n) {
  std::string s(prefix);
  append_random(s, rng, alphabet, n);
  return s;
}

// `n` distinct addresses from the /24s starting at a.b.c (cycling over `blocks` /24s).
std::vector<std::uint32_t> pool(Rng& rng, std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                std::uint32_t blocks, std::size_t n) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t block = static_cast<std::uint32_t>(i % blocks);
    const std::uint32_t host = static_cast<std::uint32_t>(2 + (i / blocks) * 7 + rng.below(7));
    out.push_back(ip4(a, b, c + block, host % 254 + 1));
  }
  return out;
}

SimRole make_role(Rng& rng, const std::string& account, std::string name, std::string ua) {
  SimRole r;
  r.name = std::move(name);
  r.id = rand_id(rng, "AROA", kUpperAlnum, 17);
  r.arn = "arn:aws:iam::" + account + ":role/" + r.name;
  r.user_agent = std::move(ua);
  return r;
}

SimAccount make_estate_account(Rng& rng, std::size_t index) {
  SimAccount a;
  a.id = std::to_string(rng.range(1, 9));
  append_random(a.id, rng, "0123456789", 11);
  a.alias = std::string(kEstateAliases[index % std::size(kEstateAliases)]);
  a.region = index % 3 == 2 ? "eu-west-1" : "us-east-1";

  a.people = 4;
  for (std::size_t i = 0; i < a.people; ++i) {
    SimUser u;
    u.name = std::string(kPeople[(index + i) % std::size(kPeople)]);
    u.id = rand_id(rng, "AIDA", kUpperAlnum, 17);
    u.access_key = rand_id(rng, "AKIA", kUpperAlnum, 16);
    u.console = true;
    u.user_agent = std::string(kBrowsers[rng.below(std::size(kBrowsers))]);
    a.users.push_back(std::move(u));
  }
  for (std::string_view name : {"backup-agent", "reporting-svc"}) {
    SimUser u;
    u.name = std::string(name);
    u.id = rand_id(rng, "AIDA", kUpperAlnum, 17);
    u.access_key = rand_id(rng, "AKIA", kUpperAlnum, 16);
    u.user_agent =
        name == "backup-agent"
            ? "aws-cli/2.15.40 Python/3.11.8 Linux/5.15.0-105-generic exe/x86_64.ubuntu.22"
            : "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0-21-amd64 "
              "md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy "
              "Botocore/1.34.84";
    a.users.push_back(std::move(u));
  }
  a.ci = make_role(rng, a.id, "GitHubActionsDeploy",
                   "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0-1018-azure exe/x86_64.ubuntu.22 "
                   "prompt/off command/eks.describe-cluster");
  a.terraform =
      make_role(rng, a.id, "TerraformPlan",
                "APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) "
                "terraform-provider-aws/5.47.0 aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2");
  a.node_role = make_role(rng, a.id, "eks-node-group-role",
                          "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux "
                          "md/GOARCH#amd64 api/s3#1.53.1");
  a.pipeline =
      make_role(rng, a.id, "DataPipelineRole",
                "aws-sdk-java/2.25.40 Linux/5.10.214-202.855.amzn2.x86_64 "
                "OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. "
                "exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy");
  a.lambda_function = "order-events-consumer";
  a.lambda_role = make_role(
      rng, a.id,
      "order-events-consumer-role-" + rand_id(rng, "", "abcdefghijklmnopqrstuvwxyz0123456789", 8),
      "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214 "
      "md/arch#x86_64 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12 "
      "Botocore/1.34.42");
  // Console-created execution roles live under the service-role/ path.
  a.lambda_role.arn = "arn:aws:iam::" + a.id + ":role/service-role/" + a.lambda_role.name;
  a.config_role =
      make_role(rng, a.id, "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                "config.amazonaws.com");
  a.config_role.name = "AWSServiceRoleForConfig";

  for (int v = 0; v < 2; ++v) {
    a.vpcs[v] = rand_id(rng, "vpc-0", kHexLower, 16);
    a.vpc_base[v] = ip4(10, static_cast<std::uint32_t>(index * 16 + v * 8 + rng.below(8)), 0, 0);
    for (int s = 0; s < 4; ++s) a.subnets[v].push_back(rand_id(rng, "subnet-0", kHexLower, 16));
  }
  auto add_host = [&](Tier tier, int vpc, int subnet, bool instance) {
    SimHost h;
    h.tier = tier;
    h.instance_id = instance ? rand_id(rng, "i-0", kHexLower, 16) : "-";
    h.eni = rand_id(rng, "eni-0", kHexLower, 16);
    h.ip = a.vpc_base[vpc] | static_cast<std::uint32_t>(subnet) << 8 |
           static_cast<std::uint32_t>(10 + rng.below(240));
    h.vpc = vpc;
    h.subnet = subnet;
    a.hosts.push_back(std::move(h));
    return a.hosts.size() - 1;
  };
  a.alb = add_host(Tier::kAlb, 0, 0, false);
  add_host(Tier::kAlb, 0, 1, false);
  a.bastion = add_host(Tier::kBastion, 0, 0, true);
  a.nat = add_host(Tier::kNat, 0, 1, false);
  a.batch = add_host(Tier::kBatch, 0, 2, true);  // the self-hosted CI runner
  const std::size_t nodes = 4 + rng.below(3);
  for (std::size_t i = 0; i < nodes; ++i)
    a.nodes.push_back(add_host(Tier::kEksNode, 1, static_cast<int>(i % 3), true));
  a.db = add_host(Tier::kDatabase, 1, 3, false);

  a.flow_log_id = rand_id(rng, "fl-0", kHexLower, 16);
  a.trail_name = "management-events";
  a.eks_cluster = a.alias + "-eks";
  a.data_bucket = a.alias + "-data-lake";
  a.logs_bucket = a.alias + "-access-logs";
  a.artifacts_bucket = a.alias + "-ci-artifacts";
  a.db_endpoint = a.alias + "-orders." +
                  rand_id(rng, "c", "abcdefghijklmnopqrstuvwxyz0123456789", 11) + "." + a.region +
                  ".rds.amazonaws.com.";
  append_uuid(a.kms_key, rng);
  a.nat_ip = a.region == "eu-west-1" ? ip4(34, 240 + static_cast<std::uint32_t>(rng.below(8)),
                                           static_cast<std::uint32_t>(rng.below(256)),
                                           1 + static_cast<std::uint32_t>(rng.below(250)))
                                     : ip4(3, 80 + static_cast<std::uint32_t>(rng.below(16)),
                                           static_cast<std::uint32_t>(rng.below(256)),
                                           1 + static_cast<std::uint32_t>(rng.below(250)));
  a.vpce_id = rand_id(rng, "vpce-0", kHexLower, 16);
  return a;
}

}  // namespace

std::string ipv4_string(std::uint32_t ip) {
  std::string s;
  append_ipv4(s, ip);
  return s;
}

Estate make_estate(std::uint64_t seed, std::size_t accounts) {
  Rng rng(derive_seed(seed, 0x45535441ULL));
  Estate e;
  for (std::size_t i = 0; i < accounts; ++i) e.accounts.push_back(make_estate_account(rng, i));
  // People sign in from office and home ranges outside AWS.
  std::vector<std::uint32_t> homes =
      pool(rng, 81, 2 + static_cast<std::uint32_t>(rng.below(50)), 10, 4, 24);
  std::size_t h = 0;
  for (auto& a : e.accounts) {
    for (auto& u : a.users) u.home_ip = homes[h++ % homes.size()];
  }
  e.clients = pool(rng, 73, 12 + static_cast<std::uint32_t>(rng.below(100)), 0, 64, 400);
  e.saas = {{ip4(140, 82, 112, 5), 443, "api.github.com."},
            {ip4(140, 82, 114, 10), 443, "codeload.github.com."},
            {ip4(151, 101, 0, 223), 443, "pypi.org."},
            {ip4(104, 16, 24, 34), 443, "registry.npmjs.org."},
            {ip4(199, 232, 126, 132), 443, "deb.debian.org."},
            {ip4(54, 239, 28, 85), 443, "ecr-public.aws.amazon.com."},
            {ip4(35, 186, 224, 25), 443, "hooks.stripe.com."},
            {ip4(52, 94, 1, 17), 587, "email-smtp.us-east-1.amazonaws.com."}};
  e.aws_public = {ip4(52, 216, 8, 3), ip4(52, 217, 100, 44), ip4(52, 94, 0, 200),
                  ip4(3, 85, 14, 9)};

  e.tor_exits = pool(rng, 185, 220, 100, 2, 40);
  e.tor_relays = pool(rng, 171, 25, 193, 1, 12);
  e.malicious_ips = pool(rng, 45, 155, 205, 2, 40);
  e.custom_threat_ips = pool(rng, 91, 240, 118, 1, 40);
  e.mining_ips = pool(rng, 141, 94, 96, 1, 12);
  e.cc_ips = pool(rng, 194, 26, 29, 1, 12);
  e.drop_point_ips = pool(rng, 94, 232, 41, 1, 12);
  e.blackhole_ips = pool(rng, 208, 91, 196, 1, 6);
  e.other_aws_ips = {ip4(3, 88, 41, 7), ip4(3, 91, 200, 12), ip4(52, 94, 2, 45)};
  e.doh_resolvers = {ip4(1, 1, 1, 1), ip4(8, 8, 8, 8), ip4(9, 9, 9, 9), ip4(149, 112, 112, 112),
                     ip4(94, 140, 14, 14)};
  e.spread_ips = {ip4(200, 160, 2, 3),   ip4(103, 21, 244, 9), ip4(41, 203, 64, 17),
                  ip4(177, 54, 150, 30), ip4(122, 160, 60, 2), ip4(196, 200, 8, 44)};
  e.mining_domains = {"pool.minexmr.com.", "xmr.nanopool.org.", "eth.2miners.com.",
                      "gulf.moneroocean.stream.", "xmr-eu1.nanopool.org."};
  e.cc_domains = {"guarddutyc2activityb.com.", "cdn-sync-update.top.", "telemetry-relay.xyz."};
  e.drop_point_domains = {"paste-drop.xyz.", "exfil-store.top."};
  e.phishing_domains = {"login-micros0ft-secure.com.", "aws-console-verify.net."};
  e.malicious_domains = {"malware-dist.ru.", "bad-payload.top."};
  e.drive_by_domains = {"free-codecs-dl.top."};
  e.blackhole_domains = {"sinkholed-botnet.net."};
  return e;
}

}  // namespace sentinel::sim
