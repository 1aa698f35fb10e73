// Sigma YAML document -> rule. Value parsing follows sigma-semantics.md §3-5:
// escapes and wildcards are parsed once, modifiers run left to right on the
// parsed token sequence, and the result is lowered to primitive matchers.
#include "reader.hpp"

#include <arpa/inet.h>
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "ariadne/core/text.hpp"
#include "ariadne/core/unicode.hpp"
#include "ariadne/rules/condition.hpp"

namespace ariadne::sigma {

bool parse_ip_address(std::string_view text, ip_network& out) {
  std::string s(trim(text));
  // Drop a zone index ("fe80::1%eth0").
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out.v4 = true;
    out.addr = {};
    std::memcpy(out.addr.data(), &a4, 4);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &a6, 16);
    static constexpr std::uint8_t k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(b.data(), k_mapped, 12) == 0) {  // ::ffff:a.b.c.d is IPv4 [engine choice]
      out.v4 = true;
      out.addr = {};
      std::memcpy(out.addr.data(), b.data() + 12, 4);
      return true;
    }
    out.v4 = false;
    out.addr = b;
    return true;
  }
  return false;
}

lazy_regex::~lazy_regex() { delete re_.load(std::memory_order_acquire); }

const re2::RE2& lazy_regex::get() const {
  if (const re2::RE2* re = re_.load(std::memory_order_acquire)) return *re;
  std::lock_guard lock(mu_);
  const re2::RE2* re = re_.load(std::memory_order_relaxed);
  if (!re) {
    re = detail::compile_regex(pattern_).release();
    re_.store(re, std::memory_order_release);
  }
  return *re;
}

}  // namespace ariadne::sigma

namespace ariadne::sigma::detail {
namespace {

// Instructions a rule's regular expression may compile to (RE2's program
// size): matching time grows with it (docs/limits.md).
constexpr int k_max_regex_program = 20000;

// N if `pattern` is exactly ".{N,}", "(.){N,}" or "(?:.){N,}" (1 <= N <=
// 1,000,000), else 0.
std::uint32_t counted_any(std::string_view pattern) {
  for (std::string_view head : {".{", "(.){", "(?:.){"}) {
    if (pattern.substr(0, head.size()) != head) continue;
    std::string_view rest = pattern.substr(head.size());
    if (rest.size() < 3 || rest.substr(rest.size() - 2) != ",}") return 0;
    std::string_view digits = rest.substr(0, rest.size() - 2);
    if (digits.empty() || digits.size() > 7) return 0;
    std::uint32_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return 0;
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return n >= 1 && n <= 1000000 ? n : 0;
  }
  return 0;
}

// Texts one of which every match of the regex contains (see
// matcher::re_atoms). RE2's FilteredRE2 gives the atoms of an AND/OR
// formula a match must satisfy; an atom is dropped, shortest first, while
// the formula still fails with every remaining atom absent and every dropped
// one present (so a match must still hold one of those that remain).
std::vector<std::string> regex_atoms(const std::string& pattern, const RE2::Options& options) {
  re2::FilteredRE2 filter(3);
  int id = 0;
  if (filter.Add(pattern, options, &id) != RE2::NoError) return {};
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  std::vector<int> present, passing;
  filter.AllPotentials(present, &passing);
  if (atoms.empty() || !passing.empty()) return {};  // the filter passes anything
  for (const auto& a : atoms)
    if (!is_ascii(a)) return {};  // RE2's case folding of other letters is its own
  std::vector<std::size_t> order(atoms.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return atoms[a].size() < atoms[b].size(); });
  std::vector<char> kept(atoms.size(), 1);
  for (std::size_t a : order) {
    kept[a] = 0;
    present.clear();
    for (std::size_t k = 0; k < atoms.size(); ++k)
      if (!kept[k]) present.push_back(static_cast<int>(k));
    filter.AllPotentials(present, &passing);
    if (!passing.empty()) kept[a] = 1;  // needed
  }
  std::vector<std::string> out;
  for (std::size_t k = 0; k < atoms.size(); ++k)
    if (kept[k]) out.push_back(atoms[k]);
  return out;
}

// ---------------------------------------------------------------------------
// Diagnostics helper

class reporter {
 public:
  reporter(std::vector<diagnostic>& out, const std::string& path) : out_(out), path_(path) {}
  void set_rule(std::string id, std::string title) {
    id_ = std::move(id);
    title_ = std::move(title);
  }
  void error(std::string code, std::string msg, std::uint32_t line, std::uint32_t col = 0) {
    add(severity::error, std::move(code), std::move(msg), line, col);
    failed = true;
  }
  void warn(std::string code, std::string msg, std::uint32_t line, std::uint32_t col = 0) {
    add(severity::warning, std::move(code), std::move(msg), line, col);
  }
  bool failed = false;

 private:
  void add(severity s, std::string code, std::string msg, std::uint32_t line, std::uint32_t col) {
    diagnostic d;
    d.sev = s;
    d.code = std::move(code);
    d.message = std::move(msg);
    d.where = {path_, line, col};
    d.rule_id = id_;
    d.rule_title = title_;
    out_.push_back(std::move(d));
  }
  std::vector<diagnostic>& out_;
  const std::string& path_;
  std::string id_, title_;
};

// ---------------------------------------------------------------------------
// Sigma strings

struct stok {
  enum class kind : std::uint8_t { lit, run, one, placeholder } k;
  std::string text;
};
using svalue = std::vector<stok>;

void push_lit(svalue& v, std::string_view s) {
  if (s.empty()) return;
  if (!v.empty() && v.back().k == stok::kind::lit) v.back().text.append(s);
  else v.push_back({stok::kind::lit, std::string(s)});
}

// Escape and wildcard parsing (sigma-semantics.md §3). With `placeholders`,
// `%name%` becomes a placeholder token and `\%` a literal percent sign.
svalue parse_sigma_string(std::string_view raw, bool placeholders) {
  svalue out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    char c = raw[pos];
    if (c == '\\') {
      if (pos + 1 < raw.size() &&
          (raw[pos + 1] == '*' || raw[pos + 1] == '?' || raw[pos + 1] == '\\' || (placeholders && raw[pos + 1] == '%'))) {
        push_lit(out, raw.substr(pos + 1, 1));
        pos += 2;
      } else {
        push_lit(out, "\\");
        ++pos;
      }
    } else if (c == '*') {
      if (out.empty() || out.back().k != stok::kind::run) out.push_back({stok::kind::run, {}});
      ++pos;
    } else if (c == '?') {
      out.push_back({stok::kind::one, {}});
      ++pos;
    } else if (placeholders && c == '%') {
      auto end = raw.find('%', pos + 1);
      if (end == std::string_view::npos || end == pos + 1) {
        push_lit(out, "%");
        ++pos;
      } else {
        out.push_back({stok::kind::placeholder, std::string(raw.substr(pos + 1, end - pos - 1))});
        pos = end + 1;
      }
    } else {
      std::size_t start = pos;
      while (pos < raw.size() && raw[pos] != '\\' && raw[pos] != '*' && raw[pos] != '?' &&
             !(placeholders && raw[pos] == '%'))
        ++pos;
      push_lit(out, raw.substr(start, pos - start));
    }
  }
  return out;
}

