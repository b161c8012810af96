#include "store/investigate_timeline.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <simdjson.h>

#include "core/escape.h"
#include "core/ip.h"
#include "core/json_writer.h"
#include "core/probe_table.h"
#include "core/time.h"
#include "store/batch.h"
#include "store/flows_analytics.h"
#include "store/hash_mix.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

using ingest::FlowField;
using ingest::FlowRecord;

constexpr std::size_t kResourceEvents = 300;     // latest CloudTrail calls read for resources
constexpr std::size_t kDnsRows = 100'000;        // DNS queries aggregated at most
constexpr std::size_t kListed = kSummaryListed;  // values per summary line

bool is_upper_alnum(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

bool looks_like_access_key(std::string_view s) {
  return s.size() >= 16 && s.size() <= 128 &&
         (s.rfind("AKIA", 0) == 0 || s.rfind("ASIA", 0) == 0) && is_upper_alnum(s);
}

bool id_with_prefix(std::string_view s, std::string_view prefix) {
  if (s.rfind(prefix, 0) != 0 || s.size() <= prefix.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(prefix.size()), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
};

// Counts values (by text) and keeps errors beside them, in one core/probe_table.h table: each
// distinct value's bytes once in an arena, a slot of (hash, place, count, errors) per value. A
// value already counted costs a hash and one compare, no allocation; a busy address's ~120,000
// session access keys take a few MB in a handful of allocations, not a node and a string each.
class Counter {
 public:
  void add(std::string_view v, int64_t n = 1, int64_t errors = 0) {
    if (v.empty()) return;
    const uint64_t h = hash_bytes(v, 0);
    const std::size_t pos =
        slots_.probe(h, [&](const Slot& s) { return s.hash == h && text(s) == v; });
    if (slots_.found(pos)) {
      Slot& s = slots_.slot(pos);
      s.count += n;
      s.errors += errors;
      return;
    }
    slots_.take(pos, h) = Slot{h, arena_.size(), v.size(), n, errors};
    arena_.append(v);
  }
  bool empty() const { return slots_.empty(); }
  /// Most frequent first, ties by value (bytewise): the first `limit` (0: all) and the number
  /// of values. The order is decided on (count, first 8 bytes) where it can be, so a sort of
  /// ~100,000 access keys seldom reads their text.
  CountedList sorted(std::size_t limit) const {
    struct Entry {
      int64_t count;
      uint64_t head;  // the first 8 bytes, big-endian, zero-padded: orders as the text does
      const Slot* slot;
    };
    std::vector<Entry> order;
    order.reserve(slots_.size());
    slots_.each([&](const Slot& s) {
      unsigned char b[8] = {};
      std::memcpy(b, arena_.data() + s.off, std::min<std::size_t>(8, s.len));
      uint64_t head = 0;
      for (const unsigned char c : b) head = head << 8 | c;
      order.push_back(Entry{s.count, head, &s});
    });
    const auto before = [&](const Entry& a, const Entry& b) {
      if (a.count != b.count) return a.count > b.count;
      if (a.head != b.head) return a.head < b.head;
      return text(*a.slot) < text(*b.slot);
    };
    const std::size_t keep = limit == 0 ? order.size() : std::min(limit, order.size());
    if (keep == order.size()) {
      std::sort(order.begin(), order.end(), before);
    } else {
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep),
                        order.end(), before);
    }
    CountedList out;
    out.distinct = order.size();
    out.top.reserve(keep);
    for (std::size_t i = 0; i < keep; ++i) {
      const Slot& s = *order[i].slot;
      out.top.push_back(Counted{std::string(text(s)), s.count, s.errors});
    }
    return out;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::size_t off = 0;
    std::size_t len = 0;  // 0: the slot is free (empty values are not counted)
    int64_t count = 0, errors = 0;
  };
  struct SlotTraits {
    static bool empty(const Slot& s) { return s.len == 0; }
    static uint64_t hash(const Slot& s) { return s.hash; }
  };
  std::string_view text(const Slot& s) const {
    return std::string_view(arena_).substr(s.off, s.len);
  }
  ProbeTable<Slot, SlotTraits, 64> slots_;
  std::string arena_;
};

