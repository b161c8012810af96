#include "detect/event_view.h"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <type_traits>

#include "core/time.h"
#include "detect/ct_fields.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"

namespace sentinel::detect {

using ingest::FlowField;
using simdjson::dom::element;
using simdjson::dom::element_type;

class EventView::Scratch {
 public:
  simdjson::dom::parser parser;
  element root;
  uint64_t generation = 0;  // bumped for every view built
  uint64_t parsed_for = ~uint64_t{0};
  bool parsed_ok = false;
  std::string text;  // first_text of meta time
};

EventView::ScratchPtr EventView::make_scratch() {
  return ScratchPtr(new Scratch());
}

void EventView::ScratchDeleter::operator()(Scratch* s) const {
  delete s;
}

namespace {

constexpr std::string_view kMetaNames[] = {"log_type", "time", "account", "region"};

bool parse_step_key(std::string_view name, std::size_t* i, std::string* key) {
  std::size_t j = *i;
  while (j < name.size() && name[j] != '.' && name[j] != '[') ++j;
  *key = std::string(name.substr(*i, j - *i));
  *i = j;
  return !key->empty();
}

Value from_element(element el) {
  Value v;
  switch (el.type()) {
    case element_type::STRING:
      v.kind = Value::Kind::kString;
      v.str = el.get_string().value_unsafe();
      break;
    case element_type::INT64:
      v.kind = Value::Kind::kNumber;
      v.number = static_cast<double>(el.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      v.kind = Value::Kind::kNumber;
      v.number = static_cast<double>(el.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      v.kind = Value::Kind::kNumber;
      v.number = el.get_double().value_unsafe();
      break;
    case element_type::BOOL:
      v.kind = Value::Kind::kBool;
      v.boolean = el.get_bool().value_unsafe();
      break;
    case element_type::NULL_VALUE:
      v.kind = Value::Kind::kNull;
      break;
    default:
      v.kind = Value::Kind::kNull;  // objects and arrays never equal a scalar
      v.str = {};
      break;
  }
  return v;
}

// One key or index step from `el`, as every walk takes it: false when `el` is not an object (an
// array) or has no such member (element). (Inlined: a call per step cost ~25 instructions.)
[[gnu::always_inline]] inline bool view_step(element el, const FieldRef::Step& s, element* out) {
  if (s.kind == FieldRef::Step::Kind::kKey) {
    return el.type() == element_type::OBJECT &&
           el.get_object().value_unsafe().at_key(s.key).get(*out) == simdjson::SUCCESS;
  }
  return el.type() == element_type::ARRAY &&
         el.get_array().value_unsafe().at(s.index).get(*out) == simdjson::SUCCESS;
}

// Visits the values at `steps` under `el`. An array at the end of the path is visited element by
// element; objects at the end are not values.
bool walk(element el, const FieldRef::Step* s, const FieldRef::Step* end,
          const ValueVisitor& visit) {
  if (s == end) {
    if (el.type() == element_type::ARRAY) {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      for (element item : arr) {
        if (item.type() == element_type::OBJECT || item.type() == element_type::ARRAY) continue;
        if (visit(from_element(item))) return true;
      }
      return false;
    }
    if (el.type() == element_type::OBJECT) return false;
    return visit(from_element(el));
  }
  if (s->kind != FieldRef::Step::Kind::kAll) {
    element child;
    return view_step(el, *s, &child) && walk(child, s + 1, end, visit);
  }
  if (el.type() == element_type::ARRAY) {
    simdjson::dom::array arr = el.get_array().value_unsafe();
    for (element item : arr) {
      if (walk(item, s + 1, end, visit)) return true;
    }
  } else if (el.type() == element_type::OBJECT) {
    simdjson::dom::object obj = el.get_object().value_unsafe();
    for (auto [k, item] : obj) {
      if (walk(item, s + 1, end, visit)) return true;
    }
  }
  return false;
}

// Whether anything (an object, array or null included) lies at `s` under `el`. A `[*]` step
// crosses arrays only (an object's members are not searched, unlike walk's).
bool view_present(element el, const FieldRef::Step* s, const FieldRef::Step* end) {
  if (s == end) return true;
  if (s->kind != FieldRef::Step::Kind::kAll) {
    element child;
    return view_step(el, *s, &child) && view_present(child, s + 1, end);
  }
  if (el.type() != element_type::ARRAY) return false;
  simdjson::dom::array arr = el.get_array().value_unsafe();
  for (element item : arr) {
    if (view_present(item, s + 1, end)) return true;
  }
  return false;
}

enum class FlowKind : uint8_t { kText, kNumber, kIp };

FlowKind flow_kind(FlowField f) {
  switch (f) {
    case FlowField::kSrcaddr:
    case FlowField::kDstaddr:
    case FlowField::kPktSrcaddr:
    case FlowField::kPktDstaddr:
      return FlowKind::kIp;
    case FlowField::kVersion:
    case FlowField::kSrcport:
    case FlowField::kDstport:
    case FlowField::kProtocol:
    case FlowField::kPackets:
    case FlowField::kBytes:
    case FlowField::kStart:
    case FlowField::kEnd:
    case FlowField::kTcpFlags:
    case FlowField::kTrafficPath:
    case FlowField::kPacketsLostNoRoute:
    case FlowField::kPacketsLostBlackhole:
    case FlowField::kPacketsLostMtuExceeded:
    case FlowField::kPacketsLostTtlExpired:
      return FlowKind::kNumber;
    default:
      return FlowKind::kText;
  }
}

const IpAddr* flow_ip(const ingest::FlowRecord& f, FlowField field) {
  switch (field) {
    case FlowField::kSrcaddr:
      return &f.srcaddr;
    case FlowField::kDstaddr:
      return &f.dstaddr;
    case FlowField::kPktSrcaddr:
      return &f.pkt_srcaddr;
    case FlowField::kPktDstaddr:
      return &f.pkt_dstaddr;
    default:
      return nullptr;
  }
}

double flow_number(const ingest::FlowRecord& f, FlowField field) {
  switch (field) {
    case FlowField::kVersion:
      return f.version;
    case FlowField::kSrcport:
      return f.srcport;
    case FlowField::kDstport:
      return f.dstport;
    case FlowField::kProtocol:
      return f.protocol;
    case FlowField::kPackets:
      return static_cast<double>(f.packets);
    case FlowField::kBytes:
      return static_cast<double>(f.bytes);
    case FlowField::kStart:
      return static_cast<double>(f.start);
    case FlowField::kEnd:
      return static_cast<double>(f.end);
    case FlowField::kTcpFlags:
      return f.tcp_flags;
    case FlowField::kTrafficPath:
      return f.traffic_path;
    case FlowField::kPacketsLostNoRoute:
      return static_cast<double>(f.packets_lost_no_route);
    case FlowField::kPacketsLostBlackhole:
      return static_cast<double>(f.packets_lost_blackhole);
    case FlowField::kPacketsLostMtuExceeded:
      return static_cast<double>(f.packets_lost_mtu_exceeded);
    case FlowField::kPacketsLostTtlExpired:
      return static_cast<double>(f.packets_lost_ttl_expired);
    default:
      return 0;
  }
}

}  // namespace

bool FieldRef::parse(std::string_view name, FieldRef* out, std::string* error) {
  FieldRef r;
  r.text = std::string(name);
  if (name.empty()) {
    *error = "empty field name";
    return false;
  }
  for (int i = 0; i < 4; ++i) {
    if (name == kMetaNames[i]) {
      r.source = Source::kMeta;
      r.meta_id = i;
      *out = std::move(r);
      return true;
    }
  }
  ingest::FlowField ff;
  if (ingest::flow_field_from_name(name, &ff)) r.flow_field = static_cast<int>(ff);
  std::size_t i = 0;
  while (i < name.size()) {
    if (name[i] == '[') {
      std::size_t close = name.find(']', i);
      if (close == std::string_view::npos) {
        *error = "unclosed '[' in field '" + std::string(name) + "'";
        return false;
      }
      std::string_view inside = name.substr(i + 1, close - i - 1);
      Step st;
      if (inside == "*") {
        st.kind = Step::Kind::kAll;
      } else if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"') &&
                 inside.back() == inside.front()) {
        st.kind = Step::Kind::kKey;
        st.key = std::string(inside.substr(1, inside.size() - 2));
      } else {
        unsigned idx = 0;
        auto res = std::from_chars(inside.data(), inside.data() + inside.size(), idx);
        if (res.ec != std::errc() || res.ptr != inside.data() + inside.size()) {
          *error = "bad index [" + std::string(inside) + "] in field '" + std::string(name) + "'";
          return false;
        }
        st.kind = Step::Kind::kIndex;
        st.index = idx;
      }
      r.steps.push_back(std::move(st));
      i = close + 1;
      if (i < name.size() && name[i] == '.') ++i;
      continue;
    }
    Step st;
    if (!parse_step_key(name, &i, &st.key)) {
      *error = "empty segment in field '" + std::string(name) + "'";
      return false;
    }
    if (st.key == "*") st.kind = Step::Kind::kAll;
    r.steps.push_back(std::move(st));
    if (i < name.size() && name[i] == '.') {
      ++i;
      if (i == name.size()) {
        *error = "field '" + std::string(name) + "' ends with '.'";
        return false;
      }
    }
  }
  r.source = Source::kJsonPath;
  for (std::size_t k = 0; k < std::size(kCtTypedPaths); ++k) {
    if (name == kCtTypedPaths[k]) r.ct_field = static_cast<int>(k);
  }
  for (const auto& p : kCtPresencePaths) {
    if (name == p.path) r.ct_present = p.bit;
  }
  *out = std::move(r);
  return true;
}

EventView::EventView(const ingest::CloudTrailEvent& e, Scratch* s)
    : meta_(&e.meta),
      ct_(&e),
      event_source_(e.event_source),
      event_name_(e.event_name),
      scratch_(s) {
  ++scratch_->generation;
}

EventView::EventView(const ingest::FlowRecord& f, Scratch* s)
    : meta_(&f.meta), flow_(&f), scratch_(s) {
  ++scratch_->generation;
}

EventView::EventView(const ingest::DnsQuery& q, Scratch* s)
    : meta_(&q.meta), dns_(&q), raw_json_(q.raw), scratch_(s) {
  ++scratch_->generation;
}

EventView::EventView(const ingest::GuardDutyFinding& g, Scratch* s)
    : meta_(&g.meta), gd_(&g), raw_json_(g.raw), event_name_(g.type), scratch_(s) {
  ++scratch_->generation;
}

const void* EventView::json_root() const {
  if (ct_ != nullptr) return ingest::cloudtrail_tree(*ct_);
  if (raw_json_.empty()) return nullptr;
  if (scratch_->parsed_for != scratch_->generation) {
    scratch_->parsed_for = scratch_->generation;
    // The raw bytes sit in the reader's padded buffer: reading past them is safe.
    scratch_->parsed_ok =
        scratch_->parser.parse(raw_json_.data(), raw_json_.size(), false).get(scratch_->root) ==
        simdjson::SUCCESS;
  }
  return scratch_->parsed_ok ? &scratch_->root : nullptr;
}

std::string EventView::event_id() const {
  std::string s;
  event_id_to(&s);
  return s;
}

void EventView::event_id_to(std::string* out) const {
  if (ct_ != nullptr && !ct_->event_id.empty()) {
    out->assign(ct_->event_id);
  } else if (gd_ != nullptr && !gd_->id.empty()) {
    out->assign(gd_->id);
  } else {
    out->assign(meta_->ref.path);
    out->push_back(':');
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, meta_->ref.record);
    out->append(buf, r.ptr);
  }
}

int EventView::direct(const FieldRef& f, Value* out) const {
  Value& v = *out;
  v = Value{};
  if (f.source == FieldRef::Source::kMeta) {
    v.kind = Value::Kind::kString;
    switch (f.meta_id) {
      case 0:
        v.str = ingest::log_type_name(meta_->type);
        break;
      case 1:
        if (meta_->time_ms == ingest::kNoTime) return 0;
        scratch_->text.clear();
        append_iso8601(&scratch_->text, meta_->time_ms, true);
        v.str = scratch_->text;
        break;
      case 2:
        if (meta_->account.empty()) return 0;
        v.str = meta_->account;
        break;
      default:
        if (meta_->region.empty()) return 0;
        v.str = meta_->region;
        break;
    }
    return 1;
  }
  if (flow_ != nullptr) {
    if (f.flow_field < 0) return 0;
    auto field = static_cast<FlowField>(f.flow_field);
    if (!flow_->has(field)) return 0;
    switch (flow_kind(field)) {
      case FlowKind::kNumber:
        v.kind = Value::Kind::kNumber;
        v.number = flow_number(*flow_, field);
        v.str = flow_->get(field);
        break;
      case FlowKind::kIp:
        v.kind = Value::Kind::kString;
        v.str = flow_->get(field);
        v.ip = flow_ip(*flow_, field);
        break;
      case FlowKind::kText:
        v.kind = Value::Kind::kString;
        v.str = flow_->get(field);
        break;
    }
    return 1;
  }
  // (Insights records take eventSource/eventName from insightDetails: not at the top level.)
  if (ct_ != nullptr && f.ct_field >= 0 && !(ct_->insight && f.ct_field <= 1)) {
    // Extracted by the parser: no JSON walk. Empty means absent, null or "", which only the
    // record itself can tell apart, so those fall through to the walk.
    std::string_view typed = ct_field_text(*ct_, f.ct_field);
    if (!typed.empty()) {
      v.kind = Value::Kind::kString;
      v.str = typed;
      if (f.ct_field == kCtSourceIp && ct_->source_ip_is_ip) v.ip = &ct_->source_ip;
      return 1;
    }
  }
  return -1;
}

void PathMemo::intern(FieldRef* f) {
  if (f->source != FieldRef::Source::kJsonPath) return;
  if (nodes_.empty()) nodes_.emplace_back();  // the root
  int32_t node = 0;
  uint32_t n = 0;
  for (const FieldRef::Step& st : f->steps) {
    if (st.kind == FieldRef::Step::Kind::kAll) break;
    // The node's child by this step, if some path made it before (interning is load-time only:
    // a scan of the nodes is cheap enough).
    int32_t child = -1;
    for (std::size_t i = 1; i < nodes_.size() && child < 0; ++i) {
      const Node& c = nodes_[i];
      if (c.parent == node && c.step.kind == st.kind &&
          (st.kind == FieldRef::Step::Kind::kKey ? c.step.key == st.key
                                                 : c.step.index == st.index)) {
        child = static_cast<int32_t>(i);
      }
    }
    if (child < 0) {
      child = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{node, st});
    }
    node = child;
    ++n;
  }
  slots_.resize(nodes_.size());
  f->node = node;
  f->node_steps = n;
}

