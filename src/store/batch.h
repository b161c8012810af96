#pragma once
/// What one input file amounts to for the store, built on a reader thread and written by the
/// writer thread: rows with their strings in one arena (no per-field allocation), raw records
/// already compressed into blocks, and flow records as compressed blocks of lines. A delivered
/// gzip file of moderate size is kept as it came, as one block (codec.h, "gzip block"), instead
/// of being inflated records compressed again.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event.h"
#include "store/codec.h"
#include "store/resource_index.h"

namespace sentinel::store {

/// A string in FileBatch::arena (length 0 = absent).
struct Str {
  uint32_t off = 0;
  uint32_t len = 0;
};

/// A dictionary string of the batch: 0 = absent, else 1 + its index in FileBatch::symbols. The
/// builder stores each distinct string of a file once, so the writer looks each one up in the
/// store's dictionary once per file instead of once per field.
using Sym = uint32_t;

/// Where a raw record lives: the batch's block number and the record's index in it. The writer
/// turns it into raw_ref = raw_blocks.id << 16 | index.
struct RawPos {
  uint32_t block = 0;
  uint32_t index = 0;
};
inline constexpr int kRawIndexBits = 16;
inline constexpr std::size_t kMaxRecordsPerBlock = std::size_t{1} << kRawIndexBits;
/// RawPos::block of a record in the file's gzip block until finish() numbers it.
inline constexpr uint32_t kGzipBlockPending = UINT32_MAX;

/// A gzip file is kept as its own block when it is at most this large as delivered and
/// inflated: reading one record (`show`, search) inflates the whole file, ~10-20 ms for 8 MiB
/// (docs/store.md). Larger files take the DEFLATE path (256 KiB blocks).
inline constexpr std::size_t kGzipBlockMaxDelivered = std::size_t{2} << 20;
inline constexpr std::size_t kGzipBlockMaxInflated = std::size_t{8} << 20;

struct CtRow {
  Str uid;  ///< 16 bytes for a lowercase UUID eventID, else its text, else NUL + content hash
  Str access_key;       ///< text: nearly one per session, not worth a dictionary entry
  int64_t uid_key = 0;  ///< ct_uid_key(uid), computed on the reader thread
  Sym account, region, source, name, source_ip, user_agent, error_code, error_message;
  Sym identity_type, principal, principal_id, user_name, issuer, identity_account;
  Sym event_type, event_category, version;
  int64_t time = ingest::kNoTime;
  int8_t read_only = -1;  ///< -1 absent, 0, 1
  int8_t management = -1;
  int8_t mfa = -1;
  bool insight = false;
  RawPos raw;
  uint32_t terms_off = 0;  ///< its resource terms: FileBatch::ct_terms[terms_off, + terms_n)
  uint32_t terms_n = 0;
};

struct DnsRow {
  Str uid;  ///< content hash (16 bytes)
  Sym account, region, vpc_id, query_name, query_type, rcode, srcaddr, transport, instance_id;
  Sym firewall_action;
  int64_t time = ingest::kNoTime;
  int32_t srcport = -1;
  RawPos raw;
};

struct GdRow {
  Str uid;  ///< content hash (16 bytes)
  Str finding_id, title;
  Sym account, region, type, resource_type;
  double severity = -1;
  int64_t created = ingest::kNoTime;
  int64_t updated = ingest::kNoTime;
  int64_t count = -1;
  int8_t archived = -1;
  RawPos raw;
};

/// A compressed block of raw records (a DEFLATE block or a gzip block: codec.h).
struct RawBlock {
  ingest::LogType type = ingest::LogType::kUnknown;
  uint32_t count = 0;
  uint64_t raw_size = 0;
  std::string data;
  /// CloudTrail blocks: the resource index filter (resource_index.h) and the records' time range
  /// (kNoTime when none has a time).
  std::string grams;
  int64_t min_time = ingest::kNoTime;
  int64_t max_time = ingest::kNoTime;
};

/// Bits in a flow block's bloom filter (keys: source and destination addresses, interface and
/// instance ids). 65536 bits = 8 KiB for up to kFlowsPerBlock records.
inline constexpr std::size_t kFlowBloomBits = 65536;
inline constexpr std::size_t kFlowsPerBlock = 16384;

/// A compressed block of flow lines sharing one format string.
struct FlowBlock {
  std::string format;
  std::string account;  ///< the block's account when all its records share one, else empty
  std::string region;
  uint32_t count = 0;
  int64_t first_start = 0;
  int64_t last_end = 0;
  int64_t bytes = 0;
  uint32_t rejects = 0;  ///< records with action REJECT
  std::string bloom;     ///< kFlowBloomBits / 8 bytes
  uint64_t raw_size = 0;
  std::string data;  ///< DEFLATE of the lines joined by '\n', or the delivered file (codec.h)
};

/// Bloom filter probes for one key (3 positions).
std::array<uint32_t, 3> bloom_positions(std::string_view key);
/// The bloom key of an address: its 16 bytes (IPv4 as v4-mapped).
std::string_view bloom_ip_key(const std::array<uint8_t, 16>& bytes);
bool bloom_has(std::string_view bloom, std::string_view key);

struct FileBatch {
  std::string path;
  uint64_t size = 0;
  std::string sha256;  ///< 32 bytes
  ingest::LogType type = ingest::LogType::kUnknown;
  bool readable = false;
  uint64_t rejects = 0;
  std::string arena;
  std::vector<Str> symbols;  ///< the file's distinct dictionary strings (see Sym)
  /// symbol_hash() of each symbol, by Sym - 1 (set by BatchBuilder::finish(); the writer hashes
  /// the symbols itself when the sizes differ)
  std::vector<uint64_t> symbol_hashes;
  std::vector<CtRow> cloudtrail;
  std::vector<int64_t> ct_terms;  ///< CloudTrail rows' resource postings terms (ct_index.h)
  std::vector<DnsRow> dns;
  std::vector<GdRow> guardduty;
  std::vector<RawBlock> blocks;
  std::vector<FlowBlock> flows;
  uint64_t flow_records = 0;