// Counts (and errors) per integer key in one core/probe_table.h table: a dictionary id (0, an
// absent value, is not counted: callers skip it) or a packed pair of ids. No node per key.
class IdCounter {
 public:
  void add(uint64_t key, bool error) {
    const uint64_t h = mix64(key);
    const std::size_t pos = slots_.probe(h, [key](const Slot& s) { return s.key == key; });
    if (slots_.found(pos)) {
      Slot& s = slots_.slot(pos);
      ++s.count;
      s.errors += error;
      return;
    }
    slots_.take(pos, h) = Slot{key, 1, error};
  }
  void add_id(int64_t id, bool error) {
    if (id != 0) add(static_cast<uint64_t>(id), error);
  }
  bool empty() const { return slots_.empty(); }
  /// fn(key, count, errors) for every key counted, in no particular order.
  template <typename Fn>
  void each(Fn&& fn) const {
    slots_.each([&](const Slot& s) { fn(s.key, s.count, s.errors); });
  }
  /// Adds each id's text to `c`.
  void into(Dictionary& d, Counter* c) const {
    each(
        [&](uint64_t id, int64_t n, int64_t e) { c->add(d.text(static_cast<int64_t>(id)), n, e); });
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t count = 0;  // 0: the slot is free
    int64_t errors = 0;
  };
  struct SlotTraits {
    static bool empty(const Slot& s) { return s.count == 0; }
    static uint64_t hash(const Slot& s) { return mix64(s.key); }
  };
  ProbeTable<Slot, SlotTraits, 64> slots_;
};

struct Gather {
  Investigation* inv;
  Store* st;
  std::unique_ptr<Dictionary> dict;
  Counter accounts, regions, apis, resources, source_ips, user_agents, principals, keys, domains;
  // CloudTrail rows counted; their ids are kept for a second pass (an instance's own calls, then
  // the calls naming it) to skip rows the first one counted.
  std::vector<int64_t> ct_ids;
  std::unordered_set<int64_t> ct_seen;
  bool ct_dedupe = false;
  IdCounter acc_ids, reg_ids, ip_ids, ua_ids, pr_ids, key_ids;
  // (source, name) ids, keyed by source << 32 | name (dictionary ids are far below 2^32).
  IdCounter api_ids;
  std::set<std::string> timeline_ids;
  std::vector<TimelineEntry> timeline;
  std::set<std::string> finding_ids;
  int64_t first = kNoUpperTime, last = kNoLowerTime;

  void seen(int64_t t) {
    first = std::min(first, t);
    last = std::max(last, t);
  }
  void entry(int64_t t, const char* type, std::string text, const std::string& id) {
    if (!timeline_ids.insert(std::string(type) + id).second) return;
    timeline.push_back(TimelineEntry{t, type, std::move(text), id});
  }
};

std::string short_source(const std::string& s) {
  const std::size_t dot = s.find(".amazonaws.com");
  return dot == std::string::npos ? s : s.substr(0, dot);
}

// Walks a JSON value and calls fn(key, text) for every string leaf (key: its member name, ""
// inside arrays of strings).
template <typename Fn>
void walk_strings(simdjson::dom::element e, std::string_view key, Fn&& fn, int depth = 0) {
  if (depth > 32) return;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj;
      if (e.get_object().get(obj) != simdjson::SUCCESS) return;
      for (auto field : obj) walk_strings(field.value, field.key, fn, depth + 1);
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr;
      if (e.get_array().get(arr) != simdjson::SUCCESS) return;
      for (auto item : arr) walk_strings(item, key, fn, depth + 1);
      break;
    }
    case simdjson::dom::element_type::STRING: {
      std::string_view v;
      if (e.get_string().get(v) == simdjson::SUCCESS) fn(key, v);
      break;
    }
    default:
      break;
  }
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

// Resource names in a CloudTrail record: resources[].ARN, and the request's values under keys
// that name things (...Id, ...Name, ...Arn, name).
void add_resources(Store& st, int64_t raw_ref, Counter* out) {
  std::string raw;
  if (!st.raw_record(raw_ref, &raw)) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(raw).get(doc) != simdjson::SUCCESS || !doc.is_object()) return;
  auto take = [&](std::string_view key, std::string_view v) {
    if (v.empty() || v.size() > 256) return;
    if (key == "roleSessionName" || key == "accessKeyId") return;
    if (key == "ARN" || key == "name" || ends_with(key, "Id") || ends_with(key, "Name") ||
        ends_with(key, "Arn") || ends_with(key, "ARN")) {
      out->add(v);
    }
  };
  simdjson::dom::element part;
  if (doc["requestParameters"].get(part) == simdjson::SUCCESS) walk_strings(part, "", take);
  if (doc["resources"].get(part) == simdjson::SUCCESS) walk_strings(part, "", take);
}

