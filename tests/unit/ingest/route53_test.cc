#include "ingest/parsers/route53/route53.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/time.h"
#include "ingest/event_json.h"
#include "parser_capture.h"

namespace sentinel::ingest {
namespace {

using parser_test::parse_json;
using parser_test::RejectCopy;
using CaptureSink = parser_test::CaptureSink<DnsQuery>;

// Parses `text` as one file, with the padding parsers may read.
void run(std::string_view text, CaptureSink& sink, std::string_view account = {},
         std::string_view region = {}) {
  parser_test::parse_text<Route53Parser>(text, sink, "test.log", account, region);
}

constexpr std::string_view kFull =
    R"({"version":"1.100000","account_id":"111122223333","region":"us-east-1",)"
    R"("vpc_id":"vpc-7example","query_timestamp":"2021-02-04T17:51:55Z",)"
    R"("query_name":"15.3.4.32.in-addr.arpa.","query_type":"PTR","query_class":"IN",)"
    R"("rcode":"NOERROR","answers":[{"Rdata":"ip-10-0-0-1.ec2.internal.","Type":"PTR",)"
    R"("Class":"IN"},{"Rdata":"203.0.113.9","Type":"A","Class":"IN"}],)"
    R"("srcaddr":"4.5.64.102","srcport":"56067","transport":"UDP",)"
    R"("srcids":{"instance":"i-0d15cd0d3example","resolver_endpoint":"rslvr-in-abc",)"
    R"("resolver_network_interface":"rni-0123"},)"
    R"("firewall_rule_group_id":"rslvr-frg-01234567890abcdef","firewall_rule_action":"BLOCK",)"
    R"("firewall_domain_list_id":"rslvr-fdl-01234567890abcdef","future_field":{"x":[1,2.5,null,true]}})";

TEST(Route53, EveryField) {
  CaptureSink sink;
  int calls = 0;
  sink.check = [&](const DnsQuery& q) {
    ++calls;
    EXPECT_EQ(q.meta.type, LogType::kRoute53);
    int64_t t = 0;
    ASSERT_TRUE(parse_iso8601_ms("2021-02-04T17:51:55Z", &t));
    EXPECT_EQ(q.meta.time_ms, t);
    EXPECT_EQ(q.meta.account, "111122223333");
    EXPECT_EQ(q.meta.region, "us-east-1");
    EXPECT_EQ(q.meta.ref.path, "test.log");
    EXPECT_EQ(q.meta.ref.record, 0);
    EXPECT_EQ(q.meta.ref.line, 1u);
    EXPECT_EQ(q.version, "1.100000");
    EXPECT_DOUBLE_EQ(q.version_value, 1.1);
    EXPECT_EQ(q.account_id, "111122223333");
    EXPECT_EQ(q.region, "us-east-1");
    EXPECT_EQ(q.vpc_id, "vpc-7example");
    EXPECT_EQ(q.query_timestamp, "2021-02-04T17:51:55Z");
    EXPECT_EQ(q.query_name, "15.3.4.32.in-addr.arpa.");
    EXPECT_EQ(q.query_name_without_dot(), "15.3.4.32.in-addr.arpa");
    EXPECT_EQ(q.query_type, "PTR");
    EXPECT_EQ(q.query_class, "IN");
    EXPECT_EQ(q.rcode, "NOERROR");
    ASSERT_EQ(q.answer_count, 2u);
    ASSERT_EQ(q.answers().size(), 2u);
    EXPECT_EQ(q.answers_not_stored(), 0u);
    EXPECT_EQ(q.answers()[0].rdata, "ip-10-0-0-1.ec2.internal.");
    EXPECT_EQ(q.answers()[0].type, "PTR");
    EXPECT_EQ(q.answers()[0].klass, "IN");
    EXPECT_EQ(q.answers()[1].rdata, "203.0.113.9");
    EXPECT_EQ(q.answers()[1].type, "A");
    EXPECT_EQ(q.answers_raw.front(), '[');
    EXPECT_EQ(q.answers_raw.back(), ']');
    EXPECT_NE(q.answers_raw.find("203.0.113.9"), std::string_view::npos);
    EXPECT_TRUE(q.has_srcaddr);
    EXPECT_TRUE(q.srcaddr.v4);
    EXPECT_EQ(q.srcaddr.to_string(), "4.5.64.102");
    EXPECT_EQ(q.srcaddr_raw, "4.5.64.102");
    EXPECT_EQ(q.srcport, 56067);
    EXPECT_EQ(q.srcport_raw, "56067");
    EXPECT_EQ(q.transport, "UDP");
    EXPECT_EQ(q.srcids.instance, "i-0d15cd0d3example");
    EXPECT_EQ(q.srcids.resolver_endpoint, "rslvr-in-abc");
    EXPECT_EQ(q.srcids.resolver_network_interface, "rni-0123");
    EXPECT_EQ(q.firewall_rule_group_id, "rslvr-frg-01234567890abcdef");
    EXPECT_EQ(q.firewall_rule_action, "BLOCK");
    EXPECT_EQ(q.firewall_domain_list_id, "rslvr-fdl-01234567890abcdef");
    EXPECT_EQ(q.raw, kFull);
  };
  run(std::string(kFull) + "\n", sink);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sink.rejects.empty());
  ASSERT_EQ(sink.json.size(), 1u);

  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_EQ(std::string_view(e["log_type"]), "route53");
  EXPECT_EQ(std::string_view(e["time"]), "2021-02-04T17:51:55Z");
  EXPECT_EQ(std::string_view(e["query_name"]), "15.3.4.32.in-addr.arpa.");
  EXPECT_EQ(int64_t(e["srcport"]), 56067);
  EXPECT_EQ(std::string_view(e["srcaddr"]), "4.5.64.102");
  EXPECT_EQ(std::string_view(e["answers"].at(1)["rdata"]), "203.0.113.9");
  EXPECT_EQ(std::string_view(e["answers"].at(1)["class"]), "IN");
  EXPECT_EQ(std::string_view(e["srcids"]["resolver_endpoint"]), "rslvr-in-abc");
  EXPECT_EQ(std::string_view(e["firewall_rule_action"]), "BLOCK");
  // Unknown fields are kept in the raw record.
  EXPECT_EQ(double(e["record"]["future_field"]["x"].at(1)), 2.5);
  EXPECT_NE(sink.json[0].find(kFull), std::string::npos);

  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0],
            "2021-02-04T17:51:55Z 4.5.64.102:56067 PTR 15.3.4.32.in-addr.arpa. NOERROR 2 answers: "
            "ip-10-0-0-1.ec2.internal. (+1) firewall BLOCK");
}

