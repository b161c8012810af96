#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <set>

namespace sentinel::config {

namespace {

namespace fs = std::filesystem;

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

bool number(const YAML::Node& n, double* out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool known_top_key(const std::string& k) {
  static const std::set<std::string> kTopKeys = {"rules",         "lists",       "geo",
                                                 "aws_ip_ranges", "suppression", "output"};
  if (kTopKeys.count(k)) return true;
  for (const char* m : kModuleSections) {
    if (k == m) return true;
  }
  return false;
}

}  // namespace

YAML::Node section(const Config& c, const std::string& name) {
  if (!c.root.IsMap()) return YAML::Node();
  return c.root[name];
}

std::string resolve_path(const Config& c, const std::string& p) { return resolve(c.base_dir, p); }

bool load_config(const std::string& path, Config* out, std::vector<std::string>* errors) {
  Config c;
  c.path = path;
  c.lists = std::make_unique<enrich::ListStore>();
  c.ranges = std::make_unique<enrich::AwsRanges>();
  YAML::Node root;
  std::string base_dir;
  if (!path.empty()) {
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
      errors->push_back(path + ": " + e.what());
      return false;
    }
    base_dir = fs::path(path).parent_path().string();
    if (!root.IsMap() && !root.IsNull()) {
      errors->push_back(path + ": the top level must be a map");
      return false;
    }
  }
  const std::size_t before = errors->size();
  auto err = [&](const std::string& key, const std::string& problem) {
    errors->push_back(path + ": " + key + ": " + problem);
  };
  if (root.IsMap()) {
    for (const auto& kv : root) {
      if (!known_top_key(kv.first.Scalar())) {
        err(kv.first.Scalar(),
            "unknown key (rules, lists, geo, aws_ip_ranges, suppression, output, store, networks, "
            "metric_filters, alarms, respond)");
      }
    }
  }
  if (const YAML::Node& r = root["rules"]) {
    if (r.IsScalar()) {
      c.rules.push_back(resolve(base_dir, r.Scalar()));
    } else if (r.IsSequence()) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (!r[i].IsScalar()) {
          err("rules[" + std::to_string(i) + "]", "a path is expected");
          continue;
        }
        c.rules.push_back(resolve(base_dir, r[i].Scalar()));
      }
    } else {
      err("rules", "a path or a list of paths is expected");
    }
  }
  if (const YAML::Node& lists = root["lists"]) {
    if (!lists.IsSequence()) {
      err("lists", "a list of {name, kind, format, path | values} is expected");
    } else {
      for (std::size_t i = 0; i < lists.size(); ++i) {
        const YAML::Node& l = lists[i];
        const std::string key = "lists[" + std::to_string(i) + "]";
        if (!l.IsMap() || !l["name"]) {
          err(key, "'name' is required");
          continue;
        }
        enrich::ListSpec spec;
        spec.name = l["name"].Scalar();
        spec.display_name = l["display_name"] ? l["display_name"].Scalar() : spec.name;
        if (l["kind"]) {
          auto k = enrich::parse_list_kind(l["kind"].Scalar());
          if (!k) {
            err(key + ".kind", k.error().message);
            continue;
          }
          spec.kind = *k;
        }
        enrich::ListFormat format = enrich::ListFormat::kTxt;
        if (l["format"]) {
          auto f = enrich::parse_list_format(l["format"].Scalar());
          if (!f) {
            err(key + ".format", f.error().message);
            continue;
          }
          format = *f;
        }
        Result<enrich::ListLoadReport> rep = Error{"", ""};
        if (l["path"]) {
          rep = c.lists->load_file(spec, resolve(base_dir, l["path"].Scalar()), format);
        } else if (l["values"] && l["values"].IsSequence()) {
          std::vector<std::string> values;
          for (const auto& v : l["values"]) values.push_back(v.Scalar());
          rep = c.lists->add_inline(spec, values);
        } else {
          err(key, "'path' or 'values' is required");
          continue;
        }
        if (!rep) {
          err(key, rep.error().message);
          continue;
        }
        for (const auto& p : rep->problems) {
          c.warnings.push_back(p.source + ":" + std::to_string(p.line) + ": " + p.code + ": " +
                               p.message);
        }
      }
    }
  }
  if (const YAML::Node& r = root["aws_ip_ranges"]) {
    auto loaded = c.ranges->load_file(resolve(base_dir, r.Scalar()));
    if (!loaded) err("aws_ip_ranges", loaded.error().message);
  }
  if (const YAML::Node& g = root["geo"]) {
    std::string city = g["city"] ? resolve(base_dir, g["city"].Scalar()) : "";
    std::string asn = g["asn"] ? resolve(base_dir, g["asn"].Scalar()) : "";
    auto db = enrich::GeoDb::open(city, asn);
    if (!db) {
      err("geo", db.error().message);
    } else {
      c.geo = std::move(*db);
    }
  }
  if (const YAML::Node& s = root["suppression"]) {
    std::string e;
    if (!findings::parse_suppression_rules(s, &c.suppression, &e)) err("suppression", e);
  }
  if (const YAML::Node& o = root["output"]) {
    if (o["min_severity"] && !number(o["min_severity"], &c.min_severity)) {
      err("output.min_severity", "a number from 0 to 10 is expected");
    }
    if (o["format"]) c.output = o["format"].Scalar();
  }
  c.functions.add_builtins();
  detect::EnrichmentData data;
  data.ranges = c.ranges->loaded() ? c.ranges.get() : nullptr;
  data.geo = c.geo.get();
  data.lists = c.lists.get();
  c.functions.add_enrichment(data);
  c.root = root;
  c.base_dir = base_dir;
  *out = std::move(c);
  return errors->size() == before;
}

}  // namespace sentinel::config
