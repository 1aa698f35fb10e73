// The configuration file of `hunt` (docs/cli.md "Configuration file"): a
// YAML mapping of option names (as on the command line, without the dashes)
// to values. Options given on the command line win over the file.
#include "config.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ariadne/core/yaml.hpp"

namespace ariadne::cli {

std::string default_config_path() {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) base = x;
  else if (const char* h = std::getenv("HOME"); h && *h) base = std::filesystem::path(h) / ".config";
  else return {};
  return (base / "ariadne" / "config.yml").string();
}

int apply_hunt_config(CLI::App& cmd, hunt_options& o) {
  std::string path = o.config;
  const bool named = !path.empty();
  if (o.no_config) return k_exit_ok;
  if (!named) {
    path = default_config_path();
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return k_exit_ok;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "ariadne: cannot read the configuration file %s\n", path.c_str());
    return k_exit_usage;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  auto docs = yaml::parse(buf.str(), path);
  if (!docs) {
    std::fprintf(stderr, "ariadne: %s\n", docs.error().to_string().c_str());
    return k_exit_usage;
  }
  if (docs->empty()) return k_exit_ok;
  const yaml::node& root = (*docs)[0].root;
  if (docs->size() > 1 || !root.is_mapping()) {
    std::fprintf(stderr, "ariadne: %s: a configuration file is one YAML mapping of option to value\n", path.c_str());
    return k_exit_usage;
  }
  auto given = [&](const char* opt) { return cmd.get_option(opt)->count() > 0; };
  for (std::size_t k = 0; k < root.map_size(); ++k) {
    const std::string& key = root.key(k).text;
    const yaml::node& v = root.val(k);
    auto where = [&] { return path + ":" + std::to_string(v.line); };
    auto list = [&] { return yaml::scalar_list(&v); };
    auto one = [&](std::string& into, const char* opt) {
      if (given(opt)) return true;
      if (!v.is_scalar()) return false;
      into = v.text;
      return true;
    };
    auto many = [&](std::vector<std::string>& into, const char* opt) {
      if (!given(opt)) into = list();
      return true;
    };
    auto flag = [&](bool& into, const char* opt) {
      if (given(opt)) return true;
      if (!v.is_scalar() || (v.text != "true" && v.text != "false")) return false;
      into = v.text == "true";
      return true;
    };
    bool ok = true;
    if (key == "rules") ok = many(o.rules.rule_paths, "--rules");
    else if (key == "placeholders") ok = one(o.rules.placeholders, "--placeholders");
    else if (key == "min-level") ok = one(o.min_level, "--min-level");
    else if (key == "status") ok = many(o.statuses, "--status");
    else if (key == "exclude-rule") ok = many(o.exclude, "--exclude-rule");
    else if (key == "exclude-rules") ok = many(o.exclude_files, "--exclude-rules");
    else if (key == "noisy-rules") ok = many(o.noisy_files, "--noisy-rules");
    else if (key == "noisy-rule") o.noisy = list();
    else if (key == "from") ok = one(o.from, "--from");
    else if (key == "to") ok = one(o.to, "--to");
    else if (key == "host") ok = many(o.hosts, "--host");
    else if (key == "format") ok = one(o.format, "--format");
    else if (key == "wide") ok = flag(o.wide, "--wide");
    else if (key == "full-paths") ok = flag(o.full_paths, "--full-paths");
    else if (key == "stats") ok = flag(o.stats, "--stats");
    else if (key == "no-color") ok = flag(o.no_color, "--no-color");
    else if (key == "wildcard-placeholders") ok = flag(o.wildcard_placeholders, "--wildcard-placeholders");
    else {
      std::fprintf(stderr,
                   "ariadne: %s: unknown setting '%s' (known: rules, placeholders, min-level, status, exclude-rule, "
                   "exclude-rules, noisy-rule, noisy-rules, from, to, host, format, wide, full-paths, stats, no-color, "
                   "wildcard-placeholders)\n",
                   where().c_str(), key.c_str());
      return k_exit_usage;
    }
    if (!ok) {
      std::fprintf(stderr, "ariadne: %s: '%s' needs %s\n", where().c_str(), key.c_str(),
                   key == "wide" || key == "full-paths" || key == "stats" || key == "no-color" || key == "wildcard-placeholders"
                       ? "true or false"
                       : "one value");
      return k_exit_usage;
    }
  }
  if (o.format != "table" && o.format != "jsonl" && o.format != "csv") {
    std::fprintf(stderr, "ariadne: %s: format '%s' is not table, jsonl or csv\n", path.c_str(), o.format.c_str());
    return k_exit_usage;
  }
  sigma::level l;
  if (!sigma::parse_level(o.min_level, l)) {
    std::fprintf(stderr, "ariadne: %s: min-level '%s' is not a level\n", path.c_str(), o.min_level.c_str());
    return k_exit_usage;
  }
  return k_exit_ok;
}

}  // namespace ariadne::cli
