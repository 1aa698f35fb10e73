#include "ariadne/ingest/input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "evtx_internal.hpp"

namespace ariadne::ingest {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Walks `dir` in sorted order, recursing into folders (not into links to
// folders, which could loop); every folder that cannot be listed and every
// entry that is not a regular file is reported.
void walk(const fs::path& dir, std::vector<std::string>& out, std::vector<input_problem>& problems,
          const std::vector<std::string>& exclude) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    problems.push_back({dir.string(), "unreadable", "cannot list folder: " + ec.message()});
    return;
  }
  std::vector<fs::directory_entry> entries;
  for (; !ec && it != end; it.increment(ec)) entries.push_back(*it);
  if (ec) problems.push_back({dir.string(), "unreadable", "folder listing cut short: " + ec.message()});
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) { return a.path() < b.path(); });
  for (const auto& e : entries) {
    const std::string p = e.path().string();
    if (std::any_of(exclude.begin(), exclude.end(), [&](const std::string& x) { return same_file(p, x); })) continue;
    std::error_code sec;
    auto lst = e.symlink_status(sec);
    if (!sec && fs::is_directory(lst)) {
      walk(e.path(), out, problems, exclude);
      continue;
    }
    auto st = e.status(sec);  // follows links to files
    if (sec) {
      problems.push_back({p, "unreadable", sec.message()});
      continue;
    }
    if (fs::is_regular_file(st)) out.push_back(p);
    else if (fs::is_directory(st)) continue;  // a link to a folder: not followed
    else if (fs::exists(st))
      problems.push_back({p, "not-a-file", "not a regular file (FIFO, socket or device found in a folder); skipped"});
  }
}

std::vector<std::string> expand_one(const std::string& p, std::vector<input_problem>& problems,
                                    const std::vector<std::string>& exclude) {
  std::vector<std::string> out;
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (ec || !fs::exists(st)) {
    problems.push_back({p, "unreadable", ec && ec != std::errc::no_such_file_or_directory ? ec.message()
                                                                                          : "no such file or directory"});
    return out;
  }
  if (fs::is_directory(st)) walk(p, out, problems, exclude);
  else out.push_back(p);
  return out;
}

}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<input_problem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    auto found = expand_one(p, problems, {});
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool inside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  // The output may not exist yet: its folder decides. Normalised first, so
  // "in/../out" is not taken for a file inside "in".
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  for (fs::path cur = p; !cur.empty(); cur = cur.parent_path()) {
    if (same_file(cur.string(), dir)) return true;
    if (cur == cur.root_path()) break;
  }
  return false;
}

input_spool::~input_spool() {
  for (int fd : fds_) ::close(fd);
}

bool input_spool::spool(int in_fd, std::string& path, std::string& err) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/ariadne-stream-XXXXXX";
  int fd = ::mkstemp(templ.data());
  if (fd < 0) {
    err = "cannot make a temporary copy in " + std::string(tmp && *tmp ? tmp : "/tmp") + ": " + errno_text(errno);
    return false;
  }
  ::unlink(templ.c_str());  // gone with the process, whatever happens
  fds_.push_back(fd);
  path = "/proc/self/fd/" + std::to_string(fd);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = "read error: " + errno_text(errno);
      return false;
    }
    if (n == 0) return true;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fd, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        err = "cannot copy the stream to a temporary file: " + errno_text(errno);
        return false;
      }
      done += w;
      bytes_ += static_cast<std::uint64_t>(w);
    }
  }
}

