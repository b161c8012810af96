// The filter-pattern language: every kind, every operator, the reference's trip-ups, and the
// errors (position and problem).
#include <gtest/gtest.h>

#include "cwl/pattern.h"
#include "cwl_support.h"

namespace sentinel::testing {
namespace {

const std::string kA =
    R"({"eventVersion":"1.08","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","errorCode":"AccessDenied","sourceIPAddress":"10.1.2.3","userIdentity":{"type":"IAMUser","userName":"alice"},"additionalEventData":{"MFAUsed":"No"},"latency":250,"ok":true,"gone":null,"tags":["x","y"],"objectList":[{"id":1},{"id":7}],"coordinates":[[1,2],[3,4]],"cluster.name":"prod","msg":"UNAUTHORIZED REQUEST"})";
const std::string kB =
    R"({"eventVersion":"1.08","eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","errorCode":"Client.UnauthorizedOperation","sourceIPAddress":"delivery.logs.amazonaws.com","userIdentity":{"type":"Root"},"latency":"1500","ok":false,"msg":"AUTHORIZED REQUEST"})";
const std::string kC =
    R"({"eventVersion":"1.08","eventName":"HeadBucket","eventSource":"s3.amazonaws.com","errorCode":"AccessDenied","sourceIPAddress":"123.123.9.9","userIdentity":{"type":"Root","invokedBy":"cloudtrail.amazonaws.com"},"eventType":"AwsApiCall"})";

std::string m(const std::string& pattern) {
  return match_string(pattern, {kA, kB, kC});
}

std::string error_of(const std::string& pattern) {
  cwl::Pattern p;
  cwl::PatternError err;
  if (cwl::Pattern::compile(pattern, &p, &err)) return "compiled";
  return err.to_string();
}

TEST(PatternTerms, EmptyAndBlankMatchEverything) {
  EXPECT_EQ(m(""), "111");
  EXPECT_EQ(m("   "), "111");
  EXPECT_EQ(m("\" \""), "111");
}

TEST(PatternTerms, PlainTermsAreCaseSensitiveSubstringsAndedTogether) {
  EXPECT_EQ(m("ConsoleLogin"), "100");
  EXPECT_EQ(m("consolelogin"), "000");
  EXPECT_EQ(m("AccessDenied Root"), "001");
  // Substring semantics: AUTHORIZED is inside UNAUTHORIZED.
  EXPECT_EQ(m("AUTHORIZED"), "110");
}

TEST(PatternTerms, QuotedPhrases) {
  EXPECT_EQ(m("\"UNAUTHORIZED REQUEST\""), "100");
  EXPECT_EQ(m("\"AUTHORIZED REQUEST\" \"s3.amazonaws.com\""), "010");
  EXPECT_EQ(m(R"("\"eventName\":\"HeadBucket\"")"), "001");
}

TEST(PatternTerms, OrTermsAndTheirMixingRule) {
  EXPECT_EQ(m("?HeadBucket ?ConsoleLogin"), "101");
  // `?` terms mixed with a plain term are ignored: only AccessDenied counts.
  EXPECT_EQ(m("?PutBucketPolicy AccessDenied"), "101");
  // ... and mixed with an exclusion too.
  EXPECT_EQ(m("?PutBucketPolicy -HeadBucket"), "110");
}

TEST(PatternTerms, Exclusions) {
  EXPECT_EQ(m("AccessDenied -HeadBucket"), "100");
  EXPECT_EQ(m("-Root"), "100");
}

TEST(PatternRegex, StandaloneRegexSearchesTheMessage) {
  EXPECT_EQ(m("%AUTHORIZED%"), "110");
  EXPECT_EQ(m("%^\\{\\x22eventVersion%"), "111");
  EXPECT_EQ(error_of("%^\\{\"eventVersion%"),
            "at character 5: '\"' is not allowed in a regular expression (use \\xhh)");
  EXPECT_EQ(m("%123\\.123\\.[0-9]{1,3}%"), "001");
  EXPECT_EQ(m("%[Hh]ead[Bb]ucket|ConsoleLogin%"), "101");
}

TEST(PatternJson, StringEqualityQuotedAndBare) {
  EXPECT_EQ(m("{ $.eventName = \"ConsoleLogin\" }"), "100");
  EXPECT_EQ(m("{$.eventName=ConsoleLogin}"), "100");
  EXPECT_EQ(m("{ $.eventSource = s3.amazonaws.com }"), "011");
  EXPECT_EQ(m("{ $.eventName != ConsoleLogin }"), "011");
}

TEST(PatternJson, Wildcards) {
  EXPECT_EQ(m("{ $.errorCode = \"*UnauthorizedOperation\" }"), "010");
  EXPECT_EQ(m("{ $.errorCode = \"AccessDenied*\" }"), "101");
  EXPECT_EQ(m("{ $.sourceIPAddress != 123.123.* }"), "110");
  EXPECT_EQ(m("{ $.sourceIPAddress = * }"), "111");
  EXPECT_EQ(m("{ $.latency = * }"), "110");
  // `?` is not a wildcard in CloudWatch.
  EXPECT_EQ(m("{ $.eventName = Head?ucket }"), "000");
}

TEST(PatternJson, Numbers) {
  EXPECT_EQ(m("{ $.latency = 250 }"), "100");
  EXPECT_EQ(m("{ $.latency = 2.5e2 }"), "100");
  EXPECT_EQ(m("{ $.latency > 200 }"), "110");  // "1500", a string holding a number, counts
  EXPECT_EQ(m("{ $.latency >= 1500 }"), "010");
  EXPECT_EQ(m("{ $.latency < 1000 }"), "100");
  EXPECT_EQ(m("{ $.latency <= 250 }"), "100");
  EXPECT_EQ(m("{ $.latency != 250 }"), "010");
  EXPECT_EQ(m("{ $.objectList[1].id = 7 }"), "100");
  EXPECT_EQ(m("{ $.coordinates[1][0] = 3 }"), "100");
  EXPECT_EQ(m("{ $.latency > -1e3 }"), "110");
}

TEST(PatternJson, MissingFieldMakesEveryComparisonFalse) {
  // Trip-up 16: `!=` on a missing field does not match.
  EXPECT_EQ(m("{ $.additionalEventData.MFAUsed != \"Yes\" }"), "100");
  EXPECT_EQ(m("{ $.nope != 1 }"), "000");
  EXPECT_EQ(m("{ $.nope < 1 }"), "000");
}

TEST(PatternJson, IsNullIsNotNotExists) {
  EXPECT_EQ(m("{ $.gone IS NULL }"), "100");
  EXPECT_EQ(m("{ $.gone NOT EXISTS }"), "011");
  EXPECT_EQ(m("{ $.userIdentity.invokedBy NOT EXISTS }"), "110");
  EXPECT_EQ(m("{ $.ok IS TRUE }"), "100");
  EXPECT_EQ(m("{ $.ok IS FALSE }"), "010");
  EXPECT_EQ(m("{ $.msg IS TRUE }"), "000");
}

TEST(PatternJson, AndBindsTighterThanOr) {
  // The CIS 4.1 shape: the exclusions bind to the AccessDenied branch only, so B (an
  // UnauthorizedOperation from delivery.logs) still matches while C (HeadBucket) does not.
  EXPECT_EQ(
      m(R"({ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") })"),
      "110");
  EXPECT_EQ(
      m(R"({ (($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*")) && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") })"),
      "100");
  EXPECT_EQ(m("{ $.eventName = HeadBucket || $.userIdentity.type = Root && $.ok IS FALSE }"),
            "011");
}

