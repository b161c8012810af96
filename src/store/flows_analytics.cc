#include "store/flows_analytics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "core/time.h"
#include "enrich/aws_ranges.h"
#include "store/batch.h"
#include "store/codec.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

using ingest::FlowField;
using ingest::FlowRecord;

struct StrHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StrMap = std::unordered_map<std::string, V, StrHash, std::equal_to<>>;

template <typename V>
V& slot(StrMap<V>& m, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end()) it = m.emplace(std::string(k), V{}).first;
  return it->second;
}

class ForwardSink : public ingest::EventSink {
 public:
  explicit ForwardSink(const std::function<void(const FlowRecord&)>& fn, uint64_t* n)
      : fn_(fn), n_(n) {}
  void on_flow(const FlowRecord& f) override {
    ++*n_;
    fn_(f);
  }
  void on_cloudtrail(const ingest::CloudTrailEvent&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override {}

 private:
  const std::function<void(const FlowRecord&)>& fn_;
  uint64_t* n_;
};

bool overlaps(const FlowRecord& f, int64_t since, int64_t until) {
  const int64_t s = f.has(FlowField::kStart) ? f.start : f.end;
  const int64_t e = f.has(FlowField::kEnd) ? f.end : s;
  return e >= since && s < until;
}

const char* proto_name(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return nullptr;
  }
}

bool action_ok(const FlowRecord& f, ActionFilter a) {
  if (a == ActionFilter::kAccept) return f.action == ingest::FlowAction::kAccept;
  if (a == ActionFilter::kReject) return f.action == ingest::FlowAction::kReject;
  return true;
}

std::string iso_s(int64_t s) {
  return format_iso8601(s * 1000);
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2), v.end());
  double hi = v[n / 2];
  if (n % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2));
  return (lo + hi) / 2;
}

}  // namespace

void kept_lines(std::string_view block, const std::vector<std::string>& needles, std::string* out,
                uint64_t* kept) {
  out->clear();
  const char* const base = block.data();
  const std::size_t n = block.size();
  auto line_end = [&](std::size_t from) {
    const void* nl = std::memchr(base + from, '\n', n - from);
    return nl == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(nl) - base);
  };
  uint64_t lines = 0;
  auto keep = [&](std::size_t b, std::size_t e) {
    out->append(base + b, e - b);
    out->push_back('\n');
    ++lines;
  };
  // The lines up to the first non-blank one go through as they are: the parser decides there
  // whether it is a header (and skips a BOM), so it must see the same first line as without
  // the narrowing.
  std::size_t pos = 0;
  while (pos < n) {
    const std::size_t e = line_end(pos);
    keep(pos, e);
    const bool blank = std::all_of(base + pos, base + e, [](char c) {
      return c == ' ' || c == '\t' || c == '\r' || static_cast<unsigned char>(c) >= 0xBB;
    });
    pos = e + 1;
    if (!blank) break;
  }
  const std::string& first = needles.front();
  while (pos < n) {
    const void* hit = memmem(base + pos, n - pos, first.data(), first.size());
    const std::size_t at =
        hit == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    if (at == n) break;  // no needle in the rest
    // The lines from pos up to the one holding the hit hold no needle.
    std::size_t b = pos;
    const void* nl = memrchr(base + pos, '\n', at - pos);
    if (nl != nullptr) b = static_cast<std::size_t>(static_cast<const char*>(nl) - base) + 1;
    const std::size_t e = line_end(at);
    const std::string_view line(base + b, e - b);
    bool all = true;
    for (std::size_t k = 1; k < needles.size() && all; ++k) {
      all = line.find(needles[k]) != std::string_view::npos;
    }
    if (all) keep(b, e);
    pos = e + 1;
  }
  *kept += lines;
}

