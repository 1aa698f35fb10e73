#include "ariadne/core/cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "ariadne/core/text.hpp"

namespace ariadne::cache {

std::filesystem::path directory() {
  namespace fs = std::filesystem;
  // Files with checksums live in a folder of their own ("v2"): a build from
  // before them shares no file with this one (some names come from their
  // content alone), so neither reads the other's format.
  if (const char* v = std::getenv("ARIADNE_CACHE_DIR")) {
    std::string_view d(v);
    if (d.empty() || d == "off") return {};
    return fs::path(d) / "v2";
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "ariadne" / "v2";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "ariadne" / "v2";
  return {};
}

namespace {

// Every cache file ends with a checksum of what comes before it: its hash
// (32 hex digits) and this tag.
constexpr std::string_view k_check_tag = "ARIADNCK";
constexpr std::size_t k_trailer = 32 + k_check_tag.size();
std::atomic<std::uint64_t> g_damaged{0};

std::string checksum(std::string_view bytes) {
  hasher h;
  h.add_bytes(bytes.data(), bytes.size());
  return h.hex();
}

}  // namespace

std::uint64_t damaged_files() { return g_damaged.load(); }

bool read(const std::filesystem::path& file, std::string& out) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const std::streamoff size = in.tellg();
  if (size <= 0) return false;
  out.assign(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(out.data(), size)) return false;
  std::string_view all(out);
  bool ok = all.size() >= k_trailer && all.substr(all.size() - k_check_tag.size()) == k_check_tag &&
            checksum(all.substr(0, all.size() - k_trailer)) == all.substr(all.size() - k_trailer, 32);
  if (!ok) {
    // Damaged (a flipped byte, a file cut short, an older format): not
    // used, removed so that it is made again, and counted for the caller
    // to say so.
    g_damaged.fetch_add(1);
    std::error_code ec;
    std::filesystem::remove(file, ec);
    out.clear();
    return false;
  }
  out.resize(all.size() - k_trailer);
  return true;
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
    std::string trailer = checksum(bytes);
    trailer += k_check_tag;
    out.write(trailer.data(), static_cast<std::streamsize>(trailer.size()));
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

void hasher::mix(std::uint64_t w) {
  a_ = std::rotl((a_ ^ w) * 0x9e3779b97f4a7c15ULL, 29);
  b_ = std::rotl((b_ + w) * 0xc2b2ae3d27d4eb4fULL, 31) ^ a_;
}

void hasher::add_bytes(const void* p, std::size_t n) {
  const auto* c = static_cast<const unsigned char*>(p);
  std::size_t k = 0;
  // Eight bytes at a time, wherever the stream's words begin: `tail_` holds
  // the r bytes after the last whole word, so the next word is those and the
  // first 8 - r bytes of this load, and its last r bytes are the new tail.
  const unsigned r = static_cast<unsigned>(length_ & 7);
  for (; k + 8 <= n; k += 8, length_ += 8) {
    std::uint64_t w;
    std::memcpy(&w, c + k, sizeof w);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);  // words read low byte first
    if (r == 0) {
      mix(w);
    } else {
      mix(tail_ | (w << (8 * r)));
      tail_ = w >> (64 - 8 * r);
    }
  }
  for (; k < n; ++k) {
    tail_ |= static_cast<std::uint64_t>(c[k]) << (8 * (length_ & 7));
    if ((++length_ & 7) == 0) {
      mix(tail_);
      tail_ = 0;
    }
  }
}

std::string hasher::hex() const {
  hasher h = *this;
  h.mix(h.tail_);
  h.mix(h.length_);
  std::uint64_t a = avalanche64(h.a_ ^ std::rotl(h.b_, 17)), b = avalanche64(h.b_ + a);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace ariadne::cache
