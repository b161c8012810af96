#include "cli/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "core/escape.h"
#include "core/limits.h"

namespace sentinel::cli {

namespace {

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t r = ::write(fd, s.data() + off, s.size() - off);
    if (r <= 0) return;  // stdout closed (e.g. piped into head): stop quietly
    off += static_cast<std::size_t>(r);
  }
}

}  // namespace

// Writes per-file outputs in input order. Workers block when they run too far ahead, so memory
// stays bounded by the window.
class OrderedOutput {
 public:
  explicit OrderedOutput(std::size_t window) : window_(window) {}

  void wait_turn(std::size_t index) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return index < next_ + window_; });
  }

  /// True when every input before `index` is written: input `index`'s text may go out at once.
  /// Stays true until put(index): only that call moves past it.
  bool is_next(std::size_t index) {
    std::unique_lock lock(mu_);
    return index == next_;
  }

  void put(std::size_t index, std::string text) {
    std::unique_lock lock(mu_);
    pending_.emplace(index, std::move(text));
    while (!pending_.empty() && pending_.begin()->first == next_) {
      std::string out = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      ++next_;
      write_all(1, out);
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::size_t, std::string> pending_;
  std::size_t next_ = 0;
  std::size_t window_;
};

void WorkerSink::write_piece_if_in_turn(std::string* text) {
  if (output_ == nullptr) return;
  if (!in_turn_) in_turn_ = output_->is_next(index_);
  if (!in_turn_) return;
  write_all(1, *text);
  text->clear();
}

std::vector<std::unique_ptr<WorkerSink>> run_inputs(
    const std::vector<ingest::Input>& inputs, const RunOptions& options,
    const std::function<std::unique_ptr<WorkerSink>(unsigned)>& make_sink) {
  unsigned threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(
      std::min<std::size_t>(threads, std::max<std::size_t>(1, inputs.size())));

  std::vector<std::unique_ptr<WorkerSink>> sinks;
  for (unsigned i = 0; i < threads; ++i) sinks.push_back(make_sink(i));

  std::atomic<std::size_t> next{0};
  OrderedOutput output(std::size_t{4} * threads);
  auto work = [&](unsigned t) {
    ingest::Reader reader(options.parse);
    WorkerSink& sink = *sinks[t];
    while (true) {
      std::size_t i = next.fetch_add(1);
      if (i >= inputs.size()) break;
      output.wait_turn(i);
      sink.set_output_turn(&output, i);
      ingest::FileReport rep = reader.read(inputs[i].path, sink);
      sink.on_file(inputs[i], rep);
      sink.set_output_turn(nullptr, 0);
      output.put(i, sink.take_output());
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  return sinks;
}

std::string format_reject(const Reject& r) {
  std::string s = "sentinel: ";
  append_terminal_safe(&s, r.where.path);
  if (r.where.line > 0) s += ":" + std::to_string(r.where.line);
  if (r.where.record >= 0) {
    s += " (record " + std::to_string(r.where.record) + ", byte " + std::to_string(r.where.offset) +
         ")";
  }
  s += ": ";
  s += reject_name(r.reason);
  if (!r.detail.empty()) {
    s += ": ";
    append_terminal_safe(&s, r.detail.substr(0, limits::kMaxRejectDetailBytes));
  }
  if (r.records > 1) s += " (" + std::to_string(r.records) + " records lost)";
  s += "\n";
  return s;
}

}  // namespace sentinel::cli