TEST(Route53, NxdomainWithNoAnswersAndEmptySrcids) {
  CaptureSink sink;
  sink.check = [](const DnsQuery& q) {
    EXPECT_EQ(q.rcode, "NXDOMAIN");
    EXPECT_EQ(q.answer_count, 0u);
    EXPECT_TRUE(q.answers().empty());
    EXPECT_EQ(q.answers_raw, "[]");
    EXPECT_TRUE(q.srcids.instance.empty());
    EXPECT_TRUE(q.firewall_rule_action.empty());
  };
  run(R"({"version":"1.100000","account_id":"626345947581","region":"us-east-1",)"
      R"("vpc_id":"vpc-01e31a7c","query_timestamp":"2021-12-11T22:46:23Z",)"
      R"("query_name":"does-not-exist.abc.com.","query_type":"A","query_class":"IN",)"
      R"("rcode":"NXDOMAIN","answers":[],"srcaddr":"172.31.86.159","srcport":"48701",)"
      R"("transport":"UDP","srcids":{}})",
      sink);
  ASSERT_EQ(sink.json.size(), 1u);
  EXPECT_NE(sink.json[0].find(R"("answers":[])"), std::string::npos);
  // An empty srcids is omitted from the typed fields (it stays in `record`).
  EXPECT_GT(sink.json[0].find("\"srcids\":{"), sink.json[0].find("\"record\":"));
  EXPECT_EQ(
      sink.rows[0],
      "2021-12-11T22:46:23Z 172.31.86.159:48701 A does-not-exist.abc.com. NXDOMAIN 0 answers");
}

