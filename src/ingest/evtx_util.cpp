// CRC-32, UTF-16 decoding and value sizes for the EVTX reader.
#include <array>

#include "ariadne/core/text.hpp"
#include "ariadne/core/unicode.hpp"
#include "evtx_internal.hpp"

namespace ariadne::ingest::evtx {

namespace {

struct crc_tables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  crc_tables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i)
      for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

const crc_tables& tables() {
  static const crc_tables tbl;
  return tbl;
}

// True for ASCII bytes that need no escaping in `e`.
inline bool plain_ascii(std::uint16_t u, escape e) {
  if (u >= 0x80) return false;
  if (e == escape::json) return u >= 0x20 && u != '"' && u != '\\';
  if (e == escape::xml)
    return u != '&' && u != '<' && u != '>' && u != '"' && (u >= 0x20 || u == '\t' || u == '\n' || u == '\r');
  return true;
}

}  // namespace

void append_escaped_ascii(std::string& out, char c, escape e) {
  if (e == escape::json) {
    append_json_escaped(out, c);
    return;
  }
  if (e == escape::xml) {
    switch (c) {
      case '&': out.append("&amp;"); return;
      case '<': out.append("&lt;"); return;
      case '>': out.append("&gt;"); return;
      case '"': out.append("&quot;"); return;
      default: break;
    }
    // XML 1.0 has no way to write the other C0 controls, not even as
    // character references: they become U+FFFD, so the document stays
    // well-formed (9 of 102,168 intact records were not).
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out.append("\xEF\xBF\xBD");
      return;
    }
  }
  out.push_back(c);
}

std::uint32_t crc32(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  const auto& t = tables().t;
  std::uint32_t c = ~crc;
  while (n >= 8) {
    std::uint32_t lo = load_le<std::uint32_t>(p) ^ c;
    std::uint32_t hi = load_le<std::uint32_t>(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
        t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

void append_utf16(std::string& out, const std::uint8_t* p, std::size_t chars, std::uint32_t* bad, escape e) {
  out.reserve(out.size() + chars + 16);
  std::size_t k = 0;
  while (k < chars) {
    // Fast path: a run of plain ASCII.
    std::size_t run = k;
    while (run < chars && plain_ascii(load_le<std::uint16_t>(p + 2 * run), e)) ++run;
    if (run > k) {
      std::size_t old = out.size();
      out.resize(old + (run - k));
      char* dst = out.data() + old;
      for (std::size_t j = k; j < run; ++j) *dst++ = static_cast<char>(p[2 * j]);
      k = run;
      if (k >= chars) break;
    }
    std::uint32_t u = load_le<std::uint16_t>(p + 2 * k);
    ++k;
    if (u < 0x80) {
      append_escaped_ascii(out, static_cast<char>(u), e);
      continue;
    }
    std::uint32_t cp = u;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (k < chars) {
        std::uint32_t lo = load_le<std::uint16_t>(p + 2 * k);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
          ++k;
        } else {
          cp = 0xfffd;
          if (bad) ++*bad;
        }
      } else {
        cp = 0xfffd;
        if (bad) ++*bad;
      }
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      cp = 0xfffd;
      if (bad) ++*bad;
    }
    append_utf8(static_cast<char32_t>(cp), out);
  }
}

std::uint32_t fixed_size(std::uint8_t type) {
  switch (type & 0x7f) {
    case v_i8:
    case v_u8: return 1;
    case v_i16:
    case v_u16: return 2;
    case v_i32:
    case v_u32:
    case v_f32:
    case v_bool:
    case v_hex32: return 4;
    case v_i64:
    case v_u64:
    case v_f64:
    case v_filetime:
    case v_hex64: return 8;
    case v_guid:
    case v_systime: return 16;
    default: return 0;
  }
}

}  // namespace ariadne::ingest::evtx
