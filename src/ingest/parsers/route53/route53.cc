#include "ingest/parsers/route53/route53.h"

#include <simdjson.h>

#include <charconv>
#include <utility>

#include "core/limits.h"
#include "core/time.h"
#include "ingest/decode/json_framing.h"
#include "ingest/decode/json_util.h"
#include "ingest/event_json.h"

namespace sentinel::ingest {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

struct StringField {
  std::string_view name;
  std::string_view DnsQuery::*member;
  bool route53_only;  // its presence says the record is a Resolver record
};

constexpr StringField kStringFields[] = {
    {"version", &DnsQuery::version, false},
    {"account_id", &DnsQuery::account_id, false},
    {"region", &DnsQuery::region, false},
    {"vpc_id", &DnsQuery::vpc_id, true},
    {"query_timestamp", &DnsQuery::query_timestamp, true},
    {"query_name", &DnsQuery::query_name, true},
    {"query_type", &DnsQuery::query_type, true},
    {"query_class", &DnsQuery::query_class, true},
    {"rcode", &DnsQuery::rcode, false},
    {"transport", &DnsQuery::transport, false},
    {"firewall_rule_group_id", &DnsQuery::firewall_rule_group_id, true},
    {"firewall_rule_action", &DnsQuery::firewall_rule_action, true},
    {"firewall_domain_list_id", &DnsQuery::firewall_domain_list_id, true},
};

void append_uint(std::string* out, uint64_t v) {
  char b[24];
  auto r = std::to_chars(b, b + sizeof b, v);
  out->append(b, static_cast<std::size_t>(r.ptr - b));
}

}  // namespace

struct Route53Parser::Impl final : RecordHandler {
  od::parser parser{limits::kMaxRecordBytes};
  od::document doc;
  DnsQuery q;
  const FileContext* ctx = nullptr;
  EventSink* sink = nullptr;

  FieldFailure bad;  // the record's first reject; parsing goes on so invalid JSON later still wins
  bool route53_key_seen = false;

  void reset() {
    // Field by field, so the inline answer array is not cleared for every record.
    q.meta = EventMeta{};
    for (const StringField& f : kStringFields) q.*(f.member) = {};
    q.version_value = 0;
    q.answer_count = 0;
    q.answers_raw = {};
    q.srcaddr_raw = {};
    q.srcaddr = IpAddr{};
    q.has_srcaddr = false;
    q.srcport = -1;
    q.srcport_raw = {};
    q.srcids = DnsSrcIds{};
    q.raw = {};
    bad.clear();
    route53_key_seen = false;
  }

  error_code read_answer(od::value v, DnsAnswer* a) {
    od::json_type t;
    error_code err = v.type().get(t);
    if (err) return err;
    if (t != od::json_type::object) {
      bad.fail_type("answers[]", "an object");
      return consume_ondemand(v);
    }
    return for_each_field(v, [this, a](std::string_view key, od::value fv) {
      if (key_is(key, "rdata")) return read_string(fv, &a->rdata, bad, "answers[].Rdata");
      if (key_is(key, "type")) return read_string(fv, &a->type, bad, "answers[].Type");
      if (key_is(key, "class")) return read_string(fv, &a->klass, bad, "answers[].Class");
      return consume_ondemand(fv);
    });
  }

  void add_answer_slot(DnsAnswer** slot) {
    if (q.answer_count < kDnsInlineAnswers) {
      *slot = &q.answer_store[q.answer_count];
      **slot = DnsAnswer{};
    } else {
      *slot = nullptr;
    }
    ++q.answer_count;
  }

  error_code read_answers(od::value v) {
    od::json_type t;
    error_code err = v.type().get(t);
    if (err) return err;
    const char* start = v.raw_json_token().data();
    if (t == od::json_type::array) {
      od::array arr;
      if ((err = v.get_array().get(arr))) return err;
      for (auto el : arr) {
        od::value ev;
        if ((err = el.get(ev))) return err;
        DnsAnswer* slot;
        add_answer_slot(&slot);
        DnsAnswer scratch;
        if ((err = read_answer(ev, slot != nullptr ? slot : &scratch))) return err;
      }
    } else if (t == od::json_type::object) {
      DnsAnswer* slot;
      add_answer_slot(&slot);
      if ((err = read_answer(v, slot))) return err;
    } else if (t == od::json_type::null) {
      return consume_ondemand(v);
    } else {
      bad.fail_type("answers", "an array");
      return consume_ondemand(v);
    }
    const char* next = nullptr;
    if ((err = doc.current_location().get(next))) return err;
    q.answers_raw =
        std::string_view(start, static_cast<std::size_t>(end_before(start, next) - start));
    return simdjson::SUCCESS;
  }

