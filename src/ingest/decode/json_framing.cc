#include "ingest/decode/json_framing.h"

#include <immintrin.h>
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "core/limits.h"
#include "ingest/decode/json_scan.h"

namespace sentinel::ingest {

// The one-pass path's parser: simdjson's DOM parser sized for one window, with the framer's depth
// limit, so a record it parses is never one the per-record path would call too deep.
struct BulkParser::Impl {
  // Target window: stage 1 runs over about this many bytes of whole records at a time, small
  // enough that the window and its structural index stay in the L2 cache for stage 2.
  static constexpr std::size_t kWindow = std::size_t{256} << 10;
  // Largest window (the first record boundary after kWindow must come before this).
  static constexpr std::size_t kCapacity = std::size_t{2} << 20;
  simdjson::dom::parser parser;
  bool ready = false;
  bool failed = false;

  bool ensure() {
    if (ready) return true;
    if (failed) return false;
    // A record nesting deeper than the framer's limit fails stage 2 here (the ingest tests'
    // depth cases check the limit is the same), so the per-record path rejects it as too deep.
    if (parser.allocate(kCapacity, limits::kMaxJsonDepth) != simdjson::SUCCESS ||
        parser.doc.allocate(kCapacity) != simdjson::SUCCESS) {
      failed = true;
      return false;
    }
    ready = true;
    return true;
  }
};

BulkParser::BulkParser() : impl(std::make_unique<Impl>()) {}
BulkParser::~BulkParser() = default;

namespace {

constexpr std::size_t kFramingNpos = std::string_view::npos;
// How many records a damaged stretch counts as lost: telling how many whole records a broken
// stretch held would be guesswork, and one broken record is by far the common case.
constexpr uint64_t kOneRecord = 1;

inline bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// ---- the one-pass path's skip test (RecordHandler::skip_needles) ----

// Offsets (from p) in [0, n) where a record must not be skipped: every backslash (an escape
// could spell anything, and the walk below takes strings as their bytes) and every place one of
// `needles` starts. Appended in increasing order.
void find_marks_scalar(const char* p, std::size_t from, std::size_t n,
                       const std::vector<std::string>& needles, std::vector<uint32_t>* out) {
  for (std::size_t i = from; i < n; ++i) {
    if (p[i] == '\\') {
      out->push_back(static_cast<uint32_t>(i));
      continue;
    }
    for (const std::string& s : needles) {
      if (p[i] == s[0] && s.size() <= n - i && std::memcmp(p + i, s.data(), s.size()) == 0) {
        out->push_back(static_cast<uint32_t>(i));
        break;
      }
    }
  }
}

// Appends `at` when a backslash or one of `needles` starts there and lies within [0, n).
inline void mark_candidate(const char* p, std::size_t at, std::size_t n,
                           const std::vector<std::string>& needles, std::vector<uint32_t>* out) {
  if (p[at] == '\\') {
    out->push_back(static_cast<uint32_t>(at));
    return;
  }
  for (const std::string& s : needles) {
    if (s.size() <= n - at && std::memcmp(p + at, s.data(), s.size()) == 0) {
      out->push_back(static_cast<uint32_t>(at));
      return;
    }
  }
}

// The candidate bytes of the 32 at p: backslashes, and where needle j's first byte is at p and
// its last at p + off[j].
// `b` holds the 32 bytes at p.
__attribute__((target("avx2"))) inline __m256i mark_block(const char* p, __m256i b, std::size_t k,
                                                          const __m256i* first, const __m256i* last,
                                                          const std::size_t* off, __m256i bs) {
  __m256i any = _mm256_cmpeq_epi8(b, bs);
  for (std::size_t j = 0; j < k; ++j) {
    const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + off[j]));
    any = _mm256_or_si256(
        any, _mm256_and_si256(_mm256_cmpeq_epi8(b, first[j]), _mm256_cmpeq_epi8(e, last[j])));
  }
  return any;
}

// The same, 32 bytes at a time: a needle's candidates are where its first and its last byte
// both sit at the right distance (then compared whole). K needles (K = 0 for any count up to 8).
// Returns true when [0, n) holds a '\n' (the line count of the records in it is then needed).
template <std::size_t K>
__attribute__((target("avx2"))) bool find_marks_avx2(const char* p, std::size_t n,
                                                     const std::vector<std::string>& needles,
                                                     std::vector<uint32_t>* out) {
  constexpr std::size_t kMax = 8;
  const std::size_t k = K != 0 ? K : needles.size();
  __m256i first[kMax];
  __m256i last[kMax];
  std::size_t off[kMax];
  std::size_t span = 0;  // the longest needle
  for (std::size_t j = 0; j < k; ++j) {
    first[j] = _mm256_set1_epi8(needles[j].front());
    last[j] = _mm256_set1_epi8(needles[j].back());
    off[j] = needles[j].size() - 1;
    span = std::max(span, needles[j].size());
  }
  const __m256i bs = _mm256_set1_epi8('\\');
  const __m256i lf = _mm256_set1_epi8('\n');
  __m256i newlines = _mm256_setzero_si256();
  std::size_t i = 0;
  auto candidates = [&](std::size_t at) __attribute__((target("avx2"))) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at));
    newlines = _mm256_or_si256(newlines, _mm256_cmpeq_epi8(b, lf));
    return mark_block(p + at, b, k, first, last, off, bs);
  };
  // Two blocks at a time while nothing is found (the common case), then one.
  for (; i + 64 + span - 1 <= n; i += 64) {
    const __m256i a0 = candidates(i);
    const __m256i a1 = candidates(i + 32);
    if (_mm256_testz_si256(_mm256_or_si256(a0, a1), _mm256_or_si256(a0, a1))) continue;
    for (int h = 0; h < 2; ++h) {
      auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(h == 0 ? a0 : a1));
      while (mask != 0) {
        mark_candidate(p, i + 32 * h + static_cast<std::size_t>(__builtin_ctz(mask)), n, needles,
                       out);
        mask &= mask - 1;
      }
    }
  }
  // Blocks whose every candidate needle lies inside [0, n).
  for (; i + 32 + span - 1 <= n; i += 32) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    newlines = _mm256_or_si256(newlines, _mm256_cmpeq_epi8(b, lf));
    __m256i any = _mm256_cmpeq_epi8(b, bs);
    for (std::size_t j = 0; j < k; ++j) {
      const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + off[j]));
      any = _mm256_or_si256(
          any, _mm256_and_si256(_mm256_cmpeq_epi8(b, first[j]), _mm256_cmpeq_epi8(e, last[j])));
    }
    auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(any));
    while (mask != 0) {
      mark_candidate(p, i + static_cast<std::size_t>(__builtin_ctz(mask)), n, needles, out);
      mask &= mask - 1;
    }
  }
  find_marks_scalar(p, i, n, needles, out);
  return !_mm256_testz_si256(newlines, newlines) || std::memchr(p + i, '\n', n - i) != nullptr;
}

