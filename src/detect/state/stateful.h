#pragma once
/// Stateful clauses: what turns a stream of matching events into findings over time. All run on
/// event time with an allowed lateness: an operator may only close a window once the watermark
/// (the largest event time seen, minus the lateness) has passed it, so files read in any order
/// give the same findings, byte for byte. Nothing reads the wall clock.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/event_view.h"
#include "detect/ir/predicate.h"

namespace sentinel::detect {

struct Rule;
struct StatefulSpec;
class FunctionRegistry;

/// A stateful key or value: a field path (`srcaddr`), or a named function of fields
/// (`{fn: {name: asn, args: [sourceIPAddress]}}`), wherever a stateful clause takes a field:
/// group_by, distinct.field, first_seen.features. A FieldRef converts to one (a field path);
/// for a call, the FieldRef part holds only `text`, the call as written (`asn(sourceIPAddress)`),
/// which names the value in findings, explanations and the rules fingerprint.
struct KeyExpr : FieldRef {
  std::string fn;                      ///< the function's name; empty: a field path
  std::vector<FieldRef> args;          ///< the call's arguments
  const Function* function = nullptr;  ///< bound by bind_stateful() (owned by the registry)

  KeyExpr() = default;
  KeyExpr(const FieldRef& f) : FieldRef(f) {}  // NOLINT: a field path is a key
  bool is_call() const { return !fn.empty(); }
  /// The value's text for this event into *out (empty when the field is missing or the function
  /// has no value); a call's result passes through *scratch. Neither allocates once their
  /// capacity suffices.
  void eval_text(const EventView& ev, std::string* out, std::string* scratch) const;
};

/// Binds the function calls among a stateful clause's keys to `reg`; false with *error naming
/// the function and the key when one is unknown or called with the wrong number of arguments.
bool bind_stateful(StatefulSpec* spec, const FunctionRegistry& reg, std::string* error);

/// What an operator reports when it fires: the engine turns it into a Finding with the rule's
/// templates (filled from `sample`, the event that completed the condition).
struct StateHit {
  std::string group_key;  ///< the values of the rule's group_by fields, joined
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  uint64_t count = 0;                 ///< matching events in the window
  std::vector<std::string> evidence;  ///< event ids (capped)
  uint64_t evidence_total = 0;
  std::string unusual_json;  ///< baselines: why it was unusual (JSON object), else empty
  /// The rule's severity evaluated on the sample event when it was matched (the rule's
  /// `severity.cases` against that event), or < 0 when the rule has no cases: the engine then
  /// uses the rule's default.
  double severity = -1;
  /// Extra values for templates: {count}, {distinct}, {window}, {value}, ...
  std::vector<std::pair<std::string, std::string>> vars;
  /// The event that completed the condition, captured when it was matched (operators decide on
  /// event time, after the watermark has passed, when that event's view no longer exists): its
  /// id, time, and the first_text of every field the rule's templates (title, description,
  /// resource, action) name plus `account` and `region`, keyed by FieldRef::text. The engine
  /// renders field placeholders from these when on_hit's `sample` is nullptr.
  std::string sample_id;
  int64_t sample_time_ms = 0;
  std::vector<std::pair<std::string, std::string>> sample_fields;
};

class StateSink {
 public:
  virtual ~StateSink() = default;
  /// Called when the clause fires. `sample` is the event that completed it (valid during the
  /// call only), or nullptr when the hit comes from advancing time (a window closing).
  virtual void on_hit(const Rule& rule, const StateHit& hit, const EventView* sample) = 0;
};

/// Counters every operator keeps for reporting.
struct StateStats {
  uint64_t keys = 0;            ///< live group keys
  uint64_t evictions = 0;       ///< keys dropped by the cap (LRU) or TTL
  uint64_t late_events = 0;     ///< events older than the watermark allowed (counted, not used)
  uint64_t no_time_events = 0;  ///< events without an event time (counted, not used)
  uint64_t late_accepted = 0;   ///< behind the watermark but within the window: used, best effort
  uint64_t cap_evictions = 0;   ///< the part of `evictions` due to max_keys (the rest is TTL)
  uint64_t events = 0;          ///< events taken into state
  uint64_t hits = 0;            ///< on_hit calls
};

/// One per (rule, thread). Not thread-safe.
class StatefulOperator {
 public:
  virtual ~StatefulOperator() = default;
  /// An event that matched the rule's predicate. `ctx` gives the named lists the engine
  /// evaluates with (sequence steps and severity cases may use `in_list`).
  virtual void on_match(const EventView& ev, const EvalContext& ctx, StateSink& sink) = 0;
  /// The same without named lists.
  void on_match(const EventView& ev, StateSink& sink) { on_match(ev, EvalContext{}, sink); }
  /// Event time moved on: close what the watermark has passed.
  virtual void advance(int64_t watermark_ms, StateSink& sink) = 0;
  /// End of input: close everything.
  virtual void finish(StateSink& sink) = 0;
  virtual StateStats stats() const = 0;
  /// Appends the operator's whole state to *out: what is queued behind the watermark, the
  /// watermark and processed frontier, every key's state with its LRU position and last use, and
  /// the counters. Engine::save_state frames it; the bytes are only meaningful to restore() of
  /// an operator built from the same rule.
  virtual void save(std::string* out) const = 0;
  /// Replaces the state with one save() wrote. False with *error on malformed bytes; the
  /// operator's state is then unspecified (the engine restores into fresh operators and swaps
  /// them in only when every part succeeded).
  virtual bool restore(std::string_view in, std::string* error) = 0;
};

/// The stateful clause of a rule, as loaded.
struct StatefulSpec {
  enum class Kind : uint8_t { kNone, kThreshold, kDistinct, kFirstSeen, kSequence, kVolume };
  Kind kind = Kind::kNone;
  std::vector<KeyExpr> group_by;
  int64_t window_ms = 0;
  int64_t lateness_ms = 15 * 60 * 1000;
  uint64_t threshold = 1;  ///< threshold: ≥ N matches; distinct: ≥ N distinct values
  KeyExpr distinct_field;  ///< distinct
  /// first-seen: the feature fields whose combination is learnt per entity (group_by), the
  /// learning period, and how rare counts as rare.
  std::vector<KeyExpr> features;
  int64_t learning_ms = 0;
  double rare_fraction = 0.01;
  /// sequence: the steps (each a predicate), in order, by the same group key within window.
  std::vector<Predicate> steps;
  std::vector<std::string> step_names;
  /// volume: the numeric field summed per key per interval, and the model's parameters.
  FieldRef volume_field;
  int64_t interval_ms = 0;
  double z_threshold = 6.0;
  uint32_t warmup_intervals = 24;
  uint32_t history_intervals = 24;  ///< volume: K, the closed bucket sums the model keeps per key
  double min_volume = 0;            ///< volume: a bucket must also exceed this absolute floor
  /// first-seen: at most this many feature combinations (and values per feature) kept per
  /// entity, least recently seen dropped first.
  uint32_t max_combinations = 256;
  /// Bounded state: at most this many keys (LRU eviction), and keys idle this long expire.
  uint64_t max_keys = 100000;
  int64_t ttl_ms = 0;  ///< 0: window × 2 (or the learning period for baselines)
};

/// Creates the operator for `rule.stateful` (nullptr for kNone).
std::unique_ptr<StatefulOperator> make_operator(const Rule& rule);

}  // namespace sentinel::detect
