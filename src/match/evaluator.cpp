#include "ariadne/match/evaluator.hpp"

#include <re2/re2.h>

#include <cmath>

#include "ariadne/core/text.hpp"
#include "ariadne/core/time.hpp"
#include "ariadne/core/unicode.hpp"

namespace ariadne::match {

using sigma::cmp_op;
using sigma::glob_token;
using sigma::matcher;
using sigma::string_op;

void reference_evaluator::reset(const event_batch& batch, const event& ev) {
  batch_ = &batch;
  ev_ = &ev;
  fields_ = batch.fields(ev);
  folded_.resize(fields_.size());
  text_.resize(fields_.size());
  have_folded_.assign(fields_.size(), 0);
  have_text_.assign(fields_.size(), 0);
  ascii_.assign(fields_.size(), 0);
  spans_.reset(fields_);
}

std::optional<bool> reference_evaluator::long_run(std::string_view s, std::uint32_t n, bool dot_all) {
  std::uint32_t run = 0;
  bool found = false;
  for (std::size_t pos = 0; pos < s.size();) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {  // ASCII: no decoding
      if (s[pos] == '\n' && !dot_all) run = 0;
      else if (++run >= n) found = true;
      ++pos;
      continue;
    }
    bool valid = false;
    (void)decode_utf8(s, pos, &valid);
    if (!valid) return std::nullopt;  // RE2's reading of invalid bytes is its own
    if (++run >= n) found = true;
  }
  return found;
}

bool reference_evaluator::matches(const sigma::rule& r) {
  search_memo_.assign(r.searches.size(), -1);
  return eval(r, r.condition);
}

bool reference_evaluator::eval(const sigma::rule& r, const sigma::condition_node& n) {
  using K = sigma::condition_node::kind;
  switch (n.k) {
    case K::constant: return n.constant;
    case K::search_ref: {
      auto& memo = search_memo_[n.search_idx];
      if (memo < 0) memo = eval_search(r.searches[n.search_idx]) ? 1 : 0;
      return memo == 1;
    }
    case K::op_not: return !eval(r, n.kids[0]);
    case K::op_and:
      for (const auto& k : n.kids)
        if (!eval(r, k)) return false;
      return true;
    case K::op_or:
      for (const auto& k : n.kids)
        if (eval(r, k)) return true;
      return false;
  }
  return false;
}

namespace {
// An item that runs a regex: the dearest test, left for last in its
// conjunction (an AND of pure tests holds in any order).
bool runs_regex(const sigma::detection_item& item) {
  for (const auto& m : item.values)
    if (m.k == matcher::kind::regex) return true;
  return false;
}
}  // namespace

bool reference_evaluator::eval_search(const sigma::search& s) {
  for (const auto& conj : s.alternatives) {
    bool all = true, deferred = false;
    for (const auto& item : conj) {
      if (conj.size() > 1 && runs_regex(item)) {
        deferred = true;
        continue;
      }
      if (!eval_item(item)) {
        all = false;
        break;
      }
    }
    if (all && deferred)
      for (const auto& item : conj)
        if (runs_regex(item) && !eval_item(item)) {
          all = false;
          break;
        }
    if (all) return true;
  }
  return false;
}

bool reference_evaluator::eval_item(const sigma::detection_item& item) {
  // The item's field is looked up once for all its values.
  bool present = false, any_null = false;
  std::uint32_t first = 0, last = 0;  // the field's values lie in [first, last]
  if (const field_spans::span* sp = item.field == k_no_field ? nullptr : spans_.find(item.field)) {
    present = true;
    first = sp->first;
    last = sp->last;
    any_null = sp->any_null;
  }
  auto holds = [&](const matcher& m) {
    if (item.field == k_no_field) return keyword_match(m);
    if (m.k == matcher::kind::exists) return present == m.flag;
    if (m.k == matcher::kind::null) return !present || any_null;
    if (!present) return false;
    for (std::uint32_t idx = first; idx <= last; ++idx)
      if (fields_[idx].id == item.field && match_value(m, idx)) return true;
    return false;
  };
  bool result = item.all;
  for (const auto& m : item.values) {
    bool r = holds(m);
    if (item.all && !r) {
      result = false;
      break;
    }
    if (!item.all && r) {
      result = true;
      break;
    }
  }
  return item.negate ? !result : result;
}

bool reference_evaluator::keyword_match(const matcher& m) {
  // Keywords look at every non-null value of the event [engine choice].
  for (std::uint32_t idx = 0; idx < fields_.size(); ++idx) {
    if (fields_[idx].val.kind == value_kind::null) continue;
    if (match_value(m, idx)) return true;
  }
  return false;
}