// mark_candidate for each set bit b of `mask` (the byte at at + b). Out of line, so that the
// AVX-512 loop keeps its values in registers.
__attribute__((noinline)) void find_marks_mask(const char* p, std::size_t at, uint64_t mask,
                                               std::size_t n,
                                               const std::vector<std::string>& needles,
                                               std::vector<uint32_t>* out) {
  for (; mask != 0; mask &= mask - 1) {
    mark_candidate(p, at + static_cast<std::size_t>(__builtin_ctzll(mask)), n, needles, out);
  }
}

// The lanes of a 64-byte load at `at` that lie before n.
inline uint64_t find_marks_live(std::size_t at, std::size_t n) {
  if (at >= n) return 0;
  return n - at >= 64 ? ~uint64_t{0} : (uint64_t{1} << (n - at)) - 1;
}

// find_marks_avx2<1> 64 bytes at a time into AVX-512 mask registers: half its instructions
// (15 a block, no movemask, no vector or/and), 6.3 % of the ConsoleLogin filter's CPU against
// 8.3 %. The last blocks' loads are masked at n (zero lanes, which no candidate test takes), so
// there is no scalar tail.
__attribute__((target("avx512f,avx512bw"))) bool find_marks_avx512(
    const char* p, std::size_t n, const std::vector<std::string>& needles,
    std::vector<uint32_t>* out) {
  const __m512i first = _mm512_set1_epi8(needles[0].front());
  const __m512i last = _mm512_set1_epi8(needles[0].back());
  const std::size_t off = needles[0].size() - 1;
  const __m512i bs = _mm512_set1_epi8('\\');
  const __m512i lf = _mm512_set1_epi8('\n');
  uint64_t newlines = 0;
  for (std::size_t i = 0; i < n; i += 64) {
    const bool whole = i + 64 + off <= n;
    const __m512i b = whole ? _mm512_loadu_si512(p + i)
                            : _mm512_maskz_loadu_epi8(find_marks_live(i, n), p + i);
    const __m512i e = whole ? _mm512_loadu_si512(p + i + off)
                            : _mm512_maskz_loadu_epi8(find_marks_live(i + off, n), p + i + off);
    newlines |= _mm512_cmpeq_epi8_mask(b, lf);
    const uint64_t any = _mm512_cmpeq_epi8_mask(b, bs) |
                         _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(b, first), e, last);
    if (any != 0) find_marks_mask(p, i, any, n, needles, out);
  }
  return newlines != 0;
}

// find_marks_avx2 or find_marks_scalar; returns false only when [0, n) holds no '\n' (true
// when that is not known).
bool find_marks(const char* p, std::size_t n, const std::vector<std::string>& needles,
                std::vector<uint32_t>* out) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (avx512 && needles.size() == 1) return find_marks_avx512(p, n, needles, out);
  if (avx2 && needles.size() == 1) return find_marks_avx2<1>(p, n, needles, out);
  if (avx2 && needles.size() <= 8) return find_marks_avx2<0>(p, n, needles, out);
  find_marks_scalar(p, 0, n, needles, out);
  return true;
}

// The walk's depth limit: far under simdjson's (limits::kMaxJsonDepth), so a record it walks is
// never one stage 2 would call too deep.
constexpr int kSkipMaxDepth = 32;
// Digits a number may have for the walk to call it valid without reading it: a number of up to
// 18 digits without an exponent is always a finite double or a 64-bit integer to simdjson.
constexpr int kSkipMaxDigits = 18;

inline bool all_space(const uint8_t* p, const uint8_t* e) {
  for (; p < e; ++p) {
    if (!is_space(static_cast<char>(*p))) return false;
  }
  return true;
}

// End of the number at p (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`, at most kSkipMaxDigits digits), or
// nullptr when it is not one of those (an exponent, too many digits, or not a number at all:
// the record is then parsed whole and simdjson decides).
inline const uint8_t* number_end(const uint8_t* p) {
  if (*p == '-') ++p;
  const uint8_t* d = p;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (*p >= '0' && *p <= '9') ++p;
  } else {
    return nullptr;
  }
  long digits = p - d;
  if (*p == '.') {
    ++p;
    const uint8_t* f = p;
    while (*p >= '0' && *p <= '9') ++p;
    if (p == f) return nullptr;
    digits += p - f;
  }
  if (digits > kSkipMaxDigits || *p == 'e' || *p == 'E') return nullptr;
  return p;
}

// The tree of a record the typed walk delivered: simdjson's stage 2 from the record's '{' in the
// window's structural index, run on the first request.
class JsonFramingLazyTree final : public LazyRecordTree {
 public:
  JsonFramingLazyTree(BulkParser::Impl* bulk, uint32_t open) : bulk_(bulk), open_(open) {}

  const void* root() override {
    if (state_ == State::kUnparsed) {
      auto* impl = bulk_->parser.implementation.get();
      impl->next_structural_index = open_;
      state_ = impl->stage2_next(bulk_->parser.doc) == simdjson::SUCCESS ? State::kParsed
                                                                          : State::kFailed;
      if (state_ == State::kParsed) root_ = bulk_->parser.doc.root();
    }
    return state_ == State::kParsed ? &root_ : nullptr;
  }

 private:
  enum class State : uint8_t { kUnparsed, kParsed, kFailed };
  BulkParser::Impl* bulk_;
  uint32_t open_;  // the record's '{' in the structural index
  State state_ = State::kUnparsed;
  simdjson::dom::element root_;
};

// How deep the typed walk reports members (RecordHandler::walk_member).
constexpr int kWalkMaxDepth = 4;

