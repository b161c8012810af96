#include "detect/state/operator_base.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "detect/rules/rule.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::detect::state {

int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? kMinTime : kMaxTime;
  return r;
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxTime : kMinTime;
  return r;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

std::string format_duration(int64_t ms) {
  if (ms <= 0) return "0s";
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0) out += std::to_string(s % 60) + "s";
  return out;
}

std::string format_number(double v) {
  char buf[40];
  std::to_chars_result r;
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  return std::string(buf, r.ptr);
}

namespace {

void add_field(const FieldRef& f, std::vector<FieldRef>* out) {
  for (const FieldRef& g : *out) {
    if (g.text == f.text) return;
  }
  out->push_back(f);
}

void collect(const Template& t, std::vector<FieldRef>* out) {
  for (const Template::Part& p : t.parts) {
    if (p.is_field) add_field(p.field, out);
  }
}

void collect(const JsonTemplate::Node& n, std::vector<FieldRef>* out) {
  collect(n.text, out);
  for (const auto& [k, child] : n.members) collect(child, out);
  for (const JsonTemplate::Node& child : n.items) collect(child, out);
}

uint64_t prefix8(std::string_view s) {
  unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(b, s.data(), std::min<std::size_t>(8, s.size()));
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

// What ev.first_text(f) gives, as a view of the event when it holds the text as is (a string,
// a number as written; valid while the view is), else copied into *buf. (The event time is
// rendered into the view's scratch, which the next such field would overwrite: copied.)
std::string_view text_of(const EventView& ev, const FieldRef& f, std::string* buf) {
  Value v;
  const int d = ev.direct(f, &v);
  if (d == 0) return {};
  if (d == 1 && !(f.source == FieldRef::Source::kMeta && f.meta_id == 1)) {
    if (v.kind == Value::Kind::kString) return v.str;
    if (v.kind == Value::Kind::kNumber && !v.str.empty()) return v.str;
  }
  ev.first_text(f, buf);
  return *buf;
}

}  // namespace

OperatorBase::OperatorBase(const Rule& rule, int64_t window_ms)
    : rule_(rule), spec_(rule.stateful), window_ms_(std::max<int64_t>(window_ms, 0)) {
  collect(rule.title, &snapshot_fields_);
  collect(rule.description, &snapshot_fields_);
  collect(rule.resource.root, &snapshot_fields_);
  collect(rule.action.root, &snapshot_fields_);
  for (const char* meta : {"account", "region"}) {
    FieldRef f;
    std::string err;
    if (FieldRef::parse(meta, &f, &err)) add_field(f, &snapshot_fields_);
  }
}

int64_t OperatorBase::watermark() const {
  int64_t own = max_seen_ == kMinTime ? kMinTime : sat_sub(max_seen_, spec_.lateness_ms);
  return std::max(own, external_wm_);
}

// (t, id, key) ascending: std heap functions build a max-heap, so this is "a after b".
bool OperatorBase::later(const Queued& a, const Queued& b) const {
  if (a.t != b.t) return a.t > b.t;
  if (a.id_prefix != b.id_prefix) return a.id_prefix > b.id_prefix;
  const int c = str_of(a, 0).compare(str_of(b, 0));
  if (c != 0) return c > 0;
  return str_of(a, 1) > str_of(b, 1);
}

std::string_view OperatorBase::str_of(const Queued& q, std::size_t i) const {
  return packed_string(arena_.data() + (q.off - arena_base_), q.nstr, i);
}

void OperatorBase::view(const Queued& q, Capture* c) const {
  c->t = q.t;
  c->mask = q.mask;
  c->number = q.number;
  c->severity = q.severity;
  c->nvalues = q.nvalues;
  c->strs.resize(q.nstr);
  for (std::size_t i = 0; i < q.nstr; ++i) c->strs[i] = str_of(q, i);
  c->id = c->strs[0];
  c->key = c->strs[1];
}

void OperatorBase::enqueue(int64_t t, uint32_t mask, double number, double severity,
                           const std::vector<std::string_view>& strs, std::size_t nvalues) {
  if (arena_.size() > (std::size_t{1} << 16) && arena_.size() > 2 * live_bytes_) compact();
  Queued q{t,
           prefix8(strs[0]),
           arena_base_ + arena_.size(),
           static_cast<uint32_t>(strs.size()),
           static_cast<uint32_t>(nvalues),
           mask,
           number,
           severity};
  // One resize, then the end offsets and the bytes written in place.
  const std::size_t start = arena_.size();
  const std::size_t total = packed_size(strs);
  if (arena_.capacity() < start + total)
    arena_.reserve(std::max(2 * arena_.capacity(), start + total));
  arena_.resize(start + total);
  pack_strings(strs, arena_.data() + start);
  live_bytes_ += total;
  heap_.push_back(q);
  std::push_heap(heap_.begin(), heap_.end(),
                 [this](const Queued& a, const Queued& b) { return later(a, b); });
}

void OperatorBase::compact() {
  // Dead captures (processed) are dropped; live ones are copied in queue order.
  std::string fresh;
  fresh.reserve(live_bytes_ * 2);
  const uint64_t new_base = arena_base_ + arena_.size();
  for (Queued& q : heap_) {
    const char* p = arena_.data() + (q.off - arena_base_);
    const std::size_t len = packed_bytes(p, q.nstr);
    q.off = new_base + fresh.size();
    fresh.append(p, len);
  }
  arena_ = std::move(fresh);
  arena_base_ = new_base;
}

void OperatorBase::on_match(const EventView& ev, const EvalContext& ctx, StateSink& sink) {
  const int64_t t = ev.meta().time_ms;
  if (t == ingest::kNoTime) {
    ++stats_.no_time_events;
    return;
  }
  if (t > max_seen_) max_seen_ = t;
  const int64_t wm = watermark();
  if (t < sat_sub(wm, window_ms_)) {
    ++stats_.late_events;
    return;
  }
  Extracted& x = extracted_;
  x.mask = 0;
  x.number = 0;
  x.nvalues = 0;
  x.ctx = &ctx;
  if (!extract(ev, &x)) return;
  if (t < now_) ++stats_.late_accepted;
  ++stats_.events;
  // The key, the id and the sample fields as views of the event where it holds them as they
  // are (valid during this call: what the queue or the log keeps is copied from them).
  std::string_view key;
  if (spec_.group_by.size() == 1 && !spec_.group_by[0].is_call()) {
    key = text_of(ev, spec_.group_by[0], &key_buf_);
  } else {
    key_buf_.clear();
    for (std::size_t i = 0; i < spec_.group_by.size(); ++i) {
      if (i > 0) key_buf_ += '\x1f';
      const KeyExpr& k = spec_.group_by[i];
      if (k.is_call()) {
        k.eval_text(ev, &id_buf_, &fn_buf_);
        key_buf_ += id_buf_;
      } else {
        key_buf_ += text_of(ev, k, &id_buf_);
      }
    }
    key = key_buf_;
  }
  // The severity cases are decided on the event itself: by the time the operator decides, the
  // view is gone. Rules without cases skip this (the engine uses the default).
  // A capture that can never be a sample (an early sequence step, a first-seen event inside
  // its entity's learning period) skips both, which is most of the cost of a capture.
  // (After finish() every capture keeps its sample: the operators' proofs assume that nothing
  // processed is at or after the watermark, which finish() ends.)
  const bool sample = finished_ || wants_sample(x, key, t);
  double severity = -1;
  if (sample && !rule_.severity.cases.empty()) severity = rule_.severity.eval(&ev, ctx);
  strs_.clear();
  if (const ingest::CloudTrailEvent* ct = ev.cloudtrail(); ct != nullptr && !ct->event_id.empty()) {
    strs_.push_back(ct->event_id);  // what event_id_to() would copy
  } else {
    ev.event_id_to(&id_buf_);
    strs_.push_back(id_buf_);
  }
  strs_.push_back(key);
  for (std::size_t i = 0; i < x.nvalues; ++i) strs_.push_back(x.values[i]);
  if (sample) {
    snap_bufs_.resize(snapshot_fields_.size());
    for (std::size_t i = 0; i < snapshot_fields_.size(); ++i) {
      strs_.push_back(text_of(ev, snapshot_fields_[i], &snap_bufs_[i]));
    }
  }
  if (!defer(t, severity, strs_)) enqueue(t, x.mask, x.number, severity, strs_, x.nvalues);
  drain(wm, sink);
}

void OperatorBase::advance(int64_t watermark_ms, StateSink& sink) {
  if (watermark_ms > external_wm_) external_wm_ = watermark_ms;
  drain(watermark(), sink);
}

void OperatorBase::finish(StateSink& sink) {
  if (finish_deferred()) {
    finished_ = true;
    on_finish(sink);
    return;
  }
  undefer();
  finished_ = true;
  drain(kMaxTime, sink);
  on_finish(sink);
}

void OperatorBase::drain(int64_t limit, StateSink& sink) {
  auto cmp = [this](const Queued& a, const Queued& b) { return later(a, b); };
  while (!heap_.empty() && heap_.front().t < limit) {
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    const Queued q = heap_.back();
    heap_.pop_back();
    if (q.t > now_) {
      now_ = q.t;
      on_time(now_, sink);
    }
    // The capture's bytes stay in the arena until the next enqueue may compact it.
    view(q, &capture_);
    const char* p = arena_.data() + (q.off - arena_base_);
    live_bytes_ -= packed_bytes(p, q.nstr);
    process(capture_, sink);
  }
  if (heap_.empty()) {
    arena_base_ += arena_.size();
    arena_.clear();
    live_bytes_ = 0;
  }
  if (limit != kMaxTime && limit > now_) {
    now_ = limit;
    on_time(now_, sink);
  }
}

void OperatorBase::emit(StateHit* hit, const Sample& s, StateSink& sink) {
  hit->sample_id = s.id;
  hit->sample_time_ms = s.t;
  hit->severity = s.severity;
  hit->sample_fields.clear();
  for (std::size_t i = 0; i < snapshot_fields_.size() && i < s.snapshot.size(); ++i) {
    hit->sample_fields.emplace_back(snapshot_fields_[i].text, s.snapshot[i]);
  }
  ++stats_.hits;
  sink.on_hit(rule_, *hit, nullptr);
}

void save_strings(SnapshotWriter& w, const std::vector<std::string>& v) {
  w.u64(v.size());
  for (const auto& s : v) w.str(s);
}

void restore_strings(SnapshotReader& r, std::vector<std::string>* v) {
  v->clear();
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) v->push_back(r.str());
}

