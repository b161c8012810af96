// Response actions: webhooks against a loopback server (success, 500 then success, a hang),
// command hooks fed injection payloads (the argv never changes; the payload only travels on
// stdin), timeouts, the environment allow-list, criteria, dry run, and idempotent replays.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "respond/respond.h"

namespace sentinel::respond {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/sentinel-respond-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

findings::Finding finding(const std::string& id, const std::string& type, double severity) {
  findings::Finding f;
  f.id = id;
  f.type = type;
  f.severity = severity;
  f.title = "t";
  f.account_id = "111122223333";
  f.region = "us-east-1";
  f.resource_json =
      R"({"resourceType":"Instance","instanceDetails":{"instanceId":"i-0abc","tags":[{"key":"Environment","value":"prod"}]}})";
  return f;
}

// A loopback HTTP server on an ephemeral port, run on its own thread.
class Server {
 public:
  Server() {
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~Server() {
    srv_.stop();
    thread_.join();
  }
  httplib::Server& srv() { return srv_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
};

TEST(Webhook, PostsTheFindingAsJson) {
  Server s;
  std::string got, content_type;
  s.srv().Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    got = req.body;
    content_type = req.get_header_value("Content-Type");
    res.status = 200;
  });
  WebhookSpec w;
  w.url = s.url("/hook");
  findings::Finding f = finding("f1", "Recon:IAMUser/x", 5);
  Outcome o = send_webhook(w, finding_json(f));
  EXPECT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.attempts, 1);
  EXPECT_EQ(got, finding_json(f));
  EXPECT_EQ(content_type, "application/json");
}

TEST(Webhook, RetriesAfterA500) {
  Server s;
  std::atomic<int> calls{0};
  s.srv().Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    res.status = calls.fetch_add(1) == 0 ? 500 : 204;
  });
  WebhookSpec w;
  w.url = s.url("/hook");
  w.backoff_ms = 50;
  Outcome o = send_webhook(w, "{}");
  EXPECT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(calls.load(), 2);
}

TEST(Webhook, GivesUpOnAClientError) {
  Server s;
  std::atomic<int> calls{0};
  s.srv().Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 403;
  });
  WebhookSpec w;
  w.url = s.url("/hook");
  w.backoff_ms = 10;
  Outcome o = send_webhook(w, "{}");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(o.detail.find("HTTP 403"), std::string::npos) << o.detail;
}

TEST(Webhook, AHangingServerTimesOut) {
  Server s;
  s.srv().Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    res.status = 200;
  });
  WebhookSpec w;
  w.url = s.url("/hook");
  w.timeout_ms = 300;
  w.retries = 1;
  w.backoff_ms = 10;
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = send_webhook(w, "{}");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_NE(o.detail.find("Timeout"), std::string::npos) << o.detail;
}

TEST(Webhook, SlackBodyIsJsonText) {
  findings::Finding f = finding("f1", "UnauthorizedAccess:IAMUser/x", 8);
  f.title = "quote \" and\nnewline";
  std::string b = slack_body(f);
  YAML::Node n = YAML::Load(b);  // JSON is YAML: it parses back
  EXPECT_EQ(n["text"].as<std::string>().rfind("[High 8.0] UnauthorizedAccess:IAMUser/x: ", 0), 0u)
      << b;
}

// A hook that records its argv, its stdin and its environment in files beside it.
fs::path write_recorder(const fs::path& dir) {
  fs::path p = dir / "recorder.sh";
  std::ofstream f(p);
  f << "#!/bin/sh\n"
    << "d=$(dirname \"$0\")\n"
    << "printf '%s\\n' \"$#\" > \"$d/args\"\n"
    << "for a in \"$@\"; do printf '[%s]\\n' \"$a\" >> \"$d/args\"; done\n"
    << "cat > \"$d/stdin\"\n"
    << "env | sort > \"$d/env\"\n";
  f.close();
  chmod(p.c_str(), 0755);
  return p;
}

TEST(CommandHook, InjectionPayloadsNeverReachTheArgv) {
  TempDir t;
  fs::path hook = write_recorder(t.path);
  const fs::path marker = t.path / "pwned";
  const std::string payloads[] = {
      "; touch " + marker.string(),
      "$(touch " + marker.string() + ")",
      "`touch " + marker.string() + "`",
      "a\nb\r\nc",
      "--flag=--exec",
      "' \" \\ | & > < *",
  };
  for (const auto& p : payloads) {
    findings::Finding f = finding(p, p, 5);
    f.title = p;
    f.description = p;
    f.account_id = p;
    f.region = p;
    f.rule_id = p;
    f.evidence = {p};
    f.resource_json = "{\"resourceType\":\"AccessKey\",\"accessKeyDetails\":{\"userName\":\"\"}}";
    CommandSpec c;
    c.argv = {hook.string(), "--finding-on-stdin", "fixed arg"};
    Outcome o = run_command(c, finding_json(f) + "\n");
    ASSERT_TRUE(o.ok) << o.detail;
    EXPECT_EQ(slurp(t.path / "args"), "2\n[--finding-on-stdin]\n[fixed arg]\n");
    EXPECT_EQ(slurp(t.path / "stdin"), finding_json(f) + "\n");
    EXPECT_FALSE(fs::exists(marker)) << "payload was executed: " << p;
  }
}

