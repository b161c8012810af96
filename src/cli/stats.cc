#include "cli/stats.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <new>

#include "cli/runner.h"
#include "core/escape.h"
#include "core/ip.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace sentinel::cli {

namespace {

std::vector<std::pair<std::string_view, uint64_t>> sorted(const CountMap& m) {
  std::vector<std::pair<std::string_view, uint64_t>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return v;
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / 1e9);
  } else if (b >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(b) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

constexpr ingest::LogType kTypeOrder[] = {ingest::LogType::kCloudTrail, ingest::LogType::kVpcFlow,
                                          ingest::LogType::kRoute53, ingest::LogType::kGuardDuty};

}  // namespace

ZeroedPages::ZeroedPages(std::size_t bytes) {
  if (bytes == 0) return;
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const bool huge = bytes >= kHuge;
  // Large: map 2 MB more and start at a 2 MB boundary, so every 2 MB of the table can be one
  // huge page.
  std::size_t len = huge ? bytes + kHuge : (bytes + page - 1) / page * page;
  void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  base_ = base;
  len_ = len;
  data_ = base;
  if (huge) {
    auto at = reinterpret_cast<std::uintptr_t>(base);
    data_ = reinterpret_cast<void*>((at + kHuge - 1) / kHuge * kHuge);
    madvise(data_, bytes, MADV_HUGEPAGE);  // advice only: without THP, 4 KB pages
  }
}

ZeroedPages::~ZeroedPages() {
  if (base_ != nullptr) munmap(base_, len_);
}

GroupBy::Group* GroupBy::find_or_add(std::string_view key) {
  if (last_ != SIZE_MAX && key == key_of(slots_.slot(last_))) return &slots_.slot(last_).g;
  const uint64_t h = std::hash<std::string_view>{}(key) | 1;
  std::size_t pos = slots_.probe(h, [&](const Slot& s) { return s.hash == h && key == key_of(s); });
  if (!slots_.found(pos)) {
    if (size() >= max_groups_) return &overflow_;
    Slot& s = slots_.take(pos, h);
    s.hash = h;
    s.off = arena_.size();
    s.len = key.size();
    arena_.append(key);
    pos = slots_.position(s);
  }
  last_ = pos;
  return &slots_.slot(pos).g;
}

GroupBy::V4Slot* GroupBy::find_or_add_v4(uint32_t ip) {
  V4Slot* t = v4_slots();
  std::size_t i = hash_v4(ip) & v4_mask_;
  if (v4_cap_ != 0) {
    while (t[i].count != 0) {
      if (t[i].ip == ip) return &t[i];
      i = (i + 1) & v4_mask_;
    }
  }
  if (size() >= max_groups_) return nullptr;
  if ((v4_size_ + 1) * 2 > v4_cap_) {
    grow_v4();
    t = v4_slots();
    i = hash_v4(ip) & v4_mask_;
    while (t[i].count != 0) i = (i + 1) & v4_mask_;
  }
  V4Slot& s = t[i];
  s.ip = ip;
  s.count = 0;  // the caller adds the event
  s.sum = 0;
  ++v4_size_;
  return &s;
}

void GroupBy::grow_v4() {
  const std::size_t cap = v4_cap_ == 0 ? 1024 : v4_cap_ * 2;
  ZeroedPages mem(cap * sizeof(V4Slot));
  auto* t = static_cast<V4Slot*>(mem.data());
  const std::size_t mask = cap - 1;
  const V4Slot* old = v4_slots();
  for (std::size_t k = 0; k < v4_cap_; ++k) {
    const V4Slot& s = old[k];
    if (s.count == 0) continue;
    std::size_t i = hash_v4(s.ip) & mask;
    while (t[i].count != 0) i = (i + 1) & mask;
    t[i] = s;
  }
  v4_mem_ = std::move(mem);
  v4_cap_ = cap;
  v4_mask_ = mask;
}

