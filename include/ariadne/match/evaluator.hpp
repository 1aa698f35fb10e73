// The reference evaluator: a plain, direct reading of Sigma semantics over a
// checked rule. It is the oracle later optimisations are tested against, so
// it favours obviousness over speed (the only shortcut is a per-event cache
// of case-folded field values).
//
//   match::reference_evaluator eval;
//   eval.reset(batch, ev);                  // once per event
//   bool hit = eval.matches(rule);          // logsource is not checked here
#pragma once

#include <string>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::match {

class reference_evaluator {
 public:
  // Sets the event subsequent calls look at. Both must outlive those calls.
  void reset(const event_batch& batch, const event& ev);
  // Evaluates the rule's condition on the current event.
  [[nodiscard]] bool matches(const sigma::rule& r);

  // Glob over folded bytes ('?' = one code point). Public for tests.
  [[nodiscard]] static bool glob_match(const std::vector<sigma::glob_token>& toks, std::string_view s);

 private:
  bool eval(const sigma::rule& r, const sigma::condition_node& n);
  bool eval_search(const sigma::search& s);
  bool eval_item(const sigma::detection_item& item);
  bool eval_matcher(const sigma::matcher& m, const sigma::detection_item& item);
  bool match_value(const sigma::matcher& m, std::uint32_t field_idx);
  bool keyword_match(const sigma::matcher& m);
  std::string_view folded(std::uint32_t field_idx);
  std::string_view raw_text(std::uint32_t field_idx);

  const event_batch* batch_ = nullptr;
  const event* ev_ = nullptr;
  std::span<const field_entry> fields_;
  std::vector<std::string> folded_;
  std::vector<std::string> text_;
  std::vector<std::uint8_t> have_folded_;
  std::vector<std::uint8_t> have_text_;
  std::vector<std::int8_t> search_memo_;
  std::string scratch_;
};

}  // namespace ariadne::match
