#include "cli/stats.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

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

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
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

GroupBy::Group* GroupBy::find_or_add(std::string_view key) {
  if (last_ != SIZE_MAX && key == key_of(slots_[last_])) return &slots_[last_].g;
  if (slots_.empty()) slots_.resize(1024);
  uint64_t h = std::hash<std::string_view>{}(key) | 1;
  std::size_t mask = slots_.size() - 1;
  std::size_t i = h & mask;
  while (slots_[i].hash != 0) {
    if (slots_[i].hash == h && key == key_of(slots_[i])) {
      last_ = i;
      return &slots_[i].g;
    }
    i = (i + 1) & mask;
  }
  if (size() >= max_groups_) return &overflow_;
  if ((size_ + 1) * 2 > slots_.size()) {
    grow();
    mask = slots_.size() - 1;
    i = h & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
  }
  Slot& s = slots_[i];
  s.hash = h;
  s.off = arena_.size();
  s.len = key.size();
  arena_.append(key);
  ++size_;
  last_ = i;
  return &s.g;
}

void GroupBy::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.hash == 0) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
  last_ = SIZE_MAX;
}

GroupBy::Group* GroupBy::find_or_add_v4(uint32_t ip) {
  if (v4_.empty()) {
    v4_.resize(1024);
    v4_mask_ = v4_.size() - 1;
  }
  uint64_t h = hash_v4(ip);
  std::size_t i = h & v4_mask_;
  while (v4_[i].used != 0) {
    if (v4_[i].ip == ip) return &v4_[i].g;
    i = (i + 1) & v4_mask_;
  }
  if (size() >= max_groups_) return &overflow_;
  if ((v4_size_ + 1) * 2 > v4_.size()) {
    grow_v4();
    i = h & v4_mask_;
    while (v4_[i].used != 0) i = (i + 1) & v4_mask_;
  }
  V4Slot& s = v4_[i];
  s.ip = ip;
  s.used = 1;
  ++v4_size_;
  return &s.g;
}

void GroupBy::grow_v4() {
  std::vector<V4Slot> old(v4_.size() * 2);
  old.swap(v4_);
  v4_mask_ = v4_.size() - 1;
  for (const V4Slot& s : old) {
    if (s.used == 0) continue;
    std::size_t i = hash_v4(s.ip) & v4_mask_;
    while (v4_[i].used != 0) i = (i + 1) & v4_mask_;
    v4_[i] = s;
  }
}

std::size_t GroupBy::find_v4(uint32_t ip) const {
  if (v4_.empty()) return SIZE_MAX;
  std::size_t i = hash_v4(ip) & v4_mask_;
  while (v4_[i].used != 0) {
    if (v4_[i].ip == ip) return i;
    i = (i + 1) & v4_mask_;
  }
  return SIZE_MAX;
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

void append_v4(std::string* out, uint32_t ip) {
  char buf[16];
  char* p = buf;
  for (int shift = 24; shift >= 0; shift -= 8) {
    unsigned o = (ip >> shift) & 0xFF;
    if (o >= 100) *p++ = static_cast<char>('0' + o / 100);
    if (o >= 10) *p++ = static_cast<char>('0' + o / 10 % 10);
    *p++ = static_cast<char>('0' + o % 10);
    if (shift > 0) *p++ = '.';
  }
  out->append(buf, p);
}

}  // namespace

void GroupBy::merge(GroupBy& o) {
  flush();
  o.flush();
  events_ += o.events_;
  auto add_to = [](Group* g, const Group& x) {
    g->count += x.count;
    g->sum += x.sum;
    g->summed += x.summed;
  };
  for (const Slot& s : o.slots_)
    if (s.hash != 0) add_to(find_or_add(o.key_of(s)), s.g);
  for (const V4Slot& s : o.v4_)
    if (s.used != 0) add_to(find_or_add_v4(s.ip), s.g);
  add_to(&overflow_, o.overflow_);
}

