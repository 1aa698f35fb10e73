// A literal prefilter for JSON records: can any loaded rule match this raw
// record at all?
//
// For each rule, the condition is walked to find literals of which at least
// one must occur in a record's text for the rule to match (values of
// `equals`/`contains`/... tests, the longest fixed part of a wildcard value,
// a regex's atoms, numbers, keywords). A record that contains none of the
// literals of any rule cannot match; hunt still parses it (so malformed
// input is still reported) but skips flattening, normalising and matching.
//
// The prefilter stays off (keeps everything) when any rule has no such
// literal: `not`, `re` without atoms, `cidr`, `exists`, null tests, numeric
// comparisons, field references, plain `*`, or non-ASCII values. It never
// drops a record with bytes >= 0x80, a `\u` or `\/` escape (their text may
// spell a value differently), nor, when a rule relies on a number, one with
// exponent notation (4.625e3). Case is ignored (ASCII), so it only errs on
// keeping. One vectorscan pass over the record finds the literals and the
// places where an escape may start.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ariadne/rules/rule.hpp"

struct hs_database;  // vectorscan

namespace ariadne::match {

class prefilter {
 public:
  static constexpr std::size_t k_max_literals = 256;  // beyond this the scan costs more than it saves

  explicit prefilter(const std::vector<sigma::rule>& rules);
  ~prefilter();
  prefilter(const prefilter&) = delete;
  prefilter& operator=(const prefilter&) = delete;

  // False when no literal set could be built; then keep() is always true.
  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::string& why_inactive() const { return why_; }
  [[nodiscard]] std::size_t literal_count() const { return literals_.size(); }
  // The literals searched for: lower-case, JSON-escaped, none containing another.
  [[nodiscard]] const std::vector<std::string>& literals() const { return literals_; }

  // True if some rule could match a record with this raw JSON text.
  // Thread-safe (each thread keeps its own vectorscan scratch).
  [[nodiscard]] bool keep(std::string_view raw) const;

 private:
  bool active_ = false;
  bool number_literals_ = false;
  std::string why_;
  std::vector<std::string> literals_;  // lower-case, JSON-escaped, none containing another
  ::hs_database* db_ = nullptr;        // the literals (caseless) and the escape starts
  std::uint64_t serial_ = 0;           // tells prefilters apart for the per-thread scratch
};

}  // namespace ariadne::match
