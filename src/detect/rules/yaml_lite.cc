#include "detect/rules/yaml_lite.h"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

namespace sentinel::detect {

namespace {

// Thrown inside the reader when the text leaves the subset; caught at the top.
struct Decline {};

[[noreturn]] void decline() {
  throw Decline{};
}

bool is_null_text(std::string_view s) {
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

YAML::Node null_node() {
  return YAML::Node(YAML::NodeType::Null);
}

YAML::Node scalar_node(std::string text, bool quoted) {
  YAML::Node n(std::move(text));
  n.SetTag(quoted ? "!" : "?");
  return n;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s), n_(s.size()) {}

  void documents(std::vector<YAML::Node>* out) {
    for (;;) {
      int ind = next_indent();
      if (p_ >= n_) return;
      if (ind < 0) {
        // A document marker at column 0.
        if (s_.compare(p_, 3, "---") != 0) decline();  // "..."
        p_ += 3;
        skip_spaces();
        if (!eol_or_comment()) decline();  // "--- value"
        to_next_line();
        ind = next_indent();
        if (ind < 0) decline();  // an empty document
      } else if (!out->empty()) {
        decline();  // content after a document that ended at a lower indentation
      }
      p_ += static_cast<std::size_t>(ind);
      if (s_[p_] == '%') decline();
      if (!is_key_line()) decline();  // rule documents are mappings
      out->push_back(block_map(ind));
      const int after = next_indent();
      if (after >= 0) decline();
    }
  }

 private:
  // ---- positions ------------------------------------------------------------------------
  char at(std::size_t q) const { return q < n_ ? s_[q] : '\n'; }
  bool eol(std::size_t q) const { return q >= n_ || s_[q] == '\n'; }
  bool blank_or_eol(std::size_t q) const { return eol(q) || s_[q] == ' '; }
  void skip_spaces() {
    while (p_ < n_ && s_[p_] == ' ') ++p_;
  }
  // At the end of the line's content: the line ends or a comment starts (after a space, which
  // skip_spaces() consumed, or at the start of the value).
  bool eol_or_comment() const {
    return eol(p_) || (s_[p_] == '#' && (p_ == 0 || s_[p_ - 1] == ' ' || s_[p_ - 1] == '\n'));
  }
  void to_next_line() {
    while (p_ < n_ && s_[p_] != '\n') ++p_;
    if (p_ < n_) ++p_;
  }
  std::size_t column(std::size_t q) const {
    std::size_t b = q;
    while (b > 0 && s_[b - 1] != '\n') --b;
    return q - b;
  }
  // From the start of a line: skips blank and comment-only lines and leaves p_ at the start of
  // the next content line. Its indentation, or -1 at the end of the text or a document marker.
  int next_indent() {
    while (p_ < n_) {
      std::size_t q = p_;
      while (q < n_ && s_[q] == ' ') ++q;
      if (q >= n_) {
        p_ = n_;
        return -1;
      }
      if (s_[q] == '\n') {
        p_ = q + 1;
        continue;
      }
      if (s_[q] == '#') {
        p_ = q;
        to_next_line();
        continue;
      }
      if (q == p_ && (s_.compare(q, 3, "---") == 0 || s_.compare(q, 3, "...") == 0) &&
          blank_or_eol(q + 3)) {
        return -1;
      }
      return static_cast<int>(q - p_);
    }
    return -1;
  }

  // ---- block structure ------------------------------------------------------------------
  bool is_seq_entry(std::size_t q) const { return at(q) == '-' && blank_or_eol(q + 1); }

  // A plain scalar may start here (in block or flow context).
  bool plain_start(std::size_t q, bool flow) const {
    const char c = at(q);
    switch (c) {
      case ',':
      case '[':
      case ']':
      case '{':
      case '}':
      case '#':
      case '&':
      case '*':
      case '!':
      case '|':
      case '>':
      case '\'':
      case '"':
      case '%':
      case '@':
      case '`':
      case '?':
      case ':':
      case ' ':
      case '\n':
        return false;
      case '-':
        return !blank_or_eol(q + 1) &&
               !(flow && (at(q + 1) == ',' || at(q + 1) == ']' || at(q + 1) == '}'));
      default:
        return true;
    }
  }

  // The line from p_ is `key: ...` with a scalar key on one line.
  bool is_key_line() const {
    std::size_t q = p_;
    const char c = at(q);
    if (c == '"' || c == '\'') {
      ++q;
      for (; !eol(q); ++q) {
        if (s_[q] == c) {
          if (c == '\'' && at(q + 1) == '\'') {
            ++q;
            continue;
          }
          break;
        }
        if (c == '"' && s_[q] == '\\') ++q;
      }
      if (eol(q)) return false;
      ++q;
      while (at(q) == ' ') ++q;
      return at(q) == ':' && blank_or_eol(q + 1);
    }
    if (!plain_start(q, false)) return false;
    for (; !eol(q); ++q) {
      if (s_[q] == ':' && blank_or_eol(q + 1)) return true;
      if (s_[q] == '#' && q > p_ && s_[q - 1] == ' ') return false;
    }
    return false;
  }

  // A block mapping whose first key is at p_ (column `col`).
  YAML::Node block_map(int col) {
    YAML::Node m(YAML::NodeType::Map);
    m.SetTag("?");
    m.SetStyle(YAML::EmitterStyle::Block);
    for (;;) {
      YAML::Node key = block_key();
      YAML::Node value;
      skip_spaces();
      if (eol_or_comment()) {
        to_next_line();
        const int ni = next_indent();
        if (ni > col) {
          value = block_node(col, ni);
        } else if (ni == col && is_seq_entry(p_ + static_cast<std::size_t>(ni))) {
          p_ += static_cast<std::size_t>(ni);
          value = block_seq(col);
        } else {
          value = null_node();
        }
      } else {
        value = inline_value(col);
      }
      m.force_insert(key, value);
      const int ni = next_indent();
      if (ni < col) break;
      if (ni > col) decline();
      p_ += static_cast<std::size_t>(ni);
      if (!is_key_line()) decline();
    }
    return m;
  }

  // A block sequence whose first `-` is at p_ (column `col`).
  YAML::Node block_seq(int col) {
    YAML::Node seq(YAML::NodeType::Sequence);
    seq.SetTag("?");
    seq.SetStyle(YAML::EmitterStyle::Block);
    for (;;) {
      ++p_;  // the '-'
      skip_spaces();
      YAML::Node item;
      if (eol_or_comment()) {
        to_next_line();
        const int ni = next_indent();
        item = ni > col ? block_node(col, ni) : null_node();
      } else if (is_seq_entry(p_)) {
        decline();  // "- - a"
      } else if (is_key_line()) {
        item = block_map(static_cast<int>(column(p_)));
      } else {
        item = inline_value(col);
      }
      seq.push_back(item);
      const int ni = next_indent();
      if (ni > col) decline();
      if (ni < col || !is_seq_entry(p_ + static_cast<std::size_t>(ni))) break;
      p_ += static_cast<std::size_t>(ni);
    }
    return seq;
  }

  // A node on its own lines, indented `ind` (> parent); p_ at the start of its first line.
  YAML::Node block_node(int parent, int ind) {
    p_ += static_cast<std::size_t>(ind);
    if (is_seq_entry(p_)) return block_seq(ind);
    if (is_key_line()) return block_map(ind);
    return inline_value(parent);
  }

  // A block mapping's key (p_ at its first character, is_key_line() true), through the ':'.
  YAML::Node block_key() {
    YAML::Node key;
    const char c = s_[p_];
    if (c == '"' || c == '\'') {
      key = quoted(-1, /*multi_line=*/false);
      skip_spaces();
    } else {
      const std::size_t b = p_;
      while (!(s_[p_] == ':' && blank_or_eol(p_ + 1))) ++p_;
      std::size_t e = p_;
      while (e > b && s_[e - 1] == ' ') --e;
      const std::string_view text = s_.substr(b, e - b);
      if (is_null_text(text)) decline();
      key = scalar_node(std::string(text), false);
    }
    if (at(p_) != ':') decline();
    ++p_;
    return key;
  }

  // A value that starts on this line, after `key: ` or `- ` (the container at column
  // `parent`). Leaves p_ at the start of the next line.
  YAML::Node inline_value(int parent) {
    const char c = s_[p_];
    YAML::Node v;
    if (c == '|' || c == '>') return block_scalar(parent);
    if (c == '[' || c == '{') {
      v = flow_node(parent);
    } else if (c == '"' || c == '\'') {
      v = quoted(parent, true);
    } else {
      if (!plain_start(p_, false)) decline();
      const std::size_t b = p_;
      while (!eol(p_)) {
        if (s_[p_] == ':' && blank_or_eol(p_ + 1)) decline();  // "a: b: c"
        if (s_[p_] == '#' && s_[p_ - 1] == ' ') break;
        ++p_;
      }
      std::size_t e = p_;
      while (e > b && s_[e - 1] == ' ') --e;
      const std::string_view text = s_.substr(b, e - b);
      v = is_null_text(text) ? null_node() : scalar_node(std::string(text), false);
    }
    skip_spaces();
    if (!eol_or_comment()) decline();
    to_next_line();
    return v;
  }

  // `|`, `|-`, `>`, `>-` at p_; the content is indented more than `parent`.
  YAML::Node block_scalar(int parent) {
    const bool literal = s_[p_] == '|';
    ++p_;
    bool strip = false;
    if (at(p_) == '-') {
      strip = true;
      ++p_;
    }
    if (!blank_or_eol(p_)) decline();  // '+', an indentation indicator, text
    skip_spaces();
    if (!eol_or_comment()) decline();
    to_next_line();
    // The first line sets the indentation.
    std::size_t q = p_;
    while (q < n_ && s_[q] == ' ') ++q;
    if (eol(q)) decline();  // leading blank lines (or nothing)
    const std::size_t ind = q - p_;
    if (static_cast<int>(ind) <= parent) decline();  // an empty scalar
    std::string out;
    std::size_t empties = 0;  // blank lines since the last content line
    bool any = false;
    while (p_ < n_) {
      q = p_;
      while (q < n_ && s_[q] == ' ') ++q;
      const std::size_t li = q - p_;
      if (eol(q)) {
        if (li > ind) decline();  // spaces kept in a blank line
        ++empties;
        p_ = q;
        to_next_line();
        continue;
      }
      if (li < ind) break;
      if (li > ind && !literal) decline();  // more-indented lines keep their breaks
      std::size_t e = q;
      while (!eol(e)) ++e;
      if (any) {
        if (literal) {
          out.append(empties + 1, '\n');
        } else if (empties == 0) {
          out.push_back(' ');
        } else {
          out.append(empties, '\n');
        }
      }
      out.append(s_.substr(p_ + ind, e - p_ - ind));
      any = true;
      empties = 0;
      p_ = e;
      to_next_line();
    }
    if (!strip) out.push_back('\n');
    return scalar_node(std::move(out), true);
  }

  // A quoted scalar at p_. Over several lines (when allowed), continuation lines must be
  // indented more than `parent`.
  YAML::Node quoted(int parent, bool multi_line) {
    const char q = s_[p_++];
    std::string out;
    std::size_t line_start = 0;  // where this line's text begins in `out` (for trimming)
    for (;;) {
      if (p_ >= n_) decline();
      const char c = s_[p_];
      if (c == q) {
        if (q == '\'' && at(p_ + 1) == '\'') {
          out.push_back('\'');
          p_ += 2;
          continue;
        }
        ++p_;
        break;
      }
      if (c == '\n') {
        if (!multi_line) decline();
        // Folding: trailing blanks go, one break is a space, each further one a newline.
        while (out.size() > line_start && out.back() == ' ') out.pop_back();
        std::size_t breaks = 0;
        while (p_ < n_ && (s_[p_] == '\n' || s_[p_] == ' ')) {
          if (s_[p_] == '\n') {
            ++breaks;
            std::size_t r = p_ + 1;
            while (r < n_ && s_[r] == ' ') ++r;
            if (r < n_ && s_[r] != '\n' && static_cast<int>(r - p_ - 1) <= parent) decline();
            if (r - p_ - 1 == 0 && (s_.compare(r, 3, "---") == 0 || s_.compare(r, 3, "...") == 0))
              decline();
          }
          ++p_;
        }
        if (breaks == 1) {
          out.push_back(' ');
        } else {
          out.append(breaks - 1, '\n');
        }
        line_start = out.size();
        continue;
      }
      if (q == '"' && c == '\\') {
        const char e = at(p_ + 1);
        switch (e) {
          case '\\':
          case '"':
          case '/':
            out.push_back(e);
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'r':
            out.push_back('\r');
            break;
          default:
            decline();
        }
        p_ += 2;
        // An escaped character is text, not a trailing blank to fold away.
        line_start = out.size();
        continue;
      }
      out.push_back(c);
      ++p_;
    }
    return scalar_node(std::move(out), true);
  }

  // ---- flow collections -----------------------------------------------------------------
  // Skips blanks, line breaks and comments inside a flow collection; a line inside it must be
  // indented more than the block container `parent`.
  void skip_flow_space(int parent) {
    for (;;) {
      if (p_ >= n_) decline();
      const char c = s_[p_];
      if (c == ' ') {
        ++p_;
      } else if (c == '\n') {
        ++p_;
        std::size_t r = p_;
        while (r < n_ && s_[r] == ' ') ++r;
        if (r < n_ && s_[r] != '\n' && static_cast<int>(r - p_) <= parent) decline();
      } else if (c == '#') {
        if (s_[p_ - 1] != ' ' && s_[p_ - 1] != '\n') decline();
        while (p_ < n_ && s_[p_] != '\n') ++p_;
      } else {
        return;
      }
    }
  }

  YAML::Node flow_node(int parent) {
    skip_flow_space(parent);
    const char c = s_[p_];
    if (c == '[') {
      ++p_;
      YAML::Node seq(YAML::NodeType::Sequence);
      seq.SetTag("?");
      seq.SetStyle(YAML::EmitterStyle::Flow);
      skip_flow_space(parent);
      if (s_[p_] == ']') {
        ++p_;
        return seq;
      }
      for (;;) {
        seq.push_back(flow_node(parent));
        skip_flow_space(parent);
        if (s_[p_] == ',') {
          ++p_;
          skip_flow_space(parent);
          if (s_[p_] == ']') decline();  // a trailing comma
          continue;
        }
        if (s_[p_] == ']') {
          ++p_;
          return seq;
        }
        decline();  // "[a: b]", "[a b"
      }
    }
    if (c == '{') {
      ++p_;
      YAML::Node m(YAML::NodeType::Map);
      m.SetTag("?");
      m.SetStyle(YAML::EmitterStyle::Flow);
      skip_flow_space(parent);
      if (s_[p_] == '}') {
        ++p_;
        return m;
      }
      for (;;) {
        if (s_[p_] == '[' || s_[p_] == '{') decline();  // a collection as a key
        YAML::Node key = flow_node(parent);
        if (key.IsNull()) decline();
        skip_flow_space(parent);
        if (s_[p_] != ':' || !blank_or_eol(p_ + 1)) decline();
        ++p_;
        skip_flow_space(parent);
        if (s_[p_] == ',' || s_[p_] == '}') decline();  // an empty value
        YAML::Node value = flow_node(parent);
        m.force_insert(key, value);
        skip_flow_space(parent);
        if (s_[p_] == ',') {
          ++p_;
          skip_flow_space(parent);
          if (s_[p_] == '}') decline();
          continue;
        }
        if (s_[p_] == '}') {
          ++p_;
          return m;
        }
        decline();
      }
    }
    if (c == '"' || c == '\'') return quoted(parent, true);
    if (!plain_start(p_, true)) decline();
    const std::size_t b = p_;
    for (; p_ < n_; ++p_) {
      const char d = s_[p_];
      if (d == ',' || d == '[' || d == ']' || d == '{' || d == '}' || d == '\n') break;
      if (d == ':') {
        const char e = at(p_ + 1);
        if (e == ' ' || e == '\n' || e == ',' || e == ']' || e == '}') break;
      }
      if (d == '#' && s_[p_ - 1] == ' ') break;
      if (d == '?') decline();  // yaml-cpp ends a flow scalar there
    }
    std::size_t e = p_;
    while (e > b && s_[e - 1] == ' ') --e;
    if (e == b) decline();
    const std::string_view text = s_.substr(b, e - b);
    if (at(p_) == '\n' || at(p_) == '#') {
      // Whatever follows on later lines must close the scalar, not continue it.
      skip_flow_space(parent);
      const char d = s_[p_];
      if (d != ',' && d != ']' && d != '}' && d != ':') decline();
    }
    return is_null_text(text) ? null_node() : scalar_node(std::string(text), false);
  }

  std::string_view s_;
  std::size_t n_;
  std::size_t p_ = 0;
};

}  // namespace

bool load_all_lite(std::string_view text, std::vector<YAML::Node>* docs) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) return false;  // BOM
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return false;  // tabs, CR, controls
  }
  // A last line of spaces without a line break: yaml-cpp folds it into a block scalar as a
  // space (found by the mutation test), which this reader does not reproduce.
  const std::size_t last_break = text.rfind('\n');
  const std::string_view tail =
      last_break == std::string_view::npos ? text : text.substr(last_break + 1);
  if (!tail.empty() && tail.find_first_not_of(' ') == std::string_view::npos) return false;
  std::vector<YAML::Node> out;
  try {
    Reader r(text);
    r.documents(&out);
  } catch (const Decline&) {
    return false;
  }
  if (out.empty()) return false;
  docs->insert(docs->end(), out.begin(), out.end());
  return true;
}

}  // namespace sentinel::detect