namespace {

// Opens a FIFO without blocking on a missing writer: waits up to `wait_ms`
// for one to connect (data or a hang-up), then reads it blocking. -1 (and
// `err`) if no writer came.
int open_fifo(const std::string& p, int wait_ms, std::string& err) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    err = errno_text(errno);
    return -1;
  }
  pollfd pfd{fd, POLLIN, 0};
  int rc;
  do rc = ::poll(&pfd, 1, wait_ms);
  while (rc < 0 && errno == EINTR);
  if (rc <= 0) {
    ::close(fd);
    err = "no writer opened the FIFO within " + std::to_string(wait_ms / 1000) + " s; skipped";
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL);
  (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace

std::vector<input_file> expand_inputs(const std::vector<std::string>& paths, std::vector<input_problem>& problems,
                                      input_spool& spool, const expand_options& opts) {
  std::vector<input_file> out;
  bool stdin_used = false;
  for (const auto& p : paths) {
    struct stat st {};
    const bool dash = p == "-";
    if (!dash && ::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      // Not seekable, or not a file at all: read once, as a stream.
      if (S_ISSOCK(st.st_mode)) {
        problems.push_back({p, "not-a-file", "a socket cannot be read as an input; skipped"});
        continue;
      }
      std::string err;
      int fd = S_ISFIFO(st.st_mode) ? open_fifo(p, opts.fifo_wait_ms, err) : ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        problems.push_back({p, "unreadable", err.empty() ? errno_text(errno) : err});
        continue;
      }
      std::string copy;
      bool ok = spool.spool(fd, copy, err);
      ::close(fd);
      if (!ok) problems.push_back({p, "unreadable", err + "; what was read before is still hunted"});
      if (!copy.empty()) out.push_back({p, copy, true});
      continue;
    }
    if (dash) {
      if (stdin_used) {
        problems.push_back({p, "duplicate-input", "standard input named twice; read once"});
        continue;
      }
      stdin_used = true;
      struct stat in {};
      if (::fstat(STDIN_FILENO, &in) == 0 && S_ISREG(in.st_mode)) {  // `< file`: read it in place
        out.push_back({"-", "/proc/self/fd/0", true});
        continue;
      }
      std::string copy, err;
      bool ok = spool.spool(STDIN_FILENO, copy, err);
      if (!ok) problems.push_back({"-", "unreadable", "standard input: " + err + "; what was read before is still hunted"});
      if (!copy.empty()) out.push_back({"-", copy, true});
      continue;
    }
    auto found = expand_one(p, problems, opts.exclude);
    const bool named = found.size() == 1 && found[0] == p;
    for (auto& f : found) out.push_back({f, f, named});
  }
  return out;
}

namespace {

struct archive_deleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// Mapped files may shrink under the reader (copytruncate log rotation, a
// file being replaced): touching a page past the new end raises SIGBUS. A
// handler maps a zero page over the faulting page of a registered mapping,
// notes it, and lets the read go on; the reader then reports the file as
// changed. Faults anywhere else go to the handler that was there before.
constexpr std::size_t k_guarded_slots = 256;
struct guarded_range {
  std::atomic<std::uintptr_t> base{0};
  std::atomic<std::size_t> len{0};
  std::atomic<bool> faulted{false};
};
guarded_range g_ranges[k_guarded_slots];
struct sigaction g_previous_sigbus {};

void on_sigbus(int sig, siginfo_t* info, void* ctx) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (auto& r : g_ranges) {
    std::uintptr_t base = r.base.load(std::memory_order_acquire);
    if (base == 0 || addr < base || addr >= base + r.len.load(std::memory_order_acquire)) continue;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    void* at = reinterpret_cast<void*>(addr & ~(page - 1));
    if (::mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      r.faulted.store(true, std::memory_order_release);
      return;  // the access is retried and reads zeros
    }
    break;
  }
  if (g_previous_sigbus.sa_flags & SA_SIGINFO) {
    if (g_previous_sigbus.sa_sigaction) return g_previous_sigbus.sa_sigaction(sig, info, ctx);
  } else if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN &&
             g_previous_sigbus.sa_handler != nullptr) {
    return g_previous_sigbus.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);  // the fault recurs on return and ends the process as it would have
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

