// EVTX files: header checks, chunk slots, and the ordered worker pool.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "ariadne/core/ordered_pool.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "evtx_internal.hpp"

namespace ariadne::ingest::evtx {

bool sniff(std::span<const std::uint8_t> head) {
  return head.size() >= 8 &&
         (std::memcmp(head.data(), "ElfFile", 8) == 0 || std::memcmp(head.data(), "ElfChnk", 8) == 0);
}

bool file_is_evtx(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::uint8_t head[8] = {};
  ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  return n > 0 && sniff(std::span<const std::uint8_t>(head, static_cast<std::size_t>(n)));
}

std::string where(std::string_view file, const problem& p) {
  std::string s(file);
  if (p.file_level) return s;
  s += ": chunk " + std::to_string(p.chunk_index);
  if (p.record_id) s += ": record " + std::to_string(p.record_id);
  return s;
}

std::string describe(std::string_view file, const problem& p) {
  std::string s = where(file, p);
  if (!p.file_level && p.offset) s += " (offset " + std::to_string(p.offset) + ")";
  return s + ": " + p.message;
}

namespace {

// One source being read: its descriptor or image, and its chunk count.
struct open_source {
  std::size_t idx = 0;
  int fd = -1;
  std::span<const std::uint8_t> image;
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t chunks = 0;  // chunk slots to read
  file_stats stats;
  std::vector<problem> problems;
  bool failed = false;  // unreadable or not EVTX: its chunk items do nothing
  std::once_flag once;

  // Opens the file and checks its header, once (any worker may be first).
  void prepare();
  ~open_source() {
    if (fd >= 0) ::close(fd);
  }
  open_source() = default;
  open_source(const open_source&) = delete;
  open_source& operator=(const open_source&) = delete;

