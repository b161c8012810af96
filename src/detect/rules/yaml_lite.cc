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

using LType = LiteTree::Type;
using LTag = LiteTree::Tag;

class Reader {
 public:
  Reader(std::string_view s, LiteTree* t) : s_(s), n_(s.size()), t_(t) {}

  void documents(std::vector<uint32_t>* out) {
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
  // ---- nodes ---------------------------------------------------------------------------
  uint32_t add(LType type, LTag tag, bool flow) {
    const auto i = static_cast<uint32_t>(t_->nodes.size());
    LiteTree::Node& n = t_->nodes.emplace_back();
    n.type = type;
    n.tag = tag;
    n.flow = flow;
    return i;
  }
  uint32_t null_node() { return add(LType::kNull, LTag::kNone, false); }
  uint32_t scalar_node(std::string_view text, bool quoted) {
    const uint32_t i = add(LType::kScalar, quoted ? LTag::kQuoted : LTag::kPlain, false);
    t_->nodes[i].text.assign(text.data(), text.size());
    return i;
  }
  uint32_t scalar_node(std::string&& text, bool quoted) {
    const uint32_t i = add(LType::kScalar, quoted ? LTag::kQuoted : LTag::kPlain, false);
    t_->nodes[i].text = std::move(text);
    return i;
  }
  // A collection's children are those pushed on stack_ since `mark`.
  void close(uint32_t node, std::size_t mark) {
    LiteTree::Node& n = t_->nodes[node];
    n.first = static_cast<uint32_t>(t_->kids.size());
    n.count = static_cast<uint32_t>(stack_.size() - mark);
    t_->kids.insert(t_->kids.end(), stack_.begin() + static_cast<std::ptrdiff_t>(mark),
                    stack_.end());
    stack_.resize(mark);
  }

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
  uint32_t block_map(int col) {
    const uint32_t m = add(LType::kMap, LTag::kPlain, false);
    const std::size_t mark = stack_.size();
    for (;;) {
      const uint32_t key = block_key();
      uint32_t value;
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
      stack_.push_back(key);
      stack_.push_back(value);
      const int ni = next_indent();
      if (ni < col) break;
      if (ni > col) decline();
      p_ += static_cast<std::size_t>(ni);
      if (!is_key_line()) decline();
    }
    close(m, mark);
    return m;
  }

  // A block sequence whose first `-` is at p_ (column `col`).
  uint32_t block_seq(int col) {
    const uint32_t seq = add(LType::kSequence, LTag::kPlain, false);
    const std::size_t mark = stack_.size();
    for (;;) {
      ++p_;  // the '-'
      skip_spaces();
      uint32_t item;
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
      stack_.push_back(item);
      const int ni = next_indent();
      if (ni > col) decline();
      if (ni < col || !is_seq_entry(p_ + static_cast<std::size_t>(ni))) break;
      p_ += static_cast<std::size_t>(ni);
    }
    close(seq, mark);
    return seq;
  }

  // A node on its own lines, indented `ind` (> parent); p_ at the start of its first line.
  uint32_t block_node(int parent, int ind) {
    p_ += static_cast<std::size_t>(ind);
    if (is_seq_entry(p_)) return block_seq(ind);
    if (is_key_line()) return block_map(ind);
    return inline_value(parent);
  }

  // A block mapping's key (p_ at its first character, is_key_line() true), through the ':'.
  uint32_t block_key() {
    uint32_t key;
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
      key = scalar_node(text, false);
    }
    if (at(p_) != ':') decline();
    ++p_;
    return key;
  }

