#pragma once
/// The detection engine: rules indexed by (log type, eventName) so an event meets only the rules
/// that can match it; stateless matches become findings at once, stateful ones go through their
/// operator; findings fold by id (GuardDuty's aggregation) and come out in a deterministic order.
/// One engine per thread of events; not thread-safe.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/event_view.h"
#include "detect/ir/flat_match.h"
#include "detect/ir/literal_set.h"
#include "detect/ir/predicate.h"
#include "detect/rules/rule.h"
#include "detect/state/stateful.h"
#include "findings/aggregator.h"
#include "findings/finding.h"

namespace re2 {
class RE2;
}

namespace sentinel::detect {

class FunctionRegistry;

/// Rules that cannot be indexed by eventName but require a string test on one field (a user
/// agent containing "kali", a query name ending in ".onion") share one pass over that field: all
/// their literals go into one RE2::Set per (log type, field, case), matched once per event, and
/// only the rules whose literal matched are evaluated.
struct FieldPrefilter {
  FieldRef field;
  bool case_insensitive = false;
  /// Plain literals (equals, starts/ends with, contains) go in a LiteralSet (a bigram scan);
  /// when any pattern is a glob, all of them go in one RE2::Set instead.
  std::shared_ptr<LiteralSet> literals;
  std::shared_ptr<void> set;                            ///< re2::RE2::Set (opaque here), or null
  std::vector<std::pair<CmpOp, std::string>> patterns;  ///< as added, until compiled
  std::vector<uint32_t> pattern_rule;                   ///< pattern index → rule index
};

/// The rules a prefilter found for a value's text, kept for the few texts that repeat from
/// event to event (user agents: 179 distinct among 60 000 events of the bench file). Direct
/// mapped by the text's length and three of its 8-byte words; a slot answers only for its whole
/// text (compared byte for byte), so a collision costs a scan, never an answer.
struct PrefilterMemo {
  static constexpr unsigned kSlotBits = 9;  ///< 512 slots: the bench's 179 agents, few conflicts
  static constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;
  static constexpr std::size_t kMaxText = 512;  ///< longer texts are scanned every time
  struct Slot {
    std::string text;
    std::vector<uint32_t> rules;
    bool used = false;
  };
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  static std::size_t slot_of(std::string_view text);
};

struct EngineOptions {
  const NamedLists* lists = nullptr;            ///< threat/trusted/custom lists (may be null)
  const FunctionRegistry* functions = nullptr;  ///< null: the built-in functions
};

struct EngineStats {
  uint64_t events = 0;
  uint64_t evaluations = 0;      ///< rule predicates evaluated
  uint64_t prefilter_scans = 0;  ///< field values matched against a prefilter set
  uint64_t matches = 0;
  uint64_t findings_raised = 0;  ///< before aggregation
  uint64_t state_evictions = 0;  ///< keys dropped at a rule's max_keys cap (not TTL expiry)
  uint64_t state_expired = 0;    ///< keys dropped after their TTL (idle)
  uint64_t state_keys = 0;       ///< live keys over all stateful rules
  uint64_t late_events = 0;
};

/// Rules that require a field to equal one of some numbers (`dstport: 22`, `protocol: 17`):
/// one hash lookup per event finds the rules whose number it is.
struct NumberIndex {
  FieldRef field;
  std::unordered_map<double, std::vector<uint32_t>> rules;
};

class Engine : private StateSink {
 public:
  /// Builds the engine. Rules whose functions cannot be bound are dropped with a message in
  /// *errors (naming the rule and the function).
  Engine(std::vector<Rule> rules, const EngineOptions& options, std::vector<std::string>* errors);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void on_event(const EventView& ev);
  /// Between input objects (files): lets stateful windows close up to each log type's event
  /// time less the rule's lateness.
  void end_of_input_object();
  /// End of input: closes every stateful window.
  void finish();
  /// The aggregated findings, deterministic order. Call after finish().
  std::vector<findings::Finding> take_findings();

  const std::vector<Rule>& rules() const { return rules_; }
  EngineStats stats() const;
  /// Each stateful rule's state counters (live keys, evictions at the cap and by TTL, late
  /// events), in rule order: what `sentinel detect` reports per rule.
  std::vector<std::pair<const Rule*, StateStats>> state_stats() const;

