// `sentinel search`: questions without SQL over the store (docs/investigate.md).
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "core/escape.h"
#include "store/search_query.h"

namespace sentinel::cli {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct SearchArgs {
  std::string db = "sentinel.db";
  std::string output = "table";
  std::string since, until, hour;
  std::vector<std::string> types;
  bool explain = false;
  store::SearchFilter f;
};

}  // namespace

void add_search_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "search",
      "Find events in the store without SQL: by IP, principal, access key, event, resource, time");
  auto a = std::make_shared<SearchArgs>();
  cmd->add_option("--db", a->db, "The store file (default ./sentinel.db)");
  cmd->add_option("--ip", a->f.ip,
                  "CloudTrail sourceIPAddress; either end of a flow; the client of a DNS query");
  cmd->add_option("--principal", a->f.principal,
                  "An ARN (user, role, assumed role) or a user, role or session name");
  cmd->add_option("--access-key", a->f.access_key, "userIdentity.accessKeyId (AKIA.../ASIA...)");
  cmd->add_option("--event", a->f.event, "eventName; * and ? wildcards (Delete*SecurityGroup*)");
  cmd->add_option("--source", a->f.source, "eventSource (ec2 means ec2.amazonaws.com; wildcards)");
  cmd->add_option("--resource", a->f.resource,
                  "Text in the request, response or resources: an ARN, bucket, instance, "
                  "security-group id (eni-/i- ids also match flows)");
  cmd->add_flag("--errors", a->f.errors, "Only calls that failed (errorCode set)");
  cmd->add_option("--account", a->f.account, "Account id");
  cmd->add_option("--region", a->f.region, "Region");
  cmd->add_option("--since", a->since, "From: 7d, 12h (back from now) or 2024-01-15T02:00Z");
  cmd->add_option("--until", a->until, "Until (exclusive): same forms as --since");
  cmd->add_option("--hour", a->hour, "UTC hours FROM-TO of any day: 02-03 is 02:00-02:59");
  cmd->add_option("--type", a->types, "cloudtrail, flows, dns, findings (repeatable)");
  cmd->add_option("--limit", a->f.limit, "At most this many events, newest first (default 1000)");
  cmd->add_option("--output,-o", a->output, "table (default), jsonl or csv")
      ->check(CLI::IsMember({"table", "jsonl", "json", "csv"}));
  cmd->add_flag("--explain", a->explain,
                "Print the CloudTrail statements and SQLite's query plan instead of results");
  cmd->callback([a, code] {
    store::SearchFilter f = a->f;
    std::string err;
    const int64_t now = now_ms();
    if (!a->since.empty() && !store::parse_time_arg(a->since, now, &f.since_ms, &err)) {
      std::fprintf(stderr, "sentinel: search: --since %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    if (!a->until.empty() && !store::parse_time_arg(a->until, now, &f.until_ms, &err)) {
      std::fprintf(stderr, "sentinel: search: --until %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    if (!a->hour.empty() && !store::parse_hour_range(a->hour, &f.hour_from, &f.hour_to, &err)) {
      std::fprintf(stderr, "sentinel: search: --hour %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    for (const auto& t : a->types) {
      unsigned bit = store::search_type_from_name(t);
      if (bit == 0) {
        std::fprintf(stderr,
                     "sentinel: search: --type '%s' is not cloudtrail, flows, dns or findings\n",
                     terminal_safe(t).c_str());
        *code = kExitUsage;
        return;
      }
      f.types |= bit;
    }
    if (f.limit == 0) f.limit = 1;
    auto st = store::Store::open(a->db, store::OpenMode::kReadOnly);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    std::string out;
    if (a->explain) {
      auto plan = store::explain_search(**st, f);
      if (!plan) {
        std::fprintf(stderr, "sentinel: search: %s\n", terminal_safe(plan.error().message).c_str());
        *code = kExitNothingReadable;
        return;
      }
      // Line by line: the plan's own line breaks stay, anything from the store is escaped.
      std::string_view rest = *plan;
      while (!rest.empty()) {
        std::size_t nl = rest.find('\n');
        append_terminal_safe(&out, rest.substr(0, nl));
        if (nl == std::string_view::npos) break;
        out += '\n';
        rest.remove_prefix(nl + 1);
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
      *code = kExitOk;
      return;
    }
    auto r = store::run_search(**st, f);
    if (!r) {
      std::fprintf(stderr, "sentinel: search: %s\n", terminal_safe(r.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    const store::SearchFormat fmt = a->output == "csv"     ? store::SearchFormat::kCsv
                                    : a->output == "table" ? store::SearchFormat::kTable
                                                           : store::SearchFormat::kJsonl;
    store::render_search(*r, fmt, &out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    for (const auto& n : r->notes) {
      std::fprintf(stderr, "sentinel: search: note: %s\n", terminal_safe(n).c_str());
    }
    std::fprintf(stderr, "%zu event(s)%s\n", r->hits.size(),
                 r->truncated ? " (more matched: raise --limit or narrow the search)" : "");
    *code = kExitOk;
  });
}

namespace {
const CommandRegistration kSearchRegistration{53, &add_search_command};
}  // namespace

}  // namespace sentinel::cli
