#include "sim/scenarios.h"

#include <algorithm>

#include "sim/json_out.h"
#include "sim/world.h"

namespace sentinel::sim {

Injector::Injector(const Estate& estate, std::uint64_t seed, std::int64_t t0, std::size_t account,
                   std::vector<SimEvent>* out, Label* label, bool guardduty)
    : e(estate),
      a(estate.accounts[account]),
      acct(account),
      rng(seed),
      t(t0),
      out_(out),
      label_(label),
      guardduty_(guardduty),
      gd_rng_(seed ^ 0x4744464E44ULL) {}

namespace {

bool is_global(std::string_view source) {
  return source == "iam.amazonaws.com" || source == "signin.amazonaws.com" ||
         source == "organizations.amazonaws.com";
}

void add_source(Label* l, std::string_view s) {
  if (std::find(l->sources.begin(), l->sources.end(), s) == l->sources.end()) {
    l->sources.emplace_back(s);
  }
}

}  // namespace

void Injector::call(const Caller& who, Call c) {
  c.time = t;
  const bool global = is_global(c.source);
  if (c.region.empty())
    c.region = global ? std::string_view("us-east-1") : std::string_view(a.region);
  SimEvent ev{t,
              static_cast<std::uint32_t>(acct),
              LogKind::kCloudTrail,
              static_cast<std::uint8_t>(c.region == a.region ? 0 : 1),
              {}};
  write_call(ev.text, rng, a.id, who, c);
  out_->push_back(std::move(ev));
  label_->start = label_->events == 0 ? t : std::min(label_->start, t);
  label_->end = std::max(label_->end, t);
  ++label_->events;
  add_source(label_, "cloudtrail");
}

void Injector::flow(Flow f) {
  if (f.end == 0) {
    f.start = t;
    f.end = t + rng.range(1, 59);
  }
  SimEvent ev{f.end, static_cast<std::uint32_t>(acct), LogKind::kFlow, 0, {}};
  write_flow(ev.text, a, f);
  out_->push_back(std::move(ev));
  label_->start = label_->events == 0 ? f.start : std::min(label_->start, f.start);
  label_->end = std::max(label_->end, f.end);
  ++label_->events;
  add_source(label_, "vpcflow");
}

void Injector::query(Query q) {
  q.time = t;
  SimEvent ev{t,
              static_cast<std::uint32_t>(acct),
              LogKind::kDns,
              static_cast<std::uint8_t>(q.host->vpc),
              {}};
  write_query(ev.text, rng, a, q);
  out_->push_back(std::move(ev));
  label_->start = label_->events == 0 ? t : std::min(label_->start, t);
  label_->end = std::max(label_->end, t);
  ++label_->events;
  add_source(label_, "route53");
}

void Injector::guardduty(GdFinding f) {
  if (!guardduty_) return;
  if (f.first == 0) f.first = t;
  if (f.last == 0) f.last = f.first;
  // GuardDuty raises a finding within about five minutes of the activity; exports follow.
  f.created = f.last + gd_rng_.range(60, 300);
  SimEvent ev{f.created, static_cast<std::uint32_t>(acct), LogKind::kGuardDuty, 0, {}};
  write_gd_finding(ev.text, gd_rng_, a, f);
  out_->push_back(std::move(ev));
  label_->start = label_->events == 0 ? f.first : std::min(label_->start, f.first);
  label_->end = std::max(label_->end, f.last);
  ++label_->events;
  add_source(label_, "guardduty");
  if (std::find(label_->guardduty.begin(), label_->guardduty.end(), f.type) ==
      label_->guardduty.end()) {
    label_->guardduty.emplace_back(f.type);
  }
}

void Injector::actor(std::string s) {
  if (std::find(label_->actors.begin(), label_->actors.end(), s) == label_->actors.end()) {
    label_->actors.push_back(std::move(s));
  }
}

namespace {

// ---- building blocks -------------------------------------------------------------------------

constexpr std::string_view kAttackerCli =
    "aws-cli/2.13.25 Python/3.11.5 Linux/6.2.0-33-generic exe/x86_64.ubuntu.22 prompt/off";
constexpr std::string_view kAttackerBoto =
    "Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#6.2.0-33-generic md/arch#x86_64 "
    "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.62";
constexpr std::string_view kKaliUa =
    "aws-cli/1.22.34 Python/3.11.2 Linux/6.5.0-kali3-amd64 botocore/1.23.34";
constexpr std::string_view kParrotUa =
    "Boto3/1.26.27 Python/3.11.2 Linux/6.1.0-1parrot1-amd64 Botocore/1.29.27";
constexpr std::string_view kPentooUa =
    "aws-cli/1.27.50 Python/3.10.9 Linux/6.1.12-pentoo botocore/1.29.50";
constexpr std::string_view kAttackerBrowser =
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0";

Call api(std::string_view source, std::string_view name, std::string ip, std::string_view ua,
         bool read_only, std::string request = "null", std::string response = "null") {
  Call c;
  c.source = source;
  c.name = name;
  c.ip = std::move(ip);
  c.user_agent = ua;
  c.read_only = read_only;
  c.request = std::move(request);
  c.response = std::move(response);
  return c;
}

/// The automation user whose key leaks in the credential scenarios.
const SimUser& leaked_user(Injector& in) {
  return in.a.users[in.a.people];
}

Caller leaked_caller(Injector& in) {
  const SimUser& u = leaked_user(in);
  in.actor("arn:aws:iam::" + in.a.id + ":user/" + u.name);
  in.actor(u.access_key);
  return user_caller(in.a, u);
}

std::uint32_t pick_ip(Injector& in, const std::vector<std::uint32_t>& v) {
  return v[in.rng.below(v.size())];
}

// A few reconnaissance calls (Get/List/Describe).
void recon_calls(Injector& in, const Caller& who, const std::string& ip, std::string_view ua) {
  in.call(who, api("sts.amazonaws.com", "GetCallerIdentity", ip, ua, true));
  in.wait(5, 40);
  in.call(who, api("ec2.amazonaws.com", "DescribeInstances", ip, ua, true,
                   "{\"instancesSet\":{},\"filterSet\":{}}"));
  in.wait(5, 40);
  in.call(who, api("iam.amazonaws.com", "ListUsers", ip, ua, true));
  in.wait(5, 40);
  in.call(who, api("s3.amazonaws.com", "ListBuckets", ip, ua, true,
                   "{\"Host\":\"s3." + in.a.region + ".amazonaws.com\"}"));
}

// A few changing calls (not Get/List/Describe).
void change_calls(Injector& in, const Caller& who, const std::string& ip, std::string_view ua) {
  std::string key = "ops-";
  append_random(key, in.rng, "abcdefghijklmnopqrstuvwxyz0123456789", 6);
  in.call(who,
          api("ec2.amazonaws.com", "CreateKeyPair", ip, ua, false, "{\"keyName\":\"" + key + "\"}",
              "{\"keyName\":\"" + key +
                  "\",\"keyFingerprint\":\"1f:51:ae:28:bf:89:e9:d8:1f:"
                  "25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f\",\"keyPairId\":\"key-0a1b2c3d4e5f60718\"}"));
  in.wait(10, 60);
  in.call(who, api("ec2.amazonaws.com", "CreateTags", ip, ua, false,
                   "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"" +
                       in.a.hosts[in.a.nodes[0]].instance_id +
                       "\"}]},\"tagSet\":{\"items\":[{\"key\":\"owner\",\"value\":\"ops\"}]}}",
                   "{\"_return\":true}"));
}

void caller_from_list(Injector& in, const std::vector<std::uint32_t>& list, bool recon) {
  const std::uint32_t ip = pick_ip(in, list);
  in.actor_ip(ip);
  const Caller who = leaked_caller(in);
  if (recon) {
    recon_calls(in, who, ipv4_string(ip), kAttackerCli);
  } else {
    change_calls(in, who, ipv4_string(ip), kAttackerCli);
  }
}

void pentest(Injector& in, std::string_view ua) {
  const std::uint32_t ip = in.e.spread_ips[in.rng.below(in.e.spread_ips.size())];
  in.actor_ip(ip);
  recon_calls(in, leaked_caller(in), ipv4_string(ip), ua);
}

// S3 data event on `bucket`.
Call s3_data(Injector& in, std::string_view name, const std::string& bucket, std::string key,
             std::string ip, std::string_view ua, bool read_only, std::int64_t bytes_out = 0) {
  Call c;
  c.source = "s3.amazonaws.com";
  c.name = name;
  c.ip = std::move(ip);
  c.user_agent = ua;
  c.read_only = read_only;
  c.data = true;
  c.request = "{\"bucketName\":\"" + bucket + "\",\"Host\":\"" + bucket + ".s3." + in.a.region +
              ".amazonaws.com\"" + (key.empty() ? std::string() : ",\"key\":\"" + key + "\"") + "}";
  c.additional =
      "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
      "\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\","
      "\"x-amz-id-2\":\"Zq3lB2YH0eDkV9WcL7pTnR1sXo4uGfHaJbMmNiKyEw8=\","
      "\"bytesTransferredOut\":" +
      std::to_string(bytes_out) + "}";
  std::string arn = "arn:aws:s3:::" + bucket;
  c.resources = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"" + arn + "/" + key +
                "\"},{\"accountId\":\"" + in.a.id + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"" +
                arn + "\"}]";
  if (key.empty()) {
    c.resources = "[{\"accountId\":\"" + in.a.id + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"" +
                  arn + "\"}]";
  }
  return c;
}

std::string object_key(Injector& in) {
  std::string k = "curated/customers/dt=2024-05-0";
  k += static_cast<char>('1' + in.rng.below(9));
  k += "/part-";
  append_random(k, in.rng, "0123456789", 5);
  k += ".snappy.parquet";
  return k;
}

void s3_calls(Injector& in, std::uint32_t ip, std::string_view ua, int kind) {
  in.actor_ip(ip);
  const Caller who = leaked_caller(in);
  const std::string& bucket = in.a.data_bucket;
  in.actor(bucket);
  const std::string addr = ipv4_string(ip);
  for (int i = 0; i < 4; ++i) {
    if (kind == 0) {
      in.call(who, s3_data(in, "ListObjects", bucket, "", addr, ua, true));
    } else if (kind == 1) {
      in.call(who, s3_data(in, "GetObject", bucket, object_key(in), addr, ua, true,
                           in.rng.range(100000, 900000)));
    } else if (kind == 2) {
      in.call(who, s3_data(in, "DeleteObject", bucket, object_key(in), addr, ua, false));
    } else {
      in.call(who, s3_data(in, "PutObject", bucket, "uploads/" + object_key(in), addr, ua, false));
    }
    in.wait(3, 30);
  }
}

// ---- CloudTrail scenarios --------------------------------------------------------------------

void tor_recon(Injector& in) {
  caller_from_list(in, in.e.tor_exits, true);
}
void tor_api(Injector& in) {
  caller_from_list(in, in.e.tor_exits, false);
}
void malicious_recon(Injector& in) {
  caller_from_list(in, in.e.malicious_ips, true);
}
void malicious_api(Injector& in) {
  caller_from_list(in, in.e.malicious_ips, false);
}
void custom_recon(Injector& in) {
  caller_from_list(in, in.e.custom_threat_ips, true);
}
void custom_api(Injector& in) {
  caller_from_list(in, in.e.custom_threat_ips, false);
}
void pentest_kali(Injector& in) {
  pentest(in, kKaliUa);
}
void pentest_parrot(Injector& in) {
  pentest(in, kParrotUa);
}
void pentest_pentoo(Injector& in) {
  pentest(in, kPentooUa);
}

void root_usage(Injector& in) {
  const SimUser& owner = in.a.users[0];
  in.actor("arn:aws:iam::" + in.a.id + ":root");
  in.actor_ip(owner.home_ip);
  const std::string ip = ipv4_string(owner.home_ip);
  Caller root = root_caller(in.a);
  Call login = api("signin.amazonaws.com", "ConsoleLogin", ip, owner.user_agent, false, "null",
                   "{\"ConsoleLogin\":\"Success\"}");
  login.event_type = "AwsConsoleSignIn";
  login.additional =
      "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\","
      "\"MFAUsed\":\"Yes\"}";
  in.call(root, login);
  in.wait(30, 90);
  root.access_key = "ASIA";
  append_random(root.access_key, in.rng, kUpperAlnum, 16);
  in.call(root, api("iam.amazonaws.com", "ListAccessKeys", ip, owner.user_agent, true));
  in.wait(20, 60);
  in.call(root, api("iam.amazonaws.com", "GetAccountSummary", ip, owner.user_agent, true));
}

void cloudtrail_disabled(Injector& in) {
  const SimUser& u = in.a.users[1];
  const Caller who = user_caller(in.a, u);
  in.actor(who.arn);
  in.actor(in.a.trail_name);
  const std::string arn =
      "arn:aws:cloudtrail:" + in.a.region + ":" + in.a.id + ":trail/" + in.a.trail_name;
  in.call(who, api("cloudtrail.amazonaws.com", "StopLogging", ipv4_string(u.home_ip), kAttackerCli,
                   false, "{\"name\":\"" + arn + "\"}"));
}

void password_policy(Injector& in) {
  const SimUser& u = in.a.users[2];
  const Caller who = user_caller(in.a, u);
  in.actor(who.arn);
  in.call(who, api("iam.amazonaws.com", "UpdateAccountPasswordPolicy", ipv4_string(u.home_ip),
                   kAttackerCli, false,
                   "{\"minimumPasswordLength\":6,\"requireSymbols\":false,\"requireNumbers\":false,"
                   "\"requireUppercaseCharacters\":false,\"requireLowercaseCharacters\":true,"
                   "\"allowUsersToChangePassword\":true,\"maxPasswordAge\":0,"
                   "\"passwordReusePrevention\":0}"));
}

void console_login_spread(Injector& in) {
  const SimUser& u = in.a.users[3];
  Caller who = user_caller(in.a, u, false);
  in.actor(who.arn);
  auto login = [&](std::uint32_t ip) {
    in.actor_ip(ip);
    Call c = api("signin.amazonaws.com", "ConsoleLogin", ipv4_string(ip), u.user_agent, false,
                 "null", "{\"ConsoleLogin\":\"Success\"}");
    c.event_type = "AwsConsoleSignIn";
    c.additional =
        "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\","
        "\"MFAUsed\":\"Yes\"}";
    in.call(who, c);
  };
  login(in.e.spread_ips[0]);
  in.wait(60, 240);
  login(in.e.spread_ips[1 + in.rng.below(in.e.spread_ips.size() - 1)]);
}

std::string node_session(Injector& in, std::size_t node) {
  return in.a.hosts[in.a.nodes[node]].instance_id;
}

void instance_credentials_outside(Injector& in) {
  const std::string session = node_session(in, 0);
  const Caller who = role_caller(in.a, in.a.node_role, session, in.t - 3600, true);
  in.actor(who.arn);
  in.actor(session);
  const std::uint32_t ip = in.e.spread_ips[2 + in.rng.below(3)];
  in.actor_ip(ip);
  recon_calls(in, who, ipv4_string(ip), kAttackerBoto);
}

void instance_credentials_inside(Injector& in) {
  const std::string session = node_session(in, 1);
  const Caller who = role_caller(in.a, in.a.node_role, session, in.t - 3600, true);
  in.actor(who.arn);
  in.actor(session);
  std::string other = "9";
  append_random(other, in.rng, "0123456789", 11);
  in.actor(other);
  for (int i = 0; i < 3; ++i) {
    Call c = api("s3.amazonaws.com", "ListBuckets", "172.31.40.17", kAttackerBoto, true,
                 "{\"Host\":\"s3." + in.a.region + ".amazonaws.com\"}");
    c.vpce_id = "vpce-0f1e2d3c4b5a69788";
    c.vpce_account = other;
    in.call(who, c);
    in.wait(10, 50);
  }
}

void lambda_credentials_outside(Injector& in) {
  const Caller who = role_caller(in.a, in.a.lambda_role, in.a.lambda_function, in.t - 600);
  in.actor(who.arn);
  in.actor(in.a.lambda_role.arn);
  const std::uint32_t ip = in.e.spread_ips[3];
  in.actor_ip(ip);
  recon_calls(in, who, ipv4_string(ip), kAttackerBoto);
}

void s3_policy_call(Injector& in, std::string_view name, std::string request) {
  const SimUser& u = in.a.users[0];
  const Caller who = user_caller(in.a, u);
  in.actor(who.arn);
  in.call(who, api("s3.amazonaws.com", name, ipv4_string(u.home_ip), kAttackerCli, false,
                   std::move(request)));
}

std::string bpa(bool on) {
  const char* v = on ? "true" : "false";
  return std::string(
             "{\"PublicAccessBlockConfiguration\":{\"xmlns\":\"http://s3.amazonaws.com/"
             "doc/2006-03-01/\",\"RestrictPublicBuckets\":") +
         v + ",\"BlockPublicPolicy\":" + v + ",\"BlockPublicAcls\":" + v +
         ",\"IgnorePublicAcls\":" + v + "}";
}

void s3_account_bpa(Injector& in) {
  s3_policy_call(
      in, "PutAccountPublicAccessBlock",
      bpa(false) + ",\"Host\":\"" + in.a.id + ".s3-control." + in.a.region + ".amazonaws.com\"}");
}

void s3_bucket_bpa(Injector& in) {
  in.actor(in.a.artifacts_bucket);
  s3_policy_call(in, "PutBucketPublicAccessBlock",
                 bpa(false) + ",\"bucketName\":\"" + in.a.artifacts_bucket + "\",\"Host\":\"" +
                     in.a.artifacts_bucket + ".s3.amazonaws.com\",\"publicAccessBlock\":\"\"}");
}

void s3_bucket_anonymous(Injector& in) {
  const std::string& b = in.a.artifacts_bucket;
  in.actor(b);
  s3_policy_call(in, "PutBucketPolicy",
                 "{\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
                 "\"PublicRead\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                 "\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::" +
                     b + "/*\"}]},\"bucketName\":\"" + b + "\",\"Host\":\"" + b +
                     ".s3.amazonaws.com\",\"policy\":\"\"}");
}

void s3_bucket_public(Injector& in) {
  const std::string& b = in.a.artifacts_bucket;
  in.actor(b);
  s3_policy_call(
      in, "PutBucketAcl",
      "{\"bucketName\":\"" + b + "\",\"Host\":\"" + b +
          ".s3.amazonaws.com\",\"acl\":\"\",\"AccessControlPolicy\":{\"AccessControlList\":{"
          "\"Grant\":[{\"Grantee\":{\"xsi:type\":\"CanonicalUser\",\"ID\":"
          "\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\"},\"Permission\":"
          "\"FULL_CONTROL\"},{\"Grantee\":{\"xsi:type\":\"Group\",\"URI\":\"http://acs.amazonaws."
          "com/groups/global/AuthenticatedUsers\"},\"Permission\":\"READ\"}]},\"Owner\":{\"ID\":"
          "\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\"}}}");
}

void s3_logging_disabled(Injector& in) {
  const std::string& b = in.a.data_bucket;
  in.actor(b);
  s3_policy_call(in, "PutBucketLogging",
                 "{\"bucketName\":\"" + b + "\",\"Host\":\"" + b +
                     ".s3.amazonaws.com\",\"logging\":\"\",\"BucketLoggingStatus\":{\"xmlns\":"
                     "\"http://s3.amazonaws.com/doc/2006-03-01/\"}}");
}

void bedrock_logging(Injector& in) {
  const SimUser& u = in.a.users[1];
  const Caller who = user_caller(in.a, u);
  in.actor(who.arn);
  in.call(who, api("bedrock.amazonaws.com", "DeleteModelInvocationLoggingConfiguration",
                   ipv4_string(u.home_ip), kAttackerCli, false));
}

void short_term_root(Injector& in) {
  // A management account's principal assumed root in this member account (sts:AssumeRoot).
  Caller root = root_caller(in.a);
  root.access_key = "ASIA";
  append_random(root.access_key, in.rng, kUpperAlnum, 16);
  root.assumed_root = true;
  in.actor(root.arn);
  const std::string ip = ipv4_string(in.a.users[0].home_ip);
  in.actor(ip);
  for (std::string_view name : {"DeleteBucketPolicy", "GetBucketPolicy"}) {
    Call c = api("s3.amazonaws.com", name, ip, kAttackerCli, name[0] == 'G',
                 "{\"bucketName\":\"" + in.a.artifacts_bucket + "\",\"policy\":\"\"}");
    in.call(root, c);
    in.wait(10, 40);
  }
}

// Anomalous behaviour: a principal with a history in the tactic calls other APIs of it with a
// tool (user agent) it never used.
void anomalous(Injector& in, const Caller& who, const std::string& ip, const Call& via,
               std::initializer_list<std::pair<std::string_view, std::string_view>> calls) {
  in.actor(who.arn);
  if (!who.access_key.empty()) in.actor(who.access_key);
  in.actor(ip);
  for (const auto& [source, name] : calls) {
    const bool ro =
        name.starts_with("Get") || name.starts_with("List") || name.starts_with("Describe");
    Call c = api(source, name, ip, kAttackerBoto, ro, "{}");
    c.vpce_id = via.vpce_id;
    c.vpce_account = via.vpce_account;
    in.call(who, c);
    in.wait(5, 30);
  }
}

std::string outside_ip(Injector& in) {
  return ipv4_string(in.e.spread_ips[in.rng.below(in.e.spread_ips.size())]);
}

Caller ci_caller(Injector& in) {
  return role_caller(in.a, in.a.ci, "GitHubActions-" + std::to_string(in.rng.range(100, 999)),
                     in.t - 300);
}

void anomalous_credential_access(Injector& in) {
  // The node role reads one secret every day; now it asks for Windows passwords.
  const SimHost& h = in.a.hosts[in.a.nodes[0]];
  const Caller who = role_caller(in.a, in.a.node_role, h.instance_id, in.t - 3600, true);
  Call via;
  via.vpce_id = in.a.vpce_id;
  via.vpce_account = in.a.id;
  anomalous(
      in, who, ipv4_string(h.ip), via,
      {{"ec2.amazonaws.com", "GetPasswordData"}, {"ssm.amazonaws.com", "GetParametersByPath"}});
}
void anomalous_defense_evasion(Injector& in) {
  // The Lambda role sets its log retention; now it deletes log groups.
  const Caller who = role_caller(in.a, in.a.lambda_role, in.a.lambda_function, in.t - 600);
  anomalous(in, who, ipv4_string(in.e.aws_public[3]), Call{},
            {{"logs.amazonaws.com", "DeleteLogGroup"}, {"ec2.amazonaws.com", "DeleteFlowLogs"}});
}
void anomalous_discovery(Injector& in) {
  const SimUser& u = in.a.users[in.rng.below(in.a.people)];
  anomalous(in, user_caller(in.a, u), outside_ip(in), Call{},
            {{"iam.amazonaws.com", "ListAccessKeys"}, {"iam.amazonaws.com", "GetRolePolicy"}});
}
void anomalous_exfiltration(Injector& in) {
  // The backup user snapshots the database nightly; now it copies snapshots.
  anomalous(in, user_caller(in.a, in.a.users[in.a.people]), outside_ip(in), Call{},
            {{"rds.amazonaws.com", "CopyDBSnapshot"}, {"ec2.amazonaws.com", "CreateSnapshot"}});
}
void anomalous_impact(Injector& in) {
  anomalous(in, user_caller(in.a, in.a.users[in.a.people]), outside_ip(in), Call{},
            {{"rds.amazonaws.com", "DeleteDBInstance"}, {"ec2.amazonaws.com", "DeleteVolume"}});
}
void anomalous_initial_access(Injector& in) {
  anomalous(in, ci_caller(in), outside_ip(in), Call{},
            {{"ssm.amazonaws.com", "StartSession"}, {"sts.amazonaws.com", "GetSessionToken"}});
}
void anomalous_persistence(Injector& in) {
  anomalous(
      in, ci_caller(in), outside_ip(in), Call{},
      {{"lambda.amazonaws.com", "CreateFunction20150331"}, {"events.amazonaws.com", "PutRule"}});
}
void anomalous_privilege_escalation(Injector& in) {
  anomalous(in, ci_caller(in), outside_ip(in), Call{},
            {{"iam.amazonaws.com", "AttachRolePolicy"}, {"iam.amazonaws.com", "PutUserPolicy"}});
}

// ---- S3 data-event scenarios -----------------------------------------------------------------

void s3_tor_discovery(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.tor_exits), kAttackerCli, 0);
}
void s3_tor_write(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.tor_exits), kAttackerCli, 3);
}
void s3_malicious_discovery(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.malicious_ips), kAttackerCli, 0);
}
void s3_custom_discovery(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.custom_threat_ips), kAttackerCli, 0);
}
void s3_malicious_exfiltration(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.malicious_ips), kAttackerCli, 1);
}
void s3_malicious_impact(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.malicious_ips), kAttackerCli, 2);
}
void s3_custom_write(Injector& in) {
  s3_calls(in, pick_ip(in, in.e.custom_threat_ips), kAttackerCli, 3);
}
void s3_kali(Injector& in) {
  s3_calls(in, in.e.spread_ips[0], kKaliUa, 0);
}
void s3_parrot(Injector& in) {
  s3_calls(in, in.e.spread_ips[1], kParrotUa, 0);
}
void s3_pentoo(Injector& in) {
  s3_calls(in, in.e.spread_ips[2], kPentooUa, 0);
}

