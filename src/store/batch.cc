#include "store/batch.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <cstring>
#include <memory>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/cloudtrail/cloudtrail_dom.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "store/ct_index.h"
#include "store/hash_mix.h"

namespace sentinel::store {

namespace {

// Raw blocks close at this many uncompressed bytes: large enough for DEFLATE to find the
// repetition between records, small enough that `show` inflates little.
constexpr std::size_t kRawBlockBytes = 256 * 1024;
constexpr std::size_t kFlowBlockBytes = 2 * 1024 * 1024;

uint64_t hash64(std::string_view s) {
  return hash_bytes(s, 0x5bd1e995);
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// A canonical lowercase UUID (8-4-4-4-12) packs into 16 bytes; anything else stays text. Only
// lowercase packs, so that packing is reversible byte-exact.
bool pack_uuid(std::string_view s, char out[16]) {
  if (s.size() != 36) return false;
  int n = 0;
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
      continue;
    }
    if (!is_hex(s[i]) || (s[i] >= 'A' && s[i] <= 'F')) return false;
    if ((n & 1) == 0) {
      out[n / 2] = static_cast<char>(hex_val(s[i]) << 4);
    } else {
      out[n / 2] = static_cast<char>(out[n / 2] | hex_val(s[i]));
    }
    ++n;
  }
  return true;
}

int8_t tri(ingest::Tristate t) {
  return t == ingest::Tristate::kAbsent ? -1 : t == ingest::Tristate::kTrue ? 1 : 0;
}

// The strings `search --resource` looks at (member names and string values, to the same depth
// as its matcher), added to the block's resource index and the row's resource terms.
void add_resource_strings(simdjson::dom::element e, int depth, GramBloomBuilder* b,
                          std::vector<int64_t>* terms) {
  if (depth > 64) return;
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj;
      if (e.get_object().get(obj) != simdjson::SUCCESS) return;
      for (auto field : obj) {
        b->add_string(field.key);
        ct_resource_terms(field.key, terms);
        add_resource_strings(field.value, depth + 1, b, terms);
      }
      return;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr;
      if (e.get_array().get(arr) != simdjson::SUCCESS) return;
      for (auto item : arr) add_resource_strings(item, depth + 1, b, terms);
      return;
    }
    case simdjson::dom::element_type::STRING: {
      std::string_view v;
      if (e.get_string().get(v) == simdjson::SUCCESS) {
        b->add_string(v);
        ct_resource_terms(v, terms);
      }
      return;
    }
    default:
      return;
  }
}

void bloom_add(std::string* bloom, std::string_view key) {
  for (uint32_t p : bloom_positions(key)) {
    (*bloom)[p >> 3] = static_cast<char>((*bloom)[p >> 3] | (1 << (p & 7)));
  }
}

}  // namespace

uint64_t symbol_hash(std::string_view s) {
  return hash64(s);
}

std::array<uint32_t, 3> bloom_positions(std::string_view key) {
  uint64_t h = hash64(key);
  uint64_t h2 = mix64(h + 0x9e3779b97f4a7c15ULL);
  constexpr uint32_t kMask = kFlowBloomBits - 1;
  return {static_cast<uint32_t>(h) & kMask, static_cast<uint32_t>(h >> 32) & kMask,
          static_cast<uint32_t>(h2) & kMask};
}

std::string_view bloom_ip_key(const std::array<uint8_t, 16>& bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), 16);
}

bool bloom_has(std::string_view bloom, std::string_view key) {
  if (bloom.size() * 8 != kFlowBloomBits) return true;
  for (uint32_t p : bloom_positions(key)) {
    if ((static_cast<uint8_t>(bloom[p >> 3]) & (1U << (p & 7))) == 0) return false;
  }
  return true;
}

std::string sha256(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), n);
}

