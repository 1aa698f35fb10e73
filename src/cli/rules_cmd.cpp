// `ariadne rules check|list|stats`.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "ariadne/attack/attack.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/rules/snapshot.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

result<sigma::rule_set> load_rule_set(const rule_options& r, unsigned threads, bool* from_cache,
                                      const std::function<void(std::string_view)>& on_digest) {
  if (from_cache) *from_cache = false;
  sigma::load_options opts;
  opts.threads = threads;
  opts.strict_placeholders = r.strict_placeholders;
  if (!r.placeholders.empty()) {
    auto ph = sigma::load_placeholders(r.placeholders);
    if (!ph) return unexpected(ph.error());
    opts.placeholders = std::move(*ph);
  }
  if (r.rule_paths.empty()) return sigma::load_builtin_rules(opts);
  return sigma::load_rules_cached(r.rule_paths, opts, from_cache, 2000, on_digest);
}

int run_rules_check(const rules_check_options& opts) {
  auto set = load_rule_set(opts.rules);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  // Tags in the attack. namespace that name no ATT&CK technique, tactic,
  // group or software (retired ids and SigmaHQ's v19 ids are resolved).
  auto check_tags = [&](const sigma::rule_header& r) {
    for (const auto& tag : r.tags) {
      if (attack::resolve_tag(tag).k != attack::tag_meaning::kind::unknown) continue;
      sigma::diagnostic d;
      d.sev = sigma::severity::warning;
      d.code = "unknown-attack-tag";
      d.message = "tag '" + tag + "' names no ATT&CK technique, tactic, group or software (ATT&CK v" +
                  attack::knowledge::enterprise().version + ", with SigmaHQ's v19 ids)";
      d.where.file = r.path;
      d.where.line = r.line;
      d.rule_id = r.id;
      d.rule_title = r.title;
      set->diagnostics.push_back(std::move(d));
    }
  };
  for (const auto& r : set->rules) check_tags(r);
  for (const auto& c : set->correlation_rules) check_tags(c);
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : set->diagnostics) (d.sev == sigma::severity::error ? errors : warnings)++;
  if (opts.format == "json") {
    std::string out = "{\"loaded\":" + std::to_string(set->loaded()) + ",\"skipped\":" + std::to_string(set->skipped) +
                      ",\"files\":" + std::to_string(set->files) + ",\"documents\":" + std::to_string(set->documents) +
                      ",\"filters\":" + std::to_string(set->filters) +
                      ",\"correlations\":" + std::to_string(set->correlations) +
                      ",\"correlations_loaded\":" + std::to_string(set->correlation_rules.size()) +
                      ",\"errors\":" + std::to_string(errors) + ",\"warnings\":" + std::to_string(warnings) +
                      ",\"problems\":[";
    bool first = true;
    for (const auto& d : set->diagnostics) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"path\":";
      append_json_string(out, d.where.file);
      out += ",\"line\":" + std::to_string(d.where.line) + ",\"column\":" + std::to_string(d.where.column) +
             ",\"severity\":";
      append_json_string(out, d.sev == sigma::severity::error ? "error" : "warning");
      out += ",\"code\":";
      append_json_string(out, d.code);
      out += ",\"message\":";
      append_json_string(out, d.message);
      out += ",\"rule_id\":";
      append_json_string(out, d.rule_id);
      out += ",\"title\":";
      append_json_string(out, d.rule_title);
      out += "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    palette pal(!opts.no_color && is_tty(stdout));
    for (const auto& d : set->diagnostics) {
      if (d.sev == sigma::severity::warning && !opts.warnings) continue;
      std::string loc = d.where.file;
      if (d.where.line) loc += ":" + std::to_string(d.where.line);
      if (d.where.column) loc += ":" + std::to_string(d.where.column);
      std::string sev = d.sev == sigma::severity::error ? pal.paint("error", "1;31") : pal.paint("warning", "33");
      std::fputs(fmt::format("{}: {}[{}]: {}\n", pal.bold(printable(loc)), sev, d.code, printable(d.message)).c_str(),
                 stdout);
    }
    std::fputs(fmt::format("{} files, {} documents: {} rules and {} correlation rules loaded, {} skipped ({} errors, "
                           "{} warnings{})\n",
                           set->files, set->documents, set->loaded(), set->correlation_rules.size(), set->skipped,
                           errors, warnings,
                           opts.warnings || warnings == 0 ? "" : "; -w shows them")
                   .c_str(),
               stdout);
  }
  if (int rc = finish_stdout(); rc != k_exit_ok) return rc;
  return opts.strict && errors > 0 ? k_exit_problems : k_exit_ok;
}

