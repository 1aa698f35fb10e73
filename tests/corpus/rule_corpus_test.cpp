// Snapshot of how the pinned SigmaHQ tree loads: how many rules, how many
// skipped, and why. A change here is a behaviour change to review.
#include <gtest/gtest.h>

#include <map>

#include "test_support.hpp"

namespace ariadne {
namespace {

TEST(RuleCorpus, ActiveTreeLoadsAtLeast995Percent) {
  ARIADNE_REQUIRE_SHARED();
  std::vector<std::string> paths;
  for (const char* d : {"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"})
    paths.push_back(test::shared(std::string("sigma/rules-tree/") + d));
  auto set = sigma::load_rules(paths, {});
  EXPECT_EQ(set.files, 3777u);
  EXPECT_EQ(set.documents, 3777u);
  EXPECT_EQ(set.loaded(), 3777u);
  EXPECT_EQ(set.skipped, 0u);
  std::map<std::string, std::size_t> warnings;
  for (const auto& d : set.diagnostics) {
    EXPECT_EQ(d.sev, sigma::severity::warning) << d.to_string();
    ++warnings[d.code];
  }
  // Placeholder rules use 26 distinct unresolved placeholders (33 warnings, one per rule and name).
  EXPECT_EQ(warnings["unresolved-placeholder"], 33u);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(RuleCorpus, DeprecatedAndUnsupportedAreExplained) {
  ARIADNE_REQUIRE_SHARED();
  auto set = sigma::load_rules({test::shared("sigma/rules-tree/deprecated"), test::shared("sigma/rules-tree/unsupported")}, {});
  std::map<std::string, std::size_t> errors;
  for (const auto& d : set.diagnostics)
    if (d.sev == sigma::severity::error) ++errors[d.code];
  EXPECT_EQ(set.loaded() + set.skipped, set.documents);
  // Every skipped document has a reason; the legacy aggregation syntax is the main one.
  std::size_t total = 0;
  for (const auto& [code, n] : errors) total += n;
  EXPECT_EQ(total, set.skipped);
  // Legacy `| count() by X > N` conditions run as correlations (a warning
  // each); `near` cannot and is refused with its reason.
  std::size_t converted = 0;
  for (const auto& d : set.diagnostics)
    if (d.sev == sigma::severity::warning && d.code == "legacy-aggregation" &&
        d.message.find("read as a") != std::string::npos)
      ++converted;
  EXPECT_EQ(converted, set.correlation_rules.size());
  EXPECT_GE(converted, 45u);
  EXPECT_EQ(errors["legacy-aggregation"], 8u);  // the 'near' ones
}

}  // namespace
}  // namespace ariadne