bool sha256_file(const std::string& path, std::string* out, uint64_t* size, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open: " + std::string(std::strerror(errno));
    return false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  // One buffer per thread for every file (a fresh 1 MiB string per file cost its zeroing and
  // page faults: readers hash hundreds of small files).
  constexpr std::size_t kHashBufBytes = std::size_t{1} << 20;
  thread_local std::unique_ptr<char[]> hash_buf;
  if (!hash_buf) hash_buf.reset(new char[kHashBufBytes]);
  char* buf = hash_buf.get();
  uint64_t total = 0;
  bool ok = true;
  while (true) {
    ssize_t n = ::read(fd, buf, kHashBufBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "read error: " + std::string(std::strerror(errno));
      ok = false;
      break;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx, buf, static_cast<std::size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (ok) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    out->assign(reinterpret_cast<char*>(md), n);
    *size = total;
  }
  EVP_MD_CTX_free(ctx);
  return ok;
}

void content_hash16(std::string_view bytes, std::string* out) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  out->assign(reinterpret_cast<char*>(md), 16);
}

std::string to_hex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<uint8_t>(c);
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

void BatchBuilder::begin(FileBatch* batch) {
  batch_ = batch;
  // A table sized for a typical file; it doubles when half full. A batch that already holds
  // symbols (one built in parts) keeps them.
  std::size_t cap = 1024;
  while (cap < batch->symbols.size() * 2 + 2) cap *= 2;
  slots_.assign(cap, 0);
  sym_hash_.clear();
  for (Sym k = 1; k <= batch->symbols.size(); ++k) {
    sym_hash_.push_back(hash64(batch->sym(k)));
    std::size_t j = static_cast<std::size_t>(sym_hash_.back()) & (cap - 1);
    while (slots_[j] != 0) j = (j + 1) & (cap - 1);
    slots_[j] = k;
  }
  raw_.clear();
  // The builders keep their tables from file to file (a fresh one grew by rehashing, from a new
  // allocation, for every file).
  ct_open_.reset();
  ct_gzip_.reset();
  flow_lines_.clear();
  flow_open_ = false;
  gzip_on_ = false;
  gzip_.clear();
  inflated_ = nullptr;
  inflated_size_ = 0;
  gzip_type_ = ingest::LogType::kUnknown;
  gzip_records_.clear();
  flow_gzip_ = false;
}

void BatchBuilder::CtBlockIndex::reset() {
  grams.clear();
  min_time = max_time = ingest::kNoTime;
}

void BatchBuilder::CtBlockIndex::add_time(int64_t t) {
  if (t == ingest::kNoTime) return;
  if (min_time == ingest::kNoTime || t < min_time) min_time = t;
  if (max_time == ingest::kNoTime || t > max_time) max_time = t;
}

void BatchBuilder::on_gzip_file(std::string_view delivered, std::string_view inflated) {
  gzip_on_ = delivered.size() <= kGzipBlockMaxDelivered &&
             inflated.size() <= kGzipBlockMaxInflated && !flow_open_ && raw_.empty();
  if (!gzip_on_) return;
  gzip_.assign(delivered);
  inflated_ = inflated.data();
  inflated_size_ = inflated.size();
  gzip_type_ = ingest::LogType::kUnknown;
  gzip_records_.clear();
}

Str BatchBuilder::put(std::string_view s) {
  Str r{static_cast<uint32_t>(batch_->arena.size()), static_cast<uint32_t>(s.size())};
  batch_->arena.append(s);
  return r;
}

Sym BatchBuilder::sym(std::string_view s) {
  if (s.empty()) return 0;
  const uint64_t h = hash64(s);
  std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  while (slots_[i] != 0) {
    const Sym at = slots_[i];
    if (sym_hash_[at - 1] == h && batch_->sym(at) == s) return at;
    i = (i + 1) & mask;
  }
  batch_->symbols.push_back(put(s));
  sym_hash_.push_back(h);
  const auto id = static_cast<Sym>(batch_->symbols.size());
  slots_[i] = id;
  if (batch_->symbols.size() * 2 > slots_.size()) {
    slots_.assign(slots_.size() * 2, 0);
    mask = slots_.size() - 1;
    for (Sym k = 1; k <= id; ++k) {
      std::size_t j = static_cast<std::size_t>(sym_hash_[k - 1]) & mask;
      while (slots_[j] != 0) j = (j + 1) & mask;
      slots_[j] = k;
    }
  }
  return id;
}