// Counts lines lazily; offsets asked for must mostly increase.
class LineCounter {
 public:
  explicit LineCounter(std::string_view d) : d_(d) {}
  uint64_t line_at(std::size_t off) {
    if (off < pos_) {
      pos_ = 0;
      line_ = 1;
      flat_until_ = 0;
    }
    off = std::min(off, d_.size());
    if (off > flat_until_) line_ += count_newlines(d_.data() + pos_, off - pos_);
    pos_ = off;
    return line_;
  }
  /// The caller knows [from, to) holds no newline: offsets up to `to` are then answered without
  /// counting. Counts up to `from` first, so nothing before it is skipped.
  void no_newlines(std::size_t from, std::size_t to) {
    if (from < pos_ || from > d_.size()) return;  // (not met by the framer: nothing to gain)
    line_at(from);
    flat_until_ = std::min(to, d_.size());
  }

 private:
  std::string_view d_;
  std::size_t pos_ = 0;
  uint64_t line_ = 1;
  std::size_t flat_until_ = 0;  // [pos_, flat_until_) holds no newline
};

class Framer {
 public:
  Framer(std::string_view d, std::string_view path, std::string_view container_key,
         RecordHandler& handler, EventSink& sink)
      : d_(d),
        path_(path),
        container_key_(container_key),
        handler_(handler),
        sink_(sink),
        lines_(d),
        resync_budget_(8 * d.size() + (std::size_t{1} << 20)) {
    BulkParser* b = handler.bulk_parser();
    if (b != nullptr && b->impl->ensure()) {
      bulk_ = b->impl.get();
      needles_ = handler.skip_needles();
      walk_ = needles_ == nullptr && handler.typed_walk();
      if (needles_ != nullptr) set_skip_keys(handler.skip_keys());
      // An empty needle is in every record: nothing could be skipped.
      if (needles_ != nullptr) {
        for (const std::string& n : *needles_) {
          if (n.empty()) needles_ = nullptr;
          if (needles_ == nullptr) break;
        }
      }
    }
  }

  FramingStats run() {
    std::size_t pos = skip_bom_and_space(d_, 0);
    if (pos >= d_.size()) {
      file_reject(RejectReason::kEmptyFile,
                  d_.empty() ? "the file is empty" : "the file holds only white space");
      return stats_;
    }
    char c = d_[pos];
    if (c != '{' && c != '[') {
      file_reject(RejectReason::kInvalidJson, "the data does not start with '{' or '['");
      return stats_;
    }
    frame_sequence(pos);
    return stats_;
  }

 private:
  void file_reject(RejectReason reason, std::string_view detail) {
    Reject r{SourceRef{path_, -1, 0, 0}, reason, detail, 0};
    sink_.on_reject(r);
  }

  // Every record gets its line: the count is incremental (one pass over the data in all) and
  // people need it to find a record in a pretty-printed file.
  SourceRef ref_at(std::size_t offset) {
    return SourceRef{path_, record_index_, lines_.line_at(offset), offset};
  }

  void reject_at(std::size_t offset, RejectReason reason, std::string_view detail,
                 uint64_t records) {
    Reject r{ref_at(offset), reason, detail, records};
    sink_.on_reject(r);
    if (records > 0) ++record_index_;
  }

  // Top level: objects, arrays and containers one after another (NDJSON, concatenated JSON).
  void frame_sequence(std::size_t pos) {
    const std::size_t n = d_.size();
    while (true) {
      pos = skip_space(pos);
      if (pos >= n) return;
      char c = d_[pos];
      if (c == '{') {
        std::size_t array_pos;
        if (!container_key_.empty() && first_key_is(pos, &array_pos)) {
          pos = frame_container(array_pos);
        } else {
          pos = frame_one(pos, /*line_mode=*/true);
        }
      } else if (c == '[') {
        pos = frame_array(pos);
      } else {
        // Garbage between records: skip to the next line that opens a record.
        std::size_t next = next_line_start_with_record(pos);
        reject_at(pos, RejectReason::kInvalidJson, "text between records that is not JSON", 1);
        pos = next;
      }
    }
  }

  // True when the object at `pos` has `container_key_` as its first key with an array value;
  // sets *array_pos to the '['.
  bool first_key_is(std::size_t pos, std::size_t* array_pos) {
    const std::size_t n = d_.size();
    std::size_t p = skip_space(pos + 1);
    if (p >= n || d_[p] != '"') return false;
    ++p;
    if (p + container_key_.size() >= n) return false;
    if (std::memcmp(d_.data() + p, container_key_.data(), container_key_.size()) != 0) {
      return false;
    }
    p += container_key_.size();
    if (d_[p] != '"') return false;
    p = skip_space(p + 1);
    if (p >= n || d_[p] != ':') return false;
    p = skip_space(p + 1);
    if (p >= n || d_[p] != '[') return false;
    *array_pos = p;
    return true;
  }

  // The '[' of the container key's array among the members of the object at `start`, or npos.
  std::size_t find_container_member(std::size_t start) {
    const std::size_t n = d_.size();
    std::size_t p = start + 1;
    while (true) {
      p = skip_space(p);
      if (p >= n || d_[p] != '"') return kFramingNpos;
      std::size_t key_start = p + 1;
      std::size_t key_end = skip_scalar_or_composite(p);  // one past the closing quote
      if (key_end >= n) return kFramingNpos;
      std::string_view key = d_.substr(key_start, key_end - 1 - key_start);
      p = skip_space(key_end);
      if (p >= n || d_[p] != ':') return kFramingNpos;
      p = skip_space(p + 1);
      if (p >= n) return kFramingNpos;
      if (key == container_key_ && d_[p] == '[') return p;
      p = skip_space(skip_scalar_or_composite(p));
      if (p >= n || d_[p] != ',') return kFramingNpos;
      ++p;
    }
  }

  std::size_t frame_container(std::size_t array_pos) {
    std::size_t pos = frame_array(array_pos);
    if (pos >= d_.size()) return pos;
    // Other members of the wrapper object after the array: skip to its close.
    JsonScan s = scan_json_value(d_, pos, /*depth=*/1);
    if (s.end == kFramingNpos) {
      reject_tail(pos, "the wrapper object is not closed", 0);
      return d_.size();
    }
    return s.end;
  }