std::size_t GroupBy::find_v4(uint32_t ip) const {
  if (v4_cap_ == 0) return SIZE_MAX;
  const V4Slot* t = v4_slots();
  std::size_t i = hash_v4(ip) & v4_mask_;
  while (t[i].count != 0) {
    if (t[i].ip == ip) return i;
    i = (i + 1) & v4_mask_;
  }
  return SIZE_MAX;
}

GroupBy::Group GroupBy::v4_group(const V4Slot& s) const {
  Group g;
  g.count = s.count;
  g.sum = s.sum;
  uint64_t unsummed = 0;
  if (!v4_extra_.empty()) {
    auto it = v4_extra_.find(s.ip);
    if (it != v4_extra_.end()) {
      g.count += it->second.count;
      unsummed = it->second.unsummed;
    }
  }
  g.summed = sums_ ? g.count - unsummed : 0;
  return g;
}

void GroupBy::add_v4_group(uint32_t ip, uint64_t count, double sum, uint64_t summed) {
  if (count == 0) return;
  events_ += count;
  V4Slot* s = find_or_add_v4(ip);
  if (s == nullptr) {
    overflow_.count += count;
    overflow_.sum += sum;
    overflow_.summed += summed;
    return;
  }
  // The slot keeps count mod kCarry (never 0 for a group); whole kCarry steps go to the extras.
  uint64_t total = uint64_t{s->count} + count;
  uint64_t keep = total;
  if (keep > kCarry) keep = (keep - 1) % kCarry + 1;
  if (total != keep) v4_extra_[ip].count += total - keep;
  s->count = static_cast<uint32_t>(keep);
  s->sum += sum;
  if (sums_ && summed < count) v4_extra_[ip].unsummed += count - summed;
}

void GroupBy::flush() {
  while (pending_n_ > 0) {
    Pending q = pending_[pending_head_];
    pending_head_ = (pending_head_ + 1) % kPipeline;
    --pending_n_;
    apply_v4(q);
  }
}

void GroupBy::add(std::string_view key, bool has_value, double value) {
  ++events_;
  Group* g = find_or_add(key);
  ++g->count;
  if (has_value) {
    g->sum += value;
    ++g->summed;
  }
}

namespace {

// Writes the dotted quad of `ip` at p (room for 15 bytes); returns its end.
char* put_v4(char* p, uint32_t ip) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned o = (ip >> shift) & 0xFF;
    if (o >= 100) *p++ = static_cast<char>('0' + o / 100);
    if (o >= 10) *p++ = static_cast<char>('0' + o / 10 % 10);
    *p++ = static_cast<char>('0' + o % 10);
    if (shift > 0) *p++ = '.';
  }
  return p;
}

uint64_t load_be64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return __builtin_bswap64(w);
}

// The IPv4 order code's tables (GroupBy::V4Order): the rank of each octet's decimal text among
// "0".."255" in byte order, and each rank's text. A dotted quad's text compares octet by
// octet ('.' and the key's end sort before every digit, so "1.x" < "10.x" as "1" < "10"), so
// the ranks, most significant first, compare as the texts do.
struct StatsV4Ranks {
  uint8_t rank[256];
  char text[256][4];  ///< by rank: the octet's digits and '.', zero-padded
  uint8_t len[256];   ///< by rank: its digits and the '.'
};

const StatsV4Ranks& stats_v4_ranks() {
  static const StatsV4Ranks tables = [] {
    StatsV4Ranks t{};
    std::array<std::string, 256> text;
    std::array<unsigned, 256> by_text;
    for (unsigned o = 0; o < 256; ++o) {
      text[o] = std::to_string(o);
      by_text[o] = o;
    }
    std::sort(by_text.begin(), by_text.end(),
              [&](unsigned a, unsigned b) { return text[a] < text[b]; });
    for (unsigned r = 0; r < 256; ++r) {
      t.rank[by_text[r]] = static_cast<uint8_t>(r);
      const std::string dot = text[by_text[r]] + ".";
      std::memcpy(t.text[r], dot.data(), dot.size());
      t.len[r] = static_cast<uint8_t>(dot.size());
    }
    return t;
  }();
  return tables;
}