RawPos BatchBuilder::add_raw(ingest::LogType type, std::string_view raw) {
  // A record that is a slice of the delivered file's inflated stream is located, not copied.
  if (gzip_on_ && (gzip_type_ == type || gzip_type_ == ingest::LogType::kUnknown) &&
      gzip_records_.size() < kMaxRecordsPerBlock && raw.data() >= inflated_ &&
      raw.data() + raw.size() <= inflated_ + inflated_size_) {
    gzip_type_ = type;
    gzip_records_.emplace_back(static_cast<uint32_t>(raw.data() - inflated_),
                               static_cast<uint32_t>(raw.size()));
    return RawPos{kGzipBlockPending, static_cast<uint32_t>(gzip_records_.size() - 1)};
  }
  if (!raw_.empty() && (type != raw_type_ || raw_.bytes() + raw.size() > kRawBlockBytes ||
                        raw_.count() >= kMaxRecordsPerBlock)) {
    flush_raw();
  }
  raw_type_ = type;
  RawPos pos{static_cast<uint32_t>(batch_->blocks.size()), static_cast<uint32_t>(raw_.count())};
  raw_.add(raw);
  return pos;
}

void BatchBuilder::flush_raw() {
  if (raw_.empty()) return;
  RawBlock b;
  b.type = raw_type_;
  b.count = static_cast<uint32_t>(raw_.count());
  raw_.compress(level_, &b.data, &b.raw_size);
  if (b.type == ingest::LogType::kCloudTrail) {
    ct_open_.grams.finish(&b.grams);
    b.min_time = ct_open_.min_time;
    b.max_time = ct_open_.max_time;
    ct_open_.min_time = ct_open_.max_time = ingest::kNoTime;
  }
  batch_->blocks.push_back(std::move(b));
  raw_.clear();
}

void BatchBuilder::flush_gzip() {
  if (gzip_type_ == ingest::LogType::kVpcFlow || gzip_records_.empty()) return;
  const auto id = static_cast<uint32_t>(batch_->blocks.size());
  RawBlock b;
  b.type = gzip_type_;
  b.count = static_cast<uint32_t>(gzip_records_.size());
  b.raw_size = inflated_size_;
  encode_gzip_block(gzip_, gzip_records_, &b.data);
  if (b.type == ingest::LogType::kCloudTrail) {
    ct_gzip_.grams.finish(&b.grams);
    b.min_time = ct_gzip_.min_time;
    b.max_time = ct_gzip_.max_time;
  }
  batch_->blocks.push_back(std::move(b));
  auto number = [id](RawPos& p) {
    if (p.block == kGzipBlockPending) p.block = id;
  };
  for (auto& r : batch_->cloudtrail) number(r.raw);
  for (auto& r : batch_->dns) number(r.raw);
  for (auto& r : batch_->guardduty) number(r.raw);
  gzip_records_.clear();
}

void BatchBuilder::finish() {
  flush_raw();
  flush_gzip();
  flush_flows();
  batch_->symbol_hashes.assign(sym_hash_.begin(), sym_hash_.end());
  gzip_on_ = false;
  gzip_.clear();
}

