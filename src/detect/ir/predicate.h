#pragma once
/// The one predicate IR that every rule front end compiles to: native YAML rules, Sigma rules
/// and CloudWatch filter patterns. Trees of and / or / not over comparisons of one field with
/// constants, and calls of named functions. Built once at load; evaluated per event without
/// allocating.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "detect/event_view.h"

namespace re2 {
class RE2;
}

namespace sentinel::detect {

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`).
struct Cidr {
  IpAddr base;
  int prefix = 0;  ///< in bits of the 128-bit form (IPv4 /8 is stored as /104)
  static bool parse(std::string_view text, Cidr* out);
  bool contains(const IpAddr& ip) const;
};

enum class CmpOp : uint8_t {
  kEq,          ///< equals one of `strings` (or `numbers` when the value is a number)
  kContains,    ///< contains one of `strings`
  kStartsWith,  ///< starts with one of `strings`
  kEndsWith,    ///< ends with one of `strings`
  kGlob,        ///< matches one of `strings` with `*` and `?` wildcards (Sigma, CloudWatch)
  kRegex,       ///< RE2 search (unanchored) with one of `regexes`
  kCidr,        ///< an address inside one of `cidrs`
  kExists,      ///< the field is present (null counts as present)
  kIsNull,      ///< the field is present and JSON null
  kIsTrue,      ///< a JSON true (CloudWatch `IS TRUE`)
  kIsFalse,     ///< a JSON false
  kLt,
  kLe,
  kGt,
  kGe,      ///< numeric comparisons with `numbers[0]`
  kInList,  ///< equals an entry of the named list `list` (threat, trusted, custom lists)
};

/// Named lists of values (threat lists, trusted lists, lists written in rules), looked up by
/// name at evaluation time. Implemented by the enrichment layer.
class NamedLists {
 public:
  virtual ~NamedLists() = default;
  /// True when `v` is on the list `name`; sets *matched_list to the list's display name.
  virtual bool contains(std::string_view name, const Value& v, std::string* matched_list) const = 0;
  /// The threat names of the entries of list `name` that hold `v` (GuardDuty's threatNames: an
  /// OTX CSV row's description; TXT entries have none), appended to *names without repeats.
  /// Called after contains() answered true; the default knows no names.
  virtual void entry_names(std::string_view /*name*/, const Value& /*v*/,
                           std::vector<std::string>* /*names*/) const {}
};

/// A named function rules can call (`entropy`, `ip_class`, ...). It returns one value for the
/// event, which a comparison then tests.
class Function {
 public:
  virtual ~Function() = default;
  /// Computes the function of the event's `args` (field references) into *out (str views may
  /// point into `buf`). False when it has no value for this event.
  virtual bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                    std::string* buf) const = 0;
};

/// The results of comparisons that several rules make alike (the same field, operator and
/// patterns: seven shipped rules test `eventName` against one regular expression), for one
/// event: the first rule to evaluate one computes it, the others read it. A slot holds
/// generation << 1 | result; the owner (the engine) moves `generation` on for each event.
struct PredicateMemo {
  uint32_t generation = 1;
  std::vector<uint32_t> slots;
};

/// The answers of regular expressions for texts that repeat from event to event (an assumed
/// role's ARN: 403 distinct among the 39 346 assumed-role events of the bench file; eventName).
/// Direct mapped by a hash of the expression's address and the whole text; a slot answers only
/// for its own expression and text (compared byte for byte), so a collision costs a search, never
/// a wrong answer. Owned by one engine (one thread); the expressions must outlive it.
struct RegexMemo {
  static constexpr unsigned kSlotBits = 11;  ///< 2 048 slots
  static constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;
  static constexpr std::size_t kMaxText = 256;  ///< longer texts are searched every time
  struct Slot {
    const re2::RE2* re = nullptr;  ///< null: empty
    bool result = false;
    std::string text;
  };
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  /// RE2::PartialMatch(text, re), answered from the slot when it holds (re, text), else searched
  /// and stored there (replacing what the slot held).
  bool partial_match(const re2::RE2& re, std::string_view text);
};

struct EvalContext {
  const NamedLists* lists = nullptr;
  /// Names of the lists that matched during the evaluation (for threatIntelligenceDetails).
  std::vector<std::string>* matched_lists = nullptr;
  /// (list name, threat name) of the entries that matched, when the list has names for them.
  std::vector<std::pair<std::string, std::string>>* matched_names = nullptr;
  /// Shared comparison results for this event (null: none); see Predicate::memo.
  PredicateMemo* memo = nullptr;
  /// Regular expression answers kept across events (null: every regex is searched).
  RegexMemo* regex_memo = nullptr;
  /// The elements of the JSON path prefixes that interned the fields (FieldRef::node), for this
  /// event (null: every path is walked from the record's root).
  PathMemo* paths = nullptr;
};

struct Predicate {
  // Members in the order eval reads them: the first cache line holds the kind, operator, flags,
  // function and the field's source (predicates are cold: which rules an event meets changes
  // with each event).
  enum class Kind : uint8_t { kTrue, kFalse, kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kTrue;

  // kCompare: `field` (or the result of `function` over `args`) tested with `op`.
  CmpOp op = CmpOp::kEq;
  bool case_insensitive = false;  ///< strings (and patterns) compared lowercased
  bool all_patterns = false;      ///< every pattern must match (Sigma `|all`), not any
  bool negate = false;            ///< `!=` style: true when no value matches (missing: false)
  /// A kCompare that other rules' predicates make alike: its slot in EvalContext::memo, which
  /// holds its result for the current event. -1: evaluated each time. Set by the engine on its
  /// own compiled copies only (pure comparisons: no function, named list or side effect).
  int32_t memo = -1;
  const Function* function = nullptr;  ///< owned by the FunctionRegistry
  std::vector<Predicate> children;     ///< kAnd, kOr, kNot (one child)
  FieldRef field;
  std::vector<std::string> strings;  ///< lowercased when case_insensitive
  std::vector<double> numbers;
  std::vector<Cidr> cidrs;
  std::vector<std::shared_ptr<re2::RE2>> regexes;
  std::vector<FieldRef> args;
  std::string list;  ///< kInList

  static Predicate always() { return Predicate{}; }
  static Predicate never() {
    Predicate p;
    p.kind = Kind::kFalse;
    return p;
  }
  static Predicate all_of(std::vector<Predicate> c);
  static Predicate any_of(std::vector<Predicate> c);
  static Predicate negation(Predicate c);

  /// Evaluates against one event.
  bool eval(const EventView& ev, const EvalContext& ctx) const;
  /// A readable rendering, for `sentinel rules show` and error messages.
  std::string to_string() const;
};

/// Tests one value against a comparison (exposed for tests and the CloudWatch front end).
bool compare_value(const Predicate& p, const Value& v, const EvalContext& ctx);

/// Matches `text` against a glob with `*` (any run) and `?` (one character); `\*`, `\?` and
/// `\\` are literal.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sentinel::detect