// The order code of the address `ip`: each octet replaced by its rank.
[[gnu::always_inline]] inline uint32_t stats_v4_code(uint32_t ip, const StatsV4Ranks& t) {
  return uint32_t{t.rank[ip >> 24]} << 24 | uint32_t{t.rank[(ip >> 16) & 0xFF]} << 16 |
         uint32_t{t.rank[(ip >> 8) & 0xFF]} << 8 | t.rank[ip & 0xFF];
}

// Writes the dotted quad of the order code `code` at p, which holds 16 zero bytes; returns the
// key's end (the bytes after it stay zero).
[[gnu::always_inline]] inline char* stats_v4_put_code(char* p, uint32_t code,
                                                      const StatsV4Ranks& t) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned r = (code >> shift) & 0xFF;
    std::memcpy(p, t.text[r], 4);
    p += t.len[r];
  }
  *--p = 0;  // the last octet's '.'
  return p;
}

// Sorts `v` by `less`, only its first `top` items when that is fewer (then dropping the rest).
template <class T, class Less>
void stats_sort_top(std::vector<T>* v, std::size_t top, Less less) {
  if (top < v->size()) {
    std::partial_sort(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(top), v->end(), less);
    v->resize(top);
  } else {
    std::sort(v->begin(), v->end(), less);
  }
}

}  // namespace

void GroupBy::merge(GroupBy& o) {
  flush();
  o.flush();
  const uint64_t events = events_ + o.events_;
  auto add_to = [](Group* g, const Group& x) {
    g->count += x.count;
    g->sum += x.sum;
    g->summed += x.summed;
  };
  o.slots_.each([&](const Slot& s) { add_to(find_or_add(o.key_of(s)), s.g); });
  const V4Slot* t = o.v4_slots();
  for (std::size_t k = 0; k < o.v4_cap_; ++k) {
    if (t[k].count == 0) continue;
    Group g = o.v4_group(t[k]);
    add_v4_group(t[k].ip, g.count, g.sum, o.sums_ ? g.summed : g.count);
  }
  add_to(&overflow_, o.overflow_);
  events_ = events;  // add_v4_group counted the IPv4 events again
}

GroupBy::Row GroupBy::row_at(const Order& o, const Folds&) const {
  Row r;
  std::memset(r.head, 0, sizeof r.head);
  const Slot& s = slots_.slot(o.ref & ~kTextRef);
  const std::string_view key = key_of(s);
  r.sum = s.g.sum;
  r.count = s.g.count;
  r.summed = s.g.summed;
  std::memcpy(r.head, key.data(), std::min(key.size(), sizeof r.head));
  r.text = key.data();
  r.len = static_cast<uint32_t>(key.size());
  r.plain = false;
  return r;
}

GroupBy::Row GroupBy::row_at(const V4Order& o, const Folds& folds) const {
  Row r;
  std::memset(r.head, 0, sizeof r.head);
  r.text = nullptr;
  r.plain = true;
  if (v4_extra_.empty() && folds.empty()) {  // all in `o`
    r.sum = o.sum;
    r.count = o.count;
    r.summed = sums_ ? o.count : 0;
    r.len = static_cast<uint32_t>(
        stats_v4_put_code(r.head, static_cast<uint32_t>(o.code >> 32), stats_v4_ranks()) - r.head);
    return r;
  }
  const auto ref = static_cast<uint32_t>(o.code);
  const V4Slot& s = v4_slots()[ref];
  Group g = v4_extra_.empty() ? Group{s.count, s.sum, sums_ ? s.count : 0} : v4_group(s);
  if (!folds.empty()) {
    auto it = folds.find(ref);
    if (it != folds.end()) {
      g.count += it->second->count;
      g.sum += it->second->sum;
      g.summed += it->second->summed;
    }
  }
  r.sum = g.sum;
  r.count = g.count;
  r.summed = g.summed;
  r.len = static_cast<uint32_t>(put_v4(r.head, s.ip) - r.head);
  return r;
}

