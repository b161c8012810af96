#pragma once
// Helpers the detect tests share (defined in support_test.cc).
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/event_view.h"
#include "detect/rules/native.h"
#include "findings/finding.h"
#include "ingest/event.h"

namespace sentinel::testing::dt {

using ViewFn = std::function<void(const detect::EventView&)>;
/// Parses `data` as `type` (as if read from `path`) and calls `fn` per event; returns rejects.
int feed(ingest::LogType type, const std::string& data, const ViewFn& fn, const std::string& path);
/// A CloudTrail record with the common fields around `body`.
std::string ct(const std::string& body);
/// `{"Records":[...]}` of the given records.
std::string records(const std::vector<std::string>& recs);
/// A Route 53 Resolver record for `name` from `instance`.
std::string dns(const std::string& name, const std::string& instance);
/// Compiles one native rule (fails the test on error).
detect::Rule rule(const std::string& yaml, const detect::RuleDefs& defs);
/// Runs an engine over the inputs (one object each) and returns its findings.
std::vector<findings::Finding> run(
    std::vector<detect::Rule> rules,
    const std::vector<std::pair<ingest::LogType, std::string>>& inputs, detect::EngineStats* stats,
    std::vector<std::string>* errors);
extern const char* const kFlowLine;

}  // namespace sentinel::testing::dt