  // Frames the elements of the array opening at `pos`; returns the position after it.
  std::size_t frame_array(std::size_t pos) {
    const std::size_t n = d_.size();
    std::size_t i = pos + 1;
    while (true) {
      i = skip_space(i);
      if (i >= n) {
        reject_tail(i, "unexpected end of data: the array is not closed", 0);
        return n;
      }
      char c = d_[i];
      if (c == ']') return i + 1;
      if (c == '{') {
        std::size_t next = i;
        if (bulk_ != nullptr && i >= slow_until_) {
          next = bulk_run(i);
          // Nothing taken at i: the per-record path goes on for a window's worth of data, so a
          // stretch the one-pass path cannot take costs at most one wasted stage 1 per window.
          if (next == i) slow_until_ = i + BulkParser::Impl::kWindow;
        }
        if (next == i) next = frame_one(i, /*line_mode=*/false);
        i = next;
        if (i >= n) return n;  // the damage ran to the end of the data and was reported
      } else if (c == ',') {
        reject_at(i, RejectReason::kInvalidJson, "empty array element", 0);
        ++i;
        continue;
      } else {
        std::size_t end = skip_scalar_or_composite(i);
        reject_at(i, RejectReason::kNotAnEvent, "an array element that is not an object", 1);
        i = end;
      }
      i = skip_space(i);
      if (i >= n) {
        reject_tail(i, "unexpected end of data: the array is not closed", 0);
        return n;
      }
      if (d_[i] == ',') {
        ++i;
      } else if (d_[i] == ']') {
        return i + 1;
      } else if (d_[i] != '{') {
        std::size_t next = d_.find('{', i);
        reject_at(i, RejectReason::kInvalidJson, "expected ',' or ']' after an array element", 0);
        if (next == kFramingNpos) return n;
        i = next;
      }
    }
  }

  std::size_t skip_scalar_or_composite(std::size_t i) {
    const std::size_t n = d_.size();
    if (d_[i] == '[' || d_[i] == '{') {
      JsonScan s = scan_json_value(d_, i);
      return s.end == kFramingNpos ? n : s.end;
    }
    if (d_[i] == '"') {
      std::size_t j = i + 1;
      while (j < n && d_[j] != '"') j += d_[j] == '\\' ? 2 : 1;
      return std::min(n, j + 1);
    }
    while (i < n && d_[i] != ',' && d_[i] != ']' && d_[i] != '}' && !is_space(d_[i])) ++i;
    return i;
  }

  // One past the '}' of the first record boundary ('}' then ',' then '{', white space allowed
  // between them) in [from, to), or npos. Only a candidate: it may lie inside a string or
  // between the elements of an array inside a record; stage 1 and 2 tell (see bulk_run).
  std::size_t find_boundary(std::size_t from, std::size_t to) const {
    const char* p = d_.data();
    while (from < to) {
      const void* hit = std::memchr(p + from, '}', to - from);
      if (hit == nullptr) return kFramingNpos;
      const std::size_t q = static_cast<const char*>(hit) - p;
      if (opens_next_element(q)) return q + 1;
      from = q + 1;
    }
    return kFramingNpos;
  }

  // The '}' at q is followed (after white space) by ',' and then '{'.
  bool opens_next_element(std::size_t q) const {
    std::size_t r = skip_space(q + 1);
    if (r >= d_.size() || d_[r] != ',') return false;
    r = skip_space(r + 1);
    return r < d_.size() && d_[r] == '{';
  }

  // The last record boundary in (from, to), searching backwards, or npos.
  std::size_t find_boundary_before(std::size_t from, std::size_t to) const {
    const char* p = d_.data();
    while (to > from + 1) {
      const void* hit = memrchr(p + from + 1, '}', to - from - 1);
      if (hit == nullptr) return kFramingNpos;
      const std::size_t q = static_cast<const char*>(hit) - p;
      if (opens_next_element(q)) return q + 1;
      to = q;
    }
    return kFramingNpos;
  }

  // The one-pass path from the array element at `start` ('{'): stage 1 over a window of the
  // data from `start` to a record boundary, then stage 2 record by record from its structural
  // index. Delivers the records that parse whole and returns the position after the last one
  // (`start` when none did); the caller goes on from there as usual.
  //
  // The window ends right after a '}' followed (after white space) by ',' or '{'. If that '}'
  // is inside a string, stage 1 fails (the window ends inside a string). If it closes something
  // inside a record, that record's stage 2 runs off the end of the index: the entries after the
  // last structural all point at the window's end (the byte after the '}', white space or ','),
  // which is an error in every state stage 2 can be in after a '}' (it expects ',', '}' or ']',
  // and after ',' a key or a value), so stage 2 fails there and the record is left to the next
  // window. A record is delivered only when stage 2 ends inside the index.
  std::size_t bulk_run(std::size_t start) {
    const std::size_t n = d_.size();
    const std::size_t cap = BulkParser::Impl::kCapacity;
    const std::size_t want = start + BulkParser::Impl::kWindow;
    std::size_t end = kFramingNpos;
    if (want < n) end = find_boundary(want, std::min(n, start + cap - 1));
    if (end == kFramingNpos) end = find_boundary_before(start, std::min(n, want));
    if (end == kFramingNpos) return start;
    auto* impl = bulk_->parser.implementation.get();
    const auto* buf = reinterpret_cast<const uint8_t*>(d_.data() + start);
    if (impl->stage1(buf, end - start, simdjson::stage1_mode::regular) != simdjson::SUCCESS) {
      return start;
    }
    const uint32_t count = impl->n_structural_indexes;
    uint32_t* index = impl->structural_indexes.get();
    // What stage 2 reads after the last structural: the window's end (simdjson's stage 1 writes
    // the same; set here so the reasoning above does not rest on it). The index has room for
    // these three (simdjson allocates the capacity rounded up to 64, plus 9). The skip walk
    // relies on them too: it reads up to these entries without a bound check (see skip_walk).
    const auto tail = static_cast<uint32_t>(end - start);
    index[count] = tail;
    index[count + 1] = tail;
    index[count + 2] = tail;
    std::size_t pos = start;
    std::size_t mark = 0;  // the first of marks_ that may lie in the current record
    if (needles_ != nullptr) {
      marks_.clear();
      // The same pass tells whether the window has a line break: most have none (one-line
      // trail files), and their records' lines then need no count.
      if (!find_marks(d_.data() + start, end - start, *needles_, &marks_)) {
        lines_.no_newlines(start, end);
      }
    } else if (std::memchr(d_.data() + start, '\n', end - start) == nullptr) {
      // One memchr over the window (most are one-line trail files) instead of a newline count
      // over each record's bytes; a window with a line break stops it at the first one.
      lines_.no_newlines(start, end);
    }
    while (true) {
      const uint32_t k = impl->next_structural_index;
      if (k >= count || buf[index[k]] != '{') break;
      const std::size_t rec_start = start + index[k];
      if (needles_ != nullptr) {
        while (mark < marks_.size() && marks_[mark] < index[k]) ++mark;
        const uint32_t after = skip_walk(buf, index, count, k);
        // The record's last byte, when the walk took it whole.
        const uint32_t last = after != 0 ? index[after - 1] : 0;
        if (after != 0 && (mark == marks_.size() || marks_[mark] > last) &&
            last + 1 - index[k] <= limits::kMaxRecordBytes &&
            // (The line is counted on as for every record, over bytes the walk just read: a
            // count left for later would fault back pages the reader has released.)
            handler_.skip_deliver(d_.substr(rec_start, last + 1 - index[k]), ref_at(rec_start))) {
          ++stats_.records;
          ++stats_.accepted;
          ++record_index_;
          pos = start + last + 1;
          if (after >= count || buf[index[after]] != ',') break;
          impl->next_structural_index = after + 1;
          continue;
        }
      }
      if (walk_) {
        handler_.walk_begin();
        const uint32_t after = walk_object(buf, index, k + 1, 1);
        const uint32_t last = after != 0 ? index[after - 1] : 0;
        // (A record with a backslash is parsed whole: the walk takes strings as their bytes.)
        if (after != 0 && last + 1 - index[k] <= limits::kMaxRecordBytes &&
            std::memchr(buf + index[k], '\\', last + 1 - index[k]) == nullptr) {
          JsonFramingLazyTree tree(bulk_, k);
          if (handler_.walk_deliver(d_.substr(rec_start, last + 1 - index[k]), ref_at(rec_start),
                                    tree)) {
            ++stats_.records;
            ++stats_.accepted;
            ++record_index_;
            pos = start + last + 1;
            if (after >= count || buf[index[after]] != ',') break;
            impl->next_structural_index = after + 1;
            continue;
          }
          impl->next_structural_index = k;  // (the tree may have been parsed on the way)
        }
      }
      if (impl->stage2_next(bulk_->parser.doc) != simdjson::SUCCESS) break;
      const uint32_t after = impl->next_structural_index;
      if (after > count || after <= k) break;
      const std::size_t rec_end = start + index[after - 1] + 1;
      if (rec_end - rec_start > limits::kMaxRecordBytes) break;
      simdjson::dom::element root = bulk_->parser.doc.root();
      deliver_parsed(rec_start, rec_end, &root);
      pos = rec_end;
      if (after >= count || buf[index[after]] != ',') break;
      impl->next_structural_index = after + 1;
    }
    return pos;
  }

