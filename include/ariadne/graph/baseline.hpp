// A baseline: what is routine in an environment, learned from logs known to
// be ordinary (or simply older), so a hunt over new logs demotes what the
// baseline has seen all day (issue 22). It holds, per rule and host, the
// hours the rule fired in (at most as many as make it routine; the score's
// `routine` factor uses them with the run's own,
// docs/decisions/0004-incident-score.md), and counts of process starts,
// remote logons, service installs, LSASS readers and destinations (the
// `rarity` factor and the anomaly alerts, graph/anomaly.hpp).
//
//   graph::baseline b;
//   b.learn(g);                       // a hunt's finished graph
//   b.save("base.tsv");               // ariadne baseline learn -o base.tsv PATHS
//   auto again = graph::baseline::load("base.tsv");   // hunt --baseline base.tsv
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "ariadne/core/result.hpp"
#include "ariadne/graph/graph.hpp"

namespace ariadne::graph {

// Hours a rule must fire in, on one host, to be routine there.
inline constexpr std::size_t k_routine_hours = 3;

class baseline {
 public:
  // Adds what a hunt's graph shows: each rule's hours per host, each
  // parent -> child process transition (images and command-line shape),
  // remote logons (account|source), service installs (name|image shape)
  // and images reading LSASS memory.
  void learn(const graph& g);
  // Lower case, at most 256 characters, runs of hex digits holding a digit
  // (ids, pids, GUID parts) as '#', control characters as ' '.
  [[nodiscard]] static std::string shape(std::string_view s);
  // "parent.exe\x1fchild.exe\x1fshape": a transition's key (base names and
  // command line lower-cased, numbers and hex runs as '#').
  [[nodiscard]] static std::string spawn_key(const entity& parent, const entity& child);
  [[nodiscard]] std::uint64_t spawns(const std::string& key) const;
  [[nodiscard]] std::uint64_t spawn_total() const { return spawn_total_; }
  [[nodiscard]] const std::map<std::string, std::uint64_t>& spawn_counts() const { return spawns_; }
  // Other counts, by kind ("logon", "service", "lsass", "destination") and key.
  void see(const std::string& kind, const std::string& key, std::uint64_t n = 1);
  [[nodiscard]] std::uint64_t seen(const std::string& kind, const std::string& key) const;
  [[nodiscard]] const std::map<std::string, std::uint64_t>& seen_counts(const std::string& kind) const;
  // Adds a rule's alert on `host` at `t` (for learn() and tests).
  void note(const std::string& rule_id, std::string_view host, time_ns t);
  // The distinct hours (at most k_routine_hours are kept) `rule_id` fired in on `host`.
  [[nodiscard]] const std::set<std::int64_t>* hours(const std::string& rule_id, std::string_view host) const;
  [[nodiscard]] std::size_t size() const { return hours_.size(); }

  // A text file: "# ariadne baseline 1", then one line per rule and host:
  // "rule <TAB> id <TAB> host <TAB> hour,hour,hour" (hours since 1970), and
  // one per transition: "spawn <TAB> parent <TAB> child <TAB> shape <TAB> count",
  // and one per other count: "seen <TAB> kind <TAB> key <TAB> count".
  [[nodiscard]] result<void> save(const std::string& path) const;
  [[nodiscard]] std::string to_text() const;
  [[nodiscard]] static result<baseline> load(const std::string& path);
  [[nodiscard]] static result<baseline> parse(std::string_view text, std::string_view name);

 private:
  std::map<std::pair<std::string, std::string>, std::set<std::int64_t>> hours_;  // (rule id, lower host)
  std::map<std::string, std::uint64_t> spawns_;                                  // spawn_key -> count
  std::uint64_t spawn_total_ = 0;
  std::map<std::string, std::map<std::string, std::uint64_t>> seen_;  // kind -> key -> count
};

}  // namespace ariadne::graph
