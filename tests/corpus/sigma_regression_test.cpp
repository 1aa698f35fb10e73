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
  return set;
}

TEST(SigmaRegression, EveryCaseFiresItsRule) {
  if (!test::shared_available()) GTEST_SKIP() << "../shared/data not present";
  std::ifstream tsv(test::shared("sigma/regression/cases.tsv"));
  ASSERT_TRUE(tsv) << "cases.tsv missing";
  std::string line;
  std::getline(tsv, line);  // header
  std::size_t cases = 0, passed = 0;
  while (std::getline(tsv, line)) {
    auto cols = split(line, '\t');
    ASSERT_GE(cols.size(), 5u);
    std::string rule_id(cols[0]), json_path(cols[3]);
    if (json_path.empty()) continue;  // the Cisco case has only a raw syslog line
    std::uint64_t need = cols[4].empty() ? 1 : static_cast<std::uint64_t>(*parse_int64(cols[4]));
    ++cases;
    auto r = test::run_file(whole_tree(), test::shared("sigma/regression/" + json_path));
    std::uint64_t got = 0;
    for (const auto& id : r.rule_ids) got += id == rule_id;
    EXPECT_GE(got, need) << "rule " << rule_id << " on " << json_path;
    EXPECT_TRUE(r.problems.empty()) << json_path << ": " << (r.problems.empty() ? "" : r.problems[0].message);
    passed += got >= need;
  }
  EXPECT_EQ(cases, 138u);
  EXPECT_EQ(passed, cases);
}

// The literal prefilter never drops a record its rule matches: each case's
// rule alone (so the prefilter is active whenever that rule allows it) still
// fires on its JSON.
TEST(SigmaRegression, PrefilterKeepsEveryMatch) {
  if (!test::shared_available()) GTEST_SKIP() << "../shared/data not present";
  std::ifstream tsv(test::shared("sigma/regression/cases.tsv"));
  std::string line;
  std::getline(tsv, line);
  std::size_t cases = 0, passed = 0, active = 0;
  while (std::getline(tsv, line)) {
    auto cols = split(line, '\t');
    std::string rule_id(cols[0]), rule_path(cols[1]), json_path(cols[3]);
    if (json_path.empty()) continue;
    ++cases;
    auto one = sigma::load_rules({test::shared("sigma/rules-tree/" + rule_path)}, {});
    auto r = test::run_file(one, test::shared("sigma/regression/" + json_path), true);
    std::uint64_t got = 0;
    for (const auto& id : r.rule_ids) got += id == rule_id;
    EXPECT_GE(got, 1u) << "rule " << rule_id << " on " << json_path << (r.prefilter_active ? " (prefilter on)" : "");
    passed += got >= 1;
    active += r.prefilter_active;
  }
  EXPECT_EQ(passed, cases);
  EXPECT_GE(active, cases / 2) << "the prefilter should apply to most single rules";
  std::printf("prefilter active for %zu of %zu single-rule cases\n", active, cases);
}

// The same cases, hunting the .evtx beside each .json with the native reader.
TEST(SigmaRegression, EveryCaseFiresItsRuleFromEvtx) {
  if (!test::shared_available()) GTEST_SKIP() << "../shared/data not present";
  std::ifstream tsv(test::shared("sigma/regression/cases.tsv"));
  ASSERT_TRUE(tsv) << "cases.tsv missing";
  std::string line;
  std::getline(tsv, line);  // header
  std::size_t cases = 0, passed = 0;
  while (std::getline(tsv, line)) {
    auto cols = split(line, '\t');
    ASSERT_GE(cols.size(), 5u);
    std::string rule_id(cols[0]), evtx_path(cols[2]), json_path(cols[3]);
    if (json_path.empty() || evtx_path.empty()) continue;
    std::uint64_t need = cols[4].empty() ? 1 : static_cast<std::uint64_t>(*parse_int64(cols[4]));
    ++cases;
    auto r = test::run_evtx_file(whole_tree(), test::shared("sigma/regression/" + evtx_path), cases % 2 ? 1 : 2);
    std::uint64_t got = 0;
    for (const auto& id : r.rule_ids) got += id == rule_id;
    EXPECT_GE(got, need) << "rule " << rule_id << " on " << evtx_path;
    EXPECT_TRUE(r.problems.empty()) << evtx_path << ": " << (r.problems.empty() ? "" : r.problems[0].message);
    passed += got >= need;
  }
  EXPECT_EQ(cases, 138u);
  EXPECT_EQ(passed, cases);
}

}  // namespace
}  // namespace ariadne