TEST(CommandHook, EnvironmentIsTheAllowListOnly) {
  TempDir t;
  fs::path hook = write_recorder(t.path);
  setenv("SENTINEL_TEST_ALLOWED", "yes", 1);
  setenv("SENTINEL_TEST_SECRET", "no", 1);
  CommandSpec c;
  c.argv = {hook.string()};
  c.env = {"SENTINEL_TEST_ALLOWED", "PATH"};
  ASSERT_TRUE(run_command(c, "{}\n").ok);
  std::string env = slurp(t.path / "env");
  EXPECT_NE(env.find("SENTINEL_TEST_ALLOWED=yes"), std::string::npos) << env;
  EXPECT_EQ(env.find("SENTINEL_TEST_SECRET"), std::string::npos) << env;
}

TEST(CommandHook, TimeoutKillsTheHookAndWhatItStarted) {
  CommandSpec c;
  c.argv = {"/bin/sleep", "30"};
  c.timeout_ms = 200;
  auto t0 = std::chrono::steady_clock::now();
  Outcome o = run_command(c, "{}\n");
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.detail.find("timed out"), std::string::npos) << o.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(CommandHook, FailuresAreReported) {
  CommandSpec c;
  c.argv = {"/bin/false"};
  Outcome o = run_command(c, "{}\n");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.detail, "exit 1");
  c.argv = {"/nonexistent/hook"};
  o = run_command(c, "{}\n");
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.detail.find("cannot start"), std::string::npos) << o.detail;
  // A hook that does not read stdin (and a big stdin) must not hang or kill us.
  c.argv = {"/bin/true"};
  c.timeout_ms = 2000;
  o = run_command(c, std::string(1 << 20, 'x'));
  EXPECT_TRUE(o.ok) << o.detail;
}

TEST(Criteria, TypeSeverityAccountTag) {
  findings::Finding f = finding("f", "Recon:EC2/PortProbeUnprotectedPort", 5);
  Criteria c;
  EXPECT_TRUE(c.matches(f));
  c.types = {"Recon:*"};
  EXPECT_TRUE(c.matches(f));
  c.types = {"UnauthorizedAccess:*", "*PortProbe*"};
  EXPECT_TRUE(c.matches(f));
  c.types = {"Policy:*"};
  EXPECT_FALSE(c.matches(f));
  c.types.clear();
  c.min_severity = 5.1;
  EXPECT_FALSE(c.matches(f));
  c.min_severity = 5;
  EXPECT_TRUE(c.matches(f));
  c.accounts = {"999999999999"};
  EXPECT_FALSE(c.matches(f));
  c.accounts = {"111122223333"};
  c.tags = {{"Environment", "prod"}};
  EXPECT_TRUE(c.matches(f));
  c.tags = {{"Environment", "dev"}};
  EXPECT_FALSE(c.matches(f));
}

RespondConfig file_config(const fs::path& out, bool execute) {
  RespondConfig rc;
  rc.execute = execute;
  Action a;
  a.name = "log";
  a.kind = Action::Kind::kFile;
  a.file.path = out.string();
  a.when.min_severity = 4;
  rc.actions.push_back(a);
  return rc;
}

TEST(Respond, DryRunActsOnNothingButIsAudited) {
  TempDir t;
  std::string err;
  auto audit = AuditLog::open((t.path / "audit.db").string(), &err);
  ASSERT_TRUE(audit) << err;
  RespondSummary s = respond(file_config(t.path / "out.jsonl", false),
                             {finding("a", "X:Y/Z", 5), finding("b", "X:Y/Z", 2)}, audit.get());
  EXPECT_EQ(s.matched, 1u);
  EXPECT_EQ(s.dry_run, 1u);
  EXPECT_FALSE(fs::exists(t.path / "out.jsonl"));
  auto rows = audit->rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].outcome, "dry_run");
  EXPECT_EQ(rows[0].finding_id, "a");
}