const void* EventView::node_element(PathMemo* paths, int32_t node) const {
  PathMemo::Slot& slot = paths->slots_[static_cast<std::size_t>(node)];
  if (slot.generation == paths->generation_) {
    return slot.present ? static_cast<const void*>(slot.element) : nullptr;
  }
  slot.generation = paths->generation_;
  slot.present = false;
  element el;
  if (node == 0) {
    // The record's tree, asked for once per event.
    const void* root = json_root();
    if (root == nullptr) return nullptr;
    el = *static_cast<const element*>(root);
  } else {
    // One step from the parent's element, as walk() takes it.
    const PathMemo::Node& n = paths->nodes_[static_cast<std::size_t>(node)];
    const void* up = node_element(paths, n.parent);
    if (up == nullptr) return nullptr;
    if (!view_step(*static_cast<const element*>(up), n.step, &el)) return nullptr;
  }
  static_assert(sizeof(element) <= sizeof(PathMemo::Slot::element) && alignof(element) <= 8 &&
                std::is_trivially_copyable_v<element>);
  std::memcpy(slot.element, &el, sizeof el);
  slot.present = true;
  return slot.element;
}

bool EventView::any(const FieldRef& f, const ValueVisitor& visit, PathMemo* paths) const {
  Value v;
  const int d = direct(f, &v);
  if (d >= 0) return d == 1 && visit(v);
  const FieldRef::Step* end = f.steps.data() + f.steps.size();
  if (paths != nullptr && f.node >= 0) {
    const void* at = node_element(paths, f.node);
    return at != nullptr &&
           walk(*static_cast<const element*>(at), f.steps.data() + f.node_steps, end, visit);
  }
  const void* root = json_root();
  return root != nullptr && walk(*static_cast<const element*>(root), f.steps.data(), end, visit);
}