void gather_cloudtrail(Gather& g, const SearchFilter& f, std::size_t timeline_limit) {
  std::string err;
  if (!g.ct_ids.empty() && !g.ct_dedupe) {
    g.ct_seen.insert(g.ct_ids.begin(), g.ct_ids.end());
    g.ct_dedupe = true;
  }
  bool ok = for_each_cloudtrail_row(
      *g.st, f,
      [&](const CtIds& r) {
        if (g.ct_dedupe && !g.ct_seen.insert(r.id).second) return;
        g.ct_ids.push_back(r.id);
        g.seen(r.time);
        const bool e = r.error_code != 0;
        g.acc_ids.add_id(r.account, e);
        g.reg_ids.add_id(r.region, e);
        g.ip_ids.add_id(r.source_ip, e);
        g.ua_ids.add_id(r.user_agent, e);
        g.pr_ids.add_id(r.principal, e);
        g.key_ids.add_id(r.access_key, e);
        g.keys.add(r.access_key_text, 1, e);
        g.api_ids.add((static_cast<uint64_t>(r.source) << 32) | static_cast<uint32_t>(r.name), e);
      },
      &err);
  if (!ok) g.inv->notes.push_back("CloudTrail: " + err);
  SearchFilter tf = f;
  tf.types = kSearchCloudTrail;
  tf.limit = timeline_limit;
  auto r = run_search(*g.st, tf);
  if (!r) {
    g.inv->notes.push_back("CloudTrail: " + r.error().message);
    return;
  }
  std::size_t read = 0;
  for (const auto& h : r->hits) {
    std::string text = short_source(h.source) + ":" + h.action;
    if (!h.principal.empty()) text += " by " + h.principal;
    if (!h.source_ip.empty()) text += " from " + h.source_ip;
    if (!h.error.empty()) text += " [" + h.error + "]";
    g.entry(h.time_ms, "cloudtrail", text, h.id);
    if (h.raw_ref != 0 && read++ < kResourceEvents) add_resources(*g.st, h.raw_ref, &g.resources);
  }
}

struct IpHash {
  std::size_t operator()(const IpAddr& a) const {
    uint64_t x, y;
    std::memcpy(&x, a.bytes.data(), 8);
    std::memcpy(&y, a.bytes.data() + 8, 8);
    return std::hash<uint64_t>{}(x * 0x9e3779b97f4a7c15ULL ^ y ^ (a.v4 ? 1 : 0));
  }
};

struct PairKey {
  IpAddr src, dst;
  friend bool operator==(const PairKey& a, const PairKey& b) = default;
};
struct PairHash {
  std::size_t operator()(const PairKey& k) const { return IpHash{}(k.src) * 31 + IpHash{}(k.dst); }
};

struct PairStats {
  int64_t bytes = 0, flows = 0, rejects = 0;
  std::vector<uint32_t> ports;  // service_port_code values, up to 8
};

// A flow record kept for the timeline: what its line shows, copied into reused buffers (no
// allocation per record once the slots have grown); its id and text are made only for the
// records listed.
struct FlowSlot {
  int64_t time = 0;
  IpAddr src, dst;
  uint16_t srcport = 0, dstport = 0;
  uint32_t port = 0;
  ingest::FlowAction action = ingest::FlowAction::kAccept;
  int64_t bytes = 0;
  std::string iface;
  std::string line;
};

