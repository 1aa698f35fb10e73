#include "ariadne/core/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "ariadne/core/unicode.hpp"

namespace ariadne {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t idx = 0; idx < a.size(); ++idx) {
    char x = a[idx], y = b[idx];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

void assign_lower_ascii(std::string& out, std::string_view s) {
  if (!s.empty() && s.data() >= out.data() && s.data() < out.data() + out.size()) {  // a view of `out` itself
    const std::string copy(s);
    assign_lower_ascii(out, copy);
    return;
  }
  out.resize(s.size());
  lower_ascii_copy(out.data(), s.data(), s.size());
}

std::string to_lower_ascii(std::string_view s) {
  std::string out;
  assign_lower_ascii(out, s);
  return out;
}

std::string remove_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != ' ') out.push_back(c);
  return out;
}

std::optional<std::int64_t> parse_int64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  bool neg = false;
  std::string_view body = s;
  if (body.front() == '-') {
    neg = true;
    body.remove_prefix(1);
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(body.data() + 2, body.data() + body.size(), v, 16);
    if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
    double d = static_cast<double>(v);
    return neg ? -d : d;
  }
  if (body.empty() || !(body.front() >= '0' && body.front() <= '9')) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void append_json_escaped(std::string& out, char ch) {
  static constexpr char k_hex[] = "0123456789abcdef";
  auto c = static_cast<unsigned char>(ch);
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    default:
      if (c < 0x20) {
        out.append("\\u00");
        out.push_back(k_hex[c >> 4]);
        out.push_back(k_hex[c & 15]);
      } else {
        out.push_back(ch);
      }
  }
}

void append_json_string_list(std::string& out, const std::vector<std::string>& v) {
  out.push_back('[');
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k) out.push_back(',');
    append_json_string(out, v[k]);
  }
  out.push_back(']');
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t pos = 0;
  while (pos < s.size()) {
    // Runs of plain ASCII are copied in one go.
    std::size_t run = pos;
#if defined(__SSE2__)
    // 16 bytes at a time: below 0x20 or from 0x80 (negative as signed
    // bytes), a quote or a backslash ends the run.
    const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (run + 16 <= s.size()) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + run));
      __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      int mask = _mm_movemask_epi8(stop);
      if (mask) {
        run += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        break;
      }
      run += 16;
    }
#endif
    while (run < s.size()) {
      auto ch = static_cast<unsigned char>(s[run]);
      if (ch < 0x20 || ch >= 0x80 || ch == '"' || ch == '\\') break;
      ++run;
    }
    if (run > pos) {
      out.append(s.data() + pos, run - pos);
      pos = run;
      if (pos >= s.size()) break;
    }
    auto c = static_cast<unsigned char>(s[pos]);
    if (c >= 0x80) {
      std::size_t start = pos;
      bool valid = false;
      decode_utf8(s, pos, &valid);
      if (valid) out.append(s.substr(start, pos - start));
      else out.append("\xEF\xBF\xBD");
      continue;
    }
    ++pos;
    append_json_escaped(out, static_cast<char>(c));
  }
  out.push_back('"');
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // one lone character: not Base64
  return out;
}

std::optional<std::string> decode_powershell_command(std::string_view cmd) {
  // Tokens split on spaces (a quoted Base64 argument keeps no spaces).
  std::vector<std::string_view> tokens;
  for (std::size_t k = 0; k < cmd.size();) {
    while (k < cmd.size() && cmd[k] == ' ') ++k;
    std::size_t e = k;
    while (e < cmd.size() && cmd[e] != ' ') ++e;
    if (e > k) tokens.push_back(cmd.substr(k, e - k));
    k = e;
  }
  static constexpr std::string_view k_switch = "encodedcommand";
  for (std::size_t k = 0; k + 1 < tokens.size(); ++k) {
    std::string_view t = tokens[k];
    if (t.size() < 2 || (t[0] != '-' && t[0] != '/')) continue;
    std::string sw = to_lower_ascii(t.substr(1));
    const bool prefix = !sw.empty() && sw.size() <= k_switch.size() && k_switch.compare(0, sw.size(), sw) == 0;
    if (!prefix && sw != "ec") continue;
    std::string_view arg = tokens[k + 1];
    if (arg.size() >= 2 && (arg.front() == '"' || arg.front() == '\'')) arg = arg.substr(1, arg.size() - 2);
    if (arg.size() < 8) continue;
    auto bytes = base64_decode(arg);
    if (!bytes || bytes->size() % 2 != 0) continue;
    std::string out;
    for (std::size_t i = 0; i + 1 < bytes->size(); i += 2) {
      std::uint32_t cp = static_cast<unsigned char>((*bytes)[i]) | (static_cast<unsigned char>((*bytes)[i + 1]) << 8);
      if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes->size()) {
        std::uint32_t lo = static_cast<unsigned char>((*bytes)[i + 2]) | (static_cast<unsigned char>((*bytes)[i + 3]) << 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 2;
        }
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
      append_utf8(static_cast<char32_t>(cp), out);
    }
    return out;
  }
  return std::nullopt;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t idx = 0;
  for (; idx + 3 <= bytes.size(); idx += 3) {
    std::uint32_t n = (static_cast<unsigned char>(bytes[idx]) << 16) |
                      (static_cast<unsigned char>(bytes[idx + 1]) << 8) |
                      static_cast<unsigned char>(bytes[idx + 2]);
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(k_alphabet[(n >> 6) & 63]);
    out.push_back(k_alphabet[n & 63]);
  }
  std::size_t rest = bytes.size() - idx;
  if (rest == 1) {
    std::uint32_t n = static_cast<unsigned char>(bytes[idx]) << 16;
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    std::uint32_t n = (static_cast<unsigned char>(bytes[idx]) << 16) |
                      (static_cast<unsigned char>(bytes[idx + 1]) << 8);
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(k_alphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

std::uint64_t stable_hash64(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return avalanche64(h);  // so short inputs spread over all bits
}

std::string stable_id_hex(std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(32, '0');
  std::uint64_t parts[2] = {stable_hash64(s, 1), stable_hash64(s, 2)};
  for (int part = 0; part < 2; ++part)
    for (int nib = 0; nib < 16; ++nib)
      out[static_cast<std::size_t>(part * 16 + nib)] = k_hex[(parts[part] >> (60 - 4 * nib)) & 15];
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace ariadne
