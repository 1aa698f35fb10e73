// Rendering a parsed EVTX record: typed values as text, the JSON model (the
// evtx crate's conventions), JSON and XML text, and event fields.
//
// JSON model rules (docs/evtx.md has examples):
//   - an element with no attributes and no child elements is its text value
//     (typed when it is one substitution value), or null when empty;
//   - otherwise an object: "#attributes" (attributes with a value), one key
//     per child element, "#text" for its own text;
//   - <Data Name="X">v</Data> is "X": v; unnamed <Data> values gather in
//     "Data": {"#text": v} (an array when there are several);
//   - a repeated key keeps the latest value; earlier ones move to key_1,
//     key_2, ... (an earlier null or {} is simply replaced).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "ariadne/core/text.hpp"
#include "ariadne/core/time.hpp"
#include "ariadne/core/unicode.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "evtx_internal.hpp"

namespace ariadne::ingest::evtx {

time_ns filetime_to_ns(std::uint64_t ft) {
  constexpr std::int64_t k_epoch_diff_ticks = 116444736000000000LL;  // 1601 -> 1970 in 100 ns
  if (ft > static_cast<std::uint64_t>(INT64_MAX)) return k_no_time;
  std::int64_t ticks = static_cast<std::int64_t>(ft) - k_epoch_diff_ticks;
  if (ticks > INT64_MAX / 100 || ticks < INT64_MIN / 100 + 1) return k_no_time;  // outside 1677..2262
  return ticks * 100;
}

namespace {

constexpr std::string_view k_hex_upper = "0123456789ABCDEF";

template <class T>
void append_num(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_hex(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append("0x");
  out.append(buf, r.ptr);
}

void append_2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + (v / 10) % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// "YYYY-MM-DDThh:mm:ss.fffffffZ" with `digits` fraction digits of a 100 ns
// tick count.
void append_datetime(std::string& out, std::int64_t secs, std::uint32_t ticks, int digits) {
  civil_time c = civil_from_seconds(secs);
  std::int64_t y = c.year;
  unsigned m = c.month, d = c.day;
  if (y >= 0 && y <= 9999) {
    char buf[8];
    buf[0] = static_cast<char>('0' + y / 1000);
    buf[1] = static_cast<char>('0' + (y / 100) % 10);
    buf[2] = static_cast<char>('0' + (y / 10) % 10);
    buf[3] = static_cast<char>('0' + y % 10);
    out.append(buf, 4);
  } else {
    append_num(out, y);
  }
  out.push_back('-');
  append_2(out, m);
  out.push_back('-');
  append_2(out, d);
  out.push_back('T');
  append_2(out, c.hour);
  out.push_back(':');
  append_2(out, c.minute);
  out.push_back(':');
  append_2(out, c.second);
  out.push_back('.');
  std::uint32_t frac = ticks;
  char fbuf[7];
  for (int k = 6; k >= 0; --k) {
    fbuf[k] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(fbuf, static_cast<std::size_t>(digits));
  out.push_back('Z');
}

void append_filetime(std::string& out, std::uint64_t ft, int digits) {
  constexpr std::uint64_t k_epoch_diff_secs = 11644473600ULL;
  std::int64_t secs = static_cast<std::int64_t>(ft / 10000000ULL) - static_cast<std::int64_t>(k_epoch_diff_secs);
  append_datetime(out, secs, static_cast<std::uint32_t>(ft % 10000000ULL), digits);
}

void append_systime(std::string& out, const std::uint8_t* p, int digits) {
  auto w = [&](int k) { return load_le<std::uint16_t>(p + 2 * k); };
  unsigned year = w(0), month = w(1), day = w(3), hour = w(4), minute = w(5), sec = w(6), ms = w(7);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 || ms > 999) {
    // Not a valid date: show the raw words rather than invent one.
    for (int k = 0; k < 8; ++k) {
      if (k) out.push_back(' ');
      append_num(out, static_cast<unsigned>(w(k)));
    }
    return;
  }
  std::int64_t days = days_from_civil(year, month, day);
  append_datetime(out, days * 86400 + hour * 3600 + minute * 60 + sec, ms * 10000, digits);
}

void append_guid(std::string& out, const std::uint8_t* p, bool braces) {
  auto hexbyte = [&](std::uint8_t b) {
    out.push_back(k_hex_upper[b >> 4]);
    out.push_back(k_hex_upper[b & 15]);
  };
  if (braces) out.push_back('{');
  for (int k = 3; k >= 0; --k) hexbyte(p[k]);
  out.push_back('-');
  hexbyte(p[5]);
  hexbyte(p[4]);
  out.push_back('-');
  hexbyte(p[7]);
  hexbyte(p[6]);
  out.push_back('-');
  hexbyte(p[8]);
  hexbyte(p[9]);
  out.push_back('-');
  for (int k = 10; k < 16; ++k) hexbyte(p[k]);
  if (braces) out.push_back('}');
}

void append_binary_hex(std::string& out, const std::uint8_t* p, std::size_t n) {
  std::size_t old = out.size();
  out.resize(old + 2 * n);
  char* d = out.data() + old;
  for (std::size_t k = 0; k < n; ++k) {
    *d++ = k_hex_upper[p[k] >> 4];
    *d++ = k_hex_upper[p[k] & 15];
  }
}

bool append_sid(std::string& out, const std::uint8_t* p, std::size_t n) {
  if (n < 8) return false;
  unsigned count = p[1];
  if (n < 8 + 4ULL * count) return false;
  std::uint64_t auth = 0;
  for (int k = 2; k < 8; ++k) auth = (auth << 8) | p[k];
  out.append("S-");
  append_num(out, static_cast<unsigned>(p[0]));
  out.push_back('-');
  append_num(out, auth);
  for (unsigned k = 0; k < count; ++k) {
    out.push_back('-');
    append_num(out, load_le<std::uint32_t>(p + 8 + 4 * k));
  }
  return true;
}

void append_ansi(std::string& out, const std::uint8_t* p, std::size_t n, escape e) {
  while (n > 0 && p[n - 1] == 0) --n;
  if (e != escape::xml)
    while (n > 0 && (p[n - 1] == ' ' || (p[n - 1] >= '\t' && p[n - 1] <= '\r'))) --n;
  for (std::size_t k = 0; k < n; ++k) {
    std::uint8_t c = p[k];
    if (c < 0x80) append_escaped_ascii(out, static_cast<char>(c), e);
    else append_utf8(c, out);  // Windows-1252 is close to Latin-1 for text we see; map as Latin-1
  }
}

// json_full: JSON with every 100 ns digit of a FILETIME (`dump`); json: six,
// as the evtx crate writes them (the fields rules see, like its JSON).
enum class style : std::uint8_t { json, xml, text, json_full };

// Appends one scalar (non-array) value of type `t`. For style::json the
// caller has written nothing yet and strings get their quotes here.
// Returns false if the bytes do not fit the type (rendered as hex instead).
void append_scalar(std::string& out, std::uint8_t t, const std::uint8_t* p, std::size_t n, style s,
                   std::uint32_t* bad) {
  const bool full_time = s == style::json_full;
  if (full_time) s = style::json;
  const escape esc = s == style::json ? escape::json : s == style::xml ? escape::xml : escape::none;
  const bool quote = s == style::json;
  auto fits = [&](std::size_t need) { return n >= need; };
  auto q = [&] {
    if (quote) out.push_back('"');
  };
  switch (t) {
    case v_null:
      if (quote) out.append("null");
      return;
    case v_string:
      q();
      append_utf16(out, p, s == style::xml ? utf16_chars(p, n) : utf16_chars_trimmed(p, n), bad, esc);
      q();
      return;
    case v_ansi:
      q();
      append_ansi(out, p, n, esc);
      q();
      return;
    case v_i8:
      if (fits(1)) return append_num(out, static_cast<int>(static_cast<std::int8_t>(p[0])));
      break;
    case v_u8:
      if (fits(1)) return append_num(out, static_cast<unsigned>(p[0]));
      break;
    case v_i16:
      if (fits(2)) return append_num(out, load_le<std::int16_t>(p));
      break;
    case v_u16:
      if (fits(2)) return append_num(out, load_le<std::uint16_t>(p));
      break;
    case v_i32:
      if (fits(4)) return append_num(out, load_le<std::int32_t>(p));
      break;
    case v_u32:
      if (fits(4)) return append_num(out, load_le<std::uint32_t>(p));
      break;
    case v_i64:
      if (fits(8)) return append_num(out, load_le<std::int64_t>(p));
      break;
    case v_u64:
      if (fits(8)) return append_num(out, load_le<std::uint64_t>(p));
      break;
    case v_f32:
    case v_f64:
      if (fits(t == v_f32 ? 4 : 8)) {
        double d = t == v_f32 ? static_cast<double>(load_le<float>(p)) : load_le<double>(p);
        if (!std::isfinite(d)) {
          if (quote) out.append("null");
          else out.append(std::isnan(d) ? "NaN" : d > 0 ? "INF" : "-INF");
          return;
        }
        if (t == v_f32) append_num(out, load_le<float>(p));
        else append_num(out, d);
        return;
      }
      break;
    case v_bool:
      if (fits(4)) {
        out.append(load_le<std::uint32_t>(p) != 0 ? "true" : "false");
        return;
      }
      break;
    case v_guid:
      if (fits(16)) {
        q();
        append_guid(out, p, s == style::xml);
        q();
        return;
      }
      break;
    case v_sizet:
    case v_hex32:
    case v_hex64:
      if (n == 4 || n == 8) {
        q();
        append_hex(out, n == 4 ? load_le<std::uint32_t>(p) : load_le<std::uint64_t>(p));
        q();
        return;
      }
      break;
    case v_filetime:
      if (fits(8)) {
        q();
        append_filetime(out, load_le<std::uint64_t>(p), s == style::xml || full_time ? 7 : 6);
        q();
        return;
      }
      break;
    case v_systime:
      if (fits(16)) {
        q();
        append_systime(out, p, s == style::xml ? 7 : 6);
        q();
        return;
      }
      break;
    case v_sid: {
      q();
      if (!append_sid(out, p, n)) append_binary_hex(out, p, n);
      q();
      return;
    }
    default:
      break;
  }
  // Binary and anything that does not fit its type: hex digits.
  q();
  append_binary_hex(out, p, n);
  q();
}

// Calls fn(type, ptr, size) for each item of an array value.
template <class Fn>
void for_each_item(const xnode& v, Fn&& fn) {
  const std::uint8_t t = v.type & 0x7f;
  const std::uint8_t* p = v.data;
  const std::size_t n = v.size;
  if (t == v_string) {
    std::size_t start = 0;
    std::size_t units = n / 2;
    for (std::size_t k = 0; k < units; ++k) {
      if (load_le<std::uint16_t>(p + 2 * k) == 0) {
        fn(t, p + 2 * start, 2 * (k - start));
        start = k + 1;
      }
    }
    if (start < units) fn(t, p + 2 * start, 2 * (units - start));
    return;
  }
  if (t == v_ansi) {
    std::size_t start = 0;
    for (std::size_t k = 0; k < n; ++k)
      if (p[k] == 0) {
        fn(t, p + start, k - start);
        start = k + 1;
      }
    if (start < n) fn(t, p + start, n - start);
    return;
  }
  std::uint32_t sz = fixed_size(t);
  if (t == v_sizet) sz = 8;
  if (t == v_sid) {
    std::size_t k = 0;
    while (k + 8 <= n) {
      std::size_t len = 8 + 4ULL * p[k + 1];
      if (k + len > n) break;
      fn(t, p + k, len);
      k += len;
    }
    return;
  }
  if (sz == 0) {
    fn(v_binary, p, n);
    return;
  }
  for (std::size_t k = 0; k + sz <= n; k += sz) fn(t, p + k, sz);
}

std::string_view entity_text(std::string_view name) {
  if (name == "lt") return "<";
  if (name == "gt") return ">";
  if (name == "amp") return "&";
  if (name == "quot") return "\"";
  if (name == "apos") return "'";
  return {};
}

struct ctx {
  const std::vector<xnode>& nodes;
  const std::vector<std::string>& names;
  std::uint32_t* bad;
  bool full_time = false;  // JSON with all seven FILETIME digits

  [[nodiscard]] const xnode& at(std::int32_t i) const { return nodes[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::string_view name(const xnode& n) const {
    return n.name < names.size() ? std::string_view(names[n.name]) : std::string_view();
  }

  // A value node as plain text (arrays joined with ", ").
  void text(std::string& out, const xnode& v, style s) const {
    if (v.type == v_charref) {
      std::uint32_t cp = load_le<std::uint16_t>(v.data);
      if (s == style::xml) {
        out.append("&#");
        append_num(out, cp);
        out.push_back(';');
      } else {
        std::uint8_t u[2] = {static_cast<std::uint8_t>(cp & 0xff), static_cast<std::uint8_t>(cp >> 8)};
        append_utf16(out, u, 1, bad, s == style::json ? escape::json : escape::none);
      }
      return;
    }
    if (v.type == v_entityref) {
      std::string_view nm = v.size < names.size() ? std::string_view(names[v.size]) : std::string_view();
      if (s == style::xml) {
        out.push_back('&');
        out.append(nm);
        out.push_back(';');
      } else {
        std::string_view t = entity_text(nm);
        if (s == style::json) {
          std::string tmp;
          append_json_string(tmp, t);
          out.append(tmp, 1, tmp.size() - 2);
        } else {
          out.append(t);
        }
      }
      return;
    }
    style inner = s == style::json ? style::text : s;
    if (v.type & v_array) {
      bool first = true;
      for_each_item(v, [&](std::uint8_t t, const std::uint8_t* p, std::size_t n) {
        if (!first) out.append(", ");
        first = false;
        append_piece(out, t, p, n, s, inner);
      });
      return;
    }
    append_piece(out, v.type, v.data, v.size, s, inner);
  }

  // Text of one scalar inside a larger string: JSON style escapes but adds
  // no quotes.
  void append_piece(std::string& out, std::uint8_t t, const std::uint8_t* p, std::size_t n, style outer,
                    style inner) const {
    if (outer == style::json && (t == v_string || t == v_ansi)) {
      if (t == v_string) append_utf16(out, p, utf16_chars_trimmed(p, n), bad, escape::json);
      else append_ansi(out, p, n, escape::json);
      return;
    }
    if (outer == style::json) {
      std::string tmp;
      append_scalar(tmp, t, p, n, style::text, bad);
      std::string q;
      append_json_string(q, tmp);
      out.append(q, 1, q.size() - 2);
      return;
    }
    append_scalar(out, t, p, n, inner, bad);
  }
};

// ---- JSON model ---------------------------------------------------------------

enum class jkind : std::uint8_t { null_, value, text, object, array };

struct jnode {
  jkind kind = jkind::null_;
  bool key_in_arena = false;
  std::int32_t xval = -1;        // value: the xnode
  std::uint32_t text_off = 0, text_len = 0;  // text: UTF-8 in the arena
  std::uint32_t key_off = 0, key_len = 0;    // key: arena range, or name index in key_off
  std::uint32_t key_hash = 0;                // cheap filter for duplicate-key checks
  std::uint32_t members = 0;                 // object: members appended
  std::int32_t index_id = -1;                // object: its members' key in the index (moves with them)
  std::int32_t first = -1, last = -1, next = -1;
};

// Storage reused from record to record (one per thread): no allocation per
// record once the buffers have grown.
class json_model {
 public:
  json_model(const ctx& c, std::vector<struct jnode>& nodes, std::string& arena) : c_(c), nodes_(nodes), arena_(arena) {
    nodes_.clear();
    arena_.clear();
  }
  // The index and slot memo live in the model (one per record); they are
  // used only by records with large objects or repeated keys.

  std::int32_t build_root(std::int32_t event_el) {
    std::int32_t top = make(jkind::object);
    std::int32_t ev = element(event_el, false);
    set_name_key(ev, c_.at(event_el).name);
    append(top, ev);
    return top;
  }

  [[nodiscard]] std::string_view key(const jnode& j) const {
    if (j.key_in_arena) return std::string_view(arena_).substr(j.key_off, j.key_len);
    return j.key_off < c_.names.size() ? std::string_view(c_.names[j.key_off]) : std::string_view();
  }
  [[nodiscard]] std::string_view text(const jnode& j) const {
    return std::string_view(arena_).substr(j.text_off, j.text_len);
  }
  [[nodiscard]] const jnode& at(std::int32_t i) const { return nodes_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] const ctx& c() const { return c_; }

  std::int32_t find(std::int32_t obj, std::string_view k) const { return find(obj, k, hash(k)); }
  std::int32_t find(std::int32_t obj, std::string_view k, std::uint32_t h) const {
    if (at(obj).members >= k_indexed_members) {
      // A large object (many same-named elements): by its index, so that
      // a record of N such elements is not N^2 (N^3 with the renaming).
      auto [lo, hi] = index_.equal_range(member_key(at(obj).index_id, h));
      for (auto it = lo; it != hi; ++it)
        if (key(at(it->second)) == k) return it->second;
      return -1;
    }
    for (std::int32_t m = at(obj).first; m >= 0; m = at(m).next)
      if (at(m).key_hash == h && key(at(m)) == k) return m;
    return -1;
  }
  static std::uint32_t hash(std::string_view k) {
    std::uint32_t h = 2166136261u;
    for (char ch : k) h = (h ^ static_cast<unsigned char>(ch)) * 16777619u;
    return h | 1;
  }

 private:
  static constexpr std::uint32_t k_indexed_members = 32;
  std::unordered_multimap<std::uint64_t, std::int32_t> index_;  // (object, key hash) -> member, for large objects
  std::unordered_map<std::string, int> next_slot_;               // object + key -> next free "_N" slot

  std::int32_t make(jkind k) {
    jnode n;
    n.kind = k;
    n.index_id = static_cast<std::int32_t>(nodes_.size());
    nodes_.push_back(n);
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }
  jnode& node(std::int32_t i) { return nodes_[static_cast<std::size_t>(i)]; }

  void set_name_key(std::int32_t j, std::uint32_t name_idx) {
    node(j).key_in_arena = false;
    node(j).key_off = name_idx;
    node(j).key_len = 0;
    node(j).key_hash = name_hash(name_idx);
  }
  void set_arena_key(std::int32_t j, std::string_view k) {
    auto off = static_cast<std::uint32_t>(arena_.size());
    arena_.append(k);
    node(j).key_in_arena = true;
    node(j).key_off = off;
    node(j).key_len = static_cast<std::uint32_t>(k.size());
    node(j).key_hash = hash(k);
  }
  std::uint32_t name_hash(std::uint32_t name_idx) const {
    return hash(name_idx < c_.names.size() ? std::string_view(c_.names[name_idx]) : std::string_view());
  }
  void append(std::int32_t parent, std::int32_t child) {
    node(child).next = -1;
    if (node(parent).last >= 0) node(node(parent).last).next = child;
    else node(parent).first = child;
    node(parent).last = child;
    if (node(parent).kind != jkind::object) return;
    const std::uint32_t n = ++node(parent).members;
    if (n == k_indexed_members) {  // indexed from now on: its members so far, then each one appended
      for (std::int32_t m = node(parent).first; m >= 0; m = node(m).next)
        index_.emplace(member_key(node(parent).index_id, node(m).key_hash), m);
    } else if (n > k_indexed_members) {
      index_.emplace(member_key(node(parent).index_id, node(child).key_hash), child);
    }
  }
  static std::uint64_t member_key(std::int32_t obj, std::uint32_t h) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(obj)) << 32) | h;
  }
  // Replaces the content of `dst` by that of `src`, keeping dst's key and link.
  void move_content(std::int32_t dst, std::int32_t src) {
    jnode s = node(src);
    jnode& d = node(dst);
    d.kind = s.kind;
    d.xval = s.xval;
    d.text_off = s.text_off;
    d.text_len = s.text_len;
    d.first = s.first;
    d.last = s.last;
    d.members = s.members;
    d.index_id = s.index_id;
  }

  // Inserts `child` (already keyed) into `obj` with the duplicate-key rule.
  void insert(std::int32_t obj, std::int32_t child) {
    std::string_view k = key(node(child));
    std::int32_t old = find(obj, k, node(child).key_hash);
    if (old < 0) {
      append(obj, child);
      return;
    }
    const jnode& o = node(old);
    if (o.kind == jkind::null_ || (o.kind == jkind::object && o.first < 0)) {
      move_content(old, child);
      return;
    }
    std::string base(k);
    std::string alt;
    // Slots below the last one given for this key are all taken (keys are
    // never removed): start after it, not at 1 again.
    std::string memo_key = std::to_string(obj) + '\x1f' + base;
    int& next_slot = next_slot_[memo_key];
    for (int slot = std::max(1, next_slot);; ++slot) {
      alt = base + "_" + std::to_string(slot);
      if (find(obj, alt) < 0) {
        next_slot = slot + 1;
        break;
      }
    }
    std::int32_t moved = make(jkind::null_);
    move_content(moved, old);
    set_arena_key(moved, alt);
    append(obj, moved);
    move_content(old, child);
  }

  // The text of an element's or attribute's value children: a typed value
  // when there is one, else a concatenated string; -1 when there is none.
  std::int32_t value_of(std::int32_t x) {
    std::int32_t only = -1;
    int count = 0;
    for (std::int32_t ch = c_.at(x).first_child; ch >= 0; ch = c_.at(ch).next)
      if (c_.at(ch).kind == node_kind::value) {
        if (count == 0) only = ch;
        ++count;
      }
    if (count == 0) return -1;
    if (count == 1 && c_.at(only).type != v_charref && c_.at(only).type != v_entityref) {
      std::int32_t j = make(jkind::value);
      node(j).xval = only;
      return j;
    }
    auto off = static_cast<std::uint32_t>(arena_.size());
    for (std::int32_t ch = c_.at(x).first_child; ch >= 0; ch = c_.at(ch).next)
      if (c_.at(ch).kind == node_kind::value) c_.text(arena_, c_.at(ch), style::text);
    std::int32_t j = make(jkind::text);
    node(j).text_off = off;
    node(j).text_len = static_cast<std::uint32_t>(arena_.size() - off);
    return j;
  }

  std::int32_t element(std::int32_t x, bool skip_attrs) {
    bool has_attr = false, has_elem = false, has_text = false;
    for (std::int32_t ch = c_.at(x).first_child; ch >= 0; ch = c_.at(ch).next) {
      const xnode& n = c_.at(ch);
      if (n.kind == node_kind::attribute) {
        if (!skip_attrs && n.first_child >= 0) has_attr = true;
      } else if (n.kind == node_kind::element) {
        has_elem = true;
      } else if (n.kind == node_kind::value) {
        has_text = true;
      }
    }
    if (!has_attr && !has_elem) {
      if (!has_text) return make(jkind::null_);
      return value_of(x);
    }
    std::int32_t obj = make(jkind::object);
    if (has_attr) {
      std::int32_t attrs = make(jkind::object);
      set_arena_key(attrs, "#attributes");
      for (std::int32_t ch = c_.at(x).first_child; ch >= 0; ch = c_.at(ch).next) {
        if (c_.at(ch).kind != node_kind::attribute) continue;
        std::int32_t v = value_of(ch);
        if (v < 0) continue;
        set_name_key(v, c_.at(ch).name);
        insert(attrs, v);
      }
      append(obj, attrs);
    }
    for (std::int32_t ch = c_.at(x).first_child; ch >= 0; ch = c_.at(ch).next) {
      const xnode& n = c_.at(ch);
      if (n.kind != node_kind::element) continue;
      if (c_.name(n) == "Data") {
        std::int32_t name_attr = -1;
        for (std::int32_t a = n.first_child; a >= 0; a = c_.at(a).next)
          if (c_.at(a).kind == node_kind::attribute && c_.name(c_.at(a)) == "Name" && c_.at(a).first_child >= 0) {
            name_attr = a;
            break;
          }
        if (name_attr >= 0) {
          std::string k;
          for (std::int32_t v = c_.at(name_attr).first_child; v >= 0; v = c_.at(v).next)
            if (c_.at(v).kind == node_kind::value) c_.text(k, c_.at(v), style::text);
          std::int32_t child = element(ch, true);
          set_arena_key(child, k);
          insert(obj, child);
        } else {
          std::int32_t v = value_of(ch);
          if (v < 0) continue;
          add_unnamed_data(obj, v);
        }
        continue;
      }
      std::int32_t child = element(ch, false);
      set_name_key(child, n.name);
      insert(obj, child);
    }
    if (has_text) {
      std::int32_t v = value_of(x);
      set_arena_key(v, "#text");
      std::int32_t old = find(obj, "#text");
      if (old >= 0) move_content(old, v);
      else append(obj, v);
    }
    return obj;
  }

  void add_unnamed_data(std::int32_t obj, std::int32_t v) {
    std::int32_t d = find(obj, "Data");
    if (d < 0 || node(d).kind != jkind::object) {
      std::int32_t nd = make(jkind::object);
      set_arena_key(nd, "Data");
      if (d >= 0) move_content(d, nd);  // a "Data" that is not ours: replace
      else append(obj, nd);
      d = d >= 0 ? d : nd;
    }
    set_arena_key(v, "#text");
    std::int32_t t = find(d, "#text");
    if (t < 0) {
      append(d, v);
      return;
    }
    if (node(t).kind != jkind::array) {
      std::int32_t first = make(jkind::null_);
      move_content(first, t);
      std::int32_t arr = make(jkind::array);
      move_content(t, arr);
      node(t).first = node(t).last = -1;
      append(t, first);
    }
    append(t, v);
  }

  const ctx& c_;
  std::vector<jnode>& nodes_;
  std::string& arena_;
};

void write_json(const json_model& m, std::int32_t j, std::string& out) {
  const jnode& n = m.at(j);
  switch (n.kind) {
    case jkind::null_: out.append("null"); return;
    case jkind::value: {
      const xnode& v = m.c().at(n.xval);
      if (v.type & v_array) {
        out.push_back('[');
        bool first = true;
        for_each_item(v, [&](std::uint8_t t, const std::uint8_t* p, std::size_t sz) {
          if (!first) out.push_back(',');
          first = false;
          append_scalar(out, t, p, sz, m.c().full_time ? style::json_full : style::json, m.c().bad);
        });
        out.push_back(']');
        return;
      }
      append_scalar(out, v.type, v.data, v.size, m.c().full_time ? style::json_full : style::json, m.c().bad);
      return;
    }
    case jkind::text: append_json_string(out, m.text(n)); return;
    case jkind::object: {
      out.push_back('{');
      bool first = true;
      for (std::int32_t c = n.first; c >= 0; c = m.at(c).next) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, m.key(m.at(c)));
        out.push_back(':');
        write_json(m, c, out);
      }
      out.push_back('}');
      return;
    }
    case jkind::array: {
      out.push_back('[');
      bool first = true;
      for (std::int32_t c = n.first; c >= 0; c = m.at(c).next) {
        if (!first) out.push_back(',');
        first = false;
        write_json(m, c, out);
      }
      out.push_back(']');
      return;
    }
  }
}

