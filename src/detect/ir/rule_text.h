#pragma once
/// Text-level help for loading large rule packs quickly. A rule's embedded tests (`tests:`,
/// often hundreds of events) are most of a pack's bytes, and yaml-cpp's parse costs about
/// 1 µs per byte: `sentinel detect` never runs them, so it can hand yaml-cpp the documents
/// without them.
#include <string>
#include <string_view>

namespace sentinel::detect {

/// `yaml` with the value of every top-level block mapping key `key` blanked out: the line
/// `key:` (nothing but a comment after the colon, at column 0) and the lines of its block value
/// that follow (indented lines, blank lines, comments and `- ` items at column 0) become empty
/// lines, so line numbers in later errors stay right. The key itself is dropped too, so the
/// document parses as if it had never been written. A key with its value on the same line
/// (`tests: [...]`) is left alone. Returns false (and leaves *out untouched) when nothing was
/// removed. Callers must parse the full text when the stripped one does not parse (an alias
/// into the removed block, say).
bool strip_top_level_block(std::string_view yaml, std::string_view key, std::string* out);

}  // namespace sentinel::detect
