#include "respond/respond.h"

#include <simdjson.h>
#include <sqlite3.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "detect/ir/predicate.h"

namespace sentinel::respond {

namespace {

struct Errors {
  std::string where;
  std::vector<std::string>* out;
  bool any = false;
  void add(const std::string& key, const std::string& problem) {
    out->push_back(where + ": " + key + ": " + problem);
    any = true;
  }
};

bool number_of(const YAML::Node& n, double* out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

bool strings_of(const YAML::Node& n, std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return true;
  }
  if (!n.IsSequence()) return false;
  for (const auto& v : n) {
    if (!v.IsScalar()) return false;
    out->push_back(v.Scalar());
  }
  return true;
}

void check_keys(const YAML::Node& n, const std::set<std::string>& known, const std::string& at,
                Errors* e) {
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (!known.count(k)) e->add(at + "." + k, "unknown key");
  }
}

bool positive_ms(const YAML::Node& n, const std::string& at, Errors* e, long* out) {
  double d;
  if (!number_of(n, &d) || d <= 0 || d > 3600 * 1000.0) {
    e->add(at, "must be a number of milliseconds from 1 to 3600000");
    return false;
  }
  *out = static_cast<long>(d);
  return true;
}

void load_criteria(const YAML::Node& n, const std::string& at, Errors* e, Criteria* c) {
  if (!n) return;
  if (!n.IsMap()) {
    e->add(at, "must be a map (type, min_severity, account, resource_tag)");
    return;
  }
  check_keys(n, {"type", "min_severity", "account", "resource_tag"}, at, e);
  if (n["type"] && !strings_of(n["type"], &c->types)) {
    e->add(at + ".type", "must be a glob or a list of globs");
  }
  if (n["min_severity"] && (!number_of(n["min_severity"], &c->min_severity) ||
                            c->min_severity < 0 || c->min_severity > 10)) {
    e->add(at + ".min_severity", "must be a number from 0 to 10");
  }
  if (n["account"] && !strings_of(n["account"], &c->accounts)) {
    e->add(at + ".account", "must be an account id or a list of them");
  }
  if (YAML::Node t = n["resource_tag"]) {
    if (!t.IsMap()) {
      e->add(at + ".resource_tag", "must be a map of tag key to value");
    } else {
      for (auto it = t.begin(); it != t.end(); ++it) {
        if (!it->first.IsScalar() || !it->second.IsScalar()) {
          e->add(at + ".resource_tag", "tag keys and values must be strings");
          break;
        }
        c->tags.emplace_back(it->first.Scalar(), it->second.Scalar());
      }
    }
  }
}

void load_action(const YAML::Node& n, const std::string& at, const std::string& base_dir, Errors* e,
                 RespondConfig* cfg) {
  if (!n.IsMap()) {
    e->add(at, "must be a map (name, when, and one of webhook, command, file)");
    return;
  }
  check_keys(n, {"name", "when", "webhook", "command", "file"}, at, e);
  Action a;
  if (!n["name"] || !n["name"].IsScalar() || n["name"].Scalar().empty()) {
    e->add(at + ".name", "is required (it keys the audit table)");
  } else {
    a.name = n["name"].Scalar();
  }
  load_criteria(n["when"], at + ".when", e, &a.when);
  int kinds = (n["webhook"] ? 1 : 0) + (n["command"] ? 1 : 0) + (n["file"] ? 1 : 0);
  if (kinds != 1) {
    e->add(at, "needs exactly one of webhook, command, file");
    return;
  }
  if (YAML::Node w = n["webhook"]) {
    a.kind = Action::Kind::kWebhook;
    std::string wat = at + ".webhook";
    if (!w.IsMap()) {
      e->add(wat, "must be a map (url, slack, timeout_ms, retries, backoff_ms)");
      return;
    }
    check_keys(w, {"url", "slack", "timeout_ms", "retries", "backoff_ms"}, wat, e);
    if (!w["url"] || !w["url"].IsScalar()) {
      e->add(wat + ".url", "is required");
    } else {
      a.webhook.url = w["url"].Scalar();
      if (a.webhook.url.rfind("http://", 0) != 0 && a.webhook.url.rfind("https://", 0) != 0) {
        e->add(wat + ".url", "must start with http:// or https://");
      }
    }
    if (w["slack"]) {
      if (!w["slack"].IsScalar() ||
          (w["slack"].Scalar() != "true" && w["slack"].Scalar() != "false")) {
        e->add(wat + ".slack", "must be true or false");
      } else {
        a.webhook.slack = w["slack"].Scalar() == "true";
      }
    }
    if (w["timeout_ms"])
      positive_ms(w["timeout_ms"], wat + ".timeout_ms", e, &a.webhook.timeout_ms);
    if (w["backoff_ms"])
      positive_ms(w["backoff_ms"], wat + ".backoff_ms", e, &a.webhook.backoff_ms);
    if (YAML::Node r = w["retries"]) {
      double d;
      if (!number_of(r, &d) || d < 0 || d > 10 || d != std::floor(d)) {
        e->add(wat + ".retries", "must be a whole number from 0 to 10");
      } else {
        a.webhook.retries = static_cast<int>(d);
      }
    }
  } else if (YAML::Node c = n["command"]) {
    a.kind = Action::Kind::kCommand;
    std::string cat = at + ".command";
    if (!c.IsMap()) {
      e->add(cat, "must be a map (argv, env, timeout_ms)");
      return;
    }
    check_keys(c, {"argv", "env", "timeout_ms"}, cat, e);
    if (!c["argv"] || !c["argv"].IsSequence() || !strings_of(c["argv"], &a.command.argv) ||
        a.command.argv.empty() || a.command.argv[0].empty()) {
      e->add(cat + ".argv",
             "must be a non-empty list of strings (the program and its fixed arguments; no "
             "shell is involved)");
    } else if (a.command.argv[0].find('/') != std::string::npos &&
               !std::filesystem::path(a.command.argv[0]).is_absolute()) {
      a.command.argv[0] = (std::filesystem::path(base_dir) / a.command.argv[0]).string();
    }
    if (c["env"] && !strings_of(c["env"], &a.command.env)) {
      e->add(cat + ".env", "must be a list of variable names to pass through");
    }
    if (c["timeout_ms"])
      positive_ms(c["timeout_ms"], cat + ".timeout_ms", e, &a.command.timeout_ms);
  } else if (YAML::Node f = n["file"]) {
    a.kind = Action::Kind::kFile;
    std::string fat = at + ".file";
    std::string p;
    if (f.IsScalar()) {
      p = f.Scalar();
    } else if (f.IsMap() && f["path"] && f["path"].IsScalar()) {
      check_keys(f, {"path"}, fat, e);
      p = f["path"].Scalar();
    }
    if (p.empty()) {
      e->add(fat, "must be a path (or {path: ...})");
    } else {
      a.file.path = std::filesystem::path(p).is_absolute()
                        ? p
                        : (std::filesystem::path(base_dir) / p).string();
    }
  }
  for (const auto& other : cfg->actions) {
    if (!a.name.empty() && other.name == a.name) e->add(at + ".name", "duplicate action name");
  }
  cfg->actions.push_back(std::move(a));
}

// Visits every {key, value} entry of any `tags` array in the resource JSON.
bool has_tag(simdjson::dom::element el, const std::string& key, const std::string& value,
             int depth) {
  if (depth > 16) return false;
  // Copy the object and array handles out of their simdjson_result before iterating: a range-for
  // over value_unsafe() of a temporary would dangle.
  if (el.is_object()) {
    simdjson::dom::object obj = el.get_object().value_unsafe();
    for (auto [k, v] : obj) {
      if (k == "tags" && v.is_array()) {
        simdjson::dom::array tags = v.get_array().value_unsafe();
        for (auto t : tags) {
          if (!t.is_object()) continue;
          std::string_view tk, tv;
          if (t["key"].get(tk) == simdjson::SUCCESS && t["value"].get(tv) == simdjson::SUCCESS &&
              tk == key && tv == value) {
            return true;
          }
        }
      } else if (has_tag(v, key, value, depth + 1)) {
        return true;
      }
    }
  } else if (el.is_array()) {
    simdjson::dom::array arr = el.get_array().value_unsafe();
    for (auto v : arr) {
      if (has_tag(v, key, value, depth + 1)) return true;
    }
  }
  return false;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Criteria::matches(const findings::Finding& f) const {
  if (f.severity < min_severity) return false;
  if (!types.empty()) {
    bool any = false;
    for (const auto& g : types) any = any || detect::glob_match(g, f.type);
    if (!any) return false;
  }
  if (!accounts.empty()) {
    bool any = false;
    for (const auto& a : accounts) any = any || a == f.account_id;
    if (!any) return false;
  }
  if (!tags.empty()) {
    if (f.resource_json.empty()) return false;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(f.resource_json).get(root) != simdjson::SUCCESS) return false;
    for (const auto& [k, v] : tags) {
      if (!has_tag(root, k, v, 0)) return false;
    }
  }
  return true;
}

bool load_respond_config(const YAML::Node& node, const std::string& where,
                         const std::string& base_dir, RespondConfig* out,
                         std::vector<std::string>* errors) {
  Errors e{where, errors};
  if (!node || node.IsNull()) return true;
  if (!node.IsMap()) {
    e.add("respond", "must be a map (mode, max_concurrent, actions)");
    return false;
  }
  try {
    check_keys(node, {"mode", "max_concurrent", "actions"}, "respond", &e);
    if (YAML::Node m = node["mode"]) {
      if (!m.IsScalar() || (m.Scalar() != "dry_run" && m.Scalar() != "execute")) {
        e.add("respond.mode", "must be dry_run (the default) or execute");
      } else {
        out->execute = m.Scalar() == "execute";
      }
    }
    if (YAML::Node c = node["max_concurrent"]) {
      double d;
      if (!number_of(c, &d) || d < 1 || d > 64 || d != std::floor(d)) {
        e.add("respond.max_concurrent", "must be a whole number from 1 to 64");
      } else {
        out->max_concurrent = static_cast<int>(d);
      }
    }
    if (YAML::Node a = node["actions"]) {
      if (!a.IsSequence()) {
        e.add("respond.actions", "must be a list");
      } else {
        for (std::size_t i = 0; i < a.size(); ++i) {
          load_action(a[i], "respond.actions[" + std::to_string(i) + "]", base_dir, &e, out);
        }
      }
    }
  } catch (const YAML::Exception& ex) {
    e.add("respond", std::string("a value has the wrong shape: ") + ex.what());
  }
  return !e.any;
}

struct AuditLog::Impl {
  sqlite3* db = nullptr;
  std::mutex mu;
};

AuditLog::~AuditLog() {
  if (impl_ && impl_->db != nullptr) sqlite3_close(impl_->db);
}

std::unique_ptr<AuditLog> AuditLog::open(const std::string& path, std::string* error) {
  std::unique_ptr<AuditLog> log(new AuditLog());
  log->impl_ = std::make_unique<Impl>();
  if (sqlite3_open_v2(path.c_str(), &log->impl_->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    *error = path + ": " + sqlite3_errmsg(log->impl_->db);
    return nullptr;
  }
  sqlite3_busy_timeout(log->impl_->db, 5000);
  const char* sql =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS respond_audit("
      "  id INTEGER PRIMARY KEY,"
      "  finding_id TEXT NOT NULL,"
      "  action TEXT NOT NULL,"
      "  outcome TEXT NOT NULL,"
      "  detail TEXT NOT NULL,"
      "  time_ms INTEGER NOT NULL);"
      "CREATE INDEX IF NOT EXISTS respond_audit_key ON respond_audit(finding_id, action, outcome);";
  char* msg = nullptr;
  if (sqlite3_exec(log->impl_->db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    *error = path + ": " + (msg != nullptr ? msg : "cannot create respond_audit");
    sqlite3_free(msg);
    return nullptr;
  }
  return log;
}

bool AuditLog::done(const std::string& finding_id, const std::string& action) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(impl_->db,
                     "SELECT 1 FROM respond_audit WHERE finding_id = ?1 AND action = ?2 AND "
                     "outcome = 'ok' LIMIT 1",
                     -1, &s, nullptr);
  sqlite3_bind_text(s, 1, finding_id.data(), static_cast<int>(finding_id.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, action.data(), static_cast<int>(action.size()), SQLITE_STATIC);
  bool found = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return found;
}

void AuditLog::record(const std::string& finding_id, const std::string& action,
                      const std::string& outcome, const std::string& detail, int64_t time_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(impl_->db,
                     "INSERT INTO respond_audit(finding_id, action, outcome, detail, time_ms) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     -1, &s, nullptr);
  sqlite3_bind_text(s, 1, finding_id.data(), static_cast<int>(finding_id.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, action.data(), static_cast<int>(action.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 3, outcome.data(), static_cast<int>(outcome.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 4, detail.data(), static_cast<int>(detail.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 5, time_ms);
  sqlite3_step(s);
  sqlite3_finalize(s);
}

std::vector<AuditLog::Row> AuditLog::rows() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<Row> out;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(impl_->db,
                     "SELECT finding_id, action, outcome, detail, time_ms FROM respond_audit "
                     "ORDER BY id",
                     -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    auto col = [&](int i) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return p != nullptr ? std::string(p) : std::string();
    };
    out.push_back({col(0), col(1), col(2), col(3), sqlite3_column_int64(s, 4)});
  }
  sqlite3_finalize(s);
  return out;
}

RespondSummary respond(const RespondConfig& cfg, const std::vector<findings::Finding>& fs,
                       AuditLog* audit) {
  struct Task {
    const findings::Finding* f;
    const Action* a;
  };
  std::vector<Task> tasks;
  std::set<std::pair<std::string, std::string>> seen;  // one task per (finding id, action)
  for (const auto& f : fs) {
    if (f.archived) continue;  // suppressed findings never trigger actions
    for (const auto& a : cfg.actions) {
      if (a.when.matches(f) && seen.emplace(f.id, a.name).second) tasks.push_back({&f, &a});
    }
  }
  RespondSummary sum;
  sum.matched = tasks.size();
  std::atomic<std::size_t> next{0};
  std::atomic<uint64_t> ok{0}, failed{0}, dry{0}, done{0};
  auto work = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= tasks.size()) return;
      const Task& t = tasks[i];
      const std::string& id = t.f->id;
      const std::string& name = t.a->name;
      if (audit != nullptr && audit->done(id, name)) {
        ++done;
        audit->record(id, name, "skipped_done", "already delivered", wall_ms());
        continue;
      }
      if (!cfg.execute) {
        ++dry;
        std::string what;
        switch (t.a->kind) {
          case Action::Kind::kWebhook:
            what = "would POST to " + t.a->webhook.url;
            break;
          case Action::Kind::kCommand:
            what = "would run " + t.a->command.argv[0];
            break;
          case Action::Kind::kFile:
            what = "would append to " + t.a->file.path;
            break;
        }
        if (audit != nullptr) audit->record(id, name, "dry_run", what, wall_ms());
        continue;
      }
      Outcome o;
      const std::string json = finding_json(*t.f);
      switch (t.a->kind) {
        case Action::Kind::kWebhook:
          o = send_webhook(t.a->webhook, t.a->webhook.slack ? slack_body(*t.f) : json);
          break;
        case Action::Kind::kCommand:
          o = run_command(t.a->command, json + "\n");
          break;
        case Action::Kind::kFile:
          o = append_line(t.a->file, json);
          break;
      }
      (o.ok ? ok : failed)++;
      if (audit != nullptr) audit->record(id, name, o.ok ? "ok" : "failed", o.detail, wall_ms());
    }
  };
  const int n = std::max(1, std::min<int>(cfg.max_concurrent, static_cast<int>(tasks.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  sum.ok = ok;
  sum.failed = failed;
  sum.dry_run = dry;
  sum.already_done = done;
  return sum;
}

}  // namespace sentinel::respond
