#include "findings/aggregator.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace sentinel::findings {

bool Aggregator::EvidenceKey::operator<(const EvidenceKey& o) const {
  return std::tie(time_ms, group, index, id) < std::tie(o.time_ms, o.group, o.index, o.id);
}

Aggregator::Aggregator(std::size_t max_findings) : max_findings_(max_findings) {}

void Aggregator::add_evidence(Entry* e, Finding* f) {
  if (f->evidence.empty()) return;
  const std::string group = f->evidence.front();
  for (std::size_t i = 0; i < f->evidence.size(); ++i) {
    EvidenceKey k{f->first_seen_ms, group, static_cast<uint32_t>(i), std::move(f->evidence[i])};
    auto& ev = e->evidence;
    if (ev.size() == Finding::kMaxEvidence && !(k < ev.back())) continue;
    ev.insert(std::upper_bound(ev.begin(), ev.end(), k), std::move(k));
    if (ev.size() > Finding::kMaxEvidence) ev.pop_back();
  }
  f->evidence.clear();
}

bool Aggregator::add(Finding f) {
  auto it = index_.find(f.id);
  if (it == index_.end()) {
    if (entries_.size() >= max_findings_) {
      ++overflow_;
      return false;
    }
    ++added_;
    index_.emplace(f.id, entries_.size());
    Entry& e = entries_.emplace_back();
    add_evidence(&e, &f);
    e.finding = std::move(f);
    return true;
  }
  ++added_;
  Entry& e = entries_[it->second];
  // Evidence is kept here, ordered by a key that does not depend on arrival order; merge()
  // sees none so it only folds the rest.
  add_evidence(&e, &f);
  e.finding.merge(f);
  return true;
}

bool Aggregator::restore(std::vector<Entry> entries, uint64_t overflow, uint64_t added) {
  entries_ = std::move(entries);
  index_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!index_.emplace(entries_[i].finding.id, i).second) {
      entries_.clear();
      index_.clear();
      return false;
    }
  }
  overflow_ = overflow;
  added_ = added;
  return true;
}

std::vector<Finding> Aggregator::take() {
  std::vector<Finding> out;
  out.reserve(entries_.size());
  for (Entry& e : entries_) {
    e.finding.evidence.clear();
    for (EvidenceKey& k : e.evidence) e.finding.evidence.push_back(std::move(k.id));
    out.push_back(std::move(e.finding));
  }
  entries_.clear();
  index_.clear();
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
  });
  return out;
}

}  // namespace sentinel::findings
