#pragma once
/// The machinery every stateful operator shares: event-time ordering behind a watermark, the
/// capture of what an event leaves behind, and a bounded key table (LRU at a cap, TTL on event
/// time). Internal to src/detect/state; rules and the engine use stateful.h only.
///
/// How order independence is reached: an accepted event is reduced at once to an `Item` (time,
/// id, group key, the operator's values, a snapshot of the fields the rule's templates need) and
/// queued. Items are handed to the operator only once the watermark has passed them, in
/// (time, event id, key) order, so every operator sees the same sequence whatever order the files
/// were read in, as long as each event arrived before the watermark passed it.
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "detect/event_view.h"
#include "detect/state/key_table.h"
#include "detect/state/snapshot.h"
#include "detect/state/stateful.h"

namespace sentinel::detect::state {

/// Bytes `pack_strings` writes for `strs`: a 4-byte end offset per string, then their bytes.
inline std::size_t packed_size(const std::vector<std::string_view>& strs) {
  std::size_t total = 4 * strs.size();
  for (std::string_view s : strs) total += s.size();
  return total;
}

/// Writes `strs` at `dst` (packed_size(strs) bytes): the end offsets, then the bytes.
inline void pack_strings(const std::vector<std::string_view>& strs, char* dst) {
  char* ends = dst;
  char* bytes = ends + 4 * strs.size();
  uint32_t end = 0;
  for (std::string_view s : strs) {
    if (!s.empty()) std::memcpy(bytes + end, s.data(), s.size());
    end += static_cast<uint32_t>(s.size());
    std::memcpy(ends, &end, 4);
    ends += 4;
  }
}

/// The i-th of the `n` strings pack_strings wrote at `packed`.
inline std::string_view packed_string(const char* packed, std::size_t n, std::size_t i) {
  uint32_t begin = 0;
  uint32_t end;
  if (i > 0) std::memcpy(&begin, packed + 4 * (i - 1), 4);
  std::memcpy(&end, packed + 4 * i, 4);
  return std::string_view(packed + 4 * n + begin, end - begin);
}

/// The bytes pack_strings wrote at `packed` for `n` strings (their packed_size).
inline std::size_t packed_bytes(const char* packed, std::size_t n) {
  uint32_t end = 0;
  if (n > 0) std::memcpy(&end, packed + 4 * (n - 1), 4);
  return 4 * n + end;
}

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

/// a - b without overflow (clamped to the int64 range).
int64_t sat_sub(int64_t a, int64_t b);
/// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b);
/// "250ms", "90s", "10m", "1h30m", "2d".
std::string format_duration(int64_t ms);
/// Shortest round-trip text; integral values without a fraction.
std::string format_number(double v);

/// What the operator's extract() takes from an event besides time, id and key. Reused from
/// event to event (the strings keep their capacity): filling it does not allocate in the steady
/// state.
struct Extracted {
  uint32_t mask = 0;                 ///< sequence: which steps the event matched
  double number = 0;                 ///< volume: the summed field
  const EvalContext* ctx = nullptr;  ///< the engine's lists, for predicates (sequence steps)
  std::size_t nvalues = 0;
  std::vector<std::string> values;  ///< the first `nvalues` are this event's (distinct, features)
  /// The next value slot, cleared.
  std::string& add_value() {
    if (nvalues == values.size()) values.emplace_back();
    std::string& v = values[nvalues++];
    v.clear();
    return v;
  }
};

/// What one accepted event leaves behind, as the operator sees it when the watermark has passed
/// it: enough to decide and to report, never the view. The strings point into the operator's
/// capture arena and are valid during process() only; copy what must outlive it.
struct Capture {
  int64_t t = 0;
  std::string_view id;
  std::string_view key;
  uint32_t mask = 0;
  double number = 0;
  double severity = -1;  ///< the rule's severity cases on this event (< 0: none)
  std::size_t nvalues = 0;
  /// id, key, values..., snapshot fields... (aligned with OperatorBase's snapshot fields)
  std::vector<std::string_view> strs;
  std::string_view value(std::size_t i) const { return strs[2 + i]; }
  std::size_t nsnap() const { return strs.size() - 2 - nvalues; }
  std::string_view snap(std::size_t i) const { return strs[2 + nvalues + i]; }
};

/// The sample part of a hit, kept apart from the capture when an operator keeps the sample.
struct Sample {
  int64_t t = 0;
  std::string id;
  std::vector<std::string> snapshot;
  double severity = -1;  ///< Capture::severity
  static Sample of(const Capture& c) {
    Sample s{c.t, std::string(c.id), {}, c.severity};
    s.snapshot.reserve(c.nsnap());
    for (std::size_t i = 0; i < c.nsnap(); ++i) s.snapshot.emplace_back(c.snap(i));
    return s;
  }
  void save(SnapshotWriter& w) const;
  void restore(SnapshotReader& r);
};

void save_strings(SnapshotWriter& w, const std::vector<std::string>& v);
void restore_strings(SnapshotReader& r, std::vector<std::string>* v);

class OperatorBase : public StatefulOperator {
 public:
  /// `window_ms`: events older than the watermark minus this are late (counted, dropped).
  /// `rule` must outlive the operator.
  OperatorBase(const Rule& rule, int64_t window_ms);

  using StatefulOperator::on_match;
  void on_match(const EventView& ev, const EvalContext& ctx, StateSink& sink) final;
  void advance(int64_t watermark_ms, StateSink& sink) final;
  void finish(StateSink& sink) final;
  StateStats stats() const final;
  void save(std::string* out) const final;
  bool restore(std::string_view in, std::string* error) final;

