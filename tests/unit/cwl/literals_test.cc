// Pattern::required_literals (the strings `sentinel filter` lets the parser skip records
// without): what each kind of condition yields, and that a record the pattern matches always
// holds one of them (records without backslashes: the test's and the corpus's).
#include <gtest/gtest.h>

#include <filesystem>

#include "cwl/pattern.h"
#include "cwl_support.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::testing {
namespace {

// The literals, joined by '|', or "none".
std::string lits(const std::string& pattern) {
  cwl::Pattern p;
  cwl::PatternError err;
  if (!cwl::Pattern::compile(pattern, &p, &err)) return "error: " + err.to_string();
  std::vector<std::string> v;
  if (!p.required_literals(&v)) return v.empty() ? "none" : "none but filled";
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "|") + x;
  return s;
}

TEST(RequiredLiterals, EqualityAndWildcards) {
  EXPECT_EQ(lits(R"({ $.eventName = "ConsoleLogin" })"), "ConsoleLogin");
  EXPECT_EQ(lits(R"({ $.eventName = ConsoleLogin })"), "ConsoleLogin");
  EXPECT_EQ(lits(R"({ $.userIdentity.arn = "arn:aws:iam::1:user/a" })"), "arn:aws:iam::1:user/a");
  EXPECT_EQ(lits(R"({ $.errorCode = "AccessDenied*" })"), "AccessDenied");
  EXPECT_EQ(lits(R"({ $.errorCode = "*Unauthorized*Op" })"), "Unauthorized");
  EXPECT_EQ(lits(R"({ $.a[*].b = "x?y" })"), "x?y");  // CloudWatch has no '?' wildcard
  EXPECT_EQ(lits(R"({ $.tags[0] = "prod" })"), "prod");
  // No number is written 86.29.230.184: a dotted quad is a literal.
  EXPECT_EQ(lits(R"({ $.sourceIPAddress = "86.29.230.184" })"), "86.29.230.184");
  EXPECT_EQ(lits(R"({ $.sourceIPAddress = 86.29.230.184 })"), "86.29.230.184");
}

TEST(RequiredLiterals, AndTakesOneSideOrTakesBoth) {
  EXPECT_EQ(lits(R"({ $.a = "x" && $.b = "longer" })"), "longer");
  EXPECT_EQ(lits(R"({ $.a = "x" && $.b NOT EXISTS })"), "x");
  EXPECT_EQ(lits(R"({ $.a = "abc" || $.b = "defg" })"), "abc|defg");
  EXPECT_EQ(lits(R"({ ($.a = "abc" || $.b = "abc") && $.c > 5 })"), "abc");
  EXPECT_EQ(lits(R"({ $.a = "abc" || $.b != "defg" })"), "none");
  EXPECT_EQ(lits(R"({ $.a = "abc" || $.b IS TRUE })"), "none");
}

TEST(RequiredLiterals, NoneWhereAMatchNeedNotHoldTheText) {
  EXPECT_EQ(lits(R"({ $.eventName != "ConsoleLogin" })"), "none");
  EXPECT_EQ(lits(R"({ $.latency = 250 })"), "none");    // 2.5e2 matches too
  EXPECT_EQ(lits(R"({ $.latency = "250" })"), "none");  // a number's text
  EXPECT_EQ(lits(R"({ $.x = "1e5" })"), "none");
  EXPECT_EQ(lits(R"({ $.x = "1.5" })"), "none");
  EXPECT_EQ(lits(R"({ $.x = "*29.2*" })"), "none");  // inside 129.25, written 1.2925e2
  EXPECT_EQ(lits(R"({ $.x = "10.0.*" })"), "none");
  EXPECT_EQ(lits(R"({ $.x = * })"), "none");
  EXPECT_EQ(lits(R"({ $.x IS NULL })"), "none");
  EXPECT_EQ(lits(R"({ $.x NOT EXISTS })"), "none");
  EXPECT_EQ(lits(R"({ $.x = %Console% })"), "none");
  EXPECT_EQ(lits(R"({ $.region = "us-east-1" })"), "none");  // may come from the file's path
  EXPECT_EQ(lits(R"({ $.account = "acct-a" })"), "none");
  EXPECT_EQ(lits("ConsoleLogin"), "none");  // terms, regex and delimited: not JSON patterns
  EXPECT_EQ(lits("%Console%"), "none");
  EXPECT_EQ(lits("[a, b = x]"), "none");
  EXPECT_EQ(lits(""), "none");
}