// ---- flow scenarios --------------------------------------------------------------------------

const SimHost& node(Injector& in, std::size_t i) {
  return in.a.hosts[in.a.nodes[i % in.a.nodes.size()]];
}

Flow out_flow(const SimHost& h, std::uint32_t dst, std::uint32_t dport, std::uint32_t proto,
              std::uint64_t packets, std::uint64_t bytes, std::uint32_t sport) {
  Flow f;
  f.host = &h;
  f.src = h.ip;
  f.dst = dst;
  f.sport = sport;
  f.dport = dport;
  f.proto = proto;
  f.packets = packets;
  f.bytes = bytes;
  f.egress = true;
  f.tcp_flags = proto == 6 ? 2 : 0;
  return f;
}

Flow in_flow(const SimHost& h, std::uint32_t src, std::uint32_t dport, std::uint32_t proto,
             std::uint64_t packets, std::uint64_t bytes, std::uint32_t sport, bool accept) {
  Flow f = out_flow(h, h.ip, dport, proto, packets, bytes, sport);
  f.src = src;
  f.dst = h.ip;
  f.egress = false;
  f.accept = accept;
  return f;
}

std::uint32_t eph(Injector& in) {
  return static_cast<std::uint32_t>(in.rng.range(32768, 60999));
}

void actor_host(Injector& in, const SimHost& h) {
  in.actor(h.instance_id);
  in.actor(h.eni);
  in.actor_ip(h.ip);
}