TEST(PatternJson, ArraysDotKeysAndWildcardSelectors) {
  EXPECT_EQ(m("{ $.['cluster.name'] = prod }"), "100");
  EXPECT_EQ(m("{ $.objectList[*].id = 1 }"), "100");
  EXPECT_EQ(m("{ $.userIdentity.* = alice }"), "100");
  EXPECT_EQ(m("{ $.tags[0] = x }"), "100");
  EXPECT_EQ(m("{ $.tags[1] = x }"), "000");
}

TEST(PatternJson, RegexValues) {
  EXPECT_EQ(m("{ $.sourceIPAddress = %10\\.1\\.[0-9]{1,3}\\.[0-9]{1,3}% }"), "100");
  EXPECT_EQ(m("{ $.eventName = %Bucket% && $.errorCode != %^Access% }"), "010");
}

// Flow-log lines are CloudWatch's own space-delimited example.
const std::string kFlows =
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
    "1418530010 1418530070 REJECT OK\n"
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 "
    "1432917142 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 198.51.100.7 22 41288 6 11 800 "
    "1418530010 1418530070 REJECT OK\n";

std::string flows(const std::string& pattern) {
  cwl::Pattern p;
  cwl::PatternError err;
  if (!cwl::Pattern::compile(pattern, &p, &err)) {
    ADD_FAILURE() << pattern << ": " << err.to_string();
    return "";
  }
  std::string out;
  ingest::ParseOptions o;
  o.forced_type = ingest::LogType::kVpcFlow;
  for_each_view(
      "flows.log", kFlows,
      [&](const detect::EventView& ev) { out.push_back(p.matches(ev) ? '1' : '0'); }, o);
  return out;
}

