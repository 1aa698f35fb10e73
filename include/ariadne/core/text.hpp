// Small string helpers shared by every module: trimming, splitting, JSON
// string escaping, Base64, decimal parsing, stable hashing.
//
//   auto n = ariadne::parse_int64("4688");          // std::optional<int64_t>
//   std::string j; ariadne::append_json_string(j, "a\"b");   // "\"a\\\"b\""
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ariadne {

[[nodiscard]] std::string_view trim(std::string_view s);

// Up to 7 bytes at `p` (n < 8) as one word, every byte in it (for the same
// n, different bytes give different words), with fixed-size loads only: a
// copy of variable length would be a library call.
[[nodiscard]] inline std::uint64_t short_word(const char* p, std::size_t n) {
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return a | (static_cast<std::uint64_t>(b) << 32);
  }
  if (n == 0) return 0;
  auto byte = [&](std::size_t at) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[at])); };
  return byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16);
}

// a == b, short texts (up to 64 bytes: field names, most values a memo
// holds) compared as words without a library call.
[[nodiscard]] inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) return short_word(a.data(), n) == short_word(b.data(), n);
  if (n > 64) return std::memcmp(a.data(), b.data(), n) == 0;
  auto word = [](const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  std::uint64_t diff = 0;
  for (std::size_t k = 0; k + 8 < n; k += 8) diff |= word(a.data() + k) ^ word(b.data() + k);
  return (diff | (word(a.data() + n - 8) ^ word(b.data() + n - 8))) == 0;
}

// A fast 64-bit hash of a short text (8 bytes per step; not for untrusted
// keys that an attacker could collide on purpose).
[[nodiscard]] inline std::uint64_t hash_text(std::string_view s) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  std::size_t k = 0;
  for (; k + 8 <= s.size(); k += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + k, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  h = (h ^ short_word(s.data() + k, s.size() - k)) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char sep);
[[nodiscard]] bool iequals_ascii(std::string_view a, std::string_view b);
// Copies n bytes to `d`, 'A'..'Z' lowered, others as they are (no branch:
// the compiler vectorises it).
inline void lower_ascii_copy(char* d, const char* s, std::size_t n) {
  for (std::size_t k = 0; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[k]);
    d[k] = static_cast<char>(c + (static_cast<unsigned char>(c - 'A') < 26 ? 32 : 0));
  }
}
[[nodiscard]] std::string to_lower_ascii(std::string_view s);
// The same into `out` (its storage reused).
void assign_lower_ascii(std::string& out, std::string_view s);
// `s` without ' ' characters (EVTX data names: "Source Name" -> "SourceName").
[[nodiscard]] std::string remove_spaces(std::string_view s);

// Whole-string decimal integer ("-12", "4688"); no spaces, no '+', no hex.
[[nodiscard]] std::optional<std::int64_t> parse_int64(std::string_view s);
// Decimal or 0x-hex integer, or a decimal with a fraction/exponent.
[[nodiscard]] std::optional<double> parse_number(std::string_view s);

// Appends `s` as a quoted JSON string. Invalid UTF-8 bytes become U+FFFD so
// the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);
// Appends `["a","b",...]`.
void append_json_string_list(std::string& out, const std::vector<std::string>& v);
// Appends one ASCII byte as it appears inside a JSON string (escaped when
// JSON requires it).
void append_json_escaped(std::string& out, char c);

// Standard Base64 with '=' padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Standard Base64 (padding optional, no whitespace); nullopt if not Base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);
// The script of a PowerShell command line's -EncodedCommand (-enc, -e, -ec...:
// any prefix of -encodedcommand, with - or /), Base64 of UTF-16LE, as UTF-8;
// nullopt when there is none or it does not decode.
[[nodiscard]] std::optional<std::string> decode_powershell_command(std::string_view command_line);

// 64-bit FNV-1a: stable across platforms and runs (used for alert ids).
[[nodiscard]] std::uint64_t stable_hash64(std::string_view s, std::uint64_t seed = 0);
// splitmix64's finaliser: spreads every input bit over the whole word.
[[nodiscard]] inline std::uint64_t avalanche64(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}
// 128-bit id as 32 lower-case hex digits, from two seeded 64-bit hashes.
[[nodiscard]] std::string stable_id_hex(std::string_view s);

// Levenshtein distance, for "did you mean" hints.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// Hash for unordered containers keyed by std::string that are looked up
// by std::string_view (with std::equal_to<>): no string is built to look.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace ariadne
