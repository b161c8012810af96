// Engine::save_state / restore_state / rules_fingerprint: the detection state as bytes, so a
// run split in parts (day by day) gives the same findings as one run. The format is described in
// docs/stateful.md ("State snapshots"); the codec is detect/state/snapshot.h.
#include <openssl/evp.h>
#include <re2/re2.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/state/snapshot.h"

namespace sentinel::detect {

namespace {

using state::SnapshotReader;
using state::SnapshotWriter;

constexpr std::string_view kMagic = "sentinel-detect-state";
constexpr uint64_t kFormatVersion = 1;
constexpr std::size_t kDigestBytes = 32;

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1 ||
      len != kDigestBytes) {
    return std::string(kDigestBytes, '\0');  // only when OpenSSL itself is broken
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

// ---- The rule set's fingerprint: every member that can change what a rule outputs ----------

void fp_field(SnapshotWriter& w, const FieldRef& f) {
  w.str(f.text);
}

// A stateful key: its text (the call as written, for a function) and, for a call, the function
// and its arguments.
void fp_key(SnapshotWriter& w, const KeyExpr& k) {
  fp_field(w, k);
  w.str(k.fn);
  w.u64(k.args.size());
  for (const FieldRef& a : k.args) fp_field(w, a);
}

void fp_predicate(SnapshotWriter& w, const Predicate& p) {
  w.u64(static_cast<uint64_t>(p.kind));
  w.u64(p.children.size());
  for (const Predicate& c : p.children) fp_predicate(w, c);
  if (p.kind != Predicate::Kind::kCompare) return;
  fp_field(w, p.field);
  w.u64(p.args.size());
  for (const FieldRef& a : p.args) fp_field(w, a);
  w.u64(static_cast<uint64_t>(p.op));
  w.boolean(p.case_insensitive);
  w.boolean(p.all_patterns);
  w.boolean(p.negate);
  w.u64(p.strings.size());
  for (const auto& s : p.strings) w.str(s);
  w.u64(p.numbers.size());
  for (double d : p.numbers) w.f64(d);
  w.u64(p.regexes.size());
  for (const auto& r : p.regexes) w.str(r == nullptr ? std::string() : r->pattern());
  w.u64(p.cidrs.size());
  for (const Cidr& c : p.cidrs) {
    w.str(std::string_view(reinterpret_cast<const char*>(c.base.bytes.data()), 16));
    w.i64(c.prefix);
  }
  w.str(p.list);
}

void fp_template(SnapshotWriter& w, const Template& t) {
  w.u64(t.parts.size());
  for (const Template::Part& p : t.parts) {
    w.boolean(p.is_field);
    w.boolean(p.is_var);
    w.str(p.text);
    fp_field(w, p.field);
  }
}

void fp_json(SnapshotWriter& w, const JsonTemplate::Node& n) {
  w.u64(static_cast<uint64_t>(n.kind));
  w.u64(n.members.size());
  for (const auto& [k, child] : n.members) {
    w.str(k);
    fp_json(w, child);
  }
  w.u64(n.items.size());
  for (const auto& child : n.items) fp_json(w, child);
  fp_template(w, n.text);
  w.f64(n.number);
  w.boolean(n.boolean);
}

void fp_rule(SnapshotWriter& w, const Rule& r) {
  w.str(r.id);
  w.str(r.type);
  fp_template(w, r.title);
  fp_template(w, r.description);
  w.f64(r.severity.value);
  w.u64(r.severity.cases.size());
  for (const auto& c : r.severity.cases) {
    fp_predicate(w, c.when);
    w.f64(c.value);
  }
  w.u64(r.log_types.size());
  for (auto t : r.log_types) w.u64(static_cast<uint64_t>(t));
  fp_predicate(w, r.match);
  const StatefulSpec& s = r.stateful;
  w.u64(static_cast<uint64_t>(s.kind));
  w.u64(s.group_by.size());
  for (const auto& f : s.group_by) fp_key(w, f);
  w.i64(s.window_ms);
  w.i64(s.lateness_ms);
  w.u64(s.threshold);
  fp_key(w, s.distinct_field);
  w.u64(s.features.size());
  for (const auto& f : s.features) fp_key(w, f);
  w.i64(s.learning_ms);
  w.f64(s.rare_fraction);
  w.u64(s.steps.size());
  for (const auto& p : s.steps) fp_predicate(w, p);
  w.u64(s.step_names.size());
  for (const auto& n : s.step_names) w.str(n);
  fp_field(w, s.volume_field);
  w.i64(s.interval_ms);
  w.f64(s.z_threshold);
  w.u64(s.warmup_intervals);
  w.u64(s.history_intervals);
  w.f64(s.min_volume);
  w.u64(s.max_combinations);
  w.u64(s.max_keys);
  w.i64(s.ttl_ms);
  w.u64(r.group_by.size());
  for (const auto& f : r.group_by) fp_field(w, f);
  fp_json(w, r.resource.root);
  fp_json(w, r.action.root);
  w.str(r.resource_role);
  w.u64(r.tags.size());
  for (const auto& t : r.tags) w.str(t);
}

// ---- Findings ------------------------------------------------------------------------------

void save_finding(SnapshotWriter& w, const findings::Finding& f) {
  w.str(f.id);
  w.str(f.type);
  w.f64(f.severity);
  w.str(f.title);
  w.str(f.description);
  w.str(f.account_id);
  w.str(f.region);
  w.str(f.partition);
  w.str(f.rule_id);
  w.u64(f.tags.size());
  for (const auto& t : f.tags) w.str(t);
  w.str(f.resource_json);
  w.str(f.action_json);
  w.str(f.resource_role);
  w.str(f.additional_info_json);
  w.str(f.unusual_json);
  w.u64(f.threat_intel.size());
  for (const auto& t : f.threat_intel) {
    w.str(t.list_name);
    w.u64(t.threat_names.size());
    for (const auto& n : t.threat_names) w.str(n);
  }
  w.i64(f.first_seen_ms);
  w.i64(f.last_seen_ms);
  w.i64(f.created_ms);
  w.i64(f.updated_ms);
  w.u64(f.count);
  w.boolean(f.archived);
  w.str(f.suppressed_by);
  w.u64(f.evidence.size());
  for (const auto& e : f.evidence) w.str(e);
  w.u64(f.evidence_total);
}

void restore_finding_strings(SnapshotReader& r, std::vector<std::string>* v) {
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) v->push_back(r.str());
}

void restore_finding(SnapshotReader& r, findings::Finding* f) {
  f->id = r.str();
  f->type = r.str();
  f->severity = r.f64();
  f->title = r.str();
  f->description = r.str();
  f->account_id = r.str();
  f->region = r.str();
  f->partition = r.str();
  f->rule_id = r.str();
  restore_finding_strings(r, &f->tags);
  f->resource_json = r.str();
  f->action_json = r.str();
  f->resource_role = r.str();
  f->additional_info_json = r.str();
  f->unusual_json = r.str();
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    findings::ThreatIntel t;
    t.list_name = r.str();
    restore_finding_strings(r, &t.threat_names);
    f->threat_intel.push_back(std::move(t));
  }
  f->first_seen_ms = r.i64();
  f->last_seen_ms = r.i64();
  f->created_ms = r.i64();
  f->updated_ms = r.i64();
  f->count = r.u64();
  f->archived = r.boolean();
  f->suppressed_by = r.str();
  restore_finding_strings(r, &f->evidence);
  f->evidence_total = r.u64();
}

