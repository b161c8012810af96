// Helpers shared by the detect tests (declared again at the top of each test file that uses
// them; the folder holds only *_test.cc files), and a check that they read every log type.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "detect/engine.h"
#include "detect/event_view.h"
#include "detect/rules/native.h"
#include "ingest/reader.h"
#include "test_support.h"
#include "unit/detect/detect_support.h"

namespace sentinel::testing::dt {

namespace {

// Wraps every event in an EventView and hands it to `fn`, inside the callback (the event's
// bytes live only that long).
class ViewSink : public ingest::EventSink {
 public:
  explicit ViewSink(const ViewFn& fn) : fn_(fn), scratch_(detect::EventView::make_scratch()) {}
  void on_cloudtrail(const ingest::CloudTrailEvent& e) override {
    detect::EventView v(e, scratch_.get());
    fn_(v);
  }
  void on_flow(const ingest::FlowRecord& f) override {
    detect::EventView v(f, scratch_.get());
    fn_(v);
  }
  void on_dns(const ingest::DnsQuery& q) override {
    detect::EventView v(q, scratch_.get());
    fn_(v);
  }
  void on_guardduty(const ingest::GuardDutyFinding& g) override {
    detect::EventView v(g, scratch_.get());
    fn_(v);
  }
  void on_digest(const ingest::DigestFile&) override {}
  void on_reject(const Reject&) override { ++rejects; }
  int rejects = 0;

 private:
  const ViewFn& fn_;
  detect::EventView::ScratchPtr scratch_;
};

}  // namespace

int feed(ingest::LogType type, const std::string& data, const ViewFn& fn, const std::string& path) {
  ingest::ParseOptions po;
  po.forced_type = type;
  ingest::Reader reader(po);
  ViewSink sink(fn);
  reader.read_bytes(path, data, sink);
  return sink.rejects;
}

std::string ct(const std::string& body) {
  std::string s =
      R"({"eventVersion":"1.08","eventTime":"2024-01-15T02:00:00Z","awsRegion":"us-east-1",)"
      R"("recipientAccountId":"111122223333","eventType":"AwsApiCall")";
  if (!body.empty()) s += "," + body;
  return s + "}";
}

std::string records(const std::vector<std::string>& recs) {
  std::string s = "{\"Records\":[";
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (i > 0) s += ",";
    s += recs[i];
  }
  return s + "]}";
}

std::string dns(const std::string& name, const std::string& instance) {
  return R"({"version":"1.100000","account_id":"111122223333","region":"us-east-1",)"
         R"("vpc_id":"vpc-1","query_timestamp":"2024-01-15T02:30:00Z","query_name":")" +
         name +
         R"(","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"192.0.2.10","Type":"A","Class":"IN"}],)"
         R"("srcaddr":"10.0.1.5","srcport":"53111","transport":"UDP","srcids":{"instance":")" +
         instance + "\"}}";
}

detect::Rule rule(const std::string& yaml, const detect::RuleDefs& defs) {
  detect::Rule r;
  std::string err;
  YAML::Node doc = YAML::Load(yaml);
  if (!detect::compile_native_rule(doc, defs, "test.yaml", &r, &err)) {
    ADD_FAILURE() << "rule refused: " << err << "\n" << yaml;
  }
  return r;
}

std::vector<findings::Finding> run(
    std::vector<detect::Rule> rules,
    const std::vector<std::pair<ingest::LogType, std::string>>& inputs, detect::EngineStats* stats,
    std::vector<std::string>* errors) {
  std::vector<std::string> errs;
  detect::Engine engine(std::move(rules), detect::EngineOptions{}, &errs);
  if (errors != nullptr) {
    *errors = errs;
  } else {
    EXPECT_TRUE(errs.empty()) << errs.front();
  }
  for (const auto& [type, data] : inputs) {
    int rejects = feed(
        type, data, [&](const detect::EventView& v) { engine.on_event(v); },
        type == ingest::LogType::kVpcFlow ? "flows.log" : "t.json");
    EXPECT_EQ(rejects, 0) << data;
    engine.end_of_input_object();
  }
  engine.finish();
  if (stats != nullptr) *stats = engine.stats();
  return engine.take_findings();
}

extern const char* const kFlowLine;
const char* const kFlowLine =
    "2 111122223333 eni-0a1 10.0.1.5 10.0.2.9 40001 22 6 1 40 1705285800 1705285810 REJECT OK";

namespace {

TEST(DetectHelpers, EachLogTypeParsesWithoutRejects) {
  std::vector<ingest::LogType> seen;
  ViewFn fn = [&](const detect::EventView& v) { seen.push_back(v.type()); };
  EXPECT_EQ(feed(ingest::LogType::kCloudTrail, records({ct("\"eventName\":\"A\"")}), fn, "t.json"),
            0);
  EXPECT_EQ(feed(ingest::LogType::kVpcFlow, std::string(kFlowLine) + "\n", fn, "f.log"), 0);
  EXPECT_EQ(feed(ingest::LogType::kRoute53, dns("www.example.com.", "i-1") + "\n", fn, "d.log"), 0);
  EXPECT_EQ(seen,
            (std::vector<ingest::LogType>{ingest::LogType::kCloudTrail, ingest::LogType::kVpcFlow,
                                          ingest::LogType::kRoute53}));
}

}  // namespace
}  // namespace sentinel::testing::dt