// ---- XML --------------------------------------------------------------------------

void write_xml(const ctx& c, std::int32_t x, int indent, std::string& out) {
  const xnode& e = c.at(x);
  out.append(static_cast<std::size_t>(indent) * 2, ' ');
  out.push_back('<');
  out.append(c.name(e));
  bool has_elem = false, has_text = false;
  for (std::int32_t ch = e.first_child; ch >= 0; ch = c.at(ch).next) {
    const xnode& n = c.at(ch);
    if (n.kind == node_kind::attribute) {
      if (n.first_child < 0) continue;  // optional value absent: no attribute
      out.push_back(' ');
      out.append(c.name(n));
      out.append("=\"");
      for (std::int32_t v = n.first_child; v >= 0; v = c.at(v).next)
        if (c.at(v).kind == node_kind::value) c.text(out, c.at(v), style::xml);
      out.push_back('"');
    } else if (n.kind == node_kind::element) {
      has_elem = true;
    } else if (n.kind == node_kind::value) {
      has_text = true;
    }
  }
  if (!has_elem && !has_text) {
    out.append("/>\n");
    return;
  }
  out.push_back('>');
  if (!has_elem) {
    for (std::int32_t ch = e.first_child; ch >= 0; ch = c.at(ch).next)
      if (c.at(ch).kind == node_kind::value) c.text(out, c.at(ch), style::xml);
  } else {
    out.push_back('\n');
    for (std::int32_t ch = e.first_child; ch >= 0; ch = c.at(ch).next) {
      const xnode& n = c.at(ch);
      if (n.kind == node_kind::element) {
        write_xml(c, ch, indent + 1, out);
      } else if (n.kind == node_kind::value) {
        out.append(static_cast<std::size_t>(indent + 1) * 2, ' ');
        c.text(out, n, style::xml);
        out.push_back('\n');
      }
    }
    out.append(static_cast<std::size_t>(indent) * 2, ' ');
  }
  out.append("</");
  out.append(c.name(e));
  out.append(">\n");
}

