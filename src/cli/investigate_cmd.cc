// `sentinel investigate X`: one timeline across CloudTrail, flows, DNS and findings.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "core/escape.h"
#include "store/investigate_timeline.h"

namespace sentinel::cli {

void add_investigate_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "investigate",
      "Summary and timeline of an IP, access key, principal, instance, interface or finding");
  auto subject = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>("sentinel.db");
  auto around = std::make_shared<std::string>("2h");
  auto since = std::make_shared<std::string>();
  auto until = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("text");
  auto limit = std::make_shared<std::size_t>(200);
  cmd->add_option("SUBJECT", *subject,
                  "IP, AKIA/ASIA access key, ARN or user/role/session name, i-..., eni-..., or "
                  "a finding id")
      ->required();
  cmd->add_option("--db", *db, "The store file (default ./sentinel.db)");
  cmd->add_option("--around", *around,
                  "Related records (a finding's events, calls naming an instance) this long "
                  "either side (default 2h)");
  cmd->add_option("--since", *since, "Only from: 7d, 12h (back from now) or 2024-01-15T02:00Z");
  cmd->add_option("--until", *until, "Only until (exclusive)");
  cmd->add_option("--limit", *limit, "Timeline entries listed (the latest; default 200)");
  cmd->add_option("--output,-o", *output, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([=] {
    store::InvestigateOptions o;
    std::string err;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (!store::parse_span_ms(*around, &o.around_ms)) {
      std::fprintf(stderr, "sentinel: investigate: --around '%s' is not a duration (30m, 2h, 1d)\n",
                   terminal_safe(*around).c_str());
      *code = kExitUsage;
      return;
    }
    if ((!since->empty() && !store::parse_time_arg(*since, now, &o.since_ms, &err)) ||
        (!until->empty() && !store::parse_time_arg(*until, now, &o.until_ms, &err))) {
      std::fprintf(stderr, "sentinel: investigate: %s\n", terminal_safe(err).c_str());
      *code = kExitUsage;
      return;
    }
    o.timeline_limit = std::max<std::size_t>(*limit, 1);
    // Text shows the first values of each summary list; JSON lists every one.
    o.summary_limit = *output == "json" ? 0 : store::kSummaryListed;
    // A small page cache: an investigation reads most of its pages once (a busy address's
    // ~120,000 rows touch most of ct_events), and a 256 MB cache that only grows costs more in
    // fresh memory (page faults, zeroing, freeing at close) than it saves in reads
    // (docs/investigate.md, Performance).
    store::StoreOptions so;
    so.cache_mb = 16;
    auto st = store::Store::open(*db, store::OpenMode::kReadOnly, so);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    auto inv = store::investigate(**st, *subject, o);
    if (!inv) {
      std::fprintf(stderr, "sentinel: investigate: %s\n",
                   terminal_safe(inv.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    std::string out;
    if (*output == "json") {
      store::render_investigation_json(*inv, &out);
    } else {
      store::render_investigation_text(*inv, &out);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    *code = kExitOk;
  });
}

namespace {
const CommandRegistration kInvestigateRegistration{54, &add_investigate_command};
}  // namespace

}  // namespace sentinel::cli