bool has_wildcards(const svalue& v) {
  return std::any_of(v.begin(), v.end(), [](const stok& t) { return t.k == stok::kind::run || t.k == stok::kind::one; });
}

std::string literal_bytes(const svalue& v) {
  std::string out;
  for (const auto& t : v) out += t.text;
  return out;
}

// windash (sigma-semantics.md §5): a '-' or '/' whose previous character is
// a non-word character (or the start, or a wildcard) and whose next character
// is a word character may be any of five dashes.
bool is_word_char(std::string_view s, std::size_t pos) {
  auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return std::isalnum(c) || c == '_';
  std::size_t p = pos;
  char32_t cp = decode_utf8(s, p);
  // Python's \w is Unicode-aware; treat non-ASCII letters as word characters,
  // but not the dash variants or spaces.
  return !(cp == 0x2013 || cp == 0x2014 || cp == 0x2015 || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F));
}

constexpr std::array<std::string_view, 5> k_dashes = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};

std::vector<svalue> expand_windash(const svalue& v) {
  // Find spots as (token index, byte offset).
  std::vector<std::pair<std::size_t, std::size_t>> spots;
  for (std::size_t ti = 0; ti < v.size(); ++ti) {
    if (v[ti].k != stok::kind::lit) continue;
    const std::string& s = v[ti].text;
    for (std::size_t pos = 0; pos < s.size(); ++pos) {
      if (s[pos] != '-' && s[pos] != '/') continue;
      bool prev_nonword = pos == 0 ? true : !is_word_char(s, pos - 1);
      if (pos > 0 && static_cast<unsigned char>(s[pos - 1]) >= 0x80) {
        // Find the start of the previous code point.
        std::size_t back = pos - 1;
        while (back > 0 && (static_cast<unsigned char>(s[back]) & 0xC0) == 0x80) --back;
        prev_nonword = !is_word_char(s, back);
      }
      bool next_word = pos + 1 < s.size() && is_word_char(s, pos + 1);
      if (prev_nonword && next_word) spots.emplace_back(ti, pos);
    }
  }
  if (spots.empty()) return {v};
  std::vector<svalue> out;
  std::size_t combos = 1;
  for (std::size_t k = 0; k < spots.size() && combos <= 625; ++k) combos *= k_dashes.size();
  if (combos > 625) return {v};  // more than 4 spots: keep as written (none in the corpus)
  for (std::size_t combo = 0; combo < combos; ++combo) {
    svalue alt = v;
    std::size_t rest = combo;
    // Replace from the last spot backwards so earlier offsets stay valid.
    std::vector<std::size_t> choice(spots.size());
    for (std::size_t k = 0; k < spots.size(); ++k) {
      choice[k] = rest % k_dashes.size();
      rest /= k_dashes.size();
    }
    for (std::size_t k = spots.size(); k-- > 0;)
      alt[spots[k].first].text.replace(spots[k].second, 1, k_dashes[choice[k]]);
    out.push_back(std::move(alt));
  }
  return out;
}

svalue encode_utf16(const svalue& v, bool big_endian, bool bom) {
  svalue out;
  if (bom) push_lit(out, big_endian ? std::string_view("\xFE\xFF", 2) : std::string_view("\xFF\xFE", 2));
  for (const auto& t : v) {
    if (t.k != stok::kind::lit) {
      out.push_back(t);
      continue;
    }
    std::string bytes;
    std::size_t pos = 0;
    while (pos < t.text.size()) {
      char32_t cp = decode_utf8(t.text, pos);
      auto put = [&](std::uint16_t u) {
        char hi = static_cast<char>(u >> 8), lo = static_cast<char>(u & 0xFF);
        if (big_endian) {
          bytes.push_back(hi);
          bytes.push_back(lo);
        } else {
          bytes.push_back(lo);
          bytes.push_back(hi);
        }
      };
      if (cp >= 0x10000) {
        char32_t c = cp - 0x10000;
        put(static_cast<std::uint16_t>(0xD800 + (c >> 10)));
        put(static_cast<std::uint16_t>(0xDC00 + (c & 0x3FF)));
      } else {
        put(static_cast<std::uint16_t>(cp));
      }
    }
    push_lit(out, bytes);
  }
  return out;
}

// base64offset: three alignments (sigma-semantics.md §5).
std::vector<std::string> base64_offsets(const std::string& bytes) {
  static constexpr std::size_t k_start[3] = {0, 2, 3};
  std::vector<std::string> out;
  for (std::size_t shift = 0; shift < 3; ++shift) {
    std::string padded(shift, ' ');
    padded += bytes;
    std::string enc = base64_encode(padded);
    std::size_t cut_tail = 0;
    switch ((bytes.size() + shift) % 3) {
      case 1: cut_tail = 3; break;
      case 2: cut_tail = 2; break;
      default: cut_tail = 0;
    }
    std::size_t start = k_start[shift];
    if (start + cut_tail >= enc.size()) continue;
    out.push_back(enc.substr(start, enc.size() - start - cut_tail));
  }
  return out;
}

// Lowers a token sequence to one primitive string test.
string_test lower(const svalue& v, bool cased) {
  std::vector<glob_token> toks;
  for (const auto& t : v) {
    glob_token g;
    switch (t.k) {
      case stok::kind::lit:
        g.k = glob_token::kind::literal;
        g.text = cased ? t.text : fold_case(t.text);
        if (!toks.empty() && toks.back().k == glob_token::kind::literal) {
          toks.back().text += g.text;
          continue;
        }
        break;
      case stok::kind::run:
        if (!toks.empty() && toks.back().k == glob_token::kind::any_run) continue;
        g.k = glob_token::kind::any_run;
        break;
      case stok::kind::one: g.k = glob_token::kind::any_one; break;
      case stok::kind::placeholder:  // resolved before lowering
        g.k = glob_token::kind::any_run;
        break;
    }
    toks.push_back(std::move(g));
  }
  string_test st;
  st.cased = cased;
  using K = glob_token::kind;
  auto is = [&](std::size_t idx, K k) { return toks[idx].k == k; };
  if (toks.empty()) {
    st.op = string_op::equals;
  } else if (toks.size() == 1 && is(0, K::literal)) {
    st.op = string_op::equals;
    st.needle = toks[0].text;
  } else if (toks.size() == 1 && is(0, K::any_run)) {
    st.op = string_op::any;
  } else if (toks.size() == 2 && is(0, K::literal) && is(1, K::any_run)) {
    st.op = string_op::prefix;
    st.needle = toks[0].text;
  } else if (toks.size() == 2 && is(0, K::any_run) && is(1, K::literal)) {
    st.op = string_op::suffix;
    st.needle = toks[1].text;
  } else if (toks.size() == 3 && is(0, K::any_run) && is(1, K::literal) && is(2, K::any_run)) {
    st.op = string_op::contains;
    st.needle = toks[1].text;
  } else {
    st.op = string_op::glob;
    st.tokens = std::move(toks);
  }
  return st;
}