void gather_flows(Gather& g, FlowScan scan, const std::function<bool(const FlowRecord&)>& match,
                  const std::vector<std::string>& fixed_own, std::size_t timeline_limit) {
  std::unordered_map<PairKey, PairStats, PairHash> pairs;
  // Own-address tally per interface (only when the own addresses are not given).
  std::unordered_map<std::string, std::unordered_map<IpAddr, int64_t, IpHash>, TextHash,
                     std::equal_to<>>
      iface_addrs;
  const bool tally = fixed_own.empty();
  std::vector<FlowSlot> slots;
  std::size_t used = 0;
  const std::size_t compact_at = 4 * timeline_limit + 1024;
  auto newest_first = [](const FlowSlot& a, const FlowSlot& b) { return a.time > b.time; };
  auto fn = [&](const FlowRecord& f) {
    if (!match(f) || !f.has(FlowField::kSrcaddr) || !f.has(FlowField::kDstaddr)) return;
    const int64_t t = (f.has(FlowField::kStart) ? f.start : f.end) * 1000;
    ++g.inv->flow_records;
    g.seen(t);
    g.accounts.add(f.get(FlowField::kAccountId));
    g.regions.add(f.get(FlowField::kRegion));
    const std::string_view ifc = f.get(FlowField::kInterfaceId);
    if (tally) {
      auto it = iface_addrs.find(ifc);
      if (it == iface_addrs.end()) it = iface_addrs.emplace(std::string(ifc), 0).first;
      ++it->second[f.srcaddr];
      ++it->second[f.dstaddr];
    }
    const uint32_t port = service_port_code(f);
    PairStats& p = pairs[PairKey{f.srcaddr, f.dstaddr}];
    p.bytes += f.bytes;
    ++p.flows;
    p.rejects += f.action == ingest::FlowAction::kReject;
    if (p.ports.size() < 8 && std::find(p.ports.begin(), p.ports.end(), port) == p.ports.end()) {
      p.ports.push_back(port);
    }
    if (used == compact_at) {
      std::nth_element(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(timeline_limit),
                       slots.begin() + static_cast<std::ptrdiff_t>(used), newest_first);
      used = timeline_limit;
    }
    if (used == slots.size()) slots.emplace_back();
    FlowSlot& h = slots[used++];
    h.time = t;
    h.src = f.srcaddr;
    h.dst = f.dstaddr;
    h.srcport = f.srcport;
    h.dstport = f.dstport;
    h.port = port;
    h.action = f.action;
    h.bytes = f.bytes;
    h.iface.assign(ifc);
    h.line.assign(f.line);
  };
  std::string err;
  if (!scan_flows(*g.st, scan, fn, nullptr, &err)) {
    g.inv->notes.push_back("flows: " + err);
    return;
  }
  // Own addresses: given (an IP), else per interface the address in most of its records.
  std::set<std::string> own(fixed_own.begin(), fixed_own.end());
  std::vector<IpAddr> own_ips;
  for (const auto& a : fixed_own) {
    IpAddr ip;
    if (IpAddr::parse(a, &ip)) own_ips.push_back(ip);
  }
  if (tally) {
    for (const auto& [ifc, addrs] : iface_addrs) {
      const IpAddr* best = nullptr;
      int64_t n = -1;
      std::string best_text;
      for (const auto& [ip, c] : addrs) {
        // Ties go to the smaller text, so the choice does not depend on hash order.
        if (c > n || (c == n && ip.to_string() < best_text)) {
          best = &ip;
          n = c;
          best_text = ip.to_string();
        }
      }
      if (best != nullptr) {
        own.insert(best_text);
        own_ips.push_back(*best);
      }
    }
    g.inv->own_addresses.assign(own.begin(), own.end());
  }
  auto is_own = [&](const IpAddr& a) {
    return std::find(own_ips.begin(), own_ips.end(), a) != own_ips.end();
  };
  std::unordered_map<IpAddr, Peer, IpHash> peers;
  for (const auto& [k, p] : pairs) {
    const bool out = is_own(k.src);
    const bool in = is_own(k.dst);
    if (!out && !in) continue;
    const IpAddr& other = out ? k.dst : k.src;
    Peer& peer = peers[other];
    (out ? peer.bytes_out : peer.bytes_in) += p.bytes;
    peer.flows += p.flows;
    peer.rejects += p.rejects;
    for (const uint32_t port : p.ports) {
      if (peer.ports.size() >= 8) break;
      const std::string text = service_port_text(port);
      if (std::find(peer.ports.begin(), peer.ports.end(), text) == peer.ports.end()) {
        peer.ports.push_back(text);
      }
    }
  }
  for (auto& [ip, p] : peers) {
    p.address = ip.to_string();
    std::sort(p.ports.begin(), p.ports.end());
    g.inv->peers.push_back(std::move(p));
  }
  std::sort(g.inv->peers.begin(), g.inv->peers.end(), [](const Peer& a, const Peer& b) {
    const int64_t x = a.bytes_in + a.bytes_out, y = b.bytes_in + b.bytes_out;
    if (x != y) return x > y;
    return a.address < b.address;
  });
  if (used > timeline_limit) {
    std::nth_element(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(timeline_limit),
                     slots.begin() + static_cast<std::ptrdiff_t>(used), newest_first);
    used = timeline_limit;
  }
  std::string h16;
  for (std::size_t i = 0; i < used; ++i) {
    const FlowSlot& h = slots[i];
    content_hash16(h.line, &h16);
    const std::string svc = service_port_text(h.port);
    std::string text = h.action == ingest::FlowAction::kAccept   ? "ACCEPT "
                       : h.action == ingest::FlowAction::kReject ? "REJECT "
                                                                 : "- ";
    text += h.src.to_string() + ":" + std::to_string(h.srcport) + " -> " + h.dst.to_string() + ":" +
            std::to_string(h.dstport) + " " + svc.substr(svc.find('/') + 1) + " " +
            human_bytes(h.bytes);
    if (!h.iface.empty()) text += " (" + h.iface + ")";
    g.entry(h.time, "flows", std::move(text), to_hex(h16));
  }
}

void gather_dns(Gather& g, const SearchFilter& f, std::size_t timeline_limit) {
  SearchFilter df = f;
  df.types = kSearchDns;
  df.limit = kDnsRows;
  auto r = run_search(*g.st, df);
  if (!r) {
    g.inv->notes.push_back("DNS: " + r.error().message);
    return;
  }
  if (r->truncated) g.inv->notes.push_back("DNS: only the latest 100,000 queries are counted");
  std::size_t n = 0;
  for (const auto& h : r->hits) {
    ++g.inv->dns_queries;
    g.seen(h.time_ms);
    g.domains.add(h.action);
    g.accounts.add(h.account);
    g.regions.add(h.region);
    if (n++ < timeline_limit) {
      g.entry(h.time_ms, "dns",
              "query " + h.action + " " + h.source + " " + h.target + " from " + h.source_ip, h.id);
    }
  }
}