void brute_force(Injector& in, bool target, std::uint32_t port) {
  const SimHost& h = target ? in.a.hosts[in.a.bastion] : node(in, 1);
  actor_host(in, h);
  const std::uint32_t remote = target ? pick_ip(in, in.e.malicious_ips)
                                      : in.e.spread_ips[in.rng.below(in.e.spread_ips.size())];
  in.actor_ip(remote);
  for (int i = 0; i < 40; ++i) {
    in.flow(target ? in_flow(h, remote, port, 6, 12, 2600, eph(in), true)
                   : out_flow(h, remote, port, 6, 12, 2600, eph(in)));
    in.wait(4, 12);
  }
}

void ssh_brute_target(Injector& in) {
  brute_force(in, true, 22);
}
void ssh_brute_actor(Injector& in) {
  brute_force(in, false, 22);
}
void rdp_brute(Injector& in) {
  brute_force(in, true, 3389);
}
void winrm_brute(Injector& in) {
  brute_force(in, true, 5985);
}

void portscan(Injector& in) {
  const SimHost& h = node(in, 2);
  actor_host(in, h);
  const std::uint32_t target = in.e.spread_ips[4];
  in.actor_ip(target);
  for (std::uint32_t port = 1; port <= 1024;
       port += 1 + static_cast<std::uint32_t>(in.rng.below(12))) {
    Flow f = out_flow(h, target, port, 6, 1, 44, eph(in));
    f.accept = in.rng.chance(900);
    in.flow(f);
    in.wait(0, 3);
  }
}

void port_sweep(Injector& in) {
  const SimHost& h = node(in, 3);
  actor_host(in, h);
  const std::uint32_t base = 0xC6336400u + static_cast<std::uint32_t>(in.rng.below(100)) * 256;
  for (std::uint32_t i = 0; i < 60; ++i) {
    in.flow(out_flow(h, base + 1 + i * 3, 6379, 6, 1, 44, eph(in)));
    in.wait(0, 4);
  }
}

void port_probe(Injector& in) {
  const SimHost& h = in.a.hosts[in.a.bastion];
  actor_host(in, h);
  const std::uint32_t scanner = pick_ip(in, in.e.malicious_ips);
  in.actor_ip(scanner);
  for (std::uint32_t port : {9200u, 6379u, 9200u}) {
    in.flow(in_flow(h, scanner, port, 6, 3, 180, eph(in), true));
    in.wait(20, 90);
  }
}

void dos(Injector& in, std::uint32_t proto, std::uint32_t port) {
  const SimHost& h = node(in, 0);
  actor_host(in, h);
  const std::uint32_t victim = in.e.spread_ips[5];
  in.actor_ip(victim);
  for (int i = 0; i < 30; ++i) {
    const std::uint64_t packets = static_cast<std::uint64_t>(in.rng.range(150000, 250000));
    in.flow(out_flow(h, victim, port, proto, packets, packets * (proto == 17 ? 512 : 60), eph(in)));
    in.wait(15, 25);
  }
}

void dos_tcp(Injector& in) {
  dos(in, 6, 80);
}
void dos_udp(Injector& in) {
  dos(in, 17, 27015);
}
void dos_dns(Injector& in) {
  dos(in, 17, 53);
}
void dos_udp_on_tcp(Injector& in) {
  dos(in, 17, 443);
}
void dos_unusual(Injector& in) {
  dos(in, 2, 0);
}

void spambot(Injector& in) {
  const SimHost& h = node(in, 1);
  actor_host(in, h);
  for (std::uint32_t i = 0; i < 40; ++i) {
    const std::uint32_t mx = 0x4A7D0000u + static_cast<std::uint32_t>(in.rng.below(65000));
    in.flow(out_flow(h, mx, 25, 6, 20, 9000, eph(in)));
    in.wait(2, 15);
  }
}

void port_unusual(Injector& in) {
  const SimHost& h = node(in, 2);
  actor_host(in, h);
  const std::uint32_t remote = in.e.spread_ips[1];
  in.actor_ip(remote);
  for (int i = 0; i < 3; ++i) {
    in.flow(out_flow(h, remote, 1389, 6, 8, 900, eph(in)));
    in.wait(20, 60);
  }
}

void volume_unusual(Injector& in) {
  const SimHost& h = node(in, 3);
  actor_host(in, h);
  const std::uint32_t remote = in.e.spread_ips[2];
  in.actor_ip(remote);
  for (int i = 0; i < 20; ++i) {
    in.flow(out_flow(h, remote, 443, 6, 400000, 540000000, eph(in)));
    in.wait(30, 60);
  }
}

void list_flows(Injector& in, const std::vector<std::uint32_t>& list, std::uint32_t port,
                std::uint32_t proto, int n) {
  const SimHost& h = node(in, in.rng.below(8));
  actor_host(in, h);
  const std::uint32_t remote = pick_ip(in, list);
  in.actor_ip(remote);
  for (int i = 0; i < n; ++i) {
    in.flow(out_flow(h, remote, port, proto, 30, 6000, eph(in)));
    in.wait(20, 90);
  }
}

void bitcoin_flow(Injector& in) {
  list_flows(in, in.e.mining_ips, 3333, 6, 4);
}
void unusual_resolver(Injector& in) {
  const SimHost& h = node(in, 0);
  actor_host(in, h);
  in.actor("8.8.8.8");
  for (int i = 0; i < 4; ++i) {
    in.flow(out_flow(h, 0x08080808u, 53, 17, 1, 74, eph(in)));
    in.wait(10, 60);
  }
}
void doh(Injector& in) {
  const SimHost& h = node(in, 1);
  actor_host(in, h);
  in.actor("1.1.1.1");
  for (int i = 0; i < 4; ++i) {
    in.flow(out_flow(h, 0x01010101u, 443, 6, 14, 4200, eph(in)));
    in.wait(10, 60);
  }
}
void dot(Injector& in) {
  const SimHost& h = node(in, 2);
  actor_host(in, h);
  in.actor("9.9.9.9");
  for (int i = 0; i < 4; ++i) {
    in.flow(out_flow(h, 0x09090909u, 853, 6, 14, 4200, eph(in)));
    in.wait(10, 60);
  }
}
void blackhole_flow(Injector& in) {
  list_flows(in, in.e.blackhole_ips, 80, 6, 3);
}
void drop_point_flow(Injector& in) {
  list_flows(in, in.e.drop_point_ips, 443, 6, 3);
}
void custom_flow(Injector& in) {
  list_flows(in, in.e.custom_threat_ips, 443, 6, 3);
}
void cc_flow(Injector& in) {
  list_flows(in, in.e.cc_ips, 443, 6, 4);
}
void tor_client(Injector& in) {
  list_flows(in, in.e.tor_relays, 9001, 6, 4);
}

void tor_relay(Injector& in) {
  const SimHost& h = node(in, 3);
  actor_host(in, h);
  for (int i = 0; i < 30; ++i) {
    const std::uint32_t peer = in.e.tor_relays[in.rng.below(in.e.tor_relays.size())];
    Flow f = in.rng.chance(500) ? in_flow(h, peer, 9001, 6, 400, 450000, eph(in), true)
                                : out_flow(h, peer, 9001, 6, 400, 450000, eph(in));
    in.flow(f);
    in.wait(5, 20);
  }
}

// ---- DNS scenarios ---------------------------------------------------------------------------

void dns_queries(Injector& in, const std::vector<std::string>& names, std::string answers, int n,
                 bool name_is_actor = true) {
  const SimHost& h = node(in, in.rng.below(8));
  in.actor(h.instance_id);
  in.actor_ip(h.ip);
  const std::string& name = names[in.rng.below(names.size())];
  if (name_is_actor) {
    std::string bare = name;
    if (!bare.empty() && bare.back() == '.') bare.pop_back();
    in.actor(bare);
  }
  for (int i = 0; i < n; ++i) {
    Query qy;
    qy.host = &h;
    qy.name = name;
    qy.answers = answers;
    in.query(qy);
    in.wait(20, 120);
  }
}

void cc_dns(Injector& in) {
  dns_queries(in, in.e.cc_domains, a_answers({in.e.cc_ips[0]}), 3);
}
void bitcoin_dns(Injector& in) {
  dns_queries(in, in.e.mining_domains, a_answers({in.e.mining_ips[0]}), 3);
}
void drop_point_dns(Injector& in) {
  dns_queries(in, in.e.drop_point_domains, a_answers({in.e.drop_point_ips[0]}), 2);
}
void phishing_dns(Injector& in) {
  dns_queries(in, in.e.phishing_domains, a_answers({0x68150A01u}), 2);
}
void drive_by_dns(Injector& in) {
  dns_queries(in, in.e.drive_by_domains, a_answers({0x68150A02u}), 2);
}
void malicious_domain_dns(Injector& in) {
  dns_queries(in, in.e.malicious_domains, a_answers({0x68150A03u}), 2);
}
void blackhole_dns(Injector& in) {
  dns_queries(in, in.e.blackhole_domains, a_answers({in.e.blackhole_ips[0]}), 2);
}
void metadata_rebind(Injector& in) {
  const std::vector<std::string> names = {"a9fea9fe.0a000001.rbndr.us."};
  dns_queries(in, names, a_answers({0xA9FEA9FEu}), 2);
}

void dga(Injector& in) {
  const SimHost& h = node(in, 1);
  in.actor(h.instance_id);
  in.actor_ip(h.ip);
  static constexpr std::string_view kTlds[] = {".com.", ".net.", ".info.", ".biz."};
  for (int i = 0; i < 30; ++i) {
    std::string name;
    append_random(name, in.rng, "abcdefghijklmnopqrstuvwxyz",
                  static_cast<std::size_t>(in.rng.range(12, 20)));
    name += kTlds[in.rng.below(4)];
    Query qy;
    qy.host = &h;
    qy.name = name;
    qy.rcode = "NXDOMAIN";
    in.query(qy);
    in.wait(1, 8);
  }
}

void dns_exfiltration(Injector& in) {
  const SimHost& h = node(in, 2);
  in.actor(h.instance_id);
  in.actor_ip(h.ip);
  in.actor("t.cdn-metrics-sync.net");
  for (int i = 0; i < 150; ++i) {
    std::string name;
    append_random(name, in.rng, "abcdefghijklmnopqrstuvwxyz234567", 60);
    name += '.';
    append_random(name, in.rng, "abcdefghijklmnopqrstuvwxyz234567", 40);
    name += ".t.cdn-metrics-sync.net.";
    Query qy;
    qy.host = &h;
    qy.name = name;
    qy.type = "TXT";
    qy.answers = "[{\"Rdata\":\"\\\"ok\\\"\",\"Type\":\"TXT\",\"Class\":\"IN\"}]";
    in.query(qy);
    in.wait(1, 4);
  }
}

// ---- the two stories of the reference architecture -------------------------------------------

// ---- GuardDuty's own findings (--guardduty) ---------------------------------------------------
// Detections whose signal is not in CloudTrail, flow or Route 53 logs: Runtime Monitoring (the
// agent on the EKS nodes), EKS audit logs, Malware Protection. The simulator writes the finding
// GuardDuty would have exported, in its S3 export shape.

constexpr std::string_view kEksCreated = "2024-01-15T09:12:44.000Z";

std::string hex(Rng& rng, std::size_t n) {
  std::string s;
  append_random(s, rng, kHexLower, n);
  return s;
}

std::string uuid(Rng& rng) {
  std::string s;
  append_uuid(s, rng);
  return s;
}

std::string instance_json(const Injector& in, const SimHost& h, std::string_view type) {
  const std::string& vpc = in.a.vpcs[h.vpc];
  return "{\"instanceId\":\"" + h.instance_id + "\",\"instanceType\":\"" + std::string(type) +
         "\",\"instanceState\":\"running\",\"availabilityZone\":\"" + in.a.region +
         "a\",\"imageId\":\"ami-0c02fb55956c7d316\",\"platform\":null,\"networkInterfaces\":[{"
         "\"networkInterfaceId\":\"" +
         h.eni + "\",\"privateIpAddress\":\"" + ipv4_string(h.ip) +
         "\",\"privateIpAddresses\":[{\"privateIpAddress\":\"" + ipv4_string(h.ip) +
         "\"}],\"subnetId\":\"" + in.a.subnets[h.vpc][h.subnet] + "\",\"vpcId\":\"" + vpc +
         "\",\"securityGroups\":[],\"ipv6Addresses\":[]}],\"productCodes\":[],\"tags\":[]}";
}

std::string eks_cluster_json(const Injector& in) {
  return "{\"name\":\"" + in.a.eks_cluster + "\",\"arn\":\"arn:aws:eks:" + in.a.region + ":" +
         in.a.id + ":cluster/" + in.a.eks_cluster + "\",\"vpcId\":\"" + in.a.vpcs[1] +
         "\",\"status\":\"ACTIVE\",\"tags\":[],\"createdAt\":\"" + std::string(kEksCreated) + "\"}";
}

struct Pod {
  std::string workload, ns, image, prefix, container_id, uid;
};

Pod compromised_pod(Injector& in) {
  Pod p;
  p.workload = "orders-api";
  p.ns = "prod";
  p.image = in.a.id + ".dkr.ecr." + in.a.region + ".amazonaws.com/orders-api:main";
  p.prefix = in.a.id + ".dkr.ecr." + in.a.region + ".amazonaws.com";
  p.container_id = hex(in.rng, 64);
  p.uid = uuid(in.rng);
  return p;
}

