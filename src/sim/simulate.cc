#include "sim/simulate.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "sim/estate.h"
#include "sim/files.h"
#include "sim/json_out.h"
#include "sim/records.h"
#include "sim/scenarios.h"
#include "sim/world.h"

namespace sentinel::sim {

namespace {

/// First second of the simulated period: Monday 2024-05-06T00:00:00Z.
constexpr std::int64_t kPeriodStart = 1714953600;
constexpr std::size_t kMaxRecordsPerFile = 1000;
// Relative activity by UTC hour: quiet nights, busy working hours.
constexpr std::uint32_t kHourWeight[24] = {3,  3,  3,  3,  3, 4, 5, 7, 9, 10, 10, 10,
                                           10, 10, 10, 10, 9, 8, 7, 6, 5, 4,  4,  3};
// Slice lengths (seconds; each divides an hour). The largest whose busiest slice stays small.
constexpr std::int64_t kSliceChoices[] = {600, 300, 120, 60, 30, 20, 15, 10, 5, 2, 1};

constexpr std::uint64_t kSliceStream = 0x534C4943ULL << 20;
constexpr std::uint64_t kScenarioStream = 0x5343454EULL << 16;

std::uint64_t slice_weight(std::int64_t t0, std::int64_t len) {
  const std::int64_t day = (t0 - kPeriodStart) / 86400;
  const int hour = static_cast<int>((t0 % 86400) / 3600);
  const bool weekend = day % 7 >= 5;  // the period starts on a Monday
  return kHourWeight[hour] * (weekend ? 3u : 5u) * static_cast<std::uint64_t>(len);
}

std::uint64_t hash_mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t s = a * 0x9e3779b97f4a7c15ULL ^ b;
  return splitmix64(s);
}

// ---- the benign background -----------------------------------------------------------------

// What people do in the console.
constexpr std::pair<std::string_view, std::string_view> kConsoleCalls[] = {
    {"ec2.amazonaws.com", "DescribeInstances"}, {"monitoring.amazonaws.com", "GetMetricData"},
    {"s3.amazonaws.com", "ListBuckets"},        {"logs.amazonaws.com", "DescribeLogGroups"},
    {"eks.amazonaws.com", "ListClusters"},      {"ce.amazonaws.com", "GetCostAndUsage"}};

/// Writes one slice of one account's background.
class Background {
 public:
  Background(const Estate& e, const SimAccount& a, std::size_t index, Rng& rng)
      : e_(e), a_(a), index_(index), rng_(rng) {}

  struct Out {
    std::int64_t time;
    LogKind kind;
    std::uint8_t sub;
    std::uint32_t off, len;
  };

