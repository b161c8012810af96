// BatchBuilder with delivered gzip files: a file of moderate size becomes one gzip block (its
// bytes as delivered plus each record's place in the inflated stream), read back byte-exact by
// `show`, the views and search; what cannot be kept that way takes the DEFLATE path.
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gzip_for_tests.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/reader.h"
#include "store/batch.h"
#include "store/codec.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/writer.h"
#include "store_fixture.h"

namespace sentinel::store {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  const char* env = std::getenv("SENTINEL_CORPUS");
  return env ? fs::path(env) : source_dir() / ".." / "shared" / "corpus";
}

class BatchTest : public StoreFixture {
 protected:
  BatchTest() : StoreFixture("sentinel-batch-test") {}

  void SetUp() override {
    StoreFixture::SetUp();
    auto s = Store::open(db_, OpenMode::kReadWrite);
    ASSERT_TRUE(s.ok()) << s.error().message;
    st_ = std::move(*s);
  }

  // Parses `bytes` as the file `path` into *batch; returns the recorded raws.
  Recorder build(const std::string& path, const std::string& bytes, FileBatch* batch) {
    BatchBuilder builder(6);
    Recorder rec(&builder);
    parse_into(path, bytes, builder, rec, batch);
    return rec;
  }

  void write(const FileBatch& batch) {
    Writer w(st_.get());
    ASSERT_TRUE(w.ok()) << w.error();
    WriteCounts counts;
    ASSERT_TRUE(w.begin());
    ASSERT_TRUE(w.add(batch, &counts)) << w.error();
    ASSERT_TRUE(w.commit());
  }

  static std::size_t gzip_blocks(const FileBatch& b) {
    std::size_t n = 0;
    for (const auto& blk : b.blocks) n += is_gzip_block(blk.data) ? 1 : 0;
    for (const auto& f : b.flows) n += is_gzip_block(f.data) ? 1 : 0;
    return n;
  }

  // Every row of `table` written from `batch` gives back its record byte-exact, in file order.
  void expect_rows_byte_exact(const std::string& table, const std::vector<std::string>& raws) {
    Stmt rows(st_->db(), "SELECT raw FROM " + table + " ORDER BY id", nullptr);
    std::size_t i = 0;
    while (rows.step() == SQLITE_ROW) {
      ASSERT_LT(i, raws.size());
      std::string got;
      ASSERT_TRUE(st_->raw_record(rows.col_int(0), &got)) << i;
      EXPECT_EQ(got, raws[i]) << table << " row " << i;
      ++i;
    }
    EXPECT_EQ(i, raws.size());
  }

  std::unique_ptr<Store> st_;
};

TEST_F(BatchTest, CorpusCloudTrailFilesAreKeptAsDeliveredAndReadBackByteExact) {
  const fs::path dir = corpus_dir();
  if (!fs::exists(dir)) {
    if (std::getenv("CI") != nullptr) FAIL() << "corpus missing: " << dir;
    GTEST_SKIP() << "corpus not present: " << dir;
  }
  const std::vector<std::string> files = {
      "opensearch-project__opensearch-catalog/integrations/observability/aws_cloudtrail/data/"
      "raw-large-samples.json",
      "aws__aws-cloudtrail-processing-library/src/test/resources/SerializerTestFile.json",
      "aws__aws-cloudtrail-processing-library/src/test/resources/SerializerTestFileCompact.json.gz",
      "panther-labs__panther-analysis/_extracted/test_scenarios/"
      "compromised-root-creds__attacker_cloudtrail.cloudtrail.json",
  };
  std::size_t total = 0;
  for (const auto& name : files) {
    const std::string bytes = slurp(dir / name);
    ASSERT_FALSE(bytes.empty()) << name;
    const bool delivered_gz = name.size() > 3 && name.substr(name.size() - 3) == ".gz";
    const std::string gz = delivered_gz ? bytes : gzip(bytes);
    FileBatch batch;
    Recorder rec = build(name + (delivered_gz ? "" : ".gz"), gz, &batch);
    ASSERT_FALSE(rec.raws.empty()) << name;
    ASSERT_EQ(rec.gzip_files, 1);
    // One block: the file itself, after its index.
    ASSERT_EQ(batch.blocks.size(), 1u) << name;
    const RawBlock& b = batch.blocks[0];
    EXPECT_TRUE(is_gzip_block(b.data));
    EXPECT_EQ(b.data.substr(b.data.size() - gz.size()), gz);
    EXPECT_EQ(b.count, rec.raws.size());
    EXPECT_FALSE(b.grams.empty());
    // The same file plain takes the DEFLATE path and gives the same rows.
    FileBatch plain;
    const std::string text = delivered_gz ? std::string() : bytes;
    if (!delivered_gz) {
      Recorder again = build(name, text, &plain);
      EXPECT_EQ(again.raws, rec.raws);
      EXPECT_EQ(gzip_blocks(plain), 0u);
      EXPECT_EQ(plain.cloudtrail.size(), batch.cloudtrail.size());
    }
    write(batch);
    total += rec.raws.size();
    std::vector<std::string> raws;
    Stmt rows(st_->db(),
              "SELECT raw, sentinel_event_id(uid) FROM ct_events WHERE file_id = "
              "(SELECT max(id) FROM files) ORDER BY id",
              nullptr);
    std::size_t i = 0;
    while (rows.step() == SQLITE_ROW) {
      std::string got, shown, type;
      ASSERT_TRUE(st_->raw_record(rows.col_int(0), &got));
      ASSERT_LT(i, rec.raws.size());
      EXPECT_EQ(got, rec.raws[i]) << name << " " << i;
      ASSERT_TRUE(st_->find_raw(rows.col_text(1), &shown, &type)) << rows.col_text(1);
      EXPECT_EQ(type, "cloudtrail");
      ++i;
    }
    EXPECT_GT(i, 0u) << name;
  }
  EXPECT_GT(total, 850u);
  // The resource index's rows point at the gzip blocks.
  EXPECT_EQ(scalar(*st_, "SELECT count(*) FROM ct_blocks"), static_cast<int64_t>(files.size()));
}