// resource of a Runtime Monitoring finding on an EKS node: the cluster, the workload, the node.
std::string runtime_resource(Injector& in, const SimHost& h, const Pod& p) {
  return "{\"resourceType\":\"EKSCluster\",\"eksClusterDetails\":" + eks_cluster_json(in) +
         ",\"kubernetesDetails\":{\"kubernetesWorkloadDetails\":{\"name\":\"" + p.workload +
         "\",\"type\":\"deployments\",\"uid\":\"" + p.uid + "\",\"namespace\":\"" + p.ns +
         "\",\"hostNetwork\":false,\"containers\":[{\"name\":\"" + p.workload + "\",\"image\":\"" +
         p.image + "\",\"imagePrefix\":\"" + p.prefix +
         "\",\"securityContext\":{\"privileged\":false}}]}},\"instanceDetails\":" +
         instance_json(in, h, "m5.xlarge") +
         ",\"containerDetails\":{\"containerRuntime\":\"containerd\",\"id\":\"" + p.container_id +
         "\",\"name\":\"" + p.workload + "\",\"image\":\"" + p.image + "\",\"imagePrefix\":\"" +
         p.prefix + "\"}}";
}

std::string runtime_process(Injector& in, std::string_view name, std::string_view path,
                            std::string_view parent_path, std::string context) {
  std::string iso;
  append_iso_time(iso, in.t);
  const std::string parent = uuid(in.rng);
  const auto pid = in.rng.range(20000, 60000);
  return "\"runtimeDetails\":{\"process\":{\"name\":" + json_quoted(name) +
         ",\"executablePath\":" + json_quoted(path) + ",\"executableSha256\":\"" + hex(in.rng, 64) +
         "\",\"namespacePid\":" + std::to_string(in.rng.range(10, 900)) +
         ",\"pwd\":\"/app\",\"pid\":" + std::to_string(pid) + ",\"startTime\":\"" + iso +
         "\",\"uuid\":\"" + uuid(in.rng) + "\",\"parentUuid\":\"" + parent +
         "\",\"user\":\"root\",\"userId\":0,\"euid\":0,\"lineage\":[{\"startTime\":\"" + iso +
         "\",\"namespacePid\":1,\"userId\":0,\"name\":\"node\",\"pid\":" + std::to_string(pid - 7) +
         ",\"uuid\":\"" + parent + "\",\"executablePath\":" + json_quoted(parent_path) +
         ",\"euid\":0}]},\"context\":" + std::move(context) + "},";
}

// (GuardDuty only) A compromised pod on an EKS node runs a binary it has just downloaded, then
// mounts the node's root filesystem into a new container: Runtime Monitoring sees both.
void eks_runtime_escape(Injector& in) {
  const SimHost& h = node(in, in.rng.below(in.a.nodes.size()));
  actor_host(in, h);
  in.actor(in.a.eks_cluster);
  const Pod p = compromised_pod(in);
  in.actor(p.container_id);
  GdFinding nb;
  nb.type = "Execution:Runtime/NewBinaryExecuted";
  nb.severity = "5";
  nb.feature = "RuntimeMonitoring";
  nb.title = "A newly created or recently modified binary file has been executed in a container.";
  nb.description =
      "A newly created or recently modified binary file /tmp/kx has been executed by "
      "a process in container " +
      p.workload + " of pod " + p.workload +
      " in EKS "
      "cluster " +
      in.a.eks_cluster + " on instance " + h.instance_id + ".";
  nb.resource = runtime_resource(in, h, p);
  nb.service_fields = runtime_process(in, "kx", "/tmp/kx", "/usr/local/bin/node",
                                      "{\"modifyingProcess\":{\"name\":\"curl\","
                                      "\"executablePath\":\"/usr/bin/curl\"}}");
  in.guardduty(nb);
  in.wait(120, 300);
  GdFinding mount;
  mount.type = "PrivilegeEscalation:Runtime/ContainerMountsHostDirectory";
  mount.severity = "8";
  mount.feature = "RuntimeMonitoring";
  mount.title = "A container has mounted a sensitive host directory.";
  mount.description = "A container in pod " + p.workload + " of EKS cluster " + in.a.eks_cluster +
                      " on instance " + h.instance_id +
                      " mounted the host directory / at /host, a container escape path.";
  mount.resource = runtime_resource(in, h, p);
  mount.service_fields = runtime_process(
      in, "mount", "/usr/bin/mount", "/tmp/kx",
      "{\"mountSource\":\"/\",\"mountTarget\":\"/host\",\"fileSystemType\":\"xfs\"}");
  in.guardduty(mount);
}

// (GuardDuty only) The EKS audit log: someone binds system:anonymous to cluster-admin, then an
// address on the internet lists the cluster's secrets without credentials. The control plane's
// endpoint is AWS's: none of it is in the account's flow logs.
void eks_anonymous_access(Injector& in) {
  const std::uint32_t attacker = pick_ip(in, in.e.malicious_ips);
  in.actor_ip(attacker);
  in.actor(in.a.eks_cluster);
  const std::string ip = ipv4_string(attacker);
  const std::string resource =
      "{\"resourceType\":\"EKSCluster\",\"eksClusterDetails\":" + eks_cluster_json(in) +
      ",\"kubernetesDetails\":{\"kubernetesUserDetails\":{\"username\":"
      "\"system:anonymous\",\"uid\":\"\",\"groups\":[\"system:"
      "unauthenticated\"]}}}";
  auto call = [&](std::string_view verb, std::string_view uri, std::string_view res) {
    return "\"action\":{\"actionType\":\"KUBERNETES_API_CALL\",\"kubernetesApiCallAction\":{"
           "\"requestUri\":" +
           json_quoted(uri) + ",\"verb\":" + json_quoted(verb) +
           ",\"resource\":" + json_quoted(res) + ",\"sourceIps\":[\"" + ip +
           "\"],\"userAgent\":\"kubectl/v1.29.3 "
           "(linux/amd64) kubernetes/6813625\",\"remoteIpDetails\":{\"ipAddressV4\":\"" +
           ip +
           "\",\"organization\":{\"asn\":\"9009\",\"asnOrg\":\"M247 Europe SRL\",\"isp\":\"M247 "
           "Europe\",\"org\":\"M247 Europe\"},\"country\":{\"countryName\":\"Romania\"},\"city\":{"
           "\"cityName\":\"Bucharest\"},\"geoLocation\":{\"lat\":44.43,\"lon\":26.1}},"
           "\"statusCode\":200}},";
  };
  GdFinding grant;
  grant.type = "Policy:Kubernetes/AnonymousAccessGranted";
  grant.severity = "8";
  grant.feature = "EksAuditLogMonitoring";
  grant.title = "The system:anonymous user was granted API permissions on EKS cluster " +
                in.a.eks_cluster + ".";
  grant.description =
      "A ClusterRoleBinding gave the system:anonymous user cluster-admin on EKS "
      "cluster " +
      in.a.eks_cluster + "; the request came from " + ip + ".";
  grant.resource = resource;
  grant.service_fields = call("create", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                              "clusterrolebindings");
  in.guardduty(grant);
  in.wait(60, 240);
  GdFinding list;
  list.type = "Discovery:Kubernetes/SuccessfulAnonymousAccess";
  list.severity = "5";
  list.feature = "EksAuditLogMonitoring";
  list.first = in.t;
  in.wait(30, 90);
  list.last = in.t;
  list.count = in.rng.range(4, 12);
  list.title =
      "API commonly used in discovery tactics invoked by an unauthenticated user on EKS "
      "cluster " +
      in.a.eks_cluster + ".";
  list.description = "The unauthenticated user system:anonymous listed secrets on EKS cluster " +
                     in.a.eks_cluster + " from " + ip + ".";
  list.resource = resource;
  list.service_fields = call("list", "/api/v1/secrets", "secrets");
  in.guardduty(list);
}

// (GuardDuty only) Malware Protection for S3 scans a newly uploaded object in the artifacts
// bucket and finds a known trojan in it.
void s3_malware_upload(Injector& in) {
  const std::string& bucket = in.a.artifacts_bucket;
  in.actor(bucket);
  const std::string key = "builds/orders-api/" + hex(in.rng, 12) + "/bootstrap.sh";
  in.actor(key);
  const std::string sha = hex(in.rng, 64);
  GdFinding f;
  f.type = "Object:S3/MaliciousFile";
  f.severity = "8";
  f.feature = "MalwareProtectionPlan";
  f.title = "A malicious file was uploaded to S3 bucket " + bucket + ".";
  f.description = "Malware Protection for S3 found Trojan:Linux/Kinsing in object s3://" + bucket +
                  "/" + key + ".";
  f.resource =
      "{\"resourceType\":\"S3Object\",\"s3BucketDetails\":[{\"arn\":\"arn:aws:s3:::" + bucket +
      "\",\"name\":\"" + bucket +
      "\",\"type\":\"Destination\",\"s3ObjectDetails\":[{\"objectArn\":\"arn:aws:s3:::" + bucket +
      "/" + key + "\",\"key\":\"" + key + "\",\"eTag\":\"" + hex(in.rng, 32) + "\",\"hash\":\"" +
      sha + "\",\"versionId\":\"" + hex(in.rng, 32) + "\"}]}]}";
  f.service_fields =
      "\"malwareScanDetails\":{\"threats\":[{\"name\":\"Trojan:Linux/Kinsing\","
      "\"hash\":\"" +
      sha + "\",\"itemPath\":[{\"nestedItemPath\":\"" + key + "\",\"hash\":\"" + sha + "\"}]}]},";
  in.guardduty(f);
}

// The Tor story's companion: the drop-point traffic makes GuardDuty start a malware scan of the
// new instance's volume (GuardDuty-initiated Malware Protection for EC2), which finds the
// exfiltration tool. No randomness of the story is used, so the logs stay the same.
void tor_story_malware_scan(Injector& in, const SimHost& box, std::int64_t seen) {
  if (!in.guardduty_enabled()) return;
  const std::string volume = "vol-0" + box.instance_id.substr(3, 9) + "c0ffee";
  const std::string volume_arn = "arn:aws:ec2:" + in.a.region + ":" + in.a.id + ":volume/" + volume;
  constexpr std::string_view kSha =
      "5d2a0c6a3ab5e2b8a6f9a0d7c1e44b9f03f1d8e2b7c6a5f4e3d2c1b0a9f8e7d6";
  GdFinding f;
  f.type = "Execution:EC2/MaliciousFile";
  f.severity = "8";
  f.feature = "EbsMalwareProtection";
  f.first = seen;
  f.last = seen;
  f.title = "Malicious file detected on EC2 instance " + box.instance_id + ".";
  f.description = "A GuardDuty-initiated malware scan of volume " + volume + " of instance " +
                  box.instance_id + " found Backdoor:Linux/Rclonerat in /usr/local/bin/syncd.";
  f.resource =
      "{\"resourceType\":\"Instance\",\"instanceDetails\":" + instance_json(in, box, "c5.4xlarge") +
      ",\"ebsVolumeDetails\":{\"scannedVolumeDetails\":[{\"volumeArn\":\"" + volume_arn +
      "\",\"volumeType\":\"gp3\",\"deviceName\":\"/dev/xvda\",\"volumeSizeInGB\":64,"
      "\"encryptionType\":\"UNENCRYPTED\",\"kmsKeyArn\":null}],"
      "\"skippedVolumeDetails\":[]}}";
  f.service_fields =
      "\"ebsVolumeScanDetails\":{\"scanId\":\"" + box.instance_id.substr(2) +
      "0000000000000000\",\"sources\":[\"Amazon GuardDuty\"],\"scanType\":\"GUARDDUTY_INITIATED\","
      "\"scanDetections\":{\"threatDetectedByName\":{\"itemCount\":1,\"uniqueThreatNameCount\":1,"
      "\"shortened\":false,\"threatNames\":[{\"name\":\"Backdoor:Linux/Rclonerat\",\"severity\":"
      "\"HIGH\",\"itemCount\":1,\"filePaths\":[{\"filePath\":\"/usr/local/bin/"
      "syncd\",\"volumeArn\":"
      "\"" +
      volume_arn + "\",\"hash\":\"" + std::string(kSha) + "\",\"fileName\":\"syncd\"}]}]}}},";
  in.guardduty(f);
}