FlowBlockReader::FlowBlockReader(Store& st, const FlowScan& scan, FlowScanStats* stats)
    : st_(st),
      scan_(scan),
      stats_(stats ? *stats : local_),
      data_(st.db(),
            "SELECT s.value, b.raw_size, b.data, (SELECT path FROM files WHERE id = b.file_id) "
            "FROM flow_blocks b JOIN strings s ON s.id = b.format WHERE b.id = ?1",
            &data_error_) {
  // The text each kept line must contain: an id as given, an IPv4 address as its dotted quad
  // (the parser reads no other text as an IPv4 address); an IPv6 address narrows nothing.
  for (const auto& k : scan.keys) {
    IpAddr ip;
    const bool is_ip = IpAddr::parse(k, &ip);
    for (uint32_t bit : bloom_positions(is_ip ? bloom_ip_key(ip.bytes) : std::string_view(k))) {
      bits_.push_back(bit);
    }
    if (scan.all_lines || k.empty() || (is_ip && !ip.v4)) continue;
    needles_.push_back(is_ip ? ip.to_string() : k);
  }
  std::sort(bits_.begin(), bits_.end());
}

FlowBlockReader::~FlowBlockReader() {
  if (bloom_ != nullptr) sqlite3_blob_close(bloom_);
}

// Each block's pages are read once, but they would stay in the connection's page cache (256 MB
// by default): every page a new allocation, a page fault each. Handing the unused pages back
// now and then lets the next reads reuse their memory.
void FlowBlockReader::recycle_pages() {
  if (++pages_read_ % 128 == 0) sqlite3_db_release_memory(st_.db());
}

bool FlowBlockReader::blocks(std::vector<Block>* out, std::string* error) {
  out->clear();
  if (!data_.ok()) {
    *error = data_error_;
    return false;
  }
  Stmt q(st_.db(),
         "SELECT b.id, b.first_start, b.last_end FROM flow_blocks b "
         "WHERE b.last_end >= ?1 AND b.first_start < ?2 ORDER BY b.first_start, b.id",
         error);
  if (!q.ok()) return false;
  q.bind(1, scan_.since_s);
  q.bind(2, scan_.until_s);
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    out->push_back(Block{q.col_int(0), q.col_int(1), q.col_int(2)});
  }
  if (rc != SQLITE_DONE) {
    *error = std::string("reading flow blocks: ") + sqlite3_errmsg(st_.db());
    return false;
  }
  stats_.blocks += out->size();
  return true;
}

bool FlowBlockReader::may_hold(int64_t id) {
  if (bits_.empty()) return true;
  recycle_pages();
  const int rc = bloom_ == nullptr
                     ? sqlite3_blob_open(st_.db(), "main", "flow_blocks", "bloom", id, 0, &bloom_)
                     : sqlite3_blob_reopen(bloom_, id);
  if (rc != SQLITE_OK) {
    // Gone since it was listed (a prune): read() finds nothing and counts it.
    if (bloom_ != nullptr) sqlite3_blob_close(bloom_);
    bloom_ = nullptr;
    return true;
  }
  // bloom_has() semantics: a filter of another size rules nothing out.
  if (static_cast<std::size_t>(sqlite3_blob_bytes(bloom_)) * 8 != kFlowBloomBits) return true;
  for (const uint32_t bit : bits_) {
    uint8_t byte = 0;
    if (sqlite3_blob_read(bloom_, &byte, 1, static_cast<int>(bit >> 3)) != SQLITE_OK) return true;
    if ((byte & (1U << (bit & 7))) == 0) {
      ++stats_.blocks_skipped;
      return false;
    }
  }
  return true;
}

void FlowBlockReader::read(int64_t id, const std::function<void(const FlowRecord&)>& fn) {
  if (!data_.ok()) {
    ++stats_.blocks_damaged;
    return;
  }
  recycle_pages();
  data_.bind(1, id);
  if (data_.step() != SQLITE_ROW) {
    data_.reset();
    ++stats_.blocks_damaged;
    return;
  }
  const auto raw_size = static_cast<uint64_t>(data_.col_int(1));
  const bool ok = decode_flow_block(data_.col_blob(2), raw_size, &plain_);
  options_.flow_format.assign(data_.col_text(0));
  path_.assign(data_.col_text(3));
  data_.reset();
  if (!ok) {
    ++stats_.blocks_damaged;
    return;
  }
  std::string* text = &plain_;
  if (!needles_.empty()) {
    kept_lines(plain_, needles_, &kept_, &stats_.lines_kept);
    text = &kept_;
  }
  const std::size_t size = text->size();
  text->append(ingest::kPadding, '\0');
  ingest::FileContext ctx;
  ctx.path = path_;
  ctx.options = &options_;
  ForwardSink sink(fn, &stats_.records);
  parser_.parse(std::string_view(text->data(), size), ctx, sink);
}

