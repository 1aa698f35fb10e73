// A checked Sigma detection rule, ready to evaluate.
//
// The reader (rules/reader.cpp) turns one YAML document into a `rule`: every
// value is parsed once (escapes, wildcards, modifiers), case-folded, and
// lowered to a few primitive matchers; field names are interned to ids; the
// condition is parsed into a tree whose leaves index `rule::searches`.
// Evaluation lives in the match module.
//
// Semantics follow shared/docs/sigma-semantics.md; where that note leaves an
// [engine choice], the choice is documented in docs/sigma-engine.md.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/event/event.hpp"

namespace re2 {
class RE2;
}

namespace ariadne::sigma {

enum class level : std::uint8_t { informational, low, medium, high, critical };
[[nodiscard]] std::string_view level_name(level l);
// Parses "informational".."critical" (case-insensitive); false if unknown.
bool parse_level(std::string_view text, level& out);

// A string value after escape and wildcard parsing: literal runs and
// wildcards. Literal text is case-folded unless `cased`.
struct glob_token {
  enum class kind : std::uint8_t { literal, any_run, any_one };
  kind k = kind::literal;
  std::string text;  // literal only
};

enum class string_op : std::uint8_t { equals, prefix, suffix, contains, glob, any };

// One primitive string test, chosen at load time from the token shape:
// `abc` equals, `abc*` prefix, `*abc` suffix, `*abc*` contains, `*` any,
// anything else a glob.
struct string_test {
  string_op op = string_op::equals;
  bool cased = false;               // compare bytes as they are
  std::string needle;               // equals/prefix/suffix/contains
  std::vector<glob_token> tokens;   // glob
};

struct ip_network {
  std::array<std::uint8_t, 16> addr{};  // v4 in the first 4 bytes
  std::uint8_t prefix = 0;
  bool v4 = true;
};

// Parses an IPv4 or IPv6 address into `out.addr`/`out.v4` (prefix untouched).
// A zone index ("%eth0") is dropped; an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) counts as IPv4 [engine choice]. False if not an address.
[[nodiscard]] bool parse_ip_address(std::string_view text, ip_network& out);

enum class cmp_op : std::uint8_t { eq, gt, gte, lt, lte, neq };  // neq: correlation conditions only
[[nodiscard]] bool compare(double a, cmp_op op, double b);
enum class time_part : std::uint8_t { minute, hour, day, week, month, year };

// A rule's regular expression, compiled by RE2 on first use (once, from
// any thread): a rule set restored from the cache does not compile the many
// regexes no event of a run reaches. The reader compiles each one as it
// loads a rule, to refuse those RE2 does not support.
class lazy_regex {
 public:
  explicit lazy_regex(std::string pattern) : pattern_(std::move(pattern)) {}
  lazy_regex(const lazy_regex&) = delete;
  lazy_regex& operator=(const lazy_regex&) = delete;
  ~lazy_regex();

  [[nodiscard]] const std::string& pattern() const { return pattern_; }
  // The compiled expression (ok() false if RE2 refused it).
  [[nodiscard]] const re2::RE2& get() const;
  [[nodiscard]] bool compiled() const { return re_.load(std::memory_order_acquire) != nullptr; }

