#pragma once
/// One way for rules to read any event's fields, whatever its log type.
///
/// Field names:
/// - every log type: `log_type`, `time` (ISO 8601 text), `account`, `region` (the envelope);
/// - CloudTrail, Route 53 and GuardDuty: a JSON path into the record as AWS wrote it
///   (`eventName`, `requestParameters.bucketName`,
///   `requestParameters.ipPermissions.items[*].ipRanges.items[*].cidrIp`, `answers[*].Rdata`,
///   `service.action.actionType`, `['key.with.dots']`); an array met at the end of a path is
///   visited element by element;
/// - VPC flow: the flow-log field names, hyphenated or with underscores (`dstport`, `srcaddr`,
///   `flow-direction`, `pkt_srcaddr`), typed (numbers as numbers, addresses with their IpAddr).
///
/// A field is multi-valued when its path crosses arrays; predicates match when any value does
/// (Sigma's and GuardDuty's semantics), unless they say `all`.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "ingest/event.h"

namespace sentinel::detect {

/// One value of a field.
struct Value {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string_view str;        ///< kString: the text; kNumber: the number as written, if known
  const IpAddr* ip = nullptr;  ///< set for typed address fields (flows)
};

/// A value as text into `out` (replaced): a string as is, a number as written (else shortest
/// form), true / false; null leaves `out` empty.
void assign_value_text(const Value& v, std::string* out);

/// A compiled field reference: built once per rule, evaluated per event.
struct FieldRef {
  enum class Source : uint8_t { kMeta, kJsonPath, kFlow };
  struct Step {
    enum class Kind : uint8_t { kKey, kIndex, kAll };
    Kind kind = Kind::kKey;
    std::string key;
    uint32_t index = 0;
  };
  // (What direct() reads comes first: one cache line with the predicate's own header.)
  Source source = Source::kJsonPath;
  int meta_id = -1;     ///< kMeta: 0 log_type, 1 time, 2 account, 3 region
  int flow_field = -1;  ///< kFlow: ingest::FlowField
  /// A CloudTrail field the parser already extracted (eventName, sourceIPAddress, ...): read
  /// from the event without walking the JSON when it is non-empty. -1 when not such a field.
  int ct_field = -1;
  /// A path whose presence the CloudTrail parser records (detect/ct_fields.h
  /// kCtPresencePaths): its CloudTrailMember bit, which exists() reads without the tree. 0: none.
  uint32_t ct_present = 0;
  /// kJsonPath: the node of a PathMemo that stands for the leading key and index steps
  /// (`node_steps` of them; the rest, from the first `[*]`, are walked from its element). Set by
  /// PathMemo::intern on the engine's own compiled copies; -1: walked from the root each time.
  int32_t node = -1;
  uint32_t node_steps = 0;
  std::vector<Step> steps;  ///< kJsonPath
  std::string text;         ///< the name as written in the rule

  /// Parses `name`; false with *error set when it is not a valid path.
  static bool parse(std::string_view name, FieldRef* out, std::string* error);
};

class EventView;

/// A non-owning reference to a callable: what std::function is without the type erasure's
/// allocation and copies. Valid while the callable it was made from is alive (a lambda passed
/// straight to a call is, for that call).
template <typename Sig>
class FunctionRef;
template <typename R, typename... A>
class FunctionRef<R(A...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, A...>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like std::function
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, A... a) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

/// Visits values; return true to stop (a match was found).
using ValueVisitor = FunctionRef<bool(const Value&)>;

/// The elements of a rule set's JSON path prefixes for the current event: each distinct run of
/// leading key and index steps (`userIdentity`, `userIdentity.sessionContext`,
/// `requestParameters.ipPermissions`) is one node, interned at load; during an event a node's
/// element is looked up in its parent's at most once, so rules that test members of one object
/// find that object once per event instead of walking from the record's root for each test, and
/// the record's tree is asked for once. Answers are exactly a walk's from the root. Owned by one
/// engine (one thread); the engine calls next_event() before each event; no allocation per
/// event.
class PathMemo {
 public:
  /// Interns `f`'s leading key and index steps (JSON paths only; other fields are left as they
  /// are) and sets f->node and f->node_steps.
  void intern(FieldRef* f);
  /// Forgets the elements found for the previous event.
  void next_event() { ++generation_; }
  std::size_t size() const { return nodes_.size(); }

