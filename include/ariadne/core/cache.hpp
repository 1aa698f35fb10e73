// The on-disk cache shared by the steps that are slow to redo on every run
// (compiled literal databases, loaded rule sets).
//
// Directory: $ARIADNE_CACHE_DIR (empty or "off": no cache), else
// $XDG_CACHE_HOME/ariadne, else ~/.cache/ariadne; files go to its "v2"
// folder (the checksummed format). A file is named by a hash
// of everything it was made from, so a stale file is never read: it is only
// left to be pruned. Writes go to a temporary file renamed into place, so
// processes sharing the directory never see half a file.
//
//   auto dir = cache::directory();
//   cache::hasher h; h.add("rules"); ...; auto name = "rules-" + h.hex() + ".bin";
//   std::string bytes;
//   if (dir.empty() || !cache::read(dir / name, bytes)) { ...; cache::store(dir, name, bytes, "rules-", ".bin", 8); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ariadne::cache {

// Empty when caching is off or no directory is known.
[[nodiscard]] std::filesystem::path directory();

// The whole file into `out` (without its checksum); false if it is
// missing, unreadable, or its checksum does not match what it holds: a
// damaged file is then removed (to be made again) and counted in
// damaged_files().
bool read(const std::filesystem::path& file, std::string& out);

// Cache files found damaged by read() in this process.
[[nodiscard]] std::uint64_t damaged_files();

// Writes `bytes`, followed by their checksum, to dir/name atomically, then removes all but the `keep`
// newest files of the directory named prefix*suffix. False if the file
// could not be written (the cache is then simply not used).
bool store(const std::filesystem::path& dir, const std::string& name, std::string_view bytes, std::string_view prefix,
           std::string_view suffix, std::size_t keep);

// A 128-bit hash of a byte stream: two 64-bit lanes, each mixing 8 bytes
// at a time with a multiply, then finished with the stream's length and an
// avalanche. The stream may be fed in any pieces: the same bytes give the
// same hash. Not cryptographic: it names cache files and checks that one
// was not damaged, it does not guard them against tampering.
class hasher {
 public:
  void add_bytes(const void* p, std::size_t n);
  void add(std::string_view s) {  // length-prefixed, so ("ab","c") != ("a","bc")
    add_u64(s.size());
    add_bytes(s.data(), s.size());
  }
  void add_u64(std::uint64_t v) { add_bytes(&v, sizeof v); }
  // 32 hex digits.
  [[nodiscard]] std::string hex() const;

 private:
  void mix(std::uint64_t w);
  std::uint64_t a_ = 14695981039346656037ULL;
  std::uint64_t b_ = 0x9e3779b97f4a7c15ULL;
  std::uint64_t tail_ = 0;    // the bytes after the last whole word, low byte first
  std::uint64_t length_ = 0;  // bytes added
};

}  // namespace ariadne::cache