  // Reads [off, off+len) into buf; returns bytes read. `err`, when given,
  // gets the errno of a failed read (0 when the bytes simply ended).
  std::size_t read(std::uint64_t off, std::uint8_t* buf, std::size_t len, int* err = nullptr) const {
    if (err) *err = 0;
    if (off >= size) return 0;
    len = static_cast<std::size_t>(std::min<std::uint64_t>(len, size - off));
    if (fd < 0) {
      std::memcpy(buf, image.data() + off, len);
      return len;
    }
    std::size_t got = 0;
    while (got < len) {
      ssize_t r = ::pread(fd, buf + got, len - got, static_cast<off_t>(off + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && err) *err = errno;
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }
};

// Under the pool's lock: only the size (one stat), to count chunk slots. The
// file itself is opened and its header checked by the first worker that
// needs it (prepare()), outside the lock.
std::shared_ptr<open_source> open(const source& src, std::size_t idx) {
  auto os = std::make_shared<open_source>();
  os->idx = idx;
  os->path = src.path;
  if (!src.path.empty()) {
    struct stat st {};
    if (::stat(src.path.c_str(), &st) != 0) {
      os->problems.push_back({0, 0, 0, true, "unreadable", std::string("cannot stat: ") + std::strerror(errno), true});
      os->failed = true;
      return os;
    }
    os->size = static_cast<std::uint64_t>(st.st_size);
  } else {
    os->image = src.image;
    os->size = src.image.size();
  }
  os->stats.bytes = os->size;
  os->chunks = os->size > k_file_header_size ? (os->size - k_file_header_size + k_chunk_size - 1) / k_chunk_size : 0;
  os->stats.chunks = os->chunks;
  return os;
}

void open_source::prepare() {
  std::call_once(once, [this] {
    auto bad = [&](const char* reason, std::string msg) {
      problems.push_back({0, 0, 0, true, reason, std::move(msg), true});
      failed = true;
      stats.chunks = 0;
    };
    if (failed) return;
    if (!path.empty()) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return bad("unreadable", std::string("cannot open: ") + std::strerror(errno));
    }
    std::uint8_t head[k_file_header_size];
    std::size_t got = read(0, head, sizeof head);
    bool file_magic = got >= 8 && std::memcmp(head, "ElfFile", 8) == 0;
    std::uint8_t chunk_magic[8] = {};
    bool chunk_at_4k = read(k_file_header_size, chunk_magic, 8) == 8 && std::memcmp(chunk_magic, "ElfChnk", 8) == 0;
    if (!file_magic) {
      if (!chunk_at_4k) return bad("not-evtx", "not an EVTX file (no ElfFile or ElfChnk signature)");
      problems.push_back({0, 0, 0, false, "bad-file-header", "file header signature is not ElfFile; chunks are read anyway", true});
    } else if (got >= 128) {
      std::uint32_t want = load_le<std::uint32_t>(head + 124);
      if (crc32(0, head, 120) != want)
        problems.push_back({0, 0, 0, false, "file-header-checksum", "file header checksum mismatch; chunks are read anyway", true});
      std::uint32_t flags = load_le<std::uint32_t>(head + 120);
      stats.dirty = (flags & 1) != 0;
      // A file cut at a chunk boundary has whole chunks only: its header
      // still counts the chunks it had (a dirty header may lag behind the
      // chunks written, never run ahead of them).
      const std::uint16_t header_chunks = load_le<std::uint16_t>(head + 42);
      const std::uint64_t whole = size > k_file_header_size ? (size - k_file_header_size) / k_chunk_size : 0;
      if (header_chunks > whole && (size - k_file_header_size) % k_chunk_size == 0)
        problems.push_back({0, 0, 0, true, "truncated-file",
                            "the header counts " + std::to_string(header_chunks) + " chunks but the file holds " +
                                std::to_string(whole) + " (cut short at a chunk boundary?); the records of the missing " +
                                std::to_string(header_chunks - whole) + " chunk(s) are lost",
                            true});
    }
    if (size < k_file_header_size) {
      problems.push_back({0, 0, 0, true, "truncated-file", "file ends inside its header; no chunks", true});
    } else if ((size - k_file_header_size) % k_chunk_size != 0) {
      problems.push_back({0, 0, 0, false, "truncated-file",
                          "file ends inside chunk " + std::to_string(chunks - 1) +
                              "; the complete records in it are still read",
                          true});
    }
  });
}

struct work_item {
  std::shared_ptr<open_source> src;
  std::uint64_t chunk = 0;  // chunk index, or UINT64_MAX for a source with no chunks
  bool last = false;        // the source's last item
};

class worker_state {
 public:
  unsigned index = 0;  // 0: the calling thread
  chunk_parser parser;
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(k_chunk_size);

  void run(const work_item& it, chunk_output& out, const render_fn& render) {
    out.source_idx = it.src->idx;
    out.text.clear();
    out.batch.clear();
    out.problems.clear();
    out.stats = {};
    out.render = {};
    out.hits.clear();
    it.src->prepare();
    if (it.chunk == UINT64_MAX || it.src->failed) return;
    out.chunk_index = static_cast<std::uint32_t>(it.chunk);
    const std::uint64_t at = k_file_header_size + it.chunk * k_chunk_size;
    int err = 0;
    std::size_t got = it.src->read(at, buf.data(), k_chunk_size, &err);
    const std::uint64_t want = std::min<std::uint64_t>(k_chunk_size, it.src->size - std::min(at, it.src->size));
    if (err || got < want) {
      // An I/O error, or a file that shrank since its size was taken: the
      // chunk (or its tail) is missing, never silently empty.
      out.problems.push_back({out.chunk_index, 0, static_cast<std::uint32_t>(got), true, err ? "read-error" : "file-changed",
                              err ? std::string("cannot read the chunk: ") + std::strerror(err) + "; " +
                                        std::to_string(got) + " of " + std::to_string(want) + " bytes read"
                                  : "the file shrank while it was read: " + std::to_string(got) + " of " +
                                        std::to_string(want) + " bytes of the chunk left"});
    }
    out.stats = parser.parse(std::span<const std::uint8_t>(buf.data(), got), out.chunk_index,
                             [&](const record& r) { render(r, out); }, out.problems);
  }
};

// Hands out work items in order, opening sources as the cursor reaches them.
class cursor {
 public:
  explicit cursor(const std::vector<source>& s) : sources_(s) {}
  bool next(work_item& it) {
    while (true) {
      if (cur_ && chunk_ < cur_->chunks) {
        it.src = cur_;
        it.chunk = chunk_++;
        it.last = chunk_ == cur_->chunks;
        if (it.last) cur_.reset();
        return true;
      }
      if (next_source_ >= sources_.size()) return false;
      cur_ = open(sources_[next_source_], next_source_);
      ++next_source_;
      chunk_ = 0;
      if (cur_->chunks == 0) {
        it.src = cur_;
        it.chunk = UINT64_MAX;
        it.last = true;
        cur_.reset();
        return true;
      }
    }
  }