void gather_findings(Gather& g, const SearchFilter& f) {
  SearchFilter ff = f;
  ff.types = kSearchFindings;
  ff.limit = 1000;
  auto r = run_search(*g.st, ff);
  if (!r) {
    g.inv->notes.push_back("findings: " + r.error().message);
    return;
  }
  for (const auto& h : r->hits) {
    if (!g.finding_ids.insert(h.id).second) continue;
    g.inv->findings.push_back(h);
    g.entry(h.time_ms, "findings", "[" + h.source + "] " + h.action + ": " + h.target, h.id);
  }
}

struct FindingDoc {
  bool found = false;
  std::string doc;
  int64_t first = 0, last = 0;
};

FindingDoc load_finding(Store& st, const std::string& id) {
  FindingDoc d;
  Stmt s(st.db(),
         "SELECT json, first_seen, last_seen FROM sentinel_findings WHERE id = ?1 UNION ALL "
         "SELECT sentinel_raw(raw), created_at, updated_at FROM gd_findings WHERE finding_id = ?1 "
         "LIMIT 1",
         nullptr);
  if (!s.ok()) return d;
  s.bind_text(1, id);
  if (s.step() == SQLITE_ROW) {
    d.found = true;
    d.doc.assign(s.col_text(0));
    d.first = s.col_int(1);
    d.last = s.col_int(2);
    // GuardDuty: the activity's own first/last seen when present.
    Stmt t(st.db(),
           "SELECT json_extract(?1, '$.service.eventFirstSeen'), "
           "json_extract(?1, '$.service.eventLastSeen')",
           nullptr);
    if (t.ok()) {
      t.bind_text(1, d.doc);
      if (t.step() == SQLITE_ROW) {
        int64_t ms;
        if (parse_iso8601_ms(t.col_text(0), &ms)) d.first = ms;
        if (parse_iso8601_ms(t.col_text(1), &ms)) d.last = ms;
      }
    }
  }
  return d;
}

// The entity a finding is about: its access key, else the remote IP, else its instance, else
// its principal.
std::string finding_pivot(const std::string& doc_text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(doc_text).get(doc) != simdjson::SUCCESS) return {};
  std::string key_id, ip, instance, eni, principal;
  walk_strings(doc, "", [&](std::string_view k, std::string_view sv) {
    std::string v(sv);
    if (k == "accessKeyId" && key_id.empty() && looks_like_access_key(v)) key_id = v;
    if ((k == "ipAddressV4" || k == "ipAddressV6") && ip.empty()) ip = v;
    if (k == "instanceId" && instance.empty() && id_with_prefix(v, "i-")) instance = v;
    if (k == "networkInterfaceId" && eni.empty() && id_with_prefix(v, "eni-")) eni = v;
    if ((k == "principalArn" || k == "arn" || k == "userName") && principal.empty() &&
        v.rfind("arn:", 0) == 0) {
      principal = v;
    }
  });
  for (const std::string* c : {&key_id, &ip, &instance, &eni, &principal}) {
    if (!c->empty()) return *c;
  }
  return {};
}

void finish(Gather& g, const InvestigateOptions& o) {
  Investigation& inv = *g.inv;
  g.acc_ids.into(*g.dict, &g.accounts);
  g.reg_ids.into(*g.dict, &g.regions);
  g.ip_ids.into(*g.dict, &g.source_ips);
  g.ua_ids.into(*g.dict, &g.user_agents);
  g.pr_ids.into(*g.dict, &g.principals);
  g.key_ids.into(*g.dict, &g.keys);
  g.api_ids.each([&](uint64_t k, int64_t n, int64_t e) {
    g.apis.add(short_source(g.dict->text(static_cast<int64_t>(k >> 32))) + ":" +
                   g.dict->text(static_cast<int64_t>(k & 0xffffffffU)),
               n, e);
  });
  inv.cloudtrail_events = static_cast<int64_t>(g.ct_ids.size());
  inv.accounts = g.accounts.sorted(o.summary_limit);
  inv.regions = g.regions.sorted(o.summary_limit);
  inv.apis = g.apis.sorted(o.summary_limit);
  inv.resources = g.resources.sorted(o.summary_limit);
  inv.source_ips = g.source_ips.sorted(o.summary_limit);
  inv.user_agents = g.user_agents.sorted(o.summary_limit);
  inv.principals = g.principals.sorted(o.summary_limit);
  inv.access_keys = g.keys.sorted(o.summary_limit);
  inv.domains = g.domains.sorted(o.summary_limit);
  for (const auto& f : inv.findings) g.seen(f.time_ms);
  inv.seen = g.first != kNoUpperTime;
  if (inv.seen) {
    inv.first_ms = g.first;
    inv.last_ms = g.last;
  }
  std::sort(g.timeline.begin(), g.timeline.end(),
            [](const TimelineEntry& a, const TimelineEntry& b) {
              if (a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
              return a.type < b.type;
            });
  // Every source lists only its latest entries, so the total is what the summary counted.
  inv.timeline_total =
      std::max<int64_t>(static_cast<int64_t>(g.timeline.size()),
                        inv.cloudtrail_events + inv.flow_records + inv.dns_queries +
                            static_cast<int64_t>(inv.findings.size()));
  if (g.timeline.size() > o.timeline_limit) {
    g.timeline.erase(g.timeline.begin(),
                     g.timeline.end() - static_cast<std::ptrdiff_t>(o.timeline_limit));
  }
  inv.timeline = std::move(g.timeline);
}

}  // namespace

