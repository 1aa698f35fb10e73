// Rejected rules: each gets a diagnostic with its code, location and exact
// message, and loading goes on with the next rule.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace ariadne {
namespace {

std::string rule(const std::string& detection) {
  return "title: t\nid: 22222222-2222-2222-2222-222222222222\nlogsource:\n  product: windows\ndetection:\n" +
         detection + "\n";
}

const sigma::diagnostic& only_error(const sigma::rule_set& set) {
  for (const auto& d : set.diagnostics)
    if (d.sev == sigma::severity::error) return d;
  static sigma::diagnostic none;
  ADD_FAILURE() << "no error diagnostic";
  return none;
}

TEST(Reader, UnknownModifierWithHint) {
  auto set = test::rules_from(rule("  sel:\n    Image|containz: 'x'\n  condition: sel"));
  EXPECT_EQ(set.loaded(), 0u);
  EXPECT_EQ(set.skipped, 1u);
  const auto& d = only_error(set);
  EXPECT_EQ(d.code, "unknown-modifier");
  EXPECT_EQ(d.to_string(), "test.yml:7:5: error[unknown-modifier]: unknown modifier 'containz' (did you mean 'contains'?)");
}

TEST(Reader, ModifierPlacement) {
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|contains|re: 'x'\n  condition: sel"))).message,
            "modifier 're' must come first");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|exists|all: true\n  condition: sel"))).message,
            "'exists' cannot be combined with other modifiers");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|i: 'x'\n  condition: sel"))).message,
            "regex flags (i, m, s) need the 're' modifier");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|base64: 'a*'\n  condition: sel"))).message,
            "'base64' cannot encode a value with wildcards");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|gt: 'abc'\n  condition: sel"))).message,
            "'abc' is not a number (needed by the comparison modifier)");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|exists: 'yes'\n  condition: sel"))).message,
            "'exists' needs true or false");
}

TEST(Reader, BadRegexAndCidr) {
  auto re_set = test::rules_from(rule("  sel:\n    A|re: '(?<=x)y'\n  condition: sel"));
  const auto& re = only_error(re_set);
  EXPECT_EQ(re.code, "invalid-regex");
  EXPECT_EQ(re.where.line, 7u);
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|cidr: '10.0.0.1/8'\n  condition: sel"))).message,
            "'10.0.0.1/8' has host bits set after the /8 prefix");
  EXPECT_EQ(only_error(test::rules_from(rule("  sel:\n    A|cidr: '300.0.0.0/8'\n  condition: sel"))).message,
            "'300.0.0.0/8' is not an IPv4 or IPv6 network");
}

// A regular expression whose program is too large for linear time to mean
// fast is refused at load, with its position; the rules beside it load.
TEST(Reader, OversizedRegexIsRefused) {
  std::string words;
  for (int k = 0; k < 16000; ++k) words += (k ? "|" : "") + std::string("word") + std::to_string(100000 + k) + "xyz";
  auto set = test::rules_from(rule("  sel:\n    A|re: '(" + words + ")'\n  condition: sel") + "---\n" +
                              rule("  sel:\n    A|re: '(alpha|beta)+'\n  condition: sel"));
  EXPECT_EQ(set.loaded(), 1u);
  const auto& d = only_error(set);
  EXPECT_EQ(d.code, "regex-too-large");
  EXPECT_EQ(d.where.line, 7u);
}

TEST(Reader, StructuralErrors) {
  auto no_cond = test::rules_from(rule("  sel:\n    A: 1"));
  EXPECT_EQ(only_error(no_cond).code, "missing-condition");
  auto bad_cond = test::rules_from(rule("  sel:\n    A: 1\n  condition: sel and other"));
  EXPECT_EQ(only_error(bad_cond).to_string(),
            "test.yml:8:22: error[invalid-condition]: condition: unknown search identifier 'other'");
  auto no_ls = test::rules_from("title: t\nid: x\ndetection:\n  sel:\n    A: 1\n  condition: sel\n");
  EXPECT_EQ(only_error(no_ls).message, "rule has no 'logsource' mapping");
  auto nested = test::rules_from(rule("  sel:\n    A:\n      B: 1\n  condition: sel"));
  EXPECT_EQ(only_error(nested).code, "invalid-value");
  auto level = test::rules_from(rule("  sel:\n    A: 1\n  condition: sel") + "level: severe\n");
  EXPECT_EQ(only_error(level).message,
            "unknown level 'severe' (expected informational, low, medium, high or critical)");
}

TEST(Reader, BrokenYamlIsReportedWithLocation) {
  auto set = test::rules_from("title: t\ndetection: [unclosed\n");
  EXPECT_EQ(set.skipped, 1u);
  const auto& d = only_error(set);
  EXPECT_EQ(d.code, "yaml-syntax");
  EXPECT_GT(d.where.line, 0u);
  auto dup = test::rules_from("title: a\ntitle: b\n");
  EXPECT_EQ(only_error(dup).message, "YAML: duplicate key 'title'");
}

TEST(Reader, BadRuleDoesNotStopTheOthers) {
  std::string two = rule("  sel:\n    A|bogus: 1\n  condition: sel") + "---\n" +
                    "title: ok\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  product: windows\n"
                    "detection:\n  sel:\n    A: 1\n  condition: sel\n";
  auto set = test::rules_from(two);
  EXPECT_EQ(set.loaded(), 1u);
  EXPECT_EQ(set.skipped, 1u);
  EXPECT_EQ(set.documents, 2u);
  EXPECT_EQ(set.rules[0].title, "ok");
}

TEST(Reader, DuplicateIdsAndCorrelationsAreReported) {
  std::string r = rule("  sel:\n    A: 1\n  condition: sel");
  auto set = test::rules_from(r + "---\n" + r);
  EXPECT_EQ(set.loaded(), 1u);
  EXPECT_EQ(only_error(set).code, "duplicate-id");
  auto corr = test::rules_from("title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [a]\n");
  EXPECT_EQ(corr.correlations, 1u);
  EXPECT_EQ(only_error(corr).code, "invalid-timespan");
  EXPECT_TRUE(corr.correlation_rules.empty());
}

TEST(Reader, TimeframeWithoutAggregationIsWarnedAbout) {
  auto set = test::rules_from(rule("  sel:\n    A: 1\n  timeframe: 5m\n  condition: sel"));
  ASSERT_EQ(set.loaded(), 1u);
  EXPECT_TRUE(set.correlation_rules.empty());
  bool warned = false;
  for (const auto& d : set.diagnostics) warned |= d.code == "legacy-timeframe" && d.sev == sigma::severity::warning;
  EXPECT_TRUE(warned);
}

TEST(Reader, MetadataIsKept) {
  auto set = test::rules_from(rule("  sel:\n    A: 1\n  condition: sel") +
                              "level: High\ntags:\n  - attack.execution\n  - attack.t1059.001\n");
  ASSERT_EQ(set.loaded(), 1u);
  EXPECT_EQ(set.rules[0].lvl, sigma::level::high);
  EXPECT_EQ(set.rules[0].tags.size(), 2u);
  EXPECT_EQ(set.rules[0].source.product, "windows");
}

}  // namespace
}  // namespace ariadne