void BatchBuilder::on_cloudtrail(const ingest::CloudTrailEvent& e) {
  CtRow r;
  char packed[16];
  if (pack_uuid(e.event_id, packed)) {
    r.uid = put(std::string_view(packed, 16));
  } else if (!e.event_id.empty()) {
    r.uid = put(e.event_id);
  } else {
    // No eventID: a NUL byte, which no eventID text has, then the content hash.
    content_hash16(e.raw, &scratch_);
    scratch_.insert(scratch_.begin(), '\0');
    r.uid = put(scratch_);
  }
  r.uid_key = ct_uid_key(batch_->str(r.uid));
  r.account = sym(e.recipient_account_id.empty() ? e.meta.account : e.recipient_account_id);
  r.region = sym(e.aws_region.empty() ? e.meta.region : e.aws_region);
  r.source = sym(e.event_source);
  r.name = sym(e.event_name);
  if (e.source_ip_is_ip) {
    scratch_.clear();
    e.source_ip.append_to(&scratch_);
    r.source_ip = sym(scratch_);
  } else {
    r.source_ip = sym(e.source_ip_address);
  }
  r.user_agent = sym(e.user_agent);
  r.error_code = sym(e.error_code);
  r.error_message = sym(e.error_message);
  r.identity_type = sym(e.identity.type);
  r.principal = sym(e.identity.arn);
  r.principal_id = sym(e.identity.principal_id);
  r.user_name = sym(e.identity.user_name);
  r.access_key = put(e.identity.access_key_id);
  r.issuer = sym(e.identity.issuer_arn);
  r.identity_account = sym(e.identity.account_id);
  r.event_type = sym(e.event_type);
  r.event_category = sym(e.event_category);
  r.version = sym(e.event_version);
  r.time = e.meta.time_ms;
  r.read_only = tri(e.read_only);
  r.management = tri(e.management_event);
  r.mfa = e.identity.mfa_authenticated.empty() ? -1 : e.identity.mfa_authenticated == "true";
  r.insight = e.insight;
  r.raw = add_raw(ingest::LogType::kCloudTrail, e.raw);
  CtBlockIndex& index = r.raw.block == kGzipBlockPending ? ct_gzip_ : ct_open_;
  index.add_time(r.time);
  // The resource index reads the parser's tree (no second parse); a record delivered without one
  // is parsed here.
  simdjson::dom::element doc;
  bool have = false;
  if (const simdjson::dom::element* tree = ingest::cloudtrail_tree(e); tree != nullptr) {
    doc = *tree;
    have = true;
  } else {
    thread_local simdjson::dom::parser parser;
    have = parser.parse(e.raw.data(), e.raw.size()).get(doc) == simdjson::SUCCESS;
  }
  simdjson::dom::object obj;
  const std::size_t terms_from = batch_->ct_terms.size();
  if (have && doc.get_object().get(obj) == simdjson::SUCCESS) {
    for (const char* k :
         {"requestParameters", "responseElements", "resources", "additionalEventData"}) {
      simdjson::dom::element part;
      if (obj[k].get(part) == simdjson::SUCCESS) {
        add_resource_strings(part, 0, &index.grams, &batch_->ct_terms);
      }
    }
  }
  // The row's resource terms, each once.
  std::vector<int64_t>& terms = batch_->ct_terms;
  const std::size_t from = terms_from;
  r.terms_off = static_cast<uint32_t>(from);
  std::sort(terms.begin() + static_cast<std::ptrdiff_t>(from), terms.end());
  terms.erase(std::unique(terms.begin() + static_cast<std::ptrdiff_t>(from), terms.end()),
              terms.end());
  r.terms_n = static_cast<uint32_t>(terms.size() - from);
  batch_->cloudtrail.push_back(r);
}

void BatchBuilder::on_dns(const ingest::DnsQuery& q) {
  DnsRow r;
  content_hash16(q.raw, &scratch_);
  r.uid = put(scratch_);
  r.account = sym(q.account_id.empty() ? q.meta.account : q.account_id);
  r.region = sym(q.region.empty() ? q.meta.region : q.region);
  r.vpc_id = sym(q.vpc_id);
  r.query_name = sym(q.query_name);
  r.query_type = sym(q.query_type);
  r.rcode = sym(q.rcode);
  if (q.has_srcaddr) {
    scratch_.clear();
    q.srcaddr.append_to(&scratch_);
    r.srcaddr = sym(scratch_);
  } else {
    r.srcaddr = sym(q.srcaddr_raw);
  }
  r.transport = sym(q.transport);
  r.instance_id = sym(q.srcids.instance);
  r.firewall_action = sym(q.firewall_rule_action);
  r.time = q.meta.time_ms;
  r.srcport = q.srcport;
  r.raw = add_raw(ingest::LogType::kRoute53, q.raw);
  batch_->dns.push_back(r);
}

void BatchBuilder::on_guardduty(const ingest::GuardDutyFinding& g) {
  GdRow r;
  content_hash16(g.raw, &scratch_);
  r.uid = put(scratch_);
  r.finding_id = put(g.id);
  r.account = sym(g.account_id.empty() ? g.meta.account : g.account_id);
  r.region = sym(g.region.empty() ? g.meta.region : g.region);
  r.type = sym(g.type);
  r.title = put(g.title);
  r.resource_type = sym(g.resource_type);
  r.severity = g.has_severity ? g.severity : -1;
  r.created = g.created_at;
  r.updated = g.updated_at;
  r.count = g.count;
  r.archived = g.has_archived ? static_cast<int8_t>(g.archived) : -1;
  r.raw = add_raw(ingest::LogType::kGuardDuty, g.raw);
  batch_->guardduty.push_back(r);
}

