#pragma once
/// The resource index of CloudTrail raw blocks (docs/store.md, "The resource index").
///
/// `search --resource R` matches a record when R is a substring of a member name or a string
/// value inside its requestParameters, responseElements, resources or additionalEventData. For
/// each CloudTrail raw block the store keeps a bloom filter of the *winnowed* 4-grams of those
/// strings: in every window of kGramWindow consecutive 4-grams of a string, the 4-gram with the
/// smallest hash is selected. A needle of at least kMinIndexedNeedle bytes that occurs inside a
/// string contains a whole window of it, and that window's minimum is the same 4-gram whether
/// the window is read from the needle or from the string, so every window minimum of the needle
/// is in the filter of each block that can match. A block whose filter lacks one of them is
/// skipped without being inflated; the records of the blocks that pass are tested exactly as
/// without the index. Shorter needles cannot use the index (every block is read).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sentinel::store {

inline constexpr std::size_t kGramBytes = 4;
inline constexpr std::size_t kGramWindow = 8;
/// The shortest needle the index answers: one whole window of grams.
inline constexpr std::size_t kMinIndexedNeedle = kGramBytes + kGramWindow - 1;
/// Filter bits per distinct selected gram (3 probes: ~9% false positives per gram; a needle of
/// 19 bytes has 3-4 distinct window minima, so ~0.1% of the blocks that lack it are read).
inline constexpr std::size_t kGramBloomBitsPerKey = 5;

/// Calls fn(hash) for the window minimum of each window of `s` (consecutive repeats once).
/// Strings shorter than kMinIndexedNeedle contribute nothing: no indexed needle fits in them.
void for_each_gram_minimum(std::string_view s, std::vector<uint32_t>* out);

/// Builds one block's filter: the distinct window minima in an open-addressing set, then the
/// bits. Reused across blocks; not thread-safe. The set of minima is sized for each block (from
/// the block before it: 4 bytes a slot, at most half full, zeroed at the start of a block), so it
/// stays in the core's cache: a table grown once for the largest block and kept for every later
/// one cost a cache miss per minimum. A string the block already added (member names and ids
/// repeat from record to record: ~80% of the long strings of a bench file) is recognised by its
/// bytes and not windowed again (no clearing there: a slot of that set belongs to the block whose
/// generation it carries); the filter is the same.
class GramBloomBuilder {
 public:
  void add_string(std::string_view s);
  /// The filter of what was added since the last finish() (empty when nothing was), then clears.
  void finish(std::string* bloom);
  bool empty() const { return keys_.empty(); }
  void clear();

 private:
  void insert(uint32_t g);
  /// Places every non-zero key in slots_ (sized, zeroed) again.
  void rehash_minima();
  /// True when the block already added `s` (recorded otherwise).
  bool seen(std::string_view s);
  /// A seen_slots_ slot: the block's generation in the high 32 bits, the value in the low ones.
  bool live(uint64_t slot) const { return (slot >> 32) == gen_; }

  struct Seen {
    uint64_t hash;
    uint32_t off;
    uint32_t len;
  };
  uint32_t gen_ = 1;                  ///< the open block's generation (0: a slot never used)
  std::vector<uint64_t> seen_slots_;  ///< live: index in seen_
  std::vector<Seen> seen_;
  std::string seen_bytes_;       ///< the strings of seen_
  std::vector<uint32_t> slots_;  ///< a distinct non-zero minimum, 0 = free (power of two)
  bool has_zero_ = false;        ///< the minimum 0 is among keys_ (it has no slot)
  std::vector<uint32_t> keys_;   ///< the distinct minima, in insertion order
  std::vector<uint32_t> scratch_;
};

/// The needle's window minima (sorted, distinct); empty when it is too short for the index.
std::vector<uint32_t> needle_grams(std::string_view needle);

/// False only when the filter proves that no string of the block holds the needle whose
/// needle_grams() are `grams`. An empty filter holds nothing (no string of the block is long
/// enough for an indexed needle).
bool gram_bloom_may_hold(std::string_view bloom, const std::vector<uint32_t>& grams);

}  // namespace sentinel::store
