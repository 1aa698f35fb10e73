#include "ariadne/ingest/input.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace ariadne::ingest {
namespace fs = std::filesystem;

std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<input_problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      problems.push_back({p, "unreadable", "no such file or directory"});
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        std::error_code fec;
        if (it->is_regular_file(fec)) found.push_back(it->path().string());
      }
      if (ec) problems.push_back({p, "unreadable", ec.message()});
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

namespace {

struct archive_deleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// A plain file mapped read-only, followed by zeroed padding: an anonymous
// zero mapping is reserved first and the file mapped over its start, so the
// padding never touches bytes past the end of the file.
struct mapped_file {
  void* base = nullptr;
  std::size_t len = 0;
  std::size_t size = 0;
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (base) ::munmap(base, len);
  }
};

bool map_plain(const std::string& path, mapped_file& m, std::string& err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    err = std::strerror(errno);
    ::close(fd);
    return false;
  }
  m.size = static_cast<std::size_t>(st.st_size);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  m.len = (m.size + simdjson::SIMDJSON_PADDING + page - 1) / page * page;
  m.base = ::mmap(nullptr, m.len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.base == MAP_FAILED) {
    m.base = nullptr;
    err = std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (m.size > 0 && ::mmap(m.base, m.size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
    err = std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::close(fd);
  (void)::madvise(m.base, m.size, MADV_SEQUENTIAL);
  return true;
}

bool has_prefix(const char* data, std::size_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

}  // namespace

void release_consumed(const member& m, std::size_t offset) {
  if (!m.mapped || offset == 0) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto base = reinterpret_cast<std::uintptr_t>(m.data->data());  // the mapping starts on a page
  std::uintptr_t end = (base + std::min(offset, m.data->size())) & ~(page - 1);
  if (end > base) (void)::madvise(reinterpret_cast<void*>(base), end - base, MADV_DONTNEED);
}

bool for_each_member(const std::string& path, const std::function<void(const member&)>& fn,
                     std::vector<input_problem>& problems, std::uint64_t max_member_bytes) {
  // Sniff the first bytes to decide whether libarchive is needed.
  char head[8] = {};
  std::size_t got = 0;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      problems.push_back({path, "unreadable", std::strerror(errno)});
      return false;
    }
    got = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
  }
  bool compressed = has_prefix(head, got, "\x1f\x8b") || has_prefix(head, got, "\x28\xb5\x2f\xfd") ||
                    has_prefix(head, got, "PK\x03\x04") || has_prefix(head, got, "\xfd" "7zXZ") ||
                    has_prefix(head, got, "BZh");
  if (!compressed) {
    mapped_file mf;
    std::string err;
    if (!map_plain(path, mf, err)) {
      problems.push_back({path, "unreadable", err});
      return false;
    }
    simdjson::padded_string_view view(static_cast<const char*>(mf.base), mf.size, mf.len);
    fn(member{path, &view, true});
    return true;
  }
  std::unique_ptr<archive, archive_deleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    problems.push_back({path, "unreadable", archive_error_string(a.get()) ? archive_error_string(a.get()) : "cannot open"});
    return false;
  }
  archive_entry* entry = nullptr;
  bool raw = false;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      problems.push_back({path, "bad-archive", archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt archive"});
      return true;
    }
    raw = archive_format(a.get()) == ARCHIVE_FORMAT_RAW;
    if (!raw && archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string name = raw ? path : path + "!" + archive_entry_pathname(entry);
    std::string buf;
    char chunk[1 << 16];
    bool too_big = false, failed = false;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), chunk, sizeof chunk);
      if (n == 0) break;
      if (n < 0) {
        problems.push_back({name, "bad-archive", archive_error_string(a.get()) ? archive_error_string(a.get()) : "read error"});
        failed = true;
        break;
      }
      if (buf.size() + static_cast<std::size_t>(n) > max_member_bytes) {
        too_big = true;
        break;
      }
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    if (too_big) {
      problems.push_back({name, "too-large", "member larger than the decompression limit; skipped"});
      continue;
    }
    // Whatever was read before a decompression error is still used.
    simdjson::padded_string data(buf);
    simdjson::padded_string_view view = data;
    if (!buf.empty() || !failed) fn(member{name, &view});
    if (failed) return true;
  }
  return true;
}

}  // namespace ariadne::ingest
