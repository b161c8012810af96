#include "ingest/parsers/vpcflow/vpcflow.h"

#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/time.h"

namespace sentinel::ingest {

namespace {

// How a column's token is checked and typed.
enum class Kind : uint8_t {
  kString,
  kVersion,
  kIp,
  kPort,
  kProtocol,
  kCount64,  // packets, bytes, packets-lost-*: non-negative int64, bad_number
  kTime,     // start, end: non-negative int64 seconds, bad_number
  kAction,
  kLogStatus,
  kSmallInt,  // tcp-flags, traffic-path: int32, bad_value
  kDirection,
  kMaybeNumber,  // encryption-status: kept raw; JSON number when it is one
};

struct FieldInfo {
  std::string_view name;
  std::string_view json;
  Kind kind;
};

constexpr std::array<FieldInfo, kFlowFieldCount> kFields = {{
    {"version", "version", Kind::kVersion},
    {"account-id", "account_id", Kind::kString},
    {"interface-id", "interface_id", Kind::kString},
    {"srcaddr", "srcaddr", Kind::kIp},
    {"dstaddr", "dstaddr", Kind::kIp},
    {"srcport", "srcport", Kind::kPort},
    {"dstport", "dstport", Kind::kPort},
    {"protocol", "protocol", Kind::kProtocol},
    {"packets", "packets", Kind::kCount64},
    {"bytes", "bytes", Kind::kCount64},
    {"start", "start", Kind::kTime},
    {"end", "end", Kind::kTime},
    {"action", "action", Kind::kAction},
    {"log-status", "log_status", Kind::kLogStatus},
    {"vpc-id", "vpc_id", Kind::kString},
    {"subnet-id", "subnet_id", Kind::kString},
    {"instance-id", "instance_id", Kind::kString},
    {"tcp-flags", "tcp_flags", Kind::kSmallInt},
    {"type", "type", Kind::kString},
    {"pkt-srcaddr", "pkt_srcaddr", Kind::kIp},
    {"pkt-dstaddr", "pkt_dstaddr", Kind::kIp},
    {"region", "region", Kind::kString},
    {"az-id", "az_id", Kind::kString},
    {"sublocation-type", "sublocation_type", Kind::kString},
    {"sublocation-id", "sublocation_id", Kind::kString},
    {"pkt-src-aws-service", "pkt_src_aws_service", Kind::kString},
    {"pkt-dst-aws-service", "pkt_dst_aws_service", Kind::kString},
    {"flow-direction", "flow_direction", Kind::kDirection},
    {"traffic-path", "traffic_path", Kind::kSmallInt},
    {"ecs-cluster-arn", "ecs_cluster_arn", Kind::kString},
    {"ecs-cluster-name", "ecs_cluster_name", Kind::kString},
    {"ecs-container-instance-arn", "ecs_container_instance_arn", Kind::kString},
    {"ecs-container-instance-id", "ecs_container_instance_id", Kind::kString},
    {"ecs-container-id", "ecs_container_id", Kind::kString},
    {"ecs-second-container-id", "ecs_second_container_id", Kind::kString},
    {"ecs-service-name", "ecs_service_name", Kind::kString},
    {"ecs-task-definition-arn", "ecs_task_definition_arn", Kind::kString},
    {"ecs-task-arn", "ecs_task_arn", Kind::kString},
    {"ecs-task-id", "ecs_task_id", Kind::kString},
    {"reject-reason", "reject_reason", Kind::kString},
    {"resource-type", "resource_type", Kind::kString},
    {"tgw-id", "tgw_id", Kind::kString},
    {"tgw-attachment-id", "tgw_attachment_id", Kind::kString},
    {"tgw-src-vpc-account-id", "tgw_src_vpc_account_id", Kind::kString},
    {"tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", Kind::kString},
    {"tgw-src-vpc-id", "tgw_src_vpc_id", Kind::kString},
    {"tgw-dst-vpc-id", "tgw_dst_vpc_id", Kind::kString},
    {"tgw-src-subnet-id", "tgw_src_subnet_id", Kind::kString},
    {"tgw-dst-subnet-id", "tgw_dst_subnet_id", Kind::kString},
    {"tgw-src-eni", "tgw_src_eni", Kind::kString},
    {"tgw-dst-eni", "tgw_dst_eni", Kind::kString},
    {"tgw-src-az-id", "tgw_src_az_id", Kind::kString},
    {"tgw-dst-az-id", "tgw_dst_az_id", Kind::kString},
    {"tgw-pair-attachment-id", "tgw_pair_attachment_id", Kind::kString},
    {"packets-lost-no-route", "packets_lost_no_route", Kind::kCount64},
    {"packets-lost-blackhole", "packets_lost_blackhole", Kind::kCount64},
    {"packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", Kind::kCount64},
    {"packets-lost-ttl-expired", "packets_lost_ttl_expired", Kind::kCount64},
    {"resource-id", "resource_id", Kind::kString},
    {"encryption-status", "encryption_status", Kind::kMaybeNumber},
}};

constexpr std::array<FlowField, 14> kDefaultV2 = {
    FlowField::kVersion, FlowField::kAccountId, FlowField::kInterfaceId, FlowField::kSrcaddr,
    FlowField::kDstaddr, FlowField::kSrcport,   FlowField::kDstport,     FlowField::kProtocol,
    FlowField::kPackets, FlowField::kBytes,     FlowField::kStart,       FlowField::kEnd,
    FlowField::kAction,  FlowField::kLogStatus};

constexpr uint64_t kDefaultV2Mask = [] {
  uint64_t m = 0;
  for (FlowField f : kDefaultV2) m |= uint64_t{1} << static_cast<unsigned>(f);
  return m;
}();

constexpr std::size_t kMaxQuotedBytes = 60;
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

constexpr std::size_t idx(FlowField f) {
  return static_cast<std::size_t>(f);
}
inline uint64_t bit(FlowField f) {
  return uint64_t{1} << static_cast<unsigned>(f);
}

inline bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Compares a field name with a header/format name: `_` and `-` are the same, case ignored.
bool name_equals(std::string_view canonical, std::string_view name) {
  if (canonical.size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = lower(name[i]);
    if (c == '_') c = '-';
    if (c != canonical[i]) return false;
  }
  return true;
}

bool is_name_token(std::string_view t) {
  if (t.empty()) return false;
  char c0 = lower(t[0]);
  if (c0 < 'a' || c0 > 'z') return false;
  for (char c : t) {
    char l = lower(c);
    if (!((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_')) return false;
  }
  return true;
}

// Splits on runs of blanks; calls fn(token) for each. Used off the hot path only.
template <typename Fn>
void for_each_token(std::string_view s, Fn fn) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i == s.size()) break;
    std::size_t b = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (!fn(s.substr(b, i - b))) return;
  }
}

// Decimal digits only, at most 19 of them (so no uint64 overflow), value <= max. Off the hot
// path (no padding needed).
inline bool parse_uint(std::string_view t, uint64_t max, uint64_t* out) {
  if (t.empty() || t.size() > 19) return false;
  uint64_t v = 0;
  for (char c : t) {
    unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// `t == lit` as a byte loop the compiler unrolls: GCC emits a call to memcmp for a 6- or 8-byte
// std::memcmp inside the big unrolled function, and that call showed up in profiles.
template <std::size_t N>
[[gnu::always_inline]] inline bool tok_is(std::string_view t, const char (&lit)[N]) {
  if (t.size() != N - 1) return false;
  bool eq = true;
  for (std::size_t i = 0; i + 1 < N; ++i) eq &= t[i] == lit[i];
  return eq;
}

inline uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// simdjson's tests: all 8 bytes are ASCII digits; and the value of 8 ASCII digits.
inline bool all_digits8(uint64_t w) {
  return (((w & 0xF0F0F0F0F0F0F0F0ULL) |
           (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) == 0x3333333333333333ULL);
}
inline uint64_t digits8_value(uint64_t w) {
  const uint64_t mask = 0x000000FF000000FFULL;
  const uint64_t mul1 = 0x000F424000000064ULL;  // 100 + (1000000 << 32)
  const uint64_t mul2 = 0x0000271000000001ULL;  // 1 + (10000 << 32)
  w -= 0x3030303030303030ULL;
  w = (w * 10) + (w >> 8);
  return (((w & mask) * mul1) + (((w >> 16) & mask) * mul2)) >> 32;
}

// The first `len` (1..8) bytes at p, left-padded with '0' to 8 digits. Reads 8 bytes.
inline uint64_t padded8(const char* p, std::size_t len) {
  uint64_t w = load8(p);
  if (len == 8) return w;
  const unsigned shift = static_cast<unsigned>(8 * (8 - len));
  return (w << shift) | (0x3030303030303030ULL >> (64 - shift));
}

// Hot-path integer parse for a token inside padded data (up to 7 bytes past it are read):
// branch-light for up to 16 digits, the plain loop beyond.
[[gnu::always_inline]] inline bool parse_uint_padded(std::string_view t, uint64_t max,
                                                     uint64_t* out) {
  const std::size_t len = t.size();
  if (len == 0) return false;
  uint64_t v;
  if (len <= 8) {
    const uint64_t w = padded8(t.data(), len);
    if (!all_digits8(w)) return false;
    v = digits8_value(w);
  } else if (len <= 16) {
    const uint64_t hi = padded8(t.data(), len - 8);
    const uint64_t lo = load8(t.data() + len - 8);
    if (!all_digits8(hi) || !all_digits8(lo)) return false;
    v = digits8_value(hi) * 100000000ULL + digits8_value(lo);
  } else {
    return parse_uint(t, max, out);
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// Bit i set when p[i] is '.', for i in [0, 16). Reads 16 bytes.
inline uint32_t dot_mask16(const char* p) {
#if defined(__SSE2__)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))));
#else
  uint32_t m = 0;
  for (int i = 0; i < 16; ++i) m |= static_cast<uint32_t>(p[i] == '.') << i;
  return m;
#endif
}

// Dotted-quad fast path with the same rules as IpAddr::parse (no leading zeros). Reads 16 bytes
// from the token start, so only for tokens inside padded data.
[[gnu::always_inline]] inline bool parse_ipv4_fast(std::string_view t, IpAddr* out) {
  const std::size_t len = t.size();
  if (len < 7 || len > 15) return false;
  const char* p = t.data();
  uint32_t dots = dot_mask16(p) & ((1U << len) - 1);
  // Exactly three dots: clearing the lowest set bit three times leaves nothing.
  const uint32_t after1 = dots & (dots - 1);
  const uint32_t after2 = after1 & (after1 - 1);
  if (dots == 0 || after1 == 0 || after2 == 0 || (after2 & (after2 - 1)) != 0) return false;
  // Multipliers for an octet of 1, 2 or 3 digits.
  static constexpr unsigned kM0[4] = {0, 1, 10, 100};
  static constexpr unsigned kM1[4] = {0, 0, 1, 10};
  static constexpr unsigned kM2[4] = {0, 0, 0, 1};
  uint8_t q[4];
  bool ok = true;
  std::size_t begin = 0;
  for (int part = 0; part < 4; ++part) {
    std::size_t end = len;
    if (part < 3) {
      end = static_cast<std::size_t>(__builtin_ctz(dots));
      dots &= dots - 1;
    }
    const std::size_t n = end - begin;
    const std::size_t m = n > 3 ? 0 : n;  // 0 or > 3 digits: all multipliers 0, rejected below
    const char* o = p + begin;
    const unsigned d0 = static_cast<unsigned char>(o[0]) - static_cast<unsigned>('0');
    const unsigned d1 = static_cast<unsigned char>(o[1]) - static_cast<unsigned>('0');
    const unsigned d2 = static_cast<unsigned char>(o[2]) - static_cast<unsigned>('0');
    const unsigned v = d0 * kM0[m] + d1 * kM1[m] + d2 * kM2[m];
    ok &= (m != 0) & (d0 <= 9) & ((d1 <= 9) | (m < 2)) & ((d2 <= 9) | (m < 3)) & (v <= 255) &
          ((m == 1) | (d0 != 0));
    q[part] = static_cast<uint8_t>(v);
    begin = end + 1;
  }
  if (!ok) return false;
  *out = IpAddr{};
  out->bytes[10] = 0xFF;
  out->bytes[11] = 0xFF;
  out->bytes[12] = q[0];
  out->bytes[13] = q[1];
  out->bytes[14] = q[2];
  out->bytes[15] = q[3];
  out->v4 = true;
  return true;
}

inline bool parse_ip(std::string_view t, IpAddr* out) {
  return parse_ipv4_fast(t, out) || IpAddr::parse(t, out);
}

// What went wrong with one field: reason kCount means nothing did.
struct FieldError {
  RejectReason reason = RejectReason::kCount;
  std::string_view what;
};

// Checks, types and stores one token. Inlined everywhere so that calls with constant field and
// kind (the unrolled default layout) fold the switch away.
[[gnu::always_inline]] inline FieldError apply_field(FlowRecord& r, FlowField field, Kind kind,
                                                     std::string_view tok, uint64_t* present) {
  const std::size_t fi = idx(field);
  if (tok.size() == 1 && tok[0] == '-') {
    r.raw[fi] = {};
    return {};
  }
  r.raw[fi] = tok;
  *present |= uint64_t{1} << fi;
  uint64_t v = 0;
  switch (kind) {
    case Kind::kString:
    case Kind::kMaybeNumber:
      break;
    case Kind::kVersion:
      if (!parse_uint_padded(tok, INT32_MAX, &v)) {
        return {RejectReason::kBadNumber, "not a version number"};
      }
      r.version = static_cast<int32_t>(v);
      break;
    case Kind::kIp: {
      IpAddr* a = field == FlowField::kSrcaddr      ? &r.srcaddr
                  : field == FlowField::kDstaddr    ? &r.dstaddr
                  : field == FlowField::kPktSrcaddr ? &r.pkt_srcaddr
                                                    : &r.pkt_dstaddr;
      if (!parse_ip(tok, a)) return {RejectReason::kBadIp, "not an IP address"};
      break;
    }
    case Kind::kPort:
      if (!parse_uint_padded(tok, 65535, &v)) {
        return {RejectReason::kBadPort, "not a port (0-65535)"};
      }
      (field == FlowField::kSrcport ? r.srcport : r.dstport) = static_cast<uint16_t>(v);
      break;
    case Kind::kProtocol:
      if (!parse_uint_padded(tok, 255, &v)) {
        return {RejectReason::kBadNumber, "not a protocol number (0-255)"};
      }
      r.protocol = static_cast<uint8_t>(v);
      break;
    case Kind::kCount64:
    case Kind::kTime: {
      if (!parse_uint_padded(tok, INT64_MAX, &v)) {
        return {RejectReason::kBadNumber, "not a non-negative integer"};
      }
      const auto iv = static_cast<int64_t>(v);
      switch (field) {
        case FlowField::kPackets:
          r.packets = iv;
          break;
        case FlowField::kBytes:
          r.bytes = iv;
          break;
        case FlowField::kStart:
          r.start = iv;
          break;
        case FlowField::kEnd:
          r.end = iv;
          break;
        case FlowField::kPacketsLostNoRoute:
          r.packets_lost_no_route = iv;
          break;
        case FlowField::kPacketsLostBlackhole:
          r.packets_lost_blackhole = iv;
          break;
        case FlowField::kPacketsLostMtuExceeded:
          r.packets_lost_mtu_exceeded = iv;
          break;
        default:
          r.packets_lost_ttl_expired = iv;
          break;
      }
      break;
    }
    case Kind::kAction:
      if (tok_is(tok, "ACCEPT")) {
        r.action = FlowAction::kAccept;
      } else if (tok_is(tok, "REJECT")) {
        r.action = FlowAction::kReject;
      } else {
        return {RejectReason::kBadValue, "not ACCEPT, REJECT or -"};
      }
      break;
    case Kind::kLogStatus:
      if (tok_is(tok, "OK")) {
        r.log_status = FlowLogStatus::kOk;
      } else if (tok_is(tok, "NODATA")) {
        r.log_status = FlowLogStatus::kNoData;
      } else if (tok_is(tok, "SKIPDATA")) {
        r.log_status = FlowLogStatus::kSkipData;
      } else {
        return {RejectReason::kBadValue, "not OK, NODATA, SKIPDATA or -"};
      }
      break;
    case Kind::kSmallInt:
      if (!parse_uint_padded(tok, INT32_MAX, &v)) {
        return {RejectReason::kBadValue, "not a non-negative integer"};
      }
      (field == FlowField::kTcpFlags ? r.tcp_flags : r.traffic_path) = static_cast<int32_t>(v);
      break;
    case Kind::kDirection:
      r.flow_direction = tok_is(tok, "ingress")  ? FlowDirection::kIngress
                         : tok_is(tok, "egress") ? FlowDirection::kEgress
                                                 : FlowDirection::kOther;
      break;
  }
  return {};
}

// The default v2 layout unrolled with constant fields and kinds, so no per-field dispatch is
// left; stops at the first bad field. State lives in locals so it stays in registers.
template <std::size_t I>
[[gnu::always_inline]] inline bool apply_default_v2_one(FlowRecord& r, const std::string_view* toks,
                                                        uint64_t& present, FieldError& err,
                                                        std::size_t& failed) {
  constexpr FlowField kField = kDefaultV2[I];
  err = apply_field(r, kField, kFields[idx(kField)].kind, toks[I], &present);
  failed = I;
  return err.reason == RejectReason::kCount;
}

template <std::size_t... I>
[[gnu::noinline]] void apply_default_v2(FlowRecord& r, const std::string_view* toks,
                                        uint64_t* present_out, FieldError* err_out,
                                        std::size_t* failed_out, std::index_sequence<I...>) {
  uint64_t present = 0;
  FieldError err;
  std::size_t failed = 0;
  (apply_default_v2_one<I>(r, toks, present, err, failed) && ...);
  *present_out = present;
  *err_out = err;
  *failed_out = failed;
}

// True when any byte of `s` is a control character other than tab, or not ASCII.
inline bool has_bad_byte(std::string_view s) {
  const char* p = s.data();
  std::size_t n = s.size();
  uint64_t acc = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    // High bit set (non-ASCII), 0x7F (+1 sets the high bit), or a byte < 0x20 (the classic
    // "has less than" test; exact about whether any byte matches).
    acc |= (w | (w + kOnes) | ((w - 0x20 * kOnes) & ~w)) & kHighs;
  }
  for (; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c >= 0x7F) acc |= kHighs;
  }
  if (acc == 0) return false;
  // Slow path: a tab (legal separator) or DEL may have set it; look precisely.
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c >= 0x7F) return true;
  }
  return false;
}

// Sets bit i of *sep when p[i] is a space or tab, and of *bad when p[i] is another control
// character, DEL or not ASCII, for i in [0, 64).
inline void scan64(const char* p, uint64_t* sep, uint64_t* bad) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i del = _mm_set1_epi8(0x7F);
  const __m128i printable_min = _mm_set1_epi8(0x21);
  uint64_t s = 0;
  uint64_t b = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i is_sep = _mm_or_si128(_mm_cmpeq_epi8(x, space), _mm_cmpeq_epi8(x, tab));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x21" also catches non-ASCII.
    const __m128i special = _mm_or_si128(_mm_cmplt_epi8(x, printable_min), _mm_cmpeq_epi8(x, del));
    const auto sm = static_cast<uint32_t>(_mm_movemask_epi8(is_sep));
    const auto bm = static_cast<uint32_t>(_mm_movemask_epi8(_mm_andnot_si128(is_sep, special)));
    s |= uint64_t{sm} << (16 * k);
    b |= uint64_t{bm} << (16 * k);
  }
  *sep = s;
  *bad = b;
#else
  uint64_t s = 0;
  uint64_t b = 0;
  for (int i = 0; i < 64; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == ' ' || c == '\t') {
      s |= uint64_t{1} << i;
    } else if (c < 0x20 || c >= 0x7F) {
      b |= uint64_t{1} << i;
    }
  }
  *sep = s;
  *bad = b;
#endif
}

