#pragma once
/// Expands the PATH arguments of a command into the list of inputs to read: files as given,
/// directories walked recursively (sorted, so runs are reproducible), `-` for standard input.
#include <string>
#include <vector>

#include "core/result.h"

namespace sentinel::ingest {

struct Input {
  std::string path;  ///< "-" for stdin
  bool is_stdin = false;
};

struct InputList {
  std::vector<Input> inputs;
  /// Arguments that do not exist or cannot be listed ("path: reason"), already escaped.
  std::vector<std::string> errors;
};

InputList expand_inputs(const std::vector<std::string>& args);

}  // namespace sentinel::ingest
