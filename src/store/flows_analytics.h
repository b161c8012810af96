#pragma once
/// Network analytics over the store's flow blocks (`sentinel flows top|matrix|why|volume`).
///
/// Flow records are not rows (docs/schema.md): these functions read flow_blocks directly,
/// skip blocks outside the time range or whose bloom filter rules a wanted address or id out,
/// inflate the rest once and parse their lines with the VPC flow parser, so a scan costs one
/// pass over the candidate blocks whatever the question.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "detect/ir/predicate.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "store/search_common.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace sentinel::store {

/// Which blocks to read. Times are Unix seconds; a record is kept when it overlaps
/// [since, until). Keys (IP text, interface or instance ids) must all be in a block's bloom.
/// Within a candidate block only the lines that contain the text of every key are parsed (an
/// IPv4 key as its dotted quad, which is the only text the parser reads as that address; an
/// IPv6 key does not narrow the lines, its text having many spellings), so a caller that keeps
/// only records with a field equal to each key sees exactly the records it would see without
/// it. A caller that needs every record of the candidate blocks sets `all_lines`.
struct FlowScan {
  int64_t since_s = kNoLowerTime;
  int64_t until_s = kNoUpperTime;
  std::vector<std::string> keys;
  bool all_lines = false;
};

struct FlowScanStats {
  uint64_t blocks = 0;          ///< blocks in the time range
  uint64_t blocks_skipped = 0;  ///< ruled out by their bloom filter
  uint64_t blocks_damaged = 0;  ///< blobs that did not inflate (reported, not fatal)
  uint64_t records = 0;         ///< records handed to the callback
  uint64_t lines_kept = 0;      ///< lines parsed when keys narrow the lines (else 0)
};

/// The lines of a block of flow lines that the parser must see for `needles` (not empty): the
/// first line (the parser decides there whether it is a header), then every line containing the
/// text of each needle, each with its newline; `*kept` grows by the lines written to `out`.
void kept_lines(std::string_view block, const std::vector<std::string>& needles, std::string* out,
                uint64_t* kept);

/// Calls `fn` for every record of every candidate block in the time range (the caller filters
/// records exactly: a bloom hit is only a maybe). False with *error when the store cannot be read.
bool scan_flows(Store& st, const FlowScan& scan,
                const std::function<void(const ingest::FlowRecord&)>& fn, FlowScanStats* stats,
                std::string* error);

/// scan_flows in steps, for a caller that chooses which blocks to read and in what order (search
/// reads the newest first and stops at its limit): the blocks in the time range, the bloom test
/// of one block, then the records of one block. Not thread-safe; lives no longer than `st`.
class FlowBlockReader {
 public:
  struct Block {
    int64_t id = 0;
    int64_t first_start = 0;  ///< Unix seconds, as flow_blocks has them
    int64_t last_end = 0;     ///< no record's start or end is later
  };
  /// `stats` (optional) counts as scan_flows does.
  FlowBlockReader(Store& st, const FlowScan& scan, FlowScanStats* stats);
  ~FlowBlockReader();
  FlowBlockReader(const FlowBlockReader&) = delete;
  FlowBlockReader& operator=(const FlowBlockReader&) = delete;
  /// The blocks in the time range, in the order scan_flows reads them (first_start, then id),
  /// from the time index alone. False with *error when the store cannot be read.
  bool blocks(std::vector<Block>* out, std::string* error);
  /// False when block `id`'s bloom filter rules out a key. Reads only the filter's bytes that
  /// the keys' bits are in, lowest first, and stops at the first bit not set (most blocks: one
  /// page of the filter's two or three).
  bool may_hold(int64_t id);
  /// Inflates block `id` and calls `fn` for its records (those of the kept lines, as scan_flows),
  /// in line order. A damaged or missing block is counted in the stats, not an error.
  void read(int64_t id, const std::function<void(const ingest::FlowRecord&)>& fn);

 private:
  void recycle_pages();

  Store& st_;
  const FlowScan& scan_;
  FlowScanStats local_;
  FlowScanStats& stats_;
  std::vector<uint32_t> bits_;        // the keys' bloom bits, ascending
  std::vector<std::string> needles_;  // text every kept line holds
  std::string data_error_;
  Stmt data_;                      // a block's format, data and file path
  sqlite3_blob* bloom_ = nullptr;  // the last bloom filter tested
  ingest::VpcFlowParser parser_;
  ingest::ParseOptions options_;
  std::string plain_, kept_, path_;
  uint64_t pages_read_ = 0;  // blocks touched since the page cache was last trimmed
};

enum class FlowMetric { kBytes, kPackets, kFlows };
enum class FlowGroup { kSrc, kDst, kPair, kPort, kEni, kInstance };
enum class ActionFilter { kAny, kAccept, kReject };