std::string_view reference_evaluator::raw_text(std::uint32_t idx) {
  const value& v = fields_[idx].val;
  if (v.kind == value_kind::string) return v.text;
  if (!have_text_[idx]) {
    std::string scratch;
    text_[idx] = std::string(value_text(v, scratch));
    have_text_[idx] = 1;
  }
  return text_[idx];
}

std::string_view reference_evaluator::folded(std::uint32_t idx) {
  if (!have_folded_[idx]) {
    folded_[idx].clear();
    fold_case_append(raw_text(idx), folded_[idx]);
    have_folded_[idx] = 1;
  }
  return folded_[idx];
}

bool reference_evaluator::ascii(std::uint32_t idx) {
  if (ascii_[idx] == 0) ascii_[idx] = value_text_is_ascii(fields_[idx].val) ? 1 : 2;
  return ascii_[idx] == 1;
}

bool numeric_value(const value& v, double& out) {
  switch (v.kind) {
    case value_kind::integer: out = static_cast<double>(v.integer); return true;
    case value_kind::floating: out = v.floating; return true;
    case value_kind::string: {
      // Decimal text only (hex is text, not a number, here).
      std::string_view s = trim(v.text);
      if (s.empty() || s.find_first_of("xX") != std::string_view::npos) return false;
      auto d = parse_number(s);
      if (!d) return false;
      out = *d;
      return true;
    }
    default: return false;
  }
}

