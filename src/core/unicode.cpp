#include "ariadne/core/unicode.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "ariadne/core/text.hpp"

namespace ariadne {
namespace {

struct fold_range {
  char32_t first;
  char32_t last;
  std::int32_t delta;
  std::int32_t stride;
};

constexpr fold_range k_fold_table[] = {
#include "casefold_table.inc"
};

}  // namespace

char32_t fold_code_point(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  auto it = std::upper_bound(std::begin(k_fold_table), std::end(k_fold_table), cp,
                             [](char32_t v, const fold_range& r) { return v < r.first; });
  if (it == std::begin(k_fold_table)) return cp;
  --it;
  if (cp > it->last) return cp;
  if ((cp - it->first) % static_cast<char32_t>(it->stride) != 0) return cp;
  return static_cast<char32_t>(static_cast<std::int64_t>(cp) + it->delta);
}

std::size_t ascii_prefix(std::string_view text) {
  // 32 bytes at a time (four words ORed), then word by word; fewer than 8
  // bytes left are checked as one word (the last 8 bytes, overlapping ones
  // known to be ASCII, or a short text's bytes), and only a word with a high
  // byte is searched byte by byte.
  const char* p = text.data();
  std::size_t n = text.size(), k = 0;
  constexpr std::uint64_t high = 0x8080808080808080ull;
  for (; k + 32 <= n; k += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + k, sizeof w);
    if ((w[0] | w[1] | w[2] | w[3]) & high) break;
  }
  for (; k + 8 <= n; k += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + k, sizeof w);
    if (w & high) break;
  }
  if (k + 8 > n) {  // no high byte before k
    std::uint64_t w;
    if (n >= 8) std::memcpy(&w, p + n - 8, sizeof w);
    else w = short_word(p, n);
    if (!(w & high)) return n;
  }
  while (k < n && static_cast<unsigned char>(p[k]) < 0x80) ++k;
  return k;
}

bool is_ascii(std::string_view text) { return ascii_prefix(text) == text.size(); }

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t len = 1;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0 && lead >= 0xC2) len = 2;
  else if ((lead & 0xF0) == 0xE0) len = 3;
  else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4) len = 4;
  else return 1;
  if (pos + len > text.size()) return 1;
  for (std::size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(text[pos + k]) & 0xC0) != 0x80) return 1;
  return len;
}

char32_t decode_utf8(std::string_view text, std::size_t& pos, bool* valid) {
  auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t len = utf8_sequence_length(text, pos);
  if (len == 1) {
    if (valid) *valid = lead < 0x80;
    ++pos;
    return lead;
  }
  char32_t cp = 0;
  if (len == 2) cp = lead & 0x1F;
  else if (len == 3) cp = lead & 0x0F;
  else cp = lead & 0x07;
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
  // Reject overlong forms and surrogates: treat the lead byte as invalid.
  bool ok = !((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
              (cp >= 0xD800 && cp <= 0xDFFF));
  if (!ok) {
    if (valid) *valid = false;
    ++pos;
    return lead;
  }
  if (valid) *valid = true;
  pos += len;
  return cp;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void fold_case_append(std::string_view text, std::string& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // A run of ASCII is lowered in bulk; folding only changes lengths
    // outside ASCII.
    std::size_t run = pos + ascii_prefix(text.substr(pos));
    if (run > pos) {
      std::size_t at = out.size();
      out.resize(at + (run - pos));
      lower_ascii_copy(out.data() + at, text.data() + pos, run - pos);
      pos = run;
      continue;
    }
    std::size_t start = pos;
    bool valid = false;
    char32_t cp = decode_utf8(text, pos, &valid);
    if (!valid) {
      out.append(text.substr(start, pos - start));
      continue;
    }
    append_utf8(fold_code_point(cp), out);
  }
}

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  fold_case_append(text, out);
  return out;
}

std::size_t count_code_points(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < text.size(); pos += utf8_sequence_length(text, pos)) ++n;
  return n;
}

}  // namespace ariadne