  error_code read_srcids(od::value v) {
    od::json_type t;
    error_code err = v.type().get(t);
    if (err) return err;
    if (t != od::json_type::object) {
      if (t != od::json_type::null) bad.fail_type("srcids", "an object");
      return consume_ondemand(v);
    }
    DnsSrcIds& s = q.srcids;
    return for_each_field(v, [this, &s](std::string_view key, od::value fv) {
      if (key == "instance") return read_string(fv, &s.instance, bad, "srcids.instance");
      if (key == "resolver_endpoint") {
        return read_string(fv, &s.resolver_endpoint, bad, "srcids.resolver_endpoint");
      }
      if (key == "resolver_network_interface") {
        return read_string(fv, &s.resolver_network_interface, bad,
                           "srcids.resolver_network_interface");
      }
      return consume_ondemand(fv);
    });
  }

  error_code read_srcport(od::value v) {
    od::json_type t;
    error_code err = v.type().get(t);
    if (err) return err;
    if (t == od::json_type::number) {
      q.srcport_raw = v.raw_json_token();
      while (!q.srcport_raw.empty() &&
             (q.srcport_raw.back() == ' ' || q.srcport_raw.back() == '\n' ||
              q.srcport_raw.back() == '\r' || q.srcport_raw.back() == '\t')) {
        q.srcport_raw.remove_suffix(1);
      }
      if ((err = consume_ondemand(v))) return err;
    } else {
      Read r;
      if ((err = read_string(v, &q.srcport_raw, &r))) return err;
      if (r == Read::kBadType) {
        bad.fail_type("srcport", "a string");
        return simdjson::SUCCESS;
      }
      if (r == Read::kAbsent) return simdjson::SUCCESS;
    }
    std::string_view s = q.srcport_raw;
    int port = 0;
    bool ok = !s.empty() && s.size() <= 5;
    for (char c : s) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      port = port * 10 + (c - '0');
    }
    if (!ok || port > 65535) {
      bad.fail_value(RejectReason::kBadPort, "srcport", " is not a port number 0..65535: ", s);
      return simdjson::SUCCESS;
    }
    q.srcport = port;
    return simdjson::SUCCESS;
  }

  error_code read_srcaddr(od::value v) {
    Read r;
    error_code err = read_string(v, &q.srcaddr_raw, &r);
    if (err) return err;
    if (r == Read::kBadType) {
      bad.fail_type("srcaddr", "a string");
    } else if (r == Read::kOk) {
      if (IpAddr::parse(q.srcaddr_raw, &q.srcaddr)) {
        q.has_srcaddr = true;
      } else {
        bad.fail_value(RejectReason::kBadIp, "srcaddr", " is not an IP address: ", q.srcaddr_raw);
      }
    }
    return simdjson::SUCCESS;
  }

  error_code on_field(std::string_view key, od::value v) {
    for (const StringField& f : kStringFields) {
      if (key != f.name) continue;
      route53_key_seen |= f.route53_only;
      return read_string(v, &(q.*(f.member)), bad, f.name);
    }
    if (key == "answers") {
      return read_answers(v);
    }
    if (key == "srcaddr") {
      return read_srcaddr(v);
    }
    if (key == "srcport") {
      return read_srcport(v);
    }
    if (key == "srcids") {
      route53_key_seen = true;
      return read_srcids(v);
    }
    return consume_ondemand(v);
  }

  void report(const SourceRef& ref) { sink->on_reject(Reject{ref, bad.reason, bad.detail, 1}); }

  RecordStatus on_record(std::string_view json, std::size_t capacity, const SourceRef& ref,
                         RejectReason* reason, std::string_view* d) override {
    reset();
    error_code err = parser.iterate(json.data(), json.size(), capacity).get(doc);
    if (err) return invalid_record(err, reason, d);
    od::object obj;
    err = doc.get_object().get(obj);
    if (err == simdjson::INCORRECT_TYPE) return RecordStatus::kNotARecord;
    if (err) return invalid_record(err, reason, d);
    for (auto field : obj) {
      std::string_view key;
      if ((err = field.unescaped_key().get(key))) return invalid_record(err, reason, d);
      od::value v;
      if ((err = field.value().get(v))) return invalid_record(err, reason, d);
      if ((err = on_field(key, v))) return invalid_record(err, reason, d);
    }
    if (!route53_key_seen) return RecordStatus::kNotARecord;

    if (q.query_name.empty()) bad.fail(RejectReason::kMissingField, "query_name", " is missing");
    if (q.query_timestamp.empty()) {
      bad.fail(RejectReason::kMissingField, "query_timestamp", " is missing");
    }
    if (!bad.failed && !parse_iso8601_ms(q.query_timestamp, &q.meta.time_ms)) {
      q.meta.time_ms = kNoTime;
      bad.fail_value(RejectReason::kBadTime, "query_timestamp",
                     " is not an ISO 8601 time: ", q.query_timestamp);
    }
    if (bad.failed) {
      report(ref);
      return RecordStatus::kReported;
    }
    if (!q.version.empty()) {
      double v = 0;
      auto res = std::from_chars(q.version.data(), q.version.data() + q.version.size(), v);
      if (res.ec == std::errc() && res.ptr == q.version.data() + q.version.size()) {
        q.version_value = v;
      }
    }
    q.raw = json;
    q.meta.ref = ref;
    q.meta.type = LogType::kRoute53;
    q.meta.account = !q.account_id.empty() ? q.account_id : ctx->path_info.account;
    q.meta.region = !q.region.empty() ? q.region : ctx->path_info.region;
    sink->on_dns(q);
    return RecordStatus::kAccepted;
  }
};

