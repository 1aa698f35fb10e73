// Correlation windows and rule loading: boundaries, ordering, bounded state,
// and every load error a user can make.
#include <gtest/gtest.h>

#include "ariadne/correlate/correlate.hpp"
#include "test_support.hpp"

namespace ariadne::correlate {
namespace {

constexpr time_ns k_s = 1'000'000'000;

sigma::correlation_rule rule(sigma::corr_type t, std::vector<sigma::corr_test> cond, time_ns span,
                             std::size_t nrules = 1) {
  sigma::correlation_rule c;
  c.id = "c";
  c.type = t;
  c.condition = std::move(cond);
  c.timespan_ns = span;
  c.group_by = {"User"};
  for (std::size_t k = 0; k < nrules; ++k) {
    c.rule_refs.push_back("r" + std::to_string(k));
    c.refs.push_back({false, static_cast<std::uint32_t>(k)});
  }
  return c;
}

input in(time_ns t, std::string user, std::string id, std::string value = {}, std::uint16_t pos = 0) {
  input i;
  i.time = t;
  i.group = {std::move(user)};
  i.alert_id = std::move(id);
  i.value = std::move(value);
  i.rule_pos = pos;
  return i;
}

TEST(Correlate, SlidingWindowIncludesItsBoundaryAndConsumesOnMatch) {
  auto c = rule(sigma::corr_type::event_count, {{sigma::cmp_op::gte, 2}}, 10 * k_s);
  stats st;
  auto r = evaluate(c, 0, {in(0, "a", "1"), in(10 * k_s, "a", "2"), in(11 * k_s, "a", "3"), in(22 * k_s, "a", "4")}, st);
  ASSERT_EQ(r.size(), 1u);  // 0 and 10 s (exactly one timespan apart) match; 11 and 22 s are 11 s apart
  EXPECT_EQ(r[0].start, 0);
  EXPECT_EQ(r[0].end, 10 * k_s);
  EXPECT_EQ(r[0].members, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(r[0].group, (std::vector<std::pair<std::string, std::string>>{{"User", "a"}}));
}

TEST(Correlate, InputOrderDoesNotMatter) {
  auto c = rule(sigma::corr_type::event_count, {{sigma::cmp_op::gte, 3}}, 60 * k_s);
  std::vector<input> v = {in(5 * k_s, "a", "x"), in(1 * k_s, "a", "y"), in(5 * k_s, "a", "w"), in(3 * k_s, "b", "z"),
                          in(2 * k_s, "a", "v")};
  stats st;
  auto fwd = evaluate(c, 0, v, st);
  std::reverse(v.begin(), v.end());
  auto rev = evaluate(c, 0, v, st);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].id, rev[0].id);
  EXPECT_EQ(fwd[0].members, (std::vector<std::string>{"y", "v", "w"}));  // time, then alert id
}

TEST(Correlate, UpperBoundsWaitForTheWindowToClose) {
  // "fewer than 3 in a minute" can only be known when the minute is over.
  auto c = rule(sigma::corr_type::event_count, {{sigma::cmp_op::lt, 3}}, 60 * k_s);
  stats st;
  auto r = evaluate(c, 0, {in(0, "a", "1"), in(30 * k_s, "a", "2"), in(40 * k_s, "a", "3"), in(0, "b", "4")}, st);
  ASSERT_EQ(r.size(), 1u);  // a had 3 in its window; b had 1
  EXPECT_EQ(r[0].group[0].second, "b");
  EXPECT_EQ(r[0].value, 1);
}

TEST(Correlate, NeqAndEqWork) {
  auto eq = rule(sigma::corr_type::event_count, {{sigma::cmp_op::eq, 2}}, 60 * k_s);
  auto neq = rule(sigma::corr_type::event_count, {{sigma::cmp_op::neq, 2}}, 60 * k_s);
  std::vector<input> v = {in(0, "a", "1"), in(1, "a", "2"), in(0, "b", "3")};
  stats st;
  auto r1 = evaluate(eq, 0, v, st);
  auto r2 = evaluate(neq, 0, v, st);
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].group[0].second, "a");
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].group[0].second, "b");
}

TEST(Correlate, PercentileIsNearestRank) {
  auto c = rule(sigma::corr_type::value_percentile, {{sigma::cmp_op::gte, 0}}, 60 * k_s);
  c.percentile = 50;
  stats st;
  auto r = evaluate(c, 0, {in(0, "a", "1", "7"), in(1, "a", "2", "1"), in(2, "a", "3", "x"), in(3, "a", "4", "3")}, st);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].value, 3);  // 1, 3, 7: rank ceil(1.5) = 2; "x" is not a number
}

