#pragma once
/// Read-only SQL over the store's views, with output as an aligned table (escaped for the
/// terminal), JSON (an array of objects) or CSV (RFC 4180, formula cells defused).
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"

namespace sentinel::store {

enum class QueryFormat { kTable, kJson, kCsv };

struct QueryOptions {
  QueryFormat format = QueryFormat::kTable;
  std::size_t max_cell = 80;  ///< table cells longer than this are cut (…)
};

/// Runs one SELECT on a read-only store; appends the output to *out. Errors (syntax, a refused
/// write, ATTACH or PRAGMA, more than one statement) come back with a message for people.
Result<uint64_t> run_query(Store& st, std::string_view sql, const QueryOptions& options,
                           std::string* out);

/// Appends one CSV cell: quoted when it holds a comma, quote, CR or LF; text that starts with
/// `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so spreadsheets do not run it as a formula.
void append_csv_cell(std::string* out, std::string_view cell, bool is_text);

}  // namespace sentinel::store
