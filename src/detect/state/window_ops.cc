// Threshold and distinct count: ≥ N matches (or N distinct values) per key within a sliding
// window T, once per episode. An episode of a key is a run of its matches with no gap longer than
// T; the clause fires at the match that first reaches N inside the episode, and not again until a
// gap longer than T starts a new episode.
#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "core/probe_table.h"
#include "detect/rules/rule.h"
#include "detect/state/operator_base.h"

namespace sentinel::detect::state {
namespace {

constexpr std::size_t kWindowMaxEvidence = 20;
constexpr std::size_t kMaxValuesSample = 10;

// Bytes appended back to back, for the threshold operator's bulk form: grows by doubling
// without clearing what it has not used yet (no zero fill), appends inline, and truncating
// keeps the capacity, so a buffer compacted in place writes the same pages again.
class WindowOpsBytes {
 public:
  std::size_t size() const { return size_; }
  char* data() { return buf_.get(); }
  const char* data() const { return buf_.get(); }
  std::string_view view(std::size_t off, std::size_t len) const {
    return std::string_view(buf_.get() + off, len);
  }
  // `n` more bytes at the end, uninitialized; returns where they start.
  char* grow(std::size_t n) {
    if (cap_ - size_ < n) {
      const std::size_t cap = std::max({2 * cap_, size_ + n, std::size_t{1} << 12});
      std::unique_ptr<char[]> fresh(new char[cap]);
      if (size_ != 0) std::memcpy(fresh.get(), buf_.get(), size_);
      buf_ = std::move(fresh);
      cap_ = cap;
    }
    char* at = buf_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view s) {
    char* at = grow(s.size());
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
  }
  void truncate(std::size_t n) { size_ = n; }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

// A threshold operator starts deferred (see "Deferred form" below) and queues from the first
// capture that could complete a window, the first late-accepted one, a key table that could
// reach max_keys, save() or restore() on; finish() ends a deferred operator without the queue.
class ThresholdOperator final : public OperatorBase {
 public:
  ThresholdOperator(const Rule& rule, bool deferred)
      : OperatorBase(rule, rule.stateful.window_ms),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, 2 * rule.stateful.window_ms), &stats_),
        ttl_ms_(ttl_or(rule.stateful, 2 * rule.stateful.window_ms)),
        deferred_(deferred) {}

 private:
  // A match in the window: its time and its id in the key's id pool.
  struct Entry {
    int64_t t;
    uint32_t off;
    uint32_t len;
  };
  // The window's entries, oldest first: a vector with a moving head (a deque would allocate
  // a 512-byte block for every key's first match).
  struct EntryQueue {
    std::vector<Entry> v;
    std::size_t head = 0;
    bool empty() const { return head == v.size(); }
    std::size_t size() const { return v.size() - head; }
    const Entry& front() const { return v[head]; }
    const Entry& back() const { return v.back(); }
    const Entry& operator[](std::size_t i) const { return v[head + i]; }
    auto begin() { return v.begin() + static_cast<std::ptrdiff_t>(head); }
    auto end() { return v.end(); }
    auto begin() const { return v.begin() + static_cast<std::ptrdiff_t>(head); }
    auto end() const { return v.end(); }
    void push_back(const Entry& e) { v.push_back(e); }
    template <typename It>
    void insert(It pos, const Entry& e) {
      v.insert(pos, e);
    }
    void pop_front() {
      if (++head == v.size()) {
        v.clear();
        head = 0;
      } else if (head >= 32 && 2 * head >= v.size()) {
        v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(head));
        head = 0;
      }
    }
    void clear() {
      v.clear();
      head = 0;
    }
    void shrink_to_fit() { v.shrink_to_fit(); }
  };
  struct KeyState {
    EntryQueue window;     // before firing only; fewer than N entries
    std::string ids;       // the window's ids, back to back (no string per match)
    std::size_t dead = 0;  // bytes of `ids` no entry refers to any more
    bool fired = false;
    int64_t last = kMinTime;

    std::string_view id(const Entry& e) const { return std::string_view(ids).substr(e.off, e.len); }
    void add(int64_t t, std::string_view id) {
      const Entry e{t, static_cast<uint32_t>(ids.size()), static_cast<uint32_t>(id.size())};
      ids.append(id);
      // Sorted insert: the common case appends; late-accepted ones go in their place.
      if (window.empty() || before(window.back(), e)) {
        window.push_back(e);
        return;
      }
      auto pos = std::upper_bound(window.begin(), window.end(), e,
                                  [&](const Entry& a, const Entry& b) { return before(a, b); });
      window.insert(pos, e);
    }
    bool before(const Entry& a, const Entry& b) const {
      return a.t != b.t ? a.t < b.t : id(a) < id(b);
    }
    void pop_front() {
      dead += window.front().len;
      window.pop_front();
      if (window.empty()) {
        ids.clear();
        dead = 0;
      } else if (dead > 4096 && dead > ids.size() / 2) {
        std::string fresh;
        fresh.reserve(ids.size() - dead);
        for (Entry& e : window) {
          const uint32_t off = static_cast<uint32_t>(fresh.size());
          fresh.append(id(e));
          e.off = off;
        }
        ids = std::move(fresh);
        dead = 0;
      }
    }
    void clear() {
      window.clear();
      ids.clear();
      dead = 0;
    }
  };

