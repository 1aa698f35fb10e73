// Terminal helpers for the CLI: TTY detection, colour, the progress line.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace ariadne::cli {

// Process exit codes (documented in docs/cli.md).
enum exit_code : int {
  k_exit_ok = 0,        // finished (alerts or not)
  k_exit_fatal = 1,     // could not run: no usable rules, unwritable output, ...
  k_exit_usage = 2,     // bad command line
  k_exit_problems = 3,  // `rules check --strict` found rules it cannot use
};

bool is_tty(std::FILE* f);

// Writes `text` to `path` ("" or "-": stdout). On failure prints why and
// returns k_exit_fatal, else k_exit_ok.
int write_output(const std::string& path, const std::string& text);

// ANSI colour when enabled, else plain text.
class palette {
 public:
  explicit palette(bool enabled) : on_(enabled) {}
  [[nodiscard]] std::string paint(std::string_view text, std::string_view code) const;
  [[nodiscard]] std::string level(std::string_view level_name) const;
  [[nodiscard]] std::string bold(std::string_view text) const { return paint(text, "1"); }
  [[nodiscard]] std::string dim(std::string_view text) const { return paint(text, "2"); }
  [[nodiscard]] bool enabled() const { return on_; }

 private:
  bool on_;
};

// A single self-overwriting status line on stderr, only when stderr is a TTY,
// at most ~5 updates a second.
class progress {
 public:
  explicit progress(bool enabled) : on_(enabled) {}
  void update(const std::string& text, bool force = false);
  void finish();

 private:
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace ariadne::cli