bool scan_flows(Store& st, const FlowScan& scan, const std::function<void(const FlowRecord&)>& fn,
                FlowScanStats* stats, std::string* error) {
  FlowBlockReader reader(st, scan, stats);
  std::vector<FlowBlockReader::Block> blocks;
  if (!reader.blocks(&blocks, error)) return false;
  for (const auto& b : blocks) {
    if (reader.may_hold(b.id)) reader.read(b.id, fn);
  }
  return true;
}

uint32_t service_port_code(const FlowRecord& f) {
  uint32_t code = 0;
  if (f.has(FlowField::kSrcport) || f.has(FlowField::kDstport)) {
    uint16_t p = f.dstport;
    if (f.has(FlowField::kSrcport) && f.has(FlowField::kDstport)) {
      p = std::min(f.srcport, f.dstport);
    } else if (f.has(FlowField::kSrcport)) {
      p = f.srcport;
    }
    code = uint32_t{p} + 1;
  }
  if (f.has(FlowField::kProtocol)) code |= (uint32_t{f.protocol} + 1) << 17;
  return code;
}

std::string service_port_text(uint32_t code) {
  const uint32_t port = code & 0x1ffffU;
  const uint32_t proto = code >> 17;
  std::string r = port == 0 ? std::string("-") : std::to_string(port - 1);
  r += '/';
  const char* name = proto == 0 ? nullptr : proto_name(static_cast<uint8_t>(proto - 1));
  if (name != nullptr) {
    r += name;
  } else if (proto != 0) {
    r += std::to_string(proto - 1);
  } else {
    r += '-';
  }
  return r;
}

std::string service_port(const FlowRecord& f) {
  return service_port_text(service_port_code(f));
}

Result<std::vector<TopRow>> flows_top(Store& st, const TopOptions& o, FlowScanStats* stats) {
  StrMap<TopRow> rows;
  std::string key;
  auto fn = [&](const FlowRecord& f) {
    if (!action_ok(f, o.action) || !overlaps(f, o.since_s, o.until_s)) return;
    key.clear();
    switch (o.by) {
      case FlowGroup::kSrc:
        if (!f.has(FlowField::kSrcaddr)) return;
        f.srcaddr.append_to(&key);
        break;
      case FlowGroup::kDst:
        if (!f.has(FlowField::kDstaddr)) return;
        f.dstaddr.append_to(&key);
        break;
      case FlowGroup::kPair:
        if (!f.has(FlowField::kSrcaddr) || !f.has(FlowField::kDstaddr)) return;
        f.srcaddr.append_to(&key);
        key += " -> ";
        f.dstaddr.append_to(&key);
        break;
      case FlowGroup::kPort:
        key = service_port(f);
        break;
      case FlowGroup::kEni:
        if (!f.has(FlowField::kInterfaceId)) return;
        key.assign(f.get(FlowField::kInterfaceId));
        break;
      case FlowGroup::kInstance:
        if (!f.has(FlowField::kInstanceId)) return;
        key.assign(f.get(FlowField::kInstanceId));
        break;
    }
    TopRow& r = slot(rows, key);
    if (r.flows == 0) r.first = f.start;
    r.bytes += f.bytes;
    r.packets += f.packets;
    ++r.flows;
    if (f.action == ingest::FlowAction::kAccept) ++r.accepts;
    if (f.action == ingest::FlowAction::kReject) ++r.rejects;
    r.first = std::min(r.first, f.start);
    r.last = std::max(r.last, f.end);
  };
  FlowScan scan;
  scan.since_s = o.since_s;
  scan.until_s = o.until_s;
  std::string err;
  if (!scan_flows(st, scan, fn, stats, &err)) return Error{"store_read", err};
  std::vector<TopRow> out;
  out.reserve(rows.size());
  for (auto& [k, v] : rows) {
    v.key = k;
    out.push_back(std::move(v));
  }
  auto metric = [&](const TopRow& r) {
    return o.metric == FlowMetric::kBytes     ? r.bytes
           : o.metric == FlowMetric::kPackets ? r.packets
                                              : r.flows;
  };
  std::sort(out.begin(), out.end(), [&](const TopRow& a, const TopRow& b) {
    if (metric(a) != metric(b)) return metric(a) > metric(b);
    return a.key < b.key;
  });
  if (out.size() > o.limit) out.resize(o.limit);
  return out;
}

