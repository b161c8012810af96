#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "core/escape.h"
#include "store/store.h"

namespace sentinel::cli {

void add_show_command(CLI::App& app, int* code) {
  auto* cmd = app.add_subcommand(
      "show", "Print an event's raw record exactly as it was read (by its event id)");
  auto ids = std::make_shared<std::vector<std::string>>();
  auto db = std::make_shared<std::string>("sentinel.db");
  auto raw = std::make_shared<bool>(false);
  cmd->add_option("EVENT-ID", *ids,
                  "A CloudTrail eventID, or the 32-hex event_id of a flow, DNS query or GuardDuty "
                  "finding")
      ->required();
  cmd->add_option("--db", *db, "The store file (default ./sentinel.db)");
  cmd->add_flag("--raw", *raw,
                "Write the bytes unescaped even to a terminal (they are always exact in a pipe)");
  cmd->callback([=] {
    auto st = store::Store::open(*db, store::OpenMode::kReadOnly);
    if (!st) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(st.error().message).c_str());
      *code = kExitNothingReadable;
      return;
    }
    // Byte-exact into a pipe or file; escaped on a terminal, where log bytes could carry
    // control sequences.
    const bool escape = !*raw && ::isatty(1) != 0;
    int missing = 0;
    for (const auto& id : *ids) {
      std::string bytes;
      std::string type;
      if (!(*st)->find_raw(id, &bytes, &type)) {
        std::fprintf(stderr, "sentinel: %s: no such event in %s\n", terminal_safe(id).c_str(),
                     terminal_safe(*db).c_str());
        ++missing;
        continue;
      }
      if (escape) {
        // Line by line, so a pretty-printed record keeps its shape on screen.
        std::string safe;
        std::size_t start = 0;
        while (start <= bytes.size()) {
          std::size_t nl = bytes.find('\n', start);
          if (nl == std::string::npos) nl = bytes.size();
          append_terminal_safe(&safe, std::string_view(bytes).substr(start, nl - start));
          if (nl < bytes.size()) safe.push_back('\n');
          start = nl + 1;
        }
        bytes = std::move(safe);
      }
      bytes.push_back('\n');
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    }
    *code = missing == 0 ? kExitOk : kExitNothingReadable;
  });
}

namespace {
const CommandRegistration kShowRegistration{51, &add_show_command};
}  // namespace

}  // namespace sentinel::cli