 private:
  const std::vector<source>& sources_;
  std::size_t next_source_ = 0;
  std::shared_ptr<open_source> cur_;
  std::uint64_t chunk_ = 0;
};

void deliver(const work_item& it, chunk_output& out, const chunk_fn& on_chunk, const source_fn& on_source) {
  file_stats& fs = it.src->stats;
  if (it.chunk != UINT64_MAX && !it.src->failed) {
    fs.records += out.stats.records;
    fs.bad_records += out.stats.bad_records;
    if (out.stats.skipped) ++fs.chunks_skipped;
    else if (!out.stats.empty) ++fs.chunks_read;
    if (out.render.bad_utf16)
      out.problems.push_back({out.chunk_index, 0, 0, false, "bad-utf16",
                              std::to_string(out.render.bad_utf16) +
                                  " invalid UTF-16 sequence(s) replaced by U+FFFD"});
    on_chunk(out);
  }
  if (it.last) on_source(it.src->idx, fs, it.src->problems);
}

}  // namespace

void read_sources(const std::vector<source>& sources, const reader_options& opts, const render_fn& render,
                  const chunk_fn& on_chunk, const source_fn& on_source) {
  cursor cur(sources);
  const std::size_t window = opts.max_in_flight ? opts.max_in_flight : 8ULL * std::max(1u, opts.threads);
  // The calling thread works too (parses chunks, and delivers finished ones
  // in order between its own); threads - 1 helpers only parse. N threads in
  // all, so nothing on the machine waits for a core it does not need.
  run_ordered<work_item, chunk_output>(
      opts.threads, window, [&](work_item& it) { return cur.next(it); },
      [&](unsigned index) {
        auto w = std::make_unique<worker_state>();
        w->index = index;
        return w;
      },
      [&](std::unique_ptr<worker_state>& w, work_item& it, chunk_output& out) {
        w->run(it, out, render);
        if (opts.on_parsed && it.chunk != UINT64_MAX && !it.src->failed) opts.on_parsed(out, w->index);
      },
      [&](work_item& it, chunk_output& out) { deliver(it, out, on_chunk, on_source); });
}

void read_events(const std::vector<source>& sources, const reader_options& opts, std::uint32_t first_source_idx,
                 const event_fn& on_event, const chunk_fn& on_chunk, const source_fn& on_source) {
  auto render = [&](const record& r, chunk_output& o) {
    o.batch.begin_event(first_source_idx + static_cast<std::uint32_t>(o.source_idx), r.record_id);
    time_ns t = emit_fields(r, o.batch, &o.render);
    o.batch.end_event();
    event& ev = o.batch.events().back();
    if (on_event) on_event(o.batch, ev);
    if (ev.time == k_no_time) ev.time = t;
  };
  read_sources(sources, opts, render, on_chunk, on_source);
}

}  // namespace ariadne::ingest::evtx