bool parse_networks(const YAML::Node& node, std::vector<NamedNetwork>* out,
                    std::vector<std::string>* errors) {
  out->clear();
  if (!node || node.IsNull()) return true;
  if (!node.IsMap()) {
    errors->push_back("networks: expected a map of network names to CIDRs, vpc- or subnet- ids");
    return false;
  }
  const std::size_t before = errors->size();
  for (const auto& kv : node) {
    NamedNetwork net;
    net.name = kv.first.as<std::string>("");
    const std::string where = "networks." + net.name;
    auto add_item = [&](const std::string& v, const std::string& kind, const std::string& at) {
      if (kind == "vpcs" || (kind.empty() && v.rfind("vpc-", 0) == 0)) {
        net.vpcs.push_back(v);
      } else if (kind == "subnets" || (kind.empty() && v.rfind("subnet-", 0) == 0)) {
        net.subnets.push_back(v);
      } else {
        detect::Cidr c;
        std::string text = v;
        IpAddr ip;
        if (text.find('/') == std::string::npos && IpAddr::parse(text, &ip)) {
          text += ip.v4 ? "/32" : "/128";
        }
        if (!detect::Cidr::parse(text, &c)) {
          errors->push_back(at + ": '" + v + "' is not a CIDR (10.0.0.0/16), a vpc- or subnet- id");
          return;
        }
        net.cidrs.push_back(c);
      }
    };
    auto add_list = [&](const YAML::Node& n, const std::string& kind, const std::string& at) {
      if (n.IsScalar()) {
        add_item(n.as<std::string>(), kind, at);
      } else if (n.IsSequence()) {
        for (std::size_t i = 0; i < n.size(); ++i) {
          if (!n[i].IsScalar()) {
            errors->push_back(at + "[" + std::to_string(i) + "]: expected a string");
            continue;
          }
          add_item(n[i].as<std::string>(), kind, at + "[" + std::to_string(i) + "]");
        }
      } else {
        errors->push_back(at + ": expected a string or a list of strings");
      }
    };
    const YAML::Node& v = kv.second;
    if (net.name.empty()) {
      errors->push_back("networks: a network needs a name");
      continue;
    }
    if (v.IsMap()) {
      for (const auto& f : v) {
        std::string k = f.first.as<std::string>("");
        std::string kind = k == "cidrs" || k == "cidr"       ? "cidrs"
                           : k == "vpcs" || k == "vpc"       ? "vpcs"
                           : k == "subnets" || k == "subnet" ? "subnets"
                                                             : "";
        if (kind.empty()) {
          errors->push_back(where + "." + k + ": unknown key (cidrs, vpcs, subnets)");
          continue;
        }
        add_list(f.second, kind, where + "." + k);
      }
    } else {
      add_list(v, "", where);
    }
    if (net.cidrs.empty() && net.vpcs.empty() && net.subnets.empty()) {
      errors->push_back(where + ": no CIDRs, VPCs or subnets");
      continue;
    }
    out->push_back(std::move(net));
  }
  return errors->size() == before;
}