Route53Parser::Route53Parser() : impl_(std::make_unique<Impl>()) {}
Route53Parser::~Route53Parser() = default;
Route53Parser::Route53Parser(Route53Parser&&) noexcept = default;
Route53Parser& Route53Parser::operator=(Route53Parser&&) noexcept = default;

void Route53Parser::parse(std::string_view data, const FileContext& ctx, EventSink& sink) {
  impl_->ctx = &ctx;
  impl_->sink = &sink;
  frame_json(data, ctx.path, /*container_key=*/{}, *impl_, sink);
  impl_->ctx = nullptr;
  impl_->sink = nullptr;
}

bool looks_like_route53_record(std::string_view head) {
  return head.find("\"query_name\"") != std::string_view::npos &&
         head.find("\"query_timestamp\"") != std::string_view::npos;
}

void write_dns_json(const DnsQuery& q, JsonWriter& w) {
  auto opt = [&w](std::string_view k, std::string_view v) {
    if (!v.empty()) w.field(k, v);
  };
  opt("version", q.version);
  opt("account_id", q.account_id);
  // `region` is the envelope's region (the field wins over the path there).
  opt("vpc_id", q.vpc_id);
  opt("query_timestamp", q.query_timestamp);
  opt("query_name", q.query_name);
  opt("query_type", q.query_type);
  opt("query_class", q.query_class);
  opt("rcode", q.rcode);
  if (!q.answers_raw.empty()) {
    w.key("answers");
    w.begin_array();
    for (const DnsAnswer& a : q.answers()) {
      w.begin_object();
      opt("rdata", a.rdata);
      opt("type", a.type);
      opt("class", a.klass);
      w.end_object();
    }
    w.end_array();
    if (q.answers_not_stored() > 0) {
      w.field("answers_not_stored", static_cast<uint64_t>(q.answers_not_stored()));
    }
  }
  if (q.has_srcaddr) {
    thread_local std::string ip;
    ip.clear();
    q.srcaddr.append_to(&ip);
    w.field("srcaddr", std::string_view(ip));
  }
  if (q.srcport >= 0) w.field("srcport", static_cast<int64_t>(q.srcport));
  opt("transport", q.transport);
  const DnsSrcIds& s = q.srcids;
  if (!s.instance.empty() || !s.resolver_endpoint.empty() ||
      !s.resolver_network_interface.empty()) {
    w.key("srcids");
    w.begin_object();
    opt("instance", s.instance);
    opt("resolver_endpoint", s.resolver_endpoint);
    opt("resolver_network_interface", s.resolver_network_interface);
    w.end_object();
  }
  opt("firewall_rule_group_id", q.firewall_rule_group_id);
  opt("firewall_rule_action", q.firewall_rule_action);
  opt("firewall_domain_list_id", q.firewall_domain_list_id);
  w.key("record");
  write_raw_json(q.raw, w);
}

void write_dns_table_row(const DnsQuery& q, std::string* out) {
  append_time_column(out, q.meta.time_ms);
  out->push_back(' ');
  if (q.has_srcaddr) {
    if (q.srcaddr.v4) {
      q.srcaddr.append_to(out);
    } else {
      out->push_back('[');
      q.srcaddr.append_to(out);
      out->push_back(']');
    }
  } else {
    out->append("-");
  }
  if (q.srcport >= 0) {
    out->push_back(':');
    append_uint(out, static_cast<uint64_t>(q.srcport));
  }
  out->push_back(' ');
  out->append(q.query_type.empty() ? std::string_view("-") : q.query_type);
  out->push_back(' ');
  out->append(q.query_name);
  out->push_back(' ');
  out->append(q.rcode.empty() ? std::string_view("-") : q.rcode);
  out->push_back(' ');
  append_uint(out, q.answer_count);
  out->append(q.answer_count == 1 ? " answer" : " answers");
  if (q.answer_count > 0 && !q.answers().empty()) {
    out->append(": ");
    out->append(q.answers()[0].rdata);
    if (q.answer_count > 1) {
      out->append(" (+");
      append_uint(out, q.answer_count - 1);
      out->append(")");
    }
  }
  if (!q.firewall_rule_action.empty()) {
    out->append(" firewall ");
    out->append(q.firewall_rule_action);
  }
}

}  // namespace sentinel::ingest
