// Every SigmaHQ regression case: the whole rule tree, run on the case's JSON
// event(s), raises the case's rule at least match_count times (default 1).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "ariadne/core/text.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

const std::vector<std::string> k_tree = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                         "rules-placeholder"};

const sigma::rule_set& whole_tree() {
  static const sigma::rule_set set = [] {
    std::vector<std::string> paths;
    for (const auto& d : k_tree) paths.push_back(test::shared("sigma/rules-tree/" + d));
    return sigma::load_rules(paths, {});
  }();
  static const bool indexed = (test::share_index(set), true);
  (void)indexed;
  return set;
}

struct regression_case {
  std::string rule_id, rule_path, evtx_path, json_path;
  std::uint64_t need = 1;  // match_count, default 1
};

// The cases of cases.tsv that have a JSON file (the Cisco one has only a raw
// syslog line).
std::vector<regression_case> regression_cases() {
  std::vector<regression_case> out;
  std::ifstream tsv(test::shared("sigma/regression/cases.tsv"));
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    auto cols = split(line, '\t');
    if (cols.size() < 5 || cols[3].empty()) continue;
    out.push_back({std::string(cols[0]), std::string(cols[1]), std::string(cols[2]), std::string(cols[3]),
                   cols[4].empty() ? 1 : static_cast<std::uint64_t>(parse_int64(cols[4]).value_or(1))});
  }
  return out;
}

std::uint64_t count_of(const test::run_result& r, const std::string& rule_id) {
  std::uint64_t got = 0;
  for (const auto& id : r.rule_ids) got += id == rule_id;
  return got;
}

TEST(SigmaRegression, EveryCaseFiresItsRule) {
  ARIADNE_REQUIRE_SHARED();
  auto cases = regression_cases();
  std::size_t passed = 0;
  for (const auto& c : cases) {
    auto r = test::run_file(whole_tree(), test::shared("sigma/regression/" + c.json_path));
    EXPECT_GE(count_of(r, c.rule_id), c.need) << "rule " << c.rule_id << " on " << c.json_path;
    EXPECT_TRUE(r.problems.empty()) << c.json_path << ": " << (r.problems.empty() ? "" : r.problems[0].message);
    passed += count_of(r, c.rule_id) >= c.need;
  }
  EXPECT_EQ(cases.size(), 138u);
  EXPECT_EQ(passed, cases.size());
}

// The literal prefilter never drops a record its rule matches: each case's
// rule alone (so the prefilter is active whenever that rule allows it) still
// fires on its JSON.
TEST(SigmaRegression, PrefilterKeepsEveryMatch) {
  ARIADNE_REQUIRE_SHARED();
  auto cases = regression_cases();
  std::size_t passed = 0, active = 0;
  for (const auto& c : cases) {
    auto one = sigma::load_rules({test::shared("sigma/rules-tree/" + c.rule_path)}, {});
    auto r = test::run_file(one, test::shared("sigma/regression/" + c.json_path), true);
    EXPECT_GE(count_of(r, c.rule_id), 1u) << "rule " << c.rule_id << " on " << c.json_path
                                          << (r.prefilter_active ? " (prefilter on)" : "");
    passed += count_of(r, c.rule_id) >= 1;
    active += r.prefilter_active;
  }
  EXPECT_EQ(passed, cases.size());
  EXPECT_GE(active, cases.size() / 2) << "the prefilter should apply to most single rules";
  std::printf("prefilter active for %zu of %zu single-rule cases\n", active, cases.size());
}

// The same cases, hunting the .evtx beside each .json with the native reader.
TEST(SigmaRegression, EveryCaseFiresItsRuleFromEvtx) {
  ARIADNE_REQUIRE_SHARED();
  auto cases = regression_cases();
  std::size_t passed = 0, n = 0;
  for (const auto& c : cases) {
    if (c.evtx_path.empty()) continue;
    ++n;
    auto r = test::run_evtx_file(whole_tree(), test::shared("sigma/regression/" + c.evtx_path), n % 2 ? 1 : 2);
    EXPECT_GE(count_of(r, c.rule_id), c.need) << "rule " << c.rule_id << " on " << c.evtx_path;
    EXPECT_TRUE(r.problems.empty()) << c.evtx_path << ": " << (r.problems.empty() ? "" : r.problems[0].message);
    passed += count_of(r, c.rule_id) >= c.need;
  }
  EXPECT_EQ(n, 138u);
  EXPECT_EQ(passed, n);
}

}  // namespace
}  // namespace ariadne