  // A value that starts on this line, after `key: ` or `- ` (the container at column
  // `parent`). Leaves p_ at the start of the next line.
  uint32_t inline_value(int parent) {
    const char c = s_[p_];
    uint32_t v;
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
      v = is_null_text(text) ? null_node() : scalar_node(text, false);
    }
    skip_spaces();
    if (!eol_or_comment()) decline();
    to_next_line();
    return v;
  }

  // `|`, `|-`, `>`, `>-` at p_; the content is indented more than `parent`.
  uint32_t block_scalar(int parent) {
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
  uint32_t quoted(int parent, bool multi_line) {
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

  uint32_t flow_node(int parent) {
    skip_flow_space(parent);
    const char c = s_[p_];
    if (c == '[') {
      ++p_;
      const uint32_t seq = add(LType::kSequence, LTag::kPlain, true);
      const std::size_t mark = stack_.size();
      skip_flow_space(parent);
      if (s_[p_] == ']') {
        ++p_;
        close(seq, mark);
        return seq;
      }
      for (;;) {
        const uint32_t item = flow_node(parent);
        stack_.push_back(item);
        skip_flow_space(parent);
        if (s_[p_] == ',') {
          ++p_;
          skip_flow_space(parent);
          if (s_[p_] == ']') decline();  // a trailing comma
          continue;
        }
        if (s_[p_] == ']') {
          ++p_;
          close(seq, mark);
          return seq;
        }
        decline();  // "[a: b]", "[a b"
      }
    }
    if (c == '{') {
      ++p_;
      const uint32_t m = add(LType::kMap, LTag::kPlain, true);
      const std::size_t mark = stack_.size();
      skip_flow_space(parent);
      if (s_[p_] == '}') {
        ++p_;
        close(m, mark);
        return m;
      }
      for (;;) {
        if (s_[p_] == '[' || s_[p_] == '{') decline();  // a collection as a key
        const uint32_t key = flow_node(parent);
        if (t_->nodes[key].type == LType::kNull) decline();
        skip_flow_space(parent);
        if (s_[p_] != ':' || !blank_or_eol(p_ + 1)) decline();
        ++p_;
        skip_flow_space(parent);
        if (s_[p_] == ',' || s_[p_] == '}') decline();  // an empty value
        const uint32_t value = flow_node(parent);
        stack_.push_back(key);
        stack_.push_back(value);
        skip_flow_space(parent);
        if (s_[p_] == ',') {
          ++p_;
          skip_flow_space(parent);
          if (s_[p_] == '}') decline();
          continue;
        }
        if (s_[p_] == '}') {
          ++p_;
          close(m, mark);
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
    return is_null_text(text) ? null_node() : scalar_node(text, false);
  }

  std::string_view s_;
  std::size_t n_;
  std::size_t p_ = 0;
  LiteTree* t_;
  std::vector<uint32_t> stack_;  // children of the collections being read
};

// yaml-cpp's node for a tree node (the tests compare the two readers' trees).
YAML::Node to_yaml(const LiteTree& t, uint32_t i) {
  const LiteTree::Node& n = t.nodes[i];
  switch (n.type) {
    case LType::kNull:
      return YAML::Node(YAML::NodeType::Null);
    case LType::kScalar: {
      YAML::Node s(n.text);
      s.SetTag(n.tag == LTag::kQuoted ? "!" : "?");
      return s;
    }
    case LType::kSequence: {
      YAML::Node seq(YAML::NodeType::Sequence);
      seq.SetTag("?");
      seq.SetStyle(n.flow ? YAML::EmitterStyle::Flow : YAML::EmitterStyle::Block);
      for (uint32_t k = 0; k < n.count; ++k) seq.push_back(to_yaml(t, t.kids[n.first + k]));
      return seq;
    }
    case LType::kMap: {
      YAML::Node m(YAML::NodeType::Map);
      m.SetTag("?");
      m.SetStyle(n.flow ? YAML::EmitterStyle::Flow : YAML::EmitterStyle::Block);
      for (uint32_t k = 0; k + 1 < n.count; k += 2) {
        m.force_insert(to_yaml(t, t.kids[n.first + k]), to_yaml(t, t.kids[n.first + k + 1]));
      }
      return m;
    }
  }
  return YAML::Node();
}

// Copies a yaml-cpp node; false past the limits (kept in *budget, depth).
bool copy_yaml(const YAML::Node& y, LiteTree* t, int depth, std::size_t* budget, uint32_t* out) {
  if (depth > 256 || *budget == 0) return false;
  --*budget;
  const auto i = static_cast<uint32_t>(t->nodes.size());
  t->nodes.emplace_back();
  const std::string& tag = y.Tag();
  const LTag lt = tag.empty()  ? LTag::kNone
                  : tag == "?" ? LTag::kPlain
                  : tag == "!" ? LTag::kQuoted
                               : LTag::kOther;
  t->nodes[i].tag = lt;
  std::vector<uint32_t> kids;
  switch (y.Type()) {
    case YAML::NodeType::Null:
      t->nodes[i].type = LType::kNull;
      break;
    case YAML::NodeType::Scalar:
      t->nodes[i].type = LType::kScalar;
      t->nodes[i].text = y.Scalar();
      break;
    case YAML::NodeType::Sequence:
      t->nodes[i].type = LType::kSequence;
      for (const auto& item : y) {
        uint32_t k;
        if (!copy_yaml(item, t, depth + 1, budget, &k)) return false;
        kids.push_back(k);
      }
      break;
    case YAML::NodeType::Map:
      t->nodes[i].type = LType::kMap;
      for (const auto& kv : y) {
        uint32_t k, v;
        if (!copy_yaml(kv.first, t, depth + 1, budget, &k) ||
            !copy_yaml(kv.second, t, depth + 1, budget, &v)) {
          return false;
        }
        kids.push_back(k);
        kids.push_back(v);
      }
      break;
    default:
      return false;
  }
  t->nodes[i].first = static_cast<uint32_t>(t->kids.size());
  t->nodes[i].count = static_cast<uint32_t>(kids.size());
  t->kids.insert(t->kids.end(), kids.begin(), kids.end());
  *out = i;
  return true;
}

}  // namespace

const std::string& LiteNode::Scalar() const {
  const LiteTree::Node& n = node();
  if (n.type != LType::kScalar) throw LiteShapeError("yaml: a scalar was expected");
  return n.text;
}

const std::string& LiteNode::Tag() const {
  static const std::string kNone, kPlain = "?", kQuoted = "!";
  switch (node().tag) {
    case LTag::kNone:
      return kNone;
    case LTag::kPlain:
      return kPlain;
    case LTag::kQuoted:
      return kQuoted;
    default:
      throw LiteShapeError("yaml: a tag");
  }
}

std::size_t LiteNode::size() const {
  const LiteTree::Node& n = node();
  switch (n.type) {
    case LType::kMap:
      return n.count / 2;
    case LType::kSequence:
      return n.count;
    default:
      return 0;
  }
}

LiteNode::iterator LiteNode::begin() const {
  const LiteTree::Node& n = node();
  const bool collection = n.type == LType::kMap || n.type == LType::kSequence;
  const uint32_t* at = tree_->kids.data() + (collection ? n.first : 0);
  return iterator(tree_, at, n.type == LType::kMap);
}

LiteNode::iterator LiteNode::end() const {
  const LiteTree::Node& n = node();
  const bool collection = n.type == LType::kMap || n.type == LType::kSequence;
  const uint32_t* at = tree_->kids.data() + (collection ? n.first + n.count : 0);
  return iterator(tree_, at, n.type == LType::kMap);
}

LiteNode LiteNode::true_scalar() {
  static const LiteTree tree = [] {
    LiteTree t;
    LiteTree::Node& n = t.nodes.emplace_back();
    n.type = LType::kScalar;
    n.tag = LTag::kNone;
    n.text = "true";
    return t;
  }();
  return LiteNode(&tree, 0);
}

bool load_all_lite(std::string_view text, LiteTree* tree, std::vector<LiteNode>* docs) {
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
  const std::size_t nodes_before = tree->nodes.size();
  const std::size_t kids_before = tree->kids.size();
  std::vector<uint32_t> out;
  try {
    Reader r(text, tree);
    r.documents(&out);
  } catch (const Decline&) {
    out.clear();
  }
  if (out.empty()) {
    tree->nodes.resize(nodes_before);
    tree->kids.resize(kids_before);
    return false;
  }
  for (uint32_t i : out) docs->emplace_back(tree, i);
  return true;
}

bool load_all_lite(std::string_view text, std::vector<YAML::Node>* docs) {
  LiteTree tree;
  std::vector<LiteNode> lite;
  if (!load_all_lite(text, &tree, &lite)) return false;
  for (const LiteNode& d : lite) docs->push_back(to_yaml(tree, d.index()));
  return true;
}

bool lite_from_yaml(const YAML::Node& node, LiteTree* tree, LiteNode* out) {
  const std::size_t nodes_before = tree->nodes.size();
  const std::size_t kids_before = tree->kids.size();
  std::size_t budget = std::size_t{1} << 20;
  uint32_t i;
  if (!copy_yaml(node, tree, 0, &budget, &i)) {
    tree->nodes.resize(nodes_before);
    tree->kids.resize(kids_before);
    return false;
  }
  *out = LiteNode(tree, i);
  return true;
}

}  // namespace sentinel::detect