void BatchBuilder::flows_to_lines() {
  flow_gzip_ = false;
  flow_lines_.clear();
  for (const auto& [off, len] : gzip_records_) {
    flow_lines_.append(inflated_ + off, len);
    flow_lines_.push_back('\n');
  }
  gzip_records_.clear();
}

void BatchBuilder::on_flow(const ingest::FlowRecord& f) {
  // A delivered file of at most kFlowsPerBlock records, all of one format, is its own block:
  // the lines are only located (in case the file turns out longer).
  if (flow_gzip_ &&
      (f.format != flow_.format || flow_.count >= kFlowsPerBlock || f.line.data() < inflated_ ||
       f.line.data() + f.line.size() > inflated_ + inflated_size_)) {
    flows_to_lines();
  }
  if (flow_open_ && !flow_gzip_ &&
      (f.format != flow_.format || flow_.count >= kFlowsPerBlock ||
       flow_lines_.size() + f.line.size() + 1 > kFlowBlockBytes)) {
    flush_flows();
  }
  if (!flow_open_) {
    flow_ = FlowBlock{};
    flow_.format.assign(f.format);
    flow_.account.assign(f.meta.account);
    flow_.region.assign(f.meta.region);
    flow_.bloom.assign(kFlowBloomBits / 8, '\0');
    flow_.first_start = INT64_MAX;
    flow_.last_end = INT64_MIN;
    flow_one_account_ = true;
    flow_open_ = true;
    // Only the file's first block can be the file itself.
    flow_gzip_ = gzip_on_ && gzip_type_ == ingest::LogType::kUnknown &&
                 f.line.data() >= inflated_ &&
                 f.line.data() + f.line.size() <= inflated_ + inflated_size_;
    if (flow_gzip_) {
      gzip_type_ = ingest::LogType::kVpcFlow;
      gzip_records_.clear();
    }
  }
  if (flow_one_account_ && f.meta.account != flow_.account) {
    flow_one_account_ = false;
    flow_.account.clear();
  }
  ++flow_.count;
  ++batch_->flow_records;
  if (flow_gzip_) {
    gzip_records_.emplace_back(static_cast<uint32_t>(f.line.data() - inflated_),
                               static_cast<uint32_t>(f.line.size()));
  } else {
    flow_lines_.append(f.line);
    flow_lines_.push_back('\n');
  }
  using ingest::FlowField;
  if (f.has(FlowField::kStart) && f.start < flow_.first_start) flow_.first_start = f.start;
  if (f.has(FlowField::kEnd) && f.end > flow_.last_end) flow_.last_end = f.end;
  if (f.has(FlowField::kStart) && f.start > flow_.last_end) flow_.last_end = f.start;
  flow_.bytes += f.bytes;
  if (f.action == ingest::FlowAction::kReject) ++flow_.rejects;
  if (f.has(FlowField::kSrcaddr)) bloom_add(&flow_.bloom, bloom_ip_key(f.srcaddr.bytes));
  if (f.has(FlowField::kDstaddr)) bloom_add(&flow_.bloom, bloom_ip_key(f.dstaddr.bytes));
  if (f.has(FlowField::kPktSrcaddr)) bloom_add(&flow_.bloom, bloom_ip_key(f.pkt_srcaddr.bytes));
  if (f.has(FlowField::kPktDstaddr)) bloom_add(&flow_.bloom, bloom_ip_key(f.pkt_dstaddr.bytes));
  if (f.has(FlowField::kInterfaceId)) bloom_add(&flow_.bloom, f.get(FlowField::kInterfaceId));
  if (f.has(FlowField::kInstanceId)) bloom_add(&flow_.bloom, f.get(FlowField::kInstanceId));
}

void BatchBuilder::flush_flows() {
  if (!flow_open_) return;
  if (flow_.first_start == INT64_MAX) flow_.first_start = 0;
  if (flow_.last_end == INT64_MIN) flow_.last_end = 0;
  if (flow_gzip_) {
    flow_.raw_size = inflated_size_;
    encode_gzip_block(gzip_, {}, &flow_.data);
    gzip_records_.clear();
    flow_gzip_ = false;
  } else {
    flow_.raw_size = flow_lines_.size();
    deflate_bytes(flow_lines_, flow_level_, &flow_.data);
  }
  batch_->flows.push_back(std::move(flow_));
  flow_lines_.clear();
  flow_open_ = false;
}

}  // namespace sentinel::store