constexpr uint64_t kEngineStatsFields = 7;

}  // namespace

std::string Engine::rules_fingerprint() const {
  std::string buf;
  SnapshotWriter w(&buf);
  w.u64(rules_.size());
  for (const Rule& r : rules_) fp_rule(w, r);
  const std::string digest = sha256(buf);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : digest) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

std::string Engine::save_state() const {
  std::string out(kMagic);
  SnapshotWriter w(&out);
  w.u64(kFormatVersion);
  w.str(rules_fingerprint());
  w.u64(kTypes);
  for (std::size_t t = 0; t < kTypes; ++t) {
    w.i64(max_time_[t]);
    w.i64(last_advance_[t]);
  }
  w.u64(kEngineStatsFields);
  for (uint64_t v : {stats_.events, stats_.evaluations, stats_.prefilter_scans, stats_.matches,
                     stats_.findings_raised, stats_.state_evictions, stats_.late_events}) {
    w.u64(v);
  }
  w.u64(rules_.size());
  std::string part;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    w.str(rules_[i].id);
    part.clear();
    if (ops_[i] != nullptr) ops_[i]->save(&part);
    w.boolean(ops_[i] != nullptr);
    w.str(part);
  }
  w.u64(aggregator_.overflow());
  w.u64(aggregator_.added());
  const auto& entries = aggregator_.entries();
  w.u64(entries.size());
  for (const auto& e : entries) {
    save_finding(w, e.finding);
    w.u64(e.evidence.size());
    for (const auto& k : e.evidence) {
      w.i64(k.time_ms);
      w.str(k.group);
      w.u64(k.index);
      w.str(k.id);
    }
  }
  out += sha256(out);
  return out;
}