// ---------------------------------------------------------------------------
// Modifiers

enum class mod : std::uint8_t {
  contains, startswith, endswith, all, windash, base64, base64offset, utf16le, utf16be, utf16, re, re_i, re_m,
  re_s, cased, cidr, gt, gte, lt, lte, neq, exists, fieldref, expand, minute, hour, day, week, month, year
};

struct mod_name {
  std::string_view name;
  mod m;
};
constexpr mod_name k_mods[] = {
    {"contains", mod::contains}, {"startswith", mod::startswith}, {"endswith", mod::endswith},
    {"all", mod::all},           {"windash", mod::windash},       {"base64", mod::base64},
    {"base64offset", mod::base64offset}, {"utf16le", mod::utf16le}, {"wide", mod::utf16le},
    {"utf16be", mod::utf16be},   {"utf16", mod::utf16},           {"re", mod::re},
    {"i", mod::re_i},            {"ignorecase", mod::re_i},       {"m", mod::re_m},
    {"multiline", mod::re_m},    {"s", mod::re_s},                {"dotall", mod::re_s},
    {"cased", mod::cased},       {"cidr", mod::cidr},             {"gt", mod::gt},
    {"gte", mod::gte},           {"lt", mod::lt},                 {"lte", mod::lte},
    {"neq", mod::neq},           {"exists", mod::exists},         {"fieldref", mod::fieldref},
    {"expand", mod::expand},     {"minute", mod::minute},         {"hour", mod::hour},
    {"day", mod::day},           {"week", mod::week},             {"month", mod::month},
    {"year", mod::year},
};

std::optional<mod> find_mod(std::string_view name) {
  for (const auto& m : k_mods)
    if (m.name == name) return m.m;
  return std::nullopt;
}

std::string suggest_mod(std::string_view name) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& m : k_mods) {
    if (m.name.size() < 3) continue;
    std::size_t d = edit_distance(name, m.name);
    if (d < best_d) {
      best_d = d;
      best = m.name;
    }
  }
  return best;
}


bool bits_clear_after(const ip_network& n) {
  std::size_t total = n.v4 ? 32 : 128;
  for (std::size_t bit = n.prefix; bit < total; ++bit)
    if (n.addr[bit / 8] & (0x80 >> (bit % 8))) return false;
  return true;
}

std::string yaml_location_text(const yaml::node& n) {
  return std::to_string(n.line) + ":" + std::to_string(n.column);
}

enum class scalar_type { null, boolean, integer, floating, string };

scalar_type classify(const yaml::node& n) {
  if (n.is_null()) return scalar_type::null;
  if (n.style != yaml::scalar_style::plain) return scalar_type::string;
  const std::string& t = n.text;
  if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE")
    return scalar_type::boolean;
  // YAML 1.1 decimal integers; a leading zero keeps the text a string
  // (sigma-semantics.md §1: `00000429` stays text).
  std::string_view body = t;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) body.remove_prefix(1);
  if (!body.empty() && std::all_of(body.begin(), body.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      (body.size() == 1 || body.front() != '0') && body.size() < 19)
    return scalar_type::integer;
  if (!body.empty() && body.find('.') != std::string_view::npos && parse_number(t) && body.front() != '.')
    return scalar_type::floating;
  return scalar_type::string;
}

struct item_parser {
  reporter& rep;
  const load_options& opts;
  std::vector<std::string> unresolved;  // placeholders resolved as '*'

