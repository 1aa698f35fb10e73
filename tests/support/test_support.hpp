// Helpers for tests: load rules from YAML text, run JSON events through the
// same ingest -> normalize -> match path as `ariadne hunt`.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ariadne/event/event.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/rules/collection.hpp"

namespace ariadne::graph {
struct incident;
struct narrative;
}  // namespace ariadne::graph

namespace ariadne::test {

// Rebuilds each fact of a narrative from its evidence in the graph (the
// entities and alerts the incident's events made; graph/narrative.hpp says
// what each field means) and returns one line per fact that its evidence
// does not support, or whose evidence is not of the incident.
std::vector<std::string> narrative_problems(const graph::graph& g, const std::vector<graph::incident>& all,
                                            const graph::incident& inc, const graph::narrative& n);

// Points ARIADNE_CACHE_DIR at a fresh temporary directory (`dir`) for the
// life of the object; the old value and the directory go with it.
struct scoped_cache_dir {
  scoped_cache_dir();
  ~scoped_cache_dir();
  scoped_cache_dir(const scoped_cache_dir&) = delete;
  scoped_cache_dir& operator=(const scoped_cache_dir&) = delete;
  std::filesystem::path root;  // $ARIADNE_CACHE_DIR
  std::filesystem::path dir;   // where the cache files go (cache::directory())

 private:
  std::optional<std::string> old_;
};

// Path of a file under ../shared/data.
std::string shared(const std::string& rel);
// The files under a path, sorted, as hunt finds them.
std::vector<std::string> expand(const std::string& path);
bool shared_available();
// True when the tests run in CI (CI=true): data they need must be there.
bool in_ci();

// At the top of a test that reads ../shared/data: without it, the test is
// skipped on a developer's machine but fails in CI, so CI can never pass
// by skipping.
#define ARIADNE_REQUIRE_SHARED()                                                               \
  do {                                                                                         \
    if (!::ariadne::test::shared_available()) {                                                \
      if (::ariadne::test::in_ci()) FAIL() << "../shared/data is missing, and CI=true needs it"; \
      GTEST_SKIP() << "../shared/data not present";                                           \
    }                                                                                          \
  } while (0)

// Loads one YAML text as a rule set (file name "test.yml").
sigma::rule_set rules_from(const std::string& yaml, const sigma::load_options& opts = {});

struct run_result {
  std::vector<std::string> rule_ids;  // one per hit, in output order
  std::vector<std::uint64_t> records;
  std::vector<ingest::input_problem> problems;
  std::uint64_t events = 0;
  std::uint64_t filtered = 0;  // records the prefilter skipped
  bool prefilter_active = false;
};

// Builds the literal index of a long-lived rule set once and lets the run_*
// helpers below reuse it for that set (compiling the whole SigmaHQ tree's
// index takes about half a second; a test running it per file would crawl).
void share_index(const sigma::rule_set& rules);

// Reads `json` (any supported JSON shape), normalizes, matches `rules`.
run_result run(const sigma::rule_set& rules, const std::string& json);
// Same for a file (decompressing as needed). With `prefilter`, records that
// hold no literal any rule needs are skipped, as `ariadne hunt` does.
run_result run_file(const sigma::rule_set& rules, const std::string& path, bool prefilter = false);

// Same for an EVTX file, read natively with `threads` parser threads.
run_result run_evtx_file(const sigma::rule_set& rules, const std::string& path, unsigned threads = 1);

// True if the single rule in `yaml` matches the single event in `json`.
bool matches(const std::string& yaml, const std::string& json);

// An event's fields as "name=kind:text" strings, for comparing events read
// different ways (order-independent).
std::multiset<std::string> field_set(const event_batch& batch, const event& ev);

// A batch of events of one field each (one event per text), all of
// logsource product `product`.
event_batch one_field_events(field_id field, std::initializer_list<const char*> texts, ls_id product);
event_batch one_field_events(field_id field, const std::vector<std::string>& texts, ls_id product);

// Normalized events of a JSON text, for inspection.
void read_events(const std::string& json, event_batch& batch, std::vector<ingest::input_problem>& problems);

// hunt_graph()'s rule index for an anomaly alert (graph/anomaly.hpp).
inline constexpr std::uint32_t k_no_rule = UINT32_MAX;

// Hunts `paths` (JSON or EVTX, archives too) with `rules` the way `ariadne
// hunt` does and returns the finished entity graph with every alert attached.
// Alert ids are "<rule id>@<source file>:<record>"; `alert_rules` (if given)
// receives the rule index of each graph alert, in order (k_no_rule for
// the anomaly alerts, which come last).
graph::graph hunt_graph(const sigma::rule_set& rules, const std::vector<std::string>& paths,
                        std::vector<std::uint32_t>* alert_rules = nullptr);

}  // namespace ariadne::test
