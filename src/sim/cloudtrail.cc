#include "sim/cloudtrail.h"

#include <array>
#include <string>

#include "sim/json_out.h"

namespace sentinel::sim {

namespace {

enum ApiFlags : std::uint32_t {
  kRead = 1,          // readOnly: true
  kData = 2,          // data event (eventCategory Data, managementEvent false)
  kSignIn = 4,        // AwsConsoleSignIn
  kServiceEvent = 8,  // AwsServiceEvent
  kGlobal = 16,       // recorded in us-east-1 only (IAM, global STS)
  kByService = 32,    // often called by an AWS service principal
};

struct Ctx;
using ApiWriter = void (*)(Ctx&);

struct Api {
  std::string_view source;
  std::string_view name;
  std::uint32_t weight;  // relative frequency, tenths
  std::uint32_t flags;
  ApiWriter write;  // writes requestParameters, responseElements (+ additionalEventData)
};

struct Resource {
  std::string_view type;
  std::string arn;
  bool with_account;
};

struct Ctx {
  Rng& rng;
  JsonOut& j;
  const World& world;
  const Account& acct;
  std::string_view region;
  const Principal& who;
  std::string_view session;
  std::int64_t time;
  bool failed;
  std::array<Resource, 3> res{};
  int nres = 0;

