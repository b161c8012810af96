// PathMemo (detect/event_view.h): a field read through the memo's per-event elements gives
// exactly what a fresh walk from the record's root gives, for paths that share prefixes, cross
// arrays by index and by `[*]`, meet missing members, nulls, scalars where objects are expected
// and repeated keys, over events read in a row with one scratch (the memo must forget the
// previous event), asked in several orders and twice each; and the engine, which reads its rules'
// paths through one, raises the same findings as a copy of the rules evaluated without it.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/event_view.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {

namespace {

using ingest::LogType;

const std::vector<std::string>& paths() {
  static const std::vector<std::string> p = {
      "userIdentity",
      "userIdentity.type",
      "userIdentity.accessKeyId",
      "userIdentity.invokedBy",
      "userIdentity.sessionContext",
      "userIdentity.sessionContext.ec2RoleDelivery",
      "userIdentity.sessionContext.sessionIssuer",
      "userIdentity.sessionContext.sessionIssuer.arn",
      "userIdentity.sessionContext.sessionIssuer.userName",
      "userIdentity.sessionContext.attributes.mfaAuthenticated",
      "errorCode",
      "vpcEndpointAccountId",
      "managementEvent",
      "requestParameters",
      "requestParameters.bucketName",
      "requestParameters.dup",
      "requestParameters.a.b.c",
      "requestParameters.a.b",
      "requestParameters.a",
      "requestParameters.items",
      "requestParameters.items[0]",
      "requestParameters.items[0].name",
      "requestParameters.items[1].name",
      "requestParameters.items[2].name",
      "requestParameters.items[*].name",
      "requestParameters.items[*].tags[*]",
      "requestParameters.items[1].tags[0]",
      "requestParameters.list[2]",
      "requestParameters.list[*]",
      "requestParameters['key.with.dots']",
      "requestParameters.nothing.here",
      "responseElements",
      "responseElements.nested.k",
      "[*]",
      "a.b[0]",
  };
  return p;
}

std::string corpus() {
  const std::vector<std::string> r = {
      // Every member present.
      ct(R"("eventID":"p01","eventName":"PutObject","errorCode":"AccessDenied",)"
         R"("vpcEndpointAccountId":"222233334444","managementEvent":false,)"
         R"("userIdentity":{"type":"AssumedRole","accessKeyId":"ASIA1","invokedBy":"x.amazonaws.com",)"
         R"("sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r","userName":"r"},)"
         R"("attributes":{"mfaAuthenticated":"true"},"ec2RoleDelivery":"2.0"}},)"
         R"("requestParameters":{"bucketName":"b1","dup":"first","dup":"second",)"
         R"("a":{"b":{"c":[1,2.5,"three",null,true,{"o":1},[4]]}},)"
         R"("items":[{"name":"n0","tags":["t0","t1"]},{"name":"n1","tags":["u0"]},{"noname":1}],)"
         R"("list":[10,20,30],"key.with.dots":"dotted"},)"
         R"("responseElements":{"nested":{"k":null}})"),
      // Nothing under userIdentity or requestParameters; null objects.
      ct(R"("eventID":"p02","eventName":"GetObject","userIdentity":{},)"
         R"("requestParameters":null,"responseElements":null,"errorCode":null)"),
      // Scalars and arrays where objects are expected, and objects where arrays are.
      ct(R"("eventID":"p03","eventName":"GetObject","userIdentity":{"type":"IAMUser",)"
         R"("sessionContext":"none"},"requestParameters":{"a":[{"b":1}],"items":{"0":{"name":"x"}},)"
         R"("list":"abc","bucketName":["b2","b3"]},"errorCode":"")"),
      // The same keys in another order, short arrays, empty ones.
      ct(R"("eventID":"p04","requestParameters":{"list":[1],"items":[],"a":{"b":{}},)"
         R"("bucketName":"b4"},"eventName":"ListBuckets","userIdentity":{"sessionContext":)"
         R"({"ec2RoleDelivery":null,"sessionIssuer":{}},"type":"Root"})"),
      // Keys repeated: a walk takes the first.
      ct(R"("eventID":"p05","eventName":"X","requestParameters":{"a":1},)"
         R"("requestParameters":{"bucketName":"late"},"userIdentity":{"type":"IAMUser",)"
         R"("sessionContext":{"sessionIssuer":{"arn":"one"}},"sessionContext":{"ec2RoleDelivery":"1"}})"),
      // No record members under test at all.
      ct(R"("eventID":"p06","eventName":"Y")"),
      // The first event again: a memo that kept p05's elements would answer wrongly.
      ct(R"("eventID":"p07","eventName":"PutObject","userIdentity":{"type":"AssumedRole",)"
         R"("sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/s"}}},)"
         R"("requestParameters":{"items":[{"name":"m0","tags":["v0","v1","v2"]}],"list":[1,2,3,4]})"),
  };
  return records(r);
}

// Every value a field has (as text, with its kind), or "<stopped>" markers for a visitor that
// stops at the first value.
std::vector<std::string> values(const detect::EventView& ev, const detect::FieldRef& f,
                                detect::PathMemo* memo, bool stop_at_first) {
  std::vector<std::string> out;
  std::string text;
  const bool stopped = ev.any(
      f,
      [&](const detect::Value& v) {
        detect::assign_value_text(v, &text);
        out.push_back(std::to_string(static_cast<int>(v.kind)) + ":" + text);
        return stop_at_first;
      },
      memo);
  out.push_back(stopped ? "<stopped>" : "<all>");
  out.push_back(ev.exists(f, memo) ? "<exists>" : "<absent>");
  return out;
}

TEST(PathMemo, AnswersAsAFreshWalk) {
  std::vector<detect::FieldRef> fresh(paths().size());
  std::vector<detect::FieldRef> interned(paths().size());
  detect::PathMemo memo;
  std::size_t steps = 0;
  for (std::size_t i = 0; i < paths().size(); ++i) {
    std::string err;
    ASSERT_TRUE(detect::FieldRef::parse(paths()[i], &fresh[i], &err)) << err;
    interned[i] = fresh[i];
    memo.intern(&interned[i]);
    ASSERT_GE(interned[i].node, 0) << paths()[i];
    EXPECT_EQ(fresh[i].node, -1);
    steps += interned[i].node_steps;
  }
  // Prefixes are shared: far fewer nodes than steps.
  EXPECT_LT(memo.size(), steps / 2);
  // Interning again finds the same nodes.
  for (std::size_t i = 0; i < paths().size(); ++i) {
    detect::FieldRef again = fresh[i];
    memo.intern(&again);
    EXPECT_EQ(again.node, interned[i].node) << paths()[i];
  }

  std::mt19937 rng(7);
  int events = 0;
  int present = 0;
  auto check = [&](const detect::EventView& ev) {
    ++events;
    memo.next_event();
    std::vector<std::size_t> order(paths().size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    // Forward, backward and shuffled: a prefix is found first through any of its paths.
    for (int round = 0; round < 4; ++round) {
      if (round == 1) std::reverse(order.begin(), order.end());
      if (round >= 2) std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t i : order) {
        for (bool stop : {false, true}) {
          const auto want = values(ev, fresh[i], nullptr, stop);
          EXPECT_EQ(values(ev, interned[i], &memo, stop), want)
              << paths()[i] << " on " << ev.event_id() << " round " << round;
          present += want.back() == "<exists>" ? 1 : 0;
        }
      }
    }
  };
  EXPECT_EQ(feed(LogType::kCloudTrail, corpus(), check, "trail.json"), 0);
  EXPECT_EQ(events, 7);
  EXPECT_GT(present, 100);  // both answers occur
  // Route 53 records (parsed lazily by the view) through the same memo.
  std::vector<detect::FieldRef> dns_fields(3);
  std::vector<detect::FieldRef> dns_interned(3);
  const char* dns_paths[] = {"answers[*].Rdata", "srcids.instance", "answers[0].Type"};
  for (int i = 0; i < 3; ++i) {
    std::string err;
    ASSERT_TRUE(detect::FieldRef::parse(dns_paths[i], &dns_fields[i], &err)) << err;
    dns_interned[i] = dns_fields[i];
    memo.intern(&dns_interned[i]);
  }
  events = 0;
  auto check_dns = [&](const detect::EventView& ev) {
    ++events;
    memo.next_event();
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(values(ev, dns_interned[i], &memo, false),
                  values(ev, dns_fields[i], nullptr, false))
            << dns_paths[i];
      }
    }
  };
  const std::string dns_lines =
      dns("www.example.com.", "i-1") + "\n" + dns("evil.example.", "i-2") + "\n";
  EXPECT_EQ(feed(LogType::kRoute53, dns_lines, check_dns, "dns.log"), 0);
  EXPECT_EQ(events, 2);
}

