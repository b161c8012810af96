#pragma once
/// Injected attacks for `sentinel simulate`: one scenario per finding type plus the multi-source
/// stories. A scenario writes its records (CloudTrail, flow, DNS) through an Injector, which
/// also builds the scenario's label (time span, actors, expected finding types).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/estate.h"
#include "sim/records.h"

namespace sentinel::sim {

enum class LogKind : std::uint8_t { kCloudTrail, kFlow, kDns, kGuardDuty };

/// One record of an injected attack, already rendered.
struct SimEvent {
  std::int64_t time;
  std::uint32_t account;
  LogKind kind;
  std::uint8_t sub;  ///< CloudTrail: 0 home region, 1 us-east-1 (global); DNS: VPC index
  std::string text;  ///< CloudTrail: the JSON object; flow, DNS, GuardDuty: the line with '\n'
};

/// What labels.jsonl says about one injected scenario.
struct Label {
  std::string scenario;
  std::string summary;
  std::string account;
  std::int64_t start = 0, end = 0;
  std::vector<std::string> actors;
  std::vector<std::string> expected;
  std::vector<std::string> sources;
  std::vector<std::string> guardduty;  ///< types of the GuardDuty findings written (--guardduty)
  std::uint64_t events = 0;
};

class Injector {
 public:
  Injector(const Estate& estate, std::uint64_t seed, std::int64_t t0, std::size_t account,
           std::vector<SimEvent>* out, Label* label, bool guardduty = false);

  const Estate& e;
  const SimAccount& a;
  std::size_t acct;
  Rng rng;
  std::int64_t t;  ///< the scenario's clock; helpers advance it

  /// Writes a CloudTrail call at the current clock (region: the account's home region,
  /// or us-east-1 for global services).
  void call(const Caller& who, Call c);
  void flow(Flow f);
  void query(Query q);
  /// Writes the finding GuardDuty itself raises for the activity (Runtime Monitoring, EKS audit
  /// logs, Malware Protection: what no rule here can see), when --guardduty asked for them;
  /// f.created is set to a few minutes after f.last. Its randomness has a stream of its own, so
  /// the logs are the same with and without --guardduty.
  void guardduty(GdFinding f);
  bool guardduty_enabled() const { return guardduty_; }
  void actor(std::string s);
  void actor_ip(std::uint32_t ip) { actor(ipv4_string(ip)); }
  /// Advances the clock by `lo`..`hi` seconds.
  void wait(std::int64_t lo, std::int64_t hi) { t += rng.range(lo, hi); }

 private:
  std::vector<SimEvent>* out_;
  Label* label_;
  bool guardduty_;
  Rng gd_rng_;
};

struct Scenario {
  std::string_view name;
  std::string_view summary;
  std::vector<std::string_view> expected;
  std::vector<std::string_view> sources;  ///< cloudtrail, vpcflow, route53
  int min_days = 1;                       ///< needs this much history before it
  int fixed_minute = -1;                  ///< minute of the day it starts at (-1: any slot)
  bool main_account = false;              ///< runs in the first account (the stories)
  void (*run)(Injector&);
  /// GuardDuty finding types the scenario writes with --guardduty. A scenario with no `expected`
  /// types writes only GuardDuty findings and is skipped without --guardduty.
  std::vector<std::string_view> guardduty = {};
};

/// Every scenario, in a fixed order (their index seeds them).
const std::vector<Scenario>& scenario_catalogue();

}  // namespace sentinel::sim