// ---- event fields ----------------------------------------------------------------
//
// The same walk json_reader::flatten_evtx does over the JSON form, over the
// JSON model here, so an EVTX record and its JSON dump give the same fields.

struct field_emitter_buffers {
  std::string name, scratch, key;
};

class field_emitter {
 public:
  field_emitter(const json_model& m, event_batch& batch, field_emitter_buffers& b)
      : m_(m), batch_(batch), name_(b.name), scratch_(b.scratch), key_buf_(b.key) {}

  time_ns time = k_no_time;

  void event(std::int32_t ev) {
    if (m_.at(ev).kind != jkind::object) return;
    for (std::int32_t s = m_.at(ev).first; s >= 0; s = m_.at(s).next) {
      std::string_view section = m_.key(m_.at(s));
      const jnode& body = m_.at(s);
      if (section == "#attributes") continue;
      if (section == "System") {
        if (body.kind != jkind::object) continue;
        for (std::int32_t f = body.first; f >= 0; f = m_.at(f).next) {
          std::string_view key = m_.key(m_.at(f));
          const jnode& val = m_.at(f);
          if (val.kind != jkind::object) {
            emit(key, f);
            continue;
          }
          for (std::int32_t g = val.first; g >= 0; g = m_.at(g).next) {
            std::string_view k2 = m_.key(m_.at(g));
            if (k2 == "#attributes") {
              if (m_.at(g).kind != jkind::object) continue;
              for (std::int32_t a = m_.at(g).first; a >= 0; a = m_.at(a).next) {
                name_.assign(key);
                name_.push_back('_');
                name_.append(m_.key(m_.at(a)));
                if (key == "TimeCreated" && m_.key(m_.at(a)) == "SystemTime") note_time(a);
                emit(name_, a);
              }
            } else if (k2 == "#text") {
              emit(key, g);
            } else {
              name_.assign(key);
              name_.push_back('_');
              name_.append(k2);
              emit(name_, g);
            }
          }
        }
      } else if (section == "EventData") {
        if (body.kind != jkind::object) continue;
        for (std::int32_t f = body.first; f >= 0; f = m_.at(f).next) {
          std::string_view key = m_.key(m_.at(f));
          if (key == "#attributes") continue;
          emit(no_spaces(key, key_buf_), f);
        }
      } else if (section == "UserData") {
        leaves(s, "UserData", 1);
      } else {
        std::string path(section);
        flatten(s, path, 1);
      }
    }
  }

