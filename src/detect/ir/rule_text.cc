#include "detect/ir/rule_text.h"

namespace sentinel::detect {

namespace {

bool blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Part of the block value of a key at column 0: indented, blank, a comment, or a `- ` item of
// a sequence written at the key's own indentation.
bool continues_block(std::string_view line) {
  if (blank(line)) return true;
  const char c = line[0];
  if (c == ' ' || c == '\t' || c == '#') return true;
  if (c == '-') {
    return line.size() == 1 || line[1] == ' ' || line[1] == '\t' || line[1] == '\r';
  }
  return false;
}

// `key:` at column 0 with nothing after the colon but blanks or a comment.
bool opens_block(std::string_view line, std::string_view key) {
  if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':') {
    return false;
  }
  std::string_view rest = line.substr(key.size() + 1);
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '#') return i > 0;  // "key:#x" is a plain scalar's text, not a comment
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

bool strip_top_level_block(std::string_view yaml, std::string_view key, std::string* out) {
  std::string result;
  bool removed = false;
  bool skipping = false;
  std::size_t copied = 0;  // yaml[copied, line start) is still to be appended
  std::size_t pos = 0;
  while (pos < yaml.size()) {
    std::size_t nl = yaml.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? yaml.size() : nl;
    const std::string_view line = yaml.substr(pos, end - pos);
    if (skipping && !continues_block(line)) skipping = false;
    if (!skipping && opens_block(line, key)) {
      skipping = true;
      if (!removed) result.reserve(yaml.size());
      removed = true;
    }
    if (skipping) {
      result.append(yaml.substr(copied, pos - copied));
      copied = end;  // the line's bytes are dropped; its newline is kept
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (!removed) return false;
  result.append(yaml.substr(copied));
  *out = std::move(result);
  return true;
}

}  // namespace sentinel::detect