  void cloudtrail(std::int64_t t0, std::int64_t len, std::uint64_t n) {
    scheduled_logins(t0, len);
    scheduled_jobs(t0, len);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::int64_t t =
          t0 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(len)));
      const std::uint64_t r = rng_.below(100);
      if (r < 18) {
        ci(t);
      } else if (r < 26) {
        terraform(t);
      } else if (r < 40) {
        if (!console(t)) node(t);
      } else if (r < 62) {
        node(t);
      } else if (r < 74) {
        pipeline(t);
      } else if (r < 82) {
        lambda(t);
      } else if (r < 90) {
        automation(t);
      } else {
        service(t);
      }
    }
  }

  void flows(std::int64_t t0, std::int64_t len, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::int64_t end =
          t0 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(len)));
      flow(end);
    }
  }

  void dns(std::int64_t t0, std::int64_t len, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::int64_t t =
          t0 + static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(len)));
      query(t);
    }
  }

  std::string arena;
  std::vector<Out> out;

 private:
  void emit_call(const Caller& who, Call c) {
    const bool global = c.source == "iam.amazonaws.com" || c.source == "signin.amazonaws.com";
    c.region = global ? std::string_view("us-east-1") : std::string_view(a_.region);
    const auto off = static_cast<std::uint32_t>(arena.size());
    write_call(arena, rng_, a_.id, who, c);
    out.push_back({c.time, LogKind::kCloudTrail,
                   static_cast<std::uint8_t>(c.region == a_.region ? 0 : 1), off,
                   static_cast<std::uint32_t>(arena.size() - off)});
  }

  static Call call(std::int64_t t, std::string_view source, std::string_view name, std::string ip,
                   std::string_view ua, bool ro = true, std::string request = "null") {
    Call c;
    c.time = t;
    c.source = source;
    c.name = name;
    c.ip = std::move(ip);
    c.user_agent = ua;
    c.read_only = ro;
    c.request = std::move(request);
    return c;
  }

  Call s3(std::int64_t t, std::string_view name, const std::string& bucket, std::string ip,
          std::string_view ua, bool ro) {
    Call c = call(t, "s3.amazonaws.com", name, std::move(ip), ua, ro);
    c.data = true;
    std::string key;
    if (name != "ListObjects") {
      key = "raw/orders/dt=2024-05-0";
      key += static_cast<char>('1' + rng_.below(9));
      key += "/part-";
      append_random(key, rng_, "0123456789", 5);
      key += ".json.gz";
    }
    c.request = "{\"bucketName\":\"" + bucket + "\",\"Host\":\"" + bucket + ".s3." + a_.region +
                ".amazonaws.com\"" + (key.empty() ? std::string() : ",\"key\":\"" + key + "\"") +
                "}";
    c.additional =
        "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
        "\"bytesTransferredIn\":" +
        std::to_string(name == "PutObject" ? rng_.range(2000, 400000) : 0) +
        ",\"AuthenticationMethod\":\"AuthHeader\",\"bytesTransferredOut\":" +
        std::to_string(name == "GetObject" ? rng_.range(2000, 400000) : 0) + "}";
    const std::string arn = "arn:aws:s3:::" + bucket;
    c.resources = key.empty() ? "[{\"accountId\":\"" + a_.id +
                                    "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"" + arn + "\"}]"
                              : "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"" + arn + "/" + key +
                                    "\"},{\"accountId\":\"" + a_.id +
                                    "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"" + arn + "\"}]";
    return c;
  }

  std::string nat() const { return ipv4_string(a_.nat_ip); }

  void ci(std::int64_t t) {
    const std::int64_t run = (t - kPeriodStart) / 3600;
    const Caller who =
        role_caller(a_, a_.ci, "GitHubActions-" + std::to_string(80000000 + run), t - t % 3600);
    const std::string& ua = a_.ci.user_agent;
    switch (rng_.below(8)) {
      case 6:
        emit_call(who, call(t, "ecs.amazonaws.com", "RegisterTaskDefinition", nat(), ua, false,
                            "{\"family\":\"orders-api\",\"networkMode\":\"awsvpc\"}"));
        break;
      case 7:
        emit_call(who, call(t, "iam.amazonaws.com", "PutRolePolicy", nat(), ua, false,
                            "{\"roleName\":\"orders-api-task\",\"policyName\":\"orders-api-s3\"}"));
        break;
      case 0:
        emit_call(who, call(t, "sts.amazonaws.com", "GetCallerIdentity", nat(), ua));
        break;
      case 1:
        emit_call(who, call(t, "eks.amazonaws.com", "DescribeCluster", nat(), ua, true,
                            "{\"name\":\"" + a_.eks_cluster + "\"}"));
        break;
      case 2:
        emit_call(who, call(t, "ecr.amazonaws.com", "GetAuthorizationToken", nat(), ua));
        break;
      case 3:
        emit_call(
            who,
            call(t, "ecr.amazonaws.com", "BatchGetImage", nat(), ua, true,
                 "{\"repositoryName\":\"orders-api\",\"imageIds\":[{\"imageTag\":\"main\"}]}"));
        break;
      case 4:
        emit_call(who, s3(t, "PutObject", a_.artifacts_bucket, nat(), ua, false));
        break;
      default:
        emit_call(who, call(t, "cloudformation.amazonaws.com", "DescribeStacks", nat(), ua, true,
                            "{\"stackName\":\"orders-api\"}"));
    }
  }

  const SimUser& person(std::uint64_t i) const { return a_.users[i % a_.people]; }

  void terraform(std::int64_t t) {
    const SimUser& p = person(rng_.below(a_.people));
    Caller who = role_caller(a_, a_.terraform, p.name, t - t % 3600);
    who.mfa = true;
    const std::string ip = ipv4_string(p.home_ip);
    const std::string& ua = a_.terraform.user_agent;
    static constexpr std::pair<std::string_view, std::string_view> kCalls[] = {
        {"ec2.amazonaws.com", "DescribeSecurityGroups"},
        {"ec2.amazonaws.com", "DescribeVpcs"},
        {"iam.amazonaws.com", "GetRole"},
        {"eks.amazonaws.com", "DescribeCluster"},
        {"rds.amazonaws.com", "DescribeDBInstances"},
        {"ec2.amazonaws.com", "DescribeSubnets"}};
    const auto& [src, name] = rng_.pick(kCalls);
    emit_call(who, call(t, src, name, ip, ua, true, "{}"));
  }

  std::int64_t login_time(std::size_t person, std::int64_t day) const {
    return kPeriodStart + day * 86400 + 7 * 3600 +
           static_cast<std::int64_t>(
               hash_mix(index_ * 16 + person, static_cast<std::uint64_t>(day)) % 10800);
  }

  // Nightly jobs, every day at about the same time: the backup user's database snapshot and
  // its rotation, the Lambda function setting its log group's retention.
  void scheduled_jobs(std::int64_t t0, std::int64_t len) {
    const std::int64_t day = (t0 - kPeriodStart) / 86400;
    const std::int64_t base = kPeriodStart + day * 86400;
    const auto jitter =
        static_cast<std::int64_t>(hash_mix(index_ + 555, static_cast<std::uint64_t>(day)) % 600);
    const SimUser& u = a_.users[a_.people];
    const std::string home = ipv4_string(u.home_ip);
    const std::string request =
        "{\"dBSnapshotIdentifier\":\"orders-db-nightly\",\"dBInstanceIdentifier\":\"orders-db\"}";
    const std::int64_t snap = base + 3600 + jitter, rotate = snap + 900,
                       retention = base + 1800 + jitter;
    if (snap >= t0 && snap < t0 + len) {
      emit_call(user_caller(a_, u), call(snap, "rds.amazonaws.com", "CreateDBSnapshot", home,
                                         u.user_agent, false, request));
    }
    if (rotate >= t0 && rotate < t0 + len) {
      emit_call(user_caller(a_, u), call(rotate, "rds.amazonaws.com", "DeleteDBSnapshot", home,
                                         u.user_agent, false, request));
    }
    if (retention >= t0 && retention < t0 + len) {
      const Caller who = role_caller(a_, a_.lambda_role, a_.lambda_function, retention - 60);
      emit_call(who, call(retention, "logs.amazonaws.com", "PutRetentionPolicy",
                          ipv4_string(e_.aws_public[3]), a_.lambda_role.user_agent, false,
                          "{\"logGroupName\":\"/aws/lambda/" + a_.lambda_function +
                              "\",\"retentionInDays\":30}"));
    }
  }

  void scheduled_logins(std::int64_t t0, std::int64_t len) {
    const std::int64_t day = (t0 - kPeriodStart) / 86400;
    if (day % 7 >= 5) return;  // nobody signs in at weekends
    for (std::size_t i = 0; i < a_.people; ++i) {
      const std::int64_t t = login_time(i, day);
      if (t < t0 || t >= t0 + len) continue;
      const SimUser& p = a_.users[i];
      const Caller who = user_caller(a_, p, false);
      const std::string ip = ipv4_string(p.home_ip);
      auto login = [&](std::int64_t when, bool ok) {
        Call c = call(when, "signin.amazonaws.com", "ConsoleLogin", ip, p.user_agent, false);
        c.event_type = "AwsConsoleSignIn";
        c.response = ok ? "{\"ConsoleLogin\":\"Success\"}" : "{\"ConsoleLogin\":\"Failure\"}";
        if (!ok) {
          c.error_message = "Failed authentication";
          c.error_code.clear();
        }
        c.additional = std::string(
                           "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\","
                           "\"MobileVersion\":\"No\",\"MFAUsed\":\"") +
                       (ok ? "Yes" : "No") + "\"}";
        emit_call(who, c);
      };
      // Near miss: now and then a mistyped password, then the right one.
      if (hash_mix(index_ * 16 + i, static_cast<std::uint64_t>(day) + 7777) % 5 == 0) {
        login(std::max(t0, t - 40), false);
      }
      login(t, true);
      // The console's landing pages: one call of each of the person's usual APIs.
      Caller session = user_caller(a_, p, false);
      session.access_key = "ASIA";
      Rng krng(hash_mix(index_ * 16 + i, static_cast<std::uint64_t>(day)));
      append_random(session.access_key, krng, kUpperAlnum, 16);
      session.mfa = true;
      session.session_created = t;
      std::int64_t when = t;
      for (const auto& [src, name] : kConsoleCalls) {
        when += 2 + static_cast<std::int64_t>(rng_.below(20));
        emit_call(session, call(when, src, name, ip, p.user_agent, true, "{}"));
      }
    }
  }

  bool console(std::int64_t t) {
    const std::int64_t day = (t - kPeriodStart) / 86400;
    if (day % 7 >= 5) return false;
    const std::size_t i = rng_.below(a_.people);
    const std::int64_t in = login_time(i, day);
    if (t < in + 60 || t > in + 9 * 3600) return false;
    const SimUser& p = a_.users[i];
    Caller who = user_caller(a_, p, false);
    who.access_key = "ASIA";
    Rng krng(hash_mix(index_ * 16 + i, static_cast<std::uint64_t>(day)));
    append_random(who.access_key, krng, kUpperAlnum, 16);
    who.mfa = true;
    who.session_created = in;
    const std::string ip = ipv4_string(p.home_ip);

    const auto& [src, name] = rng_.pick(kConsoleCalls);
    Call c = call(t, src, name, ip, p.user_agent, true, "{}");
    // Near miss: a rare denied read (the person lacks a permission).
    if (name == "GetCostAndUsage" && rng_.chance(100)) {
      c.error_code = "AccessDenied";
      c.error_message = "User: " + who.arn + " is not authorized to perform: ce:GetCostAndUsage";
    }
    emit_call(who, c);
    return true;
  }

  void node(std::int64_t t) {
    const SimHost& h = a_.hosts[a_.nodes[rng_.below(a_.nodes.size())]];
    const Caller who = role_caller(a_, a_.node_role, h.instance_id, t - t % 21600, true);
    const std::string ip = ipv4_string(h.ip);
    const std::string& ua = a_.node_role.user_agent;
    Call c;
    switch (rng_.below(5)) {
      case 0:
        c = s3(t, "GetObject", a_.data_bucket, ip, ua, true);
        break;
      case 1:
        c = s3(t, "PutObject", a_.data_bucket, ip, ua, false);
        break;
      case 2:
        c = call(t, "kms.amazonaws.com", "Decrypt", ip, ua, true,
                 "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}");
        break;
      case 3:
        c = call(t, "secretsmanager.amazonaws.com", "GetSecretValue", ip, ua, true,
                 "{\"secretId\":\"prod/orders-api/db\"}");
        break;
      default:
        c = call(t, "ecr.amazonaws.com", "GetAuthorizationToken", ip, ua);
        break;
    }
    c.vpce_id = a_.vpce_id;
    c.vpce_account = a_.id;
    emit_call(who, c);
  }

  void pipeline(std::int64_t t) {
    const std::int64_t day = (t - kPeriodStart) / 86400;
    std::string task;
    Rng trng(hash_mix(index_ + 99, static_cast<std::uint64_t>(day)));
    append_random(task, trng, kHexLower, 32);
    const Caller who = role_caller(a_, a_.pipeline, task, t - t % 86400);
    const std::string& ua = a_.pipeline.user_agent;
    switch (rng_.below(4)) {
      case 0:
        emit_call(who, s3(t, "GetObject", a_.data_bucket, nat(), ua, true));
        break;
      case 1:
        emit_call(who, s3(t, "PutObject", a_.data_bucket, nat(), ua, false));
        break;
      case 2:
        emit_call(who, s3(t, "ListObjects", a_.data_bucket, nat(), ua, true));
        break;
      default:
        emit_call(who, call(t, "glue.amazonaws.com", "GetTable", nat(), ua, true,
                            "{\"databaseName\":\"orders\",\"name\":\"raw_orders\"}"));
    }
  }

  void lambda(std::int64_t t) {
    const Caller who = role_caller(a_, a_.lambda_role, a_.lambda_function, t - t % 3600);
    const std::string ip = ipv4_string(e_.aws_public[3]);
    const std::string& ua = a_.lambda_role.user_agent;
    if (rng_.chance(500)) {
      emit_call(who, call(t, "kms.amazonaws.com", "Decrypt", ip, ua, true,
                          "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}"));
    } else {
      emit_call(who, call(t, "dynamodb.amazonaws.com", "DescribeTable", ip, ua, true,
                          "{\"tableName\":\"orders\"}"));
    }
  }

  void automation(std::int64_t t) {
    const bool backup = rng_.chance(500);
    const SimUser& u = a_.users[a_.people + (backup ? 0 : 1)];
    const Caller who = user_caller(a_, u);
    const std::string ip = ipv4_string(u.home_ip);
    if (backup) {
      if (rng_.chance(500)) {
        emit_call(who, call(t, "rds.amazonaws.com", "DescribeDBSnapshots", ip, u.user_agent, true,
                            "{\"dBInstanceIdentifier\":\"orders-db\"}"));
      } else {
        emit_call(who, s3(t, "PutObject", a_.logs_bucket, ip, u.user_agent, false));
      }
    } else if (rng_.chance(500)) {
      emit_call(who, call(t, "ce.amazonaws.com", "GetCostAndUsage", ip, u.user_agent, true, "{}"));
    } else {
      emit_call(who, s3(t, "GetObject", a_.data_bucket, ip, u.user_agent, true));
    }
  }

  void service(std::int64_t t) {
    if (rng_.chance(500)) {
      Caller who = role_caller(a_, a_.config_role, "AWSConfig-Describe", t - t % 3600);
      who.invoked_by = "config.amazonaws.com";
      static constexpr std::pair<std::string_view, std::string_view> kCalls[] = {
          {"ec2.amazonaws.com", "DescribeSecurityGroups"},
          {"iam.amazonaws.com", "GetRole"},
          {"ec2.amazonaws.com", "DescribeNetworkInterfaces"}};
      const auto& [src, name] = rng_.pick(kCalls);
      emit_call(who,
                call(t, src, name, "config.amazonaws.com", "config.amazonaws.com", true, "{}"));
    } else {
      static constexpr std::string_view kServices[] = {"ecs-tasks.amazonaws.com",
                                                       "eks.amazonaws.com", "lambda.amazonaws.com"};
      const std::string_view svc = rng_.pick(kServices);
      const Caller who = service_caller(a_, svc);
      const SimRole& role = svc == "lambda.amazonaws.com" ? a_.lambda_role
                            : svc == "eks.amazonaws.com"  ? a_.node_role
                                                          : a_.pipeline;
      Call c = call(
          t, "sts.amazonaws.com", "AssumeRole", std::string(svc), svc, true,
          "{\"roleArn\":\"" + role.arn + "\",\"roleSessionName\":\"" + std::to_string(t) + "\"}");
      c.resources = "[{\"accountId\":\"" + a_.id + "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"" +
                    role.arn + "\"}]";
      emit_call(who, c);
    }
  }

  void push_flow(const Flow& f) {
    const auto off = static_cast<std::uint32_t>(arena.size());
    write_flow(arena, a_, f);
    out.push_back({f.end, LogKind::kFlow, 0, off, static_cast<std::uint32_t>(arena.size() - off)});
  }

  void flow(std::int64_t end) {
    Flow f;
    f.end = end;
    f.start = end - rng_.range(0, 55);
    f.sport = static_cast<std::uint32_t>(rng_.range(32768, 60999));
    f.packets = static_cast<std::uint64_t>(rng_.range(2, 60));
    f.bytes = f.packets * static_cast<std::uint64_t>(rng_.range(60, 1400));
    f.tcp_flags = 19;
    const SimHost& alb = a_.hosts[a_.alb + rng_.below(2)];
    const SimHost& nd = a_.hosts[a_.nodes[rng_.below(a_.nodes.size())]];
    const std::uint64_t r = rng_.below(100);
    if (r < 30) {  // internet users of the load balancer
      const std::uint32_t client = e_.clients[rng_.below(e_.clients.size())];
      f.host = &alb;
      if (rng_.chance(500)) {
        f.src = client, f.dst = alb.ip, f.dport = 443, f.egress = false;
      } else {
        f.src = alb.ip, f.dst = client, f.dport = f.sport, f.sport = 443;
      }
    } else if (r < 50) {  // load balancer to the EKS nodes
      const bool at_node = rng_.chance(500);
      f.host = at_node ? &nd : &alb;
      f.src = alb.ip, f.dst = nd.ip, f.dport = 30080, f.egress = !at_node;
    } else if (r < 65) {  // nodes to the database
      const SimHost& db = a_.hosts[a_.db];
      const bool at_db = rng_.chance(300);
      f.host = at_db ? &db : &nd;
      f.src = nd.ip, f.dst = db.ip, f.dport = 5432, f.egress = !at_db;
    } else if (r < 73) {  // node to node (kubelet, service traffic)
      const SimHost& other = a_.hosts[a_.nodes[rng_.below(a_.nodes.size())]];
      f.host = &nd;
      f.src = nd.ip, f.dst = other.ip == nd.ip ? a_.hosts[a_.db].ip : other.ip;
      f.dport = rng_.chance(500) ? 10250 : 443;
    } else if (r < 87) {  // NAT egress to the usual outside services
      const Peer& p = e_.saas[rng_.below(e_.saas.size())];
      const bool at_nat = rng_.chance(500);
      const SimHost& natgw = a_.hosts[a_.nat];
      f.host = at_nat ? &natgw : &nd;
      f.src = at_nat ? natgw.ip : nd.ip, f.dst = p.ip, f.dport = p.port;
    } else if (r < 92) {  // the CI runner fetching code and images
      const SimHost& runner = a_.hosts[a_.batch];
      f.host = &runner;
      f.src = runner.ip, f.dst = e_.saas[rng_.below(2)].ip, f.dport = 443;
    } else if (r < 95) {  // admins on the bastion from their usual addresses
      const SimHost& b = a_.hosts[a_.bastion];
      f.host = &b;
      f.src = a_.users[rng_.below(a_.people)].home_ip, f.dst = b.ip, f.dport = 22, f.egress = false;
    } else if (r < 97) {  // near miss: a lone rejected probe from somewhere on the internet
      const SimHost& b = rng_.chance(500) ? a_.hosts[a_.bastion] : alb;
      f.host = &b;
      f.src = (static_cast<std::uint32_t>(rng_.chance(500) ? 98 : 24) << 24) |
              static_cast<std::uint32_t>(rng_.below(1u << 24));
      f.dst = b.ip;
      static constexpr std::uint32_t kPorts[] = {22, 23, 3389, 445, 8080};
      f.dport = rng_.pick(kPorts);
      f.packets = 1, f.bytes = 44, f.accept = false, f.egress = false, f.tcp_flags = 2;
    } else if (r < 99) {  // nodes to AWS services over the internet gateway
      f.host = &nd;
      f.src = nd.ip, f.dst = e_.aws_public[rng_.below(3)], f.dport = 443;
    } else {
      const auto off = static_cast<std::uint32_t>(arena.size());
      write_nodata(arena, a_, a_.hosts[a_.bastion], end - 60, end);
      out.push_back({end, LogKind::kFlow, 0, off, static_cast<std::uint32_t>(arena.size() - off)});
      return;
    }
    push_flow(f);
  }

  void query(std::int64_t t) {
    // Query logging is configured on the backend VPC (the EKS cluster) only.
    const SimHost& h = a_.hosts[a_.nodes[rng_.below(a_.nodes.size())]];
    Query qy;
    qy.time = t;
    qy.host = &h;
    std::string name;
    const std::uint64_t r = rng_.below(100);
    if (r < 35) {
      const Peer& p = e_.saas[rng_.below(e_.saas.size())];
      qy.name = p.domain;
      qy.answers = a_answers({p.ip});
    } else if (r < 60) {
      name = rng_.chance(500) ? "sts." : "s3.";
      name += a_.region + ".amazonaws.com.";
      qy.name = name;
      qy.answers = a_answers({e_.aws_public[rng_.below(3)]});
    } else if (r < 75) {
      qy.name = a_.db_endpoint;
      qy.answers = a_answers({a_.hosts[a_.db].ip});
    } else if (r < 85) {
      name = a_.id + ".dkr.ecr." + a_.region + ".amazonaws.com.";
      qy.name = name;
      qy.answers = a_answers({e_.aws_public[3]});
    } else if (r < 93) {  // near miss: search-list expansion of an outside name (NXDOMAIN)
      name = std::string(e_.saas[rng_.below(e_.saas.size())].domain) + a_.region +
             ".compute.internal.";
      qy.name = name;
      qy.rcode = "NXDOMAIN";
    } else if (r < 97) {  // near miss: long, random-looking but benign names (CDN, ELB)
      name = "d" + std::to_string(1000 + index_) + "k2xmf9q8pzr.cloudfront.net.";
      qy.name = name;
      qy.answers = a_answers({0x12A00105u + static_cast<std::uint32_t>(rng_.below(200))});
    } else {
      name = "internal-" + a_.alias + "-backend-1234567890." + a_.region + ".elb.amazonaws.com.";
      qy.name = name;
      qy.answers = a_answers({a_.hosts[a_.alb].ip});
    }
    const auto off = static_cast<std::uint32_t>(arena.size());
    write_query(arena, rng_, a_, qy);
    out.push_back({t, LogKind::kDns, static_cast<std::uint8_t>(h.vpc), off,
                   static_cast<std::uint32_t>(arena.size() - off)});
  }

  const Estate& e_;
  const SimAccount& a_;
  std::size_t index_;
  Rng& rng_;
};