// (1) A leaked access key used from a Tor exit at 02:30 UTC: recon, a load balancer and an
// instance opened to the world, data sent out from the new instance, then CloudTrail stopped.
void story_tor_compromise(Injector& in) {
  const std::uint32_t tor = pick_ip(in, in.e.tor_exits);
  in.actor_ip(tor);
  const std::string ip = ipv4_string(tor);
  const Caller who = leaked_caller(in);
  recon_calls(in, who, ip, kAttackerCli);
  in.wait(60, 120);
  const std::string sg = "sg-0" + std::to_string(in.rng.range(100000000, 999999999)) + "abcdef0";
  in.actor(sg);
  in.call(who, api("ec2.amazonaws.com", "CreateSecurityGroup", ip, kAttackerCli, false,
                   "{\"groupName\":\"lb-temp\",\"groupDescription\":\"temp\",\"vpcId\":\"" +
                       in.a.vpcs[0] + "\"}",
                   "{\"_return\":true,\"groupId\":\"" + sg + "\"}"));
  in.wait(20, 60);
  in.call(who, api("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ip, kAttackerCli, false,
                   "{\"groupId\":\"" + sg +
                       "\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":22,"
                       "\"toPort\":22,\"groups\":{},\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/"
                       "0\"}]},\"ipv6Ranges\":{},\"prefixListIds\":{}}]}}",
                   "{\"_return\":true}"));
  in.wait(20, 60);
  in.call(who,
          api("elasticloadbalancing.amazonaws.com", "CreateLoadBalancer", ip, kAttackerCli, false,
              "{\"name\":\"lb-temp\",\"subnets\":[\"" + in.a.subnets[0][0] + "\",\"" +
                  in.a.subnets[0][1] + "\"],\"securityGroups\":[\"" + sg +
                  "\"],\"scheme\":\"internet-facing\",\"type\":\"application\"}"));
  in.wait(30, 90);
  SimHost box;
  box.tier = Tier::kBatch;
  box.instance_id = "i-0" + std::to_string(in.rng.range(100000000, 999999999)) + "feed1e";
  box.eni = "eni-0" + std::to_string(in.rng.range(100000000, 999999999)) + "beef01";
  box.ip = in.a.vpc_base[0] | 0x2A0u | static_cast<std::uint32_t>(in.rng.below(200));
  box.vpc = 0;
  box.subnet = 0;
  actor_host(in, box);
  in.call(who, api("ec2.amazonaws.com", "RunInstances", ip, kAttackerCli, false,
                   "{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-0c02fb55956c7d316\","
                   "\"minCount\":1,\"maxCount\":1}]},\"instanceType\":\"c5.4xlarge\","
                   "\"groupSet\":{\"items\":[{\"groupId\":\"" +
                       sg + "\"}]},\"subnetId\":\"" + in.a.subnets[0][0] + "\"}",
                   "{\"instancesSet\":{\"items\":[{\"instanceId\":\"" + box.instance_id +
                       "\",\"instanceState\":{\"code\":0,\"name\":\"pending\"}}]}}"));
  in.wait(240, 400);
  const std::uint32_t drop = pick_ip(in, in.e.drop_point_ips);
  in.actor_ip(drop);
  // The tool on the new instance resolves its drop point's name first (the gateway VPC's
  // resolver logs it), then sends.
  std::string name = in.e.drop_point_domains[in.rng.below(in.e.drop_point_domains.size())];
  Query qy;
  qy.host = &box;
  qy.name = name;
  qy.answers = a_answers({drop});
  in.query(qy);
  name.pop_back();
  in.actor(name);
  in.wait(1, 5);
  for (int i = 0; i < 12; ++i) {
    in.flow(out_flow(box, drop, 443, 6, 300000, 420000000, eph(in)));
    in.wait(40, 70);
  }
  tor_story_malware_scan(in, box, in.t);
  in.wait(60, 120);
  in.actor(in.a.trail_name);
  in.call(who, api("cloudtrail.amazonaws.com", "StopLogging", ip, kAttackerCli, false,
                   "{\"name\":\"arn:aws:cloudtrail:" + in.a.region + ":" + in.a.id + ":trail/" +
                       in.a.trail_name + "\"}"));
}

// (2) A data breach: an EKS node's role credentials (taken through SSRF) read the data lake
// from outside, calls the role is not allowed to make are denied, and the node sends gigabytes
// out.
void story_data_breach(Injector& in) {
  const std::string session = node_session(in, 0);
  const Caller who = role_caller(in.a, in.a.node_role, session, in.t - 7200, true);
  in.actor(who.arn);
  in.actor(session);
  const std::uint32_t remote = in.e.spread_ips[5];
  in.actor_ip(remote);
  const std::string ip = ipv4_string(remote);
  in.actor(in.a.data_bucket);
  in.call(who, api("s3.amazonaws.com", "ListBuckets", ip, kAttackerBoto, true,
                   "{\"Host\":\"s3." + in.a.region + ".amazonaws.com\"}"));
  in.wait(5, 20);
  for (std::string_view denied : {"ListUsers", "ListRoles", "GetAccountAuthorizationDetails"}) {
    Call c = api("iam.amazonaws.com", denied, ip, kAttackerBoto, true);
    c.error_code = "AccessDenied";
    c.error_message = "User: " + who.arn +
                      " is not authorized to perform: iam:" + std::string(denied) +
                      " because no identity-based policy allows it";
    in.call(who, c);
    in.wait(2, 10);
  }
  for (int i = 0; i < 60; ++i) {
    in.call(who, s3_data(in, "GetObject", in.a.data_bucket, object_key(in), ip, kAttackerBoto, true,
                         in.rng.range(20000000, 90000000)));
    in.wait(1, 6);
  }
  Call del = s3_data(in, "DeleteObjects", in.a.data_bucket, "", ip, kAttackerBoto, false);
  del.request = "{\"bucketName\":\"" + in.a.data_bucket + "\",\"Host\":\"" + in.a.data_bucket +
                ".s3." + in.a.region + ".amazonaws.com\",\"delete\":\"\"}";
  in.call(who, del);
  in.wait(30, 60);
  const SimHost& h = node(in, 0);
  actor_host(in, h);
  for (int i = 0; i < 15; ++i) {
    in.flow(out_flow(h, remote, 443, 6, 600000, 850000000, eph(in)));
    in.wait(30, 60);
  }
}

// ---- Stratus Red Team techniques (beyond GuardDuty) ------------------------------------------
// Each story is one stolen credential working through a tactic from an address outside the
// estate, as Stratus Red Team's AWS techniques do it.

/// The IAM user whose long-lived key (or console password) the attacker holds: a forgotten
/// integration or contractor user that does nothing in the background, so no baseline of its
/// own explains the activity and no other scenario shares its actors.
struct Stolen {
  SimUser user;
  Caller caller;
};

Stolen stolen_user(Injector& in, std::string name, bool with_key = true) {
  Stolen s;
  s.user.name = std::move(name);
  s.user.id = "AIDA";
  append_random(s.user.id, in.rng, kUpperAlnum, 17);
  s.user.access_key = "AKIA";
  append_random(s.user.access_key, in.rng, kUpperAlnum, 16);
  s.caller = user_caller(in.a, s.user, with_key);
  in.actor(s.caller.arn);
  if (with_key) in.actor(s.user.access_key);
  return s;
}

std::string foreign_account(Injector& in) {
  std::string id = "4";
  append_random(id, in.rng, "0123456789", 11);
  in.actor(id);
  return id;
}

std::string attacker_ip(Injector& in) {
  const std::uint32_t ip = in.e.spread_ips[in.rng.below(in.e.spread_ips.size())];
  in.actor_ip(ip);
  return ipv4_string(ip);
}

void stratus_iam_persistence(Injector& in) {
  const Stolen st = stolen_user(in, "legacy-deploy");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const std::string other = foreign_account(in);
  const SimUser& person = in.a.users[in.rng.below(in.a.people)];
  const SimUser& svc = in.a.users[in.a.people + 1];
  in.actor("arn:aws:iam::" + in.a.id + ":user/" + person.name);
  in.actor("arn:aws:iam::" + in.a.id + ":user/" + svc.name);
  recon_calls(in, who, ip, kAttackerCli);
  in.wait(20, 90);
  std::string key = "AKIA";
  append_random(key, in.rng, kUpperAlnum, 16);
  in.call(who, api("iam.amazonaws.com", "CreateAccessKey", ip, kAttackerCli, false,
                   "{\"userName\":\"" + person.name + "\"}",
                   "{\"accessKey\":{\"userName\":\"" + person.name + "\",\"accessKeyId\":\"" + key +
                       "\",\"status\":\"Active\",\"createDate\":\"May 7, 2024 2:31:07 AM\"}}"));
  in.wait(10, 60);
  in.call(who, api("iam.amazonaws.com", "CreateLoginProfile", ip, kAttackerCli, false,
                   "{\"userName\":\"" + svc.name + "\",\"passwordResetRequired\":false}",
                   "{\"loginProfile\":{\"userName\":\"" + svc.name +
                       "\",\"createDate\":\"May 7, 2024 2:32:11 AM\",\"passwordResetRequired\":"
                       "false}}"));
  in.wait(10, 60);
  in.call(who, api("iam.amazonaws.com", "UpdateLoginProfile", ip, kAttackerCli, false,
                   "{\"userName\":\"" + person.name + "\",\"passwordResetRequired\":false}"));
  in.wait(10, 60);
  in.call(who, api("iam.amazonaws.com", "AttachUserPolicy", ip, kAttackerCli, false,
                   "{\"userName\":\"" + st.user.name +
                       "\",\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}"));
  in.wait(10, 60);
  in.actor(in.a.terraform.arn);
  in.call(who,
          api("iam.amazonaws.com", "UpdateAssumeRolePolicy", ip, kAttackerCli, false,
              "{\"roleName\":\"" + in.a.terraform.name +
                  "\",\"policyDocument\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":"
                  "[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{\\\"AWS\\\":\\\"arn:aws:"
                  "iam::" +
                  other + ":root\\\"},\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}"));
  in.wait(10, 60);
  in.call(who, api("sts.amazonaws.com", "GetFederationToken", ip, kAttackerCli, false,
                   "{\"name\":\"maintenance\",\"durationSeconds\":129600}"));
  in.wait(10, 60);
  in.call(who, api("rolesanywhere.amazonaws.com", "CreateTrustAnchor", ip, kAttackerCli, false,
                   "{\"name\":\"ops-ca\",\"enabled\":true,\"source\":{\"sourceType\":"
                   "\"CERTIFICATE_BUNDLE\",\"sourceData\":{\"x509CertificateData\":\"HIDDEN_DUE_TO_"
                   "SECURITY_REASONS\"}}}"));
}

void stratus_defense_evasion(Injector& in) {
  const Stolen st = stolen_user(in, "tf-bootstrap");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  in.actor(in.a.trail_name);
  in.actor(in.a.logs_bucket);
  in.call(who, api("cloudtrail.amazonaws.com", "PutEventSelectors", ip, kAttackerCli, false,
                   "{\"trailName\":\"" + in.a.trail_name +
                       "\",\"eventSelectors\":[{\"readWriteType\":\"ReadOnly\","
                       "\"includeManagementEvents\":false,\"dataResources\":[],"
                       "\"excludeManagementEventSources\":[]}]}"));
  in.wait(20, 90);
  const std::string& b = in.a.logs_bucket;
  in.call(who, api("s3.amazonaws.com", "PutBucketLifecycle", ip, kAttackerCli, false,
                   "{\"bucketName\":\"" + b + "\",\"Host\":\"" + b +
                       ".s3.amazonaws.com\",\"lifecycle\":\"\",\"LifecycleConfiguration\":{"
                       "\"xmlns\":\"http://s3.amazonaws.com/doc/2006-03-01/\",\"Rule\":{\"ID\":"
                       "\"cleanup\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"\"},"
                       "\"Expiration\":{\"Days\":1}}}}"));
  in.wait(20, 90);
  in.call(who, api("route53resolver.amazonaws.com", "DisassociateResolverQueryLogConfig", ip,
                   kAttackerCli, false,
                   "{\"resolverQueryLogConfigId\":\"rqlc-" + hex(in.rng, 16) +
                       "\",\"resourceId\":\"" + in.a.vpcs[1] + "\"}"));
  in.wait(20, 90);
  in.call(who, api("ec2.amazonaws.com", "DeleteFlowLogs", ip, kAttackerCli, false,
                   "{\"DeleteFlowLogsRequest\":{\"FlowLogId\":{\"tag\":1,\"content\":\"" +
                       in.a.flow_log_id + "\"}}}",
                   "{\"DeleteFlowLogsResponse\":{\"xmlns\":\"http://ec2.amazonaws.com/doc/"
                   "2016-11-15/\",\"unsuccessful\":\"\"}}"));
  in.wait(20, 90);
  in.call(who, api("bedrock.amazonaws.com", "DeleteGuardrail", ip, kAttackerCli, false,
                   "{\"guardrailIdentifier\":\"" + hex(in.rng, 12) + "\"}"));
  in.wait(20, 90);
  in.call(who, api("organizations.amazonaws.com", "LeaveOrganization", ip, kAttackerCli, false));
}

std::string sg_ingress(const std::string& group, int port, std::string_view cidr) {
  const std::string p = std::to_string(port);
  return "{\"groupId\":\"" + group +
         "\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\",\"fromPort\":" + p +
         ",\"toPort\":" + p + ",\"groups\":{},\"ipRanges\":{\"items\":[{\"cidrIp\":\"" +
         std::string(cidr) + "\"}]},\"ipv6Ranges\":{},\"prefixListIds\":{}}]}}";
}

