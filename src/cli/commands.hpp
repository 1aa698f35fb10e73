// Subcommand options and entry points. main.cpp parses the command line
// (CLI11) into these structs, then calls one run_* function.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ariadne::cli {

struct rule_options {
  std::vector<std::string> rule_paths;  // empty: the built-in pack
  std::string placeholders;             // placeholder file for `expand`
  bool strict_placeholders = false;
};

struct hunt_options {
  rule_options rules;
  std::vector<std::string> inputs;
  std::string min_level = "informational";
  std::string output;           // "" or "-": stdout
  std::string format = "table";  // table | jsonl | csv
  std::string mapping;           // custom normalisation mapping
  unsigned threads = 0;          // EVTX parser threads; 0: one per core
  std::string case_db;           // --case FILE.db: record the run in a case database
  bool no_prefilter = false;     // match every record, even those no rule can match
  bool no_incidents = false;     // no entity graph, no incidents (and the record prefilter may skip records)
  double incident_gap_minutes = 60;  // alerts further apart split an incident
  std::size_t incidents_shown = 10;  // in the summary
  std::string command_line;      // as typed, for the case database
  bool quiet = false;            // no summary
  bool no_color = false;
  std::size_t max_problems_shown = 10;
  bool output_in_input = false;  // --output-in-input: allow -o inside an input folder (not read back)
  bool strict = false;           // exit 3 if any input problem was found
  bool wide = false;             // table and summary lines not cut to the terminal
  bool full_paths = false;       // source files as given, not their base names
  bool stats = false;            // the engine's figures in the summary
  std::string baseline;          // --baseline FILE: what is routine here (ariadne baseline learn)
  bool no_anomalies = false;     // --no-anomalies: no anomaly alerts (graph/anomaly.hpp)
  // Noise controls (docs/cli.md "Noise controls").
  std::vector<std::string> statuses;       // --status: statuses run (default: all but deprecated, unsupported)
  std::vector<std::string> exclude;        // --exclude-rule: ids, titles, paths or globs
  std::vector<std::string> exclude_files;  // --exclude-rules FILE: one pattern a line
  std::vector<std::string> noisy_files;    // --noisy-rules FILE: rules demoted one level
  std::vector<std::string> noisy;          // from the config file
  std::string from, to;                    // --from/--to: event time window
  std::vector<std::string> hosts;          // --host: only these hosts (globs)
  bool wildcard_placeholders = false;      // run rules with unresolved placeholders (matching like '*')
  std::string config;                      // --config FILE ("": the default location, if it exists)
  bool no_config = false;
};

struct dump_options {
  std::vector<std::string> inputs;
  std::string format = "jsonl";  // jsonl | xml
  std::string output;            // "" or "-": stdout
  unsigned threads = 0;          // 0: one per core
  bool quiet = false;
  bool strict = false;           // exit 3 if any problem was found
  bool no_color = false;
  std::size_t max_problems_shown = 20;
};

struct trace_options {
  std::string case_db;
  std::string id;                // an alert or incident id (a unique prefix will do)
  bool forward = false;          // also walk forward to the impact
  std::string format = "text";  // text | json | dot
  std::string output;            // "" or "-": stdout
  bool no_color = false;
  bool wide = false;             // lines not cut to the terminal's width
};

struct incidents_options {
  std::string case_db;
  std::string id;                // `show ID`: one incident (a unique prefix will do); "": list them
  std::string format = "table";  // table | jsonl | csv
  std::string output;
  double min_score = 0;
  bool wide = false;
  bool no_color = false;
  bool long_form = false;        // show: the narrative with every step
};

struct baseline_options {
  rule_options rules;
  // The noise controls of hunt (its --status, --exclude-rule, --exclude-rules, --noisy-rules).
  std::vector<std::string> statuses, exclude, exclude_files, noisy_files;
  std::vector<std::string> inputs;
  std::string output;  // the baseline file (required)
  unsigned threads = 0;
  bool append = false;  // add to the file's baseline instead of replacing it
};

