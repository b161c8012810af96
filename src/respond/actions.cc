// The three action kinds: webhook (libcurl, loaded on first use: curl_api.h), command hook
// (posix_spawn, no shell), JSON-lines file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/json_writer.h"
#include "findings/formats/guardduty.h"
#include "respond/curl_api.h"
#include "respond/respond.h"

extern char** environ;

namespace sentinel::respond {

namespace {

// Bounds on what a hook may write back to us (kept for the audit detail and playbook tests).
constexpr std::size_t kMaxHookOutput = 64 * 1024;
// Time a hook gets between SIGTERM and SIGKILL after its timeout.
constexpr long kKillGraceMs = 1000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

}  // namespace

std::string finding_json(const findings::Finding& f) {
  std::string s;
  findings::write_guardduty(f, &s);
  return s;
}

std::string slack_body(const findings::Finding& f) {
  char sev[16];
  std::snprintf(sev, sizeof sev, "%.1f", f.severity);
  std::string text = std::string("[") + std::string(findings::severity_label(f.severity)) + " " +
                     sev + "] " + f.type + ": " + f.title;
  if (!f.account_id.empty()) text += " (account " + f.account_id;
  if (!f.region.empty()) text += (f.account_id.empty() ? " (" : ", ") + f.region;
  if (!f.account_id.empty() || !f.region.empty()) text += ")";
  text += " id " + f.id;
  std::string s;
  JsonWriter w(&s);
  w.begin_object();
  w.field("text", text);
  w.end_object();
  return s;
}

Outcome send_webhook(const WebhookSpec& spec, const std::string& body) {
  Outcome o;
  const CurlApi* curl = curl_api(&o.detail);
  if (curl == nullptr) return o;
  long backoff = spec.backoff_ms;
  for (int attempt = 0; attempt <= spec.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff *= 2;
    }
    ++o.attempts;
    CURL* c = curl->easy_init();
    if (c == nullptr) {
      o.detail = "curl_easy_init failed";
      continue;
    }
    curl_slist* headers = curl->slist_append(nullptr, "Content-Type: application/json");
    curl->easy_setopt(c, CURLOPT_URL, spec.url.c_str());
    curl->easy_setopt(c, CURLOPT_POST, 1L);
    curl->easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl->easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl->easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.timeout_ms));
    curl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(spec.timeout_ms));
    curl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
    curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl->easy_perform(c);
    long status = 0;
    curl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl->slist_free_all(headers);
    curl->easy_cleanup(c);
    if (rc != CURLE_OK) {
      o.detail =
          std::string("attempt ") + std::to_string(attempt + 1) + ": " + curl->easy_strerror(rc);
      continue;
    }
    if (status >= 200 && status < 300) {
      o.ok = true;
      o.detail = "HTTP " + std::to_string(status) + " after " + std::to_string(o.attempts) +
                 (o.attempts == 1 ? " attempt" : " attempts");
      return o;
    }
    o.detail = "attempt " + std::to_string(attempt + 1) + ": HTTP " + std::to_string(status);
    // A client error will not get better by sending the same body again (429 aside).
    if (status >= 400 && status < 500 && status != 429 && status != 408) return o;
  }
  return o;
}

Outcome run_command(const CommandSpec& spec, const std::string& input, std::string* output) {
  Outcome o;
  o.attempts = 1;
  if (spec.argv.empty()) {
    o.detail = "no command";
    return o;
  }
  // The environment is only what the allow-list names, from our own environment.
  std::vector<std::string> env_store;
  for (const auto& name : spec.env) {
    const char* v = std::getenv(name.c_str());
    if (v != nullptr) env_store.push_back(name + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store = spec.argv;
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    o.detail = std::string("pipe: ") + std::strerror(errno);
    return o;
  }
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    o.detail = std::string("pipe: ") + std::strerror(errno);
    return o;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills whatever it started too.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  pid_t pid = -1;
  int rc = spec.argv[0].find('/') != std::string::npos
               ? posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data())
               : posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    o.detail = "cannot start " + spec.argv[0] + ": " + std::strerror(rc);
    return o;
  }
  fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  // A hook that exits without reading stdin must not kill us with SIGPIPE: write with
  // MSG_NOSIGNAL is for sockets only, so block SIGPIPE in this thread for the duration.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  std::size_t written = 0;
  bool broken_pipe = false;
  int in_fd = in_pipe[1];
  int out_fd = out_pipe[0];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  std::string captured;
  const int64_t deadline = now_ms() + spec.timeout_ms;
  bool timed_out = false;
  int status = 0;
  bool exited = false;
  while (true) {
    pollfd fds[2];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    if (n == 0) {
      // Both pipes closed: wait for the exit, polling so the timeout still holds.
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 10)));
      continue;
    }
    int pr = poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<int64_t>(left, 100)));
    if (pr < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (fds[i].fd == in_fd && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
          broken_pipe = broken_pipe || errno == EPIPE;
          written = input.size();
        }
        if (written >= input.size()) {
          close(in_fd);
          in_fd = -1;
        }
      } else if (fds[i].fd == out_fd && (fds[i].revents & (POLLIN | POLLERR | POLLHUP))) {
        char buf[4096];
        ssize_t r = read(out_fd, buf, sizeof buf);
        if (r > 0) {
          if (captured.size() < kMaxHookOutput) {
            captured.append(buf, std::min<std::size_t>(static_cast<std::size_t>(r),
                                                       kMaxHookOutput - captured.size()));
          }
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          close(out_fd);
          out_fd = -1;
        }
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (broken_pipe) {
    // The EPIPE write left a SIGPIPE pending on this thread: take it before unblocking, or it
    // is delivered (and kills the process) the moment the old mask comes back.
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  if (timed_out) {
    kill(-pid, SIGTERM);
    const int64_t grace = now_ms() + kKillGraceMs;
    while (now_ms() < grace) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    o.detail = "timed out after " + std::to_string(spec.timeout_ms) + " ms; killed";
    if (output != nullptr) *output = std::move(captured);
    return o;
  }
  if (!exited) waitpid(pid, &status, 0);
  if (output != nullptr) *output = std::move(captured);
  if (WIFEXITED(status)) {
    o.ok = WEXITSTATUS(status) == 0;
    o.detail = "exit " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    o.detail = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return o;
}

Outcome append_line(const FileSpec& spec, const std::string& line) {
  Outcome o;
  o.attempts = 1;
  int fd = ::open(spec.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    o.detail = spec.path + ": " + std::strerror(errno);
    return o;
  }
  std::string data = line;
  data.push_back('\n');
  // One write() of the whole line: O_APPEND keeps concurrent lines whole.
  ssize_t w = write(fd, data.data(), data.size());
  if (w != static_cast<ssize_t>(data.size())) {
    o.detail = spec.path + ": short write: " + std::strerror(errno);
  } else if (fsync(fd) != 0) {
    o.detail = spec.path + ": fsync: " + std::strerror(errno);
  } else {
    o.ok = true;
    o.detail = "appended";
  }
  ::close(fd);
  return o;
}

}  // namespace sentinel::respond