  // ---- State snapshots ------------------------------------------------------------------
  // A run split in parts (`sentinel analyze` day by day) gives the same findings as one run when
  // each part ends with save_state() and the next begins with restore_state() on an engine built
  // from the same rules:
  //
  //   Engine a(rules, opts, &errs);  ...a.on_event()/end_of_input_object() over day 1...
  //   std::string snap = a.save_state();          // do NOT call finish() before saving
  //   Engine b(rules, opts, &errs);  if (!b.restore_state(snap, &err)) { ...refuse... }
  //   ...b.on_event()/end_of_input_object() over day 2...;  b.finish();  b.take_findings();
  //
  // gives byte-identical findings (and EngineStats) to one engine over days 1 and 2, for every
  // stateful kind, provided the days' events respect the lateness guarantee of docs/stateful.md
  // (day 2 holds nothing older than day 1's newest event minus the lateness). The snapshot holds
  // everything that decides later output: every stateful operator's queue behind the
  // watermark, watermarks and processed frontier, key tables (state, LRU order, last use),
  // baselines, counters; the engine's per-log-type event times; and the aggregator's folded
  // findings not yet taken. Call it between input objects (after end_of_input_object()).
  //
  // If take_findings() is called before save_state(), the snapshot holds no findings and the
  // next part's take_findings() returns only findings raised in that part; a finding id that
  // appears in both parts must then be folded by the caller with Finding::merge (same id = same
  // finding). Without take_findings() before saving, the last part returns them all folded.
  //
  // Format (docs/stateful.md): the magic "sentinel-detect-state", a format version, the rule
  // set fingerprint, the engine part, one length-prefixed part per rule, the findings, and a
  // SHA-256 of all that. Deterministic: the same state gives the same bytes.

  /// All detection state as bytes (see above). Does not change the engine.
  std::string save_state() const;
  /// Replaces this engine's state with a snapshot. Refused (false, *error says why, the engine
  /// unchanged) when the bytes are not a snapshot, are corrupt or truncated (checksum), come
  /// from another format version, or were taken with another rule set (fingerprint mismatch).
  bool restore_state(std::string_view snapshot, std::string* error);
  /// The rule set's fingerprint (64 hex characters: SHA-256 over every loaded rule's id, match,
  /// stateful clause, templates, severity, tags, in load order). Snapshots carry it.
  std::string rules_fingerprint() const;

 private:
  void on_hit(const Rule& rule, const StateHit& hit, const EventView* sample) override;
  /// Builds and aggregates a finding. `resource`/`action`, when given, are the already rendered
  /// templates (moved from).
  void raise(const Rule& rule, const EventView* ev, const std::string& group_key,
             const StateHit* hit, std::string* resource = nullptr, std::string* action = nullptr);
  /// Evaluates rule `rule_index`'s whole compiled match. `ctx` is the event's (on_event builds
  /// it once: the lists and memo it points to are the engine's).
  void evaluate(uint32_t rule_index, const EventView& ev, const EvalContext& ctx);
  /// Gives the compiled comparisons that more than one rule makes alike a memo slot.
  void assign_memo_slots();
  /// Evaluates tests [first, first + n) of flat_ as rule `rule_index`'s predicate (its compiled
  /// form, or that form less the eventName conjunct the index already decided).
  void evaluate_flat(uint32_t rule_index, uint32_t first, uint32_t n, const EventView& ev,
                     const EvalContext& ctx);
  /// What a match of rule `rule_index` does: its stateful operator, or a finding.
  void on_rule_match(uint32_t rule_index, const EventView& ev, const EvalContext& ctx);

  /// What the engine evaluates for a rule: its match with cheap, selective conjuncts first and
  /// long equality lists in hash sets, and, for rules the eventName index places, the same less
  /// its top-level `eventName` equality (which the index lookup decides exactly for CloudTrail
  /// events that are not Insights: `name_ci ? lowercased name : name` in `names`). The rule's
  /// own `match` stays as written (fingerprints, `rules show`).
  struct Compiled {
    Predicate match;
    Predicate reduced;
    bool has_name_conjunct = false;
    bool name_ci = false;
    std::vector<std::string> names;
    /// `match` as flat tests: [flat_first, flat_first + flat_count) of flat_.
    uint32_t flat_first = 0;
    uint32_t flat_count = 0;
  };
  std::vector<Compiled> compiled_;

