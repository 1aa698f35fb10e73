// Input files: directory walking, decompression and archive members.
//
//   std::vector<ingest::input_problem> problems;
//   auto files = ingest::expand_paths({"logs/"}, problems);   // sorted, recursive
//   ingest::for_each_member(files[0], [&](const ingest::member& m) { ... }, problems);
//
// gzip, zstd, xz, bzip2 and zip inputs are read directly (libarchive); a zip
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
// Missing paths are reported in `problems`.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<input_problem>& problems);

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
bool for_each_member(const std::string& path, const std::function<void(const member&)>& fn,
                     std::vector<input_problem>& problems, std::uint64_t max_member_bytes = 4ULL << 30);

}  // namespace ariadne::ingest