struct search_options {
  std::vector<std::string> inputs;
  std::vector<std::string> keywords;  // -k: found inside any value (all must be)
  std::vector<std::string> regexes;   // -e: RE2 over every value
  std::vector<std::string> fields;    // -F FIELD=VALUE (Sigma value: * and ? wildcards, case-insensitive)
  std::string format = "table";       // table | jsonl
  std::string output;
  unsigned threads = 0;
  std::uint64_t max = 0;              // stop printing after this many (0: all)
  bool wide = false;
  bool quiet = false;
};

struct metrics_options {
  std::vector<std::string> inputs;
  std::string format = "table";  // table | json
  std::string output;
  unsigned threads = 0;
  bool wide = false;
  bool no_color = false;
};

struct attribute_options {
  std::string techniques;        // --techniques T1059.001,T1003.001
  std::string case_db;           // or a case database ...
  std::string incident;          // ... and an incident id (or unique prefix)
  std::size_t top = 5;
  std::string domain = "enterprise";  // enterprise | ics
  std::string format = "table";  // table | json | navigator
  std::string output;
  bool no_color = false;
};

struct rules_coverage_options {
  rule_options rules;
  std::string format = "table";  // table | json | navigator
  std::string output;
  bool no_color = false;
};

struct rules_check_options {
  rule_options rules;
  std::string format = "text";  // text | json
  bool warnings = false;
  bool strict = false;
  bool no_color = false;
};

struct rules_update_options {
  std::string url = "https://github.com/SigmaHQ/sigma.git";
  std::string name;  // the folder under the data directory ("": from the URL)
};

struct rules_list_options {
  rule_options rules;
  std::string format = "table";  // table | jsonl
};

int run_hunt(const hunt_options& opts);
int run_dump(const dump_options& opts);
int run_trace(const trace_options& opts);
int run_incidents(const incidents_options& opts);
int run_search(const search_options& opts);
int run_baseline_learn(const baseline_options& opts);
int run_metrics(const metrics_options& opts);
int run_attribute(const attribute_options& opts);
int run_rules_coverage(const rules_coverage_options& opts);
unsigned default_threads();
// `requested` threads (0: one per core), lowered to twice the cores with a
// note on stderr.
unsigned clamp_threads(unsigned requested);
int run_rules_check(const rules_check_options& opts);
int run_rules_list(const rules_list_options& opts);
int run_rules_update(const rules_update_options& opts);
int run_rules_stats(const rules_list_options& opts);

}  // namespace ariadne::cli

#include "ariadne/core/result.hpp"
#include "ariadne/rules/collection.hpp"

namespace ariadne::cli {
// Loads the rules named by `r` (or the built-in pack).
// The rules named by `r` (through the snapshot cache, rules/snapshot.hpp),
// read on `threads` threads (0: all cores); `from_cache` tells whether they
// came from a snapshot; `on_digest` is load_rules_cached's.
// Rule paths are resolved first (resolve_rule_paths); `described`, when
// given, says which rules were taken.
[[nodiscard]] result<sigma::rule_set> load_rule_set(const rule_options& r, unsigned threads = 0,
                                                    bool* from_cache = nullptr,
                                                    const std::function<void(std::string_view)>& on_digest = {},
                                                    std::string* described = nullptr);
// The rule selection of the noise controls (docs/cli.md): `statuses` may
// hold "all"; the files are read (one pattern a line). Prints why and
// returns k_exit_fatal when a file cannot be read.
[[nodiscard]] int make_selection(const std::string& min_level, const std::vector<std::string>& statuses,
                                 const std::vector<std::string>& exclude, const std::vector<std::string>& exclude_files,
                                 const std::vector<std::string>& noisy, const std::vector<std::string>& noisy_files,
                                 sigma::rule_selection& out);
// Where `rules update` installs rule sets: $XDG_DATA_HOME/ariadne/rules,
// else ~/.local/share/ariadne/rules ("" when neither is set).
[[nodiscard]] std::string rules_data_dir();
// The installed rule set rules use by default: sigma/ if installed, else the
// first in name order; "" when none.
[[nodiscard]] std::string installed_rule_set();
// A SigmaHQ tree's root becomes its standard folders (rules,
// rules-emerging-threats, rules-threat-hunting, rules-placeholder); no
// paths: the installed set, else none (the built-in pack). `described`
// says which, for the summary.
[[nodiscard]] std::vector<std::string> resolve_rule_paths(const std::vector<std::string>& paths, std::string* described);
}  // namespace ariadne::cli