namespace {
std::string logsource_text(const sigma::logsource& ls) {
  std::string out;
  for (const auto& part : {ls.product, ls.category, ls.service}) {
    if (part.empty()) continue;
    if (!out.empty()) out += '/';
    out += part;
  }
  return out.empty() ? "*" : out;
}

// `{"id":…,"title":…,"level":…,"status":…` of a `rules list` line (left open).
std::string list_line_head(const sigma::rule_header& h) {
  std::string out = "{\"id\":";
  append_json_string(out, h.id);
  out += ",\"title\":";
  append_json_string(out, h.title);
  out += ",\"level\":";
  append_json_string(out, sigma::level_name(h.lvl));
  out += ",\"status\":";
  append_json_string(out, h.status);
  return out;
}
}  // namespace

int run_rules_list(const rules_list_options& opts) {
  auto set = load_rule_set(opts.rules);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  for (const auto& r : set->rules) {
    if (opts.format == "jsonl") {
      std::string out = list_line_head(r);
      out += ",\"logsource\":";
      append_json_string(out, logsource_text(r.source));
      out += ",\"path\":";
      append_json_string(out, r.path);
      out += "}\n";
      std::fputs(out.c_str(), stdout);
    } else {
      std::fputs(fmt::format("{:<36}  {:<13}  {:<32}  {}\n", r.id, sigma::level_name(r.lvl),
                             printable(logsource_text(r.source)), printable(r.title))
                     .c_str(),
                 stdout);
    }
  }
  for (const auto& c : set->correlation_rules) {
    std::string refs;
    for (const auto& r : c.rule_refs) refs += (refs.empty() ? "" : ",") + r;
    if (opts.format == "jsonl") {
      std::string out = list_line_head(c);
      out += ",\"correlation\":";
      append_json_string(out, sigma::corr_type_name(c.type));
      out += ",\"rules\":";
      append_json_string(out, refs);
      out += ",\"path\":";
      append_json_string(out, c.path);
      out += "}\n";
      std::fputs(out.c_str(), stdout);
    } else {
      std::fputs(fmt::format("{:<36}  {:<13}  {:<32}  {}\n", c.id, sigma::level_name(c.lvl),
                             "correlation:" + std::string(sigma::corr_type_name(c.type)), printable(c.title))
                     .c_str(),
                 stdout);
    }
  }
  return finish_stdout();
}

int run_rules_stats(const rules_list_options& opts) {
  auto set = load_rule_set(opts.rules);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  std::map<std::string, std::size_t> by_level, by_logsource, by_status;
  for (const auto& r : set->rules) {
    by_level[std::string(sigma::level_name(r.lvl))]++;
    by_logsource[logsource_text(r.source)]++;
    by_status[r.status.empty() ? "(none)" : r.status]++;
  }
  auto print = [](const char* title, const std::map<std::string, std::size_t>& m, std::size_t top) {
    std::vector<std::pair<std::string, std::size_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf("%s\n", title);
    for (std::size_t k = 0; k < v.size() && k < top; ++k) std::printf("  %7zu  %s\n", v[k].second, printable(v[k].first).c_str());
  };
  std::map<std::string, std::size_t> by_corr;
  for (const auto& c : set->correlation_rules) by_corr[std::string(sigma::corr_type_name(c.type))]++;
  std::printf("%zu rules and %zu correlation rules loaded, %zu skipped, from %zu files\n", set->loaded(),
              set->correlation_rules.size(), set->skipped, set->files);
  print("by level:", by_level, 10);
  print("by status:", by_status, 10);
  print("by logsource (top 25):", by_logsource, 25);
  if (!by_corr.empty()) print("correlations by type:", by_corr, 10);
  return finish_stdout();
}

}  // namespace ariadne::cli
