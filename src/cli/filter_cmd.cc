// `sentinel filter 'PATTERN' PATH...|--db FILE`: the events a CloudWatch Logs filter pattern
// matches, printed like `aws logs filter-log-events` (docs/filters.md).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/stats.h"
#include "cli/store_support.h"
#include "core/escape.h"
#include "core/json_writer.h"
#include "cwl/pattern.h"
#include "detect/event_view.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/reader.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace sentinel::cli {

namespace {

struct FilterOptions {
  ReadOptions read;
  std::string pattern;
  std::string output = "jsonl";
  std::string db;
  bool explain = false;
  bool full_parse = false;
  uint64_t limit = 0;
};

std::atomic<uint64_t> g_rejects_shown{0};

class FilterSink : public WorkerSink {
 public:
  FilterSink(const cwl::Pattern* p, bool raw, bool tty)
      : p_(p), raw_(raw), tty_(tty), scratch_(detect::EventView::make_scratch()) {}

  // Only the event count is printed: no per-account/region/source breakdown (Stats::add_event)
  // is kept per event.
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    ++events;
    // A record the parser skipped holds none of the pattern's required strings: no match.
    if (e.skipped) return;
    test(detect::EventView(e, scratch_.get()));
  }
  void on_flow(const ingest::FlowRecord& f) override {
    ++events;
    test(detect::EventView(f, scratch_.get()));
  }
  void on_dns(const ingest::DnsQuery& q) override {
    ++events;
    test(detect::EventView(q, scratch_.get()));
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    ++events;
    test(detect::EventView(g, scratch_.get()));
  }
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_reject(const Reject& r) override {
    stats.add_reject(r);
    if (g_rejects_shown.fetch_add(1) < 1000) {
      std::string line = format_reject(r);
      std::fwrite(line.data(), 1, line.size(), stderr);
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

  Stats stats;  ///< files and rejects
  uint64_t events = 0;
  uint64_t matched = 0;

 private:
  void test(const detect::EventView& ev) {
    if (!p_->matches(ev)) return;
    ++matched;
    print(ev);
    write_if_in_turn(&out_);
  }

  void print(const detect::EventView& ev) {
    std::string_view msg = cwl::message_text(ev, &buf_);
    if (raw_) {
      if (tty_) {
        append_terminal_safe(&out_, msg);
      } else {
        // One record per line even when the input was pretty-printed.
        for (char c : msg) out_.push_back(c == '\n' || c == '\r' ? ' ' : c);
      }
      out_.push_back('\n');
      return;
    }
    // The shape of one `events[]` entry of `aws logs filter-log-events`.
    JsonWriter w(&out_);
    w.begin_object();
    w.field("logStreamName", ev.meta().ref.path);
    if (ev.meta().time_ms != ingest::kNoTime) {
      w.field("timestamp", static_cast<int64_t>(ev.meta().time_ms));
    } else {
      w.key("timestamp");
      w.null();
    }
    w.field("message", msg);
    w.field("eventId", ev.event_id());
    w.end_object();
    out_.push_back('\n');
  }

  const cwl::Pattern* p_;
  bool raw_;
  bool tty_;
  detect::EventView::ScratchPtr scratch_;
  std::string out_;
  std::string buf_;
};

}  // namespace

void add_filter_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand("filter",
                                 "Print the events a CloudWatch Logs filter pattern matches (like "
                                 "aws logs filter-log-events)");
  auto o = std::make_shared<FilterOptions>();
  cmd->add_option("pattern", o->pattern,
                  "The filter pattern, e.g. '{ $.errorCode = \"AccessDenied*\" }'")
      ->required();
  add_read_options(cmd, &o->read);
  cmd->get_option("PATH")->required(false);  // --db reads the store instead
  cmd->add_option("--output", o->output, "jsonl (default: filter-log-events entries) or raw")
      ->check(CLI::IsMember({"jsonl", "raw"}));
  cmd->add_option("--db", o->db, "Search the events of a Sentinel store instead of files");
  cmd->add_flag("--explain", o->explain, "Print the compiled predicate and exit");
  cmd->add_flag("--full-parse", o->full_parse,
                "Read every record whole, even those that cannot match (the output is the same; "
                "for checking the pre-filter)");
  cmd->callback([o, code] {
    cwl::Pattern pattern;
    cwl::PatternError perr;
    if (!cwl::Pattern::compile(o->pattern, &pattern, &perr)) {
      std::fprintf(stderr, "sentinel: bad filter pattern %s\n",
                   terminal_safe(perr.to_string()).c_str());
      *code = kExitUsage;
      return;
    }
    if (o->explain) {
      std::string s = std::string(cwl::pattern_kind_name(pattern.kind())) + " " +
                      pattern.predicate().to_string() + "\n";
      std::fputs(terminal_safe(s.substr(0, s.size() - 1)).c_str(), stdout);
      std::fputs("\n", stdout);
      *code = kExitOk;
      return;
    }
    const bool raw = o->output == "raw";
    const bool tty = isatty(fileno(stdout)) != 0;
    if (!o->db.empty()) {
      FilterSink sink(&pattern, raw, tty);
      std::string err;
      if (!replay_store(o->db, &sink, &err)) {
        std::fprintf(stderr, "sentinel: %s\n", terminal_safe(err).c_str());
        *code = kExitNothingReadable;
        return;
      }
      std::string out = sink.take_output();
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fprintf(stderr, "sentinel: %llu of %llu stored events matched\n",
                   static_cast<unsigned long long>(sink.matched),
                   static_cast<unsigned long long>(sink.events));
      *code = kExitOk;
      return;
    }
    if (o->read.paths.empty()) {
      std::fprintf(stderr, "sentinel: give PATH... or --db FILE\n");
      *code = kExitUsage;
      return;
    }
    RunOptions ro;
    if (!to_run_options(o->read, &ro)) {
      *code = kExitUsage;
      return;
    }
    // The strings a record must hold to match: the parser skips building the others.
    std::vector<std::string> needles;
    if (!o->full_parse && pattern.required_literals(&needles)) ro.parse.skip_unless = &needles;
    ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
    for (const auto& e : inputs.errors) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
    }
    auto sinks = run_inputs(inputs.inputs, ro, [&](unsigned) {
      return std::make_unique<FilterSink>(&pattern, raw, tty);
    });
    Stats total;
    uint64_t matched = 0;
    uint64_t events = 0;
    for (auto& s : sinks) {
      auto& fs = static_cast<FilterSink&>(*s);
      total.merge(fs.stats);
      matched += fs.matched;
      events += fs.events;
    }
    std::fflush(stdout);
    std::fprintf(stderr, "sentinel: %llu of %llu events matched (%llu files, %llu rejects)\n",
                 static_cast<unsigned long long>(matched), static_cast<unsigned long long>(events),
                 static_cast<unsigned long long>(total.files()),
                 static_cast<unsigned long long>(total.rejects()));
    if (total.readable_files() == 0) {
      *code = kExitNothingReadable;
    } else if (o->read.strict && (total.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
  });
}

namespace {
const CommandRegistration kFilterRegistration{60, &add_filter_command};
}  // namespace

}  // namespace sentinel::cli