TEST(Route53, Ipv6SourceAddress) {
  CaptureSink sink;
  sink.check = [](const DnsQuery& q) {
    EXPECT_TRUE(q.has_srcaddr);
    EXPECT_FALSE(q.srcaddr.v4);
    EXPECT_EQ(q.srcaddr_raw, "2001:DB8:0:0::1");
  };
  run(R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.example.","query_type":"AAAA",)"
      R"("srcaddr":"2001:DB8:0:0::1","srcport":"5353"})",
      sink);
  ASSERT_EQ(sink.json.size(), 1u);
  EXPECT_NE(sink.json[0].find(R"("srcaddr":"2001:db8::1")"), std::string::npos);
  EXPECT_NE(sink.rows[0].find("[2001:db8::1]:5353"), std::string::npos);
}

TEST(Route53, SrcportIsAStringAndIsChecked) {
  CaptureSink sink;
  std::vector<int32_t> ports;
  sink.check = [&](const DnsQuery& q) { ports.push_back(q.srcport); };
  run(R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":"0"}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":"65535"}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":53}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":""}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a."}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":"65536"}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":"-1"}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":"80a"}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":1.5}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","srcport":true}
)",
      sink);
  EXPECT_EQ(ports, (std::vector<int32_t>{0, 65535, 53, -1, -1}));
  ASSERT_EQ(sink.rejects.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(sink.rejects[i].reason, RejectReason::kBadPort) << i;
    EXPECT_NE(sink.rejects[i].detail.find("srcport"), std::string::npos);
    EXPECT_EQ(sink.rejects[i].line, static_cast<uint64_t>(6 + i));
  }
  EXPECT_EQ(sink.rejects[4].reason, RejectReason::kBadFieldType);
}

TEST(Route53, BadLineAmongGoodOnes) {
  CaptureSink sink;
  std::vector<std::string> names;
  sink.check = [&](const DnsQuery& q) { names.emplace_back(q.query_name); };
  run(R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"one."}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"two.",
{"query_timestamp":"2021-12-11T22:46:24Z","query_name":"three."}
)",
      sink);
  EXPECT_EQ(names, (std::vector<std::string>{"one.", "three."}));
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kInvalidJson);
  EXPECT_EQ(sink.rejects[0].line, 2u);
}

TEST(Route53, InvalidUtf8IsRejectedAlone) {
  CaptureSink sink;
  int good = 0;
  sink.check = [&](const DnsQuery&) { ++good; };
  run("{\"query_timestamp\":\"2021-12-11T22:46:23Z\",\"query_name\":\"ok.\"}\n"
      "{\"query_timestamp\":\"2021-12-11T22:46:23Z\",\"query_name\":\"bad\xff\xfe.\"}\n"
      "{\"query_timestamp\":\"2021-12-11T22:46:23Z\",\"query_name\":\"ok2.\"}\n",
      sink);
  EXPECT_EQ(good, 2);
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kInvalidUtf8);
  EXPECT_EQ(sink.rejects[0].line, 2u);
}

TEST(Route53, RejectsNameTheField) {
  const std::vector<parser_test::RejectCase> cases = {
      {R"({"query_timestamp":"2021-12-11T22:46:23Z","rcode":"NOERROR"})",
       RejectReason::kMissingField, "query_name"},
      {R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":null})",
       RejectReason::kMissingField, "query_name"},
      {R"({"query_name":"a.","rcode":"NOERROR"})", RejectReason::kMissingField, "query_timestamp"},
      {R"({"query_name":"a.","query_timestamp":"yesterday"})", RejectReason::kBadTime, "yesterday"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","srcaddr":"10.0.0.300"})",
       RejectReason::kBadIp, "10.0.0.300"},
      {R"({"query_name":5,"query_timestamp":"2021-12-11T22:46:23Z"})", RejectReason::kBadFieldType,
       "query_name"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","answers":"x"})",
       RejectReason::kBadFieldType, "answers"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","answers":[1]})",
       RejectReason::kBadFieldType, "answers[]"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","answers":[{"Rdata":1}]})",
       RejectReason::kBadFieldType, "answers[].Rdata"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","srcids":[]})",
       RejectReason::kBadFieldType, "srcids"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","srcids":{"instance":7}})",
       RejectReason::kBadFieldType, "srcids.instance"},
      {R"({"query_name":"a.","query_timestamp":"2021-12-11T22:46:23Z","srcaddr":["1.2.3.4"]})",
       RejectReason::kBadFieldType, "srcaddr"},
      // The first problem wins.
      {R"({"srcaddr":"x","query_name":7,"query_timestamp":"2021-12-11T22:46:23Z"})",
       RejectReason::kBadIp, "srcaddr"},
  };
  parser_test::expect_each_rejected<Route53Parser, DnsQuery>(cases, "test.log");
}

