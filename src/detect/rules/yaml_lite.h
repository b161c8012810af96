#pragma once
/// A fast reader for the YAML that rule packs are written in. yaml-cpp's scanner costs about
/// 1 300 instructions per byte of rule text (most of loading 200 rules); this reader builds its
/// own compact tree (LiteTree: one vector of nodes, one of child indices) for the subset rule
/// files use, at a small fraction of that, and declines everything else, for the caller to hand
/// to yaml-cpp as before. The rule compiler (detect/rules/native.cc) reads the tree through
/// LiteNode, which answers as yaml-cpp's YAML::Node does wherever yaml-cpp answers without an
/// exception, and throws LiteShapeError wherever yaml-cpp would throw or answer in a way the
/// tree does not record; the loader then does the whole load again with yaml-cpp, so refusals
/// keep yaml-cpp's messages.
///
/// Read: documents separated by `---`; block mappings and sequences (a sequence may sit at its
/// key's indentation, `- key: value` compact mappings); flow mappings and sequences (over
/// several lines too); plain scalars on one line; single- and double-quoted scalars (over
/// several lines, folded as YAML folds them; double-quoted escapes \\ \" \/ \n \t \r); block
/// scalars `|`, `|-`, `>`, `>-`; comments.
///
/// The trees match yaml-cpp's node for node: the same types, scalar text, tags ("?" for plain
/// nodes, "!" for quoted and block scalars, none for nulls: `~`, `null`, `Null`, `NULL` and
/// absent values), collection styles, pair order, repeated keys kept in order.
///
/// Declined (false, *docs untouched): tabs, carriage returns, other control bytes, a byte-order
/// mark, directives, `...`, empty documents, a document that is not a mapping, anchors, aliases,
/// tags, complex keys, plain scalars over several lines, block scalars with `+` or an explicit
/// indentation or more-indented lines in a folded scalar, other escapes, and anything that is
/// not valid YAML. A text that yaml-cpp refuses is always declined, so refusals (and their
/// line and column) still come from yaml-cpp.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace sentinel::detect {

/// A read of a LiteNode that yaml-cpp would refuse with an exception, or answer from what the
/// tree does not keep (an absent key's node, a collection's text, a tag other than "?" and "!").
struct LiteShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The documents of one or more texts: nodes by index, a collection's children contiguous in
/// `kids` (a mapping's as key, value, key, value ...).
struct LiteTree {
  enum class Type : uint8_t { kNull, kScalar, kSequence, kMap };
  enum class Tag : uint8_t { kNone, kPlain, kQuoted, kOther };
  struct Node {
    std::string text;  ///< a scalar's
    uint32_t first = 0;
    uint32_t count = 0;  ///< children (a mapping: twice its pairs)
    Type type = Type::kNull;
    Tag tag = Tag::kNone;
    bool flow = false;  ///< a flow collection
  };
  std::vector<Node> nodes;
  std::vector<uint32_t> kids;
};

class LiteNode;

/// What iterating a LiteNode yields: for a sequence the item (first and second absent), for a
/// mapping the pair (the item itself absent), as yaml-cpp's iterator_value.
struct LiteItem;

/// A node of a LiteTree, or an absent one (what a lookup of a missing key gives). The subset of
/// YAML::Node's interface the rule compiler uses, with its answers.
class LiteNode {
 public:
  LiteNode() = default;
  LiteNode(const LiteTree* tree, uint32_t index) : tree_(tree), index_(index) {}

  bool IsDefined() const { return tree_ != nullptr; }
  explicit operator bool() const { return tree_ != nullptr; }
  bool operator!() const { return tree_ == nullptr; }

  LiteTree::Type type() const { return node().type; }
  bool IsNull() const { return node().type == LiteTree::Type::kNull; }
  bool IsScalar() const { return node().type == LiteTree::Type::kScalar; }
  bool IsSequence() const { return node().type == LiteTree::Type::kSequence; }
  bool IsMap() const { return node().type == LiteTree::Type::kMap; }
  /// A scalar's text; LiteShapeError for anything else.
  const std::string& Scalar() const;
  /// "?", "!" or ""; LiteShapeError for another tag.
  const std::string& Tag() const;
  std::size_t size() const;

  class iterator;
  iterator begin() const;
  iterator end() const;

  /// A plain scalar "true" (what `fn:` without an operator compares with).
  static LiteNode true_scalar();

  const LiteTree* tree() const { return tree_; }
  uint32_t index() const { return index_; }

 private:
  const LiteTree::Node& node() const {
    if (tree_ == nullptr) throw LiteShapeError("yaml: an absent node was read");
    return tree_->nodes[index_];
  }
  const LiteTree* tree_ = nullptr;
  uint32_t index_ = 0;
};

struct LiteItem : LiteNode {
  LiteNode first;
  LiteNode second;
};

class LiteNode::iterator {
 public:
  iterator(const LiteTree* tree, const uint32_t* at, bool map) : tree_(tree), at_(at), map_(map) {}
  LiteItem operator*() const {
    LiteItem it;
    if (map_) {
      it.first = LiteNode(tree_, at_[0]);
      it.second = LiteNode(tree_, at_[1]);
    } else {
      static_cast<LiteNode&>(it) = LiteNode(tree_, at_[0]);
    }
    return it;
  }
  iterator& operator++() {
    at_ += map_ ? 2 : 1;
    return *this;
  }
  bool operator==(const iterator& o) const { return at_ == o.at_; }
  bool operator!=(const iterator& o) const { return at_ != o.at_; }

 private:
  const LiteTree* tree_;
  const uint32_t* at_;
  bool map_;
};

/// Reads every document of `text` into *tree, appending a node per document to *docs; false
/// when the text is outside the subset (see above), leaving *tree and *docs as they were.
bool load_all_lite(std::string_view text, LiteTree* tree, std::vector<LiteNode>* docs);

/// The same documents as yaml-cpp's own trees (for tests): appended to *docs.
bool load_all_lite(std::string_view text, std::vector<YAML::Node>* docs);

/// Copies a yaml-cpp tree into *tree (for files the reader declines): every node its own (an
/// alias's target copied where it is used). False for a tree too large or too deep to copy
/// (anchors can multiply a small text), leaving *tree as it was.
bool lite_from_yaml(const YAML::Node& node, LiteTree* tree, LiteNode* out);

}  // namespace sentinel::detect