TEST_F(BatchTest, DnsAndGuardDutyGzipFilesComeBackByteExact) {
  const fs::path tree = source_dir() / "examples" / "aws-logs";
  std::vector<fs::path> dns, gd;
  for (const auto& e : fs::recursive_directory_iterator(tree)) {
    const std::string p = e.path().string();
    if (!e.is_regular_file()) continue;
    if (p.find("/vpcdnsquerylogs/") != std::string::npos && dns.size() < 8) dns.push_back(p);
    if (p.find("/GuardDuty/") != std::string::npos) gd.push_back(p);
  }
  ASSERT_EQ(dns.size(), 8u);
  ASSERT_FALSE(gd.empty());
  std::vector<std::string> dns_raws, gd_raws;
  for (const auto& p : dns) {
    FileBatch batch;
    Recorder rec = build(p.string(), slurp(p), &batch);
    ASSERT_EQ(gzip_blocks(batch), 1u) << p;
    ASSERT_EQ(batch.blocks.size(), 1u);
    write(batch);
    dns_raws.insert(dns_raws.end(), rec.raws.begin(), rec.raws.end());
  }
  for (const auto& p : gd) {
    FileBatch batch;
    Recorder rec = build(p.string(), slurp(p), &batch);
    ASSERT_EQ(gzip_blocks(batch), 1u) << p;
    write(batch);
    gd_raws.insert(gd_raws.end(), rec.raws.begin(), rec.raws.end());
  }
  ASSERT_FALSE(dns_raws.empty());
  ASSERT_FALSE(gd_raws.empty());
  expect_rows_byte_exact("dns_events", dns_raws);
  expect_rows_byte_exact("gd_findings", gd_raws);
  for (const auto& [raws, want_type] :
       {std::pair{&dns_raws, "route53"}, std::pair{&gd_raws, "guardduty"}}) {
    for (const auto& raw : *raws) {
      std::string h, got, type;
      content_hash16(raw, &h);
      ASSERT_TRUE(st_->find_raw(to_hex(h), &got, &type));
      EXPECT_EQ(got, raw);
      EXPECT_EQ(type, want_type);
    }
  }
}

// The `flows` view's rows (record, event id and every field) as text, in order.
std::vector<std::string> flow_rows(Store& st) {
  std::vector<std::string> out;
  Stmt s(st.db(), "SELECT * FROM flows", nullptr);
  EXPECT_TRUE(s.ok()) << sqlite3_errmsg(st.db());
  const int n = sqlite3_column_count(s.get());
  while (s.ok() && s.step() == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < n; ++i) {
      if (std::string_view(sqlite3_column_name(s.get(), i)) == "source_file") continue;
      row += std::string(s.col_text(i)) + "|";
    }
    out.push_back(row);
  }
  return out;
}

