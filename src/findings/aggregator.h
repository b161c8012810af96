#pragma once
/// Folds repeated findings into one, as GuardDuty does: the same type with the same parameters
/// (the same finding id) becomes one finding whose count, eventLastSeen and updatedAt grow.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "findings/finding.h"

namespace sentinel::findings {

/// Holds findings by id and folds later occurrences into them. The result of take() depends only
/// on the multiset of findings added, not on their order (while the cap is not reached): ties
/// between occurrences are broken on their content, evidence is kept by (occurrence time, id).
/// Not thread-safe; one per pipeline.
class Aggregator {
 public:
  /// Default cap on distinct findings held at once.
  static constexpr std::size_t kDefaultMaxFindings = 1'000'000;

  explicit Aggregator(std::size_t max_findings = kDefaultMaxFindings);

  /// Folds `f` into the held finding with the same id, or holds it as a new one. Returns false
  /// (and counts it in overflow()) when `f` is new and the cap is reached.
  bool add(Finding f);

  /// Distinct findings held.
  std::size_t size() const { return entries_.size(); }
  /// Occurrences dropped because the cap was reached.
  uint64_t overflow() const { return overflow_; }
  /// Occurrences folded in (not dropped) since construction.
  uint64_t added() const { return added_; }

  /// The folded findings, sorted by created time and then id; leaves the aggregator empty (the
  /// counters stay).
  std::vector<Finding> take();

  // One evidence id with the key that orders it: occurrence time, the occurrence's first
  // evidence id (keeps one occurrence's ids together), position within the occurrence.
  struct EvidenceKey {
    int64_t time_ms;
    std::string group;
    uint32_t index;
    std::string id;
    bool operator<(const EvidenceKey& o) const;
  };
  /// A held finding: `finding.evidence` is empty while held; its evidence is `evidence`.
  struct Entry {
    Finding finding;
    std::vector<EvidenceKey> evidence;  // sorted, at most Finding::kMaxEvidence
  };
  /// For state snapshots (detect::Engine::save_state): the held findings, in the order added.
  const std::vector<Entry>& entries() const { return entries_; }
  /// Replaces the held findings and counters with saved ones (entries as entries() gave them).
  /// False when two entries share an id (a corrupt snapshot); the aggregator is then empty.
  bool restore(std::vector<Entry> entries, uint64_t overflow, uint64_t added);

 private:
  static void add_evidence(Entry* e, Finding* f);

  std::size_t max_findings_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
  uint64_t overflow_ = 0;
  uint64_t added_ = 0;
};

}  // namespace sentinel::findings