 private:
  static constexpr std::size_t k_max_depth = 64;

  void note_time(std::int32_t j) {
    const jnode& n = m_.at(j);
    if (n.kind != jkind::value) return;
    const xnode& v = m_.c().at(n.xval);
    if (v.type == v_filetime && v.size >= 8) time = filetime_to_ns(load_le<std::uint64_t>(v.data));
  }

  void scalar(field_id id, std::uint8_t t, const std::uint8_t* p, std::size_t n) {
    switch (t) {
      case v_i8: batch_.add_value(id, value::make_int(static_cast<std::int8_t>(p[0]))); return;
      case v_u8: batch_.add_value(id, value::make_int(p[0])); return;
      case v_i16: batch_.add_value(id, value::make_int(load_le<std::int16_t>(p))); return;
      case v_u16: batch_.add_value(id, value::make_int(load_le<std::uint16_t>(p))); return;
      case v_i32: batch_.add_value(id, value::make_int(load_le<std::int32_t>(p))); return;
      case v_u32: batch_.add_value(id, value::make_int(load_le<std::uint32_t>(p))); return;
      case v_i64: batch_.add_value(id, value::make_int(load_le<std::int64_t>(p))); return;
      case v_u64: {
        auto u = load_le<std::uint64_t>(p);
        if (u <= static_cast<std::uint64_t>(INT64_MAX)) batch_.add_value(id, value::make_int(static_cast<std::int64_t>(u)));
        else batch_.add_value(id, value::make_double(static_cast<double>(u)));
        return;
      }
      case v_f32:
      case v_f64: {
        // Through the JSON text, so the value equals what a reader of our
        // JSON output gets.
        scratch_.clear();
        append_scalar(scratch_, t, p, n, style::json, m_.c().bad);
        if (scratch_ == "null") batch_.add_value(id, value::make_null());
        else batch_.add_value(id, value::make_double(std::strtod(scratch_.c_str(), nullptr)));
        return;
      }
      case v_bool: batch_.add_value(id, value::make_bool(load_le<std::uint32_t>(p) != 0)); return;
      case v_null: batch_.add_value(id, value::make_null()); return;
      default:
        scratch_.clear();
        append_scalar(scratch_, t, p, n, style::text, m_.c().bad);
        batch_.add_string(id, scratch_);
        return;
    }
  }