// ---- writing ---------------------------------------------------------------------------------

struct Writer {
  const SimulateOptions& opt;
  libdeflate_compressor* comp;
  SimulateSummary* sum;
  std::string gz;

  Result<bool> put(const std::string& rel, std::string_view raw) {
    gz.resize(libdeflate_gzip_compress_bound(comp, raw.size()));
    const std::size_t n =
        libdeflate_gzip_compress(comp, raw.data(), raw.size(), gz.data(), gz.size());
    if (n == 0) return Error{"out_of_memory", "cannot compress " + rel};
    auto w = write_file(opt.out_dir / rel, std::string_view(gz.data(), n));
    if (!w) return w.error();
    ++sum->files;
    sum->gz_bytes += *w;
    return true;
  }
};

std::string label_json(const Label& l) {
  std::string out;
  JsonOut j(out);
  j.begin_object();
  j.kv("scenario", l.scenario);
  j.kv("summary", l.summary);
  j.kv("account", l.account);
  std::string s;
  append_iso_time(s, l.start);
  j.kv("start", s);
  s.clear();
  append_iso_time(s, l.end);
  j.kv("end", s);
  j.arr("actors");
  for (const auto& a : l.actors) j.string(a);
  j.end_array();
  j.arr("expected");
  for (const auto& a : l.expected) j.string(a);
  j.end_array();
  j.arr("sources");
  for (const auto& a : l.sources) j.string(a);
  j.end_array();
  if (!l.guardduty.empty()) {
    j.arr("guardduty");
    for (const auto& a : l.guardduty) j.string(a);
    j.end_array();
  }
  j.kv_num("events", static_cast<std::int64_t>(l.events));
  j.end_object();
  out += '\n';
  return out;
}

