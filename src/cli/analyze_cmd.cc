// `sentinel analyze`: ingest + detect + a summary. Detection state is restored from the store
// and saved with every transaction, so a tree analysed day by day gives the findings of one run.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/detect_support.h"
#include "cli/store_support.h"
#include "config/config.h"
#include "core/escape.h"
#include "core/json_writer.h"
#include "detect/rules/native.h"
#include "enrich/finding_enricher.h"
#include "findings/formats/guardduty.h"
#include "findings/suppression.h"
#include "store/sqlite.h"

namespace sentinel::cli {

namespace {

struct AnalyzeOptions {
  ReadOptions read;
  std::string db;
  std::string config;
  std::vector<std::string> rules;
  bool no_progress = false;
  bool fresh_state = false;
};

bool upsert_findings(store::Writer& w, const std::vector<findings::Finding>& fs) {
  std::string err;
  store::Stmt s(w.db(),
                "INSERT OR REPLACE INTO sentinel_findings(id, type, severity, title, description, "
                "account, region, rule_id, resource_role, first_seen, last_seen, created_at, "
                "updated_at, count, archived, evidence, json) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                &err);
  if (!s.ok()) return false;
  for (const auto& f : fs) {
    std::string json;
    findings::write_guardduty(f, &json);
    std::string evidence;
    JsonWriter jw(&evidence);
    jw.begin_array();
    for (const auto& e : f.evidence) jw.string(e);
    jw.end_array();
    s.bind_text(1, f.id);
    s.bind_text(2, f.type);
    s.bind(3, f.severity);
    s.bind_text(4, f.title);
    s.bind_text(5, f.description);
    s.bind_text(6, f.account_id);
    s.bind_text(7, f.region);
    s.bind_text(8, f.rule_id);
    s.bind_text(9, f.resource_role);
    s.bind(10, f.first_seen_ms);
    s.bind(11, f.last_seen_ms);
    s.bind(12, f.created_ms);
    s.bind(13, f.updated_ms);
    s.bind(14, static_cast<int64_t>(f.count));
    s.bind(15, int64_t{f.archived ? 1 : 0});
    s.bind_text(16, evidence);
    s.bind_text(17, json);
    if (s.step() != SQLITE_DONE) return false;
    s.reset();
  }
  return true;
}

// The severity-band columns every count below selects after count(*).
constexpr const char* kBands =
    "sum(severity >= 9), sum(severity >= 7 AND severity < 9), "
    "sum(severity >= 4 AND severity < 7), sum(severity < 4)";

// "N (critical a, high b, medium c, low d)" from a row of count(*) and kBands.
std::string bands_text(store::Stmt& row) {
  return with_commas(static_cast<uint64_t>(row.col_int(0))) + " (critical " +
         std::to_string(row.col_int(1)) + ", high " + std::to_string(row.col_int(2)) + ", medium " +
         std::to_string(row.col_int(3)) + ", low " + std::to_string(row.col_int(4)) + ")";
}

// The summary: findings in the store by severity band and type, each type with the command that
// investigates its most severe finding's actor.
std::string findings_summary(store::Store& st, const std::string& db) {
  std::string out;
  std::string err;
  store::Stmt bands(st.db(),
                    std::string("SELECT count(*), ") + kBands +
                        ", (SELECT count(*) FROM sentinel_findings WHERE archived = 1) "
                        "FROM sentinel_findings WHERE archived = 0",
                    &err);
  if (!bands.ok() || bands.step() != SQLITE_ROW) return "sentinel: summary: " + err + "\n";
  out += "Findings: " + bands_text(bands);
  if (bands.col_int(5) > 0) out += ", " + std::to_string(bands.col_int(5)) + " suppressed";
  out += "\n";
  // GuardDuty's own findings stored beside ours (exports read from the tree), counted apart.
  store::Stmt gd(st.db(),
                 std::string("SELECT count(*), ") + kBands +
                     " FROM gd_findings WHERE coalesce(archived, 0) = 0",
                 &err);
  std::string gd_line;
  if (gd.ok() && gd.step() == SQLITE_ROW && gd.col_int(0) > 0) {
    gd_line = "GuardDuty's own findings in the store: " + bands_text(gd) +
              ": sentinel query \"SELECT severity, type, title FROM findings WHERE product = "
              "'guardduty' ORDER BY severity DESC\"\n";
  }
  if (bands.col_int(0) == 0) return out + gd_line;
  // One row per type: its highest severity, how many findings, and the actor of the top one.
  store::Stmt rows(
      st.db(),
      "WITH f AS (SELECT type, severity, count, "
      "coalesce(json_extract(json, "
      "'$.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4'),"
      " json_extract(json, '$.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4'),"
      " json_extract(json, "
      "'$.service.action.portProbeAction.portProbeDetails[0].remoteIpDetails.ipAddressV4'),"
      " json_extract(json, '$.service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV4'))"
      " AS ip, "
      "json_extract(json, '$.resource.accessKeyDetails.accessKeyId') AS akid, "
      "json_extract(json, '$.resource.accessKeyDetails.userName') AS user, "
      "json_extract(json, '$.resource.accessKeyDetails.principalId') AS pid, "
      "json_extract(json, '$.resource.instanceDetails.instanceId') AS inst, "
      "row_number() OVER (PARTITION BY type ORDER BY severity DESC, count DESC, id) AS rn, "
      "count(*) OVER (PARTITION BY type) AS n, max(severity) OVER (PARTITION BY type) AS top "
      "FROM sentinel_findings WHERE archived = 0) "
      "SELECT type, top, n, ip, akid, user, pid, inst FROM f WHERE rn = 1 "
      "ORDER BY top DESC, n DESC, type LIMIT 25",
      &err);
  if (!rows.ok()) return out + "sentinel: summary: " + err + "\n";
  struct Line {
    std::string sev, type, n, cmd;
  };
  std::vector<Line> lines;
  std::size_t wtype = 0;
  while (rows.step() == SQLITE_ROW) {
    Line l;
    const double sev = rows.col_double(1);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%-8s %4.1f",
                  sev >= 9   ? "Critical"
                  : sev >= 7 ? "High"
                  : sev >= 4 ? "Medium"
                             : "Low",
                  sev);
    l.sev = buf;
    l.type = terminal_safe(rows.col_text(0));
    l.n = std::to_string(rows.col_int(2));
    std::string cmd;
    if (!rows.col_null(3)) {
      cmd = "sentinel investigate " + std::string(rows.col_text(3));
    } else if (!rows.col_null(7)) {
      cmd = "sentinel investigate " + std::string(rows.col_text(7));
    } else if (!rows.col_null(4)) {
      cmd = "sentinel investigate " + std::string(rows.col_text(4));
    } else if (!rows.col_null(5)) {
      cmd = "sentinel search --principal " + std::string(rows.col_text(5));
    } else if (!rows.col_null(6)) {
      cmd = "sentinel search --principal " + std::string(rows.col_text(6));
    }
    l.cmd = terminal_safe(cmd);
    wtype = std::max(wtype, l.type.size());
    lines.push_back(std::move(l));
  }
  wtype = std::min<std::size_t>(wtype, 64);
  for (const auto& l : lines) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %s  %4s  %-*s  ", l.sev.c_str(), l.n.c_str(),
                  static_cast<int>(wtype), l.type.c_str());
    out += buf;
    out += l.cmd;
    out += "\n";
  }
  out +=
      "All of them: sentinel query \"SELECT severity, type, title FROM findings ORDER BY "
      "severity DESC\"\n";
  out += gd_line;
  if (db != "sentinel.db") out += "(add --db " + terminal_safe(db) + " to these commands)\n";
  return out;
}

}  // namespace