void stratus_exfiltration(Injector& in) {
  const Stolen st = stolen_user(in, "dr-replication");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const std::string other = foreign_account(in);
  const std::string snap = "snap-0" + hex(in.rng, 16);
  in.actor(snap);
  in.call(who, api("ec2.amazonaws.com", "ModifySnapshotAttribute", ip, kAttackerCli, false,
                   "{\"snapshotId\":\"" + snap +
                       "\",\"createVolumePermission\":{\"add\":{\"items\":[{\"userId\":\"" + other +
                       "\"}]}},\"attributeType\":\"CREATE_VOLUME_PERMISSION\"}",
                   "{\"_return\":true}"));
  in.wait(20, 90);
  const std::string ami = "ami-0" + hex(in.rng, 16);
  in.actor(ami);
  in.call(who, api("ec2.amazonaws.com", "ModifyImageAttribute", ip, kAttackerCli, false,
                   "{\"imageId\":\"" + ami +
                       "\",\"launchPermission\":{\"add\":{\"items\":[{\"userId\":\"" + other +
                       "\"}]}},\"attributeType\":\"launchPermission\"}",
                   "{\"_return\":true}"));
  in.wait(20, 90);
  in.call(who, api("rds.amazonaws.com", "ModifyDBSnapshotAttribute", ip, kAttackerCli, false,
                   "{\"dBSnapshotIdentifier\":\"nightly-export\",\"attributeName\":\"restore\","
                   "\"valuesToAdd\":[\"" +
                       other + "\"]}"));
  in.wait(20, 90);
  const std::string& b = in.a.data_bucket;
  in.actor(b);
  in.call(who, api("s3.amazonaws.com", "PutBucketPolicy", ip, kAttackerCli, false,
                   "{\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":"
                   "\"Replication\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" +
                       other +
                       ":root\"},\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":["
                       "\"arn:aws:s3:::" +
                       b + "\",\"arn:aws:s3:::" + b + "/*\"]}]},\"bucketName\":\"" + b +
                       "\",\"Host\":\"" + b + ".s3.amazonaws.com\",\"policy\":\"\"}"));
  in.wait(20, 90);
  const std::string sg = "sg-0" + hex(in.rng, 16);
  in.actor(sg);
  in.call(who, api("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ip, kAttackerCli, false,
                   sg_ingress(sg, 22, "0.0.0.0/0"), "{\"_return\":true}"));
}

void stratus_execution(Injector& in) {
  const Stolen st = stolen_user(in, "jenkins-ci");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const SimHost& bastion = in.a.hosts[in.a.bastion];
  in.actor(bastion.instance_id);
  in.call(who, api("ec2.amazonaws.com", "RunInstances", ip, kAttackerCli, false,
                   "{\"instancesSet\":{\"items\":[{\"imageId\":\"ami-0c7217cdde317cfec\","
                   "\"minCount\":4,\"maxCount\":4}]},\"instanceType\":\"g5.12xlarge\","
                   "\"blockDeviceMapping\":{},\"monitoring\":{\"enabled\":false},"
                   "\"disableApiTermination\":false,\"disableApiStop\":false}"));
  in.wait(20, 90);
  in.call(who, api("ec2.amazonaws.com", "ModifyInstanceAttribute", ip, kAttackerCli, false,
                   "{\"instanceId\":\"" + bastion.instance_id +
                       "\",\"userData\":\"<sensitiveDataRemoved>\"}",
                   "{\"_return\":true}"));
  in.wait(20, 90);
  std::string ids;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string& id = in.a.hosts[in.a.nodes[i]].instance_id;
    in.actor(id);
    if (i) ids += ',';
    ids += '"';
    ids += id;
    ids += '"';
  }
  in.call(who, api("ssm.amazonaws.com", "SendCommand", ip, kAttackerCli, false,
                   "{\"instanceIds\":[" + ids +
                       "],\"documentName\":\"AWS-RunShellScript\",\"parameters\":\"HIDDEN_DUE_TO_"
                       "SECURITY_REASONS\",\"interactive\":false}"));
  in.wait(20, 90);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string& id = in.a.hosts[in.a.nodes[i]].instance_id;
    in.call(who, api("ssm.amazonaws.com", "StartSession", ip, kAttackerCli, false,
                     "{\"target\":\"" + id + "\"}",
                     "{\"sessionId\":\"" + st.user.name + "-" + hex(in.rng, 17) +
                         "\",\"tokenValue\":\"Value hidden due to security reasons.\"}"));
    in.wait(30, 120);
  }
  in.call(who, api("sagemaker.amazonaws.com", "UpdateNotebookInstance", ip, kAttackerCli, false,
                   "{\"notebookInstanceName\":\"analytics-notebook\",\"lifecycleConfigName\":"
                   "\"startup-hook\"}"));
}

void stratus_lateral_movement(Injector& in) {
  const Stolen st = stolen_user(in, "ops-contractor");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const SimHost& h = in.a.hosts[in.a.nodes[0]];
  in.actor(h.instance_id);
  in.call(who, api("ec2.amazonaws.com", "GetConsoleScreenshot", ip, kAttackerCli, true,
                   "{\"instanceId\":\"" + h.instance_id + "\",\"wakeUp\":true}"));
  in.wait(20, 90);
  in.call(who,
          api("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", ip, kAttackerCli, false,
              "{\"instanceId\":\"" + h.instance_id +
                  "\",\"instanceOSUser\":\"ec2-user\",\"sSHPublicKey\":\"ssh-ed25519 "
                  "AAAAC3NzaC1lZDI1NTE5AAAAIPq7bN2mXk4vRz8Lw3JtYcQeHs5uFd0aGi9oKp1rSnTB\"}",
              "{\"requestId\":\"" + uuid(in.rng) + "\",\"success\":true}"));
  in.wait(20, 90);
  in.call(who, api("ec2-instance-connect.amazonaws.com", "SendSerialConsoleSSHPublicKey", ip,
                   kAttackerCli, false,
                   "{\"instanceId\":\"" + h.instance_id +
                       "\",\"serialPort\":0,\"sSHPublicKey\":\"ssh-ed25519 "
                       "AAAAC3NzaC1lZDI1NTE5AAAAIPq7bN2mXk4vRz8Lw3JtYcQeHs5uFd0aGi9oKp1rSnTB\"}",
                   "{\"requestId\":\"" + uuid(in.rng) + "\",\"success\":true}"));
}

void stratus_lambda_backdoor(Injector& in) {
  const Stolen st = stolen_user(in, "lambda-deployer");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const std::string other = foreign_account(in);
  const std::string& fn = in.a.lambda_function;
  in.actor(fn);
  in.call(who, api("lambda.amazonaws.com", "AddPermission20150331v2", ip, kAttackerCli, false,
                   "{\"functionName\":\"" + fn +
                       "\",\"statementId\":\"backdoor\",\"action\":\"lambda:InvokeFunction\","
                       "\"principal\":\"*\"}"));
  in.wait(20, 90);
  in.call(who, api("lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", ip, kAttackerCli,
                   false, "{\"functionName\":\"" + fn + "\",\"authType\":\"NONE\"}"));
  in.wait(20, 90);
  in.call(who, api("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ip,
                   kAttackerCli, false,
                   "{\"functionName\":\"" + fn + "\",\"layers\":[\"arn:aws:lambda:" + in.a.region +
                       ":" + other + ":layer:requests-utils:3\"]}"));
}

void stratus_credential_access(Injector& in) {
  const Stolen st = stolen_user(in, "monitoring-integration");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  // Windows passwords of every instance the key can describe.
  for (int i = 0; i < 12; ++i) {
    in.call(who, api("ec2.amazonaws.com", "GetPasswordData", ip, kAttackerBoto, true,
                     "{\"instanceId\":\"i-0" + hex(in.rng, 16) + "\"}"));
    in.wait(2, 10);
  }
  // User data of a dozen instances (secrets in bootstrap scripts).
  for (int i = 0; i < 12; ++i) {
    in.call(who, api("ec2.amazonaws.com", "DescribeInstanceAttribute", ip, kAttackerBoto, true,
                     "{\"instanceId\":\"i-0" + hex(in.rng, 16) + "\",\"attribute\":\"userData\"}"));
    in.wait(2, 10);
  }
  // Every secret, one by one, then in batches.
  for (int i = 0; i < 12; ++i) {
    in.call(who, api("secretsmanager.amazonaws.com", "GetSecretValue", ip, kAttackerBoto, true,
                     "{\"secretId\":\"arn:aws:secretsmanager:" + in.a.region + ":" + in.a.id +
                         ":secret:prod/app-" + std::to_string(i) + "-" + hex(in.rng, 6) + "\"}"));
    in.wait(2, 10);
  }
  in.call(who, api("secretsmanager.amazonaws.com", "BatchGetSecretValue", ip, kAttackerBoto, true,
                   "{\"filters\":[{\"key\":\"name\",\"values\":[\"prod\"]}],\"maxResults\":20}"));
  in.wait(5, 20);
  // SecureString parameters, decrypted.
  for (int i = 0; i < 12; ++i) {
    in.call(who, api("ssm.amazonaws.com", "GetParameter", ip, kAttackerBoto, true,
                     "{\"name\":\"/prod/service-" + std::to_string(i) +
                         "/db-password\",\"withDecryption\":true}"));
    in.wait(2, 10);
  }
  // Can this account send mail (spam, phishing)?
  for (std::string_view name : {"GetAccount", "GetSendQuota", "ListIdentities"}) {
    in.call(who, api("ses.amazonaws.com", name, ip, kAttackerBoto, true));
    in.wait(2, 10);
  }
}

void console_login_no_mfa(Injector& in) {
  // A contractor's console user left without MFA after the engagement ended.
  const Stolen st = stolen_user(in, "contractor-audit", false);
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  for (int i = 0; i < 6; ++i) {
    Call c = api("signin.amazonaws.com", "ConsoleLogin", ip, kAttackerBrowser, false, "null",
                 "{\"ConsoleLogin\":\"Failure\"}");
    c.event_type = "AwsConsoleSignIn";
    c.error_message = "Failed authentication";
    c.additional =
        "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\","
        "\"MFAUsed\":\"No\"}";
    in.call(who, c);
    in.wait(10, 60);
  }
  Call ok = api("signin.amazonaws.com", "ConsoleLogin", ip, kAttackerBrowser, false, "null",
                "{\"ConsoleLogin\":\"Success\"}");
  ok.event_type = "AwsConsoleSignIn";
  ok.additional =
      "{\"LoginTo\":\"https://console.aws.amazon.com/console/home\",\"MobileVersion\":\"No\","
      "\"MFAUsed\":\"No\"}";
  in.call(who, ok);
}

void s3_ransomware(Injector& in) {
  const Stolen st = stolen_user(in, "sftp-ingest");
  const Caller& who = st.caller;
  const std::string ip = attacker_ip(in);
  const std::string& b = in.a.data_bucket;
  in.actor(b);
  // Re-encrypt objects with a key only the attacker holds (SSE-C).
  for (int i = 0; i < 12; ++i) {
    Call c = s3_data(in, "CopyObject", b, object_key(in), ip, kAttackerBoto, false);
    c.request.pop_back();
    c.request +=
        ",\"x-amz-server-side-encryption-customer-algorithm\":\"AES256\","
        "\"x-amz-copy-source\":\"" +
        b + "/" + object_key(in) + "\"}";
    in.call(who, c);
    in.wait(1, 5);
  }
  // Delete the originals one by one, then in batches.
  for (int i = 0; i < 60; ++i) {
    in.call(who, s3_data(in, "DeleteObject", b, object_key(in), ip, kAttackerBoto, false));
    in.wait(1, 4);
  }
  for (int i = 0; i < 12; ++i) {
    Call c = s3_data(in, "DeleteObjects", b, "", ip, kAttackerBoto, false);
    c.request.pop_back();
    c.request += ",\"delete\":\"\"}";
    in.call(who, c);
    in.wait(2, 8);
  }
  in.call(who, s3_data(in, "PutObject", b, "README-HOW-TO-RECOVER-YOUR-FILES.txt", ip,
                       kAttackerBoto, false));
}

}  // namespace

void emr_port_probe(Injector& in) {
  // The CI runner also hosts a Spark/YARN test cluster whose ResourceManager UI (8088) is open
  // to the internet: four scanners touch it within the hour, a few packets each.
  const SimHost& h = in.a.hosts[in.a.batch];
  actor_host(in, h);
  const std::size_t first = in.rng.below(in.e.malicious_ips.size());
  for (std::size_t k = 0; k < 4; ++k) {
    const std::uint32_t scanner = in.e.malicious_ips[(first + k) % in.e.malicious_ips.size()];
    in.actor_ip(scanner);
    in.flow(
        in_flow(h, scanner, 8088, 6, 2 + in.rng.below(2), 80 + in.rng.below(100), eph(in), true));
    in.wait(60, 600);
  }
}

// S3 anomalous behaviour: a principal with a history of the tactic's object calls on the data
// lake makes them with a tool and from a network it never used (the first-seen baselines learn
// 7 days, hence min_days 8). Only the tactics the background has a history of can be shown:
// nobody lists versions, deletes objects or changes ACLs in an ordinary week.
void s3_anomalous(Injector& in, const Caller& who, std::string_view name, bool read_only,
                  bool upload) {
  in.actor(who.arn);
  if (!who.access_key.empty()) in.actor(who.access_key);
  const std::string ip = attacker_ip(in);
  const std::string& b = in.a.data_bucket;
  in.actor(b);
  for (int i = 0; i < 3; ++i) {
    const bool list = name.starts_with("List");
    in.call(who,
            s3_data(in, name, b, list ? std::string() : (upload ? "staging/" : "") + object_key(in),
                    ip, kAttackerBoto, read_only,
                    name == "GetObject" ? in.rng.range(2000000, 90000000) : 0));
    in.wait(5, 40);
  }
}
void s3_anomalous_discovery(Injector& in) {
  // The data pipeline's role lists the lake every day; now its credentials list from outside.
  const Caller who = role_caller(in.a, in.a.pipeline, hex(in.rng, 32), in.t - 3600);
  in.actor(in.a.pipeline.arn);
  s3_anomalous(in, who, "ListObjects", true, false);
}
void s3_anomalous_exfiltration(Injector& in) {
  // The reporting user reads the lake daily with boto3 from its host; now from elsewhere.
  s3_anomalous(in, user_caller(in.a, in.a.users[in.a.people + 1]), "GetObject", true, false);
}
void s3_anomalous_write(Injector& in) {
  const Caller who = role_caller(in.a, in.a.pipeline, hex(in.rng, 32), in.t - 3600);
  in.actor(in.a.pipeline.arn);
  s3_anomalous(in, who, "PutObject", false, true);
}