TEST_F(BatchTest, FlowFileIsItsOwnBlockAndReadsBackAsThePlainOne) {
  const fs::path p = corpus_dir() / "panther-labs__panther-analysis/_extracted/test_scenarios/" /
                     "compromised-root-creds__attacker_vpc.vpcflow.log";
  if (!fs::exists(p)) {
    if (std::getenv("CI") != nullptr) FAIL() << "corpus missing: " << p;
    GTEST_SKIP() << "corpus not present: " << p;
  }
  std::string text = slurp(p);
  ASSERT_EQ(text.compare(0, 8, "version "), 0) << "the corpus file starts with its header line";
  // What delivered files may also hold: a CRLF line, a blank line, a line the parser rejects,
  // no newline at the end.
  const std::size_t second = text.find('\n', text.find('\n') + 1);
  text.insert(second, "\r");
  text += "\n   \nnot a flow line\n";
  text += text.substr(text.find('\n') + 1, text.find('\n', text.find('\n') + 1) - text.find('\n'));
  while (!text.empty() && text.back() == '\n') text.pop_back();

  FileBatch plain_batch;
  Recorder plain = build("attacker_vpc.log", text, &plain_batch);
  EXPECT_EQ(gzip_blocks(plain_batch), 0u);
  write(plain_batch);
  const std::vector<std::string> want = flow_rows(*st_);
  ASSERT_FALSE(want.empty());

  // The same content as a delivered .gz, into a fresh store.
  st_.reset();
  fs::remove(db_);
  auto s = Store::open(db_, OpenMode::kReadWrite);
  ASSERT_TRUE(s.ok());
  st_ = std::move(*s);
  FileBatch batch;
  const std::string gz = gzip(text);
  Recorder rec = build("attacker_vpc.log.gz", gz, &batch);
  EXPECT_EQ(rec.raws, plain.raws);
  EXPECT_EQ(rec.rejects, plain.rejects);
  EXPECT_GE(rec.rejects, 1);
  ASSERT_EQ(batch.flows.size(), 1u);
  const FlowBlock& f = batch.flows[0];
  EXPECT_TRUE(is_gzip_block(f.data));
  EXPECT_EQ(f.data.substr(f.data.size() - gz.size()), gz);
  EXPECT_EQ(f.raw_size, text.size());
  // The block's summary is the same as the DEFLATE block's.
  const FlowBlock& g = plain_batch.flows[0];
  EXPECT_EQ(f.count, g.count);
  EXPECT_EQ(f.bloom, g.bloom);
  EXPECT_EQ(f.bytes, g.bytes);
  EXPECT_EQ(f.first_start, g.first_start);
  EXPECT_EQ(f.last_end, g.last_end);
  EXPECT_EQ(f.format, g.format);
  write(batch);
  EXPECT_EQ(flow_rows(*st_), want);
  for (const auto& line : rec.raws) {
    std::string h, got, type;
    content_hash16(line, &h);
    ASSERT_TRUE(st_->find_raw(to_hex(h), &got, &type)) << line;
    EXPECT_EQ(got, line);
  }
}

TEST_F(BatchTest, LongFlowFileTakesTheDeflatePath) {
  std::string text =
      "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n";
  const std::size_t n = kFlowsPerBlock + 100;
  for (std::size_t i = 0; i < n; ++i) {
    text += "2 123456789010 eni-1235b8ca123456789 10.0." + std::to_string(i / 250) + "." +
            std::to_string(i % 250) + " 172.31.16.21 " + std::to_string(1024 + i % 5000) +
            " 22 6 20 4249 " + std::to_string(1418530010 + i) + " " +
            std::to_string(1418530070 + i) + " ACCEPT OK\n";
  }
  FileBatch batch;
  Recorder rec = build("long.log.gz", gzip(text, 1), &batch);
  ASSERT_EQ(rec.raws.size(), n);
  ASSERT_EQ(batch.flows.size(), 2u);
  EXPECT_EQ(gzip_blocks(batch), 0u);
  EXPECT_EQ(batch.flows[0].count, kFlowsPerBlock);
  EXPECT_EQ(batch.flows[1].count, 100u);
  EXPECT_EQ(batch.flows[0].first_start, 1418530010);
  write(batch);
  EXPECT_EQ(scalar(*st_, "SELECT count(*) FROM flows"), static_cast<int64_t>(n));
  EXPECT_EQ(scalar(*st_, "SELECT count(*) FROM flows WHERE srcaddr = '10.0.65.133'"), 1);
}