GroupBy::Ordered GroupBy::order(bool by_sum, std::size_t top) const {
  Ordered o;
  o.by_sum = by_sum;
  o.top = top == 0 ? SIZE_MAX : top;
  // A text group whose key is the dotted quad of an IPv4 group (a non-flow event whose field held
  // the address as text) is folded into that group.
  for (std::size_t k = 0; k < slots_.capacity(); ++k) {
    const Slot& s = slots_.slot(k);
    if (s.hash == 0) continue;
    std::string_view key = key_of(s);
    if (v4_size_ > 0 && key.size() <= 15) {
      IpAddr ip;
      if (IpAddr::parse(key, &ip) && ip.v4) {
        char canon[16];
        char* e = put_v4(canon, ip.v4_value());
        if (std::string_view(canon, static_cast<std::size_t>(e - canon)) == key) {
          std::size_t at = find_v4(ip.v4_value());
          if (at != SIZE_MAX) {
            o.folds.emplace(at, &s.g);
            continue;
          }
        }
      }
    }
    char head[16] = {};
    std::memcpy(head, key.data(), std::min(key.size(), sizeof head));
    o.text.push_back(Order{s.g.sum, s.g.count, load_be64(head), load_be64(head + 8),
                           kTextRef | static_cast<uint32_t>(k)});
  }
  const StatsV4Ranks& ranks = stats_v4_ranks();
  const V4Slot* t = v4_slots();
  o.v4.reserve(v4_size_);
  for (std::size_t k = 0; k < v4_cap_; ++k) {
    const V4Slot& s = t[k];
    if (s.count == 0) continue;
    V4Order x{s.sum, s.count, uint64_t{stats_v4_code(s.ip, ranks)} << 32 | k};
    if (!v4_extra_.empty() || !o.folds.empty()) {
      Row r = row_at(x, o.folds);
      x.sum = r.sum;
      x.count = r.count;
    }
    o.v4.push_back(x);
  }
  // Sum (when by_sum) and count descending, then the key's bytes: the zero-padded heads compare
  // as the keys do whenever they differ (a key's end sorts before any byte, as padding sorts
  // before any byte but NUL); equal heads fall through to the whole keys. IPv4 keys are unique,
  // so their codes alone order their ties.
  stats_sort_top(&o.v4, o.top, [by_sum](const V4Order& a, const V4Order& b) {
    if (by_sum && a.sum != b.sum) return a.sum > b.sum;
    if (a.count != b.count) return a.count > b.count;
    return a.code < b.code;
  });
  stats_sort_top(&o.text, o.top, [this, by_sum](const Order& a, const Order& b) {
    if (by_sum && a.sum != b.sum) return a.sum > b.sum;
    if (a.count != b.count) return a.count > b.count;
    if (a.h0 != b.h0) return a.h0 < b.h0;
    if (a.h1 != b.h1) return a.h1 < b.h1;
    return text_key(a.ref) < text_key(b.ref);
  });
  return o;
}

template <class F>
void GroupBy::each_row(const Ordered& o, F&& f) const {
  // The two runs merged by the same order as each run's sort: an IPv4 item before a text item.
  auto v4_first = [&](const V4Order& a, const Order& b) {
    if (o.by_sum && a.sum != b.sum) return a.sum > b.sum;
    if (a.count != b.count) return a.count > b.count;
    char head[16] = {};
    const std::size_t len = static_cast<std::size_t>(
        stats_v4_put_code(head, static_cast<uint32_t>(a.code >> 32), stats_v4_ranks()) - head);
    const uint64_t h0 = load_be64(head);
    const uint64_t h1 = load_be64(head + 8);
    if (h0 != b.h0) return h0 < b.h0;
    if (h1 != b.h1) return h1 < b.h1;
    return std::string_view(head, len) < text_key(b.ref);
  };
  std::size_t i = 0;
  std::size_t j = 0;
  for (std::size_t n = 0; n < o.top; ++n) {
    if (i < o.v4.size() && (j == o.text.size() || v4_first(o.v4[i], o.text[j]))) {
      f(row_at(o.v4[i++], o.folds));
    } else if (j < o.text.size()) {
      f(row_at(o.text[j++], o.folds));
    } else {
      break;
    }
  }
}