TEST(Route53, InvalidJsonAnywhereInTheRecordWins) {
  CaptureSink sink;
  // On-Demand would not read `extra`; the parser walks it anyway so `record` stays valid JSON.
  run(R"({"query_name":7,"query_timestamp":"2021-12-11T22:46:23Z","extra":[tru]})", sink);
  EXPECT_TRUE(sink.json.empty());
  ASSERT_EQ(sink.rejects.size(), 1u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kInvalidJson);
}

TEST(Route53, OtherJsonIsNotAnEvent) {
  CaptureSink sink;
  run(R"({"eventName":"GetObject","srcaddr":"1.2.3.4","answers":[]}
{"version":"1.100000","account_id":"1"}
)",
      sink);
  EXPECT_TRUE(sink.json.empty());
  ASSERT_EQ(sink.rejects.size(), 2u);
  EXPECT_EQ(sink.rejects[0].reason, RejectReason::kNotAnEvent);
  EXPECT_EQ(sink.rejects[1].reason, RejectReason::kNotAnEvent);
}

TEST(Route53, AccountAndRegionFallBackToThePath) {
  CaptureSink sink;
  std::vector<std::string> seen;
  sink.check = [&](const DnsQuery& q) {
    seen.push_back(std::string(q.meta.account) + "/" + std::string(q.meta.region));
  };
  run(R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a."}
{"query_timestamp":"2021-12-11T22:46:23Z","query_name":"a.","account_id":"222","region":"eu-west-1"}
)",
      sink, "111", "us-east-2");
  EXPECT_EQ(seen, (std::vector<std::string>{"111/us-east-2", "222/eu-west-1"}));
}

TEST(Route53, PrettyPrintedRecordIsOneOutputLine) {
  CaptureSink sink;
  std::string_view raw_seen;
  bool had_newline = false;
  sink.check = [&](const DnsQuery& q) {
    had_newline = q.raw.find('\n') != std::string_view::npos;
    EXPECT_EQ(q.answer_count, 1u);
    EXPECT_EQ(q.answers()[0].rdata, "203.0.113.9");
    EXPECT_EQ(q.answers_raw.front(), '[');
    EXPECT_EQ(q.answers_raw.back(), ']');
    EXPECT_EQ(q.srcids.instance, "i-0d15cd0d3example");
  };
  run(R"(
    {
        "srcaddr": "4.5.64.102",
        "vpc_id": "vpc-7example",
        "answers": [
            {
                "Rdata": "203.0.113.9",
                "Type": "PTR",
                "Class": "IN"
            }
        ],
        "query_name": "15.3.4.32.in-addr.arpa.",
        "srcids": {
            "instance": "i-0d15cd0d3example"
        },
        "srcport": "56067",
        "query_timestamp": "2021-02-04T17:51:55Z"
    }
)",
      sink);
  EXPECT_TRUE(had_newline);
  ASSERT_EQ(sink.json.size(), 1u);
  simdjson::dom::parser p;
  simdjson::dom::element e = parse_json(p, sink.json[0]);
  EXPECT_EQ(std::string_view(e["record"]["answers"].at(0)["Type"]), "PTR");
  EXPECT_NE(sink.json[0].find(R"("record":{"srcaddr":"4.5.64.102","vpc_id")"), std::string::npos);
}