  void scalar_or_array(field_id id, const xnode& v) {
    if (v.type & v_array) {
      for_each_item(v, [&](std::uint8_t t, const std::uint8_t* p, std::size_t n) { scalar(id, t, p, n); });
      return;
    }
    if (fixed_size(v.type) > v.size) {
      scalar(id, v_binary, v.data, v.size);
      return;
    }
    scalar(id, v.type, v.data, v.size);
  }

  void add(std::string_view name, const jnode& n) {
    field_id id = field_names().intern(name);
    switch (n.kind) {
      case jkind::null_: batch_.add_value(id, value::make_null()); return;
      case jkind::value: scalar_or_array(id, m_.c().at(n.xval)); return;
      case jkind::text: batch_.add_string(id, m_.text(n)); return;
      default: return;
    }
  }

  void emit(std::string_view name, std::int32_t j, std::size_t depth = 2) {
    if (depth > k_max_depth) return;
    const jnode& n = m_.at(j);
    if (n.kind == jkind::array) {
      for (std::int32_t c = n.first; c >= 0; c = m_.at(c).next) emit(name, c, depth + 1);
      return;
    }
    if (n.kind == jkind::object) {
      std::int32_t t = m_.find(j, "#text");
      if (t >= 0) {
        emit(name, t, depth + 1);
        return;
      }
      std::string parent(name);
      leaves(j, parent, depth + 1);
      return;
    }
    add(name, n);
  }

