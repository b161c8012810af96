#pragma once
/// Automated response (docs/response.md): actions from sentinel.yaml `respond:` run for the
/// findings (and alarm transitions, which are findings too) that match their criteria.
///
/// Actions: a webhook (JSON POST, optionally a Slack-compatible body; retries with backoff; a
/// timeout), a command hook (posix_spawn of a fixed argv, the finding as JSON on stdin, an
/// environment allow-list, a timeout then kill, never a shell), and a JSON-lines file.
///
/// Safety: dry run unless `mode: execute` (or --execute). Every attempt is written to an audit
/// table; an action that succeeded for a finding id is never run again for it (idempotent
/// replays), one that failed is retried on the next run (at-least-once).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "findings/finding.h"

namespace YAML {
class Node;
}

namespace sentinel::respond {

/// Which findings an action takes. Empty lists match everything.
struct Criteria {
  std::vector<std::string> types;  ///< globs over the finding type (`Recon:*`, `*Root*`)
  double min_severity = 0;
  std::vector<std::string> accounts;
  /// Resource tags that must all be present with these values (instanceDetails.tags and the
  /// like: any `tags` list of {key, value} in the resource).
  std::vector<std::pair<std::string, std::string>> tags;
  bool matches(const findings::Finding& f) const;
};

struct WebhookSpec {
  std::string url;
  bool slack = false;  ///< send `{"text": ...}` instead of the finding
  long timeout_ms = 5000;
  int retries = 3;        ///< extra attempts after the first
  long backoff_ms = 500;  ///< doubled after each failed attempt
};

struct CommandSpec {
  std::vector<std::string> argv;  ///< argv[0] is an absolute path or found on PATH
  std::vector<std::string> env;   ///< names of variables passed through from our environment
  long timeout_ms = 30000;
};

struct FileSpec {
  std::string path;
};

struct Action {
  enum class Kind : uint8_t { kWebhook, kCommand, kFile };
  std::string name;
  Kind kind = Kind::kFile;
  Criteria when;
  WebhookSpec webhook;
  CommandSpec command;
  FileSpec file;
};

struct RespondConfig {
  bool execute = false;    ///< `mode: execute`; dry run otherwise
  int max_concurrent = 4;  ///< command hooks and webhooks in flight at once
  std::vector<Action> actions;
};

/// Reads the `respond:` section (null: no actions). Relative file paths are resolved against
/// `base_dir`. Errors are `<where>: respond.actions[1].command: <problem>`.
bool load_respond_config(const YAML::Node& node, const std::string& where,
                         const std::string& base_dir, RespondConfig* out,
                         std::vector<std::string>* errors);

/// What one attempt came to.
struct Outcome {
  bool ok = false;
  int attempts = 0;
  std::string detail;  ///< HTTP status, exit code, error text (never the finding's content)
};

/// The finding as one line of JSON (GuardDuty shape), what hooks read on stdin.
std::string finding_json(const findings::Finding& f);
/// A Slack-compatible `{"text": ...}` body for the finding.
std::string slack_body(const findings::Finding& f);

Outcome send_webhook(const WebhookSpec& spec, const std::string& body);
/// Spawns the hook; `input` is written to its stdin. `output` (optional) gets its stdout.
Outcome run_command(const CommandSpec& spec, const std::string& input,
                    std::string* output = nullptr);
Outcome append_line(const FileSpec& spec, const std::string& line);

/// The audit table in a SQLite file: every attempt (finding id, action, outcome, time, detail).
/// Thread-safe (one connection behind a mutex).
class AuditLog {
 public:
  ~AuditLog();
  /// Opens (creating) the table `respond_audit` in the SQLite file at `path`.
  static std::unique_ptr<AuditLog> open(const std::string& path, std::string* error);
  /// True when `action` already succeeded (executed) for `finding_id`.
  bool done(const std::string& finding_id, const std::string& action);
  /// Records one attempt. `outcome`: ok, failed, dry_run, skipped_done.
  void record(const std::string& finding_id, const std::string& action, const std::string& outcome,
              const std::string& detail, int64_t time_ms);
  struct Row {
    std::string finding_id, action, outcome, detail;
    int64_t time_ms = 0;
  };
  std::vector<Row> rows();

 private:
  AuditLog() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RespondSummary {
  uint64_t matched = 0;  ///< (finding, action) pairs that matched the criteria
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t dry_run = 0;
  uint64_t already_done = 0;
};

/// Runs every matching action for every finding; waits for all to finish.
RespondSummary respond(const RespondConfig& cfg, const std::vector<findings::Finding>& fs,
                       AuditLog* audit);

}  // namespace sentinel::respond