// Every record a pattern matches holds one of its literals, checked over records.
void expect_sound(const std::string& pattern, const std::string& path, const std::string& bytes,
                  int* matched) {
  cwl::Pattern p;
  cwl::PatternError err;
  ASSERT_TRUE(cwl::Pattern::compile(pattern, &p, &err)) << pattern;
  std::vector<std::string> v;
  if (!p.required_literals(&v)) return;
  ingest::ParseOptions o;
  o.forced_type = ingest::LogType::kCloudTrail;
  auto check = [&](const detect::EventView& ev) {
    if (!p.matches(ev)) return;
    ++*matched;
    const std::string_view raw = ev.cloudtrail()->raw;
    if (raw.find('\\') != std::string_view::npos) return;
    bool holds = false;
    for (const auto& s : v) holds = holds || raw.find(s) != std::string_view::npos;
    EXPECT_TRUE(holds) << pattern << " matched a record holding none of its literals: " << raw;
  };
  // Rejected records do not matter here: only the events a pattern matches are checked.
  ViewSink<decltype(check)> sink(check);
  ingest::Reader reader(o);
  reader.read_bytes(path, bytes, sink);
}

const char* const kPatterns[] = {
    R"({ $.eventName = "ConsoleLogin" })",
    R"({ $.eventName = "Get*" })",
    R"({ $.eventSource = "*.amazonaws.com" && $.readOnly IS TRUE })",
    R"({ $.errorCode = "AccessDenied" || $.errorCode = "*Unauthorized*" })",
    R"({ $.userIdentity.type = "Root" })",
    R"({ $.userIdentity.sessionContext.sessionIssuer.userName = "*" })",
    R"({ $.requestParameters.bucketName = "*" && $.eventName = "*Object" })",
    R"({ $.resources[*].ARN = "arn:*" })",
    R"({ $.sourceIPAddress = "*.amazonaws.com" })",
    R"({ $.sourceIPAddress = "10.0.0.1" || $.sourceIPAddress = 192.168.0.10 })",
};

TEST(RequiredLiterals, MatchedRecordsHoldOneOfThem) {
  int matched = 0;
  for (const char* pattern : kPatterns) {
    expect_sound(
        pattern, "test.json",
        R"({"Records":[{"eventVersion":"1.08","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"type":"Root"},"readOnly":true,"errorCode":"Client.UnauthorizedOperation"},{"eventVersion":"1.08","eventName":"GetObject","eventSource":"s3.amazonaws.com","requestParameters":{"bucketName":"b"},"resources":[{"ARN":"arn:aws:s3:::b"}],"sourceIPAddress":"s3.amazonaws.com"}]})",
        &matched);
  }
  EXPECT_GE(matched, 8);
}

TEST(RequiredLiterals, CorpusRecordsAPatternMatchesHoldOneOfThem) {
  SENTINEL_REQUIRE_CORPUS(dir);
  namespace fs = std::filesystem;
  int matched = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const std::string p = e.path().string();
    if (p.find("cloudtrail") == std::string::npos) continue;
    const std::string bytes = read_file(p);
    ::testing::ScopedTrace trace(__FILE__, __LINE__, p);
    for (const char* pattern : kPatterns) expect_sound(pattern, p, bytes, &matched);
  }
  EXPECT_GT(matched, 100);
}

}  // namespace
}  // namespace sentinel::testing