void add_analyze_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "analyze",
      "Ingest the logs into the store, run the detection rules, and summarise the findings");
  auto o = std::make_shared<AnalyzeOptions>();
  add_read_options(cmd, &o->read);
  cmd->add_option("--db", o->db,
                  "The store file (default: the config's store.db, else ./sentinel.db)");
  cmd->add_option("--config", o->config,
                  "sentinel.yaml (rules, lists, enrichment, suppression, store)");
  cmd->add_option("--rules", o->rules,
                  "A rule file or folder; repeat for more; default: the config's, else ./rules")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--no-progress", o->no_progress, "Never show progress");
  cmd->add_flag("--fresh-state", o->fresh_state,
                "Start detection from an empty state instead of the stored one");
  cmd->callback([o, code] {
    IngestSettings s;
    if (!to_run_options(o->read, &s.run)) {
      *code = kExitUsage;
      return;
    }
    std::vector<std::string> errors;
    config::Config cfg;
    std::string db = "sentinel.db";
    if (!config::load_config(o->config, &cfg, &errors) ||
        !store_options_from_config(cfg, &s.store, &db, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      *code = kExitUsage;
      return;
    }
    for (const auto& w : cfg.warnings) {
      std::fprintf(stderr, "sentinel: warning: %s\n", terminal_safe(w).c_str());
    }
    if (!o->db.empty()) db = o->db;
    std::unique_ptr<detect::Engine> engine_ptr = build_engine(o->rules, cfg, true);
    if (!engine_ptr) {
      *code = kExitUsage;
      return;
    }
    detect::Engine& engine = *engine_ptr;
    auto st = store::Store::open(db, store::OpenMode::kReadWrite, s.store);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    std::string fp;
    std::string snap;
    std::string err;
    const std::string want = engine.rules_fingerprint();
    if (!o->fresh_state && (*st)->load_engine_state(&fp, &snap, &err)) {
      if (fp != want) {
        std::fprintf(stderr,
                     "sentinel: note: the rules changed since the store's last analyze; "
                     "detection state starts empty (stored findings are kept)\n");
      } else if (!engine.restore_state(snap, &err)) {
        std::fprintf(stderr,
                     "sentinel: note: stored detection state refused (%s); starting empty\n",
                     terminal_safe(err).c_str());
      }
    } else if (!err.empty()) {
      std::fprintf(stderr, "sentinel: note: %s; starting empty\n", terminal_safe(err).c_str());
    }
    s.engine = &engine;
    s.progress = !o->no_progress && ::isatty(2) != 0;
    ingest::InputList inputs = ingest::expand_inputs(o->read.paths);
    for (const auto& e : inputs.errors) std::fprintf(stderr, "sentinel: %s\n", e.c_str());
    // Event time matters to stateful rules: read objects in the order AWS delivered them.
    ingest::order_by_delivery_time(&inputs.inputs);
    uint64_t new_findings = 0;
    auto finish = [&](store::Writer& w) {
      // The state is saved before finish(), which closes every window: the next run continues
      // from open windows, as one long run would.
      if (!w.put_engine_state(want, engine.save_state())) return false;
      engine.finish();
      std::vector<findings::Finding> fs = engine.take_findings();
      for (auto& f : fs) {
        if (cfg.geo != nullptr) enrich::enrich_remote_ips(&f, *cfg.geo);
        findings::suppress(f, cfg.suppression);
      }
      new_findings = fs.size();
      return upsert_findings(w, fs);
    };
    IngestOutcome out = ingest_inputs(**st, inputs.inputs, s, finish);
    std::string report = ingest_report(out, db);
    if (out.ok) report += findings_summary(**st, db);
    std::fwrite(report.data(), 1, report.size(), stdout);
    if (!out.ok) {
      std::fprintf(stderr, "sentinel: %s: store error, the last transaction was rolled back: %s\n",
                   terminal_safe(db).c_str(), terminal_safe(out.error).c_str());
      *code = kExitNothingReadable;
    } else if (out.stats.readable_files() == 0 && out.files_unchanged == 0) {
      std::fprintf(stderr, "sentinel: nothing readable\n");
      *code = kExitNothingReadable;
    } else if (o->read.strict && (out.stats.rejects() > 0 || !inputs.errors.empty())) {
      *code = kExitNothingReadable;
    } else {
      *code = kExitOk;
    }
    (void)new_findings;
  });
}

namespace {
const CommandRegistration kAnalyzeRegistration{45, &add_analyze_command};
}  // namespace

}  // namespace sentinel::cli
