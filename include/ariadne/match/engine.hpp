// The matching engine: runs a rule set over event batches.
//
// Rules are compiled once into an index:
//  - by logsource: an event only meets the rules whose logsource accepts it;
//  - by literal: for each rule, a set of literals one of which every event
//    it matches contains (derived from the condition tree, see
//    src/match/literals.hpp). All literals go into one vectorscan database;
//    one scan over an event's values (case-insensitive) marks the rules
//    whose literals are present, and only those, plus the rules that have
//    no such literal (pure negations, numeric tests, regexes), are
//    evaluated in full by the reference evaluator.
// The index never changes a result, only how many rules are evaluated: the
// differential tests compare it with `use_index = false`.
//
//   match::engine eng(set.rules);
//   std::vector<match::hit> hits;
//   eng.match_batch(batch, hits);   // hits in (event, rule) order
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/match/evaluator.hpp"
#include "ariadne/rules/rule.hpp"

struct hs_database;  // vectorscan
struct hs_scratch;

namespace ariadne::match {

struct hit {
  std::uint32_t event_idx;  // index in the batch
  std::uint32_t rule_idx;   // index in the engine's rule list
};

// The compiled literal index, shared (read-only) by the engines of all
// threads. Build it once per rule set. Literals are grouped by the field
// they must occur in: a value is scanned only against its own field's
// database, and, when keyword rules apply, every value once more against
// the keyword database.
class literal_index {
 public:
  static constexpr std::size_t k_min_literal = 3;  // bytes; rules with a shorter one are not indexed

  explicit literal_index(const std::vector<sigma::rule>& rules);
  ~literal_index();
  literal_index(const literal_index&) = delete;
  literal_index& operator=(const literal_index&) = delete;

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::string& why_inactive() const { return why_; }
  [[nodiscard]] std::size_t literal_count() const { return lit_rules_.size(); }
  [[nodiscard]] std::size_t database_count() const { return dbs_.size(); }
  // Rules evaluated on every event of their logsource (no literal known).
  [[nodiscard]] std::size_t unindexed_rules() const;
  [[nodiscard]] bool indexed(std::uint32_t rule) const { return indexed_[rule] != 0; }
  [[nodiscard]] bool uses_keywords(std::uint32_t rule) const { return keyword_rule_[rule] != 0; }

 private:
  friend class engine;
  bool active_ = false;
  std::string why_;
  std::vector<std::uint8_t> indexed_, keyword_rule_;    // per rule
  std::vector<std::vector<std::uint32_t>> lit_rules_;   // literal id -> rules
  std::vector<::hs_database*> dbs_;                     // owned
  std::vector<std::int32_t> field_db_;                  // field id -> index in dbs_, or -1
  ::hs_database* keyword_db_ = nullptr;                 // one of dbs_, or null
};

struct engine_options {
  bool use_index = true;  // false: every logsource candidate is evaluated (the reference path)
};

class engine {
 public:
  // `rules` (and `index`, when given) must outlive the engine. Without an
  // index, the engine builds its own (if options ask for one).
  explicit engine(const std::vector<sigma::rule>& rules, engine_options o = {},
                  std::shared_ptr<const literal_index> index = nullptr);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Appends every (event, rule) match of the batch to `out`, ordered by
  // event index then rule index. Not thread-safe: use one engine per thread.
  void match_batch(const event_batch& batch, std::vector<hit>& out);

  // Rules whose logsource accepts `ls` (cached per distinct logsource).
  [[nodiscard]] const std::vector<std::uint32_t>& candidates(const event_logsource& ls);

  [[nodiscard]] const std::vector<sigma::rule>& rules() const { return rules_; }
  [[nodiscard]] const std::shared_ptr<const literal_index>& index() const { return index_; }

  // Counters since construction: rules evaluated in full, and those the
  // logsource alone would have asked for.
  [[nodiscard]] std::uint64_t evaluated() const { return evaluated_; }
  [[nodiscard]] std::uint64_t logsource_candidates() const { return ls_candidates_; }

 private:
  struct plan {
    std::vector<std::uint32_t> all;        // every rule the logsource accepts
    std::vector<std::uint32_t> unindexed;  // of those, the ones without literals
    std::vector<std::uint8_t> accepts;     // per rule
    bool keywords = false;                 // an indexed rule here has keyword literals
  };
  const plan& plan_for(const event_logsource& ls);
  void collect_marked(const event_batch& batch, const event& ev, const plan& p);

  const std::vector<sigma::rule>& rules_;
  engine_options opts_;
  std::shared_ptr<const literal_index> index_;
  ::hs_scratch* scratch_ = nullptr;
  std::unordered_map<std::string, plan> plans_;
  reference_evaluator eval_;
  std::string buf_, folded_tmp_, text_tmp_;
  std::vector<std::uint32_t> mark_;  // per rule: epoch of the last event that marked it
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> marked_, order_;
  std::uint64_t evaluated_ = 0, ls_candidates_ = 0;
};

}  // namespace ariadne::match
