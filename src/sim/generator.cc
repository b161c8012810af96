#include "sim/generator.h"

#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sim/files.h"

namespace sentinel::sim {

namespace {

// Stream numbers for derive_seed, so every file has its own independent generator.
constexpr std::uint64_t kCtFileStream = 1ULL << 40;
constexpr std::uint64_t kFlowFileStream = 2ULL << 40;
constexpr std::uint64_t kCtPlanStream = 3;
constexpr std::uint64_t kFlowPlanStream = 4;
constexpr std::uint64_t kCtPlainStream = 5;
constexpr std::uint64_t kFlowPlainStream = 6;

constexpr std::size_t kPlainFlushBytes = std::size_t{4} << 20;

struct FilePlan {
  std::size_t account;
  std::string_view region;
  std::int64_t time;  // delivery time (CloudTrail) or window start (flows)
  std::uint64_t records;
  std::string rel_path;
};

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

// "A few hundred" records per CloudTrail file, with quiet minutes and busy bursts.
std::uint64_t ct_file_records(Rng& rng) {
  const std::uint64_t r = rng.below(100);
  if (r < 15) return static_cast<std::uint64_t>(rng.range(1, 60));
  if (r < 85) return static_cast<std::uint64_t>(rng.range(150, 550));
  return static_cast<std::uint64_t>(rng.range(550, 1200));
}

std::uint64_t flow_file_records(Rng& rng) {
  const std::uint64_t r = rng.below(100);
  if (r < 20) return static_cast<std::uint64_t>(rng.range(1, 200));
  return static_cast<std::uint64_t>(rng.range(1000, 6000));
}

std::vector<FilePlan> plan_cloudtrail(const World& world, std::uint64_t seed, std::uint64_t total) {
  Rng rng(derive_seed(seed, kCtPlanStream));
  std::vector<FilePlan> plans;
  std::int64_t t = kStartTime + 600;
  for (std::uint64_t left = total; left > 0;) {
    FilePlan p;
    p.account = rng.below(world.accounts.size());
    p.region = rng.pick(kRegions);
    t += rng.range(5, 90);
    p.time = t;
    p.records = std::min(left, ct_file_records(rng));
    left -= p.records;
    const std::string& acct = world.accounts[p.account].id;
    p.rel_path = "cloudtrail/AWSLogs/" + acct + "/CloudTrail/" + std::string(p.region) + "/" +
                 date_dirs(t) + "/" + acct + "_CloudTrail_" + std::string(p.region) + "_" +
                 stamp_minute(t) + "_";
    append_random(p.rel_path, rng, kAlnum, 16);
    p.rel_path += ".json.gz";
    plans.push_back(std::move(p));
  }
  return plans;
}

std::vector<FilePlan> plan_flows(const World& world, std::uint64_t seed, std::uint64_t total) {
  Rng rng(derive_seed(seed, kFlowPlanStream));
  std::vector<FilePlan> plans;
  std::int64_t t = kStartTime;
  for (std::uint64_t left = total; left > 0;) {
    FilePlan p;
    p.account = rng.below(world.accounts.size());
    p.region = rng.pick(kRegions);
    t += rng.range(10, 120);
    p.time = t / 300 * 300;
    p.records = std::min(left, flow_file_records(rng));
    left -= p.records;
    const Account& acct = world.accounts[p.account];
    p.rel_path = "vpcflow/AWSLogs/" + acct.id + "/vpcflowlogs/" + std::string(p.region) + "/" +
                 date_dirs(p.time) + "/" + acct.id + "_vpcflowlogs_" + std::string(p.region) + "_" +
                 acct.flow_log_id + "_" + stamp_minute(p.time) + "_";
    append_random(p.rel_path, rng, kHexLower, 8);
    p.rel_path += ".log.gz";
    plans.push_back(std::move(p));
  }
  return plans;
}

std::string compress_with(libdeflate_compressor* c, std::string_view data) {
  std::string out(libdeflate_gzip_compress_bound(c, data.size()), '\0');
  const std::size_t n =
      libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), out.size());
  out.resize(n);
  return out;
}

// Renders one tree file's uncompressed content.
using RenderFn = void (*)(const World&, std::uint64_t seed, const FilePlan&, std::string& out,
                          std::uint64_t& matches);