TEST(PatternDelimited, PositionalFieldsAndConditions) {
  EXPECT_EQ(flows("[version, account, eni, source, destination, srcport, destport=\"22\", "
                  "protocol=\"6\", packets, bytes, windowstart, windowend, action=\"REJECT\", "
                  "flowlogstatus]"),
            "0000");
  EXPECT_EQ(flows("[version, account, eni, source, destination, srcport, destport, protocol, "
                  "packets, bytes, windowstart, windowend, action=REJECT, flowlogstatus]"),
            "0101");
  EXPECT_EQ(flows("[v, a, e, src, dst, sp, dp = 22 || dp = 3389, ...]"), "1100");
  EXPECT_EQ(flows("[v, a, e, src=172.31.*, dst, sp, dp > 1000 && dp < 5000, ...]"), "0100");
  EXPECT_EQ(flows("[..., action = ACCEPT, status]"), "1010");
  EXPECT_EQ(flows("[v, ..., bytes > 1000, start, end, action, status]"), "1100");
  EXPECT_EQ(flows("[v, a, e, src = %^203\\.%, ...]"), "0010");
  // Field count must match without `...`.
  EXPECT_EQ(flows("[a, b, c]"), "0000");
  EXPECT_EQ(flows("[a, b, c, ...]"), "1111");
}

TEST(PatternDelimited, SplitterKeepsQuotedAndBracketedFieldsWhole) {
  const std::string line =
      "127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 404 1534";
  std::vector<std::string> fields;
  cwl::split_delimited(line, [&](std::size_t, std::string_view f) {
    fields.emplace_back(f);
    return false;
  });
  ASSERT_EQ(fields.size(), 6u);
  EXPECT_EQ(fields[2], "10/Oct/2000:13:25:15 -0700");
  EXPECT_EQ(fields[3], "GET /apache_pb.gif HTTP/1.0");
  EXPECT_EQ(fields[5], "1534");
}

TEST(PatternDelimited, ExtractsNamedFields) {
  cwl::Pattern p;
  cwl::PatternError err;
  ASSERT_TRUE(cwl::Pattern::compile("[v, ..., bytes, start, end, action, status]", &p, &err));
  std::string e;
  EXPECT_TRUE(p.check_selector("$bytes", &e));
  EXPECT_FALSE(p.check_selector("$nope", &e));
  std::vector<double> got;
  ingest::ParseOptions o;
  o.forced_type = ingest::LogType::kVpcFlow;
  for_each_view(
      "flows.log", kFlows,
      [&](const detect::EventView& ev) { got.push_back(p.extract(ev, "$bytes").number); }, o);
  EXPECT_EQ(got, (std::vector<double>{4249, 4249, 336, 800}));
}

