// The flow and DNS-part functions rules call: ratio, per_second, is_service_port,
// flow_to_service, dns_base_domain, dns_subdomain_length; over parsed flow records and Route 53
// JSON, through the registry as rules reach them.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "detect/event_view.h"
#include "detect/functions/dns.h"
#include "detect/functions/dns_parts.h"
#include "detect/functions/flow.h"
#include "detect/functions/registry.h"
#include "ingest/parsers/route53/route53.h"

namespace sentinel::detect {
namespace {

using functions::dns_base_domain;
using functions::dns_subdomain_length;
using functions::dst_is_service;
using functions::service_port;

class JsonEvent {
 public:
  explicit JsonEvent(const std::string& json) : storage_(json + std::string(64, ' ')) {
    q_.meta.type = ingest::LogType::kRoute53;
    q_.raw = std::string_view(storage_).substr(0, json.size());
    view_ = std::make_unique<EventView>(q_, scratch_.get());
  }
  const EventView& view() const { return *view_; }

 private:
  std::string storage_;
  ingest::DnsQuery q_;
  EventView::ScratchPtr scratch_ = EventView::make_scratch();
  std::unique_ptr<EventView> view_;
};

bool call(const char* fn, const EventView& ev, std::vector<const char*> names, Value* out,
          std::string* buf) {
  const Function* f = FunctionRegistry::builtin().find(fn);
  EXPECT_NE(f, nullptr) << fn;
  if (f == nullptr) return false;
  std::vector<FieldRef> args;
  for (const char* n : names) {
    FieldRef r;
    std::string error;
    EXPECT_TRUE(FieldRef::parse(n, &r, &error)) << error;
    args.push_back(std::move(r));
  }
  return f->call(ev, args, out, buf);
}

TEST(FlowFunctions, ServicePorts) {
  for (int p :
       {0, 22, 25, 53, 80, 443, 853, 1023, 3306, 3389, 5432, 5985, 5986, 6379, 9200, 27017}) {
    EXPECT_TRUE(service_port(p)) << p;
  }
  for (int p : {1024, 1025, 4444, 32768, 40001, 49152, 60999, 65535, -1, 65536}) {
    EXPECT_FALSE(service_port(p)) << p;
  }
}

TEST(FlowFunctions, WhichSideIsTheService) {
  EXPECT_TRUE(dst_is_service(40001, 443));   // client to HTTPS
  EXPECT_FALSE(dst_is_service(443, 40001));  // the server's answer
  EXPECT_TRUE(dst_is_service(40001, 22));
  EXPECT_FALSE(dst_is_service(3306, 51234));
  // Neither side is a known service: the lower port is.
  EXPECT_TRUE(dst_is_service(51000, 4444));
  EXPECT_FALSE(dst_is_service(4444, 51000));
  // Both are (25 to 587 relaying): the lower one.
  EXPECT_TRUE(dst_is_service(587, 25));
  EXPECT_TRUE(dst_is_service(123, 123));  // NTP: equal ports read as a request
}

TEST(FlowFunctions, OverEvents) {
  JsonEvent ev(R"({"bytes":6000,"packets":100,"start":1705285800,"end":1705285860,)"
               R"("same":1705285800,"zero":0,"sport":"40001","dport":443,"text":"x",)"
               R"("big":70000})");
  Value out;
  std::string buf;
  ASSERT_TRUE(call("ratio", ev.view(), {"bytes", "packets"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 60);
  EXPECT_FALSE(call("ratio", ev.view(), {"bytes", "zero"}, &out, &buf));  // no division by 0
  EXPECT_FALSE(call("ratio", ev.view(), {"bytes", "text"}, &out, &buf));
  ASSERT_TRUE(call("per_second", ev.view(), {"packets", "start", "end"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 100.0 / 60);
  // A record whose start and end are the same second counts over one second.
  ASSERT_TRUE(call("per_second", ev.view(), {"packets", "start", "same"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 100);
  ASSERT_TRUE(call("is_service_port", ev.view(), {"dport"}, &out, &buf));
  EXPECT_EQ(out.kind, Value::Kind::kBool);
  EXPECT_TRUE(out.boolean);
  ASSERT_TRUE(call("is_service_port", ev.view(), {"sport"}, &out, &buf));  // text "40001"
  EXPECT_FALSE(out.boolean);
  EXPECT_FALSE(call("is_service_port", ev.view(), {"big"}, &out, &buf));  // not a port
  ASSERT_TRUE(call("flow_to_service", ev.view(), {"sport", "dport"}, &out, &buf));
  EXPECT_TRUE(out.boolean);
  ASSERT_TRUE(call("flow_to_service", ev.view(), {"dport", "sport"}, &out, &buf));
  EXPECT_FALSE(out.boolean);
  EXPECT_FALSE(call("flow_to_service", ev.view(), {"sport", "missing"}, &out, &buf));
}

TEST(DnsParts, BaseDomain) {
  std::string buf;
  EXPECT_EQ(dns_base_domain("x.evil.com", &buf), "evil.com");
  EXPECT_EQ(dns_base_domain("A.B.Example.CO.UK.", &buf), "example.co.uk");
  EXPECT_EQ(dns_base_domain("www.example.com.au.", &buf), "example.com.au");
  EXPECT_EQ(dns_base_domain("example.com.", &buf), "example.com");
  EXPECT_EQ(dns_base_domain("localhost", &buf), "localhost");
  EXPECT_EQ(dns_base_domain("", &buf), "");
  // A two-letter TLD with an ordinary second-level label keeps two labels.
  EXPECT_EQ(dns_base_domain("a.b.example.de.", &buf), "example.de");
  // "co.uk" itself (no registered name in front) is its own base.
  EXPECT_EQ(dns_base_domain("co.uk", &buf), "co.uk");
  // Not a co.uk-like suffix under a long TLD.
  EXPECT_EQ(dns_base_domain("x.com.evil.net", &buf), "evil.net");
}

TEST(DnsParts, SubdomainLength) {
  EXPECT_EQ(dns_subdomain_length("evil.com."), 0);
  EXPECT_EQ(dns_subdomain_length("www.evil.com."), 3);
  EXPECT_EQ(dns_subdomain_length("aGVsbG8.d29ybGQ.t.evil.com."), 17);
  EXPECT_EQ(dns_subdomain_length("a.b.example.co.uk"), 3);
  EXPECT_EQ(dns_subdomain_length(""), 0);
}

TEST(DnsParts, OverEvents) {
  JsonEvent ev(R"({"query_name":"MZXW6YTBOI.MZXW6YTBOI.tunnel.Example.org.","n":5})");
  Value out;
  std::string buf;
  ASSERT_TRUE(call("dns_base_domain", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_EQ(out.kind, Value::Kind::kString);
  EXPECT_EQ(out.str, "example.org");
  ASSERT_TRUE(call("dns_subdomain_length", ev.view(), {"query_name"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, 28);
  EXPECT_FALSE(call("dns_base_domain", ev.view(), {"missing"}, &out, &buf));
}

}  // namespace
}  // namespace sentinel::detect

namespace sentinel::detect {
namespace {

TEST(DnsParts, BaseLabel) {
  std::string buf;
  EXPECT_EQ(functions::dns_base_label("www.Example.co.uk.", &buf), "example");
  EXPECT_EQ(functions::dns_base_label("a.x7kq9z2v.com", &buf), "x7kq9z2v");
  // Random labels below a well-known base are not the registered label.
  EXPECT_EQ(functions::dns_base_label("d1000k2xmf9q8pzr.cloudfront.net.", &buf), "cloudfront");
  EXPECT_EQ(functions::dns_base_label("db.c9do4hd56ui7.us-east-1.rds.amazonaws.com.", &buf),
            "amazonaws");
  EXPECT_EQ(functions::dns_base_label("localhost", &buf), "localhost");
  EXPECT_EQ(functions::dns_base_label("", &buf), "");
}

TEST(DnsParts, BaseLabelEntropyOverEvents) {
  JsonEvent generated(R"({"q":"ww.QX7VK2M9ZT4WPL8C.info."})");
  JsonEvent cdn(R"({"q":"d1000k2xmf9q8pzr.cloudfront.net."})");
  Value out;
  std::string buf;
  ASSERT_TRUE(call("dns_base_label", generated.view(), {"q"}, &out, &buf));
  EXPECT_EQ(out.str, "qx7vk2m9zt4wpl8c");
  ASSERT_TRUE(call("dns_base_label_entropy", generated.view(), {"q"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, functions::shannon_entropy("qx7vk2m9zt4wpl8c"));
  EXPECT_GT(out.number, 3.5);
  ASSERT_TRUE(call("dns_base_label_entropy", cdn.view(), {"q"}, &out, &buf));
  EXPECT_DOUBLE_EQ(out.number, functions::shannon_entropy("cloudfront"));
  EXPECT_LT(out.number, 3.5);
}

}  // namespace
}  // namespace sentinel::detect
