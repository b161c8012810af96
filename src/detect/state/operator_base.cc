#include "detect/state/operator_base.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "detect/rules/rule.h"

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

// (t, id, key) ascending: std heap functions build a max-heap, so compare reversed.
bool later(const Item& a, const Item& b) {
  if (a.t != b.t) return a.t > b.t;
  if (a.id != b.id) return a.id > b.id;
  return a.key > b.key;
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

void OperatorBase::on_match(const EventView& ev, StateSink& sink) {
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
  Item it;
  it.t = t;
  if (!extract(ev, &it)) return;
  if (t < now_) ++stats_.late_accepted;
  ++stats_.events;
  for (std::size_t i = 0; i < spec_.group_by.size(); ++i) {
    if (i > 0) it.key += '\x1f';
    ev.first_text(spec_.group_by[i], &buf_);
    it.key += buf_;
  }
  it.id = ev.event_id();
  it.snapshot.reserve(snapshot_fields_.size());
  for (const FieldRef& f : snapshot_fields_) {
    ev.first_text(f, &buf_);
    it.snapshot.push_back(buf_);
  }
  heap_.push_back(std::move(it));
  std::push_heap(heap_.begin(), heap_.end(), later);
  drain(wm, sink);
}

void OperatorBase::advance(int64_t watermark_ms, StateSink& sink) {
  if (watermark_ms > external_wm_) external_wm_ = watermark_ms;
  drain(watermark(), sink);
}

void OperatorBase::finish(StateSink& sink) {
  drain(kMaxTime, sink);
  on_finish(sink);
}

void OperatorBase::drain(int64_t limit, StateSink& sink) {
  while (!heap_.empty() && heap_.front().t < limit) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Item it = std::move(heap_.back());
    heap_.pop_back();
    if (it.t > now_) {
      now_ = it.t;
      on_time(now_, sink);
    }
    process(std::move(it), sink);
  }
  if (limit != kMaxTime && limit > now_) {
    now_ = limit;
    on_time(now_, sink);
  }
}

void OperatorBase::emit(StateHit* hit, const Sample& s, StateSink& sink) {
  hit->sample_id = s.id;
  hit->sample_time_ms = s.t;
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
}

void Sample::restore(SnapshotReader& r) {
  t = r.i64();
  id = r.str();
  restore_strings(r, &snapshot);
}

namespace {

constexpr uint64_t kOperatorFormat = 1;

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
  SnapshotWriter w(out);
  w.u64(kOperatorFormat);
  w.u64(static_cast<uint64_t>(spec_.kind));
  w.i64(max_seen_);
  w.i64(external_wm_);
  w.i64(now_);
  save_stats(w, stats_);
  // The queue in the order it will be processed, so equal states give equal bytes.
  std::vector<const Item*> queued;
  queued.reserve(heap_.size());
  for (const Item& it : heap_) queued.push_back(&it);
  std::sort(queued.begin(), queued.end(),
            [](const Item* a, const Item* b) { return later(*b, *a); });
  w.u64(queued.size());
  for (const Item* it : queued) {
    w.i64(it->t);
    w.str(it->id);
    w.str(it->key);
    save_strings(w, it->snapshot);
    save_strings(w, it->values);
    w.u64(it->mask);
    w.f64(it->number);
  }
  save_keys(w);
}

bool OperatorBase::restore(std::string_view in, std::string* error) {
  SnapshotReader r(in);
  if (r.u64() != kOperatorFormat) r.fail("unknown operator state format");
  if (r.ok() && r.u64() != static_cast<uint64_t>(spec_.kind)) r.fail("state of another kind");
  max_seen_ = r.i64();
  external_wm_ = r.i64();
  now_ = r.i64();
  stats_ = StateStats{};
  restore_stats(r, &stats_);
  heap_.clear();
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    Item it;
    it.t = r.i64();
    it.id = r.str();
    it.key = r.str();
    restore_strings(r, &it.snapshot);
    restore_strings(r, &it.values);
    it.mask = static_cast<uint32_t>(r.u64());
    it.number = r.f64();
    heap_.push_back(std::move(it));
  }
  std::make_heap(heap_.begin(), heap_.end(), later);
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
  return s;
}

}  // namespace sentinel::detect::state