// ---- Default v2 fast path: one pass over the line that splits and converts in the same loop.
// Each helper accepts only what the general path would accept with the same result; anything
// else (`-`, tabs, runs of blanks, CR, bad bytes, long numbers, NODATA lines...) makes the fast
// path give the line back to parse_line, which then decides and words the reject.

constexpr uint64_t le8(const char (&s)[9]) {
  uint64_t w = 0;
  for (int i = 7; i >= 0; --i) w = (w << 8) | static_cast<unsigned char>(s[i]);
  return w;
}

// Value of 8 digit bytes already turned to 0..9 (`w ^ '0'` per byte), first byte most
// significant (digits8_value without the subtraction).
inline uint64_t digits8_value_xor(uint64_t t) {
  const uint64_t mask = 0x000000FF000000FFULL;
  const uint64_t mul1 = 0x000F424000000064ULL;
  const uint64_t mul2 = 0x0000271000000001ULL;
  t = (t * 10) + (t >> 8);
  return (((t & mask) * mul1) + (((t >> 16) & mask) * mul2)) >> 32;
}

// High bit of each byte of t (= 8 bytes ^ '0') that is not a digit. Exact for every byte up to
// and including the first non-digit (the +0x76 carries only out of non-digit bytes, upwards).
inline uint64_t nondigit_bytes(uint64_t t) {
  return ((t + 0x76 * kOnes) | t) & kHighs;
}

constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// The run of 1..16 decimal digits at p: its value and length, without a per-digit loop or
// overflow check (16 digits < 2^63). False for no digits or more than 16. Reads 16 bytes.
[[gnu::always_inline]] inline bool scan_digits(const char* p, uint64_t* value, std::size_t* len) {
  const uint64_t t = load8(p) ^ (0x30 * kOnes);
  const uint64_t nd = nondigit_bytes(t);
  if (nd != 0) [[likely]] {
    const unsigned n = static_cast<unsigned>(__builtin_ctzll(nd)) >> 3;
    if (n == 0) return false;
    *value = digits8_value_xor(t << (64 - 8 * n));
    *len = n;
    return true;
  }
  const uint64_t t2 = load8(p + 8) ^ (0x30 * kOnes);
  const uint64_t nd2 = nondigit_bytes(t2);
  if (nd2 == 0) return false;
  const unsigned n2 = static_cast<unsigned>(__builtin_ctzll(nd2)) >> 3;
  const uint64_t hi = digits8_value_xor(t);
  *value = n2 == 0 ? hi : hi * kPow10[n2] + digits8_value_xor(t2 << (64 - 8 * n2));
  *len = 8 + n2;
  return true;
}

// A dotted quad at p ending at the first byte that is neither digit nor dot, under the rules of
// IpAddr::parse (1-3 digits per octet, <= 255, no leading zeros). Returns its length, 0 when it
// is not one. Reads 16 bytes.
[[gnu::always_inline]] inline std::size_t scan_ipv4(const char* p, IpAddr* out) {
  uint32_t dots;
  uint32_t other;
#if defined(__SSE2__)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
  dots = static_cast<uint32_t>(_mm_movemask_epi8(dot));
  other = ~static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(dot, digit)));