  // Builds one detection item from `key: value`. Returns false on error.
  bool parse(const yaml::node& key, const yaml::node& value, detection_item& item) {
    item.line = key.line;
    auto parts = split(key.text, '|');
    std::string_view field = parts[0];
    std::vector<mod> mods;
    for (std::size_t idx = 1; idx < parts.size(); ++idx) {
      auto m = find_mod(parts[idx]);
      if (!m) {
        std::string hint = suggest_mod(parts[idx]);
        rep.error("unknown-modifier",
                  "unknown modifier '" + std::string(parts[idx]) + "'" +
                      (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"),
                  key.line, key.column);
        return false;
      }
      mods.push_back(*m);
    }
    item.field = field.empty() ? k_no_field : field_names().intern(field);
    bool keyword = field.empty();

    auto has = [&](mod m) { return std::find(mods.begin(), mods.end(), m) != mods.end(); };
    auto fail = [&](const std::string& code, const std::string& msg) {
      rep.error(code, msg, key.line, key.column);
      return false;
    };

    // Placement rules (pySigma: only applicable to unmodified values).
    for (mod first_only : {mod::re, mod::cidr, mod::exists}) {
      if (has(first_only) && mods.front() != first_only)
        return fail("modifier-order", "modifier '" + std::string(parts[1 + static_cast<std::size_t>(
                                                                           std::find(mods.begin(), mods.end(), first_only) - mods.begin())]) +
                                          "' must come first");
    }
    if (has(mod::exists) && mods.size() != 1) return fail("modifier-order", "'exists' cannot be combined with other modifiers");
    if ((has(mod::re_i) || has(mod::re_m) || has(mod::re_s)) && !has(mod::re))
      return fail("modifier-order", "regex flags (i, m, s) need the 're' modifier");
    if (has(mod::re)) {
      for (mod m : mods)
        if (m != mod::re && m != mod::re_i && m != mod::re_m && m != mod::re_s && m != mod::contains &&
            m != mod::startswith && m != mod::endswith && m != mod::all && m != mod::neq)
          return fail("modifier-combination", "'re' cannot be combined with other value modifiers");
    }
    if (has(mod::cidr)) {
      for (mod m : mods)
        if (m != mod::cidr && m != mod::all && m != mod::neq)
          return fail("modifier-combination", "'cidr' cannot be combined with other value modifiers");
    }
    int numeric = static_cast<int>(has(mod::gt)) + has(mod::gte) + has(mod::lt) + has(mod::lte);
    if (numeric > 1) return fail("modifier-combination", "only one of gt, gte, lt, lte may be used");
    if (keyword && (has(mod::exists) || has(mod::fieldref) || numeric || has(mod::cidr)))
      return fail("modifier-combination", "this modifier needs a field name");

    item.all = has(mod::all);
    item.negate = has(mod::neq);

    std::vector<const yaml::node*> values;
    if (value.is_sequence()) {
      for (const auto& v : value.items) values.push_back(&v);
      if (values.empty()) {
        // pySigma treats an empty list like null.
        matcher m;
        m.k = matcher::kind::null;
        item.values.push_back(std::move(m));
        return true;
      }
    } else {
      values.push_back(&value);
    }
    for (const yaml::node* v : values) {
      if (!v->is_scalar())
        return fail("invalid-value", "value of '" + key.text + "' must be a scalar or a list of scalars, not a " +
                                         (v->is_mapping() ? "mapping" : "nested list") + " (at " +
                                         yaml_location_text(*v) + ")");
      matcher m;
      if (!parse_value(*v, mods, keyword, m)) return false;
      item.values.push_back(std::move(m));
    }
    return true;
  }

  bool parse_value(const yaml::node& v, const std::vector<mod>& mods, bool keyword, matcher& m) {
    auto has = [&](mod x) { return std::find(mods.begin(), mods.end(), x) != mods.end(); };
    auto fail = [&](const std::string& code, const std::string& msg) {
      rep.error(code, msg, v.line, v.column);
      return false;
    };
    scalar_type type = classify(v);

    if (has(mod::exists)) {
      if (type != scalar_type::boolean) return fail("invalid-value", "'exists' needs true or false");
      m.k = matcher::kind::exists;
      m.flag = v.text[0] == 't' || v.text[0] == 'T';
      return true;
    }
    if (type == scalar_type::null) {
      bool string_mods = std::any_of(mods.begin(), mods.end(), [](mod x) { return x != mod::all && x != mod::neq; });
      if (string_mods) return fail("invalid-value", "null cannot be used with value modifiers");
      if (keyword) return fail("invalid-value", "a keyword cannot be null");
      m.k = matcher::kind::null;
      return true;
    }
    if (has(mod::re)) {
      std::string pattern;
      if (has(mod::re_i)) pattern += "(?i)";
      if (has(mod::re_m)) pattern += "(?m)";
      if (has(mod::re_s)) pattern += "(?s)";
      pattern += v.text;
      auto re = std::make_shared<const lazy_regex>(pattern);
      const RE2& compiled = re->get();
      if (!compiled.ok()) return fail("invalid-regex", "regular expression not supported: " + compiled.error());
      // RE2 matches in linear time, but when its DFA runs out of memory it
      // falls back to simulating the program: text length times program
      // size (a 250 KB alternation was reported at 23 s on 3 events). No
      // SigmaHQ or Hayabusa regex comes near the limit.
      if (compiled.ProgramSize() > k_max_regex_program)
        return fail("regex-too-large", "regular expression compiles to " + std::to_string(compiled.ProgramSize()) +
                                           " instructions, more than the limit of " +
                                           std::to_string(k_max_regex_program) + " (docs/limits.md)");
      m.k = matcher::kind::regex;
      m.re_atoms = regex_atoms(pattern, compiled.options());
      m.re = std::move(re);
      m.run = counted_any(v.text);
      m.run_dot_all = has(mod::re_s);
      return true;
    }
    if (has(mod::cidr)) {
      auto slash = v.text.find('/');
      ip_network net;
      std::string addr = slash == std::string::npos ? v.text : v.text.substr(0, slash);
      if (!parse_ip_address(addr, net)) return fail("invalid-cidr", "'" + v.text + "' is not an IPv4 or IPv6 network");
      // An IPv4-mapped v6 network is not accepted as a rule value.
      bool written_v6 = addr.find(':') != std::string::npos;
      if (written_v6 && net.v4) return fail("invalid-cidr", "'" + v.text + "': write IPv4 networks in dotted form");
      unsigned max_prefix = net.v4 ? 32 : 128;
      unsigned prefix = max_prefix;
      if (slash != std::string::npos) {
        auto p = parse_int64(v.text.substr(slash + 1));
        if (!p || *p < 0 || static_cast<unsigned>(*p) > max_prefix)
          return fail("invalid-cidr", "'" + v.text + "' has an invalid prefix length");
        prefix = static_cast<unsigned>(*p);
      }
      net.prefix = static_cast<std::uint8_t>(prefix);
      if (!bits_clear_after(net))
        return fail("invalid-cidr", "'" + v.text + "' has host bits set after the /" + std::to_string(prefix) + " prefix");
      m.k = matcher::kind::cidr;
      m.net = net;
      return true;
    }
    std::optional<time_part> tp;
    if (has(mod::minute)) tp = time_part::minute;
    if (has(mod::hour)) tp = time_part::hour;
    if (has(mod::day)) tp = time_part::day;
    if (has(mod::week)) tp = time_part::week;
    if (has(mod::month)) tp = time_part::month;
    if (has(mod::year)) tp = time_part::year;
    cmp_op op = cmp_op::eq;
    bool numeric = false;
    if (has(mod::gt)) op = cmp_op::gt, numeric = true;
    if (has(mod::gte)) op = cmp_op::gte, numeric = true;
    if (has(mod::lt)) op = cmp_op::lt, numeric = true;
    if (has(mod::lte)) op = cmp_op::lte, numeric = true;
    if (tp || numeric) {
      auto num = parse_number(v.text);
      if (!num || v.text.find("0x") != std::string::npos)
        return fail("invalid-value", "'" + v.text + "' is not a number (needed by the comparison modifier)");
      m.k = tp ? matcher::kind::timepart : matcher::kind::number;
      if (tp) m.part = *tp;
      m.op = op;
      m.number = *num;
      m.number_text = v.text;
      return true;
    }
    if (has(mod::fieldref)) {
      for (mod x : mods)
        if (x != mod::fieldref && x != mod::contains && x != mod::startswith && x != mod::endswith && x != mod::all &&
            x != mod::neq)
          return fail("modifier-combination", "'fieldref' can only be combined with contains/startswith/endswith");
      if (v.text.find_first_of("*?") != std::string::npos)
        return fail("invalid-value", "'fieldref' value must be a field name, without wildcards");
      m.k = matcher::kind::fieldref;
      m.ref = field_names().intern(v.text);
      bool c = has(mod::contains), s = has(mod::startswith), e = has(mod::endswith);
      m.ref_op = c ? string_op::contains : s ? string_op::prefix : e ? string_op::suffix : string_op::equals;
      return true;
    }
    bool string_mods = std::any_of(mods.begin(), mods.end(), [](mod x) { return x != mod::all && x != mod::neq; });
    if (!string_mods && !keyword) {
      if (type == scalar_type::boolean) {
        m.k = matcher::kind::boolean;
        m.flag = v.text[0] == 't' || v.text[0] == 'T';
        return true;
      }
      if (type == scalar_type::integer || type == scalar_type::floating) {
        m.k = matcher::kind::number;
        m.op = cmp_op::eq;
        m.number = *parse_number(v.text);
        m.number_text = v.text;
        if (m.number_text.front() == '+') m.number_text.erase(0, 1);
        return true;
      }
    }

    // String pipeline.
    std::vector<svalue> alts{parse_sigma_string(v.text, has(mod::expand))};
    bool cased = false;
    for (mod x : mods) {
      switch (x) {
        case mod::expand: {
          std::vector<svalue> next;
          for (const auto& a : alts) {
            std::vector<svalue> partial{svalue{}};
            for (const auto& t : a) {
              if (t.k != stok::kind::placeholder) {
                for (auto& p : partial) {
                  if (t.k == stok::kind::lit) push_lit(p, t.text);
                  else p.push_back(t);
                }
                continue;
              }
              auto it = opts.placeholders.values.find(t.text);
              if (it == opts.placeholders.values.end() || it->second.empty()) {
                if (opts.strict_placeholders) {
                  return fail("unresolved-placeholder", "placeholder '%" + t.text +
                                                            "%' has no value (give one with --placeholders FILE)");
                }
                if (std::find(unresolved.begin(), unresolved.end(), t.text) == unresolved.end())
                  unresolved.push_back(t.text);
                for (auto& p : partial) p.push_back({stok::kind::run, {}});
                continue;
              }
              std::vector<svalue> grown;
              for (const auto& p : partial)
                for (const auto& val : it->second) {
                  svalue g = p;
                  for (auto& pt : parse_sigma_string(val, false)) {
                    if (pt.k == stok::kind::lit) push_lit(g, pt.text);
                    else g.push_back(pt);
                  }
                  grown.push_back(std::move(g));
                }
              partial = std::move(grown);
            }
            for (auto& p : partial) next.push_back(std::move(p));
          }
          alts = std::move(next);
          break;
        }
        case mod::windash: {
          std::vector<svalue> next;
          for (const auto& a : alts)
            for (auto& e : expand_windash(a)) next.push_back(std::move(e));
          alts = std::move(next);
          break;
        }
        case mod::utf16le:
        case mod::utf16be:
        case mod::utf16:
          for (auto& a : alts) a = encode_utf16(a, x == mod::utf16be, x == mod::utf16);
          cased = true;  // raw bytes, not text: no case folding
          break;
        case mod::base64:
        case mod::base64offset: {
          std::vector<svalue> next;
          for (const auto& a : alts) {
            if (has_wildcards(a))
              return fail("invalid-value", "'" + std::string(x == mod::base64 ? "base64" : "base64offset") +
                                               "' cannot encode a value with wildcards");
            std::string bytes = literal_bytes(a);
            if (x == mod::base64) {
              next.push_back(svalue{{stok::kind::lit, base64_encode(bytes)}});
            } else {
              for (auto& enc : base64_offsets(bytes)) next.push_back(svalue{{stok::kind::lit, std::move(enc)}});
            }
          }
          alts = std::move(next);
          cased = true;  // Base64 text is case-significant [engine choice]
          break;
        }
        case mod::contains:
          for (auto& a : alts) {
            if (a.empty() || a.front().k != stok::kind::run) a.insert(a.begin(), {stok::kind::run, {}});
            if (a.back().k != stok::kind::run) a.push_back({stok::kind::run, {}});
          }
          break;
        case mod::startswith:
          for (auto& a : alts)
            if (a.empty() || a.back().k != stok::kind::run) a.push_back({stok::kind::run, {}});
          break;
        case mod::endswith:
          for (auto& a : alts)
            if (a.empty() || a.front().k != stok::kind::run) a.insert(a.begin(), {stok::kind::run, {}});
          break;
        case mod::cased: cased = true; break;
        case mod::all:
        case mod::neq: break;
        default:
          return fail("modifier-combination", "modifier cannot be used on a string value here");
      }
    }
    if (keyword) {
      // Keywords are substring searches over every value [engine choice].
      for (auto& a : alts) {
        if (a.empty() || a.front().k != stok::kind::run) a.insert(a.begin(), {stok::kind::run, {}});
        if (a.back().k != stok::kind::run) a.push_back({stok::kind::run, {}});
      }
    }
    m.k = matcher::kind::strings;
    for (const auto& a : alts) m.alternatives.push_back(lower(a, cased));
    return true;
  }
};

// ---------------------------------------------------------------------------
// Documents

std::string scalar_or_empty(const yaml::node* n) { return n && n->is_scalar() && !n->is_null() ? n->text : ""; }


bool read_logsource(const yaml::node* n, logsource& out, reporter& rep, std::uint32_t doc_line) {
  if (!n || !n->is_mapping()) {
    rep.error("missing-logsource", "rule has no 'logsource' mapping", n ? n->line : doc_line);
    return false;
  }
  out.product = to_lower_ascii(scalar_or_empty(n->find("product")));
  out.category = to_lower_ascii(scalar_or_empty(n->find("category")));
  out.service = to_lower_ascii(scalar_or_empty(n->find("service")));
  out.product_id = out.product.empty() ? 0 : intern_logsource_value(out.product);
  out.category_id = out.category.empty() ? 0 : intern_logsource_value(out.category);
  out.service_id = out.service.empty() ? 0 : intern_logsource_value(out.service);
  return true;
}

// Reads the search identifiers and condition of a `detection` (or `filter`)
// mapping. `skip` lists keys that are not search identifiers.
// A legacy aggregation: `<condition> | count([field]) [by group] <op> <n>`,
// with the detection's `timeframe`.
struct legacy_aggregation {
  std::string function;  // count, sum, avg, min, max
  std::string field;
  std::string group_by;
  cmp_op op = cmp_op::gt;
  double value = 0;
  std::string timeframe;
  std::uint32_t line = 0, column = 0;
};

// Parses the text after the pipe. False (with `why`) if it is not one we run.
bool parse_aggregation(std::string_view text, legacy_aggregation& out, std::string& why) {
  std::string_view t = trim(text);
  if (t.rfind("near", 0) == 0) {
    why = "'near' aggregations are not supported; write a temporal correlation rule instead";
    return false;
  }
  auto open = t.find('(');
  auto close = t.find(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    why = "cannot read aggregation '" + std::string(t) + "'";
    return false;
  }
  out.function = std::string(trim(t.substr(0, open)));
  out.field = std::string(trim(t.substr(open + 1, close - open - 1)));
  std::string_view rest = trim(t.substr(close + 1));
  if (rest.rfind("by ", 0) == 0) {
    rest = trim(rest.substr(3));
    auto sp = rest.find_first_of(" <>=!");
    out.group_by = std::string(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp));
  }
  static const std::pair<std::string_view, cmp_op> ops[] = {{">=", cmp_op::gte}, {"<=", cmp_op::lte}, {"==", cmp_op::eq},
                                                            {"!=", cmp_op::neq}, {">", cmp_op::gt},   {"<", cmp_op::lt},
                                                            {"=", cmp_op::eq}};
  bool found = false;
  for (const auto& [sym, op] : ops)
    if (rest.rfind(sym, 0) == 0) {
      out.op = op;
      rest = trim(rest.substr(sym.size()));
      found = true;
      break;
    }
  auto num = parse_number(rest);
  if (!found || !num) {
    why = "cannot read the comparison in aggregation '" + std::string(t) + "'";
    return false;
  }
  out.value = *num;
  if (out.function != "count" && out.function != "sum" && out.function != "avg") {
    why = "aggregation function '" + out.function + "' has no correlation equivalent (count, sum and avg do)";
    return false;
  }
  if (out.function != "count" && out.field.empty()) {
    why = "aggregation '" + out.function + "()' needs a field";
    return false;
  }
  return true;
}

