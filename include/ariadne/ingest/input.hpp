// Input files: directory walking, decompression and archive members.
//
//   std::vector<ingest::input_problem> problems;
//   auto files = ingest::expand_paths({"logs/"}, problems);   // sorted, recursive
//   ingest::for_each_member(files[0], [&](const ingest::member& m) { ... }, problems);
//
// gzip, zstd, xz, bzip2, zip and tar inputs are read directly (libarchive); a zip
// or tar with several members yields one member each, named
// "archive.zip!inner/file.json". Plain files are one member, mapped into
// memory (no copy) with zeroed padding after the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace ariadne::ingest {

struct input_problem {
  std::string where;    // file, member, "file:line" ...
  std::string reason;   // short stable slug: "unreadable", "bad-json", ...
  std::string message;  // for people
};

// Files under the given paths (directories recursively), in sorted order.
// Missing paths, unreadable folders and entries that are not regular files
// (FIFOs, sockets, devices met in a walk) are reported in `problems`.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<input_problem>& problems);

// Copies of non-seekable inputs (standard input, pipes, FIFOs, process
// substitution, character devices), spooled to unlinked temporary files so
// that they are read exactly as a file would be: the same detection,
// decompression and segmenting. The copies live as long as this object.
class input_spool {
 public:
  input_spool() = default;
  input_spool(const input_spool&) = delete;
  input_spool& operator=(const input_spool&) = delete;
  ~input_spool();
  // Copies what `fd` yields until its end into a new temporary file and
  // returns a path that opens the copy (/proc/self/fd/N). False, with a
  // message in `err`, if reading or writing failed (disk full); what was
  // read before the failure stays in the copy.
  bool spool(int fd, std::string& path, std::string& err);
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::vector<int> fds_;
  std::uint64_t bytes_ = 0;
};

// One input to read: `name` is what it is called in alerts and messages
// (as typed, or found in a walk; "-" for standard input), `path` what to
// open (the spooled copy for a stream).
struct input_file {
  std::string name;
  std::string path;
  bool named = false;  // named on the command line (not found in a walk)
};

struct expand_options {
  // Files and folders never to read (the output a run writes): compared by
  // identity (device and inode), so any spelling of them matches.
  std::vector<std::string> exclude;
  // How long a FIFO named on the command line may wait for its writer.
  int fifo_wait_ms = 10000;
};

// As expand_paths(), and "-" or any non-seekable path is spooled into
// `spool` (as input_spool says) so that it reads like a file.
std::vector<input_file> expand_inputs(const std::vector<std::string>& paths, std::vector<input_problem>& problems,
                                      input_spool& spool, const expand_options& opts = {});

// True if the two paths name the same file (device and inode); false if
// either does not exist.
[[nodiscard]] bool same_file(const std::string& a, const std::string& b);
// True if `path` names a file or folder inside the folder `dir` (or is it).
[[nodiscard]] bool inside(const std::string& path, const std::string& dir);

struct member {
  std::string name;                          // display/source name
  const simdjson::padded_string_view* data;  // whole (decompressed) content, with simdjson padding after it
  // A read-only mapping of the file: pages a reader is done with may be
  // handed back with release_consumed(), so memory stays flat for any size.
  bool mapped = false;
};

// Drops the pages of a mapped member that lie wholly before `offset` from
// memory (they are re-read from the file if touched again). No-op unless
// `m.mapped`.
void release_consumed(const member& m, std::size_t offset);

// Calls `fn` for each member of `path` (decompressing as needed). Returns
// false if the file could not be read at all (reported in `problems`).
// `max_member_bytes` bounds the size of one decompressed member.
// An archive member read as it is decompressed, for a caller that need not
// hold it whole (JSON lines): memory stays flat however large it is.
struct member_stream {
  std::string name;
  std::string_view head;  // its first bytes (about 1 MiB, or all of a smaller member), already read
  // Decompresses up to `n` more bytes into `buf`; 0 at the end, or when an
  // error or a budget stopped it (reported in the problems).
  std::function<std::size_t(char* buf, std::size_t n)> read;
};

// `name`, when not empty, is used for the members' names instead of `path`
// (a spooled stream keeps the name it was given).
// A plain file that shrinks while it is read does not end the process: the
// pages past its new end read as zeros, and the shrinking is reported as a
// "file-changed" problem once `fn` returns.
// A compressed member whose first megabyte `choose` accepts is handed to
// `stream_fn` to be read as it is decompressed, instead of to `fn` whole.
bool for_each_member(const std::string& path, const std::function<void(const member&)>& fn,
                     std::vector<input_problem>& problems, std::uint64_t max_member_bytes = 4ULL << 30,
                     const std::string& name = {}, const std::function<bool(std::string_view)>& choose = {},
                     const std::function<void(member_stream&)>& stream_fn = {});

}  // namespace ariadne::ingest