std::string NetworkMap::side(const FlowRecord& f, bool src) const {
  const FlowField af = src ? FlowField::kSrcaddr : FlowField::kDstaddr;
  if (!f.has(af)) return "(unknown)";
  const IpAddr& ip = src ? f.srcaddr : f.dstaddr;
  const NamedNetwork* best = nullptr;
  int best_prefix = -1;
  for (const auto& n : nets) {
    for (const auto& c : n.cidrs) {
      if (c.prefix > best_prefix && c.contains(ip)) {
        best = &n;
        best_prefix = c.prefix;
      }
    }
  }
  if (best != nullptr) return best->name;
  // The record's own interface is on the destination side of ingress traffic and on the source
  // side of egress traffic; its subnet and VPC name that side.
  const bool own_side = (src && f.flow_direction == ingest::FlowDirection::kEgress) ||
                        (!src && f.flow_direction == ingest::FlowDirection::kIngress);
  if (own_side) {
    std::string_view subnet = f.get(FlowField::kSubnetId);
    std::string_view vpc = f.get(FlowField::kVpcId);
    for (const auto& n : nets) {
      if (!subnet.empty() &&
          std::find(n.subnets.begin(), n.subnets.end(), subnet) != n.subnets.end())
        return n.name;
    }
    for (const auto& n : nets) {
      if (!vpc.empty() && std::find(n.vpcs.begin(), n.vpcs.end(), vpc) != n.vpcs.end())
        return n.name;
    }
  }
  return enrich::is_private_ip(ip) ? "(other private)" : "(internet)";
}

Result<std::vector<MatrixCell>> flows_matrix(Store& st, const NetworkMap& nets, int64_t since_s,
                                             int64_t until_s, FlowScanStats* stats) {
  std::map<std::pair<std::string, std::string>, MatrixCell> cells;
  auto fn = [&](const FlowRecord& f) {
    if (!overlaps(f, since_s, until_s)) return;
    if (!f.has(FlowField::kSrcaddr) || !f.has(FlowField::kDstaddr)) return;  // NODATA lines
    std::string a = nets.side(f, true);
    std::string b = nets.side(f, false);
    MatrixCell& c = cells[{a, b}];
    c.bytes += f.bytes;
    c.packets += f.packets;
    ++c.flows;
    if (f.action == ingest::FlowAction::kReject) ++c.rejects;
  };
  FlowScan scan;
  scan.since_s = since_s;
  scan.until_s = until_s;
  std::string err;
  if (!scan_flows(st, scan, fn, stats, &err)) return Error{"store_read", err};
  std::vector<MatrixCell> out;
  for (auto& [k, v] : cells) {
    v.from = k.first;
    v.to = k.second;
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const MatrixCell& x, const MatrixCell& y) {
    if (x.bytes != y.bytes) return x.bytes > y.bytes;
    return std::tie(x.from, x.to) < std::tie(y.from, y.to);
  });
  return out;
}

namespace {

struct IfaceTally {
  int64_t total = 0, with_a = 0, with_b = 0;
};

std::string join_ports(const std::vector<std::string>& ports) {
  std::string r;
  for (std::size_t i = 0; i < ports.size() && i < 6; ++i) {
    if (i) r += ", ";
    r += ports[i];
  }
  if (ports.size() > 6) r += ", ...";
  return r;
}

}  // namespace