void Sample::save(SnapshotWriter& w) const {
  w.i64(t);
  w.str(id);
  save_strings(w, snapshot);
  w.f64(severity);
}

void Sample::restore(SnapshotReader& r) {
  t = r.i64();
  id = r.str();
  restore_strings(r, &snapshot);
  severity = r.f64();
}

namespace {

// 2: each queued capture and kept sample carries the severity its event decided.
constexpr uint64_t kOperatorFormat = 2;

void save_stats(SnapshotWriter& w, const StateStats& s) {
  // `keys` is derived from the key table.
  for (uint64_t v : {s.evictions, s.late_events, s.no_time_events, s.late_accepted, s.cap_evictions,
                     s.events, s.hits}) {
    w.u64(v);
  }
}

void restore_stats(SnapshotReader& r, StateStats* s) {
  for (uint64_t* v : {&s->evictions, &s->late_events, &s->no_time_events, &s->late_accepted,
                      &s->cap_evictions, &s->events, &s->hits}) {
    *v = r.u64();
  }
}

}  // namespace

void OperatorBase::save(std::string* out) const {
  // One format: what an operator holds deferred is queued first. That changes no result (the
  // deferred form is equivalent by contract), only how the operator goes on (queuing).
  const_cast<OperatorBase*>(this)->undefer();
  SnapshotWriter w(out);
  w.u64(kOperatorFormat);
  w.u64(static_cast<uint64_t>(spec_.kind));
  w.i64(max_seen_);
  w.i64(external_wm_);
  w.i64(now_);
  save_stats(w, stats_);
  // The queue in the order it will be processed, so equal states give equal bytes.
  std::vector<const Queued*> queued;
  queued.reserve(heap_.size());
  for (const Queued& q : heap_) queued.push_back(&q);
  std::sort(queued.begin(), queued.end(),
            [this](const Queued* a, const Queued* b) { return later(*b, *a); });
  w.u64(queued.size());
  for (const Queued* q : queued) {
    w.i64(q->t);
    w.str(str_of(*q, 0));
    w.str(str_of(*q, 1));
    const std::size_t nsnap = q->nstr - 2 - q->nvalues;
    w.u64(nsnap);
    for (std::size_t i = 0; i < nsnap; ++i) w.str(str_of(*q, 2 + q->nvalues + i));
    w.u64(q->nvalues);
    for (std::size_t i = 0; i < q->nvalues; ++i) w.str(str_of(*q, 2 + i));
    w.u64(q->mask);
    w.f64(q->number);
    w.f64(q->severity);
  }
  save_keys(w);
}