std::string list_text(std::string_view title, const std::vector<std::uint32_t>& ips,
                      const std::vector<std::string>& domains) {
  std::string s = "# ";
  s += title;
  s += "\n# Synthetic list written by `sentinel simulate` (addresses of the simulated world).\n";
  for (std::uint32_t ip : ips) s += ipv4_string(ip) + "\n";
  for (const auto& d : domains) s += d.substr(0, d.size() - 1) + "\n";
  return s;
}

struct ListFile {
  const char* name;
  const char* file;
  const char* display;
};
constexpr ListFile kLists[] = {
    {"tor_exits", "tor_exits.txt", "Tor exit nodes"},
    {"tor_relays", "tor_relays.txt", "Tor relays and guards"},
    {"malicious_ips", "malicious_ips.txt", "Known malicious addresses"},
    {"custom_blocklist", "custom_blocklist.txt", "Customer threat list"},
    {"mining_pools", "mining_pools.txt", "Crypto-mining pools"},
    {"c2", "c2.txt", "Command and control"},
    {"drop_points", "drop_points.txt", "Drop points"},
    {"blackholes", "blackholes.txt", "Sinkholes"},
    {"phishing_domains", "phishing_domains.txt", "Phishing domains"},
    {"drive_by_domains", "drive_by_domains.txt", "Drive-by download sources"},
    {"malicious_domains", "malicious_domains.txt", "Customer domain threat list"},
};