  void leaves(std::int32_t j, std::string_view parent, std::size_t depth) {
    if (depth > k_max_depth) return;
    const jnode& n = m_.at(j);
    if (n.kind != jkind::object) {
      emit(parent, j, depth);
      return;
    }
    for (std::int32_t c = n.first; c >= 0; c = m_.at(c).next) {
      std::string_view key = m_.key(m_.at(c));
      if (key == "#attributes") {
        if (m_.at(c).kind != jkind::object) continue;
        for (std::int32_t a = m_.at(c).first; a >= 0; a = m_.at(a).next) {
          std::string_view akey = m_.key(m_.at(a));
          if (akey != "xmlns") {
            std::string buf;
            emit(no_spaces(akey, buf), a, depth + 1);
          }
        }
      } else if (key == "#text") {
        emit(parent, c, depth + 1);
      } else {
        std::string buf;
        emit(no_spaces(key, buf), c, depth + 1);
      }
    }
  }

  void flatten(std::int32_t j, std::string& path, std::size_t depth) {
    if (depth > k_max_depth) return;
    const jnode& n = m_.at(j);
    if (n.kind == jkind::object) {
      std::size_t base = path.size();
      for (std::int32_t c = n.first; c >= 0; c = m_.at(c).next) {
        if (base) path.push_back('.');
        path.append(m_.key(m_.at(c)));
        flatten(c, path, depth + 1);
        path.resize(base);
      }
      return;
    }
    if (n.kind == jkind::array) {
      for (std::int32_t c = n.first; c >= 0; c = m_.at(c).next) flatten(c, path, depth + 1);
      return;
    }
    if (n.kind == jkind::value && (m_.c().at(n.xval).type & v_array)) {
      field_id id = field_names().intern(path);
      scalar_or_array(id, m_.c().at(n.xval));
      return;
    }
    if (!path.empty()) add(path, n);
  }

