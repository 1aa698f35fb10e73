// Helpers shared by the EVTX parser, renderers and reader. Not installed.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "ariadne/ingest/evtx.hpp"

namespace ariadne::ingest::evtx {

template <class T>
inline T load_le(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86-64 and aarch64 are little-endian
  return v;
}

// CRC-32 (RFC 1952 polynomial), slicing by 8; `crc` is the running value
// (0 to start).
std::uint32_t crc32(std::uint32_t crc, const std::uint8_t* p, std::size_t n);

enum class escape : std::uint8_t { none, json, xml };

// Appends `chars` UTF-16LE code units from `p` as UTF-8, escaped for JSON
// string content or XML text/attribute content. Unpaired surrogates become
// U+FFFD and are counted in `*bad` (if given).
void append_utf16(std::string& out, const std::uint8_t* p, std::size_t chars, std::uint32_t* bad,
                  escape e = escape::none);

// Appends one ASCII byte escaped for `e`.
void append_escaped_ascii(std::string& out, char c, escape e);

// Byte size of a fixed-size value type, 0 for variable-size types.
std::uint32_t fixed_size(std::uint8_t type);

// Number of UTF-16 code units of a string value, without trailing NULs.
inline std::size_t utf16_chars(const std::uint8_t* p, std::size_t bytes) {
  std::size_t n = bytes / 2;
  while (n > 0 && p[2 * n - 2] == 0 && p[2 * n - 1] == 0) --n;
  return n;
}

// Same, without trailing white space (space, tab, CR, LF, VT, FF): the JSON
// and event forms drop it, as the evtx crate does; XML keeps it.
inline std::size_t utf16_chars_trimmed(const std::uint8_t* p, std::size_t bytes) {
  std::size_t n = utf16_chars(p, bytes);
  while (n > 0 && p[2 * n - 1] == 0 &&
         (p[2 * n - 2] == ' ' || (p[2 * n - 2] >= '\t' && p[2 * n - 2] <= '\r')))
    --n;
  return n;
}

}  // namespace ariadne::ingest::evtx