TEST(Correlate, StateStaysBoundedOverManyGroups) {
  // 100,000 one-event groups over a long time: expired groups are dropped,
  // so at most the groups of one timespan are open at once.
  auto c = rule(sigma::corr_type::event_count, {{sigma::cmp_op::gte, 2}}, 10 * k_s);
  std::vector<input> v;
  for (int k = 0; k < 100000; ++k) v.push_back(in(k * k_s, "u" + std::to_string(k), std::to_string(k)));
  stats st;
  auto r = evaluate(c, 0, std::move(v), st);
  EXPECT_TRUE(r.empty());
  EXPECT_LT(st.peak_groups, 4096u + 20u);
  EXPECT_EQ(st.peak_window, 1u);
}

TEST(CorrelationRules, LoadErrorsAreLocatedAndExplained) {
  auto code_of = [](const std::string& yaml) {
    auto set = test::rules_from(yaml);
    for (const auto& d : set.diagnostics)
      if (d.sev == sigma::severity::error) return d.code;
    return std::string("none");
  };
  const std::string base = "---\ntitle: b\nid: b1\nname: base\nlogsource: {}\ndetection:\n  s:\n    A: 1\n  condition: s\n";
  EXPECT_EQ(code_of("title: c\nid: c1\ncorrelation:\n  type: event_cnt\n  rules: [base]\n  timespan: 1m\n  condition: {gte: 1}\n" + base),
            "invalid-correlation-type");
  EXPECT_EQ(code_of("title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n  timespan: 5 minutes\n  condition: {gte: 1}\n" + base),
            "invalid-timespan");
  EXPECT_EQ(code_of("title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {gte: 1}\n" + base),
            "unresolved-rule-reference");
  EXPECT_EQ(code_of("title: c\nid: c1\ncorrelation:\n  type: value_count\n  rules: [base]\n  timespan: 1m\n  condition: {gte: 1}\n" + base),
            "invalid-correlation");
  EXPECT_EQ(code_of("title: c\nid: c1\nname: x\ncorrelation:\n  type: event_count\n  rules: [y]\n  timespan: 1m\n  condition: {gte: 1}\n"
                    "---\ntitle: d\nid: d1\nname: y\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition: {gte: 1}\n"),
            "correlation-cycle");
  EXPECT_EQ(code_of("title: l\nid: l1\nlogsource: {}\ndetection:\n  a:\n    A: 1\n  b:\n    B: 1\n  condition: a | near b\n"),
            "legacy-aggregation");
  EXPECT_EQ(code_of("title: l\nid: l1\nlogsource: {}\ndetection:\n  a:\n    A: 1\n  timeframe: 5 min\n  condition: a | count() by X > 3\n"),
            "legacy-aggregation");  // unreadable timeframe
  EXPECT_EQ(code_of("title: l\nid: l1\nlogsource: {}\ndetection:\n  a:\n    A: 1\n  condition: a | max(X) > 3\n"),
            "legacy-aggregation");  // no correlation equivalent
  auto ok = test::rules_from("title: c\nid: c1\ncorrelation:\n  type: temporal\n  rules: [base, b1]\n  group-by: [H]\n  timespan: 2h\n" + base);
  ASSERT_EQ(ok.correlation_rules.size(), 1u);
  const auto& c = ok.correlation_rules[0];
  EXPECT_EQ(c.timespan_ns, 7200 * k_s);
  ASSERT_EQ(c.condition.size(), 1u);  // temporal default: all referenced rules
  EXPECT_EQ(c.condition[0].value, 2);
  EXPECT_FALSE(ok.rules[0].standalone);  // referenced without generate: true
}

TEST(CorrelationRules, GenerateKeepsBaseAlertsAndLevelsKeepWhatTheyNeed) {
  const std::string text =
      "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [H]\n  timespan: 1m\n"
      "  condition: {gte: 2}\n  generate: true\nlevel: high\n"
      "---\ntitle: b\nid: b1\nname: base\nlogsource: {}\ndetection:\n  s:\n    A: 1\n  condition: s\nlevel: low\n"
      "---\ntitle: other\nid: o1\nlogsource: {}\ndetection:\n  s:\n    B: 1\n  condition: s\nlevel: low\n";
  auto set = test::rules_from(text);
  ASSERT_EQ(set.correlation_rules.size(), 1u);
  EXPECT_TRUE(set.rules[0].standalone);
  sigma::restrict_to_level(set, sigma::level::high);
  ASSERT_EQ(set.rules.size(), 1u);  // "other" dropped; "base" kept to feed the correlation
  EXPECT_EQ(set.rules[0].id, "b1");
  EXPECT_FALSE(set.rules[0].standalone);  // below --min-level: feeds only
  EXPECT_EQ(set.correlation_rules[0].refs[0].index, 0u);
}

}  // namespace
}  // namespace ariadne::correlate