bool EventView::exists(const FieldRef& f, PathMemo* paths) const {
  if (f.source == FieldRef::Source::kMeta || flow_ != nullptr) {
    return any(f, [](const Value&) { return true; });
  }
  // The parser recorded whether the record has this member (null included): the tree would
  // say the same.
  if (ct_ != nullptr && f.ct_present != 0 && (ct_->present & ingest::kCtMembersKnown) != 0) {
    return (ct_->present & f.ct_present) != 0;
  }
  // A CloudTrail field the parser extracted with a value is there (what any() reads for it).
  Value v;
  if (ct_ != nullptr && f.ct_field >= 0 && direct(f, &v) == 1) return true;
  const FieldRef::Step* end = f.steps.data() + f.steps.size();
  if (paths != nullptr && f.node >= 0) {
    const void* at = node_element(paths, f.node);
    return at != nullptr &&
           view_present(*static_cast<const element*>(at), f.steps.data() + f.node_steps, end);
  }
  const void* root = json_root();
  if (root == nullptr) return false;
  return view_present(*static_cast<const element*>(root), f.steps.data(), end);
}

void assign_value_text(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kString:
      out->assign(v.str);
      break;
    case Value::Kind::kNumber:
      if (!v.str.empty()) {
        out->assign(v.str);
      } else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v.number);
        out->assign(buf, r.ptr);
      }
      break;
    case Value::Kind::kBool:
      out->assign(v.boolean ? "true" : "false");
      break;
    case Value::Kind::kNull:
      out->clear();
      break;
  }
}

void EventView::first_text(const FieldRef& f, std::string* out) const {
  out->clear();
  any(f, [out](const Value& v) {
    assign_value_text(v, out);
    return true;
  });
}

}  // namespace sentinel::detect
