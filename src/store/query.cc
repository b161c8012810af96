#include "store/query.h"

#include <algorithm>
#include <vector>

#include "core/escape.h"
#include "core/json_writer.h"
#include "core/utf8.h"
#include "store/sqlite.h"

namespace sentinel::store {

namespace {

bool only_space_or_comments(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';') {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      std::size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? s.size() : nl + 1;
    } else if (s.substr(i, 2) == "/*") {
      std::size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? s.size() : e + 2;
    } else {
      return false;
    }
  }
  return true;
}

std::string cut_query_cell(std::string_view s, std::size_t max) {
  if (utf8_width(s) <= max) return std::string(s);
  std::string r;
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (w + 1 >= max) break;
      ++w;
    }
    r.push_back(s[i]);
  }
  // Do not end inside a UTF-8 sequence.
  while (!r.empty() && (static_cast<unsigned char>(r.back()) & 0x80) != 0) {
    unsigned char lead = 0;
    std::size_t k = r.size();
    while (k > 0 && (static_cast<unsigned char>(r[k - 1]) & 0xC0) == 0x80) --k;
    if (k == 0) break;
    lead = static_cast<unsigned char>(r[k - 1]);
    std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (r.size() - (k - 1) >= need) break;
    r.resize(k - 1);
  }
  r += "\xE2\x80\xA6";
  return r;
}

}  // namespace

void append_csv_cell(std::string* out, std::string_view cell, bool is_text) {
  std::string v;
  if (is_text && !cell.empty() &&
      (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' || cell[0] == '\t' ||
       cell[0] == '\r')) {
    v.push_back('\'');
  }
  v.append(cell);
  if (v.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

Result<uint64_t> run_query(Store& st, std::string_view sql, const QueryOptions& options,
                           std::string* out) {
  sqlite3* db = st.db();
  st.clear_refusal();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  struct Finalizer {
    sqlite3_stmt* s;
    ~Finalizer() { sqlite3_finalize(s); }
  } fin{raw};
  if (rc != SQLITE_OK) {
    std::string msg = st.refusal().empty() ? sqlite3_errmsg(db) : st.refusal();
    return Error{st.refusal().empty() ? "query_error" : "query_refused", msg};
  }
  if (raw == nullptr) return Error{"query_error", "the query is empty"};
  if (tail != nullptr && !only_space_or_comments(std::string_view(
                             tail, static_cast<std::size_t>(sql.data() + sql.size() - tail)))) {
    return Error{"query_error", "one statement at a time, please (found more after the first ';')"};
  }
  if (sqlite3_stmt_readonly(raw) == 0) {
    return Error{"query_refused", "only SELECT is allowed: the store is opened read-only"};
  }
  const int ncol = sqlite3_column_count(raw);
  std::vector<std::string> names;
  for (int i = 0; i < ncol; ++i) {
    const char* n = sqlite3_column_name(raw, i);
    names.emplace_back(n ? n : "");
  }
  uint64_t rows = 0;
  std::vector<std::vector<std::string>> table;  // table format only
  std::vector<std::vector<bool>> numeric;
  JsonWriter w(out);
  if (options.format == QueryFormat::kJson) w.begin_array();
  if (options.format == QueryFormat::kCsv) {
    for (int i = 0; i < ncol; ++i) {
      if (i > 0) out->push_back(',');
      append_csv_cell(out, names[static_cast<std::size_t>(i)], true);
    }
    out->append("\r\n");
  }
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    ++rows;
    if (options.format == QueryFormat::kJson) {
      w.begin_object();
      for (int i = 0; i < ncol; ++i) {
        w.key(names[static_cast<std::size_t>(i)]);
        switch (sqlite3_column_type(raw, i)) {
          case SQLITE_NULL:
            w.null();
            break;
          case SQLITE_INTEGER:
            w.number(static_cast<int64_t>(sqlite3_column_int64(raw, i)));
            break;
          case SQLITE_FLOAT:
            w.number(sqlite3_column_double(raw, i));
            break;
          case SQLITE_BLOB: {
            std::string_view b(static_cast<const char*>(sqlite3_column_blob(raw, i)),
                               static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
            std::string hex;
            static const char* kHex = "0123456789abcdef";
            for (char c : b) {
              hex.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
              hex.push_back(kHex[static_cast<unsigned char>(c) & 15]);
            }
            w.string(hex);
            break;
          }
          default: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
            w.string(std::string_view(t ? t : "",
                                      static_cast<std::size_t>(sqlite3_column_bytes(raw, i))));
          }
        }
      }
      w.end_object();
      continue;
    }
    std::vector<std::string> cells;
    std::vector<bool> nums;
    for (int i = 0; i < ncol; ++i) {
      const int type = sqlite3_column_type(raw, i);
      std::string v;
      if (type == SQLITE_BLOB) {
        v = "x'";
        std::string_view b(static_cast<const char*>(sqlite3_column_blob(raw, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
        static const char* kHex = "0123456789abcdef";
        for (char c : b) {
          v.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
          v.push_back(kHex[static_cast<unsigned char>(c) & 15]);
        }
        v.push_back('\'');
      } else if (type != SQLITE_NULL) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
        v.assign(t ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
      }
      if (options.format == QueryFormat::kCsv) {
        if (i > 0) out->push_back(',');
        append_csv_cell(out, v, type == SQLITE_TEXT);
      } else {
        cells.push_back(cut_query_cell(terminal_safe(v), options.max_cell));
        nums.push_back(type == SQLITE_INTEGER || type == SQLITE_FLOAT);
      }
    }
    if (options.format == QueryFormat::kCsv) {
      out->append("\r\n");
    } else {
      table.push_back(std::move(cells));
      numeric.push_back(std::move(nums));
    }
  }
  if (rc != SQLITE_DONE) {
    std::string msg = st.refusal().empty() ? sqlite3_errmsg(db) : st.refusal();
    return Error{"query_error", msg};
  }
  if (options.format == QueryFormat::kJson) {
    w.end_array();
    out->push_back('\n');
  }
  if (options.format == QueryFormat::kTable) {
    std::vector<std::size_t> wd(static_cast<std::size_t>(ncol), 0);
    std::vector<std::string> heads;
    for (int i = 0; i < ncol; ++i) {
      heads.push_back(
          cut_query_cell(terminal_safe(names[static_cast<std::size_t>(i)]), options.max_cell));
      wd[static_cast<std::size_t>(i)] = utf8_width(heads.back());
    }
    for (const auto& r : table) {
      for (std::size_t i = 0; i < r.size(); ++i) wd[i] = std::max(wd[i], utf8_width(r[i]));
    }
    auto line = [&](const std::vector<std::string>& cells, const std::vector<bool>* nums) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) out->append("  ");
        std::size_t pad = wd[i] - utf8_width(cells[i]);
        const bool right = nums != nullptr && (*nums)[i];
        if (right) out->append(pad, ' ');
        out->append(cells[i]);
        if (!right && i + 1 < cells.size()) out->append(pad, ' ');
      }
      out->push_back('\n');
    };
    line(heads, nullptr);
    std::vector<std::string> rule;
    for (std::size_t i = 0; i < wd.size(); ++i) rule.emplace_back(wd[i], '-');
    line(rule, nullptr);
    for (std::size_t r = 0; r < table.size(); ++r) line(table[r], &numeric[r]);
    out->append("(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n"));
  }
  return rows;
}

}  // namespace sentinel::store
