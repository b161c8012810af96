#include "ingest/decode/json_framing.h"

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

constexpr std::size_t kNpos = std::string_view::npos;
// How many records a damaged stretch counts as lost: telling how many whole records a broken
// stretch held would be guesswork, and one broken record is by far the common case.
constexpr uint64_t kOneRecord = 1;

inline bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Counts lines lazily; offsets asked for must mostly increase.
class LineCounter {
 public:
  explicit LineCounter(std::string_view d) : d_(d) {}
  uint64_t line_at(std::size_t off) {
    if (off < pos_) {
      pos_ = 0;
      line_ = 1;
    }
    off = std::min(off, d_.size());
    line_ += count_newlines(d_.data() + pos_, off - pos_);
    pos_ = off;
    return line_;
  }

 private:
  std::string_view d_;
  std::size_t pos_ = 0;
  uint64_t line_ = 1;
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
    if (b != nullptr && b->impl->ensure()) bulk_ = b->impl.get();
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
      if (p >= n || d_[p] != '"') return kNpos;
      std::size_t key_start = p + 1;
      std::size_t key_end = skip_scalar_or_composite(p);  // one past the closing quote
      if (key_end >= n) return kNpos;
      std::string_view key = d_.substr(key_start, key_end - 1 - key_start);
      p = skip_space(key_end);
      if (p >= n || d_[p] != ':') return kNpos;
      p = skip_space(p + 1);
      if (p >= n) return kNpos;
      if (key == container_key_ && d_[p] == '[') return p;
      p = skip_space(skip_scalar_or_composite(p));
      if (p >= n || d_[p] != ',') return kNpos;
      ++p;
    }
  }

  std::size_t frame_container(std::size_t array_pos) {
    std::size_t pos = frame_array(array_pos);
    if (pos >= d_.size()) return pos;
    // Other members of the wrapper object after the array: skip to its close.
    JsonScan s = scan_json_value(d_, pos, /*depth=*/1);
    if (s.end == kNpos) {
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
        if (next == kNpos) return n;
        i = next;
      }
    }
  }

  std::size_t skip_scalar_or_composite(std::size_t i) {
    const std::size_t n = d_.size();
    if (d_[i] == '[' || d_[i] == '{') {
      JsonScan s = scan_json_value(d_, i);
      return s.end == kNpos ? n : s.end;
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
      if (hit == nullptr) return kNpos;
      const std::size_t q = static_cast<const char*>(hit) - p;
      if (opens_next_element(q)) return q + 1;
      from = q + 1;
    }
    return kNpos;
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
      if (hit == nullptr) return kNpos;
      const std::size_t q = static_cast<const char*>(hit) - p;
      if (opens_next_element(q)) return q + 1;
      to = q;
    }
    return kNpos;
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
    std::size_t end = kNpos;
    if (want < n) end = find_boundary(want, std::min(n, start + cap - 1));
    if (end == kNpos) end = find_boundary_before(start, std::min(n, want));
    if (end == kNpos) return start;
    auto* impl = bulk_->parser.implementation.get();
    const auto* buf = reinterpret_cast<const uint8_t*>(d_.data() + start);
    if (impl->stage1(buf, end - start, simdjson::stage1_mode::regular) != simdjson::SUCCESS) {
      return start;
    }
    const uint32_t count = impl->n_structural_indexes;
    uint32_t* index = impl->structural_indexes.get();
    // What stage 2 reads after the last structural: the window's end (simdjson's stage 1 writes
    // the same; set here so the reasoning above does not rest on it). The index has room for
    // these three (simdjson allocates the capacity rounded up to 64, plus 9).
    const auto tail = static_cast<uint32_t>(end - start);
    index[count] = tail;
    index[count + 1] = tail;
    index[count + 2] = tail;
    std::size_t pos = start;
    while (true) {
      const uint32_t k = impl->next_structural_index;
      if (k >= count || buf[index[k]] != '{') break;
      const std::size_t rec_start = start + index[k];
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
    if (s.end == kNpos) {
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
          if (array_pos != kNpos) {
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
      if (c == kNpos) break;
      JsonScan s = scan_json_value(d_, c);
      std::size_t cost = (s.end == kNpos ? d_.size() : s.end) - c;
      resync_budget_ = cost >= resync_budget_ ? 0 : resync_budget_ - cost;
      if (s.end != kNpos) {
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
      if (hit == nullptr) return kNpos;
      std::size_t pos = static_cast<const char*>(hit) - d_.data();
      std::size_t q = pos;
      while (q > 0 && (d_[q - 1] == ' ' || d_[q - 1] == '\t' || d_[q - 1] == '\r')) --q;
      if (q == 0 || d_[q - 1] == '\n' || d_[q - 1] == ',' || d_[q - 1] == '[') return pos;
      from = pos + 1;
    }
    return kNpos;
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
  std::size_t slow_until_ = 0;        // the one-pass path is not tried before this position
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
