// Noise controls: which rules a hunt runs (status, exclusions, noisy rules
// demoted, level), and correlations keeping the rules they need.
#include <gtest/gtest.h>

#include "ariadne/rules/collection.hpp"

namespace ariadne::sigma {
namespace {

std::string rule_text(const std::string& id, const std::string& title, const std::string& status, const std::string& level) {
  return "title: " + title + "\nid: " + id + "\n" + (status.empty() ? "" : "status: " + status + "\n") +
         "logsource: {product: windows, category: process_creation}\n"
         "detection:\n  sel: {Image|endswith: '\\x.exe'}\n  condition: sel\nlevel: " + level + "\n";
}

rule_set sample() {
  load_options o;
  return load_rules_from_texts(
      {{"rules/a/proc_one.yml", rule_text("11111111-1111-4111-8111-111111111111", "One Stable", "stable", "high")},
       {"rules/a/proc_two.yml", rule_text("22222222-2222-4222-8222-222222222222", "Two Deprecated", "deprecated", "high")},
       {"rules/b/proc_three.yml", rule_text("33333333-3333-4333-8333-333333333333", "Three Noisy", "test", "high")},
       {"rules/b/proc_four.yml", rule_text("44444444-4444-4444-8444-444444444444", "Four", "", "low")},
       {"rules/b/corr.yml",
        "title: Many Fours\nid: 55555555-5555-4555-8555-555555555555\ncorrelation:\n  type: event_count\n  rules: "
        "[44444444-4444-4444-8444-444444444444]\n  group-by: [Computer]\n  timespan: 1h\n  condition: {gte: 3}\n"
        "level: high\n"}},
      o);
}

std::vector<std::string> titles(const rule_set& s) {
  std::vector<std::string> out;
  for (const auto& r : s.rules) out.push_back(r.title + (r.standalone ? "" : " (feeds)"));
  return out;
}

TEST(RuleSelection, DefaultLeavesOutDeprecatedAndUnsupported) {
  auto s = sample();
  ASSERT_EQ(s.rules.size(), 4u);
  s.digest = "d";
  auto n = select_rules(s, {});
  EXPECT_EQ(n.by_status, 1u);
  EXPECT_EQ(titles(s), (std::vector<std::string>{"One Stable", "Three Noisy", "Four (feeds)"}));
  EXPECT_NE(s.digest, "d");
}

TEST(RuleSelection, ExcludeByIdTitlePathBaseNameOrGlob) {
  for (std::string pat : {"33333333-3333-4333-8333-333333333333", "three noisy", "rules/b/proc_three.yml", "proc_three.yml",
                          "*/b/*three*", "Three*"}) {
    auto s = sample();
    rule_selection sel;
    sel.exclude = {pat};
    auto n = select_rules(s, sel);
    EXPECT_EQ(n.excluded, 1u) << pat;
    EXPECT_EQ(titles(s), (std::vector<std::string>{"One Stable", "Four (feeds)"})) << pat;
  }
}

TEST(RuleSelection, StatusListAndNone) {
  auto s = sample();
  rule_selection sel;
  sel.statuses = {"stable", "none"};
  select_rules(s, sel);
  EXPECT_EQ(titles(s), (std::vector<std::string>{"One Stable", "Four (feeds)"}));
  auto t = sample();
  rule_selection test_only;
  test_only.statuses = {"test"};
  select_rules(t, test_only);
  // Four has no status but the correlation (no status either) is left out too.
  EXPECT_EQ(titles(t), (std::vector<std::string>{"Three Noisy"}));
  auto all = sample();
  rule_selection every;
  every.all_statuses = true;
  select_rules(all, every);
  EXPECT_EQ(all.rules.size(), 4u);
}

TEST(RuleSelection, NoisyRulesAreDemotedBeforeTheLevelApplies) {
  auto s = sample();
  rule_selection sel;
  sel.noisy = {"Three*"};
  sel.min = level::high;
  auto n = select_rules(s, sel);
  EXPECT_EQ(n.demoted, 1u);
  // Three fell to medium, under the level; Four only feeds the kept correlation.
  EXPECT_EQ(titles(s), (std::vector<std::string>{"One Stable", "Four (feeds)"}));
  ASSERT_EQ(s.correlation_rules.size(), 1u);
  EXPECT_EQ(s.correlation_rules[0].refs.at(0).index, 1u);
}

// A correlation's rules (generate: false) feed it, whatever the filters.
TEST(RuleSelection, AnExcludedRuleACorrelationNeedsStillFeedsIt) {
  auto s = sample();
  rule_selection sel;
  sel.exclude = {"Four"};
  select_rules(s, sel);
  EXPECT_EQ(titles(s), (std::vector<std::string>{"One Stable", "Three Noisy", "Four (feeds)"}));
  ASSERT_EQ(s.correlation_rules.size(), 1u);
  auto t = sample();
  rule_selection both;
  both.exclude = {"Four", "Many Fours"};
  select_rules(t, both);
  EXPECT_EQ(titles(t), (std::vector<std::string>{"One Stable", "Three Noisy"}));
  EXPECT_TRUE(t.correlation_rules.empty());
}

}  // namespace
}  // namespace ariadne::sigma