bool OperatorBase::restore(std::string_view in, std::string* error) {
  undefer();
  SnapshotReader r(in);
  if (r.u64() != kOperatorFormat) r.fail("unknown operator state format");
  if (r.ok() && r.u64() != static_cast<uint64_t>(spec_.kind)) r.fail("state of another kind");
  max_seen_ = r.i64();
  external_wm_ = r.i64();
  now_ = r.i64();
  stats_ = StateStats{};
  restore_stats(r, &stats_);
  heap_.clear();
  arena_.clear();
  arena_base_ = 0;
  live_bytes_ = 0;
  const uint64_t n = r.count();
  std::vector<std::string> snap;
  std::vector<std::string> values;
  std::vector<std::string_view> strs;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const int64_t t = r.i64();
    const std::string id = r.str();
    const std::string key = r.str();
    restore_strings(r, &snap);
    restore_strings(r, &values);
    const auto mask = static_cast<uint32_t>(r.u64());
    const double number = r.f64();
    const double severity = r.f64();
    if (!r.ok()) break;
    strs.clear();
    strs.push_back(id);
    strs.push_back(key);
    for (const auto& v : values) strs.push_back(v);
    for (const auto& v : snap) strs.push_back(v);
    enqueue(t, mask, number, severity, strs, values.size());
  }
  if (r.ok()) restore_keys(r);
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (!r.ok()) {
    *error = r.error();
    return false;
  }
  return true;
}

StateStats OperatorBase::stats() const {
  StateStats s = stats_;
  s.keys = live_keys();
  deferred_stats(&s);
  return s;
}

}  // namespace sentinel::detect::state