Result<WhyResult> flows_why(Store& st, const std::string& a_text, const std::string& b_text,
                            int port, int64_t since_s, int64_t until_s, FlowScanStats* stats) {
  IpAddr a, b;
  if (!IpAddr::parse(a_text, &a)) return Error{"usage", "'" + a_text + "' is not an IP address"};
  if (!IpAddr::parse(b_text, &b)) return Error{"usage", "'" + b_text + "' is not an IP address"};
  WhyResult r;
  r.a = a.to_string();
  r.b = b.to_string();
  StrMap<IfaceTally> ifaces;
  int64_t initiator_votes_ab = 0, initiator_votes_ba = 0;
  struct Acc {
    WhyGroup g;
    bool ab = true;
    ingest::FlowDirection dir = ingest::FlowDirection::kNone;
  };
  std::map<std::tuple<int, std::string, std::string, std::string>, Acc> groups;
  auto fn = [&](const FlowRecord& f) {
    if (!f.has(FlowField::kSrcaddr) || !f.has(FlowField::kDstaddr)) return;
    const bool has_a = f.srcaddr == a || f.dstaddr == a;
    const bool has_b = f.srcaddr == b || f.dstaddr == b;
    std::string_view ifc = f.get(FlowField::kInterfaceId);
    if (!ifc.empty()) {
      IfaceTally& t = slot(ifaces, ifc);
      ++t.total;
      t.with_a += has_a;
      t.with_b += has_b;
    }
    int dir;
    if (f.srcaddr == a && f.dstaddr == b) {
      dir = 0;
    } else if (f.srcaddr == b && f.dstaddr == a) {
      dir = 1;
    } else {
      return;
    }
    if (port > 0 && f.srcport != port && f.dstport != port) return;
    if (!overlaps(f, since_s, until_s)) return;
    const char* action = f.action == ingest::FlowAction::kAccept   ? "ACCEPT"
                         : f.action == ingest::FlowAction::kReject ? "REJECT"
                                                                   : "-";
    Acc& acc = groups[{dir, service_port(f), action, std::string(ifc)}];
    acc.ab = dir == 0;
    acc.g.direction = dir == 0 ? r.a + " -> " + r.b : r.b + " -> " + r.a;
    acc.g.port = service_port(f);
    acc.g.action = action;
    acc.g.interface_id.assign(ifc);
    ++acc.g.flows;
    acc.g.bytes += f.bytes;
    acc.g.packets += f.packets;
    acc.g.last_seen = std::max(acc.g.last_seen, f.has(FlowField::kEnd) ? f.end : f.start);
    if (f.flow_direction == ingest::FlowDirection::kIngress ||
        f.flow_direction == ingest::FlowDirection::kEgress) {
      acc.dir = f.flow_direction;
    }
    if (f.has(FlowField::kSrcport) && f.has(FlowField::kDstport) && f.dstport != f.srcport) {
      const bool to_service = f.dstport < f.srcport;
      // A record from A to the service port votes for A as the initiator, and so does a reply
      // from B's service port to A.
      ((dir == 0) == to_service ? initiator_votes_ab : initiator_votes_ba) += 1;
    }
    const bool accept = f.action == ingest::FlowAction::kAccept;
    const bool reject = f.action == ingest::FlowAction::kReject;
    if (dir == 0) {
      r.accepted_ab += accept;
      r.rejected_ab += reject;
    } else {
      r.accepted_ba += accept;
      r.rejected_ba += reject;
    }
  };
  FlowScan scan;
  scan.since_s = since_s;
  scan.until_s = until_s;
  scan.keys = {r.a, r.b};
  scan.all_lines = true;  // every interface's records tell its own address
  std::string err;
  if (!scan_flows(st, scan, fn, stats, &err)) return Error{"store_read", err};

  // Which side logged (and, for a reject, refused) each group: flow-direction says it when the
  // format has it; otherwise the interface's own address is the one in all of its records.
  for (auto& [k, acc] : groups) {
    WhyGroup& g = acc.g;
    const std::string& src = acc.ab ? r.a : r.b;
    const std::string& dst = acc.ab ? r.b : r.a;
    int owner = -1;  // 0 = the record's source side, 1 = its destination side
    if (acc.dir == ingest::FlowDirection::kEgress) owner = 0;
    if (acc.dir == ingest::FlowDirection::kIngress) owner = 1;
    if (owner < 0 && !g.interface_id.empty()) {
      auto it = ifaces.find(g.interface_id);
      if (it != ifaces.end()) {
        const IfaceTally& t = it->second;
        const bool own_a = t.with_a == t.total && t.with_b < t.total;
        const bool own_b = t.with_b == t.total && t.with_a < t.total;
        if (own_a) owner = acc.ab ? 0 : 1;
        if (own_b) owner = acc.ab ? 1 : 0;
      }
    }
    g.owner = owner;
    const std::string eni = g.interface_id.empty() ? "" : " (" + g.interface_id + ")";
    if (owner == 1) {
      g.side = g.action == "REJECT" ? "ingress at " + dst + eni + ": its inbound rules"
                                    : "logged at " + dst + eni + " (ingress)";
    } else if (owner == 0) {
      g.side = g.action == "REJECT" ? "egress at " + src + eni + ": its outbound rules"
                                    : "logged at " + src + eni + " (egress)";
    } else {
      g.side = "unknown side" + eni +
               ": the records carry no flow-direction and the interface's address is ambiguous";
    }
    r.groups.push_back(g);
  }
  std::sort(r.groups.begin(), r.groups.end(), [](const WhyGroup& x, const WhyGroup& y) {
    if (x.direction != y.direction) return x.direction < y.direction;
    return x.last_seen > y.last_seen;
  });

  // The verdict, from the side that initiated (the direction with the service port as dstport
  // is the request; the busier direction when that is unclear).
  auto ports_of = [&](bool ab, const char* action) {
    std::vector<std::string> ports;
    for (const auto& g : r.groups) {
      const bool is_ab = g.direction.rfind(r.a + " ", 0) == 0;
      if (is_ab == ab && g.action == action &&
          std::find(ports.begin(), ports.end(), g.port) == ports.end()) {
        ports.push_back(g.port);
      }
    }
    return ports;
  };
  auto last_reject_side = [&](bool ab) {
    const WhyGroup* best = nullptr;
    for (const auto& g : r.groups) {
      const bool is_ab = g.direction.rfind(r.a + " ", 0) == 0;
      if (is_ab == ab && g.action == "REJECT" && (!best || g.last_seen > best->last_seen))
        best = &g;
    }
    return best ? best->side : std::string("unknown side");
  };
  auto last_seen = [&](bool ab) {
    int64_t t = 0;
    for (const auto& g : r.groups) {
      if ((g.direction.rfind(r.a + " ", 0) == 0) == ab) t = std::max(t, g.last_seen);
    }
    return iso_s(t);
  };
  const int64_t total = r.accepted_ab + r.rejected_ab + r.accepted_ba + r.rejected_ba;
  const std::string on_port = port > 0 ? " on port " + std::to_string(port) : "";
  if (total == 0) {
    r.verdict = "no flows between " + r.a + " and " + r.b + on_port +
                " in the store: the flow logs may not cover either interface, or the traffic "
                "never left the source (routing, DNS or the application)";
    return r;
  }
  // x is the initiator: prefer the direction with accepted or rejected requests.
  // The initiator sends to the service port: the direction whose records go to the lower port.
  // (A direction with no records at all cannot be it.)
  const int64_t n_ab = r.accepted_ab + r.rejected_ab, n_ba = r.accepted_ba + r.rejected_ba;
  const bool ab = n_ab == 0   ? false
                  : n_ba == 0 ? true
                  : initiator_votes_ab != initiator_votes_ba
                      ? initiator_votes_ab > initiator_votes_ba
                      : n_ab >= n_ba;
  const std::string& x = ab ? r.a : r.b;
  const std::string& y = ab ? r.b : r.a;
  const int64_t acc_xy = ab ? r.accepted_ab : r.accepted_ba;
  const int64_t rej_xy = ab ? r.rejected_ab : r.rejected_ba;
  const int64_t rej_yx = ab ? r.rejected_ba : r.rejected_ab;
  // Accepted records logged by the destination's interface (or by an interface whose side is
  // unknown) mean the traffic got in; accepts logged only at the source mean it got out.
  int64_t acc_in = 0, acc_out = 0;
  for (const auto& g : r.groups) {
    const bool is_ab = g.direction.rfind(r.a + " ", 0) == 0;
    if (is_ab != ab || g.action != "ACCEPT") continue;
    (g.owner == 0 ? acc_out : acc_in) += g.flows;
  }
  if (acc_xy > 0 && rej_xy == 0 && rej_yx == 0) {
    r.verdict = x + " reaches " + y + ": " + std::to_string(acc_xy) + " accepted flow(s) on " +
                join_ports(ports_of(ab, "ACCEPT")) + ", nothing rejected; last seen " +
                last_seen(ab);
  } else if (rej_xy > 0 && acc_in == 0) {
    r.verdict = x + " cannot reach " + y + ": " + std::to_string(rej_xy) + " flow(s) rejected on " +
                join_ports(ports_of(ab, "REJECT")) + ", " + last_reject_side(ab) + "; last seen " +
                last_seen(ab);
    if (acc_out > 0) {
      r.verdict += " (" + x + "'s own interface let " + std::to_string(acc_out) +
                   " of them out: the block is on " + y + "'s side)";
    }
  } else if (acc_xy > 0 && rej_xy == 0 && rej_yx > 0) {
    r.verdict = x + " -> " + y + " is accepted but " + std::to_string(rej_yx) +
                " flow(s) back are rejected (" + last_reject_side(!ab) +
                "): a network ACL is stateless, check its rules for the return ports";
  } else {
    r.verdict = "partly: " + std::to_string(acc_xy) + " accepted and " + std::to_string(rej_xy) +
                " rejected flow(s) from " + x + " to " + y + "; rejected on " +
                join_ports(ports_of(ab, "REJECT")) + ", " + last_reject_side(ab) +
                "; accepted on " + join_ports(ports_of(ab, "ACCEPT"));
  }
  return r;
}

