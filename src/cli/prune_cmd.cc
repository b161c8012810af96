#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/store_support.h"
#include "core/escape.h"
#include "core/time.h"
#include "store/prune.h"
#include "store/sqlite.h"

namespace sentinel::cli {

void add_prune_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand("prune", "Delete stored events older than a retention period");
  auto older = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>("sentinel.db");
  auto now = std::make_shared<std::string>();
  auto dry = std::make_shared<bool>(false);
  auto vacuum = std::make_shared<bool>(false);
  cmd->add_option("--older-than", *older, "Retention: 90d, 12h, 2w, 30m (event time)")->required();
  cmd->add_option("--db", *db, "The store file (default ./sentinel.db)");
  cmd->add_option("--now", *now, "Count the retention back from this time (ISO 8601; default now)");
  cmd->add_flag("--dry-run", *dry, "Only count what would be deleted");
  cmd->add_flag("--vacuum", *vacuum, "Give the freed space back to the file system (VACUUM)");
  cmd->callback([=] {
    int64_t keep_ms = 0;
    if (!parse_duration_ms(*older, &keep_ms)) {
      std::fprintf(stderr, "sentinel: --older-than %s: expected a number and a unit (s m h d w)\n",
                   terminal_safe(*older).c_str());
      *code = kExitUsage;
      return;
    }
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    if (!now->empty() && !parse_iso8601_ms(*now, &now_ms)) {
      std::fprintf(stderr, "sentinel: --now %s: not an ISO 8601 time\n",
                   terminal_safe(*now).c_str());
      *code = kExitUsage;
      return;
    }
    auto st = store::Store::open(*db, store::OpenMode::kReadWrite);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    const int64_t cutoff = now_ms - keep_ms;
    store::PruneCounts c;
    std::string err;
    if (!store::prune(**st, cutoff, *dry, &c, &err)) {
      std::fprintf(stderr, "sentinel: prune: %s\n", terminal_safe(err).c_str());
      *code = kExitNothingReadable;
      return;
    }
    std::printf(
        "%s events before %s: %s CloudTrail, %s flow records (%s blocks), %s DNS, %s "
        "GuardDuty, %s findings\n",
        *dry ? "Would delete" : "Deleted", format_iso8601(cutoff).c_str(),
        with_commas(c.cloudtrail).c_str(), with_commas(c.flow_records).c_str(),
        with_commas(c.flow_blocks).c_str(), with_commas(c.dns).c_str(),
        with_commas(c.guardduty).c_str(), with_commas(c.findings).c_str());
    if (*vacuum && !*dry && !store::exec((*st)->db(), "VACUUM", &err)) {
      std::fprintf(stderr, "sentinel: vacuum: %s\n", terminal_safe(err).c_str());
      *code = kExitNothingReadable;
      return;
    }
    *code = kExitOk;
  });
}

namespace {
const CommandRegistration kPruneRegistration{53, &add_prune_command};
}  // namespace

}  // namespace sentinel::cli
