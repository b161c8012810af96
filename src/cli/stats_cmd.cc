#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "cli/stats.h"
#include "core/escape.h"
#include "core/ip.h"
#include "detect/event_view.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cli {

namespace {

class StatsSink : public WorkerSink {
 public:
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    stats.add_event(e.meta, e.event_source);
  }
  void on_flow(const ingest::FlowRecord& f) override { stats.add_event(f.meta, {}); }
  void on_dns(const ingest::DnsQuery& q) override { stats.add_event(q.meta, {}); }
  void on_guardduty(const ingest::GuardDutyFinding& g) override { stats.add_event(g.meta, g.type); }
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_reject(const Reject& r) override { stats.add_reject(r); }
  void on_file(const ingest::Input& in, const ingest::FileReport& rep) override {
    stats.add_file(in, rep);
  }
  Stats stats;
};

/// `--by FIELD [--sum FIELD]`: groups events by a field any rule could read (EventView), with
/// a reused key buffer: no allocation per event beyond new groups.
struct GroupSpec {
  std::string by;
  std::string sum;
  std::size_t top = 0;
  std::size_t max_groups = 1000000;
  detect::FieldRef by_ref;
  detect::FieldRef sum_ref;
  // Flow fast path (set by resolve_flow_fast_path): the address member grouped by, and the
  // integer member summed (nullptr: none, or not a bytes/packets sum).
  ingest::FlowField by_flow = ingest::FlowField::kCount;
  IpAddr ingest::FlowRecord::*by_ip = nullptr;
  ingest::FlowField sum_flow = ingest::FlowField::kCount;
  int64_t ingest::FlowRecord::*sum_num = nullptr;
};

void resolve_flow_fast_path(GroupSpec* s) {
  using ingest::FlowField;
  using ingest::FlowRecord;
  if (s->by_ref.source == detect::FieldRef::Source::kMeta || s->by_ref.flow_field < 0) return;
  auto f = static_cast<FlowField>(s->by_ref.flow_field);
  switch (f) {
    case FlowField::kSrcaddr:
      s->by_ip = &FlowRecord::srcaddr;
      break;
    case FlowField::kDstaddr:
      s->by_ip = &FlowRecord::dstaddr;
      break;
    case FlowField::kPktSrcaddr:
      s->by_ip = &FlowRecord::pkt_srcaddr;
      break;
    case FlowField::kPktDstaddr:
      s->by_ip = &FlowRecord::pkt_dstaddr;
      break;
    default:
      return;
  }
  s->by_flow = f;
  if (s->sum.empty() || s->sum_ref.source == detect::FieldRef::Source::kMeta ||
      s->sum_ref.flow_field < 0)
    return;
  auto g = static_cast<FlowField>(s->sum_ref.flow_field);
  if (g == FlowField::kBytes) s->sum_num = &FlowRecord::bytes;
  if (g == FlowField::kPackets) s->sum_num = &FlowRecord::packets;
  if (s->sum_num != nullptr) s->sum_flow = g;
}

/// Length of the dotted quad of an IPv4 address: a flow token of this length that parsed to
/// it is exactly that text (any other spelling, such as leading zeros, is longer).
inline std::size_t dotted_len(const IpAddr& ip) {
  std::size_t n = 3;
  for (int i = 12; i < 16; ++i) n += ip.bytes[i] >= 100 ? 3 : ip.bytes[i] >= 10 ? 2 : 1;
  return n;
}

class GroupSink : public WorkerSink {
 public:
  explicit GroupSink(const GroupSpec* spec)
      : groups(spec->max_groups, !spec->sum.empty()),
        spec_(spec),
        scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    add(detect::EventView(e, scratch_.get()));
  }
  void on_flow(const ingest::FlowRecord& f) override {
    // Fast path: an IPv4 address key goes in as its 32-bit value (no text, no key bytes to
    // hash or compare), and a bytes/packets sum is read from the parsed record.
    if (spec_->by_ip != nullptr) {
      const IpAddr& ip = f.*(spec_->by_ip);
      if (f.has(spec_->by_flow) && ip.v4 && f.get(spec_->by_flow).size() == dotted_len(ip)) {
        bool has = false;
        double x = 0;
        if (spec_->sum_num != nullptr) {
          has = f.has(spec_->sum_flow);
          x = has ? static_cast<double>(f.*(spec_->sum_num)) : 0;
          groups.add_v4(ip.v4_value(), has, x);
          return;
        }
        if (spec_->sum.empty()) {
          groups.add_v4(ip.v4_value(), false, 0);
          return;
        }
      }
    }
    add(detect::EventView(f, scratch_.get()));
  }
  void on_dns(const ingest::DnsQuery& q) override { add(detect::EventView(q, scratch_.get())); }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    add(detect::EventView(g, scratch_.get()));
  }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  void on_file(const ingest::Input&, const ingest::FileReport& rep) override {
    groups.flush();
    if (rep.readable) ++readable_files;
  }

  GroupBy groups;
  uint64_t rejects = 0;
  uint64_t readable_files = 0;

 private:
  void add(const detect::EventView& v) {
    v.first_text(spec_->by_ref, &key_);
    bool has = false;
    double x = 0;
    if (!spec_->sum.empty()) {
      v.any(spec_->sum_ref, [&](const detect::Value& val) {
        if (val.kind == detect::Value::Kind::kNumber) {
          x = val.number;
          has = true;
        } else if (val.kind == detect::Value::Kind::kString && !val.str.empty()) {
          const char* end = val.str.data() + val.str.size();
          auto r = std::from_chars(val.str.data(), end, x);
          has = r.ec == std::errc() && r.ptr == end;
        }
        return true;  // the first value only
      });
    }
    groups.add(key_, has, x);
  }
  const GroupSpec* spec_;
  detect::EventView::ScratchPtr scratch_;
  std::string key_;
};

}  // namespace