#else
  dots = 0;
  other = 0xFFFF0000U;
  for (int i = 0; i < 16; ++i) {
    dots |= static_cast<uint32_t>(p[i] == '.') << i;
    other |= static_cast<uint32_t>(p[i] != '.' && (p[i] < '0' || p[i] > '9')) << i;
  }
#endif
  const auto len = static_cast<std::size_t>(__builtin_ctz(other));  // other has bit 16+ set
  if (len < 7 || len > 15) return 0;
  dots &= (1U << len) - 1;
  const uint32_t d1 = dots & (dots - 1);
  const uint32_t d2 = d1 & (d1 - 1);
  if (d1 == 0 || d2 == 0 || (d2 & (d2 - 1)) != 0) return 0;  // not exactly three dots
  const auto a = static_cast<std::size_t>(__builtin_ctz(dots));
  const auto b = static_cast<std::size_t>(__builtin_ctz(d1));
  const auto c = static_cast<std::size_t>(__builtin_ctz(d2));
  const std::size_t starts[4] = {0, a + 1, b + 1, c + 1};
  const std::size_t lens[4] = {a, b - a - 1, c - b - 1, len - c - 1};
  bool ok = true;
  uint32_t q = 0;
  for (int k = 0; k < 4; ++k) {
    const std::size_t n = lens[k];
    const char* o = p + starts[k];
    uint32_t w;
    std::memcpy(&w, o, 4);
    w ^= 0x30303030U;
    // Right-align the n digits in bytes 1..3 (n in 1..3; other n are rejected below, and the
    // shift stays in range for them).
    const uint32_t s = w << (8 * ((4 - n) & 3));
    const uint32_t v = ((s >> 8) & 0xFF) * 100 + ((s >> 16) & 0xFF) * 10 + (s >> 24);
    ok &= (n - 1 < 3) & (v <= 255) & ((n == 1) | (o[0] != '0'));
    q |= (v & 0xFF) << (8 * k);
  }
  if (!ok) return 0;
  out->bytes = {};
  out->bytes[10] = 0xFF;
  out->bytes[11] = 0xFF;
  std::memcpy(&out->bytes[12], &q, 4);
  out->v4 = true;
  return len;
}

// Length of the run of printable, non-blank ASCII (0x21..0x7E) at p; SIZE_MAX when it reaches
// `limit` first. Reads in 16-byte blocks, at most 15 bytes past limit.
[[gnu::always_inline]] inline std::size_t span_token(const char* p, const char* limit) {
  const char* q = p;
  for (;;) {
#if defined(__SSE2__)
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i special = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x21)),
                                         _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
    const auto m = static_cast<uint32_t>(_mm_movemask_epi8(special));
#else
    uint32_t m = 0;
    for (int i = 0; i < 16; ++i) {
      const auto c = static_cast<unsigned char>(q[i]);
      m |= static_cast<uint32_t>(c < 0x21 || c >= 0x7F) << i;
    }
#endif
    if (m != 0) return static_cast<std::size_t>(q - p) + static_cast<std::size_t>(__builtin_ctz(m));
    q += 16;
    if (q >= limit) return SIZE_MAX;
  }
}

constexpr std::array<int8_t, 256> make_hex_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}
constexpr std::array<int8_t, 256> kHexTable = make_hex_table();

