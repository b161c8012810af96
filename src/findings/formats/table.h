#pragma once
/// One human-readable line per finding, for terminals.
#include <string>

#include "findings/finding.h"

namespace sentinel::findings {

/// Appends `f` as one line (no newline): severity label, severity, type, account, region,
/// title, count and, when archived, the suppression rule. Every log-derived string is made
/// terminal-safe (control characters, ESC, CR/LF become visible escapes).
void write_table(const Finding& f, std::string* out);

}  // namespace sentinel::findings
