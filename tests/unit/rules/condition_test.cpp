#include "ariadne/rules/condition.hpp"

#include <gtest/gtest.h>

namespace ariadne::sigma {
namespace {

const std::vector<std::string> k_names = {"selection", "filter_a", "filter_b", "_private", "x.y|z"};

TEST(Condition, ParsesPrecedence) {
  auto c = parse_condition("selection or filter_a and not filter_b", k_names);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->k, condition_node::kind::op_or);
  ASSERT_EQ(c->kids.size(), 2u);
  EXPECT_EQ(c->kids[1].k, condition_node::kind::op_and);
  EXPECT_EQ(c->kids[1].kids[1].k, condition_node::kind::op_not);
}

TEST(Condition, QuantifiersExpandPatterns) {
  auto c = parse_condition("all of filter_*", k_names);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->k, condition_node::kind::op_and);
  EXPECT_EQ(c->kids.size(), 2u);
  auto them = parse_condition("1 of them", k_names);
  ASSERT_TRUE(them.has_value());
  EXPECT_EQ(them->kids.size(), 4u);  // _private is skipped
  auto dotted = parse_condition("1 of x.*", k_names);
  ASSERT_TRUE(dotted.has_value());
  EXPECT_EQ(dotted->k, condition_node::kind::search_ref);
  EXPECT_EQ(dotted->search_idx, 4u);
}

TEST(Condition, RejectsWithExactMessages) {
  auto unknown = parse_condition("selection and nope", k_names);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().message, "condition: unknown search identifier 'nope'");
  EXPECT_EQ(unknown.error().where.column, 15u);
  auto paren = parse_condition("(selection", k_names);
  ASSERT_FALSE(paren.has_value());
  EXPECT_EQ(paren.error().message, "condition: expected ')'");
  auto empty_pat = parse_condition("1 of zzz*", k_names);
  ASSERT_FALSE(empty_pat.has_value());
  EXPECT_EQ(empty_pat.error().message, "condition: 'zzz*' matches no search identifier");
  auto trailing = parse_condition("selection filter_a", k_names);
  ASSERT_FALSE(trailing.has_value());
  EXPECT_EQ(trailing.error().message, "condition: unexpected 'filter_a'");
  auto agg = parse_condition("selection | count() by x > 5", k_names);
  ASSERT_FALSE(agg.has_value());
  EXPECT_NE(agg.error().message.find("legacy aggregation"), std::string::npos);
  auto dangling = parse_condition("selection and", k_names);
  ASSERT_FALSE(dangling.has_value());
  EXPECT_EQ(dangling.error().message, "condition: expected a search identifier at the end");
  // Keywords are lower case only: 'AND' is an identifier, and unknown here.
  EXPECT_FALSE(parse_condition("selection AND filter_a", k_names).has_value());
}

TEST(Condition, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep += "selection";
  deep += std::string(5000, ')');
  auto c = parse_condition(deep, k_names);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message, "condition: nesting too deep");
  std::string nots;
  for (int k = 0; k < 5000; ++k) nots += "not ";
  EXPECT_FALSE(parse_condition(nots + "selection", k_names).has_value());
}

TEST(Condition, NameMatches) {
  EXPECT_TRUE(name_matches("filter_*", "filter_main"));
  EXPECT_TRUE(name_matches("*", "anything"));
  EXPECT_TRUE(name_matches("a*b*c", "aXbYc"));
  EXPECT_FALSE(name_matches("a*b", "aXc"));
}

}  // namespace
}  // namespace ariadne::sigma