  std::vector<Rule> rules_;
  std::vector<std::unique_ptr<StatefulOperator>> ops_;
  EngineOptions options_;
  static constexpr std::size_t kTypes = 6;
  /// Every rule's compiled forms as flat tests (detect/ir/flat_match): each name bucket's
  /// tests first, bucket after bucket (the rules an event meets lie together), then each rule's
  /// whole match. They point into compiled_, which is sized once.
  FlatProgram flat_;
  /// The rules the eventName index places under one lowercased name, each with what the
  /// lookup itself decides of its eventName equality, in a few bytes beside the rule index (the
  /// per-rule names lists and Compiled entries are cold: reading them cost a cache miss and a
  /// string compare per rule per event). For an event whose name is decided (see Compiled):
  /// - kEvaluate: no eventName conjunct was taken out; the rule's whole match decides;
  /// - kConst: a case-insensitive equality: its truth is the same for every name under this
  ///   key (`accept`, bit 0);
  /// - kVariants: a case-sensitive equality: true when the event's name is one of `variants`
  ///   (the bucket's exact spellings, matched once per event) whose bit is set in `accept`;
  /// - kFind: more than 64 spellings: the rule's names are searched as before.
  struct NameBucket {
    enum Mode : uint8_t { kEvaluate, kConst, kVariants, kFind };
    struct Entry {
      uint32_t rule = 0;
      Mode mode = kEvaluate;
      /// What a decided event evaluates, as flat_'s tests [first, first + count): the rule's
      /// match for kEvaluate, else its match less the name conjunct.
      uint16_t count = 0;
      uint32_t first = 0;
      uint64_t accept = 0;
    };
    std::string key;  ///< the lowercased name
    std::vector<Entry> entries;
    std::vector<std::string> variants;
  };
  /// Name buckets by lowercased name: open addressing over a hash of the name's length and
  /// first and last 8 bytes, at most half full (one probe and one key compare for most events;
  /// std::unordered_map cost a node chase and a std::string key per lookup).
  ///
  /// Beside it, the spellings the rules write (each bucket's key and case-sensitive variants),
  /// exactly as written, each with its bucket and its variant (what on_event's search of
  /// `variants` gives for that text; 64: none): an event whose name is one of them (most are)
  /// needs neither the lowercased copy nor that search. Any other name takes the lowercased
  /// lookup.
  struct NameIndex {
    struct Slot {
      uint64_t hash = 0;
      uint32_t item = UINT32_MAX;  ///< UINT32_MAX: empty
    };
    /// Items [0, n) by their key texts (`key(i)`), open addressing, at most half full.
    struct Table {
      std::vector<Slot> slots;
      uint64_t mask = 0;
      template <typename Key>
      void fill(uint32_t n, const Key& key);
      /// The item whose key is `text`, or UINT32_MAX.
      template <typename Key>
      uint32_t find(std::string_view text, const Key& key) const;
    };
    struct Spelling {
      std::string text;
      uint32_t bucket = 0;
      uint32_t variant = 64;
    };
    std::vector<NameBucket> buckets;
    Table by_key;
    std::vector<Spelling> spellings;
    Table by_spelling;
    /// Fills the tables from `buckets` (spellings: the buckets' keys and variants).
    void build();
    const NameBucket* find(std::string_view lowered) const;
    /// The spelling that is `name` byte for byte, or null.
    const Spelling* find_spelling(std::string_view name) const;
  };
  std::array<NameIndex, kTypes> by_name_;
  std::array<std::vector<uint32_t>, kTypes> unindexed_;  ///< evaluated for every event
  std::array<std::vector<FieldPrefilter>, kTypes> prefilters_;
  std::array<std::vector<PrefilterMemo>, kTypes> prefilter_memo_;  ///< one per prefilter
  std::array<std::vector<NumberIndex>, kTypes> number_indexes_;
  std::vector<int> candidates_;
  std::vector<uint32_t> literal_hits_;
  std::vector<uint32_t> candidate_rules_;
  std::string lower_buf_;
  /// Results of the comparisons several rules make alike, for the current event (Predicate::
  /// memo: slots are given to pure comparisons that appear in more than one rule).
  PredicateMemo memo_;
  /// Regular expressions' answers for texts seen before (across events).
  RegexMemo regex_memo_;
  /// The elements of the JSON path prefixes the compiled predicates, prefilters and number
  /// indexes read, for the current event (their FieldRef::node).
  PathMemo paths_;
  findings::Aggregator aggregator_;
  EngineStats stats_;
  std::array<std::vector<uint32_t>, kTypes> stateful_by_type_;
  std::array<int64_t, kTypes> max_time_ = {INT64_MIN, INT64_MIN, INT64_MIN,
                                           INT64_MIN, INT64_MIN, INT64_MIN};
  std::array<int64_t, kTypes> last_advance_ = {INT64_MIN, INT64_MIN, INT64_MIN,
                                               INT64_MIN, INT64_MIN, INT64_MIN};
  std::vector<std::string> matched_lists_;
  std::vector<std::pair<std::string, std::string>> matched_names_;  // (list, threat name)
  std::string name_buf_;
};

}  // namespace sentinel::detect