  const json_model& m_;
  event_batch& batch_;
  // `k` without spaces; a copy in `buf` only when there is a space.
  static std::string_view no_spaces(std::string_view k, std::string& buf) {
    if (k.find(' ') == std::string_view::npos) return k;
    buf.clear();
    for (char ch : k)
      if (ch != ' ') buf.push_back(ch);
    return buf;
  }

  std::string& name_;
  std::string& scratch_;
  std::string& key_buf_;
};

}  // namespace

void render_json(const record& r, std::string& out, render_stats* stats, bool full_time) {
  std::uint32_t bad = 0;
  ctx c{*r.nodes, *r.names, &bad, full_time};
  thread_local std::vector<jnode> nodes;
  thread_local std::string arena;
  json_model m(c, nodes, arena);
  std::int32_t top = m.build_root(r.root);
  write_json(m, top, out);
  if (stats) stats->bad_utf16 += bad;
}

void render_xml(const record& r, std::string& out, render_stats* stats) {
  std::uint32_t bad = 0;
  ctx c{*r.nodes, *r.names, &bad};
  write_xml(c, r.root, 0, out);
  if (stats) stats->bad_utf16 += bad;
}

time_ns emit_fields(const record& r, event_batch& batch, render_stats* stats) {
  std::uint32_t bad = 0;
  ctx c{*r.nodes, *r.names, &bad};
  thread_local std::vector<jnode> nodes;
  thread_local std::string arena;
  json_model m(c, nodes, arena);
  std::int32_t top = m.build_root(r.root);
  thread_local field_emitter_buffers bufs;
  field_emitter fe(m, batch, bufs);
  std::int32_t ev = m.at(top).first;
  if (ev >= 0) fe.event(ev);
  if (stats) stats->bad_utf16 += bad;
  return fe.time;
}

}  // namespace ariadne::ingest::evtx