std::vector<GroupBy::Row> GroupBy::sorted(bool by_sum, std::size_t top) const {
  const Ordered o = order(by_sum, top);
  std::vector<Row> v;
  v.reserve(o.v4.size() + o.text.size());
  each_row(o, [&](const Row& r) { v.push_back(r); });
  return v;
}

bool GroupBy::find(std::string_view key, Group* out) const {
  for (const Row& r : sorted(false, 0)) {
    if (r.key() == key) {
      *out = Group{r.count, r.sum, r.summed};
      return true;
    }
  }
  return false;
}

namespace {

std::string format_sum(double x) {
  char buf[40];
  if (x == static_cast<double>(static_cast<int64_t>(x)) && x < 9.0e15 && x > -9.0e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", x);
  }
  return buf;
}

// Output goes out in pieces of about this size, so a million groups never sit in one string.
constexpr std::size_t kOutChunk = std::size_t{1} << 20;

// The output buffer: to a FILE in kOutChunk pieces, or appended to a string (tests).
class Out {
 public:
  Out(std::FILE* file, std::string* into) : file_(file), into_(into), buf_(kOutChunk + kRoom) {}
  /// Room for `n` <= kRoom bytes at the returned pointer; then done(end).
  char* room() {
    if (used_ > kOutChunk) flush();
    return buf_.data() + used_;
  }
  void done(char* end) { used_ = static_cast<std::size_t>(end - buf_.data()); }
  void append(std::string_view s) {
    while (!s.empty()) {
      if (used_ >= buf_.size()) flush();
      std::size_t n = std::min(s.size(), buf_.size() - used_);
      std::memcpy(buf_.data() + used_, s.data(), n);
      used_ += n;
      s.remove_prefix(n);
    }
  }
  void flush() {
    if (into_ != nullptr)
      into_->append(buf_.data(), used_);
    else
      std::fwrite(buf_.data(), 1, used_, file_);
    used_ = 0;
  }
  static constexpr std::size_t kRoom = 256;

 private:
  std::FILE* file_;
  std::string* into_;
  std::vector<char> buf_;
  std::size_t used_ = 0;
};

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_u64(char* p, uint64_t x) {
  return std::to_chars(p, p + 20, x).ptr;
}

}  // namespace