void score_series(VolumeSeries* s, double threshold) {
  std::vector<double> xs;
  xs.reserve(s->points.size());
  for (const auto& p : s->points) xs.push_back(static_cast<double>(p.bytes));
  s->median = median_of(xs);
  std::vector<double> dev;
  dev.reserve(xs.size());
  double sum_dev = 0;
  for (double x : xs) {
    dev.push_back(std::fabs(x - s->median));
    sum_dev += std::fabs(x - s->median);
  }
  s->mad = median_of(dev);
  double scale = 0;  // the denominator of z
  if (s->mad > 0) {
    scale = s->mad / 0.6745;
  } else if (!xs.empty() && sum_dev > 0) {
    scale = 1.2533 * sum_dev / static_cast<double>(xs.size());
  }
  for (auto& p : s->points) {
    p.z = scale > 0 ? (static_cast<double>(p.bytes) - s->median) / scale : 0;
    // A baseline needs a few intervals to mean anything.
    p.outlier = s->points.size() >= 4 && scale > 0 && p.z >= threshold;
  }
}

Result<std::vector<VolumeSeries>> flows_volume(Store& st, const VolumeOptions& o,
                                               FlowScanStats* stats) {
  if (o.interval_s <= 0) return Error{"usage", "the interval must be positive"};
  StrMap<std::map<int64_t, int64_t>> buckets;
  const FlowField field = o.by_instance ? FlowField::kInstanceId : FlowField::kInterfaceId;
  auto fn = [&](const FlowRecord& f) {
    if (!f.has(field) || !overlaps(f, o.since_s, o.until_s)) return;
    std::string_view id = f.get(field);
    if (!o.entity.empty() && id != o.entity) return;
    const int64_t t = f.has(FlowField::kStart) ? f.start : f.end;
    int64_t b = t / o.interval_s * o.interval_s;
    if (t < 0 && b != t) b -= o.interval_s;
    slot(buckets, id)[b] += f.bytes;
  };
  FlowScan scan;
  scan.since_s = o.since_s;
  scan.until_s = o.until_s;
  if (!o.entity.empty()) scan.keys.push_back(o.entity);
  std::string err;
  if (!scan_flows(st, scan, fn, stats, &err)) return Error{"store_read", err};
  std::vector<VolumeSeries> out;
  for (auto& [id, m] : buckets) {
    VolumeSeries s;
    s.entity = id;
    const int64_t first = m.begin()->first;
    const int64_t last = m.rbegin()->first;
    const bool fill = (last - first) / o.interval_s <= 100'000;
    if (fill) {
      for (int64_t t = first; t <= last; t += o.interval_s) {
        auto it = m.find(t);
        VolumePoint p;
        p.start = t;
        p.bytes = it == m.end() ? 0 : it->second;
        s.total += p.bytes;
        s.points.push_back(p);
      }
    } else {
      for (auto& [t, v] : m) {
        s.points.push_back(VolumePoint{t, v, 0, false});
        s.total += v;
      }
    }
    score_series(&s, o.threshold);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const VolumeSeries& x, const VolumeSeries& y) {
    if (x.total != y.total) return x.total > y.total;
    return x.entity < y.entity;
  });
  return out;
}

}  // namespace sentinel::store
