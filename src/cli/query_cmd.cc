#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/store_support.h"
#include "core/escape.h"
#include "store/query.h"

namespace sentinel::cli {

void add_query_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "query", "Read-only SQL over the store's views (cloudtrail, flows, dns, findings)");
  auto sql = std::make_shared<std::string>();
  auto db = std::make_shared<std::string>("sentinel.db");
  auto output = std::make_shared<std::string>("table");
  auto max_cell = std::make_shared<std::size_t>(80);
  cmd->add_option("SQL", *sql, "One SELECT statement (see docs/schema.md)")->required();
  cmd->add_option("--db", *db, "The store file (default ./sentinel.db)");
  cmd->add_option("--output,-o", *output, "table (default), json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  cmd->add_option("--max-width", *max_cell, "Table cells are cut at this many characters");
  cmd->callback([=] {
    auto st = store::Store::open(*db, store::OpenMode::kReadOnly);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    store::QueryOptions qo;
    qo.format = *output == "json"  ? store::QueryFormat::kJson
                : *output == "csv" ? store::QueryFormat::kCsv
                                   : store::QueryFormat::kTable;
    qo.max_cell = std::max<std::size_t>(*max_cell, 4);
    std::string out;
    auto r = store::run_query(**st, *sql, qo, &out);
    if (!r) {
      std::fprintf(stderr, "sentinel: query: %s\n", terminal_safe(r.error().message).c_str());
      *code = kExitUsage;
      return;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    *code = kExitOk;
  });
}

namespace {
const CommandRegistration kQueryRegistration{52, &add_query_command};
}  // namespace

}  // namespace sentinel::cli