void GroupBy::write(std::FILE* out_file, bool json, std::string_view by, std::string_view sum,
                    std::size_t top, uint64_t rejects, double seconds, std::string* into) const {
  bool with_sum = !sum.empty();
  const Ordered rows = order(with_sum, top);
  Out out(out_file, into);
  std::string s;
  if (json) {
    JsonWriter w(&s);
    w.begin_object();
    w.field("by", by);
    if (with_sum) w.field("sum", sum);
    w.field("events", events_);
    w.field("rejects", rejects);
    w.field("seconds", seconds);
    w.field("groups_total", static_cast<uint64_t>(size()));
    w.field("max_groups", static_cast<uint64_t>(max_groups_));
    w.key("groups");
    w.begin_array();
    out.append(s);
    s.clear();
    // Rows by hand (the same JSON as the writer's): a million of them is most of the output.
    std::string escaped;
    bool first = true;
    each_row(rows, [&](const Row& row) {
      std::string_view key = row.key();
      if (!row.plain) {
        escaped.clear();
        append_json_escaped(&escaped, key);
        key = escaped;
      }
      char* p = out.room();
      p = put(p, first ? std::string_view("{\"key\":\"") : std::string_view(",{\"key\":\""));
      first = false;
      if (key.size() <= 64) {
        p = put(p, key);
      } else {
        out.done(p);
        out.append(key);
        p = out.room();
      }
      p = put(p, "\",\"count\":");
      p = put_u64(p, row.count);
      if (with_sum) {
        p = put(p, ",\"sum\":");
        double x = row.sum;
        if (x == static_cast<double>(static_cast<int64_t>(x)) && x < 9.0e15 && x > -9.0e15) {
          p = std::to_chars(p, p + 24, static_cast<int64_t>(x)).ptr;
        } else {
          std::string num;
          JsonWriter(&num).number(x);
          p = put(p, num);
        }
        p = put(p, ",\"summed\":");
        p = put_u64(p, row.summed);
      }
      *p++ = '}';
      out.done(p);
    });
    w.end_array();
    w.key("overflow");
    if (overflow_.count == 0) {
      w.null();
    } else {
      w.begin_object();
      w.field("count", overflow_.count);
      if (with_sum) {
        w.key("sum");
        const double x = overflow_.sum;
        if (x == static_cast<double>(static_cast<int64_t>(x)) && x < 9.0e15 && x > -9.0e15)
          w.number(static_cast<int64_t>(x));
        else
          w.number(x);
        w.field("summed", overflow_.summed);
      }
      w.end_object();
    }
    w.end_object();
    s += "\n";
    out.append(s);
    out.flush();
    return;
  }
  s += "Events: " + with_commas(events_) + ", groups by ";
  append_terminal_safe(&s, by);
  s += ": " + with_commas(size()) + "\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%14s  ", "count");
  s += buf;
  if (with_sum) {
    std::snprintf(buf, sizeof buf, "%18s  ", ("sum " + std::string(sum.substr(0, 14))).c_str());
    append_terminal_safe(&s, buf);
  }
  append_terminal_safe(&s, by);
  s += "\n";
  auto line = [&](std::string_view key, uint64_t count, double group_sum) {
    std::snprintf(buf, sizeof buf, "%14s  ", with_commas(count).c_str());
    s += buf;
    if (with_sum) {
      std::snprintf(buf, sizeof buf, "%18s  ", format_sum(group_sum).c_str());
      s += buf;
    }
    append_terminal_safe(&s, key);
    s += "\n";
    if (s.size() >= kOutChunk) {
      out.append(s);
      s.clear();
    }
  };
  each_row(rows, [&](const Row& r) {
    line(r.len == 0 ? std::string_view("(none)") : r.key(), r.count, r.sum);
  });
  if (top != 0 && size() > top)
    s += "  (" + with_commas(size() - top) + " more groups; --top 0 shows all)\n";
  if (overflow_.count > 0) line("(other: past the group limit)", overflow_.count, overflow_.sum);
  out.append(s);
  out.flush();
}

void GroupBy::write_text(std::FILE* out, std::string_view by, std::string_view sum,
                         std::size_t top) const {
  write(out, false, by, sum, top, 0, 0, nullptr);
}

void GroupBy::write_json(std::FILE* out, std::string_view by, std::string_view sum, std::size_t top,
                         uint64_t rejects, double seconds) const {
  write(out, true, by, sum, top, rejects, seconds, nullptr);
}

std::string GroupBy::to_text(std::string_view by, std::string_view sum, std::size_t top) const {
  std::string s;
  write(nullptr, false, by, sum, top, 0, 0, &s);
  return s;
}

std::string GroupBy::to_json(std::string_view by, std::string_view sum, std::size_t top,
                             uint64_t rejects, double seconds) const {
  std::string s;
  write(nullptr, true, by, sum, top, rejects, seconds, &s);
  return s;
}

void Stats::add_event(const ingest::EventMeta& meta, std::string_view source) {
  ++events_by_type_[static_cast<std::size_t>(meta.type)];
  by_account_.bump(meta.account.empty() ? std::string_view("(none)") : meta.account);
  by_region_.bump(meta.region.empty() ? std::string_view("(none)") : meta.region);
  if (!source.empty()) by_source_.bump(source);
  if (meta.time_ms == ingest::kNoTime) {
    ++no_time_;
  } else {
    if (min_time_ == ingest::kNoTime || meta.time_ms < min_time_) min_time_ = meta.time_ms;
    if (max_time_ == ingest::kNoTime || meta.time_ms > max_time_) max_time_ = meta.time_ms;
  }
}

