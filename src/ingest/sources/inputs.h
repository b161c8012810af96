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

/// The delivery time AWS writes into a log object's key, as "YYYYMMDDTHHMMSS" (seconds "00"
/// when the name has minutes only): from the file name (`..._20240115T0210Z_...`), else from
/// the date folders (`/2024/01/15/`, `year=2024/month=01/day=15/`). Empty when there is none.
std::string delivery_time_key(std::string_view path);

/// Orders inputs by delivery time (stable; inputs without one keep their order, first), so that
/// a tree of many accounts, regions and log types reaches the detection engine roughly in event
/// time, as stateful rules with a bounded lateness need.
void order_by_delivery_time(std::vector<Input>* inputs);

}  // namespace sentinel::ingest