namespace {

// One of the fixed string operations (not glob) on an already-folded subject.
bool compare_op(string_op op, std::string_view subject, std::string_view needle) {
  switch (op) {
    case string_op::any: return true;
    case string_op::equals: return subject == needle;
    case string_op::prefix: return subject.substr(0, needle.size()) == needle;
    case string_op::suffix:
      return subject.size() >= needle.size() && subject.substr(subject.size() - needle.size()) == needle;
    case string_op::contains: return subject.find(needle) != std::string_view::npos;
    case string_op::glob: break;
  }
  return false;
}

// `a` equals the folded `b` (of its length) when `a` is ASCII: compared in
// ASCII lower case, without a folded copy.
bool equals_lowered(std::string_view a, std::string_view b) {
  for (std::size_t k = 0; k < a.size(); ++k) {
    auto c = static_cast<unsigned char>(a[k]);
    if (static_cast<char>(c + ((static_cast<unsigned>(c - 'A') < 26u) << 5)) != b[k]) return false;
  }
  return true;
}

// equals/prefix/suffix of an ASCII subject against a folded needle.
bool compare_ascii_subject(string_op op, std::string_view subject, std::string_view needle) {
  if (needle.size() > subject.size()) return false;
  switch (op) {
    case string_op::equals: return subject.size() == needle.size() && equals_lowered(subject, needle);
    case string_op::prefix: return equals_lowered(subject.substr(0, needle.size()), needle);
    case string_op::suffix: return equals_lowered(subject.substr(subject.size() - needle.size()), needle);
    default: return false;
  }
}

bool test_subject(const sigma::string_test& t, std::string_view subject) {
  if (t.op == string_op::glob) return reference_evaluator::glob_match(t.tokens, subject);
  return compare_op(t.op, subject, t.needle);
}

bool ip_in(const sigma::ip_network& net, std::string_view text) {
  sigma::ip_network ip;
  if (!sigma::parse_ip_address(text, ip) || ip.v4 != net.v4) return false;
  const auto& addr = ip.addr;
  for (unsigned bit = 0; bit < net.prefix; ++bit) {
    std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    if ((addr[bit / 8] & mask) != (net.addr[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<std::int64_t> time_part_of(std::string_view text, sigma::time_part part) {
  auto t = parse_timestamp(text);
  if (!t) return std::nullopt;
  std::int64_t secs = *t / 1000000000LL;
  if (*t < 0 && *t % 1000000000LL) --secs;
  civil_time c = civil_from_seconds(secs);
  std::int64_t days = secs / 86400 - (secs % 86400 < 0 ? 1 : 0);
  std::int64_t y = c.year;
  switch (part) {
    case sigma::time_part::minute: return c.minute;
    case sigma::time_part::hour: return c.hour;
    case sigma::time_part::day: return c.day;
    case sigma::time_part::month: return c.month;
    case sigma::time_part::year: return c.year;
    case sigma::time_part::week: {
      // ISO 8601 week number.
      std::int64_t wday = (days + 3) % 7;  // Monday = 0
      if (wday < 0) wday += 7;
      std::int64_t thursday = days - wday + 3;
      std::int64_t jan1 = days_from_civil(y, 1, 1);
      std::int64_t ty = y;
      if (thursday < jan1) {
        ty = y - 1;
      } else if (thursday >= days_from_civil(y + 1, 1, 1)) {
        ty = y + 1;
      }
      return (thursday - days_from_civil(ty, 1, 1)) / 7 + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

bool reference_evaluator::match_value(const matcher& m, std::uint32_t idx) {
  const value& v = fields_[idx].val;
  switch (m.k) {
    case matcher::kind::strings: {
      if (v.kind == value_kind::null) return false;
      const std::uint32_t* ids = oracle_ ? oracle_->needles(m) : nullptr;
      for (std::size_t k = 0; k < m.alternatives.size(); ++k) {
        const auto& alt = m.alternatives[k];
        if (alt.op == string_op::any) return true;  // any text (its folded copy is not needed)
        if (ids && ids[k] != needle_oracle::k_none) {
          int o = oracle_->occurs(ids[k], idx);
          if (o == 0) continue;
          if (o == 1 && alt.op == string_op::contains) return true;
        }
        // An ASCII text (and its folded copy, ASCII too) holds no needle with
        // a byte outside ASCII (needles are folded at load): no search.
        if (alt.op != string_op::glob && ascii(idx) && !is_ascii(alt.needle)) continue;
        if (alt.cased) {
          if (test_subject(alt, raw_text(idx))) return true;
        } else if ((alt.op == string_op::equals || alt.op == string_op::prefix || alt.op == string_op::suffix) &&
                   ascii(idx)) {
          if (compare_ascii_subject(alt.op, raw_text(idx), alt.needle)) return true;
        } else if (test_subject(alt, folded(idx))) {
          return true;
        }
      }
      return false;
    }
    case matcher::kind::regex: {
      if (v.kind == value_kind::null) return false;
      std::string_view s = raw_text(idx);
      if (m.run) {
        if (s.size() < m.run) return false;  // a character is a byte or more
        if (auto r = long_run(s, m.run, m.run_dot_all)) return *r;
      }
      return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), m.re->get());
    }
    case matcher::kind::cidr:
      if (v.kind != value_kind::string) return false;
      return ip_in(m.net, v.text);
    case matcher::kind::number: {
      double x = 0;
      if (numeric_value(v, x)) return compare(x, m.op, m.number);
      if (m.op == cmp_op::eq && v.kind == value_kind::string) return iequals_ascii(trim(v.text), m.number_text);
      return false;
    }
    case matcher::kind::boolean:
      if (v.kind == value_kind::boolean) return v.boolean == m.flag;
      if (v.kind == value_kind::string) return iequals_ascii(trim(v.text), m.flag ? "true" : "false");
      return false;
    case matcher::kind::fieldref: {
      if (v.kind == value_kind::null) return false;
      std::string_view a = folded(idx);
      for (std::uint32_t other = 0; other < fields_.size(); ++other) {
        if (fields_[other].id != m.ref || fields_[other].val.kind == value_kind::null) continue;
        if (compare_op(m.ref_op, a, folded(other))) return true;
      }
      return false;
    }
    case matcher::kind::timepart: {
      if (v.kind != value_kind::string) return false;
      auto part = time_part_of(v.text, m.part);
      return part && compare(static_cast<double>(*part), m.op, m.number);
    }
    case matcher::kind::null:
    case matcher::kind::exists: return false;  // handled per item
  }
  return false;
}

// Glob over bytes where '?' consumes one UTF-8 code point. Backtracks only to
// the most recent '*', which is enough for '*'/'?' patterns (no classes).
bool reference_evaluator::glob_match(const std::vector<glob_token>& toks, std::string_view s) {
  std::size_t ti = 0, off = 0;  // token index, offset inside a literal token
  std::size_t si = 0;
  std::size_t star_ti = SIZE_MAX, star_si = 0;
  while (si < s.size()) {
    if (ti < toks.size()) {
      const auto& t = toks[ti];
      if (t.k == glob_token::kind::any_run) {
        star_ti = ti++;
        off = 0;
        star_si = si;
        continue;
      }
      if (t.k == glob_token::kind::any_one) {
        si += utf8_sequence_length(s, si);
        ++ti;
        continue;
      }
      if (t.text[off] == s[si]) {
        ++si;
        if (++off == t.text.size()) {
          ++ti;
          off = 0;
        }
        continue;
      }
    }
    if (star_ti == SIZE_MAX) return false;
    ti = star_ti + 1;
    off = 0;
    star_si += utf8_sequence_length(s, star_si);
    si = star_si;
  }
  if (off != 0) return false;
  while (ti < toks.size() && toks[ti].k == glob_token::kind::any_run) ++ti;
  return ti == toks.size();
}

}  // namespace ariadne::match