bool read_detection(const yaml::node& det, std::initializer_list<std::string_view> skip, item_parser& items,
                    std::vector<search>& searches, condition_node& cond, reporter& rep,
                    std::optional<legacy_aggregation>* legacy = nullptr) {
  const yaml::node* cond_node = nullptr;
  for (std::size_t idx = 0; idx < det.map_size(); ++idx) {
    const auto& k = det.key(idx);
    const auto& v = det.val(idx);
    if (!k.is_scalar()) {
      rep.error("invalid-detection", "search identifier names must be scalars", k.line, k.column);
      return false;
    }
    if (k.text == "condition") {
      cond_node = &v;
      continue;
    }
    if (std::find(skip.begin(), skip.end(), k.text) != skip.end()) continue;
    if (k.text == "timeframe") {
      if (legacy) {
        if (!*legacy) legacy->emplace();
        (*legacy)->timeframe = v.text;
        (*legacy)->line = k.line;  // replaced by the condition's place if an aggregation follows
        (*legacy)->column = k.column;
      } else {
        rep.warn("legacy-timeframe", "'timeframe' inside detection is legacy and ignored", k.line, k.column);
      }
      continue;
    }
    search s;
    s.name = k.text;
    auto read_map = [&](const yaml::node& m, std::vector<detection_item>& out) {
      if (m.map_size() == 0) {
        rep.error("invalid-detection", "search identifier '" + k.text + "' has an empty mapping", m.line, m.column);
        return false;
      }
      for (std::size_t j = 0; j < m.map_size(); ++j) {
        if (!m.key(j).is_scalar()) {
          rep.error("invalid-detection", "field names must be scalars", m.key(j).line, m.key(j).column);
          return false;
        }
        detection_item item;
        if (!items.parse(m.key(j), m.val(j), item)) return false;
        out.push_back(std::move(item));
      }
      return true;
    };
    if (v.is_mapping()) {
      std::vector<detection_item> conj;
      if (!read_map(v, conj)) return false;
      s.alternatives.push_back(std::move(conj));
    } else if (v.is_sequence()) {
      yaml::node keywords;
      keywords.kind = yaml::node_kind::sequence;
      for (const auto& el : v.items) {
        if (el.is_mapping()) {
          std::vector<detection_item> conj;
          if (!read_map(el, conj)) return false;
          s.alternatives.push_back(std::move(conj));
        } else if (el.is_scalar()) {
          keywords.items.push_back(el);
        } else {
          rep.error("invalid-detection", "search identifier '" + k.text + "' holds a nested list", el.line, el.column);
          return false;
        }
      }
      if (!keywords.items.empty()) {
        yaml::node empty_key;
        empty_key.text = "";
        empty_key.line = k.line;
        empty_key.column = k.column;
        detection_item item;
        if (!items.parse(empty_key, keywords, item)) return false;
        s.alternatives.push_back({std::move(item)});
      }
      if (s.alternatives.empty()) {
        rep.error("invalid-detection", "search identifier '" + k.text + "' is an empty list", v.line, v.column);
        return false;
      }
    } else if (v.is_scalar() && !v.is_null()) {
      yaml::node empty_key;
      empty_key.line = k.line;
      empty_key.column = k.column;
      detection_item item;
      if (!items.parse(empty_key, v, item)) return false;
      s.alternatives.push_back({std::move(item)});
    } else {
      rep.error("invalid-detection", "search identifier '" + k.text + "' is empty", v.line, v.column);
      return false;
    }
    searches.push_back(std::move(s));
  }
  if (!cond_node) {
    rep.error("missing-condition", "detection has no 'condition'", det.line, det.column);
    return false;
  }
  std::vector<std::string> names;
  for (const auto& s : searches) names.push_back(s.name);
  std::vector<const yaml::node*> conds;
  if (cond_node->is_sequence()) {
    for (const auto& c : cond_node->items) conds.push_back(&c);
  } else {
    conds.push_back(cond_node);
  }
  if (conds.empty()) {
    rep.error("missing-condition", "condition list is empty", cond_node->line, cond_node->column);
    return false;
  }
  std::vector<condition_node> parsed;
  for (const yaml::node* c : conds) {
    if (!c->is_scalar() || c->is_null()) {
      rep.error("invalid-condition", "condition must be a string", c->line, c->column);
      return false;
    }
    std::string text = c->text;
    if (auto pipe = text.find('|'); legacy && pipe != std::string::npos && conds.size() == 1) {
      legacy_aggregation agg;
      if (*legacy) agg.timeframe = (*legacy)->timeframe;
      std::string why;
      if (!parse_aggregation(std::string_view(text).substr(pipe + 1), agg, why)) {
        rep.error("legacy-aggregation", why, c->line, c->column);
        return false;
      }
      agg.line = c->line;
      agg.column = c->column;
      *legacy = std::move(agg);
      text.resize(pipe);
    }
    auto tree = parse_condition(text, names);
    if (!tree) {
      // Column inside the condition text, mapped onto the YAML line when the
      // scalar is on one line and plain.
      std::uint32_t col = c->column;
      if (tree.error().where.column > 0 && c->style == yaml::scalar_style::plain)
        col = c->column + tree.error().where.column - 1;
      bool is_legacy = tree.error().code == errc::legacy;
      rep.error(is_legacy ? "legacy-aggregation" : "invalid-condition", tree.error().message, c->line, col);
      return false;
    }
    parsed.push_back(std::move(*tree));
  }
  if (parsed.size() == 1) {
    cond = std::move(parsed.front());
  } else {
    cond.k = condition_node::kind::op_or;
    cond.kids = std::move(parsed);
  }
  return true;
}

}  // namespace

