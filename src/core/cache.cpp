#include "ariadne/core/cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

namespace ariadne::cache {

std::filesystem::path directory() {
  namespace fs = std::filesystem;
  if (const char* v = std::getenv("ARIADNE_CACHE_DIR")) {
    std::string_view d(v);
    if (d.empty() || d == "off") return {};
    return fs::path(d);
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "ariadne";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "ariadne";
  return {};
}

bool read(const std::filesystem::path& file, std::string& out) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const std::streamoff size = in.tellg();
  if (size <= 0) return false;
  out.assign(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  return static_cast<bool>(in.read(out.data(), size));
}

bool store(const std::filesystem::path& dir, const std::string& name, std::string_view bytes, std::string_view prefix,
           std::string_view suffix, std::size_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path file = dir / name;
  fs::path tmp = file;
  static std::atomic<unsigned> serial{0};
  tmp += ".tmp" + std::to_string(::getpid()) + "." + std::to_string(serial.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  // Keep the newest files of this kind only.
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto n = it->path().filename().string();
    if (n.size() > prefix.size() + suffix.size() && n.compare(0, prefix.size(), prefix) == 0 &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.emplace_back(fs::last_write_time(it->path(), ec), it->path());
  }
  if (files.size() <= keep) return true;
  std::sort(files.begin(), files.end());
  for (std::size_t k = 0; k + keep < files.size(); ++k) fs::remove(files[k].second, ec);
  return true;
}

void hasher::add_bytes(const void* p, std::size_t n) {
  const auto* c = static_cast<const unsigned char*>(p);
  for (std::size_t k = 0; k < n; ++k) {
    a_ = (a_ ^ c[k]) * 1099511628211ULL;
    b_ = (b_ ^ c[k]) * 0x100000001b3ULL + 0x5bd1e995ULL;
  }
}

std::string hasher::hex() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                static_cast<unsigned long long>(b_));
  return buf;
}

}  // namespace ariadne::cache