  bool extract(const EventView&, Extracted*) override { return true; }

  void process(const Capture& it, StateSink& sink) override {
    KeyState& st = keys_.use(it.key, it.t);
    const int64_t T = spec_.window_ms;
    if (st.last != kMinTime && it.t > st.last && it.t - st.last > T) {
      st.fired = false;
      st.clear();
    }
    if (it.t > st.last) st.last = it.t;
    if (st.fired) return;
    st.add(it.t, it.id);
    const int64_t newest = st.window.back().t;
    while (!st.window.empty() && st.window.front().t < sat_sub(newest, T)) st.pop_front();
    const uint64_t n = std::max<uint64_t>(spec_.threshold, 1);
    if (st.window.size() < n) return;
    StateHit hit;
    hit.group_key = std::string(it.key);
    hit.count = st.window.size();
    hit.first_seen_ms = st.window.front().t;
    hit.last_seen_ms = newest;
    for (std::size_t i = 0; i < st.window.size() && i < kWindowMaxEvidence; ++i) {
      hit.evidence.emplace_back(st.id(st.window[i]));
    }
    hit.evidence_total = st.window.size();
    hit.vars = {{"count", std::to_string(hit.count)},
                {"window", format_duration(T)},
                {"threshold", std::to_string(n)}};
    st.fired = true;
    st.clear();
    st.window.shrink_to_fit();
    st.ids.shrink_to_fit();
    emit(&hit, Sample::of(it), sink);
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  // ---- Deferred form ----
  //
  // Until a key holds N - 1 captures (processed ones in its window plus queued ones), nothing
  // the queue would do with its captures can fire, and what it leaves in the key's state is a
  // function of the key's own captures in (time, id) order: the window (the processed captures
  // within T of the newest, after the last gap longer than T or the TTL), the last use, and how
  // often the key expired. So a capture is appended to a log as it arrives (no lookup, no
  // queue); flush() hands the log to the keys (sorted by key, then (time, id)), and a key
  // applies what the queue would have processed (time < frontier()) when it is settled. The
  // key table's LRU order is (time, id, key) of each key's last processed capture, which is how
  // undefer() rebuilds it. Exactly equivalent while no capture is late-accepted (the queue
  // processes those out of order), no key can be evicted at the cap, and no key can hold N:
  // the log is flushed, then the operator undefers, before any of these could happen (bounds
  // checked per capture: the largest key after the last flush plus the log, the keys plus the
  // log).
  struct Held {
    int64_t t;
    uint32_t off;   // in LazyKey::bytes: nstr uint32 end offsets, then id and snapshot bytes
    uint32_t nstr;  // the capture's strings but the key
    double severity;
  };
  struct LazyKey {
    std::vector<Held> held;  // [head, done): processed, in the window; [done, end): queued
    std::size_t head = 0;
    std::size_t done = 0;
    std::string bytes;
    int64_t last = kMinTime;  // the last processed capture's time; kMinTime: not in the table
    uint64_t expired = 0;     // TTL expiries so far
  };
  // What processing a key's captures before `now` leaves (walk() computes it, settle() keeps it).
  struct Walked {
    std::size_t head;
    std::size_t done;
    int64_t last;
    uint64_t expired;
  };

  static std::string_view held_str(const LazyKey& k, const Held& h, std::size_t i) {
    return packed_string(k.bytes.data() + h.off, h.nstr, i);
  }

  // As process() and the key table's expiry would, for the captures before `now`.
  Walked walk(const LazyKey& k, int64_t now) const {
    Walked w{k.head, k.done, k.last, k.expired};
    const int64_t T = spec_.window_ms;
    while (w.done < k.held.size() && k.held[w.done].t < now) {
      const int64_t t = k.held[w.done].t;
      if (w.last != kMinTime && ttl_ms_ > 0 && sat_add(w.last, ttl_ms_) < t) {
        ++w.expired;  // idle past the TTL before this capture: a new key
        w.last = kMinTime;
        w.head = w.done;
      }
      if (w.last != kMinTime && t > w.last && t - w.last > T) w.head = w.done;  // a new episode
      if (t > w.last) w.last = t;
      ++w.done;
      const int64_t horizon = sat_sub(t, T);
      while (k.held[w.head].t < horizon) ++w.head;
    }
    return w;
  }
  void settle(LazyKey* k, int64_t now) {
    const Walked w = walk(*k, now);
    k->head = w.head;
    k->done = w.done;
    k->last = w.last;
    k->expired = w.expired;
    if (k->head == k->held.size()) {
      k->held.clear();
      k->bytes.clear();
      k->head = k->done = 0;
    } else if (k->head >= 64 && 2 * k->head >= k->held.size()) {
      // The live captures' bytes into a fresh buffer (not a prefix cut: a capture that
      // arrived out of order sits before its bytes' neighbours).
      std::string fresh;
      for (std::size_t i = k->head; i < k->held.size(); ++i) {
        Held& h = k->held[i];
        const char* p = k->bytes.data() + h.off;
        const std::size_t len = packed_bytes(p, h.nstr);
        h.off = static_cast<uint32_t>(fresh.size());
        fresh.append(p, len);
      }
      k->bytes = std::move(fresh);
      k->held.erase(k->held.begin(), k->held.begin() + static_cast<std::ptrdiff_t>(k->head));
      k->done -= k->head;
      k->head = 0;
    }
  }
  bool expired_at(int64_t last, int64_t now) const {
    return last != kMinTime && ttl_ms_ > 0 && sat_add(last, ttl_ms_) < now;
  }
  // Settles every key; drops what the table would have expired, and keys left with nothing;
  // max_held_ becomes the most captures any key holds.
  void sweep(int64_t now) {
    max_held_ = 0;
    for (auto it = lazy_.begin(); it != lazy_.end();) {
      LazyKey& k = it->second;
      settle(&k, now);
      if (expired_at(k.last, now)) {
        ++k.expired;
        k.last = kMinTime;
        k.head = k.done;
        settle(&k, now);
      }
      if (k.last == kMinTime && k.held.empty()) {
        lazy_expired_ += k.expired;
        it = lazy_.erase(it);
      } else {
        max_held_ = std::max<uint64_t>(max_held_, k.held.size() - k.head);
        ++it;
      }
    }
  }

  // A capture as it arrived: its strings (id, key, snapshot) in log_bytes_, as the queue
  // lays them out.
  struct Logged {
    int64_t t;
    uint64_t hash;  // of the key
    uint32_t off;
    uint32_t nstr;
    double severity;
  };
  static constexpr std::size_t kMaxLogged = std::size_t{1} << 10;

  std::string_view logged_str(const Logged& l, std::size_t i) const {
    return packed_string(log_bytes_.data() + l.off, l.nstr, i);
  }

  bool defer(int64_t t, double severity, const std::vector<std::string_view>& strs) override {
    if (!deferred_) return false;
    const int64_t now = frontier();
    if (t < now || finished_deferred_) {
      undefer();  // late-accepted: the queue processes it at once, out of (time, id) order
      return false;
    }
    const uint64_t n = std::max<uint64_t>(spec_.threshold, 1);
    const uint64_t cap = std::max<uint64_t>(spec_.max_keys, 1);
    if (bulk_) {
      if (!bulk_fits(n, cap)) {
        bulk_process(now);
        bulk_gc(now);
        if (!bulk_fits(n, cap)) to_lazy(now);
      } else if (log_.size() >= 2 * log_kept_ + kMaxLogged) {
        bulk_process(now);
        if (stored_.size() >= 2 * stored_kept_ + kMaxLogged ||
            sums_.size() >= 2 * sums_kept_ + kMaxLogged) {
          bulk_gc(now);
        }
      }
      if (bulk_) {
        log_append(t, severity, strs);
        return true;
      }
    }
    if (max_held_ + log_.size() + 1 >= n || lazy_.size() + log_.size() + 1 > cap ||
        log_.size() >= kMaxLogged) {
      flush(now);
      // A key could complete a window, or the table could reach its cap (evictions follow the
      // queue's order).
      if (max_held_ + 1 >= n || lazy_.size() + 1 > cap) {
        undefer();
        return false;
      }
    }
    log_append(t, severity, strs);
    return true;
  }

  // Appends a capture to the log (its strings packed into log_bytes_, which bulk_process()
  // compacts in place: in the steady state the same pages are written again).
  void log_append(int64_t t, double severity, const std::vector<std::string_view>& strs) {
    const std::size_t off = log_bytes_.size();
    pack_strings(strs, log_bytes_.grow(packed_size(strs)));
    log_.push_back(Logged{t, hash_text(strs[1]), static_cast<uint32_t>(off),
                          static_cast<uint32_t>(strs.size()), severity});
  }

  // ---- Bulk form ----
  //
  // While no key could hold N - 1 captures even if every capture held by the operator were its
  // own (the captures kept for windows plus the log, plus one), and the keys plus the log could
  // not reach max_keys, the keys need no windows of their own: what a key leaves in the queued
  // state is a function of its captures' times, and of its window's ids only when the operator
  // undefers. So the log is processed in time order (the captures before the frontier: the
  // log only holds captures at or after the frontier when they arrived, so these come after
  // every capture processed before) into a summary per key — the last use, the start of its
  // window (the first capture after a gap longer than T or the TTL) — and a time-ordered store
  // of the processed captures' (time, key, id). A key's window is then exactly its stored
  // captures at or after max(last - T, start), and it expired when the TTL passed since its
  // last use. to_lazy() builds the per-key form from it when a bound fails or on undefer().
  struct KeySum {
    uint64_t hash;
    uint32_t off;  // the key's text in sum_text_
    uint32_t len;
    int64_t last;   // the last processed capture's time; kMinTime: not in the table
    int64_t start;  // the window's first capture time (a new key, an expiry, a new episode)
  };
  struct Stored {
    int64_t t;
    uint32_t key;  // in sums_
    uint32_t off;  // the id in stored_ids_
    uint32_t len;
  };

  bool bulk_fits(uint64_t n, uint64_t cap) const {
    return stored_.size() + log_.size() + 1 < n && sums_.size() + log_.size() + 1 <= cap;
  }
  std::string_view sum_key(const KeySum& k) const { return sum_text_.view(k.off, k.len); }
  void sum_reindex(std::size_t slots) {
    sum_index_.reset(slots);
    for (std::size_t i = 0; i < sums_.size(); ++i) {
      sum_index_.insert(sums_[i].hash) =
          EntrySlot{static_cast<uint32_t>(i + 1), static_cast<uint32_t>(sums_[i].hash)};
    }
  }
  uint32_t sum_find_or_add(uint64_t hash, std::string_view key) {
    const auto lo = static_cast<uint32_t>(hash);
    const std::size_t pos = sum_index_.probe(hash, [&](const EntrySlot& s) {
      if (s.hash_lo != lo) return false;
      const KeySum& k = sums_[s.entry - 1];
      return k.hash == hash && k.len == key.size() &&
             std::memcmp(sum_text_.data() + k.off, key.data(), key.size()) == 0;
    });
    if (sum_index_.found(pos)) return sum_index_.slot(pos).entry - 1;
    sums_.push_back(KeySum{hash, static_cast<uint32_t>(sum_text_.size()),
                           static_cast<uint32_t>(key.size()), kMinTime, kMinTime});
    sum_text_.append(key);
    sum_index_.take(pos, hash) = EntrySlot{static_cast<uint32_t>(sums_.size()), lo};
    return static_cast<uint32_t>(sums_.size() - 1);
  }

  // Processes the logged captures before `limit` in time order (as walk() would, key by key);
  // the rest stay in the log, in arrival order.
  void bulk_process(int64_t limit) {
    order_.clear();
    for (std::size_t i = 0; i < log_.size(); ++i) {
      if (log_[i].t < limit)
        order_.push_back(Order{log_[i].hash, log_[i].t, static_cast<uint32_t>(i)});
    }
    if (order_.empty()) {
      log_kept_ = log_.size();
      return;
    }
    sort_by_time();
    const int64_t T = spec_.window_ms;
    for (const Order& o : order_) {
      const Logged& l = log_[o.index];
      const uint32_t ki = sum_find_or_add(l.hash, logged_str(l, 1));
      KeySum& k = sums_[ki];
      if (k.last != kMinTime && ttl_ms_ > 0 && sat_add(k.last, ttl_ms_) < l.t) {
        ++bulk_expired_;  // idle past the TTL before this capture: a new key
        k.last = kMinTime;
      }
      if (k.last == kMinTime || (l.t > k.last && l.t - k.last > T)) k.start = l.t;
      if (l.t > k.last) k.last = l.t;
      const std::string_view id = logged_str(l, 0);
      stored_.push_back(Stored{l.t, ki, static_cast<uint32_t>(stored_ids_.size()),
                               static_cast<uint32_t>(id.size())});
      stored_ids_.append(id);
    }
    // The captures still ahead, moved to the front of the log in place (their bytes lie in
    // log order, so each moves towards the start over bytes already read).
    std::size_t used = 0;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < log_.size(); ++i) {
      Logged l = log_[i];
      if (l.t < limit) continue;
      char* p = log_bytes_.data() + l.off;
      const std::size_t len = packed_bytes(p, l.nstr);
      if (l.off != used) std::memmove(log_bytes_.data() + used, p, len);
      l.off = static_cast<uint32_t>(used);
      used += len;
      log_[kept++] = l;
    }
    log_.resize(kept);
    log_bytes_.truncate(used);
    log_kept_ = kept;
  }