TEST(Route53, ManyAnswersKeepCountAndRaw) {
  std::string line =
      R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"many.","answers":[)";
  for (int i = 0; i < 40; ++i) {
    if (i > 0) line += ",";
    line += R"({"Rdata":"10.0.0.)" + std::to_string(i) + R"(","Type":"A","Class":"IN"})";
  }
  line += "]}";
  CaptureSink sink;
  sink.check = [](const DnsQuery& q) {
    EXPECT_EQ(q.answer_count, 40u);
    EXPECT_EQ(q.answers().size(), kDnsInlineAnswers);
    EXPECT_EQ(q.answers_not_stored(), 40u - kDnsInlineAnswers);
    EXPECT_EQ(q.answers()[31].rdata, "10.0.0.31");
    EXPECT_NE(q.answers_raw.find("10.0.0.39"), std::string_view::npos);
  };
  run(line, sink);
  ASSERT_EQ(sink.json.size(), 1u);
  EXPECT_NE(sink.json[0].find(R"("answers_not_stored":8)"), std::string::npos);
}

TEST(Route53, EscapedStringsAreUnescaped) {
  CaptureSink sink;
  sink.check = [](const DnsQuery& q) {
    EXPECT_EQ(q.answers()[0].rdata, "\"v=spf1 -all\"");
    EXPECT_EQ(q.query_name, "txt.example.");
  };
  run(R"({"query_timestamp":"2021-12-11T22:46:23Z","query_name":"txt\u002eexample.",)"
      R"("answers":[{"Rdata":"\"v=spf1 -all\"","Type":"TXT","Class":"IN"}]})",
      sink);
  EXPECT_EQ(sink.json.size(), 1u);
}

TEST(Route53, SingleAnswerObjectFromNormalisedExports) {
  CaptureSink sink;
  sink.check = [](const DnsQuery& q) {
    ASSERT_EQ(q.answer_count, 1u);
    EXPECT_EQ(q.answers()[0].rdata, "1.2.3.4");
    EXPECT_EQ(q.answers_raw.front(), '{');
  };
  run(R"({"query_timestamp":"2022-06-25 00:27:53","query_name":"x.com","answers":{"Class":"IN","Rdata":"1.2.3.4","Type":"A"}})",
      sink);
  EXPECT_EQ(sink.json.size(), 1u);
}

TEST(Route53, RootNameWithoutDot) {
  DnsQuery q;
  q.query_name = ".";
  EXPECT_EQ(q.query_name_without_dot(), "");
  q.query_name = "example.com";
  EXPECT_EQ(q.query_name_without_dot(), "example.com");
}

TEST(Route53, Sniffing) {
  EXPECT_TRUE(looks_like_route53_record(
      R"({"version":"1.100000","query_timestamp":"2021-12-11T22:46:23Z","query_name":"a."})"));
  EXPECT_FALSE(looks_like_route53_record(R"({"Records":[{"eventName":"query_name"}]})"));
  EXPECT_FALSE(looks_like_route53_record("2 123456789010 eni-1235b8ca123456789 - - - -"));
}

// Panther's VPC DNS rule tests: one test per line, the event under `log`. These events are
// Panther-normalised (answers as one object, `2022-06-25 00:27:53` timestamps, `p_*` fields), and
// the file also holds the CrowdStrike, Cisco Umbrella and OCSF events of rules shared with other
// log types. What we can honestly check: every `log` either parses as a Resolver record or is
// rejected with a named reason, and the counts stay what we observed: 13 Resolver-shaped events
// are accepted; the 8 others (2 OCSF DNS Activity, 4 CrowdStrike, 2 Cisco Umbrella) are
// `not_an_event`.
TEST(Route53, PantherCorpusConformance) {
  std::string ndjson;
  int tests = 0;
  if (!parser_test::read_panther_logs("tests_AWS_VPCDns.jsonl", &ndjson, &tests)) {
    GTEST_SKIP() << "corpus not found";
  }
  EXPECT_EQ(tests, 21);
  CaptureSink sink;
  int accepted = 0;
  sink.check = [&](const DnsQuery& q) {
    ++accepted;
    EXPECT_FALSE(q.query_name.empty());
    EXPECT_NE(q.meta.time_ms, kNoTime);
  };
  run(ndjson, sink);
  EXPECT_EQ(accepted, 13);
  ASSERT_EQ(sink.rejects.size(), 8u);
  for (const RejectCopy& r : sink.rejects) {
    EXPECT_EQ(r.reason, RejectReason::kNotAnEvent) << r.line << " " << r.detail;
  }
}

}  // namespace
}  // namespace sentinel::ingest
