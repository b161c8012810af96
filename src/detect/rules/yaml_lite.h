#pragma once
/// A fast reader for the YAML that rule packs are written in. yaml-cpp's scanner costs about
/// 1 300 instructions per byte of rule text (most of loading 200 rules); this reader builds the
/// same YAML::Node trees for the subset rule files use, at a small fraction of that, and
/// declines everything else, for the caller to hand to yaml-cpp as before.
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
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace sentinel::detect {

/// Reads every document of `text` into *docs (appended); false when the text is outside the
/// subset (see above), leaving *docs as it was.
bool load_all_lite(std::string_view text, std::vector<YAML::Node>* docs);

}  // namespace sentinel::detect