  // order_ in time order. Only each key's captures need it (what a key's summary and stored
  // captures become depends on their times alone; the order among keys, or between equal
  // times, shows in nothing kept), so a stable radix sort of the times less the smallest, 11
  // bits a pass, does; std::sort for short logs and spans over 44 bits.
  void sort_by_time() {
    int64_t lo = kMaxTime;
    int64_t hi = kMinTime;
    for (const Order& o : order_) {
      lo = std::min(lo, o.t);
      hi = std::max(hi, o.t);
    }
    const int bits = std::bit_width(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo));
    if (order_.size() < 256 || bits > 44) {
      std::sort(order_.begin(), order_.end(), [](const Order& a, const Order& b) {
        return a.t != b.t ? a.t < b.t : a.hash < b.hash;
      });
      return;
    }
    constexpr int kDigit = 11;
    radix_tmp_.resize(order_.size());
    for (int shift = 0; shift < bits; shift += kDigit) {
      auto digit = [&](const Order& o) {
        return ((static_cast<uint64_t>(o.t) - static_cast<uint64_t>(lo)) >> shift) &
               ((uint64_t{1} << kDigit) - 1);
      };
      radix_count_.assign(std::size_t{1} << kDigit, 0);
      for (const Order& o : order_) ++radix_count_[digit(o)];
      uint32_t start = 0;
      for (uint32_t& c : radix_count_) start += std::exchange(c, start);
      for (const Order& o : order_) radix_tmp_[radix_count_[digit(o)]++] = o;
      order_.swap(radix_tmp_);
    }
  }

  // Everything before `now` processed: keys idle past the TTL at `now` expire, and the stored
  // captures outside every window are dropped (and keys left with none).
  // Compacts in place (the kept keys' texts and the kept ids lie in the order of their
  // entries, so each moves towards the start): the buffers keep their pages for what follows.
  void bulk_gc(int64_t now) {
    const int64_t T = spec_.window_ms;
    gc_remap_.assign(sums_.size(), 0);
    gc_from_.assign(sums_.size(), kMaxTime);  // a key's window: captures at or after
    std::size_t nsums = 0;
    std::size_t text = 0;
    for (std::size_t i = 0; i < sums_.size(); ++i) {
      KeySum k = sums_[i];
      if (expired_at(k.last, now)) {
        ++bulk_expired_;
        k.last = kMinTime;
      }
      if (k.last == kMinTime) continue;  // no window: none of its captures is kept
      gc_remap_[i] = static_cast<uint32_t>(nsums);
      gc_from_[i] = std::max(sat_sub(k.last, T), k.start);
      if (k.off != text) std::memmove(sum_text_.data() + text, sum_text_.data() + k.off, k.len);
      k.off = static_cast<uint32_t>(text);
      text += k.len;
      sums_[nsums++] = k;
    }
    std::size_t nstored = 0;
    std::size_t ids = 0;
    for (std::size_t i = 0; i < stored_.size(); ++i) {
      Stored e = stored_[i];
      if (e.t < gc_from_[e.key]) continue;
      e.key = gc_remap_[e.key];
      if (e.off != ids) std::memmove(stored_ids_.data() + ids, stored_ids_.data() + e.off, e.len);
      e.off = static_cast<uint32_t>(ids);
      ids += e.len;
      stored_[nstored++] = e;
    }
    sums_.resize(nsums);
    sum_text_.truncate(text);
    stored_.resize(nstored);
    stored_ids_.truncate(ids);
    sum_reindex(std::max<std::size_t>(64, std::bit_ceil(2 * sums_.size() + 2)));
    stored_kept_ = stored_.size();
    sums_kept_ = sums_.size();
  }

  // The per-key form of what the bulk form holds: each live key with its window (the ids of
  // its stored captures, in (time, id) order), then the log handed to the keys (flush()).
  void to_lazy(int64_t now) {
    bulk_process(now);
    bulk_gc(now);
    std::vector<uint32_t> idx(stored_.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<uint32_t>(i);
    auto id_of = [&](const Stored& e) { return stored_ids_.view(e.off, e.len); };
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) {
      const Stored& x = stored_[a];
      const Stored& y = stored_[b];
      if (x.key != y.key) return x.key < y.key;
      if (x.t != y.t) return x.t < y.t;
      return id_of(x) < id_of(y);
    });
    LazyKey* k = nullptr;
    uint32_t current = 0;
    for (uint32_t i : idx) {
      const Stored& e = stored_[i];
      if (k == nullptr || e.key != current) {
        current = e.key;
        const KeySum& sum = sums_[e.key];
        k = &lazy_.try_emplace(std::string(sum_key(sum))).first->second;
        k->last = sum.last;
      }
      const auto off = static_cast<uint32_t>(k->bytes.size());
      const std::string_view id = id_of(e);
      const auto end = static_cast<uint32_t>(id.size());
      k->bytes.append(reinterpret_cast<const char*>(&end), 4);
      k->bytes.append(id);
      k->held.push_back(Held{e.t, off, 1, -1});
      k->done = k->held.size();
    }
    lazy_expired_ += bulk_expired_;
    bulk_expired_ = 0;
    sums_.clear();
    sum_text_.clear();
    sum_index_.reset();
    stored_.clear();
    stored_ids_.clear();
    bulk_ = false;
    flush(now);
  }

  // Hands the log to the keys and settles every key at `now`.
  void flush(int64_t now) {
    if (!log_.empty()) {
      // Grouped by key and roughly in time order, for locality only: hold() finds each
      // capture's key and place whatever the order (keys with the same hash interleave).
      order_.resize(log_.size());
      for (std::size_t i = 0; i < log_.size(); ++i) {
        order_[i] = Order{log_[i].hash, log_[i].t, static_cast<uint32_t>(i)};
      }
      std::sort(order_.begin(), order_.end(), [](const Order& a, const Order& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.t < b.t;
      });
      LazyKey* k = nullptr;
      std::string_view key;
      for (const Order& o : order_) {
        const Logged& l = log_[o.index];
        if (k == nullptr || logged_str(l, 1) != key) {
          key = logged_str(l, 1);
          auto it = lazy_.find(key);
          if (it == lazy_.end()) it = lazy_.try_emplace(std::string(key)).first;
          k = &it->second;
        }
        hold(k, l);
      }
      log_.clear();
      log_bytes_.clear();
    }
    sweep(now);
  }

  // Appends a logged capture to its key, in (time, id) order among the key's queued ones.
  void hold(LazyKey* k, const Logged& l) {
    const auto off = static_cast<uint32_t>(k->bytes.size());
    const std::size_t nstr = l.nstr - 1;  // all but the key
    std::size_t total = 4 * nstr;
    for (std::size_t i = 0; i < l.nstr; ++i) {
      if (i != 1) total += logged_str(l, i).size();
    }
    k->bytes.resize(off + total);
    char* ends = k->bytes.data() + off;
    char* bytes = ends + 4 * nstr;
    uint32_t end = 0;
    for (std::size_t i = 0; i < l.nstr; ++i) {
      if (i == 1) continue;
      const std::string_view v = logged_str(l, i);
      if (!v.empty()) std::memcpy(bytes + end, v.data(), v.size());
      end += static_cast<uint32_t>(v.size());
      std::memcpy(ends, &end, 4);
      ends += 4;
    }
    const Held h{l.t, off, static_cast<uint32_t>(nstr), l.severity};
    // Logged captures come after every processed one (they were at or after the frontier when
    // they arrived, and the key was settled at an earlier one); the common case appends.
    auto before = [&](const Held& a, const Held& b) {
      return a.t != b.t ? a.t < b.t : held_str(*k, a, 0) < held_str(*k, b, 0);
    };
    if (k->held.size() == k->done || !before(h, k->held.back())) {
      k->held.push_back(h);
    } else {
      auto pos = std::upper_bound(k->held.begin() + static_cast<std::ptrdiff_t>(k->done),
                                  k->held.end(), h, before);
      k->held.insert(pos, h);
    }
  }

  // What the final drain would do: process every held capture in (time, id) order per key (no
  // key can reach N: the bounds defer() keeps), the frontier at the last one's time.
  bool finish_deferred() override {
    if (!deferred_) return false;
    if (bulk_) {
      int64_t last = frontier();
      for (const Logged& l : log_) last = std::max(last, l.t);
      bulk_process(kMaxTime);
      set_frontier(last);
      finished_deferred_ = true;
      return true;
    }
    flush(frontier());
    int64_t last = frontier();
    for (auto& [key, k] : lazy_) {
      if (!k.held.empty()) last = std::max(last, k.held.back().t);
      settle(&k, kMaxTime);
    }
    set_frontier(last);
    finished_deferred_ = true;
    return true;
  }

  void undefer() override {
    if (!deferred_) return;
    const int64_t now = frontier();
    if (bulk_) to_lazy(now);
    flush(now);
    deferred_ = false;
    struct Live {
      int64_t t;
      std::string_view id;
      const std::string* key;
      const LazyKey* k;
    };
    std::vector<Live> live;
    uint64_t expired = lazy_expired_;
    for (auto& [key, k] : lazy_) {
      settle(&k, now);
      expired += k.expired;
      if (k.last == kMinTime) continue;
      if (expired_at(k.last, now)) {
        ++expired;
        continue;
      }
      live.push_back({k.last, held_str(k, k.held[k.done - 1], 0), &key, &k});
    }
    // Least recently used first: the order the queue would have used them in.
    std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) {
      if (a.t != b.t) return a.t < b.t;
      if (a.id != b.id) return a.id < b.id;
      return *a.key < *b.key;
    });
    for (const Live& l : live) {
      KeyState& st = keys_.use(*l.key, l.t);
      for (std::size_t i = l.k->head; i < l.k->done; ++i) {
        const std::string_view id = held_str(*l.k, l.k->held[i], 0);
        st.window.push_back(Entry{l.k->held[i].t, static_cast<uint32_t>(st.ids.size()),
                                  static_cast<uint32_t>(id.size())});
        st.ids.append(id);
      }
      st.last = l.t;
    }
    stats_.evictions += expired;
    std::vector<std::string_view> strs;
    for (const auto& [key, k] : lazy_) {
      for (std::size_t i = k.done; i < k.held.size(); ++i) {
        const Held& h = k.held[i];
        strs.clear();
        strs.push_back(held_str(k, h, 0));
        strs.push_back(key);
        for (std::size_t j = 1; j < h.nstr; ++j) strs.push_back(held_str(k, h, j));
        enqueue(h.t, 0, 0, h.severity, strs, 0);
      }
    }
    lazy_.clear();
    lazy_expired_ = 0;
  }

  void deferred_stats(StateStats* s) const override {
    if (!deferred_) return;
    const int64_t now = frontier();
    if (bulk_) {
      // What the queue has processed by now, as in flush() below.
      const_cast<ThresholdOperator*>(this)->bulk_process(now);
      s->evictions += bulk_expired_;
      for (const KeySum& k : sums_) {
        if (k.last == kMinTime) continue;
        if (expired_at(k.last, now)) {
          ++s->evictions;
        } else {
          ++s->keys;
        }
      }
      return;
    }
    // The log handed to the keys first: nothing the queue would do differently (the bounds
    // defer() keeps hold), only earlier.
    const_cast<ThresholdOperator*>(this)->flush(now);
    s->evictions += lazy_expired_;
    for (const auto& [key, k] : lazy_) {
      const Walked w = walk(k, now);
      s->evictions += w.expired;
      if (w.last == kMinTime) continue;
      if (expired_at(w.last, now)) {
        ++s->evictions;
      } else {
        ++s->keys;
      }
    }
  }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      w.u64(st.window.size());
      for (const Entry& e : st.window) {
        w.i64(e.t);
        w.str(st.id(e));
      }
      w.boolean(st.fired);
      w.i64(st.last);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [](SnapshotReader& r, std::string_view, KeyState& st) {
      const uint64_t n = r.count();
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        const int64_t t = r.i64();
        const std::string id = r.str();
        st.window.push_back(
            Entry{t, static_cast<uint32_t>(st.ids.size()), static_cast<uint32_t>(id.size())});
        st.ids.append(id);
      }
      st.fired = r.boolean();
      st.last = r.i64();
    });
  }

  KeyTable<KeyState> keys_;
  int64_t ttl_ms_;
  bool deferred_;
  std::unordered_map<std::string, LazyKey, StringHash, StringEq> lazy_;
  uint64_t lazy_expired_ = 0;       // TTL expiries of keys dropped from lazy_
  uint64_t max_held_ = 0;           // the most captures a key held at the last flush
  bool finished_deferred_ = false;  // finish_deferred() ran: every held capture is processed
  std::vector<Logged> log_;         // captures not yet handed to their keys, as they arrived
  WindowOpsBytes log_bytes_;        // their strings
  // The bulk form (while bulk_): key summaries with a hash index, the processed captures.
  bool bulk_ = true;
  std::vector<KeySum> sums_;
  WindowOpsBytes sum_text_;
  EntryIndex<64> sum_index_;  // key i of sums_ at EntrySlot{i + 1, its hash}
  std::vector<Stored> stored_;
  WindowOpsBytes stored_ids_;
  uint64_t bulk_expired_ = 0;    // TTL expiries counted by the bulk form
  std::size_t log_kept_ = 0;     // log entries left by the last bulk_process()
  std::size_t stored_kept_ = 0;  // stored captures left by the last bulk_gc()
  std::size_t sums_kept_ = 0;    // keys left by the last bulk_gc()
  struct Order {
    uint64_t hash;
    int64_t t;
    uint32_t index;
  };
  std::vector<Order> order_;           // flush()'s sort
  std::vector<Order> radix_tmp_;       // sort_by_time(): the other buffer
  std::vector<uint32_t> radix_count_;  // sort_by_time(): a digit's counts, then starts
  std::vector<uint32_t> gc_remap_;     // bulk_gc(): a key's new index
  std::vector<int64_t> gc_from_;       // bulk_gc(): the start of a key's window
};