// IPv6 text without a dot, under exactly the rules of IpAddr::parse (groups of 1-4 hex digits,
// at most one `::`, eight groups without it, fewer with it), in one pass. False for anything
// else, including an embedded IPv4 tail: the caller then asks IpAddr::parse.
inline bool parse_ipv6_plain(std::string_view s, IpAddr* out) {
  const std::size_t len = s.size();
  if (len < 2) return false;
  uint16_t groups[8] = {};
  int n = 0;
  int gap = -1;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    if (n >= 8) return false;
    unsigned v = 0;
    std::size_t k = 0;
    while (i + k < len && s[i + k] != ':') {
      const int h = kHexTable[static_cast<unsigned char>(s[i + k])];
      if (h < 0 || k == 4) return false;
      v = (v << 4) | static_cast<unsigned>(h);
      ++k;
    }
    if (k == 0) return false;
    groups[n++] = static_cast<uint16_t>(v);
    i += k;
    if (i == len) break;
    ++i;  // s[i] was ':'
    if (i < len && s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
    } else if (i == len) {
      return false;
    }
  }
  IpAddr a;
  if (gap >= 0) {
    if (n >= 8) return false;
    const int tail = n - gap;
    for (int k = 0; k < gap; ++k) {
      a.bytes[2 * k] = static_cast<uint8_t>(groups[k] >> 8);
      a.bytes[2 * k + 1] = static_cast<uint8_t>(groups[k]);
    }
    for (int k = 0; k < tail; ++k) {
      a.bytes[2 * (8 - tail + k)] = static_cast<uint8_t>(groups[gap + k] >> 8);
      a.bytes[2 * (8 - tail + k) + 1] = static_cast<uint8_t>(groups[gap + k]);
    }
  } else {
    if (n != 8) return false;
    for (int k = 0; k < 8; ++k) {
      a.bytes[2 * k] = static_cast<uint8_t>(groups[k] >> 8);
      a.bytes[2 * k + 1] = static_cast<uint8_t>(groups[k]);
    }
  }
  *out = a;
  return true;
}

// An address token that is not a dotted quad (IPv6, or a bad one), kept out of line so the IPv4
// path stays small: its length when it ends in one space and parses, else 0.
[[gnu::noinline]] std::size_t scan_other_ip(const char* c, const char* end, IpAddr* a) {
  const std::size_t n = span_token(c, end);
  if (n == SIZE_MAX || n == 0 || c[n] != ' ') return 0;
  const std::string_view tok(c, n);
  if (!parse_ipv6_plain(tok, a) && !IpAddr::parse(tok, a)) return 0;
  return n;
}

void append_quoted(std::string* out, std::string_view tok) {
  out->push_back('"');
  if (tok.size() > kMaxQuotedBytes) {
    out->append(tok.substr(0, kMaxQuotedBytes));
    out->append("...");
  } else {
    out->append(tok);
  }
  out->push_back('"');
}

std::string_view protocol_name(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 58:
      return "icmpv6";
    case 132:
      return "sctp";
    default:
      return {};
  }
}

}  // namespace

std::string_view flow_field_name(FlowField f) {
  return f < FlowField::kCount ? kFields[idx(f)].name : std::string_view{};
}

std::string_view flow_field_json_name(FlowField f) {
  return f < FlowField::kCount ? kFields[idx(f)].json : std::string_view{};
}

bool flow_field_from_name(std::string_view name, FlowField* out) {
  for (std::size_t i = 0; i < kFlowFieldCount; ++i) {
    if (name_equals(kFields[i].name, name)) {
      *out = static_cast<FlowField>(i);
      return true;
    }
  }
  return false;
}

bool VpcFlowParser::add_column(std::string_view name, std::string* error) {
  Column col{FlowField::kCount, 0, name};
  FlowField f;
  if (flow_field_from_name(name, &f)) {
    if (rec_.in_format_mask & bit(f)) {
      *error = "field '" + std::string(kFields[idx(f)].name) + "' appears twice";
      return false;
    }
    col.field = f;
    rec_.in_format_mask |= bit(f);
  } else {
    std::string json(name);
    for (char& c : json) c = c == '-' ? '_' : lower(c);
    for (const auto& existing : extra_json_names_) {
      if (existing == json) {
        *error = "field '" + json + "' appears twice";
        return false;
      }
    }
    col.extra = static_cast<uint32_t>(extra_json_names_.size());
    extra_json_names_.push_back(std::move(json));
  }
  columns_.push_back(col);
  return true;
}

void VpcFlowParser::finish_columns() {
  extra_name_views_.clear();
  for (const auto& n : extra_json_names_) extra_name_views_.emplace_back(n);
  extra_values_.assign(extra_json_names_.size(), std::string_view{});
  tokens_.assign(columns_.size() + 1, std::string_view{});
  default_v2_ = columns_.size() == kDefaultV2.size();
  for (std::size_t i = 0; default_v2_ && i < columns_.size(); ++i) {
    default_v2_ = columns_[i].field == kDefaultV2[i];
  }
  rec_.extra_names = extra_name_views_.data();
  rec_.extra_values = extra_values_.data();
  rec_.extra_count = extra_values_.size();
  format_.clear();
  for (const auto& c : columns_) {
    if (!format_.empty()) format_.push_back(' ');
    format_.append("${").append(c.name).append("}");
  }
  rec_.format = format_;
}

bool VpcFlowParser::set_columns_from_format(std::string_view format, std::string* error) {
  bool ok = true;
  for_each_token(format, [&](std::string_view tok) {
    if (tok.size() < 4 || tok.substr(0, 2) != "${" || tok.back() != '}') {
      *error = "format string token ";
      append_quoted(error, tok);
      error->append(" is not ${field-name}");
      ok = false;
      return false;
    }
    std::string_view name = tok.substr(2, tok.size() - 3);
    if (!is_name_token(name)) {
      *error = "format string field name ";
      append_quoted(error, name);
      error->append(" is not a field name");
      ok = false;
      return false;
    }
    ok = add_column(name, error);
    return ok;
  });
  if (ok && columns_.empty()) {
    *error = "format string has no fields";
    ok = false;
  }
  if (ok) finish_columns();
  return ok;
}

bool VpcFlowParser::set_columns_from_header(std::string_view header, std::string* error) {
  bool ok = true;
  for_each_token(header, [&](std::string_view tok) {
    ok = add_column(tok, error);
    return ok;
  });
  if (ok && columns_.empty()) {
    *error = "header line has no fields";
    ok = false;
  }
  if (ok) finish_columns();
  return ok;
}

void VpcFlowParser::set_default_columns() {
  for (FlowField f : kDefaultV2) {
    columns_.push_back(Column{f, 0, kFields[idx(f)].name});
    rec_.in_format_mask |= bit(f);
  }
  finish_columns();
}

bool VpcFlowParser::looks_like_flow_header(std::string_view first_line) {
  if (first_line.size() >= 3 && first_line.substr(0, 3) == "\xEF\xBB\xBF") {
    first_line.remove_prefix(3);
  }
  while (!first_line.empty() && (first_line.back() == '\r' || first_line.back() == '\n')) {
    first_line.remove_suffix(1);
  }
  bool all_names = true;
  bool any_known = false;
  for_each_token(first_line, [&](std::string_view tok) {
    if (!is_name_token(tok)) {
      all_names = false;
      return false;
    }
    FlowField f;
    if (flow_field_from_name(tok, &f)) any_known = true;
    return true;
  });
  return all_names && any_known;
}

