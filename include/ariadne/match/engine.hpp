// The matching engine: runs a rule set over event batches. Rules are indexed
// by logsource, so an event only meets the rules whose logsource accepts it.
//
//   match::engine eng(set.rules);
//   std::vector<match::hit> hits;
//   eng.match_batch(batch, hits);   // hits in (event, rule) order
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/match/evaluator.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::match {

struct hit {
  std::uint32_t event_idx;  // index in the batch
  std::uint32_t rule_idx;   // index in the engine's rule list
};

class engine {
 public:
  // `rules` must outlive the engine.
  explicit engine(const std::vector<sigma::rule>& rules);

  // Appends every (event, rule) match of the batch to `out`, ordered by
  // event index then rule index. Not thread-safe: use one engine per thread.
  void match_batch(const event_batch& batch, std::vector<hit>& out);

  // Rules whose logsource accepts `ls` (cached per distinct logsource).
  [[nodiscard]] const std::vector<std::uint32_t>& candidates(const event_logsource& ls);

  [[nodiscard]] const std::vector<sigma::rule>& rules() const { return rules_; }

 private:
  const std::vector<sigma::rule>& rules_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_logsource_;
  reference_evaluator eval_;
};

}  // namespace ariadne::match