const char* entity_kind_name(EntityKind k) {
  switch (k) {
    case EntityKind::kIp:
      return "IP address";
    case EntityKind::kAccessKey:
      return "access key";
    case EntityKind::kPrincipal:
      return "principal";
    case EntityKind::kInstance:
      return "instance";
    case EntityKind::kEni:
      return "network interface";
    case EntityKind::kFinding:
      return "finding";
  }
  return "?";
}

EntityKind classify_entity(Store& st, const std::string& arg) {
  IpAddr ip;
  if (IpAddr::parse(arg, &ip)) return EntityKind::kIp;
  if (looks_like_access_key(arg)) return EntityKind::kAccessKey;
  if (id_with_prefix(arg, "i-")) return EntityKind::kInstance;
  if (id_with_prefix(arg, "eni-")) return EntityKind::kEni;
  if (arg.rfind("arn:", 0) == 0) return EntityKind::kPrincipal;
  Stmt s(st.db(),
         "SELECT 1 FROM sentinel_findings WHERE id = ?1 UNION ALL "
         "SELECT 1 FROM gd_findings WHERE finding_id = ?1 LIMIT 1",
         nullptr);
  if (s.ok()) {
    s.bind_text(1, arg);
    if (s.step() == SQLITE_ROW) return EntityKind::kFinding;
  }
  return EntityKind::kPrincipal;
}

Result<Investigation> investigate(Store& st, const std::string& arg, const InvestigateOptions& o) {
  Investigation inv;
  inv.subject = arg;
  inv.kind = classify_entity(st, arg);
  if (inv.kind == EntityKind::kFinding) {
    FindingDoc d = load_finding(st, arg);
    std::string pivot = finding_pivot(d.doc);
    InvestigateOptions po = o;
    po.since_ms = std::max(o.since_ms, d.first - o.around_ms);
    po.until_ms = std::min(o.until_ms, d.last + o.around_ms + 1);
    Investigation sub;
    if (!pivot.empty()) {
      auto r = investigate(st, pivot, po);
      if (!r) return r.error();
      sub = std::move(*r);
    } else {
      sub.notes.push_back("the finding names no IP, access key, instance or principal to follow");
    }
    sub.subject = arg;
    sub.kind = EntityKind::kFinding;
    sub.pivot = pivot;
    // The finding itself heads the list, whether or not the pivot's search found it.
    SearchFilter ff;
    ff.types = kSearchFindings;
    ff.resource = arg;
    auto fr = run_search(st, ff);
    if (fr) {
      for (const auto& h : fr->hits) {
        if (h.id != arg) continue;
        const bool have = std::any_of(sub.findings.begin(), sub.findings.end(),
                                      [&](const SearchHit& x) { return x.id == arg; });
        if (!have) {
          sub.findings.insert(sub.findings.begin(), h);
          sub.timeline.push_back(TimelineEntry{
              h.time_ms, "findings", "[" + h.source + "] " + h.action + ": " + h.target, h.id});
          std::sort(
              sub.timeline.begin(), sub.timeline.end(),
              [](const TimelineEntry& a, const TimelineEntry& b) { return a.time_ms < b.time_ms; });
          ++sub.timeline_total;
          if (!sub.seen) {
            sub.seen = true;
            sub.first_ms = sub.last_ms = h.time_ms;
          }
        }
      }
    }
    return sub;
  }

  Gather g;
  g.inv = &inv;
  g.st = &st;
  g.dict = std::make_unique<Dictionary>(st.db());
  SearchFilter base;
  base.since_ms = o.since_ms;
  base.until_ms = o.until_ms;
  FlowScan scan;
  if (o.since_ms != kNoLowerTime) scan.since_s = o.since_ms / 1000;
  if (o.until_ms != kNoUpperTime) scan.until_s = (o.until_ms + 999) / 1000;
  auto in_time = [&](const FlowRecord& f) {
    const int64_t t = (f.has(FlowField::kStart) ? f.start : f.end) * 1000;
    return t >= o.since_ms && t < o.until_ms;
  };
  // The window of related records: `around` either side of what was seen directly.
  auto window = [&](SearchFilter* f) {
    if (g.first == kNoUpperTime) return false;
    f->since_ms = std::max(o.since_ms, g.first - o.around_ms);
    f->until_ms = std::min(o.until_ms, g.last + o.around_ms + 1);
    return true;
  };
  const std::size_t tl = o.timeline_limit;
  switch (inv.kind) {
    case EntityKind::kIp: {
      IpAddr ip;
      IpAddr::parse(arg, &ip);
      const std::string canon = canonical_ip(arg);
      SearchFilter f = base;
      f.ip = canon;
      gather_cloudtrail(g, f, tl);
      scan.keys = {canon};
      gather_flows(
          g, scan,
          [&](const FlowRecord& r) { return (r.srcaddr == ip || r.dstaddr == ip) && in_time(r); },
          {canon}, tl);
      gather_dns(g, f, tl);
      gather_findings(g, f);
      break;
    }
    case EntityKind::kAccessKey:
    case EntityKind::kPrincipal: {
      SearchFilter f = base;
      (inv.kind == EntityKind::kAccessKey ? f.access_key : f.principal) = arg;
      gather_cloudtrail(g, f, tl);
      SearchFilter ff = base;
      ff.resource = arg;
      gather_findings(g, ff);
      if (!g.source_ips.empty() || !g.ip_ids.empty()) {
        inv.notes.push_back(
            "flows and DNS are per address: follow a source IP below with `sentinel "
            "investigate IP`");
      }
      break;
    }
    case EntityKind::kInstance:
    case EntityKind::kEni: {
      const bool instance = inv.kind == EntityKind::kInstance;
      scan.keys = {arg};
      const FlowField field = instance ? FlowField::kInstanceId : FlowField::kInterfaceId;
      gather_flows(
          g, scan, [&](const FlowRecord& r) { return r.get(field) == arg && in_time(r); }, {}, tl);
      if (instance) {
        // Calls made with the instance's role credentials: sessions named after the instance.
        SearchFilter f = base;
        f.principal = arg;
        gather_cloudtrail(g, f, tl);
      }
      // Calls that name it (RunInstances, ModifyNetworkInterfaceAttribute, ...), around what was
      // seen, or everywhere when nothing was.
      SearchFilter rf = base;
      rf.resource = arg;
      if (!window(&rf)) {
        inv.notes.push_back(
            "nothing seen directly: CloudTrail was searched for the id over the whole store");
      }
      gather_cloudtrail(g, rf, tl);
      SearchFilter df = base;
      if (window(&df)) {
        if (instance) {
          df.resource = arg;  // DNS queries carry the instance id
          gather_dns(g, df, tl);
        } else {
          for (const auto& a : inv.own_addresses) {
            df.ip = a;
            gather_dns(g, df, tl);
          }
        }
      }
      SearchFilter ff = base;
      ff.resource = arg;
      gather_findings(g, ff);
      break;
    }
    case EntityKind::kFinding:
      break;
  }
  finish(g, o);
  if (!inv.seen) {
    inv.notes.push_back("nothing in the store mentions " + arg + " (as a " +
                        entity_kind_name(inv.kind) + ")");
  }
  return inv;
}

