#pragma once
/// sentinel.yaml: one file for the rules folders, lists, enrichment data, suppression and output.
/// Validated at start; every error names the key and the problem
/// (`lists[1].format: 'xml' is not TXT or OTX_CSV`).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/functions/registry.h"
#include "enrich/aws_ranges.h"
#include "enrich/geo.h"
#include "enrich/lists.h"
#include "findings/suppression.h"

namespace sentinel::config {

struct Config {
  std::string path;                ///< the file it came from (empty: defaults)
  std::vector<std::string> rules;  ///< rule files or folders (relative to the config file)
  double min_severity = 0;
  std::string output = "table";
  std::vector<findings::SuppressionRule> suppression;

  // Loaded data.
  std::unique_ptr<enrich::ListStore> lists;
  std::unique_ptr<enrich::AwsRanges> ranges;
  std::unique_ptr<enrich::GeoDb> geo;
  detect::FunctionRegistry functions;
  std::vector<std::string> warnings;  ///< bad list lines and the like (counted, not fatal)
};

/// Loads `path` (empty: defaults, no file). Errors list every problem found.
bool load_config(const std::string& path, Config* out, std::vector<std::string>* errors);

}  // namespace sentinel::config