  // The skip test's walk over the structural index of the window from the record's '{' at
  // index[k]: the structural index after the record's closing '}' when simdjson's stage 2 would
  // certainly accept the record (given there is no backslash in it, which the caller checks) and
  // the handler found nothing in its members that stops the skip; 0 otherwise.
  //
  // Stage 1 (which passed over the whole window) has checked the UTF-8, that strings close and
  // hold no control characters, and put every '{' '}' '[' ']' ':' ',' outside strings and the
  // first byte of every string and scalar in the index; anything but white space after a
  // string's closing quote would be a structural of its own, so a string needs no more checks.
  // What stage 2 adds is checked here: the grammar (the same state machine over the same
  // index), true / false / null spelled right and followed by white space up to the next
  // structural, numbers of the JSON grammar (the walk takes only those without an exponent and
  // with at most 18 digits, which simdjson always accepts), string escapes (none: no backslash),
  // and the depth (the walk stops at 32).
  //
  // The walk reads tokens past the record without a bound check: bulk_run points the three
  // index entries after the last structural (index[count], [count + 1], [count + 2]) at the
  // window's tail, the byte after its last '}', which is white space or ','. Such a token fails
  // every test a key, a value or a closer needs, and at most one of them is taken (as the ','
  // after a value), so the walk stops within those three entries and never returns an index
  // past `count`: a record it takes lies wholly in the window.
  //
  // The record's own members (depth 1) go to the handler as skip_member describes (skip_top);
  // the members of a depth-1 object the handler answered kDescend for too (skip_descend);
  // every other value only has its grammar checked (skip_value), with no handler call.
  uint32_t skip_walk(const uint8_t* buf, const uint32_t* index, uint32_t count, uint32_t k) {
    (void)count;
    handler_.skip_begin();
    return skip_top(buf, index, k + 1);
  }

  // The typed walk (RecordHandler::typed_walk) over the members of the object at `depth` (1: the
  // record) from index i, just after its '{': each member goes to walk_member, an object value
  // it answers kDescend is walked the same way one level down (to kWalkMaxDepth), every other
  // container has its grammar checked (skip_value). The same checks as skip_top's, so the record
  // it takes is one stage 2 accepts (see skip_walk). Returns the index after the '}', or 0.
  uint32_t walk_object(const uint8_t* buf, const uint32_t* index, uint32_t i, int depth) {
    if (tok(buf, index, i) == '}') return i + 1;
    while (true) {
      std::string_view key;
      if (tok(buf, index, i) != '"' || tok(buf, index, i + 1) != ':' ||
          !string_at(buf, index, i, &key)) {
        return 0;
      }
      i += 2;
      const uint8_t c = tok(buf, index, i);
      const JsonKind kind = value_kind(c);
      std::string_view text;
      if (c == '"' ? !string_at(buf, index, i, &text)
                   : kind == JsonKind::kNull && !scalar_ok(buf, index, i)) {
        return 0;
      }
      const SkipVerdict v = handler_.walk_member(depth, key, kind, text);
      if (v == SkipVerdict::kNo) return 0;
      if (c == '"' || kind == JsonKind::kNull) {
        ++i;
      } else if (c == '{' && v == SkipVerdict::kDescend && depth < kWalkMaxDepth) {
        i = walk_object(buf, index, i + 1, depth + 1);
        if (i == 0) return 0;
      } else {
        i = skip_plain_value(buf, index, i, depth + 1);
        if (i == 0) return 0;
      }
      const uint8_t after = tok(buf, index, i);
      if (after == ',') {
        ++i;
        continue;
      }
      return after == '}' ? i + 1 : 0;
    }
  }

  // A member's value at index i that is neither a string nor an object walked member by member:
  // the grammar of a container at `depth` (skip_value), or one scalar. Returns the index after
  // it, or 0.
  static uint32_t skip_plain_value(const uint8_t* buf, const uint32_t* index, uint32_t i,
                                   int depth) {
    const uint8_t c = tok(buf, index, i);
    if (c == '{' || c == '[') return skip_value(buf, index, i, depth);
    return scalar_ok(buf, index, i) ? i + 1 : 0;
  }