 protected:
  /// The operator's own state (its key table and whatever it keeps beside it).
  virtual void save_keys(SnapshotWriter& w) const = 0;
  /// Reads what save_keys() wrote; failures are recorded in `r`.
  virtual void restore_keys(SnapshotReader& r) = 0;
  /// Fills the operator's part of the capture (values, mask, number) from the event; false
  /// skips the event. `x` comes cleared (nvalues 0, mask 0, number 0).
  virtual bool extract(const EventView& ev, Extracted* x) = 0;
  /// Whether the capture of an accepted event (its extract() result `x`, group key and time)
  /// can ever become a hit's sample. When it cannot, the sample fields and the severity cases
  /// are not evaluated for it (the capture has no snapshot, severity < 0). Only for what the
  /// operator can prove from the event and its present state; the default is yes.
  virtual bool wants_sample(const Extracted& /*x*/, std::string_view /*key*/, int64_t /*t*/) {
    return true;
  }
  /// Takes one capture into state. Called in (time, id, key) order, except for late-accepted
  /// ones.
  virtual void process(const Capture& c, StateSink& sink) = 0;
  /// Every item with a time before `now` has been processed: close what ends at or before it
  /// and expire idle keys.
  virtual void on_time(int64_t now, StateSink& sink) = 0;
  /// End of input, after every item was processed.
  virtual void on_finish(StateSink& /*sink*/) {}
  virtual uint64_t live_keys() const = 0;

  /// Fills the hit's sample members from `s` and calls the sink with a null view.
  void emit(StateHit* hit, const Sample& s, StateSink& sink);

  /// A deferred form: an operator may hold accepted captures itself, in a cheaper form than
  /// the queue, as long as the result is the same as queuing them. defer() is offered every
  /// accepted capture just before it would be queued (`strs` as the queue takes them: id, key,
  /// values, snapshot); true means the operator took it. An operator that defers must turn
  /// what it holds into the queued form (its key table and enqueue()) in undefer(), which the
  /// base calls before finish(), save() and restore(); deferred_stats() adds to stats() what
  /// the deferred form counts. Captures behind the frontier (t < frontier()) are processed at
  /// once in arrival order, so an operator that defers must undefer for them.
  virtual bool defer(int64_t /*t*/, double /*severity*/,
                     const std::vector<std::string_view>& /*strs*/) {
    return false;
  }
  virtual void undefer() {}
  /// finish() for what an operator holds deferred, when it can end it without the queue: takes
  /// every held capture as processed (as the final drain would, firing nothing) and moves the
  /// frontier where that drain would leave it (set_frontier); false: undefer and drain.
  virtual bool finish_deferred() { return false; }
  void set_frontier(int64_t now) { now_ = now; }
  virtual void deferred_stats(StateStats* /*s*/) const {}
  /// Every queued capture with a time before this has been processed (and on_time() called
  /// with it); captures accepted from now on have a time at or after it unless late-accepted.
  int64_t frontier() const { return now_; }
  /// Queues a capture (the strings copied into the arena); see Queued.
  void enqueue(int64_t t, uint32_t mask, double number, double severity,
               const std::vector<std::string_view>& strs, std::size_t nvalues);

  const Rule& rule_;
  const StatefulSpec& spec_;
  StateStats stats_;
  std::string scratch_;  ///< for KeyExpr::eval_text in extract()

 private:
  // A queued capture: fixed size, no strings of its own. Its strings (id, key, values,
  // snapshot) sit in `arena_` at `off` (logical offset, see arena_base_) as `nstr` uint32 end
  // offsets followed by the bytes. `id_prefix` is the id's first 8 bytes big-endian, so most
  // ties on time are broken without touching the arena.
  struct Queued {
    int64_t t;
    uint64_t id_prefix;
    uint64_t off;
    uint32_t nstr;
    uint32_t nvalues;
    uint32_t mask;
    double number;
    double severity;
  };
  int64_t watermark() const;
  void drain(int64_t limit, StateSink& sink);
  bool later(const Queued& a, const Queued& b) const;
  std::string_view str_of(const Queued& q, std::size_t i) const;
  void view(const Queued& q, Capture* c) const;
  /// Compacts the arena (enqueue() does when most of it is dead).
  void compact();

  int64_t window_ms_;
  int64_t max_seen_ = kMinTime;
  int64_t external_wm_ = kMinTime;
  int64_t now_ = kMinTime;
  bool finished_ = false;
  std::vector<Queued> heap_;  // min-heap on (t, id, key)
  std::string arena_;         // the queued captures' strings
  uint64_t arena_base_ = 0;   // logical offset of arena_[0]
  uint64_t live_bytes_ = 0;   // bytes of captures still queued
  std::vector<FieldRef> snapshot_fields_;
  Extracted extracted_;
  std::string key_buf_;
  std::string id_buf_;
  std::string fn_buf_;  // a key function's result
  std::vector<std::string> snap_bufs_;
  std::vector<std::string_view> strs_;
  Capture capture_;
};

/// The TTL an operator uses: spec.ttl_ms when set, else `fallback`.
inline int64_t ttl_or(const StatefulSpec& spec, int64_t fallback) {
  return spec.ttl_ms > 0 ? spec.ttl_ms : fallback;
}

/// `deferred`: false queues every capture from the start (tests compare both forms).
std::unique_ptr<StatefulOperator> make_threshold(const Rule& rule, bool deferred = true);
std::unique_ptr<StatefulOperator> make_distinct(const Rule& rule);
std::unique_ptr<StatefulOperator> make_first_seen(const Rule& rule);
std::unique_ptr<StatefulOperator> make_sequence(const Rule& rule);
std::unique_ptr<StatefulOperator> make_volume(const Rule& rule);

}  // namespace sentinel::detect::state
