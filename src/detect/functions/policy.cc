#include "detect/functions/policy.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "detect/functions/dns.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"

namespace sentinel::detect::functions {

namespace {

using simdjson::dom::element;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Condition keys that tie a wildcard principal to a network, an organisation, an account or an
// identity: a statement carrying one is not open to the internet (what Zelkova would prove for
// GuardDuty; this is the common subset).
constexpr std::array<std::string_view, 16> kRestrictingKeys = {
    "aws:SourceIp",         "aws:SourceVpc",
    "aws:SourceVpce",       "aws:VpcSourceIp",
    "aws:PrincipalOrgID",   "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:SourceArn",        "aws:SourceAccount",
    "aws:SourceOrgID",      "aws:SourceOrgPaths",
    "aws:userid",           "aws:username",
    "aws:ResourceAccount",  "s3:DataAccessPointAccount"};

bool restricting_condition(element cond) {
  simdjson::dom::object ops;
  if (cond.get(ops) != simdjson::SUCCESS) return false;
  for (auto [op, body] : ops) {
    simdjson::dom::object keys;
    if (body.get(keys) != simdjson::SUCCESS) continue;
    for (auto [key, value] : keys) {
      for (std::string_view k : kRestrictingKeys) {
        if (iequals(key, k)) return true;
      }
    }
  }
  return false;
}

// The account id in a principal string: 12 digits alone or in an ARN's account field.
std::string_view account_of(std::string_view p) {
  if (p.size() == 12 &&
      std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return p;
  if (p.rfind("arn:", 0) != 0) return {};
  // arn:partition:service:region:account:resource
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = p.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const std::size_t end = p.find(':', pos);
  if (end == std::string_view::npos) return {};
  return p.substr(pos, end - pos);
}

// Visits each string of a value that is a string or an array of strings.
template <typename F>
void each_string(element v, F&& f) {
  std::string_view s;
  if (v.get(s) == simdjson::SUCCESS) {
    f(s);
    return;
  }
  simdjson::dom::array arr;
  if (v.get(arr) != simdjson::SUCCESS) return;
  for (element e : arr) {
    if (e.get(s) == simdjson::SUCCESS) f(s);
  }
}

PolicyExposure classify_statement(element st, std::string_view own_account) {
  std::string_view effect;
  if (st["Effect"].get(effect) != simdjson::SUCCESS || !iequals(effect, "Allow")) {
    return PolicyExposure::kNone;
  }
  bool wildcard = false;
  bool foreign = false;
  element principal;
  if (st["NotPrincipal"].get(principal) == simdjson::SUCCESS) {
    wildcard = true;  // Allow to everyone except the named ones
  } else if (st["Principal"].get(principal) == simdjson::SUCCESS) {
    std::string_view s;
    if (principal.get(s) == simdjson::SUCCESS) {
      wildcard = s == "*";
    } else {
      simdjson::dom::object obj;
      if (principal.get(obj) == simdjson::SUCCESS) {
        for (auto [kind, value] : obj) {
          // Service principals are AWS services; Federated ones are identity providers the
          // account configured. Only AWS (and CanonicalUser "*") can open the resource.
          if (kind != "AWS" && kind != "CanonicalUser") continue;
          each_string(value, [&](std::string_view p) {
            if (p == "*") {
              wildcard = true;
              return;
            }
            std::string_view acct = account_of(p);
            if (!acct.empty() && !own_account.empty() && acct != own_account) foreign = true;
          });
        }
      }
    }
  }
  if (wildcard) {
    element cond;
    if (st["Condition"].get(cond) == simdjson::SUCCESS && restricting_condition(cond)) {
      return PolicyExposure::kNone;
    }
    return PolicyExposure::kAnonymous;
  }
  return foreign ? PolicyExposure::kCrossAccount : PolicyExposure::kNone;
}

bool classify_element(element policy, std::string_view own_account, PolicyExposure* out) {
  element statements;
  if (policy["Statement"].get(statements) != simdjson::SUCCESS) return false;
  PolicyExposure best = PolicyExposure::kNone;
  auto take = [&](element st) { best = std::max(best, classify_statement(st, own_account)); };
  simdjson::dom::array arr;
  if (statements.get(arr) == simdjson::SUCCESS) {
    for (element st : arr) take(st);
  } else {
    take(statements);
  }
  *out = best;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// IAM writes some policy documents URL-encoded (`%7B%22Version%22...`).
std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

// The element at `f` in a CloudTrail record (keys and indexes only).
bool element_at(const EventView& ev, const FieldRef& f, element* out) {
  const ingest::CloudTrailEvent* ct = ev.cloudtrail();
  if (ct == nullptr || f.source != FieldRef::Source::kJsonPath) return false;
  const element* record = ingest::cloudtrail_tree(*ct);
  if (record == nullptr) return false;
  element cur = *record;
  for (const auto& step : f.steps) {
    switch (step.kind) {
      case FieldRef::Step::Kind::kKey:
        if (cur[step.key].get(cur) != simdjson::SUCCESS) return false;
        break;
      case FieldRef::Step::Kind::kIndex:
        if (cur.at(step.index).get(cur) != simdjson::SUCCESS) return false;
        break;
      case FieldRef::Step::Kind::kAll:
        return false;
    }
  }
  *out = cur;
  return true;
}

}  // namespace

const char* policy_exposure_name(PolicyExposure e) {
  switch (e) {
    case PolicyExposure::kAnonymous:
      return "anonymous";
    case PolicyExposure::kCrossAccount:
      return "cross_account";
    case PolicyExposure::kNone:
      break;
  }
  return "none";
}

bool classify_policy_json(std::string_view json, std::string_view own_account,
                          PolicyExposure* out) {
  // Policy documents are small and these calls rare (policy-changing API calls only); one
  // parser per thread keeps its buffers between calls.
  thread_local simdjson::dom::parser parser;
  std::string text;
  const std::size_t first = json.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && json[first] == '%') {
    text = url_decode(json);
  } else {
    text.assign(json);
  }
  element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return false;
  return classify_element(root, own_account, out);
}

bool PolicyExposureFunction::call(const EventView& ev, const std::vector<FieldRef>& args,
                                  Value* out, std::string*) const {
  if (args.empty() || args.size() > 2) return false;
  std::string_view own;
  std::string own_buf;
  if (args.size() == 2) {
    std::string_view t;
    if (first_text(ev, args[1], &t, &own_buf)) own = t;
  }
  element policy;
  if (!element_at(ev, args[0], &policy)) return false;
  PolicyExposure e = PolicyExposure::kNone;
  std::string_view s;
  if (policy.get(s) == simdjson::SUCCESS) {
    if (!classify_policy_json(s, own, &e)) return false;
  } else if (!classify_element(policy, own, &e)) {
    return false;
  }
  *out = Value{};
  out->kind = Value::Kind::kString;
  out->str = policy_exposure_name(e);
  return true;
}

bool FieldsDifferFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                std::string* buf) const {
  if (args.size() != 2) return false;
  std::string_view a;
  std::string_view b;
  std::string a_buf;
  if (!first_text(ev, args[0], &a, &a_buf)) return false;
  if (!first_text(ev, args[1], &b, buf)) return false;
  *out = Value{};
  out->kind = Value::Kind::kBool;
  out->boolean = a != b;
  return true;
}

namespace {
// The account of `arn:partition:service:region:account:resource`, when it is 12 digits.
std::string_view arn_account(std::string_view arn) {
  if (arn.substr(0, 4) != "arn:") return {};
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const std::size_t end = arn.find(':', pos);
  if (end == std::string_view::npos || end - pos != 12) return {};
  const std::string_view account = arn.substr(pos, 12);
  for (char c : account) {
    if (c < '0' || c > '9') return {};
  }
  return account;
}
}  // namespace

bool ForeignArnFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                              std::string* buf) const {
  if (args.size() != 2) return false;
  std::string_view own;
  if (!first_text(ev, args[1], &own, buf) || own.empty()) return false;
  const bool foreign = ev.any(args[0], [own](const Value& v) {
    if (v.kind != Value::Kind::kString) return false;
    const std::string_view account = arn_account(v.str);
    return !account.empty() && account != own;
  });
  *out = Value{};
  out->kind = Value::Kind::kBool;
  out->boolean = foreign;
  return true;
}

}  // namespace sentinel::detect::functions