// A plain file mapped read-only, followed by zeroed padding: an anonymous
// zero mapping is reserved first and the file mapped over its start, so the
// padding never touches bytes past the end of the file. The mapping is
// guarded against the file shrinking (see on_sigbus).
struct mapped_file {
  void* base = nullptr;
  std::size_t len = 0;
  std::size_t size = 0;
  int fd = -1;
  guarded_range* guard = nullptr;
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (guard) {
      guard->base.store(0, std::memory_order_release);
      guard->len.store(0, std::memory_order_release);
    }
    if (base) ::munmap(base, len);
    if (fd >= 0) ::close(fd);
  }
  // Registers the mapping with the SIGBUS handler (if a slot is free).
  void protect() {
    install_sigbus_handler();
    for (auto& r : g_ranges) {
      std::uintptr_t expected = 0;
      if (r.base.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(base))) {
        r.faulted.store(false);
        r.len.store(size);
        guard = &r;
        return;
      }
    }
  }
  // True if the file shrank below the mapped size (now or during the read).
  bool shrank(std::uint64_t& now) const {
    struct stat st {};
    now = size;
    if (fd >= 0 && ::fstat(fd, &st) == 0) now = static_cast<std::uint64_t>(st.st_size);
    return now < size || (guard && guard->faulted.load());
  }
};

bool map_plain(const std::string& path, mapped_file& m, std::string& err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = std::strerror(errno);
    return false;
  }
  m.fd = fd;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    err = std::strerror(errno);
    return false;
  }
  m.size = static_cast<std::size_t>(st.st_size);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  m.len = (m.size + simdjson::SIMDJSON_PADDING + page - 1) / page * page;
  m.base = ::mmap(nullptr, m.len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.base == MAP_FAILED) {
    m.base = nullptr;
    err = std::strerror(errno);
    return false;
  }
  if (m.size > 0 && ::mmap(m.base, m.size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
    err = std::strerror(errno);
    return false;
  }
  m.protect();
  (void)::madvise(m.base, m.size, MADV_SEQUENTIAL);
  return true;
}

constexpr std::size_t k_stream_head = std::size_t{1} << 20;  // bytes that decide whether to stream
constexpr std::uint64_t k_bomb_min_bytes = 64ULL << 20;  // below this, any ratio is let through
// Logs compress 10-50x (zstd -19 on repetitive ones up to about 100x); a
// zip bomb's deflate runs near its 1032x ceiling, nested formats far past
// it. 200x past 64 MiB stops a 4 MB zip of 3.9 GiB at about 64 MiB held.
constexpr std::uint64_t k_bomb_ratio = 200;

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

namespace {

// A growing buffer with simdjson's padding after its bytes, so a member is
// decompressed into the memory it is parsed from (never held twice).
class padded_buffer {
 public:
  bool append(const char* data, std::size_t n) {
    if (size_ + n + simdjson::SIMDJSON_PADDING > cap_) {
      std::size_t want = std::max<std::size_t>({cap_ * 2, size_ + n + simdjson::SIMDJSON_PADDING, 1 << 16});
      auto* grown = static_cast<char*>(std::realloc(data_.get(), want));
      if (!grown) return false;
      (void)data_.release();
      data_.reset(grown);
      cap_ = want;
    }
    std::memcpy(data_.get() + size_, data, n);
    size_ += n;
    return true;
  }
  simdjson::padded_string_view view() {
    if (!data_) append("", 0);
    std::memset(data_.get() + size_, 0, std::min(cap_ - size_, simdjson::SIMDJSON_PADDING));
    return simdjson::padded_string_view(data_.get(), size_, cap_);
  }
  std::size_t size() const { return size_; }

 private:
  struct free_deleter {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, free_deleter> data_;
  std::size_t size_ = 0, cap_ = 0;
};

// The last `n` bytes of a file.
bool read_tail(const std::string& path, std::uint8_t* out, std::size_t n) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) >= n &&
            ::pread(fd, out, n, st.st_size - static_cast<off_t>(n)) == static_cast<ssize_t>(n);
  ::close(fd);
  return ok;
}