bool VpcFlowParser::looks_like_flow_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty() || line.size() > limits::kMaxLineBytes || has_bad_byte(line)) return false;
  std::size_t n = 0;
  bool status = false;
  bool no_data = false;
  bool ip = false;
  for_each_token(line, [&](std::string_view tok) {
    ++n;
    if (tok_is(tok, "OK")) {
      status = true;
    } else if (tok_is(tok, "NODATA") || tok_is(tok, "SKIPDATA")) {
      status = no_data = true;
    } else if (!ip && tok.find_first_of(".:") != std::string_view::npos) {
      IpAddr a;
      ip = IpAddr::parse(tok, &a);  // not parse_ip: no padding here
    }
    return n <= 256;
  });
  return n >= 4 && n <= 256 && status && (ip || no_data);
}

void VpcFlowParser::reject_bad_bytes(std::string_view line, std::size_t bad_at) {
  // Name the column the byte sits in: count the tokens that start before it.
  std::size_t column = 0;
  bool in_token = false;
  for (std::size_t i = 0; i < bad_at; ++i) {
    if (is_blank(line[i])) {
      in_token = false;
    } else if (!in_token) {
      in_token = true;
      ++column;
    }
  }
  if (!in_token && !is_blank(line[bad_at])) ++column;
  std::size_t col_index = column == 0 ? 0 : column - 1;
  unsigned char c = static_cast<unsigned char>(line[bad_at]);
  detail_.clear();
  if (col_index < columns_.size()) {
    detail_.append(columns_[col_index].name);
  } else {
    detail_.append("column ");
    detail_.append(std::to_string(col_index + 1));
  }
  detail_.append(c == 0 ? ": NUL byte" : c < 0x80 ? ": control byte" : ": non-ASCII byte");
  char hex[8];
  static constexpr char kHex[] = "0123456789abcdef";
  hex[0] = ' ';
  hex[1] = '0';
  hex[2] = 'x';
  hex[3] = kHex[c >> 4];
  hex[4] = kHex[c & 0xF];
  detail_.append(hex, 5);
  detail_.append(" at byte ");
  detail_.append(std::to_string(bad_at));
}

const char* VpcFlowParser::parse_default_v2_fast(const char* p, const char* end) {
  // Fields go straight into rec_ as they are read; if the line is given back, parse_line
  // rewrites every field it reports, so nothing half-written reaches a sink.
  FlowRecord& r = rec_;
  const char* c = p;
  uint64_t v;
  std::size_t n;
  // An unsigned decimal field ending in one space, value <= max.
  auto number = [&](FlowField f, uint64_t max) -> bool {
    if (c >= end || !scan_digits(c, &v, &n) || c[n] != ' ' || v > max) return false;
    r.raw[idx(f)] = std::string_view(c, n);
    c += n + 1;
    return true;
  };
  // A text field ending in one space; `-` (absent) is left to parse_line.
  auto text = [&](FlowField f) -> bool {
    if (c >= end) return false;
    n = span_token(c, end);
    if (n == SIZE_MAX || n == 0 || c[n] != ' ' || (n == 1 && c[0] == '-')) return false;
    r.raw[idx(f)] = std::string_view(c, n);
    c += n + 1;
    return true;
  };
  auto address = [&](FlowField f, IpAddr* a) -> bool {
    if (c >= end) return false;
    n = scan_ipv4(c, a);
    if (n == 0 || c[n] != ' ') [[unlikely]] {
      n = scan_other_ip(c, end, a);
      if (n == 0) return false;
    }
    r.raw[idx(f)] = std::string_view(c, n);
    c += n + 1;
    return true;
  };

  if (!number(FlowField::kVersion, INT32_MAX)) return nullptr;
  r.version = static_cast<int32_t>(v);
  if (!text(FlowField::kAccountId) || !text(FlowField::kInterfaceId)) return nullptr;
  if (!address(FlowField::kSrcaddr, &r.srcaddr) || !address(FlowField::kDstaddr, &r.dstaddr)) {
    return nullptr;
  }
  if (!number(FlowField::kSrcport, 65535)) return nullptr;
  r.srcport = static_cast<uint16_t>(v);
  if (!number(FlowField::kDstport, 65535)) return nullptr;
  r.dstport = static_cast<uint16_t>(v);
  if (!number(FlowField::kProtocol, 255)) return nullptr;
  r.protocol = static_cast<uint8_t>(v);
  if (!number(FlowField::kPackets, INT64_MAX)) return nullptr;
  r.packets = static_cast<int64_t>(v);
  if (!number(FlowField::kBytes, INT64_MAX)) return nullptr;
  r.bytes = static_cast<int64_t>(v);
  if (!number(FlowField::kStart, INT64_MAX)) return nullptr;
  r.start = static_cast<int64_t>(v);
  if (!number(FlowField::kEnd, INT64_MAX)) return nullptr;
  r.end = static_cast<int64_t>(v);
  if (c >= end) return nullptr;
  // `ACCEPT OK\n` / `REJECT OK\n`: two 8-byte compares, then the newline must be in the data.
  const uint64_t w = load8(c) & 0x00FFFFFFFFFFFFFFULL;
  if (w == (le8("ACCEPT  ") & 0x00FFFFFFFFFFFFFFULL)) {
    r.action = FlowAction::kAccept;
  } else if (w == (le8("REJECT  ") & 0x00FFFFFFFFFFFFFFULL)) {
    r.action = FlowAction::kReject;
  } else {
    return nullptr;
  }
  r.raw[idx(FlowField::kAction)] = std::string_view(c, 6);
  c += 7;
  uint32_t s;
  std::memcpy(&s, c, 4);
  if ((s & 0xFFFFFFU) != (uint32_t{'O'} | (uint32_t{'K'} << 8) | (uint32_t{'\n'} << 16))) {
    return nullptr;
  }
  const char* nl = c + 2;
  if (nl >= end || static_cast<std::size_t>(nl - p) > limits::kMaxLineBytes) return nullptr;
  r.log_status = FlowLogStatus::kOk;
  r.raw[idx(FlowField::kLogStatus)] = std::string_view(c, 2);
  r.present_mask = kDefaultV2Mask;
  return nl;
}

