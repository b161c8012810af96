#include <atomic>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/stats.h"
#include "core/escape.h"
#include "core/time.h"
#include "ingest/jsonl.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::cli {

namespace {

// How many reject lines `parse` prints to stderr before it only counts them.
constexpr uint64_t kMaxPrintedRejects = 1000;
std::atomic<uint64_t> g_printed_rejects{0};

class ParseSink : public WorkerSink {
 public:
  explicit ParseSink(bool table) : table_(table) {}

  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    stats.add_event(e.meta, e.event_source);
    if (table_) {
      row_.clear();
      ingest::write_cloudtrail_table_row(e, &row_);
      table_line(e.meta);
      return;
    }
    ingest::append_jsonl(e, &out_, &scratch_);
    write_if_in_turn(&out_);
  }
  void on_flow(const ingest::FlowRecord& f) override {
    stats.add_event(f.meta, {});
    if (table_) {
      row_.clear();
      ingest::write_flow_table_row(f, &row_);
      table_line(f.meta);
      return;
    }
    ingest::append_jsonl(f, &out_, &scratch_);
    write_if_in_turn(&out_);
  }
  void on_dns(const ingest::DnsQuery& q) override {
    stats.add_event(q.meta, {});
    if (table_) {
      row_.clear();
      ingest::write_dns_table_row(q, &row_);
      table_line(q.meta);
      return;
    }
    ingest::append_jsonl(q, &out_, &scratch_);
    write_if_in_turn(&out_);
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    stats.add_event(g.meta, g.type);
    if (table_) {
      row_.clear();
      ingest::write_guardduty_table_row(g, &row_);
      table_line(g.meta);
      return;
    }
    ingest::append_jsonl(g, &out_, &scratch_);
    write_if_in_turn(&out_);
  }
  void on_digest(const ingest::DigestFile& d) override {
    stats.add_digest(d);
    std::string line = "sentinel: ";
    append_terminal_safe(&line, d.ref.path);
    line += ": CloudTrail digest file (listed, not parsed as events)\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void on_reject(const Reject& r) override {
    stats.add_reject(r);
    uint64_t n = g_printed_rejects.fetch_add(1);
    if (n < kMaxPrintedRejects) {
      std::string line = format_reject(r);
      std::fwrite(line.data(), 1, line.size(), stderr);
    } else if (n == kMaxPrintedRejects) {
      std::fputs("sentinel: further rejects are counted but not shown\n", stderr);
    }
  }
  void on_file(const ingest::Input& in, const ingest::FileReport& rep) override {
    stats.add_file(in, rep);
  }
  std::string take_output() override {
    std::string s;
    s.swap(out_);
    return s;
  }

  Stats stats;

 private:
  void table_line(const ingest::EventMeta& meta) {
    out_.append(ingest::log_type_name(meta.type));
    out_.push_back('\t');
    append_terminal_safe(&out_, meta.account.empty() ? std::string_view("-") : meta.account);
    out_.push_back('\t');
    append_terminal_safe(&out_, meta.region.empty() ? std::string_view("-") : meta.region);
    out_.push_back('\t');
    append_terminal_safe(&out_, row_);
    out_.push_back('\n');
    write_if_in_turn(&out_);
  }

  bool table_;
  std::string out_;
  std::string row_;
  ingest::JsonlScratch scratch_;
};

}  // namespace

void add_parse_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "parse", "Print the normalised events, one JSON object per line (or a table for people)");
  auto opts = std::make_shared<ReadOptions>();
  auto output = std::make_shared<std::string>("jsonl");
  add_read_options(cmd, opts.get());
  cmd->add_option("--output", *output, "jsonl (default) or table")
      ->check(CLI::IsMember({"jsonl", "table"}));
  cmd->callback([opts, output, code] {
    RunOptions ro;
    if (!to_run_options(*opts, &ro)) {
      *code = kExitUsage;
      return;
    }
    ro.parse.typed_walk = true;  // events are written from their typed fields and raw bytes
    ingest::InputList inputs = ingest::expand_inputs(opts->paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    bool table = *output == "table";
    auto sinks = run_inputs(inputs.inputs, ro,
                            [table](unsigned) { return std::make_unique<ParseSink>(table); });
    Stats total;
    for (auto& s : sinks) total.merge(static_cast<ParseSink&>(*s).stats);
    std::fflush(stdout);
    std::fprintf(stderr, "sentinel: %llu events from %llu files, %llu rejects\n",
                 static_cast<unsigned long long>(total.events()),
                 static_cast<unsigned long long>(total.files()),
                 static_cast<unsigned long long>(total.rejects()));
    if (total.readable_files() == 0) {
      *code = kExitNothingReadable;
    } else if (opts->strict && (total.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
  });
}

namespace {
const CommandRegistration kParseRegistration{10, &add_parse_command};
}  // namespace

}  // namespace sentinel::cli
