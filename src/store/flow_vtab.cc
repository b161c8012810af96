// The table-valued module behind the `flows` view: flow records live in compressed blocks of
// lines (flow_blocks), and this module inflates a block and parses its lines again with the
// VPC flow parser, using the block's format string. Constraints on start/end prune blocks by
// their time range; equality on an address, interface-id or instance-id prunes them by their
// bloom filter. SQLite still checks every constraint on each row, so pruning only saves work.
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "ingest/parsers/vpcflow/vpcflow.h"
#include "store/batch.h"
#include "store/codec.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "store/vtab_support.h"

namespace sentinel::store {

namespace {

using ingest::FlowField;

constexpr int kFlowColEventId = 0;
constexpr int kColFirstField = 1;
constexpr int kColRecord = kColFirstField + static_cast<int>(ingest::kFlowFieldCount);
constexpr int kColSourceFile = kColRecord + 1;
constexpr int kColBlockId = kColSourceFile + 1;

bool is_numeric(FlowField f) {
  switch (f) {
    case FlowField::kVersion:
    case FlowField::kSrcport:
    case FlowField::kDstport:
    case FlowField::kProtocol:
    case FlowField::kPackets:
    case FlowField::kBytes:
    case FlowField::kStart:
    case FlowField::kEnd:
    case FlowField::kTcpFlags:
    case FlowField::kTrafficPath:
    case FlowField::kPacketsLostNoRoute:
    case FlowField::kPacketsLostBlackhole:
    case FlowField::kPacketsLostMtuExceeded:
    case FlowField::kPacketsLostTtlExpired:
      return true;
    default:
      return false;
  }
}

std::string declaration() {
  std::string s = "CREATE TABLE x(event_id TEXT";
  for (std::size_t i = 0; i < ingest::kFlowFieldCount; ++i) {
    auto f = static_cast<FlowField>(i);
    s += ", \"";
    s += ingest::flow_field_json_name(f);
    s += is_numeric(f) ? "\" INTEGER" : "\" TEXT";
  }
  s += ", record TEXT, source_file TEXT, block_id INTEGER HIDDEN)";
  return s;
}

struct Row {
  uint32_t line_off;
  uint32_t line_len;
  uint32_t tok;  // index of the row's first token pair in FlowCursor::toks
};

// Collects the rows of one block.
class RowSink : public ingest::EventSink {
 public:
  RowSink(std::string_view plain, std::vector<Row>* rows, std::vector<uint32_t>* toks,
          const std::vector<int>* cols)
      : plain_(plain), rows_(rows), toks_(toks), cols_(cols) {}
  void on_flow(const ingest::FlowRecord& f) override {
    Row r;
    r.line_off = static_cast<uint32_t>(f.line.data() - plain_.data());
    r.line_len = static_cast<uint32_t>(f.line.size());
    r.tok = static_cast<uint32_t>(toks_->size());
    for (std::size_t i = 0; i < ingest::kFlowFieldCount; ++i) {
      if ((*cols_)[i] < 0) continue;
      std::string_view t = f.raw[i];
      if (t.empty()) {
        toks_->push_back(0);
        toks_->push_back(UINT32_MAX);
      } else {
        toks_->push_back(static_cast<uint32_t>(t.data() - plain_.data()));
        toks_->push_back(static_cast<uint32_t>(t.size()));
      }
    }
    rows_->push_back(r);
  }
  void on_cloudtrail(const ingest::CloudTrailEvent&) override {}
  void on_dns(const ingest::DnsQuery&) override {}
  void on_guardduty(const ingest::GuardDutyFinding&) override {}
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override {}