void add_stats_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "stats",
      "Print what was read: files, events per log type / account / region / event source, "
      "time range, and rejects per reason");
  auto opts = std::make_shared<ReadOptions>();
  auto output = std::make_shared<std::string>("text");
  add_read_options(cmd, opts.get());
  cmd->add_option("--output", *output, "text or json")->check(CLI::IsMember({"text", "json"}));
  auto spec = std::make_shared<GroupSpec>();
  cmd->add_option("--by", spec->by,
                  "Count events per value of FIELD instead (any field a rule can read: eventName, "
                  "sourceIPAddress, userIdentity.arn, srcaddr, dstport, account, ...)");
  cmd->add_option("--sum", spec->sum, "With --by: also sum this numeric FIELD per group (bytes)");
  cmd->add_option("--top", spec->top, "With --by: print the N largest groups only (0: all)");
  cmd->add_option("--max-groups", spec->max_groups,
                  "With --by: distinct values kept per thread and in the total (default 1000000); "
                  "events of values first seen after the limit are counted together as 'other' "
                  "and reported, so memory stays bounded (about 64 bytes per IPv4 group, "
                  "100 + key bytes per text group)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  cmd->callback([opts, output, spec, code] {
    RunOptions ro;
    if (!to_run_options(*opts, &ro)) {
      *code = kExitUsage;
      return;
    }
    // The counts read typed fields only (a --by path may read any record's tree).
    ro.parse.typed_walk = spec->by.empty();
    if (spec->by.empty() && !spec->sum.empty()) {
      std::fprintf(stderr, "sentinel: --sum needs --by\n");
      *code = kExitUsage;
      return;
    }
    std::string err;
    if (!spec->by.empty() && !detect::FieldRef::parse(spec->by, &spec->by_ref, &err)) {
      std::fprintf(stderr, "sentinel: --by: %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    if (!spec->sum.empty() && !detect::FieldRef::parse(spec->sum, &spec->sum_ref, &err)) {
      std::fprintf(stderr, "sentinel: --sum: %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    if (!spec->by.empty()) resolve_flow_fast_path(spec.get());
    ingest::InputList inputs = ingest::expand_inputs(opts->paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    auto start = std::chrono::steady_clock::now();
    if (!spec->by.empty()) {
      const GroupSpec* sp = spec.get();
      auto sinks =
          run_inputs(inputs.inputs, ro, [sp](unsigned) { return std::make_unique<GroupSink>(sp); });
      GroupBy total(spec->max_groups, !spec->sum.empty());
      uint64_t rejects = 0, readable = 0;
      for (std::size_t i = 0; i < sinks.size(); ++i) {
        auto& g = static_cast<GroupSink&>(*sinks[i]);
        if (i == 0)
          total = std::move(g.groups);  // one thread: nothing to merge
        else
          total.merge(g.groups);
        rejects += g.rejects;
        readable += g.readable_files;
      }
      total.flush();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (*output == "json")
        total.write_json(stdout, spec->by, spec->sum, spec->top, rejects, secs);
      else
        total.write_text(stdout, spec->by, spec->sum, spec->top);
      if (total.overflow().count > 0) {
        std::fprintf(stderr,
                     "sentinel: --by: the group limit (--max-groups %zu) was reached; %llu events "
                     "of values seen after it were counted together as 'other' (the groups kept "
                     "are exact; raise --max-groups for every value, at about 100 bytes per "
                     "group)\n",
                     spec->max_groups, static_cast<unsigned long long>(total.overflow().count));
      }
      if (readable == 0) {
        std::fprintf(stderr, "sentinel: nothing readable\n");
        *code = kExitNothingReadable;
      } else if (opts->strict && (rejects > 0 || !inputs.errors.empty())) {
        *code = kExitNothingReadable;
      } else {
        *code = kExitOk;
      }
      return;
    }
    auto sinks =
        run_inputs(inputs.inputs, ro, [](unsigned) { return std::make_unique<StatsSink>(); });
    Stats total;
    for (auto& s : sinks) total.merge(static_cast<StatsSink&>(*s).stats);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string out = *output == "json" ? total.to_json(secs) : total.to_text(secs);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (total.readable_files() == 0) {
      std::fprintf(stderr, "sentinel: nothing readable\n");
      *code = kExitNothingReadable;
    } else if (opts->strict && (total.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
  });
}

namespace {
const CommandRegistration kStatsRegistration{20, &add_stats_command};
}  // namespace

}  // namespace sentinel::cli