class DistinctOperator final : public OperatorBase {
 public:
  explicit DistinctOperator(const Rule& rule)
      : OperatorBase(rule, rule.stateful.window_ms),
        keys_(rule.stateful.max_keys, ttl_or(rule.stateful, 2 * rule.stateful.window_ms), &stats_) {
  }

 private:
  struct ValueState {
    int64_t first = 0;   // first time in the current window
    int64_t latest = 0;  // latest time: the value leaves the window T after it
    std::string first_id;
  };
  struct KeyState {
    std::unordered_map<std::string, ValueState, StringHash, StringEq> values;
    std::set<std::pair<int64_t, std::string>> by_latest;
    bool fired = false;
    int64_t last = kMinTime;
    int64_t episode_first = 0;
    uint64_t episode_count = 0;
  };

  bool extract(const EventView& ev, Extracted* x) override {
    std::string& v = x->add_value();
    spec_.distinct_field.eval_text(ev, &v, &scratch_);
    return !v.empty();  // nothing to count without a value
  }

  void process(const Capture& it, StateSink& sink) override {
    KeyState& st = keys_.use(it.key, it.t);
    const int64_t T = spec_.window_ms;
    if (st.last == kMinTime || (it.t > st.last && it.t - st.last > T)) {
      st.fired = false;
      st.values.clear();
      st.by_latest.clear();
      st.episode_first = it.t;
      st.episode_count = 0;
    }
    if (it.t > st.last) st.last = it.t;
    if (it.t < st.episode_first) st.episode_first = it.t;
    ++st.episode_count;
    if (st.fired) return;
    const std::string_view value = it.value(0);
    auto vit = st.values.find(value);
    if (vit == st.values.end()) {
      ValueState& vs = st.values[std::string(value)];
      vs.first = it.t;
      vs.latest = it.t;
      vs.first_id = std::string(it.id);
      st.by_latest.emplace(it.t, value);
    } else {
      ValueState& vs = vit->second;
      if (it.t < vs.first || (it.t == vs.first && it.id < vs.first_id)) {
        vs.first = it.t;
        vs.first_id = std::string(it.id);
      }
      if (it.t > vs.latest) {
        st.by_latest.erase({vs.latest, vit->first});
        vs.latest = it.t;
        st.by_latest.emplace(vs.latest, vit->first);
      }
    }
    const int64_t horizon = sat_sub(st.last, T);
    while (!st.by_latest.empty() && st.by_latest.begin()->first < horizon) {
      st.values.erase(st.by_latest.begin()->second);
      st.by_latest.erase(st.by_latest.begin());
    }
    const uint64_t n = std::max<uint64_t>(spec_.threshold, 1);
    if (st.values.size() < n) return;

    // Values in the order they first appeared (ties by value) for the sample and evidence.
    std::vector<std::pair<const std::string*, const ValueState*>> order;
    order.reserve(st.values.size());
    for (const auto& [k, v] : st.values) order.emplace_back(&k, &v);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.second->first != b.second->first) return a.second->first < b.second->first;
      return *a.first < *b.first;
    });
    StateHit hit;
    hit.group_key = std::string(it.key);
    hit.count = st.episode_count;
    hit.first_seen_ms = order.front().second->first;
    hit.last_seen_ms = st.last;
    std::string sample;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i < kWindowMaxEvidence) hit.evidence.push_back(order[i].second->first_id);
      if (i < kMaxValuesSample) {
        if (i > 0) sample += ',';
        sample += *order[i].first;
      }
    }
    hit.evidence_total = order.size();
    hit.vars = {{"distinct", std::to_string(order.size())},
                {"count", std::to_string(st.episode_count)},
                {"values", sample},
                {"window", format_duration(T)},
                {"threshold", std::to_string(n)}};
    st.fired = true;
    st.values.clear();
    st.by_latest.clear();
    emit(&hit, Sample::of(it), sink);
  }

  void on_time(int64_t now, StateSink&) override { keys_.expire(now); }
  uint64_t live_keys() const override { return keys_.size(); }

  void save_keys(SnapshotWriter& w) const override {
    keys_.save(w, [](SnapshotWriter& w, const KeyState& st) {
      // Values in a canonical order (by value): the map's own order is not part of the state.
      std::vector<const std::pair<const std::string, ValueState>*> vals;
      vals.reserve(st.values.size());
      for (const auto& kv : st.values) vals.push_back(&kv);
      std::sort(vals.begin(), vals.end(), [](auto* a, auto* b) { return a->first < b->first; });
      w.u64(vals.size());
      for (const auto* kv : vals) {
        w.str(kv->first);
        w.i64(kv->second.first);
        w.i64(kv->second.latest);
        w.str(kv->second.first_id);
      }
      w.boolean(st.fired);
      w.i64(st.last);
      w.i64(st.episode_first);
      w.u64(st.episode_count);
    });
  }
  void restore_keys(SnapshotReader& r) override {
    keys_.restore(r, [](SnapshotReader& r, std::string_view, KeyState& st) {
      const uint64_t n = r.count();
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        std::string v = r.str();
        ValueState vs;
        vs.first = r.i64();
        vs.latest = r.i64();
        vs.first_id = r.str();
        st.by_latest.emplace(vs.latest, v);
        st.values.emplace(std::move(v), std::move(vs));
      }
      st.fired = r.boolean();
      st.last = r.i64();
      st.episode_first = r.i64();
      st.episode_count = r.u64();
    });
  }

  KeyTable<KeyState> keys_;
};

}  // namespace

std::unique_ptr<StatefulOperator> make_threshold(const Rule& rule, bool deferred) {
  return std::make_unique<ThresholdOperator>(rule, deferred);
}

std::unique_ptr<StatefulOperator> make_distinct(const Rule& rule) {
  return std::make_unique<DistinctOperator>(rule);
}

}  // namespace sentinel::detect::state
