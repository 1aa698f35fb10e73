// The reference evaluator: a plain, direct reading of Sigma semantics over a
// checked rule. It is the oracle later optimisations are tested against, so
// it favours obviousness over speed (the only shortcuts are a per-event cache
// of case-folded field values, a per-event table of where each field's
// values are and, when the engine gives one, a needle oracle that settles
// string tests from its literal scan).
//
//   match::reference_evaluator eval;
//   eval.reset(batch, ev);                  // once per event
//   bool hit = eval.matches(rule);          // logsource is not checked here
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::match {

// The number a value holds as numeric tests see it: integers, floats and
// decimal text (trimmed; hex text is not a number). False if none.
bool numeric_value(const value& v, double& out);

// What a literal scan of the current event has already settled: whether
// the needle of a string test occurs in a value (the engine's scan, see
// engine.hpp). Given one, the evaluator asks it before reading a value;
// without one it computes every test itself.
class needle_oracle {
 public:
  static constexpr std::uint32_t k_none = UINT32_MAX;
  virtual ~needle_oracle() = default;
  // The scan's ids for the needles of m's alternatives (k_none where an
  // alternative has none), or null.
  [[nodiscard]] virtual const std::uint32_t* needles(const sigma::matcher& m) const = 0;
  // For value `field_idx` of the current event: 0 the needle does not occur
  // in it (so no equals/prefix/suffix/contains test on it holds), 1 it does
  // (so `contains` holds), -1 not known.
  [[nodiscard]] virtual int occurs(std::uint32_t needle, std::uint32_t field_idx) const = 0;
};

class reference_evaluator {
 public:
  // Consults `o` (which must outlive later calls) for string tests; null: none.
  void set_oracle(const needle_oracle* o) { oracle_ = o; }
  // Sets the event subsequent calls look at. Both must outlive those calls.
  void reset(const event_batch& batch, const event& ev);
  // Evaluates the rule's condition on the current event.
  [[nodiscard]] bool matches(const sigma::rule& r);

  // Glob over folded bytes ('?' = one code point). Public for tests.
  [[nodiscard]] static bool glob_match(const std::vector<sigma::glob_token>& toks, std::string_view s);
  // Does `s` hold `n` characters in a row, none a newline unless `dot_all`
  // (what RE2 finds for ".{n,}")? nullopt when `s` is not valid UTF-8 (then
  // RE2 decides). Public for tests.
  [[nodiscard]] static std::optional<bool> long_run(std::string_view s, std::uint32_t n, bool dot_all);

 private:
  bool eval(const sigma::rule& r, const sigma::condition_node& n);
  bool eval_search(const sigma::search& s);
  bool eval_item(const sigma::detection_item& item);
  bool match_value(const sigma::matcher& m, std::uint32_t field_idx);
  bool keyword_match(const sigma::matcher& m);
  std::string_view folded(std::uint32_t field_idx);
  std::string_view raw_text(std::uint32_t field_idx);
  // Is the value's text ASCII? Then its folded text is its ASCII lower case,
  // and equals/prefix/suffix are compared without making that copy.
  bool ascii(std::uint32_t field_idx);

  const needle_oracle* oracle_ = nullptr;
  const event_batch* batch_ = nullptr;
  const event* ev_ = nullptr;
  std::span<const field_entry> fields_;
  std::vector<std::string> folded_;
  std::vector<std::string> text_;
  std::vector<std::uint8_t> have_folded_;
  std::vector<std::uint8_t> have_text_;
  std::vector<std::uint8_t> ascii_;  // 0: not known yet, 1: ASCII, 2: not
  std::vector<std::int8_t> search_memo_;
  field_spans spans_;  // where the current event's values of each field are
  std::string scratch_;
};

}  // namespace ariadne::match
