#include "terminal.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace ariadne::cli {

bool is_tty(std::FILE* f) { return ::isatty(::fileno(f)) == 1; }

std::string palette::paint(std::string_view text, std::string_view code) const {
  if (!on_) return std::string(text);
  std::string out = "\x1b[";
  out += code;
  out += 'm';
  out += text;
  out += "\x1b[0m";
  return out;
}

std::string palette::level(std::string_view name) const {
  if (name == "critical") return paint(name, "1;35");
  if (name == "high") return paint(name, "1;31");
  if (name == "medium") return paint(name, "33");
  if (name == "low") return paint(name, "36");
  return paint(name, "2");
}

void progress::update(const std::string& text, bool force) {
  if (!on_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && shown_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  std::fprintf(stderr, "\r\x1b[2K%s", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void progress::finish() {
  if (on_ && shown_) {
    std::fprintf(stderr, "\r\x1b[2K");
    std::fflush(stderr);
  }
  shown_ = false;
}

int write_output(const std::string& path, const std::string& text) {
  bool to_stdout = path.empty() || path == "-";
  std::FILE* out = to_stdout ? stdout : std::fopen(path.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "ariadne: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return k_exit_fatal;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  ok = (to_stdout ? std::fflush(out) : std::fclose(out)) == 0 && ok;
  if (!ok) {
    std::fprintf(stderr, "ariadne: error writing %s\n", to_stdout ? "the output" : path.c_str());
    return k_exit_fatal;
  }
  return k_exit_ok;
}

}  // namespace ariadne::cli
