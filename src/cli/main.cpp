// ariadne: command-line entry point. Parses options and dispatches; the work
// is done by the library modules (see src/README.md).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config.hpp"
#include "terminal.hpp"

namespace {

void add_rule_options(CLI::App* cmd, ariadne::cli::rule_options& r) {
  cmd->add_option("-r,--rules", r.rule_paths,
                  "Sigma rule file or directory (repeatable; a SigmaHQ tree's root takes its rules, "
                  "rules-emerging-threats, rules-threat-hunting and rules-placeholder). Default: the set 'ariadne rules "
                  "update' installed, else the built-in pack")
      ->allow_extra_args(false);
  cmd->add_option("--placeholders", r.placeholders,
                  "YAML file of %placeholder% values for the 'expand' modifier");
  cmd->add_flag("--strict-placeholders", r.strict_placeholders,
                "Skip rules whose placeholders have no value (hunt does so by default; elsewhere they match like '*')");
}

// A number in (lo, hi]: NaN and infinities are refused, as are values that
// would overflow when turned into nanoseconds.
CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double v = 0;
        try {
          std::size_t used = 0;
          v = std::stod(text, &used);
          if (used != text.size()) return "'" + text + "' is not a number";
        } catch (const std::exception&) {
          return "'" + text + "' is not a number";
        }
        if (!std::isfinite(v) || v <= lo || v > hi)
          return text + " is out of range (more than " + CLI::detail::to_string(lo) + ", at most " +
                 CLI::detail::to_string(hi) + ")";
        return {};
      },
      "", "");
}

