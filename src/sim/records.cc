#include "sim/records.h"


#include "sim/files.h"
#include "sim/json_out.h"
#include "sim/world.h"

namespace sentinel::sim {

namespace {

std::string iso(std::int64_t t) {
  std::string s;
  append_iso_time(s, t);
  return s;
}

void write_identity(JsonOut& j, const Caller& c, std::int64_t time) {
  j.obj("userIdentity");
  switch (c.type) {
    case Caller::Type::kIamUser:
      j.kv("type", "IAMUser");
      j.kv("principalId", c.principal_id);
      j.kv("arn", c.arn);
      j.kv("accountId", c.account);
      if (!c.access_key.empty()) j.kv("accessKeyId", c.access_key);
      j.kv("userName", c.user_name);
      if (!c.access_key.empty() && c.mfa) {
        j.obj("sessionContext");
        j.obj("attributes");
        j.kv("creationDate", iso(c.session_created));
        j.kv("mfaAuthenticated", "true");
        j.end_object();
        j.end_object();
      }
      break;
    case Caller::Type::kRoot:
      j.kv("type", "Root");
      j.kv("principalId", c.account);
      j.kv("arn", c.arn);
      j.kv("accountId", c.account);
      if (!c.access_key.empty()) j.kv("accessKeyId", c.access_key);
      if (c.assumed_root) {
        j.obj("sessionContext");
        j.obj("attributes");
        j.kv("creationDate", iso(time - 120));
        j.kv("mfaAuthenticated", "false");
        j.end_object();
        j.kv("assumedRoot", "true");
        j.end_object();
      }
      break;
    case Caller::Type::kAwsService:
      j.kv("type", "AWSService");
      j.kv("invokedBy", c.invoked_by);
      break;
    case Caller::Type::kAssumedRole:
      j.kv("type", "AssumedRole");
      j.kv("principalId", c.principal_id);
      j.kv("arn", c.arn);
      j.kv("accountId", c.account);
      j.kv("accessKeyId", c.access_key);
      j.obj("sessionContext");
      j.obj("sessionIssuer");
      j.kv("type", "Role");
      j.kv("principalId", c.role_id);
      j.kv("arn", c.role_arn);
      j.kv("accountId", c.account);
      j.kv("userName", c.role_name);
      j.end_object();
      j.obj("attributes");
      j.kv("creationDate", iso(c.session_created ? c.session_created : time - 900));
      j.kv("mfaAuthenticated", c.mfa ? "true" : "false");
      j.end_object();
      if (c.ec2_delivery) j.kv("ec2RoleDelivery", "2.0");
      j.end_object();
      if (!c.invoked_by.empty()) j.kv("invokedBy", c.invoked_by);
      break;
  }
  j.end_object();
}

}  // namespace

Caller user_caller(const SimAccount& a, const SimUser& u, bool with_key) {
  Caller c;
  c.type = Caller::Type::kIamUser;
  c.account = a.id;
  c.principal_id = u.id;
  c.arn = "arn:aws:iam::" + a.id + ":user/" + u.name;
  if (with_key) c.access_key = u.access_key;
  c.user_name = u.name;
  return c;
}

Caller role_caller(const SimAccount& a, const SimRole& r, std::string_view session,
                   std::int64_t created, bool ec2) {
  Caller c;
  c.type = Caller::Type::kAssumedRole;
  c.account = a.id;
  c.principal_id = r.id + ":" + std::string(session);
  c.arn = "arn:aws:sts::" + a.id + ":assumed-role/" + r.name + "/" + std::string(session);
  // Temporary keys: stable per (role, session) so repeated calls look like one session.
  c.access_key = "ASIA";
  std::uint64_t h = 1469598103934665603ULL;
  for (char ch : c.principal_id) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  Rng krng(h);
  append_random(c.access_key, krng, kUpperAlnum, 16);
  c.role_name = r.name;
  c.role_id = r.id;
  c.role_arn = r.arn;
  c.session_created = created;
  c.ec2_delivery = ec2;
  return c;
}

Caller root_caller(const SimAccount& a) {
  Caller c;
  c.type = Caller::Type::kRoot;
  c.account = a.id;
  c.arn = "arn:aws:iam::" + a.id + ":root";
  return c;
}

Caller service_caller(const SimAccount& a, std::string_view service) {
  Caller c;
  c.type = Caller::Type::kAwsService;
  c.account = a.id;
  c.invoked_by = std::string(service);
  return c;
}

void write_call(std::string& out, Rng& rng, std::string_view recipient, const Caller& who,
                const Call& call) {
  JsonOut j(out);
  j.begin_object();
  j.kv("eventVersion", call.data ? "1.10" : "1.09");
  write_identity(j, who, call.time);
  j.kv("eventTime", iso(call.time));
  j.kv("eventSource", call.source);
  j.kv("eventName", call.name);
  j.kv("awsRegion", call.region);
  j.kv("sourceIPAddress", call.ip);
  j.kv("userAgent", call.user_agent);
  if (!call.error_code.empty()) {
    j.kv("errorCode", call.error_code);
    j.kv("errorMessage", call.error_message);
  }
  j.kv_raw("requestParameters", call.request);
  j.kv_raw("responseElements", call.response);
  if (!call.additional.empty()) j.kv_raw("additionalEventData", call.additional);
  std::string id;
  append_random(id, rng, kUpperAlnum, 16);
  j.kv("requestID", id);
  id.clear();
  append_uuid(id, rng);
  j.kv("eventID", id);
  j.kv_bool("readOnly", call.read_only);
  if (!call.resources.empty()) j.kv_raw("resources", call.resources);
  j.kv("eventType", call.event_type);
  j.kv_bool("managementEvent", !call.data);
  j.kv("recipientAccountId", recipient);
  if (!call.vpce_id.empty()) {
    j.kv("vpcEndpointId", call.vpce_id);
    j.kv("vpcEndpointAccountId", call.vpce_account);
  }
  if (who.type == Caller::Type::kAwsService) j.kv("sharedEventID", id);
  j.kv("eventCategory", call.data ? "Data" : "Management");
  if (call.event_type == "AwsApiCall" && who.type != Caller::Type::kAwsService) {
    j.obj("tlsDetails");
    j.kv("tlsVersion", "TLSv1.3");
    j.kv("cipherSuite", "TLS_AES_128_GCM_SHA256");
    std::string host(call.source);
    if (call.source != "iam.amazonaws.com" && call.source != "sts.amazonaws.com" &&
        call.source != "signin.amazonaws.com") {
      const auto dot = host.find('.');
      host = host.substr(0, dot) + "." + std::string(call.region) + ".amazonaws.com";
    }
    j.kv("clientProvidedHostHeader", host);
    j.end_object();
  }
  j.end_object();
}

void write_flow(std::string& out, const SimAccount& a, const Flow& f) {
  const SimHost& h = *f.host;
  out += "5 ";
  out += a.id;
  out += ' ';
  out += h.eni;
  out += ' ';
  append_ipv4(out, f.src);
  out += ' ';
  append_ipv4(out, f.dst);
  out += ' ';
  if (f.proto == 1) {
    out += "0 0 ";
  } else {
    put_num(out, f.sport);
    out += ' ';
    put_num(out, f.dport);
    out += ' ';
  }
  put_num(out, f.proto);
  out += ' ';
  put_num(out, f.packets);
  out += ' ';
  put_num(out, f.bytes);
  out += ' ';
  put_num(out, static_cast<std::uint64_t>(f.start));
  out += ' ';
  put_num(out, static_cast<std::uint64_t>(f.end));
  out += f.accept ? " ACCEPT OK " : " REJECT OK ";
  out += a.vpcs[h.vpc];
  out += ' ';
  out += a.subnets[h.vpc][static_cast<std::size_t>(h.subnet)];
  out += ' ';
  out += h.instance_id;
  out += ' ';
  if (f.proto == 6) {
    put_num(out, static_cast<std::uint64_t>(f.tcp_flags));
  } else {
    out += '0';
  }
  out += " IPv4 ";
  append_ipv4(out, f.src);
  out += ' ';
  append_ipv4(out, f.dst);
  out += ' ';
  out += a.region;
  out += a.region == "eu-west-1" ? " euw1-az" : " use1-az";
  put_num(out, static_cast<std::uint64_t>(h.subnet % 3 + 1));
  if (f.egress) {
    // Egress inside the VPC is path 1; to the internet through the gateway, 8 (Nitro).
    const bool inside = (f.dst >> 24) == 10;
    out += inside ? " egress 1\n" : " egress 8\n";
  } else {
    out += " ingress -\n";
  }
}

void write_nodata(std::string& out, const SimAccount& a, const SimHost& h, std::int64_t start,
                  std::int64_t end) {
  out += "5 ";
  out += a.id;
  out += ' ';
  out += h.eni;
  out += " - - - - - - - ";
  put_num(out, static_cast<std::uint64_t>(start));
  out += ' ';
  put_num(out, static_cast<std::uint64_t>(end));
  out += " - NODATA ";
  out += a.vpcs[h.vpc];
  out += ' ';
  out += a.subnets[h.vpc][static_cast<std::size_t>(h.subnet)];
  out += ' ';
  out += h.instance_id;
  out += " - - - - ";
  out += a.region;
  out += a.region == "eu-west-1" ? " euw1-az" : " use1-az";
  put_num(out, static_cast<std::uint64_t>(h.subnet % 3 + 1));
  out += " - -\n";
}

void write_query(std::string& out, Rng& rng, const SimAccount& a, const Query& q) {
  const SimHost& h = *q.host;
  JsonOut j(out);
  j.begin_object();
  j.kv("version", "1.100000");
  j.kv("account_id", a.id);
  j.kv("region", a.region);
  j.kv("vpc_id", a.vpcs[h.vpc]);
  j.kv("query_timestamp", iso(q.time));
  j.kv("query_name", q.name);
  j.kv("query_type", q.type);
  j.kv("query_class", "IN");
  j.kv("rcode", q.rcode);
  j.kv_raw("answers", q.answers.empty() ? std::string_view("[]") : std::string_view(q.answers));
  std::string ip;
  append_ipv4(ip, h.ip);
  j.kv("srcaddr", ip);
  j.kv("srcport", std::to_string(rng.range(32768, 60999)));
  j.kv("transport", "UDP");
  j.obj("srcids");
  j.kv("instance", h.instance_id);
  j.end_object();
  j.end_object();
  out += '\n';
}

std::string a_answers(std::initializer_list<std::uint32_t> ips) {
  std::string s = "[";
  for (std::uint32_t ip : ips) {
    if (s.size() > 1) s += ',';
    s += "{\"Rdata\":\"";
    append_ipv4(s, ip);
    s += "\",\"Type\":\"A\",\"Class\":\"IN\"}";
  }
  s += ']';
  return s;
}

namespace {

// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as GuardDuty writes its times.
std::string iso_ms(std::int64_t t, std::uint64_t ms) {
  std::string s = iso(t);
  s.pop_back();
  s += '.';
  s += static_cast<char>('0' + ms / 100 % 10);
  s += static_cast<char>('0' + ms / 10 % 10);
  s += static_cast<char>('0' + ms % 10);
  s += 'Z';
  return s;
}

}  // namespace

void write_gd_finding(std::string& out, Rng& rng, const SimAccount& a, const GdFinding& f) {
  // One detector per account and region, fixed by the account id.
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : a.id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  Rng drng(h);
  std::string detector, id;
  append_random(detector, drng, kHexLower, 32);
  append_random(id, rng, kHexLower, 32);
  const std::string created = iso_ms(f.created, rng.below(1000));
  JsonOut j(out);
  j.begin_object();
  j.kv("schemaVersion", "2.0");
  j.kv("accountId", a.id);
  j.kv("region", a.region);
  j.kv("partition", "aws");
  j.kv("id", id);
  j.kv("arn",
       "arn:aws:guardduty:" + a.region + ":" + a.id + ":detector/" + detector + "/finding/" + id);
  j.kv("type", f.type);
  j.kv_raw("resource", f.resource);
  out += ",\"service\":{";
  out += f.service_fields;
  out += "\"serviceName\":\"guardduty\",\"detectorId\":\"" + detector + "\"";
  out += ",\"resourceRole\":\"" + std::string(f.resource_role) + "\"";
  out += ",\"additionalInfo\":{\"value\":\"{}\",\"type\":\"default\"}";
  const std::uint64_t first_ms = rng.below(1000);
  const std::uint64_t last_ms =
      f.last == f.first ? first_ms + rng.below(1000 - first_ms) : rng.below(1000);
  out += ",\"eventFirstSeen\":\"" + iso_ms(f.first, first_ms) + "\"";
  out += ",\"eventLastSeen\":\"" + iso_ms(f.last, last_ms) + "\"";
  out += ",\"archived\":false,\"count\":";
  put_num(out, static_cast<std::uint64_t>(f.count));
  out += ",\"featureName\":\"" + std::string(f.feature) + "\"}";
  j.kv_raw("severity", f.severity);
  j.kv("createdAt", created);
  j.kv("updatedAt", created);
  j.kv("title", f.title);
  j.kv("description", f.description);
  j.end_object();
  out += '\n';
}

}  // namespace sentinel::sim