// The CloudTrail fields the parser extracts (FieldRef::ct_field: read without the tree) give
// what a walk of their path gives, the session issuer's among them.
TEST(PathMemo, TypedFieldsAnswerAsTheirPaths) {
  int typed = 0;
  auto check = [&](const detect::EventView& ev) {
    for (const std::string& path : paths()) {
      detect::FieldRef f;
      std::string err;
      ASSERT_TRUE(detect::FieldRef::parse(path, &f, &err)) << err;
      if (f.ct_field < 0) continue;
      detect::FieldRef walked = f;
      walked.ct_field = -1;
      detect::Value v;
      typed += ev.direct(f, &v) == 1 ? 1 : 0;
      EXPECT_EQ(values(ev, f, nullptr, false), values(ev, walked, nullptr, false))
          << path << " on " << ev.event_id();
    }
  };
  EXPECT_EQ(feed(LogType::kCloudTrail, corpus(), check, "trail.json"), 0);
  EXPECT_GT(typed, 10);  // typed answers occur
}

// Rules over those paths raise the same findings whether the engine reads them through its memo
// or, as the rules' own predicates (evaluated here without one), from the root.
TEST(PathMemo, EngineFindsWhatTheRulesMatch) {
  const std::vector<std::string> matches = {
      "{userIdentity.sessionContext.ec2RoleDelivery: {exists: true}}",
      "{userIdentity.sessionContext.ec2RoleDelivery: {exists: false}, userIdentity.type: "
      "AssumedRole}",
      "{userIdentity.sessionContext.sessionIssuer.arn: {startswith: 'arn:aws:iam::1:'}}",
      "{userIdentity.invokedBy: {exists: false}, errorCode: {exists: true}}",
      "{'requestParameters.items[*].name': {startswith: n}}",
      "{'requestParameters.items[*].tags[*]': [t1, v2]}",
      "{'requestParameters.list[2]': 30}",
      "{requestParameters.bucketName: {neq: b1}}",
      "{requestParameters.dup: first}",
      "{requestParameters.a.b.c: three}",
      "{responseElements.nested.k: {is_null: true}}",
      "{any: [{requestParameters.a: {exists: true}}, {vpcEndpointAccountId: {exists: true}}]}",
  };
  std::vector<detect::Rule> rules;
  for (std::size_t i = 0; i < matches.size(); ++i) {
    rules.push_back(rule("id: m" + std::to_string(i) +
                             "\ntype: \"A:B/C\"\ngroup_by: [eventID]\nmatch: " + matches[i] + "\n",
                         detect::RuleDefs{}));
  }
  // What each rule's own predicate says, event by event.
  std::vector<std::string> want;
  auto check = [&](const detect::EventView& ev) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].match.eval(ev, detect::EvalContext{})) {
        want.push_back(rules[i].id + "|" + ev.event_id());
      }
    }
  };
  EXPECT_EQ(feed(LogType::kCloudTrail, corpus(), check, "trail.json"), 0);
  std::vector<std::string> errors;
  const auto found = run(rules, {{LogType::kCloudTrail, corpus()}}, nullptr, &errors);
  EXPECT_TRUE(errors.empty());
  std::vector<std::string> got;
  for (const auto& f : found) {
    for (const auto& id : f.evidence) got.push_back(f.rule_id + "|" + id);
  }
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  EXPECT_GT(want.size(), 10u);
}

}  // namespace

}  // namespace sentinel::testing::dt
