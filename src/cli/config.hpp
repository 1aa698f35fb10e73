// `hunt`'s configuration file: the same settings as its options, in YAML.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "ariadne/rules/rule.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

// $XDG_CONFIG_HOME/ariadne/config.yml, else ~/.config/ariadne/config.yml.
[[nodiscard]] std::string default_config_path();

// Reads o.config (or the default file, when it exists and --no-config is
// not given) and fills the options the command line left unset. Prints why
// and returns k_exit_usage on a bad file.
[[nodiscard]] int apply_hunt_config(CLI::App& cmd, hunt_options& o);

}  // namespace ariadne::cli
