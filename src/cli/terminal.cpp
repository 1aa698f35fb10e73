#include "terminal.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "ariadne/core/time.hpp"
#include "ariadne/ingest/input.hpp"

namespace ariadne::cli {

namespace {
mode_t current_umask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}
}  // namespace

bool is_tty(std::FILE* f) { return ::isatty(::fileno(f)) == 1; }

bool color_allowed() {
  const char* v = std::getenv("NO_COLOR");
  return v == nullptr || *v == '\0';
}

std::size_t terminal_width(std::FILE* f) {
  if (!is_tty(f)) return 0;
  struct winsize ws {};
  if (::ioctl(::fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    long v = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && v > 0 && v < 100000) return static_cast<std::size_t>(v);
  }
  return 80;
}

namespace {
// Length of a colour sequence (ESC [ digits ; m) at `k`, or 0.
std::size_t color_sequence(std::string_view t, std::size_t k) {
  if (k + 1 >= t.size() || t[k] != '\x1b' || t[k + 1] != '[') return 0;
  std::size_t e = k + 2;
  while (e < t.size() && ((t[e] >= '0' && t[e] <= '9') || t[e] == ';')) ++e;
  return e < t.size() && t[e] == 'm' ? e + 1 - k : 0;
}
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

std::size_t display_width(std::string_view t) {
  std::size_t w = 0;
  for (std::size_t k = 0; k < t.size();) {
    if (std::size_t n = color_sequence(t, k)) {
      k += n;
      continue;
    }
    if (!continuation(t[k])) ++w;
    ++k;
  }
  return w;
}

std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
  std::string out(indent), word;
  std::size_t col = display_width(indent), start = col;
  auto flush = [&] {
    if (word.empty()) return;
    std::size_t w = display_width(word);
    if (width > 0 && col > start && col + 1 + w > width) {
      out += "\n";
      out += indent;
      col = start;
    } else if (col > start) {
      out += ' ';
      ++col;
    }
    out += word;
    col += w;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == '\n') flush();
    else word.push_back(c);
  }
  flush();
  return out;
}

std::string fit(std::string_view t, std::size_t width) {
  if (width == 0 || display_width(t) <= width) return std::string(t);
  std::string out;
  std::size_t w = 0;
  bool colored = false;
  for (std::size_t k = 0; k < t.size();) {
    if (std::size_t n = color_sequence(t, k)) {
      out.append(t.substr(k, n));
      colored = t.substr(k, n) != "\x1b[0m";
      k += n;
      continue;
    }
    if (!continuation(t[k])) {
      if (w + 1 == width) break;  // room for the ellipsis only
      ++w;
    }
    out.push_back(t[k++]);
  }
  out += "\u2026";
  if (colored) out += "\x1b[0m";
  return out;
}

std::string clock_text(std::int64_t t, std::string_view none) {
  if (t == k_no_time) return std::string(none);
  std::string s = format_rfc3339(t).substr(0, 19);
  s[10] = ' ';
  return s;
}

std::string csv_field(std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  out += '"';
  return out;
}

std::string pad(std::string_view t, std::size_t width) {
  std::string out(t);
  std::size_t w = display_width(t);
  if (w < width) out.append(width - w, ' ');
  return out;
}

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
  output_file out;
  if (!out.open(path)) return k_exit_fatal;
  out.write(text);
  return out.commit(path.empty() || path == "-" ? "the output" : path.c_str());
}