void s3_anomalous_delete_permission(Injector& in) {
  // A publishing job's user deletes expired exports from the artifacts bucket and hands each
  // new upload to the bucket owner (PutObjectAcl) every working day with its own SDK from the
  // NAT address. Nobody else in the estate deletes objects or changes ACLs, so the week of
  // history is written here, as part of the scenario. Then its key, stolen, deletes data-lake
  // objects and opens the bucket ACL with another tool from another network.
  const Stolen st = stolen_user(in, "export-publisher");
  const Caller& who = st.caller;
  const std::string& art = in.a.artifacts_bucket;
  const std::string nat = ipv4_string(in.a.nat_ip);
  constexpr std::string_view kJobUa =
      "aws-sdk-java/2.25.40 Linux/5.10.215-203.850.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
      "17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy";
  const std::int64_t attack = in.t;
  for (int day = 7; day >= 1; --day) {
    in.t = attack - day * 86400 - 3600 + in.rng.range(0, 600);
    for (int i = 0; i < 3; ++i) {
      const std::string key = "exports/daily/part-" + hex(in.rng, 8) + ".csv.gz";
      Call acl = s3_data(in, "PutObjectAcl", art, key, nat, kJobUa, false);
      acl.request.pop_back();
      acl.request += ",\"acl\":\"\",\"x-amz-acl\":\"bucket-owner-full-control\"}";
      in.call(who, acl);
      in.wait(5, 30);
      in.call(who,
              s3_data(in, "DeleteObject", art, "exports/expired/part-" + hex(in.rng, 8) + ".csv.gz",
                      nat, kJobUa, false));
      in.wait(5, 30);
    }
  }
  in.t = attack;
  // The label spans the week of history, so its actors are the stolen user and key only: the
  // data lake and the outside addresses also appear in other scenarios of that week.
  const std::string ip = ipv4_string(in.e.spread_ips[in.rng.below(in.e.spread_ips.size())]);
  const std::string& b = in.a.data_bucket;
  for (int i = 0; i < 3; ++i) {
    in.call(who, s3_data(in, "DeleteObject", b, object_key(in), ip, kAttackerBoto, false));
    in.wait(5, 30);
  }
  Call open = s3_data(in, "PutBucketAcl", b, "", ip, kAttackerBoto, false);
  open.data = false;  // a bucket call: a management event
  open.additional.clear();
  open.request.pop_back();
  open.request += ",\"acl\":\"\",\"x-amz-acl\":\"authenticated-read\"}";
  in.call(who, open);
}