  // The byte of token j.
  static uint8_t tok(const uint8_t* buf, const uint32_t* index, uint32_t j) {
    return buf[index[j]];
  }

  // The members of the record's object from index i (just after its '{'); returns the index after
  // its '}', or 0.
  uint32_t skip_top(const uint8_t* buf, const uint32_t* index, uint32_t i) {
    if (tok(buf, index, i) == '}') return i + 1;
    while (true) {
      // The common member first: a key, a string value, then ',' (taken as the general case
      // below would take it), unless the handler wants to see it.
      bool known_skip_key = false;  // the loop below stopped at a skip key
      while (tok(buf, index, i) == '"' && tok(buf, index, i + 1) == ':' &&
             tok(buf, index, i + 2) == '"' && tok(buf, index, i + 3) == ',') {
        if (skip_key(buf, index, i)) {
          known_skip_key = true;
          break;
        }
        i += 4;
      }
      // i at a key: '"', then ':', then the value.
      if (tok(buf, index, i) != '"' || tok(buf, index, i + 1) != ':') return 0;
      const uint32_t key_at = i;
      i += 2;
      const uint8_t c = tok(buf, index, i);
      const JsonKind kind = value_kind(c);
      if (kind == JsonKind::kNull && !scalar_ok(buf, index, i)) return 0;  // not a value at all
      SkipVerdict v = SkipVerdict::kFine;
      if ((kind != JsonKind::kString && kind != JsonKind::kNull) || known_skip_key ||
          skip_key(buf, index, key_at)) {
        std::string_view key;
        std::string_view text;
        if (!string_at(buf, index, key_at, &key)) return 0;
        if (kind == JsonKind::kString && !string_at(buf, index, i, &text)) return 0;
        v = handler_.skip_member(1, key, kind, text);
        if (v == SkipVerdict::kNo) return 0;
      }
      if (c == '"') {
        ++i;
      } else if (c == '{' && v == SkipVerdict::kDescend) {
        i = skip_descend(buf, index, i + 1);
        if (i == 0) return 0;
      } else {
        // (An array answered kDescend has no members to report: only its grammar counts.)
        i = skip_plain_value(buf, index, i, 2);
        if (i == 0) return 0;
      }
      const uint8_t after = tok(buf, index, i);
      if (after == ',') {
        ++i;
        continue;
      }
      return after == '}' ? i + 1 : 0;
    }
  }

  // The members of a depth-2 object whose members are reported (a depth-1 member's object value
  // answered kDescend), from index i just after its '{': those whose value is not a string or
  // null go to skip_member. Returns the index after its '}', or 0.
  uint32_t skip_descend(const uint8_t* buf, const uint32_t* index, uint32_t i) {
    if (tok(buf, index, i) == '}') return i + 1;
    while (true) {
      while (tok(buf, index, i) == '"' && tok(buf, index, i + 1) == ':' &&
             tok(buf, index, i + 2) == '"' && tok(buf, index, i + 3) == ',') {
        i += 4;
      }
      if (tok(buf, index, i) != '"' || tok(buf, index, i + 1) != ':') return 0;
      const uint32_t key_at = i;
      i += 2;
      const uint8_t c = tok(buf, index, i);
      const JsonKind kind = value_kind(c);
      if (kind == JsonKind::kNull && !scalar_ok(buf, index, i)) return 0;
      if (kind != JsonKind::kString && kind != JsonKind::kNull) {
        std::string_view key;
        if (!string_at(buf, index, key_at, &key)) return 0;
        if (handler_.skip_member(2, key, kind, {}) == SkipVerdict::kNo) return 0;
      }
      if (c == '"') {
        ++i;
      } else {
        i = skip_plain_value(buf, index, i, 3);
        if (i == 0) return 0;
      }
      const uint8_t after = tok(buf, index, i);
      if (after == ',') {
        ++i;
        continue;
      }
      return after == '}' ? i + 1 : 0;
    }
  }

  // The grammar alone of the object or array opening at index i, at depth `depth` (≥ 2) of the
  // record; returns the index after its closer, or 0. No recursion: bit r of `arrays` says
  // whether the container r - 1 levels below this one is an array.
  static uint32_t skip_value(const uint8_t* buf, const uint32_t* index, uint32_t i, int depth) {
    uint64_t arrays = 0;
    int r = 0;  // containers open, this one included
    uint8_t c;
  open:
    ++r;
    if (depth + r - 1 > kSkipMaxDepth) return 0;
    if (tok(buf, index, i) == '{') {
      arrays &= ~(uint64_t{1} << r);
      ++i;
      if (tok(buf, index, i) == '}') goto close;
      goto member;
    }
    arrays |= uint64_t{1} << r;
    ++i;
    if (tok(buf, index, i) == ']') goto close;
    goto element;
  member:
    while (tok(buf, index, i) == '"' && tok(buf, index, i + 1) == ':' &&
           tok(buf, index, i + 2) == '"' && tok(buf, index, i + 3) == ',') {
      i += 4;
    }
    if (tok(buf, index, i) != '"' || tok(buf, index, i + 1) != ':') return 0;
    i += 2;
    goto value;
  element:
    // Runs of strings in an array.
    while (tok(buf, index, i) == '"' && tok(buf, index, i + 1) == ',') i += 2;
  value:
    c = tok(buf, index, i);
    if (c == '"') {
      ++i;
    } else if (c == '{' || c == '[') {
      goto open;
    } else {
      if (!scalar_ok(buf, index, i)) return 0;
      ++i;
    }
  after_value:
    c = tok(buf, index, i);
    if (c == ',') {
      ++i;
      if ((arrays >> r) & 1) goto element;
      goto member;
    }
    if (c != (((arrays >> r) & 1) ? ']' : '}')) return 0;
  close:
    // i at the closer of the innermost open container.
    ++i;
    if (--r == 0) return i;
    goto after_value;
  }