  void add_resource(std::string_view type, std::string arn, bool with_account = true) {
    if (nres < static_cast<int>(res.size())) res[nres++] = {type, std::move(arn), with_account};
  }
  template <typename C>
  const auto& pick(const C& c) {
    return rng.pick(c);
  }
  std::string uuid() {
    std::string s;
    append_uuid(s, rng);
    return s;
  }
  std::string hex(std::string_view prefix, std::size_t n) {
    std::string s(prefix);
    append_random(s, rng, kHexLower, n);
    return s;
  }
  std::string iso(std::int64_t t) {
    std::string s;
    append_iso_time(s, t);
    return s;
  }
  std::string arn(std::string_view service, std::string_view resource, bool regional = true) {
    std::string s = "arn:aws:";
    s += service;
    s += ':';
    if (regional) s += region;
    s += ':';
    s += acct.id;
    s += ':';
    s += resource;
    return s;
  }
  /// Writes `"responseElements":null` when the call failed; returns true when it did.
  bool null_response_if_failed() {
    if (!failed) return false;
    j.kv_null("responseElements");
    return true;
  }
};

constexpr std::string_view kInstanceTypes[] = {"t3.micro",   "t3.medium",   "m6i.large",
                                               "c6g.xlarge", "r6i.2xlarge", "m7g.large"};
constexpr std::string_view kAmis[] = {"ami-0c02fb55956c7d316", "ami-0a3c3a20c09d6f377",
                                      "ami-05fa00d4c63e32376", "ami-0f9de6e2d2f067fca"};
constexpr std::string_view kObjectKeys[] = {
    "exports/2024/05/orders-000142.parquet",
    "uploads/avatars/7f3a9c/photo.jpg",
    "backups/db/orders-db/2024-05-06T00-00.sql.gz",
    "reports/daily/summary.csv",
    "logs/app/web-01/2024/05/06/app.log.gz",
    "terraform/prod/network.tfstate",
    "static/js/main.8c1f2d.js",
    "data/raw/events/part-00017.json",
    "data-lake/raw/source=orders/year=2024/month=05/day=06/hour=13/"
    "part-00017-3f9c0e3b-0b6d-4c4b-9b8e-2f1c6e4c8d21.c000.snappy.parquet",
    "data-lake/curated/customers/dt=2024-05-05/"
    "part-00003-b1e2c7a4-58f0-4d2e-a6a1-0c9d8e7f6a5b-c000.snappy.parquet",
    "AWSLogs/o-a1b2c3d4e5/elasticloadbalancing/us-east-1/2024/05/06/"
    "app.web-alb.4d1f2a3b4c5d6e7f_20240506T1305Z_10.0.3.17_2x7r9k1m.log.gz",
    "media/originals/2024/05/06/IMG_4821 (copy).HEIC"};
constexpr std::string_view kTagValues[] = {
    "web",      "worker",       "Zoë Müller",          "batch-東京",
    "payments", "data-science", "Ops Team — São Paulo"};
constexpr std::string_view kParamNames[] = {"/prod/db/password", "/prod/api/stripe-key",
                                            "/shared/ami/latest", "/app/feature-flags",
                                            "/staging/db/url"};
constexpr std::string_view kSecretNames[] = {"prod/orders-db", "prod/stripe", "staging/orders-db",
                                             "ci/github-token"};

void tags(Ctx& c) {
  c.j.begin_object();
  c.j.arr("items");
  c.j.begin_object();
  c.j.kv("key", "Name");
  c.j.kv("value", c.pick(kTagValues));
  c.j.end_object();
  c.j.begin_object();
  c.j.kv("key", "Owner");
  c.j.kv("value", c.pick(kTagValues));
  c.j.end_object();
  c.j.end_array();
  c.j.end_object();
}

void instance_items(Ctx& c, std::string_view key, int n) {
  c.j.obj(key);
  c.j.arr("items");
  for (int i = 0; i < n; ++i) {
    c.j.begin_object();
    c.j.kv("instanceId", c.pick(c.acct.instances));
    c.j.end_object();
  }
  c.j.end_array();
  c.j.end_object();
}

// EC2's list shape with one item, `"key":{"items":[{...}]}`: opens it up to the item's fields.
void begin_item_set(Ctx& c, std::string_view key) {
  c.j.obj(key);
  c.j.arr("items");
  c.j.begin_object();
}
// Closes what begin_item_set opened.
void end_item_set(Ctx& c) {
  c.j.end_object();
  c.j.end_array();
  c.j.end_object();
}

// ---- ec2 ----

constexpr std::string_view kFilterNames[] = {"instance-state-name", "tag:Environment", "vpc-id",
                                             "tag:aws:autoscaling:groupName", "availability-zone"};
constexpr std::string_view kFilterValues[] = {"running", "production",       "staging",
                                              "web-asg", "workers-spot-asg", "pending"};

// EC2 filter sets: most automated Describe* calls carry one to three filters.
void filter_set(Ctx& c) {
  c.j.obj("filterSet");
  const int n = static_cast<int>(c.rng.below(4));
  if (n > 0) {
    c.j.arr("items");
    for (int i = 0; i < n; ++i) {
      c.j.begin_object();
      const std::string_view name = kFilterNames[(c.rng.below(5) + i) % 5];
      c.j.kv("name", name);
      begin_item_set(c, "valueSet");
      if (name == "vpc-id") {
        c.j.kv("value", c.pick(c.acct.vpcs));
      } else if (name == "availability-zone") {
        c.j.kv("value", std::string(c.region) + "a");
      } else {
        c.j.kv("value", c.pick(kFilterValues));
      }
      end_item_set(c);
      c.j.end_object();
    }
    c.j.end_array();
  }
  c.j.end_object();
}

void ec2_describe_instances(Ctx& c) {
  c.j.obj("requestParameters");
  const int n = static_cast<int>(c.rng.below(5));
  if (n > 0) {
    instance_items(c, "instancesSet", n);
  } else {
    c.j.obj("instancesSet");
    c.j.end_object();
  }
  filter_set(c);
  c.j.obj("includeAllInstances");
  c.j.end_object();
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void ec2_simple_describe(Ctx& c) {
  c.j.obj("requestParameters");
  filter_set(c);
  if (c.rng.chance(500)) {
    begin_item_set(c, "vpcIdSet");
    c.j.kv("vpcId", c.pick(c.acct.vpcs));
    end_item_set(c);
  }
  c.j.kv_num("maxResults", 1000);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void ec2_run_instances(Ctx& c) {
  const std::string_view type = c.pick(kInstanceTypes);
  const std::string_view ami = c.pick(kAmis);
  c.j.obj("requestParameters");
  begin_item_set(c, "instancesSet");
  c.j.kv("imageId", ami);
  c.j.kv_num("minCount", 1);
  c.j.kv_num("maxCount", 1);
  end_item_set(c);
  c.j.kv("instanceType", type);
  c.j.obj("blockDeviceMapping");
  c.j.end_object();
  c.j.obj("monitoring");
  c.j.kv_bool("enabled", false);
  c.j.end_object();
  c.j.kv_bool("disableApiTermination", false);
  c.j.obj("iamInstanceProfile");
  c.j.kv("name",
         c.acct.principals[c.pick(c.acct.by_kind[static_cast<int>(PrincipalKind::kInstanceRole)])]
             .name);
  c.j.end_object();
  begin_item_set(c, "tagSpecificationSet");
  c.j.kv("resourceType", "instance");
  c.j.key("tags");
  c.j.begin_array();
  c.j.begin_object();
  c.j.kv("key", "Name");
  c.j.kv("value", c.pick(kTagValues));
  c.j.end_object();
  c.j.end_array();
  end_item_set(c);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  const std::string instance = c.hex("i-0", 16);
  c.j.obj("responseElements");
  c.j.kv("requestId", c.uuid());
  c.j.kv("reservationId", c.hex("r-0", 16));
  c.j.kv("ownerId", c.acct.id);
  c.j.obj("groupSet");
  c.j.end_object();
  begin_item_set(c, "instancesSet");
  c.j.kv("instanceId", instance);
  c.j.kv("imageId", ami);
  c.j.obj("instanceState");
  c.j.kv_num("code", 0);
  c.j.kv("name", "pending");
  c.j.end_object();
  c.j.kv("privateDnsName", "ip-10-0-" + std::to_string(c.rng.below(256)) + "-" +
                               std::to_string(c.rng.below(256)) + ".ec2.internal");
  c.j.kv_num("amiLaunchIndex", 0);
  c.j.obj("productCodes");
  c.j.end_object();
  c.j.kv("instanceType", type);
  c.j.kv_num("launchTime", c.time * 1000);
  c.j.obj("placement");
  c.j.kv("availabilityZone", std::string(c.region) + "a");
  c.j.kv("tenancy", "default");
  c.j.end_object();
  c.j.obj("monitoring");
  c.j.kv("state", "disabled");
  c.j.end_object();
  c.j.kv("subnetId", c.pick(c.acct.subnets));
  c.j.kv("vpcId", c.pick(c.acct.vpcs));
  c.j.kv("privateIpAddress",
         "10.0." + std::to_string(c.rng.below(256)) + "." + std::to_string(c.rng.below(256)));
  c.j.kv_bool("sourceDestCheck", true);
  begin_item_set(c, "groupSet");
  c.j.kv("groupId", c.pick(c.acct.security_groups));
  c.j.kv("groupName", "default");
  end_item_set(c);
  c.j.kv("architecture", "x86_64");
  c.j.kv("rootDeviceType", "ebs");
  c.j.kv("rootDeviceName", "/dev/xvda");
  c.j.kv("virtualizationType", "hvm");
  c.j.kv("hypervisor", "xen");
  begin_item_set(c, "networkInterfaceSet");
  c.j.kv("networkInterfaceId", c.hex("eni-0", 16));
  c.j.kv("subnetId", c.pick(c.acct.subnets));
  c.j.kv("ownerId", c.acct.id);
  c.j.kv("status", "in-use");
  c.j.kv("macAddress", c.hex("0e:", 2) + ":" + c.hex("", 2) + ":" + c.hex("", 2) + ":" +
                           c.hex("", 2) + ":" + c.hex("", 2));
  c.j.kv("interfaceType", "interface");
  end_item_set(c);
  c.j.kv_bool("ebsOptimized", false);
  c.j.obj("metadataOptions");
  c.j.kv("state", "pending");
  c.j.kv("httpTokens", c.rng.chance(800) ? "required" : "optional");
  c.j.kv_num("httpPutResponseHopLimit", 2);
  c.j.kv("httpEndpoint", "enabled");
  c.j.end_object();
  end_item_set(c);
  c.j.end_object();
  c.add_resource("AWS::EC2::Instance", c.arn("ec2", "instance/" + instance));
}

void ec2_instance_state(Ctx& c) {
  c.j.obj("requestParameters");
  instance_items(c, "instancesSet", 1);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.kv("requestId", c.uuid());
  begin_item_set(c, "instancesSet");
  c.j.kv("instanceId", c.pick(c.acct.instances));
  c.j.obj("currentState");
  c.j.kv_num("code", 32);
  c.j.kv("name", "shutting-down");
  c.j.end_object();
  c.j.obj("previousState");
  c.j.kv_num("code", 16);
  c.j.kv("name", "running");
  c.j.end_object();
  end_item_set(c);
  c.j.end_object();
}

void ec2_authorize_ingress(Ctx& c) {
  const bool open = c.rng.chance(300);
  c.j.obj("requestParameters");
  c.j.kv("groupId", c.pick(c.acct.security_groups));
  begin_item_set(c, "ipPermissions");
  c.j.kv("ipProtocol", "tcp");
  const std::int64_t port = open ? 22 : c.pick(std::array<std::int64_t, 4>{443, 5432, 8080, 3389});
  c.j.kv_num("fromPort", port);
  c.j.kv_num("toPort", port);
  c.j.obj("groups");
  c.j.end_object();
  begin_item_set(c, "ipRanges");
  c.j.kv("cidrIp", open ? "0.0.0.0/0" : "10.0.0.0/16");
  c.j.kv("description", open ? "temp debug" : "internal");
  end_item_set(c);
  c.j.obj("ipv6Ranges");
  c.j.end_object();
  c.j.obj("prefixListIds");
  c.j.end_object();
  end_item_set(c);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.kv("requestId", c.uuid());
  c.j.kv_bool("_return", true);
  begin_item_set(c, "securityGroupRuleSet");
  c.j.kv("securityGroupRuleId", c.hex("sgr-0", 16));
  c.j.kv_bool("isEgress", false);
  end_item_set(c);
  c.j.end_object();
}

void ec2_create_snapshot(Ctx& c) {
  const std::string vol = c.hex("vol-0", 16);
  c.j.obj("requestParameters");
  c.j.kv("volumeId", vol);
  c.j.kv("description", "nightly backup");
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.kv("requestId", c.uuid());
  c.j.kv("snapshotId", c.hex("snap-0", 16));
  c.j.kv("volumeId", vol);
  c.j.kv("status", "pending");
  c.j.kv_num("startTime", c.time * 1000);
  c.j.kv("progress", "");
  c.j.kv("ownerId", c.acct.id);
  c.j.kv_num("volumeSize", 8 << c.rng.below(5));
  c.j.kv_bool("encrypted", true);
  c.j.end_object();
}

void ec2_create_tags(Ctx& c) {
  c.j.obj("requestParameters");
  begin_item_set(c, "resourcesSet");
  c.j.kv("resourceId", c.pick(c.acct.instances));
  end_item_set(c);
  c.j.key("tagSet");
  tags(c);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.kv("requestId", c.uuid());
  c.j.kv_bool("_return", true);
  c.j.end_object();
}

// ---- s3 ----

void s3_host(Ctx& c, std::string_view bucket) {
  c.j.kv("Host", std::string(bucket) + ".s3." + std::string(c.region) + ".amazonaws.com");
}

void s3_bucket_call(Ctx& c, std::string_view sub_resource) {
  const std::string& bucket = c.pick(c.acct.buckets);
  c.j.obj("requestParameters");
  c.j.kv("bucketName", bucket);
  s3_host(c, bucket);
  if (!sub_resource.empty()) c.j.kv(sub_resource, "");
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.j.obj("additionalEventData");
  c.j.kv("SignatureVersion", "SigV4");
  c.j.kv("CipherSuite", "TLS_AES_128_GCM_SHA256");
  c.j.kv_num("bytesTransferredIn", 0);
  c.j.kv("AuthenticationMethod", "AuthHeader");
  std::string id2;
  append_random(id2, c.rng, kAlnum, 76);
  c.j.kv("x-amz-id-2", id2);
  c.j.kv_num("bytesTransferredOut", static_cast<std::int64_t>(c.rng.range(0, 4000)));
  c.j.end_object();
  c.add_resource("AWS::S3::Bucket", "arn:aws:s3:::" + bucket);
}

void s3_list_buckets(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("Host", "s3.amazonaws.com");
  c.j.end_object();
  c.j.kv_null("responseElements");
}
void s3_get_bucket_acl(Ctx& c) {
  s3_bucket_call(c, "acl");
}
void s3_get_bucket_policy(Ctx& c) {
  s3_bucket_call(c, "policy");
}

void s3_put_bucket_policy(Ctx& c) {
  const std::string& bucket = c.pick(c.acct.buckets);
  c.j.obj("requestParameters");
  c.j.obj("bucketPolicy");
  c.j.kv("Version", "2012-10-17");
  c.j.arr("Statement");
  c.j.begin_object();
  c.j.kv("Sid", "AllowRead");
  c.j.kv("Effect", "Allow");
  c.j.key("Principal");
  if (c.rng.chance(200)) {
    c.j.string("*");
  } else {
    c.j.begin_object();
    c.j.kv("AWS", "arn:aws:iam::" + c.acct.id + ":root");
    c.j.end_object();
  }
  c.j.kv("Action", "s3:GetObject");
  c.j.kv("Resource", "arn:aws:s3:::" + bucket + "/*");
  c.j.end_object();
  c.j.end_array();
  c.j.end_object();
  c.j.kv("bucketName", bucket);
  s3_host(c, bucket);
  c.j.kv("policy", "");
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.add_resource("AWS::S3::Bucket", "arn:aws:s3:::" + bucket);
}

void s3_put_public_access_block(Ctx& c) {
  const std::string& bucket = c.pick(c.acct.buckets);
  const bool on = !c.rng.chance(300);
  c.j.obj("requestParameters");
  c.j.obj("PublicAccessBlockConfiguration");
  c.j.kv("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
  c.j.kv_bool("RestrictPublicBuckets", on);
  c.j.kv_bool("BlockPublicPolicy", on);
  c.j.kv_bool("BlockPublicAcls", on);
  c.j.kv_bool("IgnorePublicAcls", on);
  c.j.end_object();
  c.j.kv("bucketName", bucket);
  s3_host(c, bucket);
  c.j.kv("publicAccessBlock", "");
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.add_resource("AWS::S3::Bucket", "arn:aws:s3:::" + bucket);
}

void s3_create_bucket(Ctx& c) {
  const std::string bucket = c.acct.alias + "-tmp-" + c.hex("", 8);
  c.j.obj("requestParameters");
  c.j.obj("CreateBucketConfiguration");
  c.j.kv("LocationConstraint", c.region);
  c.j.kv("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/");
  c.j.end_object();
  c.j.kv("bucketName", bucket);
  s3_host(c, bucket);
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.add_resource("AWS::S3::Bucket", "arn:aws:s3:::" + bucket);
}

void s3_object(Ctx& c, bool put) {
  const std::string& bucket = c.pick(c.acct.buckets);
  const std::string_view key = c.pick(kObjectKeys);
  c.j.obj("requestParameters");
  c.j.kv("bucketName", bucket);
  s3_host(c, bucket);
  c.j.kv("key", key);
  if (put) c.j.kv("x-amz-server-side-encryption", "aws:kms");
  c.j.end_object();
  if (put && !c.failed) {
    c.j.obj("responseElements");
    c.j.kv("x-amz-server-side-encryption", "aws:kms");
    c.j.kv("x-amz-server-side-encryption-aws-kms-key-id",
           c.arn("kms", "key/" + c.pick(c.acct.kms_keys)));
    c.j.kv("x-amz-version-id", c.hex("", 32));
    c.j.end_object();
  } else {
    c.j.kv_null("responseElements");
  }
  c.j.obj("additionalEventData");
  c.j.kv("SignatureVersion", "SigV4");
  c.j.kv("CipherSuite", "TLS_AES_128_GCM_SHA256");
  const std::int64_t size = c.rng.range(100, 50'000'000);
  c.j.kv_num("bytesTransferredIn", put ? size : 0);
  c.j.kv("AuthenticationMethod", "AuthHeader");
  std::string id2;
  append_random(id2, c.rng, kAlnum, 76);
  c.j.kv("x-amz-id-2", id2);
  c.j.kv_num("bytesTransferredOut", put ? 0 : size);
  c.j.end_object();
  c.add_resource("AWS::S3::Object", "arn:aws:s3:::" + bucket + "/" + std::string(key), false);
  c.add_resource("AWS::S3::Bucket", "arn:aws:s3:::" + bucket);
}
void s3_get_object(Ctx& c) {
  s3_object(c, false);
}
void s3_put_object(Ctx& c) {
  s3_object(c, true);
}

// ---- iam ----

std::string_view some_user(Ctx& c) {
  const auto& users = c.acct.by_kind[static_cast<int>(PrincipalKind::kIamUser)];
  return c.acct.principals[c.pick(users)].name;
}

void iam_list(Ctx& c) {
  c.j.obj("requestParameters");
  if (c.rng.chance(500)) c.j.kv("marker", c.hex("", 40));
  c.j.kv_num("maxItems", 100);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void iam_get_user(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("userName", some_user(c));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void iam_create_user(Ctx& c) {
  std::string name = "svc-";
  append_random(name, c.rng, "abcdefghijklmnopqrstuvwxyz", 6);
  c.j.obj("requestParameters");
  c.j.kv("userName", name);
  c.j.obj("tags");
  c.j.end_object();
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.obj("user");
  c.j.kv("path", "/");
  c.j.kv("userName", name);
  std::string id = "AIDA";
  append_random(id, c.rng, kUpperAlnum, 17);
  c.j.kv("userId", id);
  c.j.kv("arn", "arn:aws:iam::" + c.acct.id + ":user/" + name);
  c.j.kv("createDate", "May 6, 2024, 10:15:00 AM");
  c.j.end_object();
  c.j.end_object();
}

void iam_create_access_key(Ctx& c) {
  const std::string_view user = some_user(c);
  c.j.obj("requestParameters");
  c.j.kv("userName", user);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.obj("accessKey");
  c.j.kv("userName", user);
  std::string key = "AKIA";
  append_random(key, c.rng, kUpperAlnum, 16);
  c.j.kv("accessKeyId", key);
  c.j.kv("status", "Active");
  c.j.kv("createDate", "May 6, 2024, 10:15:00 AM");
  c.j.end_object();
  c.j.end_object();
}

void iam_attach_user_policy(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("userName", some_user(c));
  c.j.kv("policyArn", c.rng.chance(400) ? "arn:aws:iam::aws:policy/AdministratorAccess"
                                        : "arn:aws:iam::aws:policy/ReadOnlyAccess");
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void iam_put_role_policy(Ctx& c) {
  const auto& role =
      c.acct.principals[c.pick(c.acct.by_kind[static_cast<int>(PrincipalKind::kRole)])];
  c.j.obj("requestParameters");
  c.j.kv("roleName", role.name);
  c.j.kv("policyName", "inline-access");
  // CloudTrail records inline policy documents as a JSON string, so quotes get escaped.
  c.j.kv("policyDocument",
         "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": "
         "\"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:ListBucket\"],\n      "
         "\"Resource\": \"*\"\n    }\n  ]\n}");
  c.j.end_object();
  c.j.kv_null("responseElements");
}

// ---- sts ----

void sts_assume_role(Ctx& c) {
  const auto& kinds = c.acct.by_kind;
  const bool by_service = c.who.kind == PrincipalKind::kService;
  const auto& pool =
      by_service ? (c.rng.chance(500) ? kinds[static_cast<int>(PrincipalKind::kLambdaRole)]
                                      : kinds[static_cast<int>(PrincipalKind::kInstanceRole)])
                 : kinds[static_cast<int>(PrincipalKind::kRole)];
  const Principal& role = c.acct.principals[c.pick(pool)];
  const std::string& session = c.pick(role.sessions);
  const std::string role_arn = "arn:aws:iam::" + c.acct.id + ":role/" + role.name;
  c.j.obj("requestParameters");
  c.j.kv("roleArn", role_arn);
  c.j.kv("roleSessionName", session);
  c.j.kv_num("durationSeconds", by_service ? 43200 : 3600);
  c.j.end_object();
  if (!c.null_response_if_failed()) {
    c.j.obj("responseElements");
    c.j.obj("credentials");
    std::string key = "ASIA";
    append_random(key, c.rng, kUpperAlnum, 16);
    c.j.kv("accessKeyId", key);
    std::string token = "IQoJb3JpZ2luX2Vj";
    append_random(token, c.rng, kAlnum, 560 + c.rng.below(120));
    c.j.kv("sessionToken", token);
    c.j.kv("expiration", "May 6, 2024, 11:15:00 PM");
    c.j.end_object();
    c.j.obj("assumedRoleUser");
    c.j.kv("assumedRoleId", role.id + ":" + session);
    c.j.kv("arn", "arn:aws:sts::" + c.acct.id + ":assumed-role/" + role.name + "/" + session);
    c.j.end_object();
    c.j.end_object();
  }
  c.add_resource("AWS::IAM::Role", role_arn);
}

void sts_get_caller_identity(Ctx& c) {
  c.j.kv_null("requestParameters");
  c.j.kv_null("responseElements");
}

void sts_get_session_token(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv_num("durationSeconds", 43200);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.obj("credentials");
  std::string key = "ASIA";
  append_random(key, c.rng, kUpperAlnum, 16);
  c.j.kv("accessKeyId", key);
  c.j.kv("expiration", "May 7, 2024, 10:15:00 AM");
  c.j.end_object();
  c.j.end_object();
}

void sts_get_federation_token(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("name", "partner-portal");
  c.j.kv_num("durationSeconds", 3600);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

// ---- kms ----

void kms_crypto(Ctx& c, bool with_spec) {
  const std::string key_arn = c.arn("kms", "key/" + c.pick(c.acct.kms_keys));
  c.j.obj("requestParameters");
  if (with_spec || c.rng.chance(600)) c.j.kv("keyId", key_arn);
  c.j.obj("encryptionContext");
  const std::uint64_t kind = c.rng.below(3);
  if (kind == 0) {
    c.j.kv("aws:s3:arn",
           "arn:aws:s3:::" + c.pick(c.acct.buckets) + "/" + std::string(c.pick(kObjectKeys)));
  } else if (kind == 1) {
    c.j.kv("aws:lambda:FunctionArn", c.arn("lambda", "function:" + c.pick(c.acct.functions)));
  } else {
    c.j.kv("SecretARN", c.arn("secretsmanager",
                              "secret:" + std::string(c.pick(kSecretNames)) + "-" + c.hex("", 6)));
    c.j.kv("SecretVersionId", c.uuid());
  }
  c.j.end_object();
  if (with_spec) {
    c.j.kv("keySpec", "AES_256");
  } else {
    c.j.kv("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
  }
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.add_resource("AWS::KMS::Key", key_arn);
}
void kms_decrypt(Ctx& c) {
  kms_crypto(c, false);
}
void kms_generate_data_key(Ctx& c) {
  kms_crypto(c, true);
}
void kms_encrypt(Ctx& c) {
  kms_crypto(c, true);
}

void kms_schedule_deletion(Ctx& c) {
  const std::string key_arn = c.arn("kms", "key/" + c.pick(c.acct.kms_keys));
  c.j.obj("requestParameters");
  c.j.kv("keyId", key_arn);
  c.j.kv_num("pendingWindowInDays", 7);
  c.j.end_object();
  if (!c.null_response_if_failed()) {
    c.j.obj("responseElements");
    c.j.kv("keyId", key_arn);
    c.j.kv("deletionDate", "May 13, 2024, 12:00:00 AM");
    c.j.kv("keyState", "PendingDeletion");
    c.j.kv_num("pendingWindowInDays", 7);
    c.j.end_object();
  }
  c.add_resource("AWS::KMS::Key", key_arn);
}

void kms_rotate(Ctx& c) {
  c.j.kv_null("requestParameters");
  c.j.kv_null("responseElements");
  c.add_resource("AWS::KMS::Key", c.arn("kms", "key/" + c.pick(c.acct.kms_keys)));
}

// ---- lambda ----

void lambda_list(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv_num("maxItems", 50);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void lambda_function(Ctx& c, bool create) {
  const std::string& fn = c.pick(c.acct.functions);
  const std::string fn_arn = c.arn("lambda", "function:" + fn);
  c.j.obj("requestParameters");
  c.j.kv("functionName", fn);
  if (create) {
    c.j.kv("runtime", c.rng.chance(500) ? "python3.12" : "nodejs20.x");
    c.j.kv("role", "arn:aws:iam::" + c.acct.id + ":role/" + fn + "-role");
    c.j.kv("handler", "index.handler");
    c.j.kv("code", "");  // code location is redacted by CloudTrail
    c.j.kv_num("timeout", 30);
    c.j.kv_num("memorySize", 256);
    c.j.kv_bool("publish", true);
  } else {
    c.j.kv("s3Bucket", c.acct.alias + "-artifacts");
    c.j.kv("s3Key", "lambda/" + fn + "/" + c.hex("", 12) + ".zip");
    c.j.kv_bool("dryRun", false);
  }
  c.j.end_object();
  if (!c.null_response_if_failed()) {
    c.j.obj("responseElements");
    c.j.kv("functionName", fn);
    c.j.kv("functionArn", fn_arn);
    c.j.kv("runtime", "python3.12");
    c.j.kv("handler", "index.handler");
    c.j.kv_num("codeSize", static_cast<std::int64_t>(c.rng.range(2000, 9'000'000)));
    c.j.kv_num("timeout", 30);
    c.j.kv_num("memorySize", 256);
    c.j.kv("lastModified", c.iso(c.time));
    std::string sha;
    append_random(sha, c.rng, kAlnum, 43);
    c.j.kv("codeSha256", sha + "=");
    c.j.kv("version", "$LATEST");
    c.j.obj("tracingConfig");
    c.j.kv("mode", "PassThrough");
    c.j.end_object();
    c.j.kv("state", "Active");
    c.j.kv("packageType", "Zip");
    c.j.arr("architectures");
    c.j.string("x86_64");
    c.j.end_array();
    c.j.obj("ephemeralStorage");
    c.j.kv_num("size", 512);
    c.j.end_object();
    c.j.end_object();
  }
  c.add_resource("AWS::Lambda::Function", fn_arn);
}
void lambda_create(Ctx& c) {
  lambda_function(c, true);
}
void lambda_update_code(Ctx& c) {
  lambda_function(c, false);
}

void lambda_add_permission(Ctx& c) {
  const std::string& fn = c.pick(c.acct.functions);
  c.j.obj("requestParameters");
  c.j.kv("functionName", fn);
  c.j.kv("statementId", "allow-invoke-" + c.hex("", 6));
  c.j.kv("action", "lambda:InvokeFunction");
  c.j.kv("principal", c.rng.chance(200) ? "*" : "s3.amazonaws.com");
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.kv("statement",
         "{\"Sid\":\"allow-invoke\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
         "\"s3.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"" +
             c.arn("lambda", "function:" + fn) + "\"}");
  c.j.end_object();
}

// ---- cloudtrail ----

std::string trail_arn(Ctx& c) {
  return c.arn("cloudtrail", "trail/org-audit-trail");
}

void ct_describe_trails(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.arr("trailNameList");
  c.j.end_array();
  c.j.kv_bool("includeShadowTrails", true);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void ct_lookup_events(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.key("startTime");
  c.j.string(c.iso(c.time - 86400));
  c.j.key("endTime");
  c.j.string(c.iso(c.time));
  c.j.arr("lookupAttributes");
  c.j.begin_object();
  c.j.kv("attributeKey", "EventName");
  c.j.kv("attributeValue", "ConsoleLogin");
  c.j.end_object();
  c.j.end_array();
  c.j.kv_num("maxResults", 50);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void ct_trail_name(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("name", trail_arn(c));
  c.j.end_object();
  c.j.kv_null("responseElements");
  c.add_resource("AWS::CloudTrail::Trail", trail_arn(c));
}

// ---- signin ----

void signin_console_login(Ctx& c) {
  c.j.kv_null("requestParameters");
  c.j.obj("responseElements");
  c.j.kv("ConsoleLogin", c.failed ? "Failure" : "Success");
  c.j.end_object();
  c.j.obj("additionalEventData");
  c.j.kv("LoginTo",
         "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true");
  c.j.kv("MobileVersion", "No");
  c.j.kv("MFAUsed", c.who.kind == PrincipalKind::kIamUser && c.rng.chance(400) ? "No" : "Yes");
  c.j.end_object();
}

// ---- logs ----

void logs_create_stream(Ctx& c) {
  const std::string& group = c.pick(c.acct.log_groups);
  const CivilTime t = civil_time(c.time);
  c.j.obj("requestParameters");
  c.j.kv("logGroupName", group);
  c.j.kv("logStreamName", std::to_string(t.year) + "/0" + std::to_string(t.month) + "/" +
                              std::to_string(t.day) + "/[$LATEST]" + c.hex("", 32));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void logs_describe_groups(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("logGroupNamePrefix", "/aws/");
  c.j.kv_num("limit", 50);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void logs_group(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("logGroupName", c.pick(c.acct.log_groups));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void logs_retention(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("logGroupName", c.pick(c.acct.log_groups));
  c.j.kv_num("retentionInDays", c.pick(std::array<std::int64_t, 4>{1, 7, 30, 365}));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

// ---- ssm ----

void ssm_get_parameter(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("name", c.pick(kParamNames));
  c.j.kv_bool("withDecryption", c.rng.chance(600));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void ssm_send_command(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.arr("instanceIds");
  c.j.string(c.pick(c.acct.instances));
  c.j.end_array();
  c.j.kv("documentName", "AWS-RunShellScript");
  c.j.kv("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS");
  c.j.kv_bool("interactive", false);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  c.j.obj("command");
  c.j.kv("commandId", c.uuid());
  c.j.kv("documentName", "AWS-RunShellScript");
  c.j.kv("status", "Pending");
  c.j.kv_num("targetCount", 1);
  c.j.end_object();
  c.j.end_object();
}

void ssm_start_session(Ctx& c) {
  const std::string& target = c.pick(c.acct.instances);
  c.j.obj("requestParameters");
  c.j.kv("target", target);
  c.j.end_object();
  if (c.null_response_if_failed()) return;
  c.j.obj("responseElements");
  const std::string sid =
      std::string(c.session.empty() ? c.who.name : c.session) + "-" + c.hex("", 17);
  c.j.kv("sessionId", sid);
  c.j.kv("tokenValue", "Value hidden due to security reasons.");
  c.j.kv("streamUrl", "wss://ssmmessages." + std::string(c.region) +
                          ".amazonaws.com/v1/data-channel/" + sid + "?role=publish_subscribe");
  c.j.end_object();
}

void ssm_update_instance_info(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("instanceId", c.session.empty() ? std::string_view(c.acct.instances[0]) : c.session);
  c.j.kv("agentVersion", "3.3.131.0");
  c.j.kv("agentStatus", "Active");
  c.j.kv("platformType", "Linux");
  c.j.kv("platformName", "Amazon Linux");
  c.j.kv("platformVersion", "2023");
  c.j.kv("iPAddress",
         "10.0." + std::to_string(c.rng.below(256)) + "." + std::to_string(c.rng.below(256)));
  c.j.kv("computerName", "ip-10-0-1-17.ec2.internal");
  c.j.kv("agentName", "amazon-ssm-agent");
  c.j.kv("availabilityZone", std::string(c.region) + "b");
  c.j.kv("availabilityZoneId", "use1-az4");
  c.j.end_object();
  c.j.kv_null("responseElements");
}

// ---- rds, secretsmanager, guardduty, organizations ----

void rds_describe(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv_num("maxRecords", 100);
  c.j.kv_bool("includeShared", false);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void rds_modify(Ctx& c) {
  const std::string& db = c.pick(c.acct.db_instances);
  c.j.obj("requestParameters");
  c.j.kv("dBInstanceIdentifier", db);
  c.j.kv_bool("applyImmediately", true);
  c.j.kv("masterUserPassword", "****");
  c.j.kv_bool("publiclyAccessible", c.rng.chance(200));
  c.j.end_object();
  if (!c.null_response_if_failed()) {
    c.j.obj("responseElements");
    c.j.kv("dBInstanceIdentifier", db);
    c.j.kv("dBInstanceClass", "db.r6g.large");
    c.j.kv("engine", "postgres");
    c.j.kv("dBInstanceStatus", "available");
    c.j.kv_num("allocatedStorage", 200);
    c.j.kv("dBInstanceArn", c.arn("rds", "db:" + db));
    c.j.end_object();
  }
  c.add_resource("AWS::RDS::DBInstance", c.arn("rds", "db:" + db));
}

void rds_snapshot(Ctx& c) {
  const std::string& db = c.pick(c.acct.db_instances);
  c.j.obj("requestParameters");
  c.j.kv("dBSnapshotIdentifier", db + "-manual-" + c.hex("", 6));
  c.j.kv("dBInstanceIdentifier", db);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void secrets_get(Ctx& c) {
  const std::string_view name = c.pick(kSecretNames);
  c.j.obj("requestParameters");
  c.j.kv("secretId", c.arn("secretsmanager", "secret:" + std::string(name) + "-" + c.hex("", 6)));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void gd_list_detectors(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv_num("maxResults", 50);
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void gd_delete_detector(Ctx& c) {
  c.j.obj("requestParameters");
  c.j.kv("detectorId", c.hex("", 32));
  c.j.end_object();
  c.j.kv_null("responseElements");
}

void org_describe(Ctx& c) {
  c.j.kv_null("requestParameters");
  c.j.kv_null("responseElements");
}

constexpr std::string_view kEc2 = "ec2.amazonaws.com";
constexpr std::string_view kS3 = "s3.amazonaws.com";
constexpr std::string_view kIam = "iam.amazonaws.com";
constexpr std::string_view kSts = "sts.amazonaws.com";
constexpr std::string_view kKms = "kms.amazonaws.com";
constexpr std::string_view kLambda = "lambda.amazonaws.com";
constexpr std::string_view kCt = "cloudtrail.amazonaws.com";
constexpr std::string_view kLogs = "logs.amazonaws.com";
constexpr std::string_view kSsm = "ssm.amazonaws.com";
constexpr std::string_view kRds = "rds.amazonaws.com";

// Weights are in tenths; the mix is read-heavy like real trails (Describe*, Decrypt,
// AssumeRole), with destructive or security-relevant calls rare.
constexpr Api kApis[] = {
    {kEc2, "DescribeInstances", 500, kRead | kByService, ec2_describe_instances},
    {kEc2, "DescribeSecurityGroups", 200, kRead, ec2_simple_describe},
    {kEc2, "DescribeVolumes", 150, kRead, ec2_simple_describe},
    {kEc2, "DescribeNetworkInterfaces", 80, kRead | kByService, ec2_simple_describe},
    {kEc2, "RunInstances", 30, kByService, ec2_run_instances},
    {kEc2, "TerminateInstances", 20, 0, ec2_instance_state},
    {kEc2, "StopInstances", 15, 0, ec2_instance_state},
    {kEc2, "AuthorizeSecurityGroupIngress", 15, 0, ec2_authorize_ingress},
    {kEc2, "CreateSnapshot", 20, kByService, ec2_create_snapshot},
    {kEc2, "CreateTags", 50, kByService, ec2_create_tags},
    {kS3, "ListBuckets", 60, kRead, s3_list_buckets},
    {kS3, "GetBucketAcl", 120, kRead | kByService, s3_get_bucket_acl},
    {kS3, "GetBucketPolicy", 60, kRead | kByService, s3_get_bucket_policy},
    {kS3, "PutBucketPolicy", 6, 0, s3_put_bucket_policy},
    {kS3, "PutBucketPublicAccessBlock", 6, 0, s3_put_public_access_block},
    {kS3, "CreateBucket", 5, 0, s3_create_bucket},
    {kS3, "GetObject", 650, kRead | kData, s3_get_object},
    {kS3, "PutObject", 320, kData | kByService, s3_put_object},
    {kIam, "ListUsers", 40, kRead | kGlobal, iam_list},
    {kIam, "ListRoles", 40, kRead | kGlobal, iam_list},
    {kIam, "GetUser", 30, kRead | kGlobal, iam_get_user},
    {kIam, "CreateUser", 5, kGlobal, iam_create_user},
    {kIam, "CreateAccessKey", 5, kGlobal, iam_create_access_key},
    {kIam, "AttachUserPolicy", 5, kGlobal, iam_attach_user_policy},
    {kIam, "PutRolePolicy", 5, kGlobal, iam_put_role_policy},
    {kSts, "AssumeRole", 480, kByService, sts_assume_role},
    {kSts, "GetCallerIdentity", 120, kRead, sts_get_caller_identity},
    {kSts, "GetSessionToken", 15, 0, sts_get_session_token},
    {kSts, "GetFederationToken", 5, 0, sts_get_federation_token},
    {kKms, "Decrypt", 500, kRead | kByService, kms_decrypt},
    {kKms, "GenerateDataKey", 250, kRead | kByService, kms_generate_data_key},
    {kKms, "Encrypt", 50, kRead, kms_encrypt},
    {kKms, "ScheduleKeyDeletion", 2, 0, kms_schedule_deletion},
    {kKms, "RotateKey", 5, kServiceEvent, kms_rotate},
    {kLambda, "ListFunctions20150331", 40, kRead, lambda_list},
    {kLambda, "CreateFunction20150331", 5, 0, lambda_create},
    {kLambda, "UpdateFunctionCode20150331v2", 15, 0, lambda_update_code},
    {kLambda, "AddPermission20150331v2", 5, 0, lambda_add_permission},
    {kCt, "DescribeTrails", 30, kRead | kByService, ct_describe_trails},
    {kCt, "GetTrailStatus", 25, kRead | kByService, ct_trail_name},
    {kCt, "LookupEvents", 20, kRead, ct_lookup_events},
    // Stopping or deleting a trail is always a finding: benign background only restarts logging
    // and reads selectors (injected scenarios stop it).
    {kCt, "StartLogging", 1, 0, ct_trail_name},
    {kCt, "GetEventSelectors", 1, kRead, ct_trail_name},
    {"signin.amazonaws.com", "ConsoleLogin", 80, kSignIn, signin_console_login},
    {kLogs, "CreateLogStream", 110, kByService, logs_create_stream},
    {kLogs, "DescribeLogGroups", 40, kRead, logs_describe_groups},
    {kLogs, "DeleteLogGroup", 3, 0, logs_group},
    {kLogs, "PutRetentionPolicy", 8, 0, logs_retention},
    {kSsm, "GetParameter", 160, kRead, ssm_get_parameter},
    {kSsm, "SendCommand", 8, 0, ssm_send_command},
    {kSsm, "StartSession", 8, 0, ssm_start_session},
    {kSsm, "UpdateInstanceInformation", 220, 0, ssm_update_instance_info},
    {kRds, "DescribeDBInstances", 60, kRead | kByService, rds_describe},
    {kRds, "ModifyDBInstance", 3, 0, rds_modify},
    {kRds, "CreateDBSnapshot", 8, kByService, rds_snapshot},
    {"secretsmanager.amazonaws.com", "GetSecretValue", 80, kRead, secrets_get},
    {"guardduty.amazonaws.com", "ListDetectors", 15, kRead | kByService, gd_list_detectors},
    {"guardduty.amazonaws.com", "DeleteDetector", 1, 0, gd_delete_detector},
    {"organizations.amazonaws.com", "DescribeOrganization", 25, kRead | kGlobal, org_describe},
};

constexpr std::uint32_t total_weight() {
  std::uint32_t t = 0;
  for (const auto& a : kApis) t += a.weight;
  return t;
}
constexpr std::uint32_t kTotalWeight = total_weight();

const Api& pick_api(Rng& rng) {
  std::uint32_t r = static_cast<std::uint32_t>(rng.below(kTotalWeight));
  for (const auto& a : kApis) {
    if (r < a.weight) return a;
    r -= a.weight;
  }
  return kApis[0];
}

// Principal kinds for ordinary API calls, weights in percent. The benign background never uses
// root credentials: any root use is a finding (Policy:IAMUser/RootCredentialUsage), so root
// appears only in injected scenarios.
constexpr std::pair<PrincipalKind, std::uint32_t> kCallerMix[] = {
    {PrincipalKind::kInstanceRole, 30}, {PrincipalKind::kRole, 20},
    {PrincipalKind::kSsoRole, 14},      {PrincipalKind::kLambdaRole, 13},
    {PrincipalKind::kIamUser, 20},      {PrincipalKind::kFederated, 3}};

PrincipalKind pick_caller_kind(Rng& rng) {
  std::uint32_t r = static_cast<std::uint32_t>(rng.below(100));
  for (const auto& [kind, w] : kCallerMix) {
    if (r < w) return kind;
    r -= w;
  }
  return PrincipalKind::kRole;
}

constexpr std::string_view kCliAgents[] = {
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#debian.12 md/prompt#off md/command#",
    "aws-cli/2.13.4 Python/3.11.4 Darwin/23.4.0 exe/x86_64 prompt/off command/",
    "aws-cli/1.32.101 md/Botocore#1.34.101 ua/2.0 os/linux#5.15.0-1057-aws md/arch#x86_64 "
    "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.34.101 command/"};
constexpr std::string_view kSdkAgents[] = {
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 "
    "cfg/retry-mode#legacy Botocore/1.34.69 Resource",
    "aws-sdk-go-v2/1.25.2 ua/2.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 "
    "api/ec2#1.150.0 m/E,g exec-env/ECS_Fargate",
    "aws-sdk-java/2.25.16 Linux/5.10.214-202.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
    "17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_EC2 "
    "io/sync http/Apache cfg/retry-mode/legacy cfg/auth-source#imds",
    "aws-sdk-js/3.556.0 ua/2.0 os/linux#5.10.214-202.855.amzn2.x86_64 lang/js md/nodejs#20.12.2 "
    "api/s3#3.556.0 exec-env/AWS_Lambda_nodejs20.x m/E,N,e"};
constexpr std::string_view kTerraformAgent =
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/"
    "5.46.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 "
    "os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64";
constexpr std::string_view kBrowserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"};

constexpr std::string_view kEventVersions[] = {"1.08", "1.09", "1.09", "1.10", "1.10", "1.11"};

struct ErrorShape {
  std::string_view code;
  std::string_view message;  // empty: build an authorization message
};

void write_error(Ctx& c, const Api& api, std::string& scratch) {
  const bool ec2 = api.source == kEc2;
  if (api.flags & kSignIn) {
    c.j.kv("errorMessage", "Failed authentication");
    return;
  }
  const std::uint64_t kind = c.rng.below(10);
  if (kind < 7) {
    scratch.clear();
    scratch += "User: ";
    scratch += c.who.kind == PrincipalKind::kIamUser ? "arn:aws:iam::" : "arn:aws:sts::";
    scratch += c.acct.id;
    scratch += c.who.kind == PrincipalKind::kIamUser ? ":user/" : ":assumed-role/";
    scratch += c.who.name;
    if (!c.session.empty()) {
      scratch += '/';
      scratch += c.session;
    }
    scratch += " is not authorized to perform: ";
    scratch += api.source.substr(0, api.source.find('.'));
    scratch += ':';
    scratch += api.name;
    scratch += " because no identity-based policy allows the action";
    c.j.kv("errorCode", ec2 ? "Client.UnauthorizedOperation"
                        : (api.source == kS3 || api.source == kIam || api.source == kSts)
                            ? "AccessDenied"
                            : "AccessDeniedException");
    c.j.kv("errorMessage", scratch);
  } else if (kind < 9) {
    c.j.kv("errorCode", ec2 ? "Client.RequestLimitExceeded" : "ThrottlingException");
    c.j.kv("errorMessage", "Rate exceeded");
  } else {
    c.j.kv("errorCode", ec2 ? "Client.InvalidInstanceID.NotFound" : "ResourceNotFoundException");
    c.j.kv("errorMessage", "The requested resource does not exist");
  }
}

void write_session_context(Ctx& c, const Principal& issuer, std::string_view issuer_type,
                           std::string_view issuer_arn, bool mfa, bool instance) {
  c.j.obj("sessionContext");
  c.j.obj("sessionIssuer");
  if (!issuer_type.empty()) {
    c.j.kv("type", issuer_type);
    c.j.kv("principalId", issuer.id);
    c.j.kv("arn", issuer_arn);
    c.j.kv("accountId", c.acct.id);
    c.j.kv("userName", issuer.name);
  }
  c.j.end_object();
  c.j.obj("webIdFederationData");
  c.j.end_object();
  c.j.obj("attributes");
  c.j.key("creationDate");
  c.j.string(c.iso(c.time - static_cast<std::int64_t>(c.rng.range(30, 36000))));
  c.j.kv("mfaAuthenticated", mfa ? "true" : "false");
  c.j.end_object();
  if (instance) c.j.kv("ec2RoleDelivery", c.rng.chance(850) ? "2.0" : "1.0");
  c.j.end_object();
}

void write_identity(Ctx& c, bool temporary) {
  const Principal& p = c.who;
  std::string key = temporary ? "ASIA" : "AKIA";
  append_random(key, c.rng, kUpperAlnum, 16);
  c.j.obj("userIdentity");
  switch (p.kind) {
    case PrincipalKind::kService:
      c.j.kv("type", "AWSService");
      c.j.kv("invokedBy", p.name);
      break;
    case PrincipalKind::kRoot:
      c.j.kv("type", "Root");
      c.j.kv("principalId", c.acct.id);
      c.j.kv("arn", "arn:aws:iam::" + c.acct.id + ":root");
      c.j.kv("accountId", c.acct.id);
      c.j.kv("accessKeyId", key);
      c.j.kv("userName", c.acct.alias);
      write_session_context(c, p, "", "", true, false);
      break;
    case PrincipalKind::kIamUser:
      c.j.kv("type", "IAMUser");
      c.j.kv("principalId", p.id);
      c.j.kv("arn", "arn:aws:iam::" + c.acct.id + ":user/" + p.name);
      c.j.kv("accountId", c.acct.id);
      c.j.kv("accessKeyId", temporary ? key : p.access_key);
      c.j.kv("userName", p.name);
      if (temporary) write_session_context(c, p, "", "", c.rng.chance(700), false);
      break;
    case PrincipalKind::kFederated: {
      c.j.kv("type", "FederatedUser");
      c.j.kv("principalId", c.acct.id + ":" + std::string(c.session));
      c.j.kv("arn", "arn:aws:sts::" + c.acct.id + ":federated-user/" + std::string(c.session));
      c.j.kv("accountId", c.acct.id);
      c.j.kv("accessKeyId", key);
      write_session_context(c, p, "IAMUser", "arn:aws:iam::" + c.acct.id + ":user/" + p.name, false,
                            false);
      break;
    }
    default: {
      c.j.kv("type", "AssumedRole");
      c.j.kv("principalId", p.id + ":" + std::string(c.session));
      c.j.kv("arn", "arn:aws:sts::" + c.acct.id + ":assumed-role/" + p.name + "/" +
                        std::string(c.session));
      c.j.kv("accountId", c.acct.id);
      c.j.kv("accessKeyId", key);
      const bool sso = p.kind == PrincipalKind::kSsoRole;
      const std::string role_arn = "arn:aws:iam::" + c.acct.id +
                                   (sso ? ":role/aws-reserved/sso.amazonaws.com/" : ":role/") +
                                   p.name;
      write_session_context(c, p, "Role", role_arn, false, p.kind == PrincipalKind::kInstanceRole);
      break;
    }
  }
  c.j.end_object();
}

}  // namespace

std::string_view CloudTrailGenerator::append_record(std::string& out, std::size_t account,
                                                    std::string_view file_region,
                                                    std::int64_t delivery_time) {
  Rng& rng = rng_;
  const Account& acct = world_.accounts[account];

  // Global services only appear in the us-east-1 file; re-draw for other regions.
  const Api* api = &pick_api(rng);
  while ((api->flags & kGlobal) && file_region != "us-east-1") api = &pick_api(rng);

  // Choose who called.
  const Principal* who = nullptr;
  if (api->flags & kSignIn) {
    const std::uint64_t r = rng.below(100);
    const auto& pool = r < 45 ? acct.by_kind[static_cast<int>(PrincipalKind::kIamUser)]
                              : acct.by_kind[static_cast<int>(PrincipalKind::kSsoRole)];
    who = &acct.principals[rng.pick(pool)];
  } else if ((api->flags & (kByService | kServiceEvent)) &&
             ((api->flags & kServiceEvent) || rng.chance(250))) {
    const auto& pool = acct.by_kind[static_cast<int>(PrincipalKind::kService)];
    who = &acct.principals[rng.pick(pool)];
    if (api->flags & kServiceEvent) who = &acct.principals[pool.front()];
  } else {
    const auto& pool = acct.by_kind[static_cast<int>(pick_caller_kind(rng))];
    who = &acct.principals[rng.pick(pool)];
  }
  const std::string_view session =
      who->sessions.empty() ? std::string_view{} : std::string_view(rng.pick(who->sessions));

  const bool sign_in = api->flags & kSignIn;
  const bool by_service = who->kind == PrincipalKind::kService;
  const bool console_user = who->console && (sign_in || rng.chance(300));
  const bool hostile = rng.chance(15);
  const std::uint32_t fail_rate = sign_in ? 60 : (who->name == "mallory" ? 400 : 45);
  const bool failed = !(api->flags & kServiceEvent) && rng.chance(fail_rate);
  const bool global = api->flags & kGlobal;
  const std::string_view region = sign_in && rng.chance(300) ? "us-east-2" : file_region;
  const std::int64_t event_time = delivery_time - static_cast<std::int64_t>(rng.range(20, 900));

  JsonOut j(out);
  Ctx c{rng,  j,       world_,     acct,  global ? std::string_view("us-east-1") : region,
        *who, session, event_time, failed};
  const std::string_view version = rng.pick(kEventVersions);

  j.begin_object();
  j.kv("eventVersion", version);
  if (!(api->flags & kServiceEvent)) {
    write_identity(c, who->kind != PrincipalKind::kIamUser || console_user);
  } else {
    j.obj("userIdentity");
    j.kv("accountId", acct.id);
    j.kv("invokedBy", "kms.amazonaws.com");
    j.end_object();
  }
  j.key("eventTime");
  out += '"';
  append_iso_time(out, event_time);
  out += '"';
  j.kv("eventSource", api->source);
  j.kv("eventName", api->name);
  j.kv("awsRegion", c.region);

  // Where the call came from and with what client.
  std::string scratch;
  bool via_endpoint = false;
  if (api->flags & kServiceEvent) {
    j.kv("sourceIPAddress", "AWS Internal");
    j.kv("userAgent", "AWS Internal");
  } else if (by_service) {
    j.kv("sourceIPAddress", who->name);
    j.kv("userAgent", who->name);
  } else {
    const bool machine =
        who->kind == PrincipalKind::kInstanceRole || who->kind == PrincipalKind::kLambdaRole;
    if (hostile) {
      j.kv("sourceIPAddress", rng.pick(world_.hostile_ips));
    } else if (machine && rng.chance(80)) {
      via_endpoint = true;
      scratch = "10.0.";
      scratch += std::to_string(rng.below(256));
      scratch += '.';
      scratch += std::to_string(rng.below(256));
      j.kv("sourceIPAddress", scratch);
    } else {
      j.kv("sourceIPAddress", machine ? rng.pick(acct.nat_ips) : rng.pick(world_.office_ips));
    }
    if (sign_in) {
      j.kv("userAgent", rng.pick(kBrowserAgents));
    } else if (console_user) {
      j.kv("userAgent", rng.chance(500) ? "AWS Internal" : "console.amazonaws.com");
    } else if (api->name == "UpdateInstanceInformation") {
      j.kv("userAgent", "Amazon SSM Agent/3.3.131.0");
    } else if (who->kind == PrincipalKind::kRole && (session == "terraform-run")) {
      j.kv("userAgent", kTerraformAgent);
    } else if (machine || who->kind == PrincipalKind::kRole) {
      j.kv("userAgent", rng.pick(kSdkAgents));
    } else {
      scratch.assign(rng.pick(kCliAgents));
      scratch += api->source.substr(0, api->source.find('.'));
      scratch += '.';
      scratch += api->name;
      j.kv("userAgent", scratch);
    }
  }
  if (failed) write_error(c, *api, scratch);

  api->write(c);

  // requestID format differs by service: S3 uses 16 upper-case characters.
  if (api->source == kS3) {
    scratch.clear();
    append_random(scratch, rng, kUpperAlnum, 16);
    j.kv("requestID", scratch);
  } else if (!(api->flags & kServiceEvent)) {
    scratch.clear();
    append_uuid(scratch, rng);
    j.kv("requestID", scratch);
  }
  scratch.clear();
  append_uuid(scratch, rng);
  j.kv("eventID", scratch);
  if (!sign_in && !(api->flags & kServiceEvent)) j.kv_bool("readOnly", api->flags & kRead);
  if (c.nres > 0) {
    j.arr("resources");
    for (int i = 0; i < c.nres; ++i) {
      j.begin_object();
      if (c.res[i].with_account) j.kv("accountId", acct.id);
      j.kv("type", c.res[i].type);
      j.kv("ARN", c.res[i].arn);
      j.end_object();
    }
    j.end_array();
  }
  j.kv("eventType", sign_in                        ? "AwsConsoleSignIn"
                    : (api->flags & kServiceEvent) ? "AwsServiceEvent"
                                                   : "AwsApiCall");
  if (api->source == kLambda) j.kv("apiVersion", "2015-03-31");
  j.kv_bool("managementEvent", !(api->flags & kData));
  j.kv("recipientAccountId", acct.id);
  if (api->flags & kServiceEvent) {
    j.obj("serviceEventDetails");
    j.kv("keyId", rng.pick(acct.kms_keys));
    j.end_object();
  }
  if (api->name == "AssumeRole" && by_service) {
    scratch.clear();
    append_uuid(scratch, rng);
    j.kv("sharedEventID", scratch);
  }
  if (via_endpoint) {
    scratch = "vpce-0";
    append_random(scratch, rng, kHexLower, 16);
    j.kv("vpcEndpointId", scratch);
    j.kv("vpcEndpointAccountId", acct.id);
  }
  j.kv("eventCategory", (api->flags & kData) ? "Data" : "Management");
  // No tlsDetails when a service called on the user's behalf or the console proxied it.
  if (!by_service && !(api->flags & kServiceEvent) && !console_user) {
    j.obj("tlsDetails");
    const bool tls13 = rng.chance(650);
    j.kv("tlsVersion", tls13 ? "TLSv1.3" : "TLSv1.2");
    j.kv("cipherSuite", tls13 ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256");
    scratch.clear();
    if (api->source == kS3 && c.nres > 0) {
      const std::string& arn = c.res[c.nres - 1].arn;
      scratch.append(arn.substr(arn.rfind(':') + 1));
      scratch += ".s3.";
      scratch += c.region;
      scratch += ".amazonaws.com";
    } else {
      scratch.append(api->source.substr(0, api->source.find('.')));
      if (!global) {
        scratch += '.';
        scratch += c.region;
      }
      scratch += ".amazonaws.com";
    }
    j.kv("clientProvidedHostHeader", scratch);
    if (version == "1.11" && rng.chance(500)) j.kv("keyExchange", tls13 ? "x25519" : "secp256r1");
    j.end_object();
  }
  if (console_user && !sign_in) j.kv("sessionCredentialFromConsole", "true");
  j.end_object();
  return api->name;
}

}  // namespace sentinel::sim