namespace {

// "5m", "90s", "1h", "2d", "1w" (pySigma also accepts M and y).
bool parse_timespan(std::string_view text, std::int64_t& ns) {
  if (text.size() < 2) return false;
  auto n = parse_int64(text.substr(0, text.size() - 1));
  if (!n || *n <= 0) return false;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 604800; break;
    case 'M': unit = 2629746; break;
    case 'y': unit = 31556952; break;
    default: return false;
  }
  if (*n > INT64_MAX / 1000000000 / unit) return false;
  ns = *n * unit * 1000000000;
  return true;
}

// The metadata every rule document has. `what` names the kind of rule in
// the missing-id warning.
void read_header(const yaml::node& root, const yaml::document& doc, const std::string& path, rule_header& h,
                 reporter& rep, std::string_view what) {
  h.id = scalar_or_empty(root.find("id"));
  h.name = scalar_or_empty(root.find("name"));
  h.title = scalar_or_empty(root.find("title"));
  h.status = scalar_or_empty(root.find("status"));
  h.description = scalar_or_empty(root.find("description"));
  h.tags = yaml::scalar_list(root.find("tags"));
  h.path = path;
  h.line = doc.line;
  if (h.id.empty()) {
    h.id = "path:" + stable_id_hex(path + ":" + std::to_string(doc.line));
    rep.warn("missing-id", std::string(what) + " has no id; alerts use a hash of its path instead", doc.line);
  }
  if (const yaml::node* lv = root.find("level"); lv && !lv->is_null() && !parse_level(lv->text, h.lvl))
    rep.error("invalid-level", "unknown level '" + lv->text + "' (expected informational, low, medium, high or critical)",
              lv->line, lv->column);
}