 private:
  std::string_view plain_;
  std::vector<Row>* rows_;
  std::vector<uint32_t>* toks_;
  const std::vector<int>* cols_;
};

struct FlowCursor {
  sqlite3_vtab_cursor base{};
  Stmt blocks;
  int64_t lo = INT64_MIN;
  int64_t hi = INT64_MAX;
  std::vector<std::string> keys;  // bloom keys that must all be present
  std::string plain;
  std::vector<Row> rows;
  std::vector<uint32_t> toks;
  std::vector<int> cols;  // FlowField -> token slot, -1 when not in the block's format
  std::size_t ncols = 0;
  std::size_t i = 0;
  int64_t block_id = 0;
  std::string source_file;
  bool eof = true;
  ingest::VpcFlowParser parser;
  ingest::ParseOptions options;
};

int flow_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char** err) {
  return connect_store_vtab(db, declaration().c_str(), "flow_records", out, err);
}

// idxStr: one letter per argument, in argv order: 'l' lower time bound, 'h' upper, 'e' both,
// 'k' a bloom key.
int flow_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  std::string plan;
  int argv = 0;
  double cost = 1e9;
  const int start_col = kColFirstField + static_cast<int>(FlowField::kStart);
  const int end_col = kColFirstField + static_cast<int>(FlowField::kEnd);
  auto is_key_col = [](int c) {
    if (c < kColFirstField || c >= kColRecord) return false;
    auto f = static_cast<FlowField>(c - kColFirstField);
    return f == FlowField::kSrcaddr || f == FlowField::kDstaddr || f == FlowField::kPktSrcaddr ||
           f == FlowField::kPktDstaddr || f == FlowField::kInterfaceId ||
           f == FlowField::kInstanceId;
  };
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable) continue;
    char kind = 0;
    if (c.iColumn == start_col || c.iColumn == end_col) {
      if (c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_GT) kind = 'l';
      if (c.op == SQLITE_INDEX_CONSTRAINT_LE || c.op == SQLITE_INDEX_CONSTRAINT_LT) kind = 'h';
      if (c.op == SQLITE_INDEX_CONSTRAINT_EQ) kind = 'e';
    } else if (is_key_col(c.iColumn) && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      kind = 'k';
    }
    if (kind == 0) continue;
    info->aConstraintUsage[i].argvIndex = ++argv;
    plan += kind;
    cost /= kind == 'k' ? 50 : 4;
  }
  info->idxStr = sqlite3_mprintf("%s", plan.c_str());
  info->needToFreeIdxStr = 1;
  info->estimatedCost = cost;
  return SQLITE_OK;
}

int flow_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* v = reinterpret_cast<StoreVtab*>(vtab);
  auto* c = new FlowCursor();
  std::string err;
  c->blocks = Stmt(v->db,
                   "SELECT b.id, s.value, b.raw_size, b.data, b.bloom, "
                   "(SELECT path FROM files WHERE id = b.file_id) "
                   "FROM flow_blocks b JOIN strings s ON s.id = b.format "
                   "WHERE b.last_end >= ?1 AND b.first_start <= ?2 ORDER BY b.id",
                   &err);
  if (!c->blocks.ok()) {
    delete c;
    return store_vtab_open_failed(vtab, "flow_records", err);
  }
  *out = &c->base;
  return SQLITE_OK;
}

// Loads the next block that may hold matching rows; false at the end.
bool load_next_block(FlowCursor* c) {
  while (c->blocks.step() == SQLITE_ROW) {
    std::string_view bloom = c->blocks.col_blob(4);
    bool maybe = true;
    for (const auto& k : c->keys) {
      if (!bloom_has(bloom, k)) {
        maybe = false;
        break;
      }
    }
    if (!maybe) continue;
    const auto raw_size = static_cast<uint64_t>(c->blocks.col_int(2));
    if (!decode_flow_block(c->blocks.col_blob(3), raw_size, &c->plain)) continue;
    const std::size_t size = c->plain.size();
    c->plain.append(ingest::kPadding, '\0');  // the parser reads past the end
    std::string_view data(c->plain.data(), size);
    c->block_id = c->blocks.col_int(0);
    c->source_file.assign(c->blocks.col_text(5));
    c->options.flow_format.assign(c->blocks.col_text(1));
    // Which fields the format has: parse the format string's names.
    c->cols.assign(ingest::kFlowFieldCount, -1);
    c->ncols = 0;
    std::string_view fmt = c->options.flow_format;
    std::size_t p = 0;
    while ((p = fmt.find("${", p)) != std::string_view::npos) {
      std::size_t e = fmt.find('}', p);
      if (e == std::string_view::npos) break;
      FlowField f;
      if (ingest::flow_field_from_name(fmt.substr(p + 2, e - p - 2), &f) &&
          c->cols[static_cast<std::size_t>(f)] < 0) {
        c->cols[static_cast<std::size_t>(f)] = static_cast<int>(c->ncols++);
      }
      p = e + 1;
    }
    // Slots follow FlowField order in RowSink: renumber accordingly.
    int slot = 0;
    for (auto& s : c->cols) {
      if (s >= 0) s = slot++;
    }
    c->rows.clear();
    c->toks.clear();
    RowSink sink(c->plain, &c->rows, &c->toks, &c->cols);
    ingest::FileContext ctx;
    ctx.path = c->source_file;
    ctx.options = &c->options;
    c->parser.parse(data, ctx, sink);
    if (!c->rows.empty()) {
      c->i = 0;
      return true;
    }
  }
  return false;
}