  static uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }

  // The key opening at index[i] (followed by ':') is one of the handler's skip_keys().
  bool skip_key(const uint8_t* buf, const uint32_t* index, uint32_t i) const {
    uint32_t q = index[i + 1];
    if (buf[q - 1] != '"') {
      while (q > index[i] + 1 && is_space(static_cast<char>(buf[q - 1]))) --q;
      if (q <= index[i] + 1) return false;  // not a string: the walk fails on it anyway
    }
    const std::size_t len = q - 2 - index[i];
    if (len >= 64 || ((skip_key_lengths_ >> len) & 1) == 0) return false;
    // Keys of up to 16 bytes, compared 8 bytes at a time (the data is padded).
    const uint8_t* key = buf + index[i] + 1;
    const uint64_t w0 = load64(key);
    const uint64_t w1 = load64(key + 8);
    // Only the keys of this length (skip_key_words_ is sorted by length).
    for (uint8_t j = skip_key_from_[len]; j < skip_key_from_[len + 1]; ++j) {
      const SkipKey& s = skip_key_words_[j];
      if (s.w0 == (w0 & s.m0) && s.w1 == (w1 & s.m1)) return true;
    }
    return false;
  }

  struct SkipKey {
    std::size_t len;
    uint64_t w0, m0, w1, m1;  // the key's bytes and which bytes count, in two words
  };

  void set_skip_keys(const std::vector<std::string>* keys) {
    if (keys == nullptr) return;
    for (const std::string& key : *keys) {
      if (key.size() > 16) {
        needles_ = nullptr;  // more than the walk can compare: no skipping
        return;
      }
      uint8_t b[16] = {}, m[16] = {};
      std::memcpy(b, key.data(), key.size());
      std::memset(m, 0xff, key.size());
      skip_key_words_.push_back({key.size(), load64(b), load64(m), load64(b + 8), load64(m + 8)});
      skip_key_lengths_ |= uint64_t{1} << key.size();
    }
    std::stable_sort(skip_key_words_.begin(), skip_key_words_.end(),
                     [](const SkipKey& a, const SkipKey& b) { return a.len < b.len; });
    if (skip_key_words_.size() > 255) {
      needles_ = nullptr;
      return;
    }
    // skip_key_from_[n]: the first key of n bytes or more.
    for (std::size_t n = 0, j = 0; n < std::size(skip_key_from_); ++n) {
      while (j < skip_key_words_.size() && skip_key_words_[j].len < n) ++j;
      skip_key_from_[n] = static_cast<uint8_t>(j);
    }
  }

  // The kind of the value whose first byte is `c`; kNull also stands for "not a value"
  // (scalar_ok then says no).
  static JsonKind value_kind(uint8_t c) {
    switch (c) {
      case '{':
        return JsonKind::kObject;
      case '[':
        return JsonKind::kArray;
      case '"':
        return JsonKind::kString;
      case 't':
        return JsonKind::kTrue;
      case 'f':
        return JsonKind::kFalse;
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return JsonKind::kNumber;
      default:
        return JsonKind::kNull;
    }
  }

  // The scalar at index[i] is valid and only white space follows it up to index[i + 1].
  static bool scalar_ok(const uint8_t* buf, const uint32_t* index, uint32_t i) {
    const uint8_t* p = buf + index[i];
    const uint8_t* next = buf + index[i + 1];  // the index always has an entry after i
    const uint8_t* e;
    switch (*p) {
      case '"': {
        std::string_view unused;
        return string_at(buf, index, i, &unused);
      }
      case 't':
        e = p + 4;
        if (std::memcmp(p, "true", 4) != 0) return false;
        break;
      case 'f':
        e = p + 5;
        if (std::memcmp(p, "false", 5) != 0) return false;
        break;
      case 'n':
        e = p + 4;
        if (std::memcmp(p, "null", 4) != 0) return false;
        break;
      default:
        e = number_end(p);
        if (e == nullptr) return false;
        break;
    }
    return e <= next && all_space(e, next);
  }

  // The bytes of the string opening at index[i]: up to the last '"' before index[i + 1], with
  // only white space after it. (Without backslashes a string holds no '"', so that quote closes
  // it.)
  static bool string_at(const uint8_t* buf, const uint32_t* index, uint32_t i,
                        std::string_view* out) {
    const uint32_t open = index[i];
    uint32_t q = index[i + 1];
    while (q > open + 1 && is_space(static_cast<char>(buf[q - 1]))) --q;
    if (q <= open + 1 || buf[q - 1] != '"') return false;
    *out = std::string_view(reinterpret_cast<const char*>(buf) + open + 1, q - 2 - open);
    return true;
  }

  // A record parsed by bulk_run: the same bookkeeping as deliver() for an array element.
  void deliver_parsed(std::size_t start, std::size_t end, const void* root) {
    SourceRef ref = ref_at(start);
    ++stats_.records;
    RecordStatus st = handler_.on_parsed(d_.substr(start, end - start), root, ref);
    if (st == RecordStatus::kAccepted) {
      ++stats_.accepted;
      ++record_index_;
    } else if (st == RecordStatus::kReported) {
      ++record_index_;
    } else {
      reject_at(start, RejectReason::kNotAnEvent, "valid JSON, but not a record of this log format",
                1);
    }
  }

  // Frames one record starting at `start` ('{'); returns where framing continues.
  std::size_t frame_one(std::size_t start, bool line_mode) {
    JsonScan s = scan_json_value(d_, start);
    if (s.end == kFramingNpos) {
      return handle_broken(start, d_.size(), RejectReason::kInvalidJson,
                           "unexpected end of data inside a record", line_mode);
    }
    return deliver(start, s, line_mode, /*probe=*/false).next;
  }

  struct Delivery {
    RecordStatus status;
    std::size_t next;
    RejectReason reason = RejectReason::kInvalidJson;
    std::string_view detail;
  };

  // Hands the record [start, s.end) to the handler. In probe mode (resync), an invalid or
  // not-a-record result is not reported.
  Delivery deliver(std::size_t start, const JsonScan& s, bool line_mode, bool probe) {
    const std::size_t size = s.end - start;
    if (s.too_deep) {
      if (!probe) {
        reject_at(start, RejectReason::kTooDeep, "the record nests deeper than 64 levels", 1);
      }
      return {RecordStatus::kReported, s.end};
    }
    if (size > limits::kMaxRecordBytes) {
      if (!probe) {
        reject_at(start, RejectReason::kRecordTooLarge, "the record is larger than 1 MiB", 1);
      }
      return {RecordStatus::kReported, s.end};
    }
    SourceRef ref = ref_at(start);
    std::string_view rec = d_.substr(start, size);
    std::size_t capacity = d_.size() + 64 - start;
    RejectReason reason = RejectReason::kInvalidJson;
    std::string_view detail = "the record is not valid JSON";
    ++stats_.records;
    RecordStatus st = handler_.on_record(rec, capacity, ref, &reason, &detail);
    switch (st) {
      case RecordStatus::kAccepted:
        ++stats_.accepted;
        ++record_index_;
        return {st, s.end};
      case RecordStatus::kReported:
        ++record_index_;
        return {st, s.end};
      case RecordStatus::kNotARecord:
        if (!probe && line_mode && !container_key_.empty()) {
          // A wrapper whose records key is not its first key (re-serialised files).
          std::size_t array_pos = find_container_member(start);
          if (array_pos != kFramingNpos) {
            --stats_.records;
            frame_array(array_pos);
            return {RecordStatus::kAccepted, s.end};
          }
        }
        if (!probe) {
          reject_at(start, RejectReason::kNotAnEvent,
                    "valid JSON, but not a record of this log format", 1);
        }
        return {st, s.end};
      case RecordStatus::kInvalidJson:
        if (probe) {
          --stats_.records;
          return {st, s.end, reason, detail};
        }
        if (reason != RejectReason::kInvalidJson) {
          // A well-framed record with a definite problem (invalid UTF-8): reject it alone.
          reject_at(start, reason, detail, 1);
          return {RecordStatus::kReported, s.end};
        }
        return {st, handle_broken(start, s.end, reason, detail, line_mode)};
    }
    return {st, s.end};
  }

  // The bytes from `start` could not be read as a record; look for the next record start inside
  // [start+1, span_end) (and, for an unterminated record, up to the end of the data), deliver
  // from there, and report what was skipped.
  std::size_t handle_broken(std::size_t start, std::size_t span_end, RejectReason reason,
                            std::string_view detail, bool line_mode) {
    std::size_t c = start + 1;
    while (resync_budget_ > 0) {
      c = next_candidate(c, span_end);
      if (c == kFramingNpos) break;
      JsonScan s = scan_json_value(d_, c);
      std::size_t cost = (s.end == kFramingNpos ? d_.size() : s.end) - c;
      resync_budget_ = cost >= resync_budget_ ? 0 : resync_budget_ - cost;
      if (s.end != kFramingNpos) {
        // Reserve the lost stretch's record index, so indexes stay in file order, and report the
        // loss only once a record really starts at the candidate.
        const int64_t lost_index = record_index_++;
        Delivery dl = deliver(c, s, line_mode, /*probe=*/true);
        if (dl.status == RecordStatus::kAccepted || dl.status == RecordStatus::kReported) {
          SourceRef ref{path_, lost_index, lines_.line_at(start), start};
          sink_.on_reject(Reject{ref, reason, detail, kOneRecord});
          return dl.next;
        }
        record_index_ = lost_index;
      }
      c += 1;
    }
    if (span_end < d_.size() || reason != RejectReason::kInvalidJson) {
      reject_at(start, reason, detail, kOneRecord);
      return span_end;
    }
    reject_tail(start, detail, kOneRecord);
    return d_.size();
  }

  // The next '{' in [from, end) that may open a record: first non-space on its line, or right
  // after "}," / "," / "[" between array elements.
  std::size_t next_candidate(std::size_t from, std::size_t end) {
    while (from < end) {
      const void* hit = std::memchr(d_.data() + from, '{', end - from);
      if (hit == nullptr) return kFramingNpos;
      std::size_t pos = static_cast<const char*>(hit) - d_.data();
      std::size_t q = pos;
      while (q > 0 && (d_[q - 1] == ' ' || d_[q - 1] == '\t' || d_[q - 1] == '\r')) --q;
      if (q == 0 || d_[q - 1] == '\n' || d_[q - 1] == ',' || d_[q - 1] == '[') return pos;
      from = pos + 1;
    }
    return kFramingNpos;
  }

  void reject_tail(std::size_t at, std::string_view detail, uint64_t records) {
    reject_at(at, RejectReason::kInvalidJson, detail, records);
  }

  std::size_t next_line_start_with_record(std::size_t pos) {
    const std::size_t n = d_.size();
    while (pos < n) {
      const void* nl = std::memchr(d_.data() + pos, '\n', n - pos);
      if (nl == nullptr) return n;
      pos = static_cast<const char*>(nl) - d_.data() + 1;
      std::size_t q = skip_space(pos);
      if (q < n && (d_[q] == '{' || d_[q] == '[')) return q;
    }
    return n;
  }

  std::size_t skip_space(std::size_t pos) const {
    while (pos < d_.size() && is_space(d_[pos])) ++pos;
    return pos;
  }

  std::string_view d_;
  std::string_view path_;
  std::string_view container_key_;
  RecordHandler& handler_;
  EventSink& sink_;
  LineCounter lines_;
  FramingStats stats_;
  int64_t record_index_ = 0;
  std::size_t resync_budget_;
  BulkParser::Impl* bulk_ = nullptr;  // the one-pass path, when the handler has one
  const std::vector<std::string>* needles_ = nullptr;  // the handler's skip test, when it has one
  bool walk_ = false;  // the handler's typed walk (never with a skip test)
  std::vector<uint32_t> marks_;                        // find_marks() over the current window
  std::vector<SkipKey> skip_key_words_;                // the handler's skip_keys()
  uint64_t skip_key_lengths_ = 0;                      // bit n: a skip key has n bytes
  uint8_t skip_key_from_[18] = {};  // [n, n + 1): skip_key_words_ of n bytes (n ≤ 16)
  std::size_t slow_until_ = 0;      // the one-pass path is not tried before this position
};

}  // namespace

std::size_t skip_bom_and_space(std::string_view data, std::size_t pos) {
  if (pos == 0 && data.size() >= 3 && static_cast<unsigned char>(data[0]) == 0xEF &&
      static_cast<unsigned char>(data[1]) == 0xBB && static_cast<unsigned char>(data[2]) == 0xBF) {
    pos = 3;
  }
  while (pos < data.size() && is_space(data[pos])) ++pos;
  return pos;
}

bool looks_like_json(std::string_view data) {
  std::size_t p = skip_bom_and_space(data, 0);
  return p < data.size() && (data[p] == '{' || data[p] == '[');
}

FramingStats frame_json(std::string_view data, std::string_view path,
                        std::string_view container_key, RecordHandler& handler, EventSink& sink) {
  Framer f(data, path, container_key, handler, sink);
  return f.run();
}

}  // namespace sentinel::ingest