void Stats::add_reject(const Reject& r) {
  ++rejects_[static_cast<std::size_t>(r.reason)];
  if (r.records > 1) records_lost_ += r.records;
  if (examples_.size() < kMaxExamples) {
    std::string line = format_reject(r);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    examples_.push_back(line.substr(std::string_view("sentinel: ").size()));
  }
}

void Stats::add_file(const ingest::Input& in, const ingest::FileReport& rep) {
  (void)in;
  ++files_;
  if (rep.readable) ++readable_files_;
  if (rep.gzip) ++gzip_files_;
  bytes_read_ += rep.bytes_read;
  bytes_decoded_ += rep.bytes_decoded;
  ++files_by_type_[static_cast<std::size_t>(rep.type)];
}

void Stats::add_digest(const ingest::DigestFile& d) {
  digests_.emplace_back(d.ref.path);
}

void Stats::merge(const Stats& o) {
  files_ += o.files_;
  readable_files_ += o.readable_files_;
  gzip_files_ += o.gzip_files_;
  bytes_read_ += o.bytes_read_;
  bytes_decoded_ += o.bytes_decoded_;
  for (std::size_t i = 0; i < kTypes; ++i) {
    files_by_type_[i] += o.files_by_type_[i];
    events_by_type_[i] += o.events_by_type_[i];
  }
  by_account_.merge_from(o.by_account_.map());
  by_region_.merge_from(o.by_region_.map());
  by_source_.merge_from(o.by_source_.map());
  if (o.min_time_ != ingest::kNoTime && (min_time_ == ingest::kNoTime || o.min_time_ < min_time_)) {
    min_time_ = o.min_time_;
  }
  if (o.max_time_ != ingest::kNoTime && (max_time_ == ingest::kNoTime || o.max_time_ > max_time_)) {
    max_time_ = o.max_time_;
  }
  no_time_ += o.no_time_;
  for (std::size_t i = 0; i < rejects_.size(); ++i) rejects_[i] += o.rejects_[i];
  records_lost_ += o.records_lost_;
  for (const auto& e : o.examples_) {
    if (examples_.size() < kMaxExamples) examples_.push_back(e);
  }
  digests_.insert(digests_.end(), o.digests_.begin(), o.digests_.end());
  std::sort(digests_.begin(), digests_.end());
}

uint64_t Stats::events() const {
  uint64_t n = 0;
  for (auto v : events_by_type_) n += v;
  return n;
}

uint64_t Stats::rejects() const {
  uint64_t n = 0;
  for (auto v : rejects_) n += v;
  return n;
}

std::string Stats::to_text(double seconds) const {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "Read %s files (%s gzip): %s on disk, %s decoded, in %.2f s\n",
                with_commas(files_).c_str(), with_commas(gzip_files_).c_str(),
                human_bytes(bytes_read_).c_str(), human_bytes(bytes_decoded_).c_str(), seconds);
  s += buf;
  s += "\nEvents by log type:\n";
  for (auto t : kTypeOrder) {
    auto i = static_cast<std::size_t>(t);
    if (files_by_type_[i] == 0 && events_by_type_[i] == 0) continue;
    std::snprintf(buf, sizeof buf, "  %-12s %14s events  in %s files\n",
                  std::string(ingest::log_type_name(t)).c_str(),
                  with_commas(events_by_type_[i]).c_str(), with_commas(files_by_type_[i]).c_str());
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "  %-12s %14s events\n", "total", with_commas(events()).c_str());
  s += buf;
  if (!digests_.empty()) {
    std::snprintf(buf, sizeof buf,
                  "\nCloudTrail digest files: %zu (listed, not parsed as events)\n",
                  digests_.size());
    s += buf;
    for (std::size_t i = 0; i < digests_.size() && i < 10; ++i) {
      s += "  ";
      append_terminal_safe(&s, digests_[i]);
      s += "\n";
    }
    if (digests_.size() > 10) s += "  ...\n";
  }
  s += "\nTime range: ";
  if (min_time_ == ingest::kNoTime) {
    s += "none";
  } else {
    append_iso8601(&s, min_time_);
    s += " .. ";
    append_iso8601(&s, max_time_);
  }
  if (no_time_ > 0) s += " (" + with_commas(no_time_) + " events without a time)";
  s += "\n";
  auto section = [&](const char* title, const CountMap& m, std::size_t top) {
    if (m.empty()) return;
    auto v = sorted(m);
    std::snprintf(buf, sizeof buf, "\n%s (%zu):\n", title, v.size());
    s += buf;
    for (std::size_t i = 0; i < v.size() && i < top; ++i) {
      std::string key = terminal_safe(v[i].first.substr(0, 100));
      std::snprintf(buf, sizeof buf, "  %-40s %14s\n", key.c_str(),
                    with_commas(v[i].second).c_str());
      s += buf;
    }
    if (v.size() > top) s += "  ... " + with_commas(v.size() - top) + " more\n";
  };
  section("Events by account", by_account_.map(), 20);
  section("Events by region", by_region_.map(), 20);
  section("Events by event source", by_source_.map(), 20);
  s += "\nRejects: " + with_commas(rejects());
  if (records_lost_ > 0)
    s += " (" + with_commas(records_lost_) + " records lost in damaged stretches)";
  s += "\n";
  for (std::size_t i = 0; i < rejects_.size(); ++i) {
    if (rejects_[i] == 0) continue;
    auto r = static_cast<RejectReason>(i);
    std::snprintf(buf, sizeof buf, "  %-24s %10s  ", std::string(reject_name(r)).c_str(),
                  with_commas(rejects_[i]).c_str());
    s += buf;
    s += reject_description(r);
    s += "\n";
  }
  if (!examples_.empty()) {
    s += "  First rejects:\n";
    for (const auto& e : examples_) s += "    " + e + "\n";
  }
  return s;
}