const std::vector<Scenario>& scenario_catalogue() {
  static const std::vector<Scenario> kAll = {
      // The stories.
      {"tor-credential-compromise",
       "Leaked access key used from a Tor exit at 02:30 UTC: recon, security group opened, "
       "load balancer and instance created, the new instance resolves a drop point and sends "
       "data to it, CloudTrail stopped",
       {"Recon:IAMUser/TorIPCaller", "UnauthorizedAccess:IAMUser/TorIPCaller",
        "Stealth:IAMUser/CloudTrailLoggingDisabled", "Trojan:EC2/DropPoint",
        "Trojan:EC2/DropPoint!DNS", "AttackSequence:IAM/CompromisedCredentials"},
       {},
       1,
       150,
       true,
       &story_tor_compromise,
       {"Execution:EC2/MaliciousFile"}},
      {"data-breach",
       "EKS node role credentials used from outside AWS: bucket listing, denied IAM calls, mass "
       "GetObject on the data lake, gigabytes sent to the same external address",
       {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        "Behavior:EC2/TrafficVolumeUnusual", "AttackSequence:S3/CompromisedData"},
       {},
       3,
       -1,
       true,
       &story_data_breach},
      // IAM / CloudTrail management events.
      {"tor-recon",
       "Leaked key lists resources from a Tor exit",
       {"Recon:IAMUser/TorIPCaller"},
       {},
       1,
       -1,
       false,
       &tor_recon},
      {"tor-api",
       "Leaked key changes resources from a Tor exit",
       {"UnauthorizedAccess:IAMUser/TorIPCaller"},
       {},
       1,
       -1,
       false,
       &tor_api},
      {"malicious-ip-recon",
       "Leaked key lists resources from a known malicious address",
       {"Recon:IAMUser/MaliciousIPCaller"},
       {},
       1,
       -1,
       false,
       &malicious_recon},
      {"malicious-ip-api",
       "Leaked key changes resources from a known malicious address",
       {"UnauthorizedAccess:IAMUser/MaliciousIPCaller"},
       {},
       1,
       -1,
       false,
       &malicious_api},
      {"custom-threat-recon",
       "Leaked key lists resources from an address on the custom threat list",
       {"Recon:IAMUser/MaliciousIPCaller.Custom"},
       {},
       1,
       -1,
       false,
       &custom_recon},
      {"custom-threat-api",
       "Leaked key changes resources from an address on the custom threat list",
       {"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"},
       {},
       1,
       -1,
       false,
       &custom_api},
      {"pentest-kali",
       "API calls from a Kali Linux host",
       {"PenTest:IAMUser/KaliLinux"},
       {},
       1,
       -1,
       false,
       &pentest_kali},
      {"pentest-parrot",
       "API calls from a Parrot Security host",
       {"PenTest:IAMUser/ParrotLinux"},
       {},
       1,
       -1,
       false,
       &pentest_parrot},
      {"pentest-pentoo",
       "API calls from a Pentoo host",
       {"PenTest:IAMUser/PentooLinux"},
       {},
       1,
       -1,
       false,
       &pentest_pentoo},
      {"root-credential-usage",
       "Root signs in and calls IAM",
       {"Policy:IAMUser/RootCredentialUsage"},
       {},
       1,
       -1,
       false,
       &root_usage},
      {"short-term-root-usage",
       "Short-term root credentials (sts:AssumeRoot) delete a bucket policy",
       {"Policy:IAMUser/ShortTermRootCredentialUsage"},
       {},
       1,
       -1,
       false,
       &short_term_root},
      {"cloudtrail-logging-disabled",
       "A user stops the trail",
       {"Stealth:IAMUser/CloudTrailLoggingDisabled"},
       {},
       1,
       -1,
       false,
       &cloudtrail_disabled},
      {"password-policy-weakened",
       "The account password policy is weakened",
       {"Stealth:IAMUser/PasswordPolicyChange"},
       {},
       1,
       -1,
       false,
       &password_policy},
      {"console-login-impossible-travel",
       "One user signs in from two distant places within minutes",
       {"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"},
       {},
       1,
       -1,
       false,
       &console_login_spread},
      {"instance-credentials-outside-aws",
       "An EKS node's role credentials used from outside AWS",
       {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"},
       {},
       1,
       -1,
       false,
       &instance_credentials_outside},
      {"instance-credentials-inside-aws",
       "An EKS node's role credentials used through another account's VPC endpoint",
       {"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS"},
       {},
       1,
       -1,
       false,
       &instance_credentials_inside},
      {"lambda-credentials-outside-aws",
       "A Lambda execution role's credentials used from outside AWS",
       {"UnauthorizedAccess:IAMUser/ResourceCredentialExfiltration.OutsideAWS"},
       {},
       1,
       -1,
       false,
       &lambda_credentials_outside},
      {"s3-account-block-public-access-disabled",
       "Account-level S3 Block Public Access turned off",
       {"Policy:S3/AccountBlockPublicAccessDisabled"},
       {},
       1,
       -1,
       false,
       &s3_account_bpa},
      {"s3-bucket-block-public-access-disabled",
       "Bucket-level Block Public Access turned off",
       {"Policy:S3/BucketBlockPublicAccessDisabled"},
       {},
       1,
       -1,
       false,
       &s3_bucket_bpa},
      {"s3-bucket-anonymous-access",
       "Bucket policy grants s3:GetObject to everyone",
       {"Policy:S3/BucketAnonymousAccessGranted"},
       {},
       1,
       -1,
       false,
       &s3_bucket_anonymous},
      {"s3-bucket-public-access",
       "Bucket ACL grants READ to all authenticated AWS users",
       {"Policy:S3/BucketPublicAccessGranted"},
       {},
       1,
       -1,
       false,
       &s3_bucket_public},
      {"s3-access-logging-disabled",
       "Server access logging turned off on the data lake",
       {"Stealth:S3/ServerAccessLoggingDisabled"},
       {},
       1,
       -1,
       false,
       &s3_logging_disabled},
      {"bedrock-logging-disabled",
       "Bedrock model invocation logging deleted",
       {"DefenseEvasion:IAMUser/BedrockLoggingDisabled"},
       {},
       1,
       -1,
       false,
       &bedrock_logging},
      {"anomalous-credential-access",
       "The EKS node role asks for Windows passwords and SSM parameters with a new tool",
       {"CredentialAccess:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_credential_access},
      {"anomalous-defense-evasion",
       "The Lambda role deletes log groups and flow logs with a new tool",
       {"DefenseEvasion:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_defense_evasion},
      {"anomalous-discovery",
       "A person's key enumerates IAM with a new tool",
       {"Discovery:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_discovery},
      {"anomalous-exfiltration",
       "The backup user copies database and volume snapshots with a new tool",
       {"Exfiltration:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_exfiltration},
      {"anomalous-impact",
       "The backup user deletes the database and a volume with a new tool",
       {"Impact:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_impact},
      {"anomalous-initial-access",
       "The CI role starts SSM sessions with a new tool from outside",
       {"InitialAccess:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_initial_access},
      {"anomalous-persistence",
       "The CI role creates a function and an event rule with a new tool",
       {"Persistence:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_persistence},
      {"anomalous-privilege-escalation",
       "The CI role attaches policies with a new tool",
       {"PrivilegeEscalation:IAMUser/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &anomalous_privilege_escalation},
      // S3 data events.
      {"s3-tor-discovery",
       "Data-lake listing from a Tor exit",
       {"Discovery:S3/TorIPCaller"},
       {},
       1,
       -1,
       false,
       &s3_tor_discovery},
      {"s3-tor-write",
       "Objects written from a Tor exit",
       {"UnauthorizedAccess:S3/TorIPCaller"},
       {},
       1,
       -1,
       false,
       &s3_tor_write},
      {"s3-malicious-ip-discovery",
       "Data-lake listing from a known malicious address",
       {"Discovery:S3/MaliciousIPCaller"},
       {},
       1,
       -1,
       false,
       &s3_malicious_discovery},
      {"s3-custom-threat-discovery",
       "Data-lake listing from an address on the custom threat list",
       {"Discovery:S3/MaliciousIPCaller.Custom"},
       {},
       1,
       -1,
       false,
       &s3_custom_discovery},
      {"s3-malicious-ip-exfiltration",
       "Objects read from a known malicious address",
       {"Exfiltration:S3/MaliciousIPCaller"},
       {},
       1,
       -1,
       false,
       &s3_malicious_exfiltration},
      {"s3-malicious-ip-impact",
       "Objects deleted from a known malicious address",
       {"Impact:S3/MaliciousIPCaller"},
       {},
       1,
       -1,
       false,
       &s3_malicious_impact},
      {"s3-custom-threat-write",
       "Objects written from an address on the custom threat list",
       {"UnauthorizedAccess:S3/MaliciousIPCaller.Custom"},
       {},
       1,
       -1,
       false,
       &s3_custom_write},
      {"s3-pentest-kali",
       "Data-lake listing from a Kali Linux host",
       {"PenTest:S3/KaliLinux"},
       {},
       1,
       -1,
       false,
       &s3_kali},
      {"s3-pentest-parrot",
       "Data-lake listing from a Parrot Security host",
       {"PenTest:S3/ParrotLinux"},
       {},
       1,
       -1,
       false,
       &s3_parrot},
      {"s3-pentest-pentoo",
       "Data-lake listing from a Pentoo host",
       {"PenTest:S3/PentooLinux"},
       {},
       1,
       -1,
       false,
       &s3_pentoo},
      // VPC flow.
      {"ssh-brute-force-target",
       "A malicious address tries SSH on the bastion 40 times",
       {"UnauthorizedAccess:EC2/SSHBruteForce"},
       {},
       1,
       -1,
       false,
       &ssh_brute_target},
      {"ssh-brute-force-actor",
       "An EKS node tries SSH on an outside host 40 times",
       {"UnauthorizedAccess:EC2/SSHBruteForce"},
       {},
       1,
       -1,
       false,
       &ssh_brute_actor},
      {"rdp-brute-force",
       "A malicious address tries RDP on the bastion 40 times",
       {"UnauthorizedAccess:EC2/RDPBruteForce"},
       {},
       1,
       -1,
       false,
       &rdp_brute},
      {"winrm-brute-force",
       "A malicious address tries WinRM on the bastion 40 times",
       {"Impact:EC2/WinRMBruteForce"},
       {},
       1,
       -1,
       false,
       &winrm_brute},
      {"portscan",
       "An EKS node connects to ~150 ports of one outside host",
       {"Recon:EC2/Portscan"},
       {},
       1,
       -1,
       false,
       &portscan},
      {"port-sweep",
       "An EKS node probes port 6379 on 60 outside hosts",
       {"Impact:EC2/PortSweep"},
       {},
       1,
       -1,
       false,
       &port_sweep},
      {"port-probe-unprotected",
       "A known scanner reaches open ports of the bastion",
       {"Recon:EC2/PortProbeUnprotectedPort"},
       {},
       1,
       -1,
       false,
       &port_probe},
      {"dos-tcp",
       "An EKS node floods an outside host over TCP",
       {"Backdoor:EC2/DenialOfService.Tcp"},
       {},
       1,
       -1,
       false,
       &dos_tcp},
      {"dos-udp",
       "An EKS node floods an outside host over UDP",
       {"Backdoor:EC2/DenialOfService.Udp"},
       {},
       1,
       -1,
       false,
       &dos_udp},
      {"dos-dns",
       "An EKS node floods an outside host over UDP 53",
       {"Backdoor:EC2/DenialOfService.Dns"},
       {},
       1,
       -1,
       false,
       &dos_dns},
      {"dos-udp-on-tcp-ports",
       "An EKS node floods an outside host with UDP on port 443",
       {"Backdoor:EC2/DenialOfService.UdpOnTcpPorts"},
       {},
       1,
       -1,
       false,
       &dos_udp_on_tcp},
      {"dos-unusual-protocol",
       "An EKS node floods an outside host with IGMP",
       {"Backdoor:EC2/DenialOfService.UnusualProtocol"},
       {},
       1,
       -1,
       false,
       &dos_unusual},
      {"spambot",
       "An EKS node talks SMTP to 40 mail servers",
       {"Backdoor:EC2/Spambot"},
       {},
       1,
       -1,
       false,
       &spambot},
      {"network-port-unusual",
       "An EKS node connects out on port 1389 for the first time",
       {"Behavior:EC2/NetworkPortUnusual"},
       {},
       2,
       -1,
       false,
       &port_unusual},
      {"traffic-volume-unusual",
       "An EKS node sends gigabytes to one outside host",
       {"Behavior:EC2/TrafficVolumeUnusual"},
       {},
       2,
       -1,
       false,
       &volume_unusual},
      {"bitcoin-tool",
       "An EKS node connects to a mining pool",
       {"CryptoCurrency:EC2/BitcoinTool.B"},
       {},
       1,
       -1,
       false,
       &bitcoin_flow},
      {"unusual-dns-resolver",
       "An EKS node queries a public DNS resolver directly",
       {"DefenseEvasion:EC2/UnusualDNSResolver"},
       {},
       1,
       -1,
       false,
       &unusual_resolver},
      {"unusual-doh",
       "An EKS node talks to a public DoH resolver",
       {"DefenseEvasion:EC2/UnusualDoHActivity"},
       {},
       1,
       -1,
       false,
       &doh},
      {"unusual-dot",
       "An EKS node talks to a public DoT resolver",
       {"DefenseEvasion:EC2/UnusualDoTActivity"},
       {},
       1,
       -1,
       false,
       &dot},
      {"blackhole-traffic",
       "An EKS node connects to a sinkhole address",
       {"Trojan:EC2/BlackholeTraffic"},
       {},
       1,
       -1,
       false,
       &blackhole_flow},
      {"drop-point",
       "An EKS node connects to a known drop point",
       {"Trojan:EC2/DropPoint"},
       {},
       1,
       -1,
       false,
       &drop_point_flow},
      {"custom-threat-flow",
       "An EKS node connects to an address on the custom threat list",
       {"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom"},
       {},
       1,
       -1,
       false,
       &custom_flow},
      {"c2-activity",
       "An EKS node connects to a command-and-control address",
       {"Backdoor:EC2/C&CActivity.B"},
       {},
       1,
       -1,
       false,
       &cc_flow},
      {"tor-client",
       "An EKS node connects to Tor relays",
       {"UnauthorizedAccess:EC2/TorClient"},
       {},
       1,
       -1,
       false,
       &tor_client},
      {"tor-relay",
       "An EKS node relays Tor traffic",
       {"UnauthorizedAccess:EC2/TorRelay"},
       {},
       1,
       -1,
       false,
       &tor_relay},
      // DNS.
      {"c2-dns",
       "An EKS node resolves a command-and-control domain",
       {"Backdoor:EC2/C&CActivity.B!DNS"},
       {},
       1,
       -1,
       false,
       &cc_dns},
      {"bitcoin-dns",
       "An EKS node resolves a mining pool",
       {"CryptoCurrency:EC2/BitcoinTool.B!DNS"},
       {},
       1,
       -1,
       false,
       &bitcoin_dns},
      {"dga-domains",
       "An EKS node queries 30 generated domains",
       {"Trojan:EC2/DGADomainRequest.C!DNS", "Trojan:EC2/DGADomainRequest.B"},
       {},
       1,
       -1,
       false,
       &dga},
      {"dns-exfiltration",
       "An EKS node tunnels data through TXT queries",
       {"Trojan:EC2/DNSDataExfiltration"},
       {},
       1,
       -1,
       false,
       &dns_exfiltration},
      {"metadata-dns-rebind",
       "A queried name resolves to the instance metadata address",
       {"UnauthorizedAccess:EC2/MetadataDNSRebind"},
       {},
       1,
       -1,
       false,
       &metadata_rebind},
      {"blackhole-dns",
       "An EKS node resolves a sinkholed domain",
       {"Trojan:EC2/BlackholeTraffic!DNS"},
       {},
       1,
       -1,
       false,
       &blackhole_dns},
      {"drop-point-dns",
       "An EKS node resolves a drop-point domain",
       {"Trojan:EC2/DropPoint!DNS"},
       {},
       1,
       -1,
       false,
       &drop_point_dns},
      {"phishing-dns",
       "An EKS node resolves a phishing domain",
       {"Trojan:EC2/PhishingDomainRequest!DNS"},
       {},
       1,
       -1,
       false,
       &phishing_dns},
      {"drive-by-dns",
       "An EKS node resolves a drive-by download domain",
       {"Trojan:EC2/DriveBySourceTraffic!DNS"},
       {},
       1,
       -1,
       false,
       &drive_by_dns},
      {"malicious-domain-custom",
       "An EKS node resolves a domain on the custom domain list",
       {"Impact:EC2/MaliciousDomainRequest.Custom"},
       {},
       1,
       -1,
       false,
       &malicious_domain_dns},
      // GuardDuty only (--guardduty): what GuardDuty sees beyond these logs. Last, so that
      // adding them left the other scenarios' seeds as they were.
      {"eks-runtime-escape",
       "A compromised pod on an EKS node runs a freshly downloaded binary and mounts the node's "
       "root filesystem (GuardDuty Runtime Monitoring findings)",
       {},
       {},
       1,
       -1,
       false,
       &eks_runtime_escape,
       {"Execution:Runtime/NewBinaryExecuted",
        "PrivilegeEscalation:Runtime/ContainerMountsHostDirectory"}},
      {"eks-anonymous-access",
       "system:anonymous bound to cluster-admin, then secrets listed from the internet without "
       "credentials (GuardDuty EKS audit log findings)",
       {},
       {},
       1,
       -1,
       false,
       &eks_anonymous_access,
       {"Policy:Kubernetes/AnonymousAccessGranted",
        "Discovery:Kubernetes/SuccessfulAnonymousAccess"}},
      {"s3-malware-upload",
       "A trojan uploaded to the artifacts bucket (GuardDuty Malware Protection for S3 finding)",
       {},
       {},
       1,
       -1,
       false,
       &s3_malware_upload,
       {"Object:S3/MaliciousFile"}},
      // Stratus Red Team techniques (beyond GuardDuty). After the GuardDuty-only ones, so that
      // adding them left the other scenarios' seeds as they were.
      {"stratus-iam-persistence",
       "A stolen automation key creates a key and console passwords for other users, makes itself "
       "administrator, opens a role's trust to a foreign account, takes a federation token and "
       "registers a Roles Anywhere trust anchor",
       {"Persistence:IAMUser/AccessKeyCreatedForOtherUser",
        "Persistence:IAMUser/LoginProfileCreated",
        "PrivilegeEscalation:IAMUser/LoginProfileUpdated",
        "PrivilegeEscalation:IAMUser/AdministratorAccessAttached",
        "Persistence:IAMRole/TrustPolicyOpened", "Persistence:IAMUser/FederationTokenIssued",
        "Persistence:RolesAnywhere/TrustAnchorCreated"},
       {},
       1,
       -1,
       false,
       &stratus_iam_persistence},
      {"stratus-defense-evasion",
       "A stolen key blinds the account: trail without management events, one-day expiry on the "
       "log bucket, DNS query logging and flow logs removed, a Bedrock guardrail deleted, then the "
       "account leaves its organization",
       {"DefenseEvasion:CloudTrail/EventSelectorsReduced",
        "DefenseEvasion:S3/LogBucketShortLifecycle",
        "DefenseEvasion:Route53Resolver/QueryLoggingDeleted", "DefenseEvasion:EC2/FlowLogsDeleted",
        "DefenseEvasion:Bedrock/GuardrailDeleted",
        "DefenseEvasion:Organizations/LeaveOrganization"},
       {},
       1,
       -1,
       false,
       &stratus_defense_evasion},
      {"stratus-exfiltration",
       "A stolen key shares an EBS snapshot, an AMI and an RDS snapshot with a foreign account, "
       "grants it the data lake in the bucket policy and opens SSH to the internet",
       {"Exfiltration:EC2/SnapshotShared", "Exfiltration:EC2/AmiShared",
        "Exfiltration:RDS/SnapshotShared", "Exfiltration:S3/BucketPolicyCrossAccount",
        "Exfiltration:EC2/AdminPortOpenToInternet"},
       {},
       1,
       -1,
       false,
       &stratus_exfiltration},
      {"stratus-execution",
       "A stolen key launches GPU instances, rewrites the bastion's user data, runs a shell "
       "script and sessions on three nodes through SSM and attaches a notebook lifecycle script",
       {"Execution:EC2/GpuInstanceLaunch", "Execution:EC2/UserDataModified",
        "Execution:SSM/ShellCommandOnManyInstances", "Execution:SSM/SessionsOnManyInstances",
        "Execution:SageMaker/LifecycleConfigAttached"},
       {},
       1,
       -1,
       false,
       &stratus_execution},
      {"stratus-lateral-movement",
       "A stolen key screenshots a node's console and pushes SSH keys through EC2 Instance Connect "
       "and the serial console",
       {"Collection:EC2/ConsoleScreenshot", "LateralMovement:EC2/InstanceConnectKeyPushed",
        "LateralMovement:EC2/SerialConsoleAccess"},
       {},
       1,
       -1,
       false,
       &stratus_lateral_movement},
      {"stratus-lambda-backdoor",
       "A stolen key lets everyone invoke the function, gives it a public URL and a foreign layer",
       {"Persistence:Lambda/FunctionInvokableFromOutside", "Persistence:Lambda/PublicFunctionUrl",
        "Persistence:Lambda/ForeignLayerAttached"},
       {},
       1,
       -1,
       false,
       &stratus_lambda_backdoor},
      {"stratus-credential-access",
       "A stolen key harvests Windows passwords, instance user data, secrets (one by one and in a "
       "batch) and decrypted SSM parameters, and checks whether the account can send mail",
       {"CredentialAccess:EC2/PasswordDataRetrieval.Burst", "Discovery:EC2/UserDataDownload.Burst",
        "CredentialAccess:SecretsManager/SecretsMassRetrieval",
        "CredentialAccess:SecretsManager/BatchSecretRetrieval",
        "CredentialAccess:SSM/SecureStringMassRetrieval", "Discovery:SES/Enumeration"},
       {},
       1,
       -1,
       false,
       &stratus_credential_access},
      {"console-password-guessing",
       "Six failed console sign-ins of a forgotten contractor user from one address, then a "
       "success "
       "without MFA",
       {"CredentialAccess:IAMUser/ConsoleLoginFailures.Burst",
        "InitialAccess:IAMUser/ConsoleLoginWithoutMFA"},
       {},
       1,
       -1,
       false,
       &console_login_no_mfa},
      {"s3-ransomware",
       "A stolen key re-encrypts data-lake objects with its own key (SSE-C), deletes the "
       "originals one by one and in batches and leaves a ransom note",
       {"Impact:S3/ObjectsReencryptedWithCustomerKey", "Impact:S3/MassDeletion.Individual",
        "Impact:S3/MassDeletion.Batch", "Impact:S3/RansomNoteUploaded"},
       {},
       1,
       -1,
       false,
       &s3_ransomware},
      {"emr-port-probe",
       "Four listed scanners touch YARN's ResourceManager port (8088) open on the CI runner",
       {"Recon:EC2/PortProbeEMRUnprotectedPort"},
       {},
       1,
       -1,
       false,
       &emr_port_probe},
      {"s3-anomalous-discovery",
       "The data pipeline's role lists the data lake with a new tool from a new network",
       {"Discovery:S3/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &s3_anomalous_discovery},
      {"s3-anomalous-exfiltration",
       "The reporting user's key reads the data lake with a new tool from a new network",
       {"Exfiltration:S3/AnomalousBehavior"},
       {},
       8,
       -1,
       false,
       &s3_anomalous_exfiltration},
      {"s3-anomalous-write",
       "The data pipeline's role writes to the data lake with a new tool from a new network",
       {"Impact:S3/AnomalousBehavior.Write"},
       {},
       8,
       -1,
       false,
       &s3_anomalous_write},
      {"s3-anomalous-delete-permission",
       "A publishing job's key, which deletes expired exports and sets object ACLs daily, deletes "
       "data-lake objects and grants the bucket to all authenticated AWS users with a new tool "
       "from "
       "a new network",
       {"Impact:S3/AnomalousBehavior.Delete", "Impact:S3/AnomalousBehavior.Permission",
        "Policy:S3/BucketPublicAccessGranted"},
       {},
       8,
       -1,
       false,
       &s3_anomalous_delete_permission},
  };
  return kAll;
}

}  // namespace sentinel::sim