TEST(PatternErrors, NamePositionAndProblem) {
  EXPECT_EQ(error_of("{ $.a = 1 "), "at character 11: missing '}' at the end of the JSON pattern");
  EXPECT_EQ(error_of("{ $.a == 1 }"), "at character 7: '==' is not an operator; use '='");
  EXPECT_EQ(error_of("{ $.a > abc }"),
            "at character 9: 'abc' is not a number; <, <=, > and >= compare numbers");
  EXPECT_EQ(error_of("{ $.a IS NOT NULL }"),
            "at character 10: 'IS NOT' is not supported: use '!=' or 'NOT EXISTS'");
  EXPECT_EQ(error_of("{ $.a EXISTS }"),
            "at character 7: 'EXISTS' is not supported: use '= *' or 'NOT EXISTS'");
  EXPECT_EQ(error_of("{ ($.a = 1 }"), "at character 12: expected ')' but found '}'");
  EXPECT_EQ(error_of("{ a = 1 }"),
            "at character 3: expected a selector like $.eventName but found 'a = 1 }'");
  EXPECT_EQ(error_of("{ $.a = %(x)% }"),
            "at character 10: regular expressions have no groups: '(' is not allowed (use \\x28 / "
            "\\x29 for a literal parenthesis)");
  EXPECT_EQ(error_of("%a!b%"),
            "at character 3: '!' is not allowed in a regular expression (use \\xhh)");
  EXPECT_EQ(error_of("{ $.a = %x% || $.b = %y% || $.c = %z% }"),
            "at character 36: more than 2 regular expressions in one pattern (CloudWatch's limit)");
  EXPECT_EQ(error_of("{ $.a[*].b[*] = 1 }"),
            "at character 3: at most one wildcard ([*] or .*) per selector");
  EXPECT_EQ(error_of("[a, b"),
            "at character 6: missing ']' at the end of the space-delimited pattern");
  EXPECT_EQ(error_of("[a, ..., b, ..., c]"),
            "at character 13: only one '...' per pattern is supported (see docs/filters.md)");
  EXPECT_EQ(error_of("[a = 1 || b = 2]"),
            "at character 11: conditions in one position must all name its field 'a', not 'b'");
  EXPECT_EQ(error_of("?"), "at character 1: '?' must be followed by a term");
  EXPECT_EQ(error_of("\"abc"), "at character 1: unterminated quoted term");
  EXPECT_EQ(error_of("{ $.a = \"x }"), "at character 9: unterminated quoted string");
  EXPECT_EQ(error_of("{ }"), "at character 3: empty JSON pattern: '{ }' needs a condition");
}

TEST(PatternExtract, JsonSelectors) {
  cwl::Pattern p;
  cwl::PatternError err;
  ASSERT_TRUE(cwl::Pattern::compile("{ $.latency = * }", &p, &err));
  std::string e;
  EXPECT_TRUE(p.check_selector("$.latency", &e)) << e;
  EXPECT_FALSE(p.check_selector("latency", &e));
  std::vector<double> seen;
  for (const auto& r : {kA, kB}) {
    for_each_view("t.json", "{\"Records\":[" + r + "]}", [&](const detect::EventView& ev) {
      cwl::Extracted x = p.extract(ev, "$.latency");
      ASSERT_TRUE(x.present);
      ASSERT_TRUE(x.is_number);
      seen.push_back(x.number);
    });
  }
  EXPECT_EQ(seen, (std::vector<double>{250, 1500}));
}

}  // namespace
}  // namespace sentinel::testing