std::vector<GroupBy::Row> GroupBy::sorted(bool by_sum, std::size_t top, RowScratch* scratch) const {
  std::string* texts = &scratch->texts;
  std::vector<Group>& merged = scratch->merged;
  merged.clear();
  std::vector<Row> v;
  v.reserve(size());
  for (const Slot& s : slots_)
    if (s.hash != 0) v.push_back(Row{s.g.sum, s.g.count, key_of(s), &s.g, false});
  // IPv4 groups: their dotted quads in one buffer, sized first so the views stay put. A text
  // group whose key is the dotted quad of an IPv4 group (a non-flow event whose field held the
  // address as text) is folded into that row, which then points into scratch->merged.
  if (v4_size_ > 0) {
    std::unordered_map<std::size_t, const Group*> extra;  // v4 slot -> text group (rare)
    if (!v.empty()) {
      std::vector<Row> kept;
      kept.reserve(v.size());
      std::string canon;
      for (const Row& row : v) {
        std::string_view key = row.key;
        IpAddr ip;
        std::size_t at = SIZE_MAX;
        if (key.size() <= 15 && IpAddr::parse(key, &ip) && ip.v4) {
          canon.clear();
          append_v4(&canon, ip.v4_value());
          if (canon == key) at = find_v4(ip.v4_value());
        }
        if (at == SIZE_MAX)
          kept.push_back(row);
        else
          extra.emplace(at, row.g);
      }
      v.swap(kept);
    }
    merged.reserve(extra.size());
    texts->clear();
    texts->reserve(v4_size_ * 15);
    for (std::size_t k = 0; k < v4_.size(); ++k) {
      const V4Slot& s = v4_[k];
      if (s.used == 0) continue;
      std::size_t off = texts->size();
      append_v4(texts, s.ip);
      const Group* g = &s.g;
      if (!extra.empty()) {
        auto it = extra.find(k);
        if (it != extra.end()) {
          merged.push_back(s.g);
          merged.back().count += it->second->count;
          merged.back().sum += it->second->sum;
          merged.back().summed += it->second->summed;
          g = &merged.back();
        }
      }
      // No reallocation: a dotted quad is at most 15 bytes and that much was reserved.
      v.push_back(Row{g->sum, g->count, std::string_view(texts->data() + off, texts->size() - off),
                      g, true});
    }
  }
  auto less = [by_sum](const Row& a, const Row& b) {
    if (by_sum && a.sum != b.sum) return a.sum > b.sum;
    if (a.count != b.count) return a.count > b.count;
    return a.key < b.key;
  };
  if (top != 0 && top < v.size()) {
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(top), v.end(), less);
    v.resize(top);
  } else {
    std::sort(v.begin(), v.end(), less);
  }
  return v;
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

}  // namespace

void GroupBy::write(std::FILE* out, bool json, std::string_view by, std::string_view sum,
                    std::size_t top, uint64_t rejects, double seconds, std::string* into) const {
  bool with_sum = !sum.empty();
  RowScratch scratch;
  auto rows = sorted(with_sum, top, &scratch);
  std::string s;
  auto piece = [&](bool last) {
    if (into != nullptr) {
      into->append(s);
      s.clear();
    } else if (last || s.size() >= kOutChunk) {
      std::fwrite(s.data(), 1, s.size(), out);
      s.clear();
    }
  };
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
    auto group = [&](const Group& g) {
      w.field("count", g.count);
      if (with_sum) {
        w.key("sum");
        if (g.sum == static_cast<double>(static_cast<int64_t>(g.sum)) && g.sum < 9.0e15 &&
            g.sum > -9.0e15)
          w.number(static_cast<int64_t>(g.sum));
        else
          w.number(g.sum);
        w.field("summed", g.summed);
      }
    };
    // Rows by hand (the same JSON as the writer's): a million of them is most of the output.
    char num[32];
    auto append_u64 = [&](uint64_t x) {
      auto r = std::to_chars(num, num + sizeof num, x);
      s.append(num, r.ptr);
    };
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const Row& row = rows[k];
      s += k == 0 ? "{\"key\":\"" : ",{\"key\":\"";
      if (row.plain)
        s.append(row.key);
      else
        append_json_escaped(&s, row.key);
      s += "\",\"count\":";
      append_u64(row.g->count);
      if (with_sum) {
        s += ",\"sum\":";
        double x = row.g->sum;
        if (x == static_cast<double>(static_cast<int64_t>(x)) && x < 9.0e15 && x > -9.0e15) {
          auto r = std::to_chars(num, num + sizeof num, static_cast<int64_t>(x));
          s.append(num, r.ptr);
        } else {
          JsonWriter(&s).number(x);
        }
        s += ",\"summed\":";
        append_u64(row.g->summed);
      }
      s += '}';
      piece(false);
    }
    w.end_array();
    w.key("overflow");
    if (overflow_.count == 0) {
      w.null();
    } else {
      w.begin_object();
      group(overflow_);
      w.end_object();
    }
    w.end_object();
    s += "\n";
    piece(true);
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
  auto line = [&](std::string_view key, const Group& g) {
    std::snprintf(buf, sizeof buf, "%14s  ", with_commas(g.count).c_str());
    s += buf;
    if (with_sum) {
      std::snprintf(buf, sizeof buf, "%18s  ", format_sum(g.sum).c_str());
      s += buf;
    }
    append_terminal_safe(&s, key);
    s += "\n";
    piece(false);
  };
  for (const Row& r : rows) line(r.key.empty() ? std::string_view("(none)") : r.key, *r.g);
  if (top != 0 && size() > top)
    s += "  (" + with_commas(size() - top) + " more groups; --top 0 shows all)\n";
  if (overflow_.count > 0) line("(other: past the group limit)", overflow_);
  piece(true);
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
