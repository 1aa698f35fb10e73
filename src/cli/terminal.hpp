// Terminal helpers for the CLI: TTY detection, colour, the progress line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ariadne::cli {

// Process exit codes (documented in docs/cli.md).
enum exit_code : int {
  k_exit_ok = 0,        // finished (alerts or not)
  k_exit_fatal = 1,     // could not run: no usable rules, unwritable output, ...
  k_exit_usage = 2,     // bad command line
  k_exit_problems = 3,  // `rules check --strict` found rules it cannot use
};

bool is_tty(std::FILE* f);

// The width of the terminal `f` is, in columns; 0 when it is not a
// terminal (then lines are not cut).
std::size_t terminal_width(std::FILE* f);

// Columns `text` takes on a terminal: UTF-8 code points, colour sequences
// (ESC [ ... m) taking none.
std::size_t display_width(std::string_view text);

// `text` cut to at most `width` columns (ending in "…" when cut), colour
// sequences kept whole (and reset when the cut falls inside a coloured
// run); 0: no limit.
std::string fit(std::string_view text, std::size_t width);

// `text` wrapped at spaces into lines of at most `width` columns (a word
// longer than that stands alone), each line after `indent`; no newline at
// the end. 0: one line.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent);

// `text` padded with spaces to `width` columns (longer text is not cut).
std::string pad(std::string_view text, std::size_t width);

// "2016-09-19 16:50:06" (UTC, to the second) for tables; `none` for no time.
std::string clock_text(std::int64_t t, std::string_view none = "-");

// One RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote
// or line end, or starts or ends with a space.
std::string csv_field(std::string_view s);

// Writes `text` to `path` ("" or "-": stdout) through an output_file. On
// failure prints why and returns k_exit_fatal, else k_exit_ok.
int write_output(const std::string& path, const std::string& text);

// An output that cannot leave a half-written file in the place of a good
// one: a named file is written to a temporary file beside it (unnamed,
// O_TMPFILE, where the file system allows) and renamed over it by commit();
// until then (and if anything failed) the old file stays as it was, and the
// temporary file is removed. "" or "-" is standard output; a path that is
// not a regular file (/dev/null, a FIFO) is written in place, never
// replaced. The first write error is kept and reported.
class output_file {
 public:
  output_file() = default;
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file();
  // Opens; on failure prints why and returns false.
  bool open(const std::string& path);
  std::FILE* get() const { return f_; }
  bool to_stdout() const { return f_ == stdout; }
  // The temporary file's name, when it has one before commit() ("" for an
  // unnamed one, which no folder walk can meet).
  const std::string& temp_path() const { return temp_; }
  // Writes all of `text`; the first failure is remembered (with errno).
  void write(std::string_view text);
  // Flushes (and for a file: closes and renames into place). Prints the
  // first error, naming `what`, and returns k_exit_fatal if any write
  // failed; k_exit_ok otherwise.
  int commit(const char* what);

 private:
  std::FILE* f_ = nullptr;
  std::string path_;    // as given
  std::string target_;  // the file replaced on commit ("" when written in place)
  std::string temp_;    // the temporary name, once it has one
  int first_errno_ = 0;
  bool failed_ = false;
};

// Flushes standard output after a command wrote to it: k_exit_fatal (with a
// message) if any write failed, e.g. on a full disk or a closed pipe.
int finish_stdout();

// Refuses an output path that would destroy or re-read evidence: one of the
// inputs (by identity, whatever its spelling), or a file inside an input
// folder unless `allow_inside` (the walk then leaves it out). Prints why and
// returns false.
bool output_is_safe(const std::string& output, const std::vector<std::string>& inputs, bool allow_inside);

// Text from events (host names, file names, titles of rules read from
// files) made safe for a terminal: C0 and C1 control characters, DEL and
// ESC are shown as \xNN (and \r, \n, \t as such), so log content can
// never move the cursor, clear the screen or set a window title.
[[nodiscard]] std::string printable(std::string_view text);
// As printable(), for a whole text made for people: line ends stay, and
// with `keep_color` the colour sequences (ESC [ digits ; m) stay too, every
// other escape sequence is shown as text.
[[nodiscard]] std::string printable_text(std::string_view text, bool keep_color);

// Whether colour may be used at all: not when NO_COLOR is set to a
// non-empty value (no-color.org).
bool color_allowed();

// ANSI colour when enabled (and color_allowed()), else plain text.
class palette {
 public:
  explicit palette(bool enabled) : on_(enabled && color_allowed()) {}
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