std::string archive_message(archive* a, const char* fallback) {
  const char* m = archive_error_string(a);
  return m ? m : fallback;
}

}  // namespace

bool for_each_member(const std::string& path, const std::function<void(const member&)>& fn,
                     std::vector<input_problem>& problems, std::uint64_t max_member_bytes, const std::string& name,
                     const std::function<bool(std::string_view)>& choose,
                     const std::function<void(member_stream&)>& stream_fn) {
  const std::string& shown = name.empty() ? path : name;
  // Sniff the first bytes to decide whether libarchive is needed (a tar
  // says so at offset 257).
  char head[512] = {};
  std::size_t got = 0;
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      problems.push_back({shown, "unreadable", std::strerror(errno)});
      return false;
    }
    for (;;) {
      ssize_t n = ::pread(fd, head + got, sizeof head - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        problems.push_back({shown, "unreadable", std::strerror(errno)});
        ::close(fd);
        return false;
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
      if (got == sizeof head) break;
    }
    ::close(fd);
  }
  const bool gzip = has_prefix(head, got, "\x1f\x8b");
  bool compressed = gzip || has_prefix(head, got, "\x28\xb5\x2f\xfd") ||
                    has_prefix(head, got, "PK\x03\x04") || has_prefix(head, got, "\xfd" "7zXZ") ||
                    has_prefix(head, got, "BZh") ||
                    (got >= 262 && std::memcmp(head + 257, "ustar", 5) == 0);
  if (!compressed) {
    mapped_file mf;
    std::string err;
    if (!map_plain(path, mf, err)) {
      problems.push_back({shown, "unreadable", err});
      return false;
    }
    simdjson::padded_string_view view(static_cast<const char*>(mf.base), mf.size, mf.len);
    fn(member{shown, &view, true});
    std::uint64_t now = 0;
    if (mf.shrank(now))
      problems.push_back({shown, "file-changed",
                          "the file shrank from " + std::to_string(mf.size) + " to " + std::to_string(now) +
                              " bytes while it was read (rotated or overwritten?); what lay past its new end was not read"});
    return true;
  }
  std::unique_ptr<archive, archive_deleter> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  // The archive formats logs come in, and raw (a compressed single file).
  // Not format_all: its text formats (mtree, warc) bid on a small
  // compressed log and read its lines as file entries, silently losing it.
  archive_read_support_format_tar(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_format_7zip(a.get());
  archive_read_support_format_empty(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    problems.push_back({shown, "unreadable", archive_message(a.get(), "cannot open")});
    return false;
  }
  archive_entry* entry = nullptr;
  bool raw = false;
  std::vector<char> chunk(1 << 16);
  for (;;) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      problems.push_back({shown, "bad-archive", archive_message(a.get(), "corrupt archive")});
      return true;
    }
    raw = archive_format(a.get()) == ARCHIVE_FORMAT_RAW;
    if (!raw && archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* inner = raw ? nullptr : archive_entry_pathname(entry);
    if (!raw && !inner) inner = archive_entry_pathname_utf8(entry);
    std::string member_name = raw ? shown : shown + "!" + (inner ? inner : "(unnamed member)");

    // Decompresses the member's next bytes into `out`, within the budgets:
    // 0 at its end or when a budget or error stopped it (`stop` says why).
    enum class stop_reason { none, error, too_big, bomb, no_memory };
    stop_reason stop = stop_reason::none;
    std::uint64_t produced = 0;
    std::uint32_t crc = 0;  // of what was produced (gzip's trailer check)
    auto pull = [&](char* out, std::size_t n) -> std::size_t {
      if (stop != stop_reason::none) return 0;
      la_ssize_t read_n = archive_read_data(a.get(), out, n);
      if (read_n < 0) {
        problems.push_back({member_name, "bad-archive", archive_message(a.get(), "read error")});
        stop = stop_reason::error;
        return 0;
      }
      const std::uint64_t total = produced + static_cast<std::uint64_t>(read_n);
      if (total > max_member_bytes) {
        stop = stop_reason::too_big;
        return 0;
      }
      // A decompression bomb: far more out than any log compresses to.
      const auto in_bytes = static_cast<std::uint64_t>(std::max<la_int64_t>(archive_filter_bytes(a.get(), -1), 1));
      if (total > k_bomb_min_bytes && total / in_bytes > k_bomb_ratio) {
        stop = stop_reason::bomb;
        return 0;
      }
      produced = total;
      if (gzip) crc = evtx::crc32(crc, reinterpret_cast<const std::uint8_t*>(out), static_cast<std::size_t>(read_n));
      return static_cast<std::size_t>(read_n);
    };
    bool streamed = false;
    auto report_stop = [&](std::uint64_t held) {
      if (stop == stop_reason::none || stop == stop_reason::error) return;
      problems.push_back({member_name, stop == stop_reason::too_big ? "too-large" : stop == stop_reason::bomb ? "archive-bomb" : "out-of-memory",
                          stop == stop_reason::too_big
                              ? "member larger than the decompression limit (" + std::to_string(max_member_bytes >> 20) +
                                    " MiB); " + (streamed ? "the rest of it skipped" : "skipped")
                          : stop == stop_reason::bomb
                              ? "member expands more than " + std::to_string(k_bomb_ratio) +
                                    " times its compressed size (a decompression bomb?); " +
                                    (streamed ? "the rest of it skipped" : "skipped")
                              : "not enough memory to decompress the member (" + std::to_string(held >> 20) +
                                    " MiB read); skipped"});
    };
    // A gzip file's trailer holds the CRC-32 and size of its data, which
    // libarchive does not check: damage inside the compressed stream would
    // go unnoticed. (For a file of several gzip members the trailer covers
    // the last one only; its size then differs and no check is made.)
    auto check_gzip = [&] {
      if (!raw || !gzip || stop != stop_reason::none) return;
      std::uint8_t trailer[8];
      if (read_tail(path, trailer, sizeof trailer) &&
          evtx::load_le<std::uint32_t>(trailer + 4) == static_cast<std::uint32_t>(produced) &&
          evtx::load_le<std::uint32_t>(trailer) != crc)
        problems.push_back({member_name, "bad-archive",
                            "gzip CRC mismatch: the compressed data is damaged; the records in it are still read"});
    };

    // The first bytes decide whether the member is streamed (when the
    // caller can read it so: JSON lines) or held whole.
    padded_buffer buf;
    bool decided = false;
    for (;;) {
      std::size_t n = pull(chunk.data(), chunk.size());
      if (n == 0) break;
      if (!buf.append(chunk.data(), n)) {
        stop = stop_reason::no_memory;
        break;
      }
      if (!decided && buf.size() >= k_stream_head) {
        decided = true;
        std::string_view first(buf.view().data(), buf.size());
        if (stream_fn && choose && choose(first)) {
          member_stream ms{member_name, first, pull};
          stream_fn(ms);
          streamed = true;
          break;
        }
      }
    }
    if (stop == stop_reason::too_big || stop == stop_reason::bomb || stop == stop_reason::no_memory) {
      report_stop(buf.size());
      if (raw) return true;
      continue;
    }
    check_gzip();
    if (streamed) {
      if (stop == stop_reason::error) return true;
      continue;
    }
    // Whatever was read before a decompression error is still used.
    simdjson::padded_string_view view = buf.view();
    if (buf.size() > 0 || stop == stop_reason::none) fn(member{member_name, &view});
    if (stop == stop_reason::error) return true;
  }
  return true;
}

}  // namespace ariadne::ingest
