#include <cstdio>
#include <map>
#include <memory>
#include <regex>

#include "cli/commands.h"
#include "cli/detect_support.h"
#include "config/config.h"
#include "core/escape.h"
#include "detect/functions/registry.h"
#include "detect/rules/native.h"
#include "detect/rules/sigma.h"
#include "enrich/aws_ranges.h"
#include "enrich/lists.h"
#include "ingest/reader.h"

namespace sentinel::cli {

namespace {

struct RulesOptions {
  std::vector<std::string> paths;
  std::string config;
};

std::vector<detect::Rule> load_all(const std::vector<std::string>& paths,
                                   detect::LoadErrors* errors) {
  std::vector<detect::Rule> rules;
  for (const auto& p : paths) {
    auto loaded = detect::load_rules(p, errors);
    for (auto& r : loaded) rules.push_back(std::move(r));
  }
  return rules;
}

// Runs one embedded test; returns an empty string on success, else what went wrong.
std::string run_test(const detect::Rule& rule, const detect::RuleTest& t,
                     const config::Config& cfg) {
  detect::EngineOptions eo;
  eo.lists = cfg.lists.get();
  eo.functions = &cfg.functions;
  // A test that names its own lists sees only those (the configured ones are not mixed in).
  enrich::ListStore test_lists;
  if (!t.lists.empty()) {
    for (const auto& l : t.lists) {
      enrich::ListSpec spec;
      spec.name = l.name;
      spec.kind = l.trusted ? enrich::ListKind::kTrusted : enrich::ListKind::kThreat;
      Result<enrich::ListLoadReport> rep =
          l.path.empty() ? test_lists.add_inline(spec, l.values)
                         : test_lists.load_file(spec, l.path, enrich::ListFormat::kTxt);
      if (!rep) return "list '" + l.name + "': " + rep.error().message;
      if (!rep->problems.empty()) {
        const auto& p = rep->problems.front();
        return "list '" + l.name + "': " + p.source + ":" + std::to_string(p.line) + ": " +
               p.message;
      }
      if (!l.path.empty() && !l.values.empty()) {
        return "list '" + l.name + "': give 'values' or 'path', not both";
      }
    }
    eo.lists = &test_lists;
  }
  // A test that names its own ip-ranges.json gets the functions that need AWS's ranges.
  enrich::AwsRanges test_ranges;
  detect::FunctionRegistry test_functions;
  if (!t.aws_ip_ranges.empty()) {
    auto loaded = test_ranges.load_file(t.aws_ip_ranges);
    if (!loaded) return "aws_ip_ranges: " + loaded.error().message;
    test_functions = detect::FunctionRegistry::with_enrichment(
        {&test_ranges, cfg.geo.get(), t.lists.empty() ? cfg.lists.get() : &test_lists});
    eo.functions = &test_functions;
  }
  std::vector<std::string> errors;
  detect::Engine engine({rule}, eo, &errors);
  if (!errors.empty()) return errors.front();
  std::string data;
  for (const auto& e : t.events_json) {
    data += e;
    data.push_back('\n');
  }
  ingest::ParseOptions po;
  po.forced_type = t.log_type;
  ingest::Reader reader(po);
  DetectSink sink(&engine, /*print_rejects=*/false);
  reader.read_bytes("test:" + t.name, data, sink);
  if (sink.stats.rejects() > 0) {
    return "its events were rejected by the " + std::string(ingest::log_type_name(t.log_type)) +
           " parser (" + std::to_string(sink.stats.rejects()) + " rejects)";
  }
  engine.finish();
  auto fs = engine.take_findings();
  if (fs.size() != t.expect_findings) {
    return "expected " + std::to_string(t.expect_findings) + " findings, got " +
           std::to_string(fs.size());
  }
  for (const auto& f : fs) {
    if (!t.expect_type.empty() && f.type != t.expect_type) {
      return "expected type " + t.expect_type + ", got " + f.type;
    }
    if (t.expect_severity >= 0 && f.severity != t.expect_severity) {
      return "expected severity " + std::to_string(t.expect_severity) + ", got " +
             std::to_string(f.severity);
    }
  }
  return {};
}

}  // namespace

void add_rules_command(CLI::App& app, int* code) {
  auto* rules = app.add_subcommand("rules", "Work with detection rules: test, list, check");
  rules->require_subcommand(1);

  auto to = std::make_shared<RulesOptions>();
  auto* test = rules->add_subcommand(
      "test", "Run every rule's embedded tests (events in, expected findings out)");
  test->add_option("PATH", to->paths, "Rule files or folders (default: ./rules)");
  test->add_option("--config", to->config, "sentinel.yaml (lists and enrichment for the tests)");
  test->callback([to, code] {
    std::vector<std::string> errors;
    config::Config cfg;
    if (!config::load_config(to->config, &cfg, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "sentinel: %s\n", terminal_safe(e).c_str());
      *code = kExitUsage;
      return;
    }
    std::vector<std::string> paths = to->paths;
    if (paths.empty()) paths.push_back(default_rules_dir());
    detect::LoadErrors load_errors;
    auto loaded = load_all(paths, &load_errors);
    uint64_t passed = 0, failed = 0;
    for (const auto& e : load_errors.messages) {
      std::printf("FAIL load: %s\n", terminal_safe(e).c_str());
      ++failed;
    }
    for (const auto& r : loaded) {
      if (r.tests.empty()) {
        std::printf("FAIL %s: the rule has no tests\n", terminal_safe(r.id).c_str());
        ++failed;
        continue;
      }
      for (const auto& t : r.tests) {
        std::string why = run_test(r, t, cfg);
        if (why.empty()) {
          ++passed;
        } else {
          ++failed;
          std::printf("FAIL %s / %s: %s\n", terminal_safe(r.id).c_str(),
                      terminal_safe(t.name).c_str(), terminal_safe(why).c_str());
        }
      }
    }
    std::printf("%zu rules: %llu passed, %llu failed\n", loaded.size(),
                static_cast<unsigned long long>(passed), static_cast<unsigned long long>(failed));
    *code = failed == 0 ? kExitOk : kExitNothingReadable;
  });

  auto lo = std::make_shared<RulesOptions>();
  auto* list = rules->add_subcommand("list", "List the rules that load, with their index keys");
  list->add_option("PATH", lo->paths, "Rule files or folders (default: ./rules)");
  list->callback([lo, code] {
    std::vector<std::string> paths = lo->paths;
    if (paths.empty()) paths.push_back(default_rules_dir());
    detect::LoadErrors errors;
    auto loaded = load_all(paths, &errors);
    for (const auto& r : loaded) {
      std::string names;
      for (const auto& n : r.index_names) names += (names.empty() ? "" : ",") + n;
      std::printf("%-50s %-60s %4.1f %s\n", terminal_safe(r.id).c_str(),
                  terminal_safe(r.type).c_str(), r.severity.value,
                  names.empty() ? "(every event)" : terminal_safe(names).c_str());
    }
    for (const auto& e : errors.messages) {
      std::fprintf(stderr, "sentinel: rule refused: %s\n", terminal_safe(e).c_str());
    }
    *code = errors.empty() ? kExitOk : kExitNothingReadable;
  });
  // rules check --sigma PATH: the Sigma compatibility measure (every file loaded or refused,
  // with the reason, the refusals grouped, and the pass rate).
  auto cpath = std::make_shared<std::string>();
  auto* check = rules->add_subcommand(
      "check",
      "Load every Sigma file under a folder; print each file loaded or refused (why), "
      "the refusals grouped by reason, and the pass rate");
  check->add_option("--sigma", *cpath, "Folder (or file) of Sigma rules")->required();
  check->callback([cpath, code] {
    detect::SigmaDirReport rep = detect::check_sigma_dir(*cpath);
    if (!rep.error.empty()) {
      std::fprintf(stderr, "sentinel: %s\n", terminal_safe(rep.error).c_str());
      *code = kExitUsage;
      return;
    }
    // Grouping key: the reason with its quoted specifics and columns blanked.
    static const std::regex kQuoted("'[^']*'");
    static const std::regex kColumn("column [0-9]+");
    std::map<std::string, std::vector<std::string>> groups;
    std::size_t rules_total = 0, correlations = 0;
    for (const auto& f : rep.files) {
      if (f.loaded) {
        rules_total += f.rules;
        correlations += f.correlations;
        std::string extra;
        if (f.correlations > 0) {
          extra = ", of which " + std::to_string(f.correlations) + " correlation" +
                  (f.correlations == 1 ? "" : "s");
        }
        std::printf("LOADED  %s (%zu rule%s%s)\n", terminal_safe(f.path).c_str(), f.rules,
                    f.rules == 1 ? "" : "s", extra.c_str());
      } else {
        std::printf("REFUSED %s\n", terminal_safe(f.error).c_str());
        std::string key = std::regex_replace(f.reason, kQuoted, "'…'");
        key = std::regex_replace(key, kColumn, "column N");
        groups[key].push_back(f.path);
      }
    }
    const std::size_t n = rep.files.size();
    std::printf(
        "\n%zu files: %zu loaded (%zu rules, of which %zu correlations), %zu refused; pass rate "
        "%.1f%%\n",
        n, rep.loaded, rules_total, correlations, rep.refused,
        n == 0 ? 0.0 : 100.0 * static_cast<double>(rep.loaded) / static_cast<double>(n));
    if (!groups.empty()) std::printf("refused, by reason:\n");
    for (const auto& [reason, paths] : groups) {
      std::printf("  %zu  %s\n", paths.size(), terminal_safe(reason).c_str());
      for (const auto& p : paths) std::printf("       %s\n", terminal_safe(p).c_str());
    }
    *code = rep.refused == 0 && n > 0 ? kExitOk : kExitNothingReadable;
  });
}

namespace {
const CommandRegistration kRulesRegistration{50, &add_rules_command};
}  // namespace

}  // namespace sentinel::cli
