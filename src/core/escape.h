#pragma once
/// Escaping of untrusted bytes for people's eyes: terminals and tables.
#include <string>
#include <string_view>

namespace sentinel {

/// Appends `s` for display on a terminal: control characters (C0, DEL, C1, ESC sequences, CR/LF)
/// become visible escapes (`\n`, `\x1b`), invalid UTF-8 bytes become `\xNN`; printable text is
/// copied as is.
void append_terminal_safe(std::string* out, std::string_view s);
std::string terminal_safe(std::string_view s);

}  // namespace sentinel