bool read_correlation(const yaml::node& root, const yaml::document& doc, const std::string& path,
                      correlation_rule& c, reporter& rep) {
  const yaml::node& corr = *root.find("correlation");
  read_header(root, doc, path, c, rep, "correlation rule");
  if (!corr.is_mapping()) {
    rep.error("invalid-correlation", "'correlation' must be a mapping", corr.line, corr.column);
    return false;
  }
  // generate may sit inside the correlation section or beside it.
  const yaml::node* gen = corr.find("generate");
  if (!gen) gen = root.find("generate");
  if (gen && !gen->is_null()) {
    if (gen->text == "true") c.generate = true;
    else if (gen->text != "false") rep.error("invalid-correlation", "'generate' must be true or false", gen->line, gen->column);
  }
  static const std::pair<std::string_view, corr_type> types[] = {
      {"event_count", corr_type::event_count},   {"value_count", corr_type::value_count},
      {"temporal", corr_type::temporal},         {"temporal_ordered", corr_type::temporal_ordered},
      {"value_sum", corr_type::value_sum},       {"value_avg", corr_type::value_avg},
      {"value_percentile", corr_type::value_percentile}, {"value_median", corr_type::value_median}};
  const yaml::node* type = corr.find("type");
  bool type_ok = false;
  if (type && type->is_scalar())
    for (const auto& [n, t] : types)
      if (type->text == n) {
        c.type = t;
        type_ok = true;
      }
  if (!type_ok) {
    std::uint32_t l = type ? type->line : corr.line;
    rep.error("invalid-correlation-type",
              type ? "unknown correlation type '" + type->text + "'" : std::string("correlation has no 'type'"), l);
    return false;
  }
  c.rule_refs = yaml::scalar_list(corr.find("rules"));
  if (c.rule_refs.empty()) {
    rep.error("invalid-correlation", "correlation has no 'rules'", corr.line, corr.column);
    return false;
  }
  c.group_by = yaml::scalar_list(corr.find("group-by"));
  const yaml::node* ts = corr.find("timespan");
  if (!ts) ts = corr.find("timeframe");  // seen in older correlation drafts
  if (!ts || !ts->is_scalar() || !parse_timespan(ts->text, c.timespan_ns)) {
    rep.error("invalid-timespan",
              ts ? "timespan '" + ts->text + "' is not a positive number followed by s, m, h, d, w, M or y"
                 : std::string("correlation has no 'timespan'"),
              ts ? ts->line : corr.line, ts ? ts->column : 0);
    return false;
  }
  c.timespan_text = ts->text;
  if (const yaml::node* al = corr.find("aliases"); al && !al->is_null()) {
    if (!al->is_mapping()) {
      rep.error("invalid-correlation", "'aliases' must be a mapping", al->line, al->column);
      return false;
    }
    for (std::size_t k = 0; k < al->map_size(); ++k) {
      const auto& m = al->val(k);
      if (!m.is_mapping()) {
        rep.error("invalid-correlation", "alias '" + al->key(k).text + "' must map rule names to fields", m.line,
                  m.column);
        return false;
      }
      std::vector<std::pair<std::string, std::string>> per_rule;
      for (std::size_t j = 0; j < m.map_size(); ++j) per_rule.emplace_back(m.key(j).text, m.val(j).text);
      c.aliases.emplace_back(al->key(k).text, std::move(per_rule));
    }
  }
  const yaml::node* cond = corr.find("condition");
  const bool temporal = c.type == corr_type::temporal || c.type == corr_type::temporal_ordered;
  if (!cond || cond->is_null()) {
    if (!temporal) {
      rep.error("invalid-correlation", "correlation has no 'condition'", corr.line, corr.column);
      return false;
    }
    c.condition.push_back({cmp_op::gte, static_cast<double>(c.rule_refs.size())});  // all rules
  } else if (!cond->is_mapping()) {
    rep.error("invalid-correlation", "'condition' must be a mapping of gt/gte/lt/lte/eq/neq, field and percentile",
              cond->line, cond->column);
    return false;
  } else {
    static const std::pair<std::string_view, cmp_op> ops[] = {{"gt", cmp_op::gt}, {"gte", cmp_op::gte},
                                                              {"lt", cmp_op::lt}, {"lte", cmp_op::lte},
                                                              {"eq", cmp_op::eq}, {"neq", cmp_op::neq}};
    for (std::size_t k = 0; k < cond->map_size(); ++k) {
      const auto& key = cond->key(k);
      const auto& val = cond->val(k);
      if (key.text == "field") {
        if (val.is_sequence() && !val.items.empty()) c.field = val.items.front().text;
        else c.field = val.text;
        continue;
      }
      if (key.text == "percentile") {
        auto p = parse_number(val.text);
        if (!p || *p <= 0 || *p > 100) {
          rep.error("invalid-correlation", "percentile must be a number in (0, 100]", val.line, val.column);
          return false;
        }
        c.percentile = *p;
        continue;
      }
      bool known = false;
      for (const auto& [n, op] : ops)
        if (key.text == n) {
          auto num = parse_number(val.text);
          if (!num) {
            rep.error("invalid-correlation", "'" + key.text + ": " + val.text + "' is not a number", val.line, val.column);
            return false;
          }
          c.condition.push_back({op, *num});
          known = true;
        }
      if (!known) {
        rep.error("invalid-correlation", "unknown condition key '" + key.text + "' (gt, gte, lt, lte, eq, neq, field, percentile)",
                  key.line, key.column);
        return false;
      }
    }
    if (c.condition.empty()) {
      if (!temporal) {
        rep.error("invalid-correlation", "condition has no comparison (gt, gte, lt, lte, eq or neq)", cond->line,
                  cond->column);
        return false;
      }
      c.condition.push_back({cmp_op::gte, static_cast<double>(c.rule_refs.size())});
    }
  }
  const bool needs_field = c.type == corr_type::value_count || c.type == corr_type::value_sum ||
                           c.type == corr_type::value_avg || c.type == corr_type::value_percentile ||
                           c.type == corr_type::value_median;
  if (needs_field && c.field.empty()) {
    rep.error("invalid-correlation", std::string(corr_type_name(c.type)) + " needs 'field' in its condition", corr.line,
              corr.column);
    return false;
  }
  if (c.type == corr_type::value_percentile && (!cond || !cond->find("percentile")))
    rep.warn("default-percentile", "value_percentile without 'percentile': the 50th (median) is used", corr.line);
  if (c.type == corr_type::value_median) c.percentile = 50;
  return true;
}

}  // namespace