 private:
  friend class EventView;
  struct Node {
    int32_t parent = -1;  ///< -1: the record's root
    FieldRef::Step step;
  };
  /// A node's element for the event of `generation`: `element` holds a simdjson::dom::element
  /// (copied in) when `present`.
  struct Slot {
    uint64_t generation = 0;
    bool present = false;
    alignas(8) unsigned char element[16] = {};
  };
  std::vector<Node> nodes_;  ///< node 0: the root
  std::vector<Slot> slots_;  ///< one per node
  uint64_t generation_ = 1;
};

/// A view of one event during a sink callback. Cheap to build; JSON records of Route 53 and
/// GuardDuty events are parsed lazily, at most once per view, with the thread's parser.
class EventView {
 public:
  /// Per-thread state the views need (a DOM parser for lazy parsing). One per thread.
  class Scratch;
  struct ScratchDeleter {
    void operator()(Scratch* s) const;
  };
  using ScratchPtr = std::unique_ptr<Scratch, ScratchDeleter>;
  static ScratchPtr make_scratch();

  EventView(const ingest::CloudTrailEvent& e, Scratch* s);
  EventView(const ingest::FlowRecord& f, Scratch* s);
  EventView(const ingest::DnsQuery& q, Scratch* s);
  EventView(const ingest::GuardDutyFinding& g, Scratch* s);

  ingest::LogType type() const { return meta_->type; }
  const ingest::EventMeta& meta() const { return *meta_; }
  /// A stable id for evidence lists: CloudTrail eventID, GuardDuty id, else path:record.
  std::string event_id() const;
  /// The same into *out (reusing its capacity).
  void event_id_to(std::string* out) const;
  /// CloudTrail eventSource / eventName (empty for other types): used by the rule index.
  std::string_view event_source() const { return event_source_; }
  std::string_view event_name() const { return event_name_; }

  /// Calls `visit` for each value of `f` until it returns true; returns whether it did. With
  /// `paths` (the memo that interned `f`, for this event), the path's leading steps are found
  /// there.
  bool any(const FieldRef& f, const ValueVisitor& visit, PathMemo* paths = nullptr) const;
  /// The field's value without a visitor when no JSON walk is needed (the envelope, flow
  /// fields, the CloudTrail fields the parser extracted): 1 with *out set (its only value), 0
  /// when the field is absent, -1 when only any() can tell (a JSON path).
  int direct(const FieldRef& f, Value* out) const;
  /// True when the field exists (even as null). `paths` as for any().
  bool exists(const FieldRef& f, PathMemo* paths = nullptr) const;
  /// The first value as text (numbers formatted, null and missing as ""), into `out`.
  void first_text(const FieldRef& f, std::string* out) const;

  const ingest::CloudTrailEvent* cloudtrail() const { return ct_; }
  const ingest::FlowRecord* flow() const { return flow_; }
  const ingest::DnsQuery* dns() const { return dns_; }
  const ingest::GuardDutyFinding* guardduty() const { return gd_; }

 private:
  const void* json_root() const;  // simdjson::dom::element*, or nullptr
  // The element of `paths`' node `node` for this event (a simdjson::dom::element*), or nullptr
  // when the path is absent.
  const void* node_element(PathMemo* paths, int32_t node) const;
  const ingest::EventMeta* meta_;
  const ingest::CloudTrailEvent* ct_ = nullptr;
  const ingest::FlowRecord* flow_ = nullptr;
  const ingest::DnsQuery* dns_ = nullptr;
  const ingest::GuardDutyFinding* gd_ = nullptr;
  std::string_view raw_json_;
  std::string_view event_source_;
  std::string_view event_name_;
  Scratch* scratch_;
};

}  // namespace sentinel::detect