namespace {

std::string counted_line(const CountedList& l, bool with_errors) {
  std::string r;
  const std::vector<Counted>& v = l.top;
  for (std::size_t i = 0; i < v.size() && i < kListed; ++i) {
    if (i) r += ", ";
    std::string val = v[i].value;
    if (val.size() > 72) val = val.substr(0, 69) + "...";
    r += val + " " + std::to_string(v[i].count);
    if (with_errors && v[i].errors > 0) r += " (" + std::to_string(v[i].errors) + " failed)";
  }
  if (l.distinct > kListed) r += ", ... " + std::to_string(l.distinct - kListed) + " more";
  return r;
}

void line(std::string* out, const char* label, const std::string& text) {
  if (text.empty()) return;
  std::string l = label;
  l.resize(13, ' ');
  *out += l;
  append_terminal_safe(out, text);
  *out += '\n';
}

void counted_json(JsonWriter& w, const char* key, const CountedList& v, bool errors) {
  w.key(key);
  w.begin_array();
  for (const auto& c : v.top) {
    w.begin_object();
    w.field("value", c.value);
    w.field("count", c.count);
    if (errors) w.field("errors", c.errors);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

void render_investigation_text(const Investigation& inv, std::string* out) {
  *out += "Investigation: ";
  append_terminal_safe(out, inv.subject);
  *out += " (";
  *out += entity_kind_name(inv.kind);
  if (!inv.pivot.empty()) {
    *out += ", followed through ";
    append_terminal_safe(out, inv.pivot);
  }
  *out += ")\n";
  if (inv.seen) {
    line(out, "First seen", format_iso8601(inv.first_ms));
    line(out, "Last seen", format_iso8601(inv.last_ms));
  }
  line(out, "Events",
       std::to_string(inv.cloudtrail_events) + " CloudTrail, " + std::to_string(inv.flow_records) +
           " flow records, " + std::to_string(inv.dns_queries) + " DNS queries, " +
           std::to_string(inv.findings.size()) + " findings");
  line(out, "Accounts", counted_line(inv.accounts, false));
  line(out, "Regions", counted_line(inv.regions, false));
  line(out, "APIs", counted_line(inv.apis, true));
  line(out, "Resources", counted_line(inv.resources, false));
  line(out, "Principals", counted_line(inv.principals, false));
  line(out, "Access keys", counted_line(inv.access_keys, false));
  line(out, "Source IPs", counted_line(inv.source_ips, false));
  line(out, "User agents", counted_line(inv.user_agents, false));
  if (!inv.own_addresses.empty()) {
    std::string a;
    for (const auto& x : inv.own_addresses) a += (a.empty() ? "" : ", ") + x;
    line(out, "Addresses", a);
  }
  for (std::size_t i = 0; i < inv.peers.size() && i < kListed; ++i) {
    const Peer& p = inv.peers[i];
    std::string ports;
    for (const auto& x : p.ports) ports += (ports.empty() ? "" : ",") + x;
    line(out, i == 0 ? "Peers" : "",
         p.address + "  in " + human_bytes(p.bytes_in) + "  out " + human_bytes(p.bytes_out) +
             "  " + std::to_string(p.flows) + " flows" +
             (p.rejects ? ", " + std::to_string(p.rejects) + " rejected" : std::string()) +
             "  ports " + ports);
  }
  if (inv.peers.size() > kListed) {
    line(out, "", "... " + std::to_string(inv.peers.size() - kListed) + " more peers");
  }
  line(out, "Domains", counted_line(inv.domains, false));
  for (std::size_t i = 0; i < inv.findings.size(); ++i) {
    const SearchHit& f = inv.findings[i];
    line(out, i == 0 ? "Findings" : "", "[" + f.source + "] " + f.action + "  " + f.id);
  }
  for (const auto& n : inv.notes) line(out, "Note", n);
  *out += "\nTimeline";
  if (inv.timeline_total > static_cast<int64_t>(inv.timeline.size())) {
    *out += " (the latest " + std::to_string(inv.timeline.size()) + " of " +
            std::to_string(inv.timeline_total) + " entries; --limit shows more)";
  }
  *out += "\n";
  for (const auto& e : inv.timeline) {
    *out += format_iso8601(e.time_ms);
    *out += "  ";
    std::string t = e.type;
    t.resize(10, ' ');
    *out += t;
    *out += ' ';
    append_terminal_safe(out, e.text);
    *out += "  ";
    append_terminal_safe(out, e.id);
    *out += '\n';
  }
}

void render_investigation_json(const Investigation& inv, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("subject", inv.subject);
  w.field("kind", entity_kind_name(inv.kind));
  if (!inv.pivot.empty()) w.field("pivot", inv.pivot);
  if (inv.seen) {
    w.field("firstSeen", format_iso8601(inv.first_ms));
    w.field("lastSeen", format_iso8601(inv.last_ms));
  }
  w.key("counts");
  w.begin_object();
  w.field("cloudtrail", inv.cloudtrail_events);
  w.field("flows", inv.flow_records);
  w.field("dns", inv.dns_queries);
  w.field("findings", static_cast<int64_t>(inv.findings.size()));
  w.end_object();
  counted_json(w, "accounts", inv.accounts, false);
  counted_json(w, "regions", inv.regions, false);
  counted_json(w, "apis", inv.apis, true);
  counted_json(w, "resources", inv.resources, false);
  counted_json(w, "principals", inv.principals, false);
  counted_json(w, "accessKeys", inv.access_keys, false);
  counted_json(w, "sourceIPs", inv.source_ips, false);
  counted_json(w, "userAgents", inv.user_agents, false);
  counted_json(w, "domains", inv.domains, false);
  w.key("addresses");
  w.begin_array();
  for (const auto& a : inv.own_addresses) w.string(a);
  w.end_array();
  w.key("peers");
  w.begin_array();
  for (const auto& p : inv.peers) {
    w.begin_object();
    w.field("address", p.address);
    w.field("bytesIn", p.bytes_in);
    w.field("bytesOut", p.bytes_out);
    w.field("flows", p.flows);
    w.field("rejects", p.rejects);
    w.key("ports");
    w.begin_array();
    for (const auto& x : p.ports) w.string(x);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("findings");
  w.begin_array();
  for (const auto& f : inv.findings) {
    w.begin_object();
    w.field("id", f.id);
    w.field("type", f.action);
    w.field("severity", f.source);
    w.field("title", f.target);
    w.field("time", format_iso8601(f.time_ms));
    w.end_object();
  }
  w.end_array();
  w.field("timelineTotal", inv.timeline_total);
  w.key("timeline");
  w.begin_array();
  for (const auto& e : inv.timeline) {
    w.begin_object();
    w.field("time", format_iso8601(e.time_ms));
    w.field("type", e.type);
    w.field("text", e.text);
    w.field("id", e.id);
    w.end_object();
  }
  w.end_array();
  w.key("notes");
  w.begin_array();
  for (const auto& n : inv.notes) w.string(n);
  w.end_array();
  w.end_object();
  *out += '\n';
}

}  // namespace sentinel::store
