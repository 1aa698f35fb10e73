// `ariadne rules check|list|stats`.
#include <fmt/format.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "ariadne/attack/attack.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/rules/snapshot.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

namespace {

// The folders of a SigmaHQ tree a hunt takes, in order: its detection
// rules, emerging threats, threat hunting, and the placeholder rules (left
// out by hunt unless their placeholders get values). Never deprecated/,
// unsupported/, rules-compliance/ or rules-dfir/.
constexpr const char* k_tree_folders[] = {"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"};

bool is_dir(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec);
}

// A SigmaHQ tree's root: a folder holding rules/ and one of the folders only
// such a tree has.
bool is_sigma_tree(const std::filesystem::path& p) {
  if (!is_dir(p / "rules")) return false;
  for (const char* marker : {"rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "deprecated", "unsupported"})
    if (is_dir(p / marker)) return true;
  return false;
}

}  // namespace

int make_selection(const std::string& min_level, const std::vector<std::string>& statuses,
                   const std::vector<std::string>& exclude, const std::vector<std::string>& exclude_files,
                   const std::vector<std::string>& noisy, const std::vector<std::string>& noisy_files,
                   sigma::rule_selection& sel) {
  (void)sigma::parse_level(min_level, sel.min);
  for (const auto& v : statuses) {
    if (to_lower_ascii(v) == "all") sel.all_statuses = true;
    else sel.statuses.push_back(v);
  }
  sel.exclude = exclude;
  sel.noisy = noisy;
  for (const auto& [files, into] : {std::pair{&exclude_files, &sel.exclude}, std::pair{&noisy_files, &sel.noisy}})
    for (const auto& f : *files) {
      auto list = sigma::load_rule_list(f);
      if (!list) {
        std::fprintf(stderr, "ariadne: %s\n", list.error().to_string().c_str());
        return k_exit_fatal;
      }
      into->insert(into->end(), list->begin(), list->end());
    }
  return k_exit_ok;
}

std::string rules_data_dir() {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME"); h && *h) base = std::filesystem::path(h) / ".local" / "share";
  else return {};
  return (base / "ariadne" / "rules").string();
}

std::string installed_rule_set() {
  std::string dir = rules_data_dir();
  if (dir.empty() || !is_dir(dir)) return {};
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_directory(ec) && e.path().filename().string().front() != '.') names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  // SigmaHQ's tree when it is there, else the first installed set.
  for (const auto& n : names)
    if (std::filesystem::path(n).filename() == "sigma") return n;
  return names.empty() ? std::string() : names.front();
}

std::vector<std::string> resolve_rule_paths(const std::vector<std::string>& paths, std::string* described) {
  std::vector<std::string> given = paths;
  std::string what;
  if (given.empty()) {
    std::string installed = installed_rule_set();
    if (installed.empty()) {
      if (described) *described = "the built-in pack ('ariadne rules update' installs SigmaHQ's rules)";
      return {};
    }
    given.push_back(installed);
    what = "the installed set " + installed;
  }
  std::vector<std::string> out;
  for (const auto& p : given) {
    if (!is_sigma_tree(p)) {
      out.push_back(p);
      continue;
    }
    std::string taken;
    for (const char* f : k_tree_folders)
      if (is_dir(std::filesystem::path(p) / f)) {
        out.push_back((std::filesystem::path(p) / f).string());
        taken += (taken.empty() ? "" : ", ") + std::string(f);
      }
    if (what.empty() || what.find(p) == std::string::npos) what += (what.empty() ? "" : "; ") + ("the SigmaHQ tree " + p);
    what += " (" + taken + ")";
  }
  if (described) *described = what;
  return out;
}

result<sigma::rule_set> load_rule_set(const rule_options& r, unsigned threads, bool* from_cache,
                                      const std::function<void(std::string_view)>& on_digest, std::string* described) {
  if (from_cache) *from_cache = false;
  sigma::load_options opts;
  opts.threads = threads;
  opts.strict_placeholders = r.strict_placeholders;
  if (!r.placeholders.empty()) {
    auto ph = sigma::load_placeholders(r.placeholders);
    if (!ph) return unexpected(ph.error());
    opts.placeholders = std::move(*ph);
  }
  std::vector<std::string> paths = resolve_rule_paths(r.rule_paths, described);
  if (paths.empty()) return sigma::load_builtin_rules(opts);
  return sigma::load_rules_cached(paths, opts, from_cache, 2000, on_digest);
}

namespace {

// Runs git with `args` (no shell); its exit status, or -1 if it could not start.
int run_git(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::vector<std::string> all = {"git"};
  all.insert(all.end(), args.begin(), args.end());
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "git", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int run_rules_update(const rules_update_options& o) {
  std::string dir = rules_data_dir();
  if (dir.empty()) {
    std::fprintf(stderr, "ariadne: neither XDG_DATA_HOME nor HOME is set: no place to install rules\n");
    return k_exit_fatal;
  }
  std::string name = o.name;
  if (name.empty()) {
    std::string u = o.url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    name = u.substr(u.find_last_of("/:") == std::string::npos ? 0 : u.find_last_of("/:") + 1);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0) name.resize(name.size() - 4);
  }
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    std::fprintf(stderr, "ariadne: cannot name the rule set of '%s'; give --name\n", o.url.c_str());
    return k_exit_usage;
  }
  std::string target = (std::filesystem::path(dir) / name).string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  int rc = 0;
  if (is_dir(std::filesystem::path(target) / ".git")) {
    std::fprintf(stderr, "ariadne: updating %s (git pull)\n", target.c_str());
    rc = run_git({"-C", target, "pull", "--ff-only", "--quiet"});
  } else {
    std::fprintf(stderr, "ariadne: installing %s into %s (git clone)\n", o.url.c_str(), target.c_str());
    rc = run_git({"clone", "--depth", "1", "--quiet", o.url, target});
  }
  if (rc != 0) {
    std::fprintf(stderr, "ariadne: git %s (exit status %d); the rules were not %s\n",
                 rc < 0 ? "could not be run" : "failed", rc, is_dir(target) ? "updated" : "installed");
    return k_exit_fatal;
  }
  std::fprintf(stdout, "%s\n", target.c_str());
  std::fprintf(stderr, "ariadne: 'ariadne hunt' without --rules now uses %s\n",
               installed_rule_set() == target ? target.c_str() : (installed_rule_set() + " (sigma/ comes first)").c_str());
  return finish_stdout();
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
