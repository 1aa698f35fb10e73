// Loading a rule set: files and directories of Sigma YAML (detection rules
// and meta-filters), placeholders for `expand`, and every diagnostic.
//
//   sigma::load_options opts;
//   auto set = sigma::load_rules({"rules/"}, opts);
//   for (const auto& d : set.diagnostics) std::cerr << d.to_string() << '\n';
//   // set.rules are ready for the match module.
//
// Loading never stops at a bad rule: it records why and goes on. Files are
// visited in sorted path order, so the result does not depend on directory
// order.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/rules/diagnostics.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::sigma {

// Values for `%name%` placeholders under the `expand` modifier.
struct placeholder_set {
  std::map<std::string, std::vector<std::string>> values;
};

// Reads a placeholder file: a YAML mapping of name -> value or list of values.
[[nodiscard]] result<placeholder_set> load_placeholders(std::string_view path);

struct load_options {
  placeholder_set placeholders;
  // When false (default), an unresolved placeholder matches like `*` (the
  // pySigma wildcard-placeholder convention) and the rule gets a warning;
  // when true, such a rule is skipped.
  bool strict_placeholders = false;
  // Threads that read and parse files (0: one per core, at most 8).
  unsigned threads = 0;
};

struct rule_set {
  std::vector<rule> rules;
  std::vector<correlation_rule> correlation_rules;  // resolved, in dependency order (referenced first)
  std::vector<diagnostic> diagnostics;
  std::size_t files = 0;
  std::size_t documents = 0;
  std::size_t skipped = 0;        // rule documents that could not be used
  std::size_t filters = 0;        // meta-filter documents applied
  std::size_t correlations = 0;   // correlation documents read (usable ones are in correlation_rules)
  std::size_t unreadable_files = 0;
  // Names the rules as loaded: two sets with the same non-empty digest hold
  // the same rules (it keys caches of what is derived from them). Set by
  // load_rules_cached when the set was read from or written to the cache
  // (the snapshot's name covers the executable and every rule file);
  // restrict_to_level extends it. Empty: unknown.
  std::string digest;

  [[nodiscard]] std::size_t loaded() const { return rules.size(); }
};

// Loads every *.yml / *.yaml under the given files and directories.
[[nodiscard]] rule_set load_rules(const std::vector<std::string>& paths, const load_options& opts);

// Loads rules from in-memory files (name, YAML text); used for the built-in
// pack and in tests.
[[nodiscard]] rule_set load_rules_from_texts(const std::vector<std::pair<std::string, std::string>>& files,
                                             const load_options& opts);

// The rule pack compiled into the binary (data/rules/*.yml).
[[nodiscard]] rule_set load_builtin_rules(const load_options& opts);

// Keeps the rules and correlations at `min` or above, plus whatever a kept
// correlation refers to (those below `min` only feed it: standalone = false).
// Indices in correlation refs are renumbered; dependency order is kept.
void restrict_to_level(rule_set& set, level min);
// The digest restrict_to_level(set, min) gives a set of digest `digest`
// (empty stays empty).
[[nodiscard]] std::string restricted_digest(std::string_view digest, level min);

// Which rules a hunt runs: the noise controls (docs/cli.md). A pattern names
// a rule by its id, its title, or its file: a full path, a base name, or a
// glob (`*`, `?`, `[...]`) over either; case-insensitive.
struct rule_selection {
  level min = level::informational;
  // Statuses run; empty: every status but deprecated and unsupported. A
  // rule without a status is run unless the list is given and lacks "none".
  std::vector<std::string> statuses;
  bool all_statuses = false;
  std::vector<std::string> exclude;  // patterns of rules not run
  std::vector<std::string> noisy;    // patterns of rules demoted one level (before `min` applies)
};
struct selection_counts {
  std::size_t by_status = 0, excluded = 0, demoted = 0, below_level = 0;
};
[[nodiscard]] bool rule_matches_pattern(const rule_header& r, std::string_view pattern);
// Applies `sel` (as restrict_to_level does for the level: rules a kept
// correlation needs stay, only feeding it). Extends the digest.
selection_counts select_rules(rule_set& set, const rule_selection& sel);
// The digest select_rules(set, sel) gives a set of digest `digest`.
[[nodiscard]] std::string selection_digest(std::string_view digest, const rule_selection& sel);
// Reads a rule list: one pattern a line, `#` comments, blank lines ignored.
[[nodiscard]] result<std::vector<std::string>> load_rule_list(const std::string& path);

}  // namespace ariadne::sigma
