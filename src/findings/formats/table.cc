#include "findings/formats/table.h"

#include <cstdio>

#include "core/escape.h"

namespace sentinel::findings {

void write_table(const Finding& f, std::string* out) {
  std::string_view label = severity_label(f.severity);
  out->append(label);
  // Pad the label to the widest ("Critical") so the columns line up.
  out->append(label.size() < 8 ? 8 - label.size() : 0, ' ');
  char sev[16];
  int n = std::snprintf(sev, sizeof sev, " %4.1f  ", f.severity);
  if (n > 0) out->append(sev, static_cast<std::size_t>(n));
  append_terminal_safe(out, f.type);
  out->append("  ");
  append_terminal_safe(out, f.account_id);
  out->push_back(' ');
  append_terminal_safe(out, f.region);
  out->append("  ");
  append_terminal_safe(out, f.title);
  out->append("  x");
  out->append(std::to_string(f.count));
  if (f.archived) {
    out->append("  [suppressed by ");
    append_terminal_safe(out, f.suppressed_by);
    out->push_back(']');
  }
}

}  // namespace sentinel::findings
