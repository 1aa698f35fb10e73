#include "terminal.hpp"

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

}  // namespace ariadne::cli