std::unique_ptr<const re2::RE2> compile_regex(const std::string& pattern) {
  RE2::Options ro;
  ro.set_log_errors(false);
  ro.set_max_mem(64 << 20);
  return std::make_unique<const RE2>(pattern, ro);
}

read_result read_document(const yaml::document& doc, const std::string& path, const load_options& opts,
                          std::vector<diagnostic>& diags) {
  read_result out;
  reporter rep(diags, path);
  const yaml::node& root = doc.root;
  if (!root.is_mapping()) {
    if (root.is_null()) return out;  // empty document
    rep.error("invalid-document", "a Sigma document must be a mapping", root.line, root.column);
    out.failed = true;
    return out;
  }
  std::string id = scalar_or_empty(root.find("id"));
  std::string title = scalar_or_empty(root.find("title"));
  rep.set_rule(id, title);

  if (root.find("correlation")) {
    out.kind = doc_kind::correlation;
    correlation_rule c;
    if (!read_correlation(root, doc, path, c, rep) || rep.failed) {
      out.failed = true;
      return out;
    }
    out.correlation = std::move(c);
    return out;
  }
  item_parser items{rep, opts, {}};

  if (const yaml::node* f = root.find("filter")) {
    out.kind = doc_kind::filter;
    filter_rule fr;
    fr.id = id;
    fr.title = title;
    fr.path = path;
    fr.line = doc.line;
    if (!f->is_mapping()) {
      rep.error("invalid-filter", "'filter' must be a mapping", f->line, f->column);
      out.failed = true;
      return out;
    }
    if (!read_logsource(root.find("logsource"), fr.source, rep, doc.line)) {
      out.failed = true;
      return out;
    }
    const yaml::node* rules = f->find("rules");
    if (!rules || (rules->is_scalar() && rules->text == "any") || (rules->is_sequence() && rules->items.empty())) {
      fr.any_rule = true;
    } else {
      fr.rule_refs = yaml::scalar_list(rules);
    }
    if (!read_detection(*f, {"rules"}, items, fr.searches, fr.condition, rep)) {
      out.failed = true;
      return out;
    }
    out.filter = std::move(fr);
    return out;
  }

  const yaml::node* det = root.find("detection");
  if (!det) {
    if (root.find("action")) {
      rep.error("legacy-action", "legacy 'action: global' documents are not supported", root.line, root.column);
    } else {
      rep.error("missing-detection", "document has no 'detection', 'correlation' or 'filter' section", root.line,
                root.column);
    }
    out.failed = true;
    return out;
  }
  out.kind = doc_kind::detection;
  rule r;
  if (title.empty()) rep.warn("missing-title", "rule has no title", doc.line);
  read_header(root, doc, path, r, rep, "rule");
  r.author = scalar_or_empty(root.find("author"));
  r.references = yaml::scalar_list(root.find("references"));
  r.falsepositives = yaml::scalar_list(root.find("falsepositives"));
  if (!read_logsource(root.find("logsource"), r.source, rep, doc.line) || rep.failed) {
    out.failed = true;
    return out;
  }
  if (!det->is_mapping()) {
    rep.error("invalid-detection", "'detection' must be a mapping", det->line, det->column);
    out.failed = true;
    return out;
  }
  std::optional<legacy_aggregation> agg;
  if (!read_detection(*det, {}, items, r.searches, r.condition, rep, &agg)) {
    out.failed = true;
    return out;
  }
  if (agg && agg->function.empty() && !agg->timeframe.empty())
    rep.warn("legacy-timeframe", "'timeframe' inside detection without an aggregation is legacy and ignored",
             agg->line, agg->column);
  if (agg && !agg->function.empty()) {
    // Legacy `| count() by X > N`: the rule becomes a base rule (its hits feed
    // the correlation only) and an equivalent correlation with the rule's id.
    correlation_rule c;
    static_cast<rule_header&>(c) = r;  // the correlation keeps the rule's id, title, level ...
    c.name.clear();
    c.legacy = true;
    if (agg->function == "count") c.type = agg->field.empty() ? corr_type::event_count : corr_type::value_count;
    else if (agg->function == "sum") c.type = corr_type::value_sum;
    else c.type = corr_type::value_avg;
    c.field = agg->field;
    if (!agg->group_by.empty()) c.group_by.push_back(agg->group_by);
    c.condition.push_back({agg->op, agg->value});
    if (agg->timeframe.empty()) {
      // Legacy Sigma counted over the whole search without a timeframe.
      c.timespan_ns = std::int64_t{200} * 31556952 * 1000000000;
      agg->timeframe = "200y";
      rep.warn("legacy-aggregation", "aggregation without 'timeframe': counted over the whole input", agg->line,
               agg->column);
    } else if (!parse_timespan(agg->timeframe, c.timespan_ns)) {
      rep.error("legacy-aggregation", "timeframe '" + agg->timeframe + "' is not a number followed by s, m, h or d",
                agg->line, agg->column);
      out.failed = true;
      return out;
    }
    c.timespan_text = agg->timeframe;
    r.id += "/base";
    r.name = "legacy-base:" + c.id;
    c.rule_refs.push_back(r.id);
    rep.warn("legacy-aggregation", "legacy aggregation read as a " + std::string(corr_type_name(c.type)) +
                                       " correlation rule", agg->line, agg->column);
    out.correlation = std::move(c);
  }
  for (const auto& name : items.unresolved)
    rep.warn("unresolved-placeholder",
             "placeholder '%" + name + "%' has no value and matches anything ('*'); set it with --placeholders FILE",
             det->line, det->column);
  out.detection = std::move(r);
  return out;
}

}  // namespace ariadne::sigma::detail