std::string Stats::to_json(double seconds) const {
  std::string s;
  JsonWriter w(&s);
  w.begin_object();
  w.field("files", files_);
  w.field("readable_files", readable_files_);
  w.field("gzip_files", gzip_files_);
  w.field("bytes_read", bytes_read_);
  w.field("bytes_decoded", bytes_decoded_);
  w.field("seconds", seconds);
  w.field("events", events());
  w.key("events_by_log_type");
  w.begin_object();
  for (auto t : kTypeOrder)
    w.field(ingest::log_type_name(t), events_by_type_[static_cast<std::size_t>(t)]);
  w.end_object();
  w.key("files_by_log_type");
  w.begin_object();
  for (auto t : kTypeOrder)
    w.field(ingest::log_type_name(t), files_by_type_[static_cast<std::size_t>(t)]);
  w.field("cloudtrail_digest", static_cast<uint64_t>(digests_.size()));
  w.field("unknown", files_by_type_[0]);
  w.end_object();
  w.key("digest_files");
  w.begin_array();
  for (const auto& d : digests_) w.string(d);
  w.end_array();
  w.key("time_range");
  w.begin_object();
  w.key("first");
  if (min_time_ == ingest::kNoTime)
    w.null();
  else
    w.string(format_iso8601(min_time_));
  w.key("last");
  if (max_time_ == ingest::kNoTime)
    w.null();
  else
    w.string(format_iso8601(max_time_));
  w.field("events_without_time", no_time_);
  w.end_object();
  auto map = [&](std::string_view name, const CountMap& m) {
    w.key(name);
    w.begin_object();
    for (const auto& [k, v] : sorted(m)) w.field(k, v);
    w.end_object();
  };
  map("events_by_account", by_account_.map());
  map("events_by_region", by_region_.map());
  map("events_by_event_source", by_source_.map());
  w.field("rejects", rejects());
  w.field("records_lost", records_lost_);
  w.key("rejects_by_reason");
  w.begin_object();
  for (std::size_t i = 0; i < rejects_.size(); ++i) {
    if (rejects_[i] > 0) w.field(reject_name(static_cast<RejectReason>(i)), rejects_[i]);
  }
  w.end_object();
  w.key("reject_examples");
  w.begin_array();
  for (const auto& e : examples_) w.string(e);
  w.end_array();
  w.end_object();
  s += "\n";
  return s;
}

}  // namespace sentinel::cli
