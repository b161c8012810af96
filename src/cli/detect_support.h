#pragma once
/// Shared by `detect` and `rules test`: an EventSink that hands every event to an Engine.
#include <memory>
#include <string>
#include <vector>

#include "cli/runner.h"
#include "cli/stats.h"
#include "config/config.h"
#include "detect/engine.h"
#include "detect/event_view.h"

namespace sentinel::cli {

class DetectSink : public WorkerSink {
 public:
  /// `print_rejects`: write each reject on stderr (escaped), like `parse`.
  DetectSink(detect::Engine* engine, bool print_rejects)
      : engine_(engine), scratch_(detect::EventView::make_scratch()), print_(print_rejects) {}

  void on_cloudtrail(const ingest::CloudTrailEvent& e) override;
  void on_flow(const ingest::FlowRecord& f) override;
  void on_dns(const ingest::DnsQuery& q) override;
  void on_guardduty(const ingest::GuardDutyFinding& g) override;
  void on_digest(const ingest::DigestFile& d) override { stats.add_digest(d); }
  void on_reject(const Reject& r) override;
  void on_file(const ingest::Input& in, const ingest::FileReport& rep) override {
    stats.add_file(in, rep);
    engine_->end_of_input_object();
  }

  Stats stats;

 private:
  detect::Engine* engine_;
  detect::EventView::ScratchPtr scratch_;
  bool print_;
};

/// The default rules folder: ./rules when it exists, else the source tree's rules/.
std::string default_rules_dir();

/// The engine `detect`, `analyze` and `respond` run: the rules of `rule_flags` (--rules), else
/// the config's `rules:`, else default_rules_dir(), bound to the config's lists and functions.
/// Refused rules are printed on stderr (escaped). With `require_rules`, null (after a message)
/// when no rule loads.
std::unique_ptr<detect::Engine> build_engine(const std::vector<std::string>& rule_flags,
                                             const config::Config& cfg, bool require_rules);

}  // namespace sentinel::cli