bool VpcFlowParser::parse_line(std::string_view line, RejectReason* reason) {
  // One pass over the line, 64 bytes at a time: a mask of separators (space, tab) and a mask of
  // bytes that reject the line (other controls, DEL, non-ASCII). Tokens are the runs between
  // separator transitions. Reading up to 63 bytes past the line is safe: the data has kPadding
  // readable bytes after its end. Positions past the line count as separators.
  const std::size_t ncols = columns_.size();
  const std::size_t cap = ncols + 1;
  std::string_view* toks = tokens_.data();
  const char* p = line.data();
  const std::size_t len = line.size();
  std::size_t n = 0;
  std::size_t tok_start = 0;
  bool in_tok = false;
  uint64_t prev_sep = 1;
  for (std::size_t base = 0; base < len; base += 64) {
    uint64_t sep;
    uint64_t bad;
    scan64(p + base, &sep, &bad);
    if (len - base < 64) {
      const uint64_t valid = (uint64_t{1} << (len - base)) - 1;
      sep |= ~valid;
      bad &= valid;
    }
    if (bad != 0) [[unlikely]] {
      reject_bad_bytes(line, base + static_cast<std::size_t>(__builtin_ctzll(bad)));
      *reason = RejectReason::kBadValue;
      return false;
    }
    const uint64_t shifted = (sep << 1) | prev_sep;
    prev_sep = sep >> 63;
    uint64_t starts = ~sep & shifted;
    uint64_t ends = sep & ~shifted;
    if (in_tok) {  // a token carried over from the previous 64 bytes
      if (ends == 0) continue;
      const std::size_t e = base + static_cast<std::size_t>(__builtin_ctzll(ends));
      ends &= ends - 1;
      if (n < cap) toks[n] = std::string_view(p + tok_start, e - tok_start);
      ++n;
      in_tok = false;
    }
    while (starts != 0) {
      const std::size_t b = base + static_cast<std::size_t>(__builtin_ctzll(starts));
      starts &= starts - 1;
      if (ends == 0) {
        tok_start = b;
        in_tok = true;
        break;
      }
      const std::size_t e = base + static_cast<std::size_t>(__builtin_ctzll(ends));
      ends &= ends - 1;
      if (n < cap) toks[n] = std::string_view(p + b, e - b);
      ++n;
    }
  }
  if (in_tok) {
    if (n < cap) toks[n] = std::string_view(p + tok_start, len - tok_start);
    ++n;
  }
  if (n != ncols) {
    detail_.clear();
    detail_.append("expected ");
    detail_.append(std::to_string(ncols));
    detail_.append(" fields, got ");
    detail_.append(std::to_string(n));
    *reason = RejectReason::kBadFieldCount;
    return false;
  }

  FlowRecord& r = rec_;
  r.version = 0;
  r.srcport = r.dstport = 0;
  r.protocol = 0;
  r.action = FlowAction::kNone;
  r.log_status = FlowLogStatus::kNone;
  r.flow_direction = FlowDirection::kNone;
  r.packets = r.bytes = r.start = r.end = 0;
  r.tcp_flags = r.traffic_path = 0;
  r.packets_lost_no_route = r.packets_lost_blackhole = 0;
  r.packets_lost_mtu_exceeded = r.packets_lost_ttl_expired = 0;
  uint64_t present = 0;

  FieldError err;
  std::size_t failed = 0;
  if (default_v2_) {
    apply_default_v2(r, toks, &present, &err, &failed, std::make_index_sequence<14>{});
  } else {
    for (std::size_t i = 0; i < ncols; ++i) {
      const Column& col = columns_[i];
      if (col.field == FlowField::kCount) {
        const std::string_view tok = toks[i];
        extra_values_[col.extra] = (tok.size() == 1 && tok[0] == '-') ? std::string_view{} : tok;
        continue;
      }
      err = apply_field(r, col.field, kFields[idx(col.field)].kind, toks[i], &present);
      if (err.reason != RejectReason::kCount) {
        failed = i;
        break;
      }
    }
  }
  if (err.reason != RejectReason::kCount) [[unlikely]] {
    detail_.clear();
    detail_.append(columns_[failed].name);
    detail_.append(": ");
    detail_.append(err.what);
    detail_.append(": ");
    append_quoted(&detail_, toks[failed]);
    *reason = err.reason;
    return false;
  }
  r.present_mask = present;
  // Addresses that are `-` must not keep the previous line's value.
  if (!(present & bit(FlowField::kSrcaddr))) r.srcaddr = IpAddr{};
  if (!(present & bit(FlowField::kDstaddr))) r.dstaddr = IpAddr{};
  if (!(present & bit(FlowField::kPktSrcaddr))) r.pkt_srcaddr = IpAddr{};
  if (!(present & bit(FlowField::kPktDstaddr))) r.pkt_dstaddr = IpAddr{};
  return true;
}

