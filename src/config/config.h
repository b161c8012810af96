#pragma once
/// sentinel.yaml: one file for the rules folders, lists, enrichment data, suppression and output.
/// Validated at start; every error names the key and the problem
/// (`lists[1].format: 'xml' is not TXT or OTX_CSV`).
#include <yaml-cpp/yaml.h>

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

  /// The parsed file, for the sections other modules read and validate themselves
  /// (store, networks, metric_filters, alarms, respond): see section().
  YAML::Node root;
  std::string base_dir;  ///< the config file's folder; relative paths are resolved against it
};

/// Top-level sections owned by other modules: accepted here, validated by their module, which
/// reports errors as "<file>: <section>.<key>: <problem>".
inline constexpr const char* kModuleSections[] = {"store", "networks", "metric_filters", "alarms",
                                                  "respond"};

/// The YAML node of a module section (null when absent).
YAML::Node section(const Config& c, const std::string& name);
/// `p` resolved against the config file's folder (absolute and empty paths unchanged).
std::string resolve_path(const Config& c, const std::string& p);

/// Loads `path` (empty: defaults, no file). Errors list every problem found.
bool load_config(const std::string& path, Config* out, std::vector<std::string>* errors);

}  // namespace sentinel::config