  std::string_view str(Str s) const { return std::string_view(arena).substr(s.off, s.len); }
  std::string_view sym(Sym s) const { return s == 0 ? std::string_view() : str(symbols[s - 1]); }
  std::span<const int64_t> terms(const CtRow& r) const {
    return std::span<const int64_t>(ct_terms).subspan(r.terms_off, r.terms_n);
  }
  uint64_t events() const {
    return cloudtrail.size() + dns.size() + guardduty.size() + flow_records;
  }
};

/// The hash of a dictionary string that BatchBuilder gives each symbol and the writer's in-memory
/// dictionary keys on (so the writer does not hash a file's strings again).
uint64_t symbol_hash(std::string_view s);

/// The 16-byte id of a record's content (truncated SHA-256).
void content_hash16(std::string_view bytes, std::string* out);
/// SHA-256 of bytes (32 bytes).
std::string sha256(std::string_view bytes);
/// SHA-256 of a file's content read in 1 MiB pieces (constant memory); false with `error` set
/// when it cannot be opened or read.
bool sha256_file(const std::string& path, std::string* out, uint64_t* size, std::string* error);
/// Hex of bytes.
std::string to_hex(std::string_view bytes);

/// Turns parser events into a FileBatch. One per reader thread; begin() before each file,
/// finish() after it. Not thread-safe.
class BatchBuilder : public ingest::EventSink {
 public:
  /// `compression_level` for raw record blocks, `flow_level` for flow blocks (libdeflate 1..12).
  explicit BatchBuilder(int compression_level, int flow_level = 1)
      : level_(compression_level), flow_level_(flow_level) {}

  void begin(FileBatch* batch);
  /// Flushes open blocks into the batch.
  void finish();

  void on_cloudtrail(const ingest::CloudTrailEvent& e) override;
  void on_flow(const ingest::FlowRecord& f) override;
  void on_dns(const ingest::DnsQuery& q) override;
  void on_guardduty(const ingest::GuardDutyFinding& g) override;
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++batch_->rejects; }
  /// A file small enough is kept as delivered: its records that are slices of `inflated` go to
  /// its gzip block (the others to DEFLATE blocks), and its flow records, when there are at most
  /// kFlowsPerBlock, make it one flow block.
  void on_gzip_file(std::string_view delivered, std::string_view inflated) override;

 private:
  Str put(std::string_view s);
  /// The batch's symbol for a dictionary string (0 when empty): one arena copy per distinct string.
  Sym sym(std::string_view s);
  RawPos add_raw(ingest::LogType type, std::string_view raw);
  void flush_raw();
  void flush_gzip();
  void flush_flows();
  /// Leaves the gzip flow block: the lines seen so far become an ordinary open flow block.
  void flows_to_lines();
  /// A CloudTrail record's time range and resource strings, for the block it went to.
  struct CtBlockIndex {
    GramBloomBuilder grams;
    int64_t min_time = ingest::kNoTime, max_time = ingest::kNoTime;
    void add_time(int64_t t);
    void reset();
  };

  int level_;
  int flow_level_;
  FileBatch* batch_ = nullptr;
  BlockBuilder raw_;
  ingest::LogType raw_type_ = ingest::LogType::kUnknown;
  std::string flow_lines_;
  FlowBlock flow_;
  bool flow_open_ = false;
  bool flow_one_account_ = true;
  std::string scratch_;
  CtBlockIndex ct_open_;  ///< the open DEFLATE block's resource index
  CtBlockIndex ct_gzip_;  ///< the gzip block's
  // The file as delivered (gzip_on_ when it may be kept as a block) and its inflated stream.
  bool gzip_on_ = false;
  std::string gzip_;
  const char* inflated_ = nullptr;
  std::size_t inflated_size_ = 0;
  ingest::LogType gzip_type_ = ingest::LogType::kUnknown;
  std::vector<std::pair<uint32_t, uint32_t>> gzip_records_;  ///< (offset, length) in the stream
  bool flow_gzip_ = false;  ///< the open flow block is the delivered file (lines not copied)
  std::vector<Sym> slots_;  ///< open addressing over the batch's symbols (0 = free)
  std::vector<uint64_t> sym_hash_;  ///< hash of each symbol, by Sym - 1
};

}  // namespace sentinel::store