output_file::~output_file() {
  if (f_ && f_ != stdout) {
    std::fclose(f_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }
}

bool output_file::open(const std::string& path) {
  if (path.empty() || path == "-") {
    f_ = stdout;
    return true;
  }
  path_ = path;
  auto fail = [&](int fd) {
    std::fprintf(stderr, "ariadne: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    if (fd >= 0) ::close(fd);
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
    return false;
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device, FIFO or terminal (/dev/null, a pipe): written in place;
    // renaming over it would replace it.
    f_ = std::fopen(path.c_str(), "wb");
    return f_ ? true : fail(-1);
  }
  // A link to a file: the file it names is replaced, the link stays.
  std::error_code ec;
  std::filesystem::path target = std::filesystem::is_symlink(path, ec) ? std::filesystem::canonical(path, ec) : std::filesystem::path(path);
  if (ec) target = path;
  target_ = target.string();
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  // An unnamed file where the file system allows it (nothing is left behind
  // if the run is killed), else a hidden temporary name beside the output.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644 & ~current_umask());
  if (fd < 0) {
    temp_ = dir + "/." + target.filename().string() + ".ariadne-XXXXXX";
    fd = ::mkstemp(temp_.data());
    if (fd < 0) return fail(-1);
    (void)::fchmod(fd, 0644 & ~current_umask());
  }
  f_ = ::fdopen(fd, "wb");
  if (!f_) return fail(fd);
  return true;
}

void output_file::write(std::string_view text) {
  if (failed_ || text.empty()) return;
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size()) {
    failed_ = true;
    first_errno_ = errno;
  }
}

int output_file::commit(const char* what) {
  if (!f_) return k_exit_fatal;
  if (std::fflush(f_) != 0 && !failed_) {
    failed_ = true;
    first_errno_ = errno;
  }
  if (!failed_ && std::ferror(f_)) failed_ = true;
  if (f_ != stdout) {
    if (!target_.empty() && temp_.empty() && !failed_) {
      // Give the unnamed file a name beside the output, then rename it.
      std::string proc = "/proc/self/fd/" + std::to_string(::fileno(f_));
      for (int attempt = 0; attempt < 100 && temp_.empty(); ++attempt) {
        std::string name = target_ + ".ariadne-" + std::to_string(::getpid()) + "-" + std::to_string(attempt);
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) temp_ = name;
        else if (errno != EEXIST) break;
      }
      if (temp_.empty()) {
        failed_ = true;
        first_errno_ = errno;
      }
    }
    if (std::fclose(f_) != 0 && !failed_) {
      failed_ = true;
      first_errno_ = errno;
    }
    f_ = nullptr;
    if (!failed_ && !temp_.empty() && std::rename(temp_.c_str(), target_.c_str()) != 0) {
      failed_ = true;
      first_errno_ = errno;
    }
    if (failed_ && !temp_.empty()) ::unlink(temp_.c_str());
  }
  if (!failed_) return k_exit_ok;
  std::fprintf(stderr, "ariadne: error writing %s: %s%s\n", what,
               first_errno_ ? std::strerror(first_errno_) : "write failed",
               target_.empty() ? "" : " (the file was left as it was)");
  return k_exit_fatal;
}

int finish_stdout() {
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    int err = errno;
    std::fprintf(stderr, "ariadne: error writing the output: %s\n", err ? std::strerror(err) : "write failed");
    return k_exit_fatal;
  }
  return k_exit_ok;
}

bool output_is_safe(const std::string& output, const std::vector<std::string>& inputs, bool allow_inside) {
  if (output.empty() || output == "-") return true;
  for (const auto& in : inputs) {
    if (in == "-") continue;
    if (ingest::same_file(output, in)) {
      std::fprintf(stderr, "ariadne: refusing to write the output over an input: %s is %s\n", output.c_str(),
                   in.c_str());
      return false;
    }
    if (!allow_inside && ingest::inside(output, in)) {
      std::fprintf(stderr,
                   "ariadne: the output %s lies inside the input folder %s and would be read as input; choose another "
                   "path, or pass --output-in-input to write it there (it is then left out of the inputs)\n",
                   output.c_str(), in.c_str());
      return false;
    }
  }
  return true;
}

std::string printable_text(std::string_view text, bool keep_color) {
  std::string out;
  out.reserve(text.size());
  std::size_t from = 0;
  for (std::size_t k = 0; k <= text.size(); ++k) {
    std::size_t keep = 0;  // bytes at k to keep as they are
    if (k < text.size() && text[k] == '\n') keep = 1;
    else if (keep_color && k + 1 < text.size() && text[k] == '\x1b' && text[k + 1] == '[') {
      std::size_t e = k + 2;
      while (e < text.size() && ((text[e] >= '0' && text[e] <= '9') || text[e] == ';')) ++e;
      if (e < text.size() && text[e] == 'm') keep = e + 1 - k;
    }
    if (keep == 0 && k < text.size()) continue;
    out += printable(text.substr(from, k - from));
    if (k < text.size()) out.append(text.substr(k, keep));
    from = k + keep;
    k += keep ? keep - 1 : 0;
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t k = 0; k < text.size(); ++k) {
    auto c = static_cast<unsigned char>(text[k]);
    // C1 controls come as UTF-8 \xC2\x80..\xC2\x9F: as dangerous as C0 on
    // terminals that honour them (CSI is \xC2\x9B).
    if (c == 0xC2 && k + 1 < text.size() && static_cast<unsigned char>(text[k + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[k + 1]) <= 0x9F) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[k + 1]));
      ++k;
      continue;
    }
    if (c >= 0x20 && c != 0x7F) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace ariadne::cli