Result<bool> write_metadata(const SimulateOptions& opt, const Estate& e,
                            const std::vector<Label>& labels, const SimulateSummary& sum) {
  const auto& root = opt.out_dir;
  std::string text;
  for (const auto& l : labels) text += label_json(l);
  if (auto w = write_file(root / "labels.jsonl", text); !w) return w.error();

  const std::vector<std::string> none;
  const std::string lists[] = {
      list_text("Tor exit nodes", e.tor_exits, none),
      list_text("Tor relays (guards and middles)", e.tor_relays, none),
      list_text("Malicious addresses (stand-in for AWS threat intelligence)", e.malicious_ips,
                none),
      list_text("Customer threat list", e.custom_threat_ips, none),
      list_text("Crypto-mining pools", e.mining_ips, e.mining_domains),
      list_text("Command-and-control servers", e.cc_ips, e.cc_domains),
      list_text("Drop points", e.drop_point_ips, e.drop_point_domains),
      list_text("Sinkhole / black-hole addresses", e.blackhole_ips, e.blackhole_domains),
      list_text("Phishing domains", {}, e.phishing_domains),
      list_text("Drive-by download sources", {}, e.drive_by_domains),
      list_text("Customer domain threat list", {}, e.malicious_domains),
  };
  std::string yaml =
      "# Written by `sentinel simulate`: the lists and AWS ranges this dataset's attacks use.\n"
      "# Run: sentinel detect AWSLogs --config sentinel.yaml  (from this folder)\n"
      "aws_ip_ranges: ip-ranges.json\nlists:\n";
  for (std::size_t i = 0; i < std::size(kLists); ++i) {
    if (auto w = write_file(root / "lists" / kLists[i].file, lists[i]); !w) return w.error();
    yaml += "  - {name: " + std::string(kLists[i].name) +
            ", kind: threat, format: TXT, path: lists/" + kLists[i].file +
            ", display_name: " + kLists[i].display + "}\n";
  }
  // Public encrypted-DNS resolvers (trusted: never threats), as the shipped data/lists name them.
  for (const char* name : {"doh_resolvers", "dot_resolvers"}) {
    std::string text = "# Public DNS resolvers reachable over HTTPS/TLS\n";
    for (std::uint32_t ip : e.doh_resolvers) text += ipv4_string(ip) + "\n";
    if (auto w = write_file(root / "lists" / (std::string(name) + ".txt"), text); !w) {
      return w.error();
    }
    yaml += "  - {name: " + std::string(name) + ", kind: trusted, format: TXT, path: lists/" +
            name + ".txt}\n";
  }
  if (auto w = write_file(root / "sentinel.yaml", yaml); !w) return w.error();

  std::string ranges;
  {
    JsonOut j(ranges);
    j.begin_object();
    j.kv("syncToken", "1714953600");
    j.kv("createDate", "2024-05-06-00-00-00");
    j.arr("prefixes");
    for (const auto& b : kAwsBlocks) {
      j.begin_object();
      j.kv("ip_prefix", b.cidr);
      j.kv("region", b.region);
      j.kv("service", b.service);
      j.kv("network_border_group", b.region);
      j.end_object();
    }
    j.end_array();
    j.arr("ipv6_prefixes");
    j.end_array();
    j.end_object();
    ranges += '\n';
  }
  if (auto w = write_file(root / "ip-ranges.json", ranges); !w) return w.error();

  std::string m;
  {
    JsonOut j(m);
    j.begin_object();
    j.kv_num("seed", static_cast<std::int64_t>(opt.seed));
    j.kv_num("accounts", static_cast<std::int64_t>(opt.accounts));
    j.kv_num("days", opt.days);
    j.kv_num("background_events", static_cast<std::int64_t>(opt.events));
    std::string s;
    append_iso_time(s, kPeriodStart);
    j.kv("start", s);
    s.clear();
    append_iso_time(s, kPeriodStart + static_cast<std::int64_t>(opt.days) * 86400);
    j.kv("end", s);
    j.arr("account_ids");
    for (const auto& a : e.accounts) j.string(a.id);
    j.end_array();
    j.kv_num("files", static_cast<std::int64_t>(sum.files));
    j.kv_num("cloudtrail_records", static_cast<std::int64_t>(sum.cloudtrail));
    j.kv_num("flow_records", static_cast<std::int64_t>(sum.flows));
    j.kv_num("dns_records", static_cast<std::int64_t>(sum.dns));
    if (opt.guardduty) j.kv_num("guardduty_findings", static_cast<std::int64_t>(sum.guardduty));
    j.kv_num("attack_records", static_cast<std::int64_t>(sum.attack_records));
    j.arr("scenarios");
    for (const auto& n : sum.injected) j.string(n);
    j.end_array();
    j.arr("skipped");
    for (const auto& n : sum.skipped) j.string(n);
    j.end_array();
    j.end_object();
    m += '\n';
  }
  if (auto w = write_file(root / "manifest.json", m); !w) return w.error();
  return true;
}

}  // namespace