TEST(Respond, ReplaysNeverActTwice) {
  TempDir t;
  std::string err;
  const std::string db = (t.path / "audit.db").string();
  std::vector<findings::Finding> fs1 = {finding("a", "X:Y/Z", 5), finding("c", "X:Y/Z", 9)};
  {
    auto audit = AuditLog::open(db, &err);
    RespondSummary s = respond(file_config(t.path / "out.jsonl", true), fs1, audit.get());
    EXPECT_EQ(s.ok, 2u);
  }
  {
    // A second run (a new process: reopen the table) over the same findings plus a new one.
    auto audit = AuditLog::open(db, &err);
    fs1.push_back(finding("d", "X:Y/Z", 6));
    fs1.push_back(finding("a", "X:Y/Z", 5));  // the same finding twice in one run
    RespondSummary s = respond(file_config(t.path / "out.jsonl", true), fs1, audit.get());
    EXPECT_EQ(s.ok, 1u);
    EXPECT_EQ(s.already_done, 2u);
  }
  std::string out = slurp(t.path / "out.jsonl");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(Respond, AFailedActionIsRetriedOnTheNextRun) {
  TempDir t;
  std::string err;
  auto audit = AuditLog::open((t.path / "audit.db").string(), &err);
  RespondConfig rc = file_config(t.path / "missing-dir" / "out.jsonl", true);
  std::vector<findings::Finding> fs1 = {finding("a", "X:Y/Z", 5)};
  EXPECT_EQ(respond(rc, fs1, audit.get()).failed, 1u);
  fs::create_directory(t.path / "missing-dir");
  EXPECT_EQ(respond(rc, fs1, audit.get()).ok, 1u);
  EXPECT_EQ(respond(rc, fs1, audit.get()).already_done, 1u);
}

TEST(Respond, ConcurrencyCapHoldsForHooks) {
  TempDir t;
  fs::path hook = t.path / "slow.sh";
  {
    std::ofstream f(hook);
    // Counts concurrent runs with mkdir as a lock-free probe: each run makes a dir, sleeps,
    // removes it; the max number seen at once is written down.
    f << "#!/bin/sh\nd=$(dirname \"$0\")\nmkdir -p \"$d/run.$$\"\n"
      << "n=$(ls -d \"$d\"/run.* | wc -l)\necho $n >> \"$d/seen\"\nsleep 0.3\n"
      << "rmdir \"$d/run.$$\"\ncat >/dev/null\n";
  }
  chmod(hook.c_str(), 0755);
  RespondConfig rc;
  rc.execute = true;
  rc.max_concurrent = 2;
  Action a;
  a.name = "hook";
  a.kind = Action::Kind::kCommand;
  a.command.argv = {hook.string()};
  rc.actions.push_back(a);
  std::vector<findings::Finding> fs1;
  for (int i = 0; i < 6; ++i) fs1.push_back(finding("f" + std::to_string(i), "X:Y/Z", 5));
  RespondSummary s = respond(rc, fs1, nullptr);
  EXPECT_EQ(s.ok, 6u);
  std::istringstream seen(slurp(t.path / "seen"));
  int n, max = 0;
  while (seen >> n) max = std::max(max, n);
  EXPECT_LE(max, 2);
  EXPECT_GE(max, 1);
}

TEST(RespondConfig, ErrorsNameTheKey) {
  auto errs = [](const std::string& yaml) {
    RespondConfig rc;
    std::vector<std::string> e;
    load_respond_config(YAML::Load(yaml), "s.yaml", "/base", &rc, &e);
    std::string all;
    for (const auto& x : e) all += x + "\n";
    return all;
  };
  EXPECT_EQ(errs("mode: yes"), "s.yaml: respond.mode: must be dry_run (the default) or execute\n");
  EXPECT_EQ(errs("actions: [{name: a, command: {argv: 'rm -rf /'}}]"),
            "s.yaml: respond.actions[0].command.argv: must be a non-empty list of strings (the "
            "program and its fixed arguments; no shell is involved)\n");
  EXPECT_EQ(errs("actions: [{name: a, webhook: {url: ftp://x}}]"),
            "s.yaml: respond.actions[0].webhook.url: must start with http:// or https://\n");
  EXPECT_EQ(errs("actions: [{name: a, file: x, webhook: {url: 'http://x'}}]"),
            "s.yaml: respond.actions[0]: needs exactly one of webhook, command, file\n");
  EXPECT_EQ(errs("actions: [{name: a, when: {min_severity: 11}, file: x}]"),
            "s.yaml: respond.actions[0].when.min_severity: must be a number from 0 to 10\n");
  EXPECT_EQ(errs("actions: [{name: a, file: x, bogus: 1}]"),
            "s.yaml: respond.actions[0].bogus: unknown key\n");
  RespondConfig rc;
  std::vector<std::string> e;
  ASSERT_TRUE(load_respond_config(
      YAML::Load("mode: execute\nactions: [{name: a, file: out.jsonl, when: {type: 'Recon:*'}}]"),
      "s.yaml", "/base", &rc, &e));
  EXPECT_TRUE(rc.execute);
  EXPECT_EQ(rc.actions[0].file.path, "/base/out.jsonl");
  EXPECT_EQ(rc.actions[0].when.types, std::vector<std::string>{"Recon:*"});
}

}  // namespace
}  // namespace sentinel::respond
