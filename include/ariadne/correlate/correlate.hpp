// Sigma correlation rules on event time (docs/correlation.md).
//
// hunt feeds every hit of a rule that some correlation refers to
// (add_hit); after all inputs are read, run() sorts each correlation's inputs
// by (event time, alert id), so results depend neither on file order nor on
// thread count, evaluates the windows, and feeds correlation results to the
// correlations that refer to them (chains), in dependency order.
//
//   correlate::engine eng(set.correlation_rules, set.rules);
//   if (eng.wants(rule_idx)) eng.add_hit(rule_idx, batch, ev, alert_id);
//   for (const auto& r : eng.run()) ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::correlate {

// One hit fed to one correlation.
struct input {
  time_ns time = 0;
  std::string alert_id;
  std::vector<std::string> group;  // values of the correlation's group-by fields, in order
  std::string value;               // the condition's `field` (value_* types); "" when absent
  std::uint16_t rule_pos = 0;      // position of the hit's rule in the correlation's `rules`
};

struct result {
  std::uint32_t correlation = 0;  // index into rule_set::correlation_rules
  std::string id;                 // deterministic: rule, group, window, members
  time_ns start = 0;              // first and last contributing event
  time_ns end = 0;
  double value = 0;               // the count (events, values, rules) or the sum/avg/percentile
  std::vector<std::pair<std::string, std::string>> group;  // group-by field -> value
  std::vector<std::string> members;                       // ids of contributing alerts
};

struct stats {
  std::uint64_t inputs = 0;          // hits fed to correlations (one per hit and correlation)
  std::uint64_t missing_group = 0;   // hits left out: a group-by field was missing
  std::uint64_t missing_time = 0;    // hits left out: the event has no time
  std::uint64_t peak_groups = 0;     // most groups open at once in one correlation
  std::uint64_t peak_window = 0;     // most events held in one group's window
};

// The window algorithm for one correlation over its inputs (any order).
// Exposed for unit tests; engine::run() uses it.
std::vector<result> evaluate(const sigma::correlation_rule& c, std::uint32_t corr_idx, std::vector<input> inputs,
                             stats& st);

class engine {
 public:
  engine(const std::vector<sigma::correlation_rule>& corrs, const std::vector<sigma::rule>& rules);

  // True if some correlation is fed by hits of base rule `rule_idx`.
  [[nodiscard]] bool wants(std::uint32_t rule_idx) const {
    return rule_idx < consumers_.size() && !consumers_[rule_idx].empty();
  }
  // Records a hit of base rule `rule_idx` on `ev` for every correlation it feeds.
  void add_hit(std::uint32_t rule_idx, const event_batch& batch, const event& ev, std::string_view alert_id);
  // Evaluates every correlation; results sorted by (end, correlation, id).
  std::vector<result> run();
  [[nodiscard]] const stats& statistics() const { return stats_; }

 private:
  struct consumer {
    std::uint32_t correlation;
    std::uint16_t rule_pos;
    std::vector<field_id> group_fields;  // after aliases, for this rule
    field_id value_field = k_no_field;
  };
  const std::vector<sigma::correlation_rule>& corrs_;
  std::vector<std::vector<consumer>> consumers_;  // per base rule
  std::vector<std::vector<input>> inputs_;        // per correlation
  stats stats_;
};

}  // namespace ariadne::correlate