TEST_F(BatchTest, RecordsThatAreNotSlicesOfTheStreamGoToDeflateBlocks) {
  // A record whose bytes are not in the delivered file's inflated stream (a parser that had to
  // rebuild it) is compressed as before, beside the gzip block that holds the others.
  const std::string file =
      "{\"Records\":[{\"eventID\":\"11111111-2222-3333-4444-555555555555\",\"eventTime\":"
      "\"2024-05-06T00:00:00Z\",\"eventName\":\"A\",\"requestParameters\":{\"bucketName\":"
      "\"bucket-in-the-stream\"}}]}";
  const std::string elsewhere =
      "{\"eventID\":\"66666666-2222-3333-4444-555555555555\",\"eventTime\":"
      "\"2024-05-06T01:00:00Z\",\"eventName\":\"B\",\"requestParameters\":{\"bucketName\":"
      "\"bucket-rebuilt-elsewhere\"}}";
  const std::string gz = gzip(file);
  BatchBuilder builder(6);
  FileBatch batch;
  batch.path = "x.json.gz";
  batch.sha256 = sha256(gz);
  builder.begin(&batch);
  builder.on_gzip_file(gz, file);
  ingest::CloudTrailEvent a;
  a.raw = std::string_view(file).substr(12, file.size() - 14);
  a.event_id = "11111111-2222-3333-4444-555555555555";
  a.event_name = "A";
  a.meta.time_ms = 1714953600000;
  builder.on_cloudtrail(a);
  ingest::CloudTrailEvent b;
  b.raw = elsewhere;
  b.event_id = "66666666-2222-3333-4444-555555555555";
  b.event_name = "B";
  b.meta.time_ms = 1714957200000;
  builder.on_cloudtrail(b);
  builder.finish();
  ASSERT_EQ(batch.blocks.size(), 2u);
  EXPECT_EQ(gzip_blocks(batch), 1u);
  for (const auto& blk : batch.blocks) {
    EXPECT_EQ(blk.count, 1u);
    EXPECT_EQ(blk.min_time, blk.max_time);  // each block's own time range
  }
  write(batch);
  expect_rows_byte_exact("ct_events", {std::string(a.raw), elsewhere});
  // Each block's resource filter holds its own record's strings.
  std::vector<uint32_t> in_stream = needle_grams("bucket-in-the-stream");
  Stmt s(st_->db(), "SELECT grams FROM ct_blocks ORDER BY block", nullptr);
  std::vector<bool> holds;
  while (s.step() == SQLITE_ROW) holds.push_back(gram_bloom_may_hold(s.col_blob(0), in_stream));
  ASSERT_EQ(holds.size(), 2u);
  EXPECT_NE(holds[0], holds[1]);
}

TEST_F(BatchTest, LargeAndDamagedGzipFilesTakeTheDeflatePath) {
  // Over the inflated limit: records are compressed into DEFLATE blocks as before.
  std::string big = "{\"Records\":[";
  const std::string pad(1000, 'p');
  for (std::size_t i = 0; big.size() <= kGzipBlockMaxInflated; ++i) {
    if (i > 0) big += ",";
    big += "{\"eventID\":\"e" + std::to_string(i) +
           "\",\"eventTime\":\"2024-05-06T00:00:00Z\","
           "\"eventName\":\"" +
           pad + "\"}";
  }
  big += "]}";
  FileBatch batch;
  Recorder rec = build("big.json.gz", gzip(big, 1), &batch);
  ASSERT_GT(rec.raws.size(), kGzipBlockMaxInflated / 1100);
  EXPECT_EQ(gzip_blocks(batch), 0u);
  EXPECT_GE(batch.blocks.size(), big.size() / (256 * 1024));
  // A truncated file: the records before the cut are kept, compressed as before.
  const std::string small = big.substr(0, 300000) + "]}";
  std::string gz = gzip(small);
  gz.resize(gz.size() / 2);
  FileBatch cut;
  Recorder part = build("cut.json.gz", gz, &cut);
  EXPECT_EQ(part.gzip_files, 0);
  EXPECT_EQ(gzip_blocks(cut), 0u);
  EXPECT_FALSE(part.raws.empty());
}

}  // namespace
}  // namespace sentinel::store