std::vector<ScenarioInfo> list_scenarios() {
  std::vector<ScenarioInfo> out;
  for (const auto& s : scenario_catalogue()) {
    ScenarioInfo i{std::string(s.name), std::string(s.summary), {}, s.min_days, {}};
    for (auto t : s.expected) i.expected.emplace_back(t);
    for (auto t : s.guardduty) i.guardduty.emplace_back(t);
    out.push_back(std::move(i));
  }
  return out;
}

Result<SimulateSummary> simulate(const SimulateOptions& opt) {
  if (opt.accounts < 1 || opt.accounts > 12) {
    return Error{"bad_option", "--accounts must be between 1 and 12"};
  }
  if (opt.days < 1 || opt.days > 366)
    return Error{"bad_option", "--days must be between 1 and 366"};
  const auto& catalogue = scenario_catalogue();
  std::vector<std::size_t> chosen;
  SimulateSummary sum;
  for (const auto& name : opt.scenarios) {
    if (name == "none") continue;
    std::size_t i = 0;
    while (i < catalogue.size() && catalogue[i].name != name) ++i;
    if (i == catalogue.size()) {
      return Error{"unknown_scenario", "no scenario named " + json_quoted(name) +
                                           " (sentinel simulate --list shows them)"};
    }
    if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
  }
  if (opt.scenarios.empty()) {
    for (std::size_t i = 0; i < catalogue.size(); ++i) chosen.push_back(i);
  }
  std::sort(chosen.begin(), chosen.end());
  // Scenarios that write GuardDuty findings only are scheduled after all the others, so that
  // --guardduty adds their findings without moving any other scenario's slot (and logs).
  std::stable_partition(chosen.begin(), chosen.end(),
                        [&](std::size_t i) { return !catalogue[i].expected.empty(); });

  const Estate estate = make_estate(opt.seed, opt.accounts);

  // Schedule: each scenario gets a 12-minute slot on the last day (fixed-time stories keep
  // theirs), wrapping to earlier days when the day is full, never before its min_days.
  std::vector<SimEvent> attacks;
  std::vector<Label> labels;
  std::set<std::pair<int, int>> taken;  // (day, slot)
  constexpr int kSlotMinutes = 12;
  constexpr int kSlotsPerDay = 24 * 60 / kSlotMinutes;
  for (const std::size_t i : chosen) {
    const Scenario& s = catalogue[i];
    if (s.expected.empty() && !opt.guardduty) {
      // Writes only GuardDuty findings: reported when asked for by name, else left out quietly.
      if (!opt.scenarios.empty()) {
        sum.skipped.push_back(std::string(s.name) +
                              ": writes GuardDuty findings only (add --guardduty)");
      }
      continue;
    }
    if (s.min_days > opt.days) {
      sum.skipped.push_back(std::string(s.name) + ": needs --days " + std::to_string(s.min_days));
      continue;
    }
    Rng srng(derive_seed(opt.seed, kScenarioStream + i));
    int day = opt.days - 1;
    int slot = -1;
    if (s.fixed_minute >= 0) {
      slot = s.fixed_minute / kSlotMinutes;
      for (int k = 0; k < 5; ++k) taken.insert({day, slot + k});
    } else {
      for (int d = day; d >= s.min_days - 1 && slot < 0; --d) {
        // Scenarios that need a learned baseline start in the afternoon, after the 7-day
        // learning window that began with the first working morning has closed.
        for (int k = s.min_days >= 8 ? kSlotsPerDay / 2 : 1; k < kSlotsPerDay - 5; ++k) {
          if (!taken.count({d, k})) {
            slot = k;
            day = d;
            break;
          }
        }
      }
      if (slot < 0) {
        sum.skipped.push_back(std::string(s.name) + ": no free slot (raise --days)");
        continue;
      }
      taken.insert({day, slot});
    }
    const std::int64_t t0 =
        kPeriodStart + static_cast<std::int64_t>(day) * 86400 +
        static_cast<std::int64_t>(slot) * kSlotMinutes * 60 +
        (s.fixed_minute >= 0 ? (s.fixed_minute % kSlotMinutes) * 60 : srng.range(0, 120));
    const std::size_t account = s.main_account ? 0 : i % opt.accounts;
    Label label;
    label.scenario = std::string(s.name);
    label.summary = std::string(s.summary);
    label.account = estate.accounts[account].id;
    for (auto t : s.expected) label.expected.emplace_back(t);
    Injector in(estate, srng.next(), t0, account, &attacks, &label, opt.guardduty);
    s.run(in);
    sum.attack_records += label.events;
    labels.push_back(std::move(label));
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& x, const Label& y) { return x.start < y.start; });
  for (const auto& l : labels) sum.injected.push_back(l.scenario);
  std::stable_sort(attacks.begin(), attacks.end(),
                   [](const SimEvent& x, const SimEvent& y) { return x.time < y.time; });

  // Budgets: 35 % CloudTrail, 45 % flows, 20 % DNS, shared equally by the accounts.
  const std::uint64_t budget[3] = {opt.events * 35 / 100, opt.events * 45 / 100,
                                   opt.events - opt.events * 35 / 100 - opt.events * 45 / 100};
  const std::int64_t period = static_cast<std::int64_t>(opt.days) * 86400;
  const double peak_rate = static_cast<double>(budget[1]) / static_cast<double>(opt.accounts) /
                           static_cast<double>(period) * 2.0;  // busiest hours ~2x the mean
  std::int64_t len = 1;
  for (std::int64_t l : kSliceChoices) {
    if (peak_rate * static_cast<double>(l) <= 1500.0) {
      len = l;
      break;
    }
  }
  const std::int64_t slices = period / len;
  std::uint64_t total_weight = 0;
  for (std::int64_t k = 0; k < slices; ++k)
    total_weight += slice_weight(kPeriodStart + k * len, len);

  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> comp(
      libdeflate_alloc_compressor(opt.gzip_level), libdeflate_free_compressor);
  if (!comp) return Error{"out_of_memory", "cannot allocate a compressor"};
  Writer writer{opt, comp.get(), &sum, {}};

  std::vector<std::uint64_t> done(opt.accounts * 3, 0);
  std::uint64_t cum_weight = 0;
  std::size_t next_attack = 0;
  std::vector<std::size_t> order;
  std::string raw;
  for (std::int64_t k = 0; k < slices; ++k) {
    const std::int64_t t0 = kPeriodStart + k * len;
    cum_weight += slice_weight(t0, len);
    const std::size_t first_attack = next_attack;
    while (next_attack < attacks.size() &&
           (attacks[next_attack].time < t0 + len || k == slices - 1)) {
      ++next_attack;
    }
    for (std::size_t ai = 0; ai < opt.accounts; ++ai) {
      const SimAccount& acct = estate.accounts[ai];
      Rng rng(derive_seed(opt.seed, kSliceStream + static_cast<std::uint64_t>(k) * 16 + ai));
      Background bg(estate, acct, ai, rng);
      std::uint64_t n[3];
      for (int kind = 0; kind < 3; ++kind) {
        const std::uint64_t share =
            budget[kind] / opt.accounts + (ai < budget[kind] % opt.accounts ? 1 : 0);
        const auto target = static_cast<std::uint64_t>(static_cast<unsigned __int128>(share) *
                                                       cum_weight / total_weight);
        n[kind] = target - done[ai * 3 + kind];
        done[ai * 3 + kind] = target;
      }
      bg.cloudtrail(t0, len, n[0]);
      bg.flows(t0, len, n[1]);
      bg.dns(t0, len, n[2]);
      // The attacks of this slice join the background (the first slice takes any earlier).
      for (std::size_t x = first_attack; x < next_attack; ++x) {
        const SimEvent& ev = attacks[x];
        if (ev.account != ai) continue;
        const auto off = static_cast<std::uint32_t>(bg.arena.size());
        bg.arena += ev.text;
        bg.out.push_back(
            {ev.time, ev.kind, ev.sub, off, static_cast<std::uint32_t>(ev.text.size())});
      }
      order.resize(bg.out.size());
      for (std::size_t x = 0; x < order.size(); ++x) order[x] = x;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        return bg.out[x].time < bg.out[y].time;
      });
      const std::int64_t delivered = t0 + len + 300;
      // CloudTrail: one file per region, split at kMaxRecordsPerFile records.
      for (std::uint8_t sub = 0; sub < 2; ++sub) {
        const std::string region = sub == 0 ? acct.region : "us-east-1";
        std::size_t count = 0;
        raw.clear();
        auto flush = [&]() -> Result<bool> {
          if (count == 0) return true;
          raw += "]}";
          std::string rel = "AWSLogs/" + acct.id + "/CloudTrail/" + region + "/" +
                            date_dirs(delivered) + "/" + acct.id + "_CloudTrail_" + region + "_" +
                            stamp_minute(delivered) + "_";
          append_random(rel, rng, kAlnum, 16);
          rel += ".json.gz";
          auto r = writer.put(rel, raw);
          raw.clear();
          count = 0;
          return r;
        };
        for (std::size_t x : order) {
          const auto& o = bg.out[x];
          if (o.kind != LogKind::kCloudTrail || o.sub != sub) continue;
          raw += count == 0 ? "{\"Records\":[" : ",";
          raw.append(bg.arena, o.off, o.len);
          ++sum.cloudtrail;
          if (++count == kMaxRecordsPerFile) {
            if (auto r = flush(); !r) return r.error();
          }
        }
        if (auto r = flush(); !r) return r.error();
      }
      // Flow logs: one file per slice.
      raw.clear();
      for (std::size_t x : order) {
        const auto& o = bg.out[x];
        if (o.kind != LogKind::kFlow) continue;
        if (raw.empty()) {
          raw += kFlowHeaderV5;
          raw += '\n';
        }
        raw.append(bg.arena, o.off, o.len);
        ++sum.flows;
      }
      if (!raw.empty()) {
        std::string rel = "AWSLogs/" + acct.id + "/vpcflowlogs/" + acct.region + "/" +
                          date_dirs(t0 + len) + "/" + acct.id + "_vpcflowlogs_" + acct.region +
                          "_" + acct.flow_log_id + "_" + stamp_minute(t0 + len) + "_";
        append_random(rel, rng, kHexLower, 8);
        rel += ".log.gz";
        if (auto r = writer.put(rel, raw); !r) return r.error();
      }
      // Resolver query logs: one file per VPC.
      for (std::uint8_t vpc = 0; vpc < 2; ++vpc) {
        raw.clear();
        for (std::size_t x : order) {
          const auto& o = bg.out[x];
          if (o.kind != LogKind::kDns || o.sub != vpc) continue;
          raw.append(bg.arena, o.off, o.len);
          ++sum.dns;
        }
        if (raw.empty()) continue;
        const std::string& v = acct.vpcs[vpc];
        std::string rel = "AWSLogs/" + acct.id + "/vpcdnsquerylogs/" + v + "/" +
                          date_dirs(t0 + len) + "/" + v + "_vpcdnsquerylogs_" + acct.id + "_" +
                          stamp_minute(t0 + len) + "_";
        append_random(rel, rng, kHexLower, 8);
        rel += ".log.gz";
        if (auto r = writer.put(rel, raw); !r) return r.error();
      }
      // GuardDuty's S3 export: the slice's new findings, one JSON object a line, in an object
      // named by a UUID (not time-ordered, as GuardDuty names them).
      raw.clear();
      for (std::size_t x : order) {
        const auto& o = bg.out[x];
        if (o.kind != LogKind::kGuardDuty) continue;
        raw.append(bg.arena, o.off, o.len);
        ++sum.guardduty;
      }
      if (!raw.empty()) {
        std::string rel =
            "AWSLogs/" + acct.id + "/GuardDuty/" + acct.region + "/" + date_dirs(t0 + len) + "/";
        append_uuid(rel, rng);
        rel += ".jsonl.gz";
        if (auto r = writer.put(rel, raw); !r) return r.error();
      }
    }
  }
  if (auto r = write_metadata(opt, estate, labels, sum); !r) return r.error();
  return sum;
}

}  // namespace sentinel::sim