void VpcFlowParser::parse(std::string_view data, const FileContext& ctx, EventSink& sink) {
  columns_.clear();
  extra_json_names_.clear();
  rec_ = FlowRecord{};
  rec_.meta.type = LogType::kVpcFlow;

  auto file_reject = [&](uint64_t line, uint64_t offset, std::string_view detail) {
    Reject rj;
    rj.where = SourceRef{ctx.path, -1, line, offset};
    rj.reason = RejectReason::kBadHeader;
    rj.detail = detail;
    rj.records = 0;
    sink.on_reject(rj);
  };

  const bool from_options = ctx.options != nullptr && !ctx.options->flow_format.empty();
  bool have_columns = false;
  if (from_options) {
    std::string error;
    if (!set_columns_from_format(ctx.options->flow_format, &error)) {
      file_reject(0, 0, "bad --flow-format: " + error);
      return;
    }
    have_columns = true;
  }

  const char* base = data.data();
  const std::size_t size = data.size();
  std::size_t pos = 0;
  if (size >= 3 && std::memcmp(base, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  uint64_t line_no = 0;
  int64_t record = 0;
  bool seen_nonblank = false;
  auto emit = [&](std::size_t start, std::string_view line) {
    rec_.line = line;
    EventMeta& m = rec_.meta;
    m.ref = SourceRef{ctx.path, record, line_no, start};
    m.time_ms = rec_.has(FlowField::kStart) ? rec_.start * 1000 : kNoTime;
    m.account =
        rec_.has(FlowField::kAccountId) ? rec_.get(FlowField::kAccountId) : ctx.path_info.account;
    m.region = rec_.has(FlowField::kRegion) ? rec_.get(FlowField::kRegion) : ctx.path_info.region;
    sink.on_flow(rec_);
    ++record;
  };

  while (pos < size) {
    const std::size_t start = pos;
    // Once the layout is known to be the default v2 one, most lines take the fast path, which
    // also finds the newline (no separate memchr). Lines it gives back take the general path.
    if (default_v2_ && seen_nonblank) {
      if (const char* fast_nl = parse_default_v2_fast(base + pos, base + size)) {
        pos = static_cast<std::size_t>(fast_nl - base) + 1;
        ++line_no;
        emit(start,
             std::string_view(base + start, static_cast<std::size_t>(fast_nl - base) - start));
        continue;
      }
    }
    const void* nl = std::memchr(base + pos, '\n', size - pos);
    const std::size_t line_end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : size;
    pos = nl ? line_end + 1 : size;
    ++line_no;
    std::size_t len = line_end - start;
    if (len > 0 && base[start + len - 1] == '\r') --len;
    std::string_view line(base + start, len);

    if (len > limits::kMaxLineBytes) {
      detail_.clear();
      detail_.append("line of ");
      detail_.append(std::to_string(len));
      detail_.append(" bytes is longer than the limit of ");
      detail_.append(std::to_string(limits::kMaxLineBytes));
      Reject rj{SourceRef{ctx.path, record, line_no, start}, RejectReason::kLineTooLong, detail_};
      sink.on_reject(rj);
      ++record;
      if (!seen_nonblank && !have_columns) {
        set_default_columns();  // a header line is never that long
        have_columns = true;
      }
      seen_nonblank = true;
      continue;
    }

    // Blank lines (only spaces/tabs) are skipped. Most lines start with a non-blank byte.
    if (len == 0 || is_blank(line[0])) {
      std::size_t k = 0;
      while (k < len && is_blank(line[k])) ++k;
      if (k == len) continue;
    }

    if (!seen_nonblank) {
      seen_nonblank = true;
      const bool header = looks_like_flow_header(line);
      if (!have_columns) {
        if (header) {
          std::string error;
          if (!set_columns_from_header(line, &error)) {
            file_reject(line_no, start, "bad header line: " + error);
            return;
          }
          have_columns = true;
          continue;
        }
        set_default_columns();
        have_columns = true;
      } else if (header) {
        continue;  // the format string wins; the file's own header is not data
      }
    }

    RejectReason reason;
    if (!parse_line(line, &reason)) {
      Reject rj{SourceRef{ctx.path, record, line_no, start}, reason, detail_};
      sink.on_reject(rj);
      ++record;
      continue;
    }
    emit(start, line);
  }
}

void write_flow_json(const FlowRecord& f, JsonWriter& w) {
  for (std::size_t i = 0; i < kFlowFieldCount; ++i) {
    const auto field = static_cast<FlowField>(i);
    if (!f.in_format(field)) continue;
    // `region` is already the envelope's region (the field wins over the path there).
    if (field == FlowField::kRegion) continue;
    w.key(kFields[i].json);
    if (!f.has(field)) {
      w.null();
      continue;
    }
    switch (kFields[i].kind) {
      case Kind::kString:
      case Kind::kAction:
      case Kind::kLogStatus:
      case Kind::kDirection:
        w.string(f.raw[i]);
        break;
      case Kind::kMaybeNumber: {
        uint64_t v;
        if (parse_uint(f.raw[i], INT64_MAX, &v)) {
          w.number(static_cast<int64_t>(v));
        } else {
          w.string(f.raw[i]);
        }
        break;
      }
      case Kind::kIp: {
        const IpAddr& a = field == FlowField::kSrcaddr      ? f.srcaddr
                          : field == FlowField::kDstaddr    ? f.dstaddr
                          : field == FlowField::kPktSrcaddr ? f.pkt_srcaddr
                                                            : f.pkt_dstaddr;
        std::string text;
        a.append_to(&text);
        w.string(text);
        break;
      }
      case Kind::kVersion:
        w.number(static_cast<int64_t>(f.version));
        break;
      case Kind::kPort:
        w.number(static_cast<int64_t>(field == FlowField::kSrcport ? f.srcport : f.dstport));
        break;
      case Kind::kProtocol:
        w.number(static_cast<int64_t>(f.protocol));
        break;
      case Kind::kCount64:
      case Kind::kTime: {
        int64_t v = 0;
        switch (field) {
          case FlowField::kPackets:
            v = f.packets;
            break;
          case FlowField::kBytes:
            v = f.bytes;
            break;
          case FlowField::kStart:
            v = f.start;
            break;
          case FlowField::kEnd:
            v = f.end;
            break;
          case FlowField::kPacketsLostNoRoute:
            v = f.packets_lost_no_route;
            break;
          case FlowField::kPacketsLostBlackhole:
            v = f.packets_lost_blackhole;
            break;
          case FlowField::kPacketsLostMtuExceeded:
            v = f.packets_lost_mtu_exceeded;
            break;
          default:
            v = f.packets_lost_ttl_expired;
            break;
        }
        w.number(v);
        break;
      }
      case Kind::kSmallInt:
        w.number(
            static_cast<int64_t>(field == FlowField::kTcpFlags ? f.tcp_flags : f.traffic_path));
        break;
    }
  }
  for (std::size_t i = 0; i < f.extra_count; ++i) {
    w.key(f.extra_names[i]);
    if (f.extra_values[i].empty()) {
      w.null();
    } else {
      w.string(f.extra_values[i]);
    }
  }
}

namespace {

void append_endpoint(std::string* out, const FlowRecord& f, FlowField addr, const IpAddr& ip,
                     FlowField port, uint16_t port_value) {
  if (!f.has(addr)) {
    out->push_back('-');
  } else if (ip.v4) {
    ip.append_to(out);
  } else {
    out->push_back('[');
    ip.append_to(out);
    out->push_back(']');
  }
  if (f.has(port)) {
    out->push_back(':');
    out->append(std::to_string(port_value));
  }
}

}  // namespace

void write_flow_table_row(const FlowRecord& f, std::string* out) {
  if (f.meta.time_ms == kNoTime) {
    out->push_back('-');
  } else {
    append_iso8601(out, f.meta.time_ms);
  }
  out->push_back(' ');
  append_endpoint(out, f, FlowField::kSrcaddr, f.srcaddr, FlowField::kSrcport, f.srcport);
  out->append(" -> ");
  append_endpoint(out, f, FlowField::kDstaddr, f.dstaddr, FlowField::kDstport, f.dstport);
  out->push_back(' ');
  if (!f.has(FlowField::kProtocol)) {
    out->push_back('-');
  } else if (std::string_view name = protocol_name(f.protocol); !name.empty()) {
    out->append(name);
  } else {
    out->append("proto=");
    out->append(std::to_string(f.protocol));
  }
  out->push_back(' ');
  out->append(f.action == FlowAction::kAccept   ? "ACCEPT"
              : f.action == FlowAction::kReject ? "REJECT"
                                                : "-");
  out->push_back(' ');
  if (f.has(FlowField::kBytes)) {
    out->append(std::to_string(f.bytes));
    out->push_back('B');
  } else {
    out->push_back('-');
  }
  if (f.has(FlowField::kPackets)) {
    out->push_back(' ');
    out->append(std::to_string(f.packets));
    out->append("pk");
  }
  if (f.log_status == FlowLogStatus::kNoData) out->append(" NODATA");
  if (f.log_status == FlowLogStatus::kSkipData) out->append(" SKIPDATA");
  if (f.has(FlowField::kInterfaceId)) {
    out->push_back(' ');
    out->append(f.get(FlowField::kInterfaceId));
  }
}

}  // namespace sentinel::ingest