// The subcommands, for naming an unknown one.
constexpr const char* k_commands[] = {"hunt",      "search",    "metrics", "dump", "trace",
                                      "incidents", "attribute", "rules",   "baseline"};

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ariadne::cli;
  CLI::App app{"ariadne: follow the thread of an attack back to where it entered.\n"
               "Hunts security logs with Sigma rules."};
  app.set_version_flag("--version", "ariadne 0.1.0");
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 fatal error, 2 usage error, 3 problems found (with --strict).\n"
             "Docs: docs/cli.md, docs/output-schema.md");

  hunt_options hunt;
  auto* hunt_cmd = app.add_subcommand("hunt", "Match Sigma rules against log files and directories");
  add_rule_options(hunt_cmd, hunt.rules);
  hunt_cmd->add_option("paths", hunt.inputs, "Log files or directories: EVTX, JSON lines/array/concatenated; "
                                             "gzip, zstd, xz, bzip2, zip and tar read directly; '-' (or a pipe, "
                                             "FIFO, /dev/stdin) is read as a stream")
      ->required();
  hunt_cmd->add_option("--min-level", hunt.min_level, "Only rules at or above this level")
      ->check(CLI::IsMember({"informational", "low", "medium", "high", "critical"}))
      ->default_str("informational");
  hunt_cmd->add_option("-o,--output", hunt.output,
                       "Write alerts to FILE instead of stdout (written whole, then renamed into place; never an input)");
  hunt_cmd->add_flag("--output-in-input", hunt.output_in_input,
                     "Allow -o inside an input folder (the file is then left out of the inputs)");
  hunt_cmd->add_option("-f,--format", hunt.format,
                       "Alert output: table (a timeline for people: repeats as one row, sorted by time), csv (a "
                       "timeline, one row per alert) or jsonl (for tools)")
      ->check(CLI::IsMember({"table", "jsonl", "csv"}))
      ->default_str("table");
  hunt_cmd->add_option("--mapping", hunt.mapping, "Normalisation mapping YAML (default: built in)");
  hunt_cmd->add_option("-j,--threads", hunt.threads, "Worker threads that parse, normalise and match (default: one per core); output does not depend on it");
  hunt_cmd->add_option("--case", hunt.case_db,
                       "Record the run, its alerts and correlations in this SQLite case database (docs/case-db.md); "
                       "re-running adds no duplicates");
  hunt_cmd->add_flag("--no-prefilter", hunt.no_prefilter,
                     "Match every JSON record, even those holding no literal any rule needs (for checking)");
  hunt_cmd->add_flag("--no-incidents", hunt.no_incidents,
                     "Build no entity graph and no incidents (faster; lets the record prefilter skip records)");
  hunt_cmd->add_option("--incident-gap", hunt.incident_gap_minutes,
                       "Minutes without an alert that split an incident (default: 60; more than 0, at most 10,000,000)")
      ->check(finite_range(0.0, 1e7));
  hunt_cmd->add_option("--incidents-shown", hunt.incidents_shown, "Incidents listed in the summary (default: 10)");
  hunt_cmd->add_flag("-q,--quiet", hunt.quiet, "Do not print the summary");
  hunt_cmd->add_flag("--wide", hunt.wide, "Do not cut table and summary lines to the terminal's width");
  hunt_cmd->add_flag("--full-paths", hunt.full_paths, "Name source and rule files by their full paths");
  hunt_cmd->add_flag("--stats", hunt.stats, "Add the engine's figures (index, prefilter, matcher, graph) to the summary");
  hunt_cmd->add_option("--status", hunt.statuses,
                       "Rule statuses to run, e.g. stable,test (repeatable or comma-separated; 'none': rules without "
                       "one; 'all': every status). Default: all but deprecated and unsupported")
      ->delimiter(',')
      ->allow_extra_args(false);
  hunt_cmd->add_option("--exclude-rule", hunt.exclude,
                       "Do not run this rule: its id, title, file (path or base name) or a glob over them (repeatable)")
      ->allow_extra_args(false);
  hunt_cmd->add_option("--exclude-rules", hunt.exclude_files,
                       "File of rules not to run, one id, title, path or glob a line, '#' comments (repeatable)")
      ->allow_extra_args(false);
  hunt_cmd->add_option("--noisy-rules", hunt.noisy_files,
                       "File of noisy rules (same format): still run, but one level lower (repeatable)")
      ->allow_extra_args(false);
  hunt_cmd->add_option("--from", hunt.from, "Only alerts on events at or after this time (UTC unless a zone is given)");
  hunt_cmd->add_option("--to", hunt.to, "Only alerts on events at or before this time (a bare date: the whole day)");
  hunt_cmd->add_option("--host", hunt.hosts, "Only alerts on this host (name or glob, case-insensitive; repeatable)")
      ->allow_extra_args(false);
  hunt_cmd->add_flag("--wildcard-placeholders", hunt.wildcard_placeholders,
                     "Run rules whose %placeholders% have no value, matching them like '*' (default: left out)");
  hunt_cmd->add_option("--config", hunt.config,
                       "Configuration file: YAML of these options (default: $XDG_CONFIG_HOME/ariadne/config.yml when "
                       "it exists); flags override it");
  hunt_cmd->add_flag("--no-config", hunt.no_config, "Read no configuration file");
  hunt_cmd->add_option("--baseline", hunt.baseline,
                       "What is routine here ('ariadne baseline learn'): rules that fire all day on a host are demoted "
                       "in incident scores");
  hunt_cmd->add_flag("--no-anomalies", hunt.no_anomalies,
                     "No anomaly alerts (first-seen process starts, logon sources and services, rare LSASS readers; "
                     "docs/incidents.md)");
  hunt_cmd->add_flag("--strict", hunt.strict,
                     "Exit with 3 if any input problem was found (unreadable file or folder, bad record, damaged chunk)");
  hunt_cmd->add_flag("--no-color", hunt.no_color, "Never use colour (default: colour on a TTY)");

  dump_options dump;
  auto* dump_cmd = app.add_subcommand("dump", "Print EVTX records as JSON lines or XML");
  dump_cmd->add_option("paths", dump.inputs, "EVTX files, directories of them, or archives holding them")
      ->required();
  dump_cmd->add_option("-f,--format", dump.format,
                       "jsonl: one JSON object per record (evtx crate layout); xml: Windows event XML")
      ->check(CLI::IsMember({"jsonl", "xml"}))
      ->default_str("jsonl");
  dump_cmd->add_option("-o,--output", dump.output, "Write to FILE instead of stdout");
  dump_cmd->add_option("-j,--threads", dump.threads, "Parser threads (default: one per core)");
  dump_cmd->add_flag("-q,--quiet", dump.quiet, "Do not print the closing count line");
  dump_cmd->add_flag("--strict", dump.strict, "Exit with 3 if any record or chunk could not be read");
  dump_cmd->add_flag("--no-color", dump.no_color, "Never use colour (default: colour on a TTY)");

  trace_options trace;
  auto* trace_cmd = app.add_subcommand("trace", "Storyline of an alert or incident: back to the root cause, "
                                                "forward to the impact (reads a case database from hunt --case)");
  trace_cmd->add_option("case", trace.case_db, "Case database written by 'ariadne hunt --case'")->required();
  trace_cmd->add_option("id", trace.id, "Alert, correlation or incident id (a unique prefix will do)")->required();
  trace_cmd->add_flag("--forward", trace.forward,
                      "Also walk forward to the impact: children, files written, connections, processes accessed");
  trace_cmd->add_option("-f,--format", trace.format, "text (for people), json (for tools) or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "json", "dot"}))
      ->default_str("text");
  trace_cmd->add_option("-o,--output", trace.output, "Write to FILE instead of stdout");
  trace_cmd->add_flag("--no-color", trace.no_color, "Never use colour (default: colour on a TTY)");
  trace_cmd->add_flag("--wide", trace.wide, "Do not cut long lines (command lines) to the terminal's width");

  baseline_options base;
  auto* base_cmd = app.add_subcommand("baseline", "Learn what is routine in an environment, for hunt --baseline");
  base_cmd->require_subcommand(1);
  auto* learn_cmd = base_cmd->add_subcommand(
      "learn", "Hunt ordinary (or older) logs with the same rules and write which rules fire all day on which hosts");
  add_rule_options(learn_cmd, base.rules);
  learn_cmd->add_option("paths", base.inputs, "Log files or directories, as for hunt")->required();
  learn_cmd->add_option("-o,--output", base.output, "The baseline file to write (a small text file)")->required();
  learn_cmd->add_flag("--append", base.append, "Add to the baseline already in the output file");
  learn_cmd->add_option("-j,--threads", base.threads, "Worker threads (default: one per core)");
  learn_cmd->add_option("--status", base.statuses, "Rule statuses to run, as for hunt (default: all but deprecated and unsupported)")
      ->delimiter(',')
      ->allow_extra_args(false);
  learn_cmd->add_option("--exclude-rule", base.exclude, "Do not run this rule (id, title, file or glob), as for hunt")
      ->allow_extra_args(false);
  learn_cmd->add_option("--exclude-rules", base.exclude_files, "File of rules not to run, as for hunt")->allow_extra_args(false);
  learn_cmd->add_option("--noisy-rules", base.noisy_files, "File of noisy rules, demoted one level, as for hunt")
      ->allow_extra_args(false);

  search_options search;
  auto* search_cmd = app.add_subcommand("search", "Find events by keyword, regex or FIELD=VALUE (EVTX and JSON, as hunt "
                                                   "reads them); every test given must hold");
  search_cmd->add_option("paths", search.inputs, "Log files or directories, as for hunt")->required();
  search_cmd->add_option("-k,--keyword", search.keywords, "Text found inside any field value (case-insensitive; repeatable)")
      ->allow_extra_args(false);
  search_cmd->add_option("-e,--regex", search.regexes, "RE2 regular expression over every field value (repeatable)")
      ->allow_extra_args(false);
  search_cmd->add_option("-F,--field", search.fields,
                         "FIELD=VALUE: a Sigma test on a field (case-insensitive, * and ? wildcards; FIELD may carry "
                         "modifiers: CommandLine|contains=mimikatz; repeatable)")
      ->allow_extra_args(false);
  search_cmd->add_option("-f,--format", search.format, "table (for people) or jsonl (time, host, source, event)")
      ->check(CLI::IsMember({"table", "jsonl"}))
      ->default_str("table");
  search_cmd->add_option("-o,--output", search.output, "Write to FILE instead of stdout");
  search_cmd->add_option("-j,--threads", search.threads, "Worker threads (default: one per core); output does not depend on it");
  search_cmd->add_option("--max", search.max, "Print at most this many events");
  search_cmd->add_flag("--wide", search.wide, "Do not cut lines to the terminal's width");
  search_cmd->add_flag("-q,--quiet", search.quiet, "No closing count line");

  metrics_options metrics;
  auto* metrics_cmd = app.add_subcommand("metrics", "Count events: ids per channel, per computer, and logons by user, "
                                                     "source address and type");
  metrics_cmd->add_option("paths", metrics.inputs, "Log files or directories, as for hunt")->required();
  metrics_cmd->add_option("-f,--format", metrics.format, "table (for people) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->default_str("table");
  metrics_cmd->add_option("-o,--output", metrics.output, "Write to FILE instead of stdout");
  metrics_cmd->add_option("-j,--threads", metrics.threads, "Worker threads (default: one per core)");
  metrics_cmd->add_flag("--wide", metrics.wide, "Do not cut lines to the terminal's width");
  metrics_cmd->add_flag("--no-color", metrics.no_color, "Never use colour (default: colour on a TTY)");

  incidents_options incs;
  std::vector<std::string> incs_rest;
  auto* incs_cmd = app.add_subcommand("incidents", "List the incidents a hunt stored in a case database, or show one "
                                                    "('show ID')");
  incs_cmd->add_option("case", incs.case_db, "Case database written by 'ariadne hunt --case'")->required();
  incs_cmd->add_option("action", incs_rest, "show ID: one incident and its alerts (a unique prefix of the id will do)")
      ->expected(0, 2);
  incs_cmd->add_option("-f,--format", incs.format, "table (for people), jsonl or csv (list only) for tools")
      ->check(CLI::IsMember({"table", "jsonl", "csv"}))
      ->default_str("table");
  incs_cmd->add_option("--min-score", incs.min_score, "Only incidents scoring at least this much");
  incs_cmd->add_option("-o,--output", incs.output, "Write to FILE instead of stdout");
  incs_cmd->add_flag("--wide", incs.wide, "Do not cut lines to the terminal's width");
  incs_cmd->add_flag("--long", incs.long_form, "show: tell the incident's story with every step (default: a few sentences)");
  incs_cmd->add_flag("--no-color", incs.no_color, "Never use colour (default: colour on a TTY)");

  attribute_options attr;
  auto* attr_cmd = app.add_subcommand("attribute", "Rank the ATT&CK groups whose known techniques fit an incident or a "
                                                   "list of techniques (docs/attribution.md)");
  attr_cmd->add_option("--techniques", attr.techniques, "Comma-separated technique ids (T1059.001,T1003.001,...)");
  attr_cmd->add_option("case", attr.case_db, "Case database written by 'ariadne hunt --case'");
  attr_cmd->add_option("incident", attr.incident, "Incident id (a unique prefix will do)");
  attr_cmd->add_option("--top", attr.top, "Groups to list (default: 5)")->check(CLI::PositiveNumber);
  attr_cmd->add_option("--domain", attr.domain, "ATT&CK domain: enterprise (default) or ics")
      ->check(CLI::IsMember({"enterprise", "ics"}));
  attr_cmd->add_option("-f,--format", attr.format,
                       "table (for people), json (for tools) or navigator (an ATT&CK Navigator layer of the techniques)")
      ->check(CLI::IsMember({"table", "json", "navigator"}))
      ->default_str("table");
  attr_cmd->add_option("-o,--output", attr.output, "Write to FILE instead of stdout");
  attr_cmd->add_flag("--no-color", attr.no_color, "Never use colour (default: colour on a TTY)");

  auto* rules_cmd = app.add_subcommand("rules", "Load, lint and explain Sigma rules");
  rules_cmd->require_subcommand(1);
  rules_check_options check;
  auto* check_cmd = rules_cmd->add_subcommand("check", "Load rules and report every rule that cannot be used");
  check_cmd->add_option("paths", check.rules.rule_paths, "Rule files or directories (default: built-in pack)");
  check_cmd->add_option("--placeholders", check.rules.placeholders, "Placeholder values file");
  check_cmd->add_flag("--strict-placeholders", check.rules.strict_placeholders, "Reject unresolved placeholders");
  check_cmd->add_option("-f,--format", check.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  check_cmd->add_flag("-w,--warnings", check.warnings, "Also show warnings (text format)");
  check_cmd->add_flag("--strict", check.strict, "Exit with 3 if any rule is skipped");
  check_cmd->add_flag("--no-color", check.no_color, "Never use colour");

  rules_list_options list;
  auto* list_cmd = rules_cmd->add_subcommand("list", "List loaded rules (id, level, logsource, title)");
  list_cmd->add_option("paths", list.rules.rule_paths, "Rule files or directories (default: built-in pack)");
  list_cmd->add_option("-f,--format", list.format, "table or jsonl")->check(CLI::IsMember({"table", "jsonl"}));
  rules_coverage_options cov;
  auto* cov_cmd = rules_cmd->add_subcommand("coverage", "ATT&CK techniques and tactics the rules cover");
  cov_cmd->add_option("paths", cov.rules.rule_paths, "Rule files or directories (default: built-in pack)");
  cov_cmd->add_option("-r,--rules", cov.rules.rule_paths, "Rule file or directory (repeatable; same as the paths)");
  cov_cmd->add_option("-f,--format", cov.format, "table, json, or navigator (an ATT&CK Navigator layer, 4.5)")
      ->check(CLI::IsMember({"table", "json", "navigator"}));
  cov_cmd->add_option("-o,--output", cov.output, "Write to FILE instead of stdout");
  cov_cmd->add_flag("--no-color", cov.no_color, "Never use colour");
  rules_list_options stats;
  rules_update_options upd;
  auto* upd_cmd = rules_cmd->add_subcommand(
      "update", "Install or update a Sigma rule repository with git (default: SigmaHQ's) in the user's data directory "
                "($XDG_DATA_HOME/ariadne/rules); hunt and the rules commands use it when no rules are given");
  upd_cmd->add_option("url", upd.url, "Git URL or path of the rule repository (default: SigmaHQ's)");
  upd_cmd->add_option("--name", upd.name, "Folder name under the data directory (default: from the URL)");
  auto* stats_cmd = rules_cmd->add_subcommand("stats", "Counts of loaded rules by level, logsource and status");
  stats_cmd->add_option("paths", stats.rules.rule_paths, "Rule files or directories (default: built-in pack)");

  if (argc > 1 && argv[1][0] != '-') {
    std::string cmd = argv[1];
    if (std::find(std::begin(k_commands), std::end(k_commands), cmd) == std::end(k_commands)) {
      std::string best;
      std::size_t best_d = 3;
      for (const char* c : k_commands)
        if (auto d = edit_distance(cmd, c); d < best_d) best_d = d, best = c;
      std::fprintf(stderr, "ariadne: unknown command '%s'%s; commands: hunt, dump, trace, attribute, rules (--help)\n",
                   cmd.c_str(), best.empty() ? "" : (" (did you mean '" + best + "'?)").c_str());
      return k_exit_usage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return k_exit_usage;
  }

  try {
    if (hunt_cmd->parsed()) {
      for (int k = 0; k < argc; ++k) hunt.command_line += (k ? " " : "") + std::string(argv[k]);
      if (int rc = apply_hunt_config(*hunt_cmd, hunt); rc != k_exit_ok) return rc;
      // A rule whose placeholder has no value would match anything: left out
      // unless asked for.
      hunt.rules.strict_placeholders = hunt.rules.strict_placeholders || !hunt.wildcard_placeholders;
      return run_hunt(hunt);
    }
    if (dump_cmd->parsed()) return run_dump(dump);
    if (trace_cmd->parsed()) return run_trace(trace);
    if (search_cmd->parsed()) return run_search(search);
    if (learn_cmd->parsed()) {
      base.rules.strict_placeholders = true;  // as hunt: rules with unresolved placeholders are left out
      return run_baseline_learn(base);
    }
    if (metrics_cmd->parsed()) return run_metrics(metrics);
    if (incs_cmd->parsed()) {
      if (!incs_rest.empty()) {
        if (incs_rest.size() != 2 || incs_rest[0] != "show") {
          std::fprintf(stderr, "ariadne: incidents CASE.db takes nothing more, or 'show ID'\n");
          return k_exit_usage;
        }
        if (incs.format == "csv") {
          std::fprintf(stderr, "ariadne: incidents show writes a table or jsonl, not csv\n");
          return k_exit_usage;
        }
        incs.id = incs_rest[1];
      }
      return run_incidents(incs);
    }
    if (attr_cmd->parsed()) return run_attribute(attr);
    if (cov_cmd->parsed()) return run_rules_coverage(cov);
    if (check_cmd->parsed()) return run_rules_check(check);
    if (list_cmd->parsed()) return run_rules_list(list);
    if (stats_cmd->parsed()) return run_rules_stats(stats);
    if (upd_cmd->parsed()) return run_rules_update(upd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ariadne: fatal: %s\n", e.what());
    return k_exit_fatal;
  }
  return k_exit_usage;
}