void render_cloudtrail(const World& world, std::uint64_t seed, const FilePlan& plan,
                       std::string& out, std::uint64_t& matches) {
  CloudTrailGenerator gen(world, seed);
  out += "{\"Records\":[";
  for (std::uint64_t i = 0; i < plan.records; ++i) {
    if (i) out += ',';
    if (gen.append_record(out, plan.account, plan.region, plan.time) == kFilterEventName) ++matches;
  }
  out += "]}";
}

void render_flows(const World& world, std::uint64_t seed, const FilePlan& plan, std::string& out,
                  std::uint64_t& /*matches*/) {
  FlowGenerator gen(world, seed);
  out += kFlowHeader;
  out += '\n';
  for (std::uint64_t i = 0; i < plan.records; ++i)
    gen.append_line(out, plan.account, plan.time + 300);
}

Result<TreeSummary> write_tree(const World& world, const DatasetOptions& opt,
                               const std::vector<FilePlan>& plans, std::uint64_t stream,
                               RenderFn render) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  TreeSummary total;
  std::optional<Error> first_error;

  auto worker = [&] {
    Compressor comp(libdeflate_alloc_compressor(opt.gzip_level));
    TreeSummary mine;
    std::string raw;
    if (!comp) {
      std::lock_guard lock(mu);
      if (!first_error) first_error = Error{"out_of_memory", "cannot allocate a compressor"};
      return;
    }
    for (std::size_t i = next++; i < plans.size(); i = next++) {
      {
        std::lock_guard lock(mu);
        if (first_error) return;
      }
      const FilePlan& plan = plans[i];
      raw.clear();
      render(world, derive_seed(opt.seed, stream + i), plan, raw, mine.filter_matches);
      const std::string gz = compress_with(comp.get(), raw);
      auto written = write_file(opt.out_dir / plan.rel_path, gz);
      if (!written) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = written.error();
        return;
      }
      mine.files += 1;
      mine.records += plan.records;
      mine.raw_bytes += raw.size();
      mine.gz_bytes += *written;
    }
    std::lock_guard lock(mu);
    total.files += mine.files;
    total.records += mine.records;
    total.raw_bytes += mine.raw_bytes;
    total.gz_bytes += mine.gz_bytes;
    total.filter_matches += mine.filter_matches;
  };

  const unsigned jobs = std::max(1u, opt.jobs);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first_error) return *first_error;
  return total;
}

// Streams a large uncompressed file through a bounded buffer.
class PlainWriter {
 public:
  explicit PlainWriter(std::filesystem::path path) : path_(std::move(path)) {}
  Result<bool> open() {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    file_.reset(std::fopen(path_.c_str(), "wb"));
    if (!file_) return io_error(path_, "cannot open for writing");
    buf_.reserve(kPlainFlushBytes + (1 << 16));
    return true;
  }
  std::string& buffer() { return buf_; }
  Result<bool> maybe_flush(bool force = false) {
    if (!force && buf_.size() < kPlainFlushBytes) return true;
    if (std::fwrite(buf_.data(), 1, buf_.size(), file_.get()) != buf_.size()) {
      return io_error(path_, "short write to");
    }
    bytes_ += buf_.size();
    buf_.clear();
    return true;
  }
  Result<std::uint64_t> close() {
    auto flushed = maybe_flush(true);
    if (!flushed) return flushed.error();
    if (std::fclose(file_.release()) != 0) return io_error(path_, "cannot close");
    return bytes_;
  }

 private:
  std::filesystem::path path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string buf_;
  std::uint64_t bytes_ = 0;
};

Result<std::uint64_t> write_plain_cloudtrail(const World& world, const DatasetOptions& opt,
                                             std::uint64_t& matches) {
  PlainWriter w(opt.out_dir / "cloudtrail.json");
  if (auto r = w.open(); !r) return r.error();
  CloudTrailGenerator gen(world, derive_seed(opt.seed, kCtPlainStream));
  Rng& rng = gen.rng();
  std::string& out = w.buffer();
  out += "{\"Records\":[";
  std::int64_t t = kStartTime + 600;
  std::size_t account = 0;
  std::string_view region = kRegions[0];
  std::uint64_t batch_left = 0;
  for (std::uint64_t i = 0; i < opt.plain_events; ++i) {
    if (batch_left == 0) {  // same shape as the tree: batches per account, region and minute
      account = rng.below(world.accounts.size());
      region = rng.pick(kRegions);
      t += rng.range(5, 90);
      batch_left = ct_file_records(rng);
    }
    --batch_left;
    if (i) out += ',';
    if (gen.append_record(out, account, region, t) == kFilterEventName) ++matches;
    if (auto r = w.maybe_flush(); !r) return r.error();
  }
  out += "]}";
  return w.close();
}

