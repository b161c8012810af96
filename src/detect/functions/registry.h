#pragma once
/// The functions rules can call, by name. Rule loaders look names up here at compile time and
/// store the Function* in the predicate; the registry owns the functions and must outlive the
/// compiled rules.
///
/// builtin() holds the functions that need no data: `entropy`, `string_entropy`,
/// `dns_label_count`, `dns_longest_label`, `dns_digit_ratio`, `dns_name_length`, `ip_class`
/// (private or public only) and `geo_distance_km` ("lat,lon" fields only). A program that loads
/// enrichment data builds its own registry with with_enrichment(), which adds `aws_service`
/// (ranges), `country`, `asn`, `asn_org`, `city` (geo), `threat_list`, `is_trusted` (lists) and
/// rebinds `ip_class` and `geo_distance_km` to the data. See docs/enrichment.md.
///
/// Thread-safety: build at start-up; lookups and calls are then safe from any thread.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/ir/predicate.h"

namespace sentinel::enrich {
class AwsRanges;
class GeoDb;
class ListStore;
}  // namespace sentinel::enrich

namespace sentinel::detect {

/// Data some functions need. Null members leave those functions out (or, for ip_class and
/// geo_distance_km, in their data-free form). The pointees must outlive the registry.
struct EnrichmentData {
  const enrich::AwsRanges* ranges = nullptr;
  const enrich::GeoDb* geo = nullptr;
  const enrich::ListStore* lists = nullptr;
};

class FunctionRegistry {
 public:
  struct Entry {
    std::unique_ptr<Function> fn;
    std::vector<int> arities;  ///< the argument counts it accepts
    std::string summary;       ///< one line for `sentinel rules functions` and error messages
  };

  FunctionRegistry() = default;
  FunctionRegistry(FunctionRegistry&&) = default;
  FunctionRegistry& operator=(FunctionRegistry&&) = default;

  /// The data-free functions, built once.
  static const FunctionRegistry& builtin();
  /// The data-free functions plus those `data` makes possible.
  static FunctionRegistry with_enrichment(const EnrichmentData& data);

  /// Adds (or replaces) `name`.
  void add(std::string name, std::unique_ptr<Function> fn, std::vector<int> arities,
           std::string summary);
  /// Adds the data-free functions.
  void add_builtins();
  /// Adds the functions `data` makes possible (replacing data-free forms of the same name).
  void add_enrichment(const EnrichmentData& data);

  /// The function called `name`, or nullptr.
  const Function* find(std::string_view name) const;
  /// Its entry (arity, summary), or nullptr.
  const Entry* entry(std::string_view name) const;
  /// Checks a call's arity; false with *error set ("unknown function", "takes 1 argument").
  bool check_call(std::string_view name, std::size_t args, std::string* error) const;
  /// Names in sorted order.
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sentinel::detect
