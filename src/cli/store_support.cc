#include "cli/store_support.h"
#include "ingest/reader.h"
#include "store/sqlite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "cli/detect_support.h"
#include "core/escape.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "store/batch.h"

namespace sentinel::cli {

namespace {

using Clock = std::chrono::steady_clock;

// Rejects printed per file; the rest are counted (and summarised by the stats).
constexpr std::size_t kMaxRejectLinesPerFile = 20;
// A transaction closes after this many events or this long, whichever comes first.
constexpr uint64_t kTxnEvents = 200000;
constexpr double kTxnSeconds = 2.0;

// Standard input, whole: it cannot be hashed and then read again.
bool read_stdin(std::string* out, std::string* error) {
  out->clear();
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = "read error: " + std::string(std::strerror(errno));
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

// One reader thread's sink: builds the batch, counts, optionally feeds the engine.
class StoreSink : public ingest::EventSink {
 public:
  StoreSink(int level, int flow_level, detect::Engine* engine)
      : builder_(level, flow_level),
        detect_(engine ? std::make_unique<DetectSink>(engine, /*print_rejects=*/false) : nullptr) {}

  void begin(store::FileBatch* b) {
    batch_ = b;
    builder_.begin(b);
    reject_lines_ = 0;
  }
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    builder_.on_cloudtrail(e);
    stats.add_event(e.meta, e.event_source);
    if (detect_) detect_->on_cloudtrail(e);
  }
  void on_flow(const ingest::FlowRecord& f) override {
    builder_.on_flow(f);
    stats.add_event(f.meta, {});
    if (detect_) detect_->on_flow(f);
  }
  void on_dns(const ingest::DnsQuery& q) override {
    builder_.on_dns(q);
    stats.add_event(q.meta, {});
    if (detect_) detect_->on_dns(q);
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    builder_.on_guardduty(g);
    stats.add_event(g.meta, g.type);
    if (detect_) detect_->on_guardduty(g);
  }
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_gzip_file(std::string_view delivered, std::string_view inflated) override {
    builder_.on_gzip_file(delivered, inflated);
  }
  void on_reject(const Reject& r) override {
    builder_.on_reject(r);
    stats.add_reject(r);
    if (reject_lines_++ < kMaxRejectLinesPerFile) batch_messages_ += format_reject(r);
  }
  void finish_file(const ingest::Input& in, const ingest::FileReport& rep) {
    builder_.finish();
    stats.add_file(in, rep);
    if (detect_) detect_->on_file(in, rep);
    if (reject_lines_ > kMaxRejectLinesPerFile) {
      batch_messages_ += "sentinel: ";
      append_terminal_safe(&batch_messages_, in.path);
      batch_messages_ += ": " + std::to_string(reject_lines_ - kMaxRejectLinesPerFile) +
                         " more rejects not shown\n";
    }
  }
  std::string take_messages() { return std::move(batch_messages_); }

  Stats stats;

 private:
  store::BatchBuilder builder_;
  std::unique_ptr<DetectSink> detect_;
  store::FileBatch* batch_ = nullptr;
  std::size_t reject_lines_ = 0;
  std::string batch_messages_;
};

// A file's result handed from a reader to the writer.
struct Item {
  std::unique_ptr<store::FileBatch> batch;  // null: skipped (content already stored)
  std::string messages;                     // reject lines, printed in input order
  std::string snapshot;                     // engine state after this file (analyze)
  bool has_snapshot = false;
  bool skipped = false;  // content already stored
  uint64_t bytes = 0;
};

class Handoff {
 public:
  explicit Handoff(std::size_t window) : window_(window) {}
  void wait_turn(std::size_t i) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return i < next_ + window_ || stop_; });
  }
  void put(std::size_t i, Item item) {
    std::unique_lock l(mu_);
    ready_.emplace(i, std::move(item));
    cv_.notify_all();
  }
  // Waits for item `i`; false when stopped.
  bool take(std::size_t i, Item* out) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return ready_.count(i) != 0 || stop_; });
    if (stop_ && ready_.count(i) == 0) return false;
    *out = std::move(ready_[i]);
    ready_.erase(i);
    next_ = i + 1;
    cv_.notify_all();
    return true;
  }
  void stop() {
    std::unique_lock l(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  bool stopped() {
    std::unique_lock l(mu_);
    return stop_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::size_t, Item> ready_;
  std::size_t next_ = 0;
  std::size_t window_;
  bool stop_ = false;
};

std::string rate(double n) {
  char b[32];
  if (n >= 1e6) {
    std::snprintf(b, sizeof b, "%.2fM", n / 1e6);
  } else if (n >= 1e3) {
    std::snprintf(b, sizeof b, "%.0fk", n / 1e3);
  } else {
    std::snprintf(b, sizeof b, "%.0f", n);
  }
  return b;
}

}  // namespace

IngestOutcome ingest_inputs(store::Store& st, const std::vector<ingest::Input>& inputs,
                            const IngestSettings& settings,
                            const std::function<bool(store::Writer&)>& finish_txn) {
  IngestOutcome out;
  out.files_total = inputs.size();
  const auto start = Clock::now();
  store::Writer writer(&st);
  if (!writer.ok()) {
    out.ok = false;
    out.error = writer.error();
    return out;
  }
  // Checkpoints on a thread of their own while this one writes (store/sqlite.h).
  store::WalCheckpointer checkpointer(st.db(), st.path());
  unsigned threads = settings.run.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (settings.engine != nullptr) threads = 1;  // stateful rules need file order
  threads = static_cast<unsigned>(
      std::min<std::size_t>(threads, std::max<std::size_t>(1, inputs.size())));

  std::vector<uint64_t> sizes(inputs.size(), 0);
  uint64_t total_bytes = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    struct stat sb {};
    if (!inputs[i].is_stdin && ::stat(inputs[i].path.c_str(), &sb) == 0) {
      sizes[i] = static_cast<uint64_t>(sb.st_size);
      total_bytes += sizes[i];
    }
  }
  // What the readers may skip without parsing: the contents stored before this run. (The
  // writer's own set changes as it writes; it checks again before adding.)
  std::unordered_set<std::string> stored_hashes;
  store::Stmt hs(st.db(), "SELECT sha256 FROM files", nullptr);
  while (hs.ok() && hs.step() == SQLITE_ROW) stored_hashes.insert(std::string(hs.col_blob(0)));

  const std::string fingerprint =
      settings.engine != nullptr ? settings.engine->rules_fingerprint() : std::string();
  Handoff handoff(std::size_t{4} * threads);
  std::atomic<std::size_t> next{0};
  std::atomic<uint64_t> events_read{0};
  std::vector<std::unique_ptr<StoreSink>> sinks;
  for (unsigned t = 0; t < threads; ++t) {
    sinks.push_back(std::make_unique<StoreSink>(
        settings.store.compression_level, settings.store.flow_compression_level, settings.engine));
  }
  auto work = [&](unsigned t) {
    ingest::Reader reader(settings.run.parse);
    StoreSink& sink = *sinks[t];
    std::string bytes;
    auto last_snapshot = Clock::now();
    uint64_t since_snapshot = 0;
    while (true) {
      std::size_t i = next.fetch_add(1);
      if (i >= inputs.size()) break;
      handoff.wait_turn(i);
      if (handoff.stopped()) break;
      const ingest::Input& in = inputs[i];
      Item item;
      std::string error;
      // A file is hashed in pieces, then parsed through the reader's own mapping (whose
      // consumed pages it releases), so memory does not grow with the file; standard input
      // has to be held whole.
      std::string sha;
      uint64_t size = 0;
      const bool got = in.is_stdin ? read_stdin(&bytes, &error)
                                   : store::sha256_file(in.path, &sha, &size, &error);
      if (!got) {
        // An unreadable file is a reject of its own; nothing is stored for it.
        Reject r{SourceRef{in.path, -1, 0, 0}, RejectReason::kIoError, error, 0};
        sink.stats.add_reject(r);
        ingest::FileReport rep;
        sink.stats.add_file(in, rep);
        item.messages = format_reject(r);
        handoff.put(i, std::move(item));
        continue;
      }
      if (in.is_stdin) {
        size = bytes.size();
        sha = store::sha256(bytes);
      }
      item.bytes = size;
      if (stored_hashes.count(sha) != 0) {
        item.skipped = true;
        handoff.put(i, std::move(item));
        continue;
      }
      auto batch = std::make_unique<store::FileBatch>();
      batch->path = in.path;
      batch->size = size;
      batch->sha256 = std::move(sha);
      sink.begin(batch.get());
      ingest::FileReport rep =
          in.is_stdin ? reader.read_bytes(in.path, bytes, sink) : reader.read(in.path, sink);
      sink.finish_file(in, rep);
      batch->type = rep.type;
      batch->readable = rep.readable;
      item.messages = sink.take_messages();
      events_read += batch->events();
      since_snapshot += batch->events();
      item.batch = std::move(batch);
      if (settings.engine != nullptr) {
        // The engine's state goes into the transaction that holds the files it has seen: a
        // killed run resumes from a state that matches what is stored.
        const bool last = i + 1 == inputs.size();
        if (last || since_snapshot >= kTxnEvents ||
            std::chrono::duration<double>(Clock::now() - last_snapshot).count() > kTxnSeconds) {
          item.snapshot = settings.engine->save_state();
          item.has_snapshot = true;
          since_snapshot = 0;
          last_snapshot = Clock::now();
        }
      }
      handoff.put(i, std::move(item));
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);

  // The writer: this thread, in input order.
  bool in_txn = false;
  uint64_t txn_events = 0;
  auto txn_start = Clock::now();
  auto last_progress = Clock::now();
  uint64_t bytes_done = 0;
  const bool with_engine = settings.engine != nullptr;
  auto fail = [&](const std::string& e) {
    out.ok = false;
    out.error = e;
    if (in_txn) writer.rollback();
    in_txn = false;
    handoff.stop();
  };
  for (std::size_t i = 0; i < inputs.size() && out.ok; ++i) {
    Item item;
    if (!handoff.take(i, &item)) break;
    if (!item.messages.empty()) std::fwrite(item.messages.data(), 1, item.messages.size(), stderr);
    bytes_done += item.bytes;
    if (item.skipped || (item.batch != nullptr && writer.has_content(item.batch->sha256))) {
      ++out.files_unchanged;
    } else if (item.batch == nullptr) {
      // unreadable: reported above, nothing to store
    } else if (item.batch->readable || item.batch->events() > 0) {
      if (!in_txn) {
        if (!writer.begin()) {
          fail(writer.error());
          break;
        }
        in_txn = true;
        txn_start = Clock::now();
        txn_events = 0;
      }
      if (!writer.add(*item.batch, &out.written)) {
        fail(writer.error());
        break;
      }
      txn_events += item.batch->events();
    }
    const bool last = i + 1 == inputs.size();
    bool commit_now =
        in_txn &&
        (last || (with_engine ? item.has_snapshot
                              : (txn_events >= kTxnEvents ||
                                 std::chrono::duration<double>(Clock::now() - txn_start).count() >
                                     kTxnSeconds)));
    if (with_engine && item.has_snapshot && !in_txn && !last) {
      // Nothing new to store, but the engine moved: keep its state with the rest.
      if (!writer.begin()) {
        fail(writer.error());
        break;
      }
      in_txn = true;
      commit_now = true;
    }
    if (commit_now && !last) {
      if (with_engine && item.has_snapshot &&
          !writer.put_engine_state(fingerprint, item.snapshot)) {
        fail(writer.error());
        break;
      }
      if (!writer.commit()) {
        fail(writer.error());
        break;
      }
      in_txn = false;
    }
    if (settings.progress) {
      auto now = Clock::now();
      if (std::chrono::duration<double>(now - last_progress).count() > 0.5 || last) {
        last_progress = now;
        double secs = std::chrono::duration<double>(now - start).count();
        double ev = static_cast<double>(events_read.load());
        std::string eta = "?";
        if (bytes_done > 0 && total_bytes > bytes_done) {
          double left = secs * static_cast<double>(total_bytes - bytes_done) /
                        static_cast<double>(bytes_done);
          eta = std::to_string(static_cast<long long>(left + 0.5)) + "s";
        } else if (total_bytes <= bytes_done) {
          eta = "0s";
        }
        std::fprintf(stderr, "\r\x1b[Kingest: %zu/%zu files, %s events, %s events/s, ETA %s", i + 1,
                     inputs.size(), with_commas(static_cast<uint64_t>(ev)).c_str(),
                     rate(secs > 0 ? ev / secs : 0).c_str(), eta.c_str());
        if (last) std::fputc('\n', stderr);
      }
    }
  }
  for (auto& th : pool) th.join();
  if (out.ok && (finish_txn || in_txn)) {
    if (!in_txn) {
      if (!writer.begin()) fail(writer.error());
      in_txn = out.ok;
    }
    if (out.ok && finish_txn && !finish_txn(writer)) fail(writer.error());
    if (out.ok && !writer.commit()) fail(writer.error());
  }
  for (auto& s : sinks) out.stats.merge(s->stats);
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

bool store_options_from_config(const config::Config& cfg, store::StoreOptions* out,
                               std::string* db_path, std::vector<std::string>* errors) {
  YAML::Node n = config::section(cfg, "store");
  if (!n || n.IsNull()) return true;
  const std::string where =
      (cfg.path.empty() ? std::string("sentinel.yaml") : cfg.path) + ": store";
  if (!n.IsMap()) {
    errors->push_back(where + ": must be a mapping (db, compression_level, cache_mb)");
    return false;
  }
  bool ok = true;
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    try {
      if (key == "db") {
        *db_path = config::resolve_path(cfg, v.as<std::string>());
      } else if (key == "compression_level") {
        int l = v.as<int>();
        if (l < 1 || l > 12) throw YAML::Exception(YAML::Mark(), "not in 1..12");
        out->compression_level = l;
      } else if (key == "flow_compression_level") {
        int l = v.as<int>();
        if (l < 1 || l > 12) throw YAML::Exception(YAML::Mark(), "not in 1..12");
        out->flow_compression_level = l;
      } else if (key == "cache_mb") {
        int m = v.as<int>();
        if (m < 1 || m > 65536) throw YAML::Exception(YAML::Mark(), "not in 1..65536");
        out->cache_mb = m;
      } else {
        errors->push_back(
            where + "." + key +
            ": unknown key (db, compression_level, flow_compression_level, cache_mb)");
        ok = false;
      }
    } catch (const YAML::Exception& e) {
      errors->push_back(where + "." + key + ": bad value (" + e.msg + ")");
      ok = false;
    }
  }
  return ok;
}

std::string ingest_report(const IngestOutcome& o, const std::string& db) {
  std::string s = "Stored " + with_commas(o.written.events) + " new events";
  if (o.written.flow_records > 0) {
    s += " (" + with_commas(o.written.flow_records) + " flow records)";
  }
  s += " from " + with_commas(o.written.files) + " files into ";
  append_terminal_safe(&s, db);
  char buf[64];
  std::snprintf(buf, sizeof buf, " in %.2f s", o.seconds);
  s += buf;
  if (o.seconds > 0 && o.written.events > 0) {
    s += " (" + rate(static_cast<double>(o.written.events) / o.seconds) + " events/s)";
  }
  s += "\n";
  if (o.files_unchanged > 0 || o.written.duplicates > 0) {
    s += "Already stored: " + with_commas(o.files_unchanged) + " unchanged files, " +
         with_commas(o.written.duplicates) + " duplicate events\n";
  }
  if (o.stats.rejects() > 0) {
    s += "Rejected: " + with_commas(o.stats.rejects()) +
         " records or files (see above; `sentinel stats PATH` lists them by reason)\n";
  }
  return s;
}

bool parse_duration_ms(std::string_view s, int64_t* ms) {
  if (s.size() < 2) return false;
  int64_t n = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || n > 1000000000) return false;
    n = n * 10 + (s[i] - '0');
  }
  int64_t unit = 0;
  switch (s.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60 * 1000;
      break;
    case 'h':
      unit = 3600 * 1000;
      break;
    case 'd':
      unit = 86400 * 1000;
      break;
    case 'w':
      unit = 7 * 86400 * 1000LL;
      break;
    default:
      return false;
  }
  *ms = n * unit;
  return true;
}