 private:
  std::string pattern_;
  mutable std::mutex mu_;                          // held while compiling
  mutable std::atomic<const re2::RE2*> re_{nullptr};  // owned; set once
};

// One value of a detection item, lowered.
struct matcher {
  enum class kind : std::uint8_t {
    strings,   // any of `alternatives` (expansions stay ORed even under `all`)
    regex,     // RE2, substring search
    cidr,
    number,    // numeric comparison (eq also compares canonical text)
    boolean,
    null,      // field absent or null
    exists,    // field present (flag) or absent (!flag)
    fieldref,  // compare with another field of the same event
    timepart,  // part of a timestamp field compared with an integer
  };
  kind k = kind::strings;
  std::vector<string_test> alternatives;
  std::shared_ptr<const lazy_regex> re;  // shared by copies of the rule
  // A regex that is only ".{N,}" or "(.){N,}": N characters in a row (no
  // newline among them unless `run_dot_all`, from the `s` modifier). RE2 is
  // slow on large counted repetitions, so the evaluator counts (0: not one).
  std::uint32_t run = 0;
  bool run_dot_all = false;
  // A regex's atoms: lower-case ASCII texts of 3 bytes or more, one of
  // which (ignoring case) every match contains, from RE2's prefilter
  // reduced to a minimal such set; empty when none is known.
  std::vector<std::string> re_atoms;
  ip_network net;
  cmp_op op = cmp_op::eq;
  double number = 0;
  std::string number_text;  // canonical decimal text of the rule value
  bool flag = false;        // boolean value / exists flag
  field_id ref = k_no_field;
  string_op ref_op = string_op::equals;
  time_part part = time_part::minute;
  // 1, 2, 3... over the matchers of a loaded rule set, in rule order (see
  // number_matchers); 0 if not numbered. The engine keys per-matcher data
  // by it.
  std::uint32_t ordinal = 0;
};

// `field|modifiers: values`. A keyword item has field == k_no_field.
struct detection_item {
  field_id field = k_no_field;
  bool all = false;     // values ANDed (`all` modifier)
  bool negate = false;  // `neq`: the whole item is negated
  std::vector<matcher> values;
  std::uint32_t line = 0;
};

// A search identifier: OR over alternatives, each an AND of items.
struct search {
  std::string name;
  std::vector<std::vector<detection_item>> alternatives;
};

struct condition_node {
  enum class kind : std::uint8_t { search_ref, op_and, op_or, op_not, constant };
  kind k = kind::constant;
  bool constant = false;
  std::uint32_t search_idx = 0;
  std::vector<condition_node> kids;
};

struct logsource {
  std::string product, category, service;
  ls_id product_id = 0, category_id = 0, service_id = 0;
  // True if an event with `ev` attributes is one this logsource accepts
  // (every attribute the rule names must be equal; others are free).
  [[nodiscard]] bool accepts(const event_logsource& ev) const;
};

// What every rule document carries, detection or correlation.
struct rule_header {
  std::string id;  // the rule's UUID, or a stable hash of its path when absent
  std::string name;
  std::string title;
  std::string status;
  std::string description;
  level lvl = level::medium;
  std::vector<std::string> tags;
  std::string path;
  std::uint32_t line = 1;  // of the YAML document
  // False when the rule only feeds correlations (referenced with
  // `generate: false`, the default): its hits are not reported alone.
  bool standalone = true;
};

struct rule : rule_header {
  std::string author;
  std::vector<std::string> references;
  std::vector<std::string> falsepositives;
  logsource source;
  std::vector<search> searches;
  condition_node condition;
  std::vector<std::string> filters_applied;  // ids/titles of meta-filters merged in
};

// Numbers every matcher of `rules` 1, 2, 3... in order (matcher::ordinal).
void number_matchers(std::vector<rule>& rules);

// ---- correlation rules (Sigma correlation specification, docs/correlation.md)

enum class corr_type : std::uint8_t {
  event_count,
  value_count,
  temporal,
  temporal_ordered,
  value_sum,
  value_avg,
  value_percentile,
  value_median,
};
[[nodiscard]] std::string_view corr_type_name(corr_type t);

[[nodiscard]] std::string_view cmp_op_name(cmp_op op);

struct corr_test {
  cmp_op op = cmp_op::gte;
  double value = 0;
  [[nodiscard]] bool holds(double x) const;
};

struct correlation_rule : rule_header {
  corr_type type = corr_type::event_count;
  std::vector<std::string> rule_refs;  // ids or names, as written
  std::vector<std::string> group_by;
  std::int64_t timespan_ns = 0;
  std::string timespan_text;
  std::vector<corr_test> condition;  // all must hold
  std::string field;                 // value_* types
  double percentile = 50;            // value_percentile
  // alias -> (rule name -> field in that rule's events)
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> aliases;
  bool generate = false;
  bool legacy = false;  // made from a legacy `| count() by ...` condition

  // Resolved when a rule set is loaded.
  struct ref {
    bool is_correlation = false;
    std::uint32_t index = 0;  // into rule_set::rules or rule_set::correlation_rules
  };
  std::vector<ref> refs;  // parallel to rule_refs

  // The field to read `group_field` from in events of the referenced rule
  // called `rule_name` (aliases applied).
  [[nodiscard]] std::string_view resolve_field(std::string_view group_field, std::string_view rule_name) const;
};

}  // namespace ariadne::sigma