bool Engine::restore_state(std::string_view snap, std::string* error) {
  auto refuse = [&](const std::string& why) {
    *error = "detection state snapshot refused: " + why;
    return false;
  };
  if (snap.size() < kMagic.size() + kDigestBytes || snap.substr(0, kMagic.size()) != kMagic) {
    return refuse("not a sentinel detection state snapshot");
  }
  const std::string_view body = snap.substr(0, snap.size() - kDigestBytes);
  if (sha256(body) != snap.substr(body.size())) {
    return refuse("checksum mismatch (the snapshot is truncated or corrupt)");
  }
  SnapshotReader r(body.substr(kMagic.size()));
  const uint64_t version = r.u64();
  if (r.ok() && version != kFormatVersion) {
    return refuse("format version " + std::to_string(version) + ", this build reads version " +
                  std::to_string(kFormatVersion));
  }
  const std::string fp = r.str();
  if (r.ok() && fp != rules_fingerprint()) {
    return refuse(
        "it was taken with a different rule set (rules fingerprint " + fp.substr(0, 16) +
        "..., the loaded rules are " + rules_fingerprint().substr(0, 16) +
        "...); run the whole input again with these rules, or use the rules it was taken with");
  }
  std::array<int64_t, kTypes> max_time{};
  std::array<int64_t, kTypes> last_advance{};
  if (r.ok() && r.u64() != kTypes) r.fail("another number of log types");
  for (std::size_t t = 0; t < kTypes && r.ok(); ++t) {
    max_time[t] = r.i64();
    last_advance[t] = r.i64();
  }
  EngineStats stats;
  if (r.ok() && r.u64() != kEngineStatsFields) r.fail("another set of engine counters");
  for (uint64_t* v : {&stats.events, &stats.evaluations, &stats.prefilter_scans, &stats.matches,
                      &stats.findings_raised, &stats.state_evictions, &stats.late_events}) {
    *v = r.u64();
  }
  if (r.ok() && r.u64() != rules_.size()) r.fail("another number of rules");
  std::vector<std::unique_ptr<StatefulOperator>> ops(rules_.size());
  for (std::size_t i = 0; i < rules_.size() && r.ok(); ++i) {
    const std::string id = r.str();
    const bool has_op = r.boolean();
    const std::string part = r.str();
    if (!r.ok()) break;
    if (id != rules_[i].id || has_op != (ops_[i] != nullptr)) {
      r.fail("rule order differs");
      break;
    }
    if (!has_op) continue;
    ops[i] = make_operator(rules_[i]);
    std::string why;
    if (!ops[i]->restore(part, &why)) {
      return refuse("state of rule '" + rules_[i].id + "': " + why);
    }
  }
  const uint64_t overflow = r.u64();
  const uint64_t added = r.u64();
  std::vector<findings::Aggregator::Entry> entries;
  const uint64_t n = r.count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    findings::Aggregator::Entry e;
    restore_finding(r, &e.finding);
    const uint64_t ne = r.count();
    for (uint64_t k = 0; k < ne && r.ok(); ++k) {
      findings::Aggregator::EvidenceKey key;
      key.time_ms = r.i64();
      key.group = r.str();
      key.index = static_cast<uint32_t>(r.u64());
      key.id = r.str();
      e.evidence.push_back(std::move(key));
    }
    entries.push_back(std::move(e));
  }
  if (r.ok() && !r.at_end()) r.fail("trailing bytes");
  if (!r.ok()) return refuse(r.error());
  findings::Aggregator aggregator;
  if (!aggregator.restore(std::move(entries), overflow, added)) {
    return refuse("two findings with one id");
  }
  // Everything read: swap it in.
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (ops[i] != nullptr) ops_[i] = std::move(ops[i]);
  }
  max_time_ = max_time;
  last_advance_ = last_advance;
  stats_ = stats;
  aggregator_ = std::move(aggregator);
  return true;
}

}  // namespace sentinel::detect