bool replay_store(const std::string& path, ingest::EventSink* sink, std::string* error) {
  auto st = store::Store::open(path, store::OpenMode::kReadOnly);
  if (!st.ok()) {
    *error = path + ": " + st.error().message;
    return false;
  }
  struct Table {
    const char* sql;
    ingest::LogType type;
  };
  const Table tables[] = {
      {"SELECT raw FROM ct_events ORDER BY time, id", ingest::LogType::kCloudTrail},
      {"SELECT raw FROM dns_events ORDER BY time, id", ingest::LogType::kRoute53},
      {"SELECT raw FROM gd_findings ORDER BY id", ingest::LogType::kGuardDuty},
  };
  for (const auto& t : tables) {
    std::string err;
    store::Stmt s((*st)->db(), t.sql, &err);
    if (!s.ok()) {
      *error = path + ": " + err;
      return false;
    }
    ingest::ParseOptions po;
    po.forced_type = t.type;
    ingest::Reader reader(po);
    std::string raw;
    std::string name = path + ":" + std::string(ingest::log_type_name(t.type));
    while (s.step() == SQLITE_ROW) {
      if (!(*st)->raw_record(s.col_int(0), &raw)) continue;
      reader.read_bytes(name, raw, *sink);
    }
  }
  return true;
}

}  // namespace sentinel::cli