int flow_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc,
                sqlite3_value** argv) {
  auto* c = reinterpret_cast<FlowCursor*>(cur);
  c->lo = INT64_MIN;
  c->hi = INT64_MAX;
  c->keys.clear();
  std::string_view plan = idx_str ? idx_str : "";
  for (int i = 0; i < argc && i < static_cast<int>(plan.size()); ++i) {
    sqlite3_value* v = argv[i];
    if (plan[i] == 'k') {
      const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
      std::string k(t ? t : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
      IpAddr ip;
      if (IpAddr::parse(k, &ip)) k.assign(bloom_ip_key(ip.bytes));
      c->keys.push_back(std::move(k));
      continue;
    }
    const int type = sqlite3_value_numeric_type(v);
    if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) continue;  // no pruning on odd values
    const double d = sqlite3_value_double(v);
    const int64_t x = d < -9e18 ? INT64_MIN : d > 9e18 ? INT64_MAX : static_cast<int64_t>(d);
    if (plan[i] == 'l' || plan[i] == 'e') c->lo = std::max(c->lo, x - 1);
    if (plan[i] == 'h' || plan[i] == 'e') c->hi = std::min(c->hi, x + 1);
  }
  c->blocks.reset();
  c->blocks.bind(1, c->lo);
  c->blocks.bind(2, c->hi);
  c->eof = !load_next_block(c);
  return SQLITE_OK;
}

int flow_next(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<FlowCursor*>(cur);
  if (++c->i >= c->rows.size()) c->eof = !load_next_block(c);
  return SQLITE_OK;
}

int flow_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<FlowCursor*>(cur);
  const Row& r = c->rows[c->i];
  std::string_view line(c->plain.data() + r.line_off, r.line_len);
  if (col == kFlowColEventId) {
    std::string h;
    content_hash16(line, &h);
    std::string hex = to_hex(h);
    sqlite3_result_text(ctx, hex.data(), static_cast<int>(hex.size()), SQLITE_TRANSIENT);
  } else if (col == kColRecord) {
    sqlite3_result_text(ctx, line.data(), static_cast<int>(line.size()), SQLITE_TRANSIENT);
  } else if (col == kColSourceFile) {
    sqlite3_result_text(ctx, c->source_file.data(), static_cast<int>(c->source_file.size()),
                        SQLITE_TRANSIENT);
  } else if (col == kColBlockId) {
    sqlite3_result_int64(ctx, c->block_id);
  } else if (col >= kColFirstField && col < kColRecord) {
    const auto fi = static_cast<std::size_t>(col - kColFirstField);
    const int slot = c->cols[fi];
    if (slot < 0) return SQLITE_OK;  // not in this block's format: NULL
    const uint32_t off = c->toks[r.tok + 2 * static_cast<std::size_t>(slot)];
    const uint32_t len = c->toks[r.tok + 2 * static_cast<std::size_t>(slot) + 1];
    if (len == UINT32_MAX) return SQLITE_OK;  // `-`: NULL
    std::string_view t(c->plain.data() + off, len);
    if (is_numeric(static_cast<FlowField>(fi))) {
      int64_t v = 0;
      auto res = std::from_chars(t.data(), t.data() + t.size(), v);
      if (res.ec == std::errc() && res.ptr == t.data() + t.size()) {
        sqlite3_result_int64(ctx, v);
        return SQLITE_OK;
      }
    }
    sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  }
  return SQLITE_OK;
}

int flow_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  auto* c = reinterpret_cast<FlowCursor*>(cur);
  *out = (c->block_id << 20) | static_cast<int64_t>(c->i);
  return SQLITE_OK;
}

// Eponymous-only: `SELECT ... FROM flow_records`.
const sqlite3_module kFlowModule = eponymous_store_module<FlowCursor>(
    {flow_connect, flow_best_index, flow_open, flow_filter, flow_next, flow_column, flow_rowid});

}  // namespace

bool register_flow_module(sqlite3* db) {
  return sqlite3_create_module(db, "flow_records", &kFlowModule, nullptr) == SQLITE_OK;
}

}  // namespace sentinel::store