Result<std::uint64_t> write_plain_flows(const World& world, const DatasetOptions& opt) {
  PlainWriter w(opt.out_dir / "vpcflow.log");
  if (auto r = w.open(); !r) return r.error();
  FlowGenerator gen(world, derive_seed(opt.seed, kFlowPlainStream));
  Rng& rng = gen.rng();
  std::string& out = w.buffer();
  out += kFlowHeader;
  out += '\n';
  std::int64_t t = kStartTime;
  std::size_t account = 0;
  std::uint64_t batch_left = 0;
  for (std::uint64_t i = 0; i < opt.plain_flows; ++i) {
    if (batch_left == 0) {
      account = rng.below(world.accounts.size());
      t += rng.range(10, 120);
      batch_left = flow_file_records(rng);
    }
    --batch_left;
    gen.append_line(out, account, t / 300 * 300 + 300);
    if (auto r = w.maybe_flush(); !r) return r.error();
  }
  return w.close();
}

void put_tree(std::string& out, std::string_view name, const TreeSummary& t, bool ct) {
  out += "  \"";
  out += name;
  out += "\": {\"files\": " + std::to_string(t.files) +
         ", \"records\": " + std::to_string(t.records) +
         ", \"raw_bytes\": " + std::to_string(t.raw_bytes) +
         ", \"gz_bytes\": " + std::to_string(t.gz_bytes);
  if (ct) out += ", \"filter_matches\": " + std::to_string(t.filter_matches);
  out += "},\n";
}

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
  Compressor c(libdeflate_alloc_compressor(level));
  if (!c) return {};
  return compress_with(c.get(), data);
}

Result<DatasetSummary> generate_dataset(const DatasetOptions& opt) {
  const World world = make_world(opt.seed);
  DatasetSummary s;
  s.seed = opt.seed;
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) return io_error(opt.out_dir, "cannot create directory");

  if (opt.events > 0) {
    auto tree = write_tree(world, opt, plan_cloudtrail(world, opt.seed, opt.events), kCtFileStream,
                           render_cloudtrail);
    if (!tree) return tree.error();
    s.cloudtrail_tree = *tree;
  }
  if (opt.flows > 0) {
    auto tree = write_tree(world, opt, plan_flows(world, opt.seed, opt.flows), kFlowFileStream,
                           render_flows);
    if (!tree) return tree.error();
    s.flow_tree = *tree;
  }
  if (opt.plain_events > 0) {
    auto bytes = write_plain_cloudtrail(world, opt, s.plain_filter_matches);
    if (!bytes) return bytes.error();
    s.plain_events = opt.plain_events;
    s.plain_events_bytes = *bytes;
  }
  if (opt.plain_flows > 0) {
    auto bytes = write_plain_flows(world, opt);
    if (!bytes) return bytes.error();
    s.plain_flows = opt.plain_flows;
    s.plain_flows_bytes = *bytes;
  }
  auto manifest = write_file(opt.out_dir / "manifest.json", manifest_json(s));
  if (!manifest) return manifest.error();
  return s;
}

std::string manifest_json(const DatasetSummary& s) {
  std::string out = "{\n";
  out += "  \"generator\": \"sentinel-gen 1\",\n";
  out += "  \"seed\": " + std::to_string(s.seed) + ",\n";
  out += "  \"filter_event_name\": \"" + std::string(kFilterEventName) + "\",\n";
  put_tree(out, "cloudtrail_tree", s.cloudtrail_tree, true);
  put_tree(out, "flow_tree", s.flow_tree, false);
  out += "  \"cloudtrail_plain\": {\"path\": \"cloudtrail.json\", \"records\": " +
         std::to_string(s.plain_events) + ", \"bytes\": " + std::to_string(s.plain_events_bytes) +
         ", \"filter_matches\": " + std::to_string(s.plain_filter_matches) + "},\n";
  out += "  \"flow_plain\": {\"path\": \"vpcflow.log\", \"records\": " +
         std::to_string(s.plain_flows) + ", \"bytes\": " + std::to_string(s.plain_flows_bytes) +
         "}\n}\n";
  return out;
}

}  // namespace sentinel::sim