/// The service port of a flow: the lower of the two ports (a client's ephemeral port is the
/// higher one in nearly all traffic), with its protocol: `443/tcp`.
std::string service_port(const ingest::FlowRecord& f);
/// The same as a number (for tallies without text): port + 1 in bits 0-16 (0 = no port),
/// protocol + 1 in bits 17-25 (0 = none); service_port_text() writes it as service_port() does.
uint32_t service_port_code(const ingest::FlowRecord& f);
std::string service_port_text(uint32_t code);

struct TopRow {
  std::string key;
  int64_t bytes = 0, packets = 0, flows = 0, accepts = 0, rejects = 0;
  int64_t first = 0, last = 0;  ///< Unix seconds
};
struct TopOptions {
  FlowGroup by = FlowGroup::kSrc;
  FlowMetric metric = FlowMetric::kBytes;
  ActionFilter action = ActionFilter::kAny;
  int64_t since_s = kNoLowerTime, until_s = kNoUpperTime;
  std::size_t limit = 20;
};
Result<std::vector<TopRow>> flows_top(Store& st, const TopOptions& o, FlowScanStats* stats);

/// A named network of sentinel.yaml `networks:`: CIDRs, VPC ids and subnet ids.
struct NamedNetwork {
  std::string name;
  std::vector<detect::Cidr> cidrs;
  std::vector<std::string> vpcs;
  std::vector<std::string> subnets;
};
/// Reads `networks:` (a map of name -> {cidrs: [...], vpcs: [...], subnets: [...]}, or
/// name -> a list of CIDRs / vpc- / subnet- ids). Errors are "networks.<name>...: problem".
bool parse_networks(const YAML::Node& node, std::vector<NamedNetwork>* out,
                    std::vector<std::string>* errors);

/// The network a side of a flow belongs to: the longest matching CIDR, else (for the side the
/// record's interface sits on, known from flow-direction) its subnet's or VPC's network, else
/// "(internet)" for a public address or "(other private)".
struct NetworkMap {
  std::vector<NamedNetwork> nets;
  std::string side(const ingest::FlowRecord& f, bool src) const;
};

struct MatrixCell {
  std::string from, to;
  int64_t bytes = 0, packets = 0, flows = 0, rejects = 0;
};
Result<std::vector<MatrixCell>> flows_matrix(Store& st, const NetworkMap& nets, int64_t since_s,
                                             int64_t until_s, FlowScanStats* stats);

/// `flows why A B`: both directions between two addresses.
struct WhyGroup {
  std::string direction;  ///< "A -> B" or "B -> A" (addresses written out)
  std::string port;       ///< destination port/protocol of the records
  std::string action;     ///< ACCEPT / REJECT
  std::string interface_id;
  std::string side;  ///< for rejects: "ingress at B (eni-...)", "egress at A (...)", "unknown"
  int owner = -1;    ///< who logged it: 0 the source's interface, 1 the destination's, -1 unknown
  int64_t flows = 0, bytes = 0, packets = 0;
  int64_t last_seen = 0;  ///< Unix seconds (record end)
};
struct WhyResult {
  std::string a, b;
  std::vector<WhyGroup> groups;
  int64_t accepted_ab = 0, rejected_ab = 0, accepted_ba = 0, rejected_ba = 0;
  std::string verdict;  ///< one line
};
Result<WhyResult> flows_why(Store& st, const std::string& a, const std::string& b, int port,
                            int64_t since_s, int64_t until_s, FlowScanStats* stats);

/// `flows volume`: bytes per entity per interval, and the intervals far above the entity's own
/// baseline. Baseline = median of the entity's interval totals over the intervals between its
/// first and last one (quiet intervals count as 0); spread = MAD (median absolute deviation).
/// Robust z = 0.6745 * (x - median) / MAD; an interval is flagged when z >= threshold (3.5,
/// Iglewicz and Hoaglin). When MAD is 0 (a flat baseline) the mean absolute deviation * 1.2533
/// stands in; when that is 0 too, nothing is flagged (there is nothing to compare with).
struct VolumePoint {
  int64_t start = 0;  ///< interval start, Unix seconds
  int64_t bytes = 0;
  double z = 0;
  bool outlier = false;
};
struct VolumeSeries {
  std::string entity;
  int64_t total = 0;
  double median = 0, mad = 0;
  std::vector<VolumePoint> points;
};
struct VolumeOptions {
  bool by_instance = false;  ///< else by interface (eni)
  int64_t interval_s = 3600;
  double threshold = 3.5;
  int64_t since_s = kNoLowerTime, until_s = kNoUpperTime;
  std::string entity;  ///< only this one when set
};
Result<std::vector<VolumeSeries>> flows_volume(Store& st, const VolumeOptions& o,
                                               FlowScanStats* stats);
/// The baseline statistics on their own (for tests): fills median, mad, z and outlier.
void score_series(VolumeSeries* s, double threshold);

}  // namespace sentinel::store
