// Literal prefilter (see prefilter.hpp for what it may and may not drop).
#include "ariadne/match/prefilter.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "ariadne/core/unicode.hpp"
#include "literals.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ariadne::match {

namespace {

// `s` as it appears inside a JSON string, lower-cased; nullopt unless it is
// printable ASCII (other bytes may be spelled many ways).
std::optional<std::string> json_literal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return std::nullopt;
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return out;
}

// A digit (or '.') then e/E then a digit or sign: a number in exponent
// notation may be in the record.
bool exponent_like_scalar(const unsigned char* p, std::size_t from, std::size_t n) {
  for (std::size_t k = std::max<std::size_t>(from, 1); k + 1 < n; ++k) {
    unsigned prev = p[k - 1], c = p[k] | 0x20u, next = p[k + 1];
    if ((prev - '0' < 10u || prev == '.') && c == 'e' && (next - '0' < 10u || next == '+' || next == '-')) return true;
  }
  return false;
}

#if defined(__SSE2__)
inline __m128i in_range(__m128i v, char lo, char hi) {
  // lo <= v <= hi for ASCII bytes (signed compares are fine below 0x80)
  return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
}
#endif

bool exponent_like(std::string_view raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t k = 1;
#if defined(__SSE2__)
  for (; k + 17 <= n; k += 16) {
    __m128i prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k - 1));
    __m128i cur = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k)), _mm_set1_epi8(0x20));
    __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k + 1));
    __m128i before = _mm_or_si128(in_range(prev, '0', '9'), _mm_cmpeq_epi8(prev, _mm_set1_epi8('.')));
    __m128i is_e = _mm_cmpeq_epi8(cur, _mm_set1_epi8('e'));
    __m128i after = _mm_or_si128(in_range(next, '0', '9'),
                                 _mm_or_si128(_mm_cmpeq_epi8(next, _mm_set1_epi8('+')),
                                              _mm_cmpeq_epi8(next, _mm_set1_epi8('-'))));
    if (_mm_movemask_epi8(_mm_and_si128(before, _mm_and_si128(is_e, after)))) return true;
  }
#endif
  return exponent_like_scalar(p, k, n);
}

// What a scan of one record found; vectorscan stops at the first reason
// to keep it.
struct scan_state {
  const char* p;
  std::uint32_t escapes;  // ids from here on are escape starts (a backslash, then 'u' or '/')
  bool keep = false;
};

// Ids below `escapes` are literals. An escape start is an escape when its
// backslash ends an odd run of them: in JSON every backslash starts a pair,
// so two backslashes and a 'u' are an escaped backslash, then a 'u'.
int on_match(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/, void* ctx) {
  auto& st = *static_cast<scan_state*>(ctx);
  if (id < st.escapes) {
    st.keep = true;
    return 1;
  }
  std::size_t run = 0;
  for (std::size_t at = static_cast<std::size_t>(to) - 1; at-- > 0 && st.p[at] == '\\';) ++run;
  if (run % 2 == 1) {
    st.keep = true;
    return 1;
  }
  return 0;
}

std::atomic<std::uint64_t> next_serial{1};

}  // namespace

prefilter::prefilter(const std::vector<sigma::rule>& rules) {
  if (rules.empty()) {
    why_ = "no rules";
    return;
  }
  std::vector<std::string> all;
  for (const auto& r : rules) {
    auto s = detail::required_literals(r, {json_literal, true});
    if (!s) {
      why_ = "rule '" + r.title + "' (" + r.id + ") has no literal that every match contains";
      return;
    }
    for (auto& l : *s) {
      number_literals_ |= l.number;
      all.push_back(std::move(l.text));
    }
  }
  // A literal containing a shorter one is redundant. Shortest first, each is
  // checked against those kept so far (a shorter literal that was itself
  // dropped contains a kept one), so the work is bounded by the cap.
  std::sort(all.begin(), all.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<const std::string*> kept;
  for (const auto& l : all) {
    bool covered = std::any_of(kept.begin(), kept.end(), [&](const std::string* o) { return l.find(*o) != std::string::npos; });
    if (covered) continue;
    if (kept.size() == k_max_literals) {
      why_ = "more than " + std::to_string(k_max_literals) + " literals";
      return;
    }
    kept.push_back(&l);
  }
  for (const std::string* l : kept) literals_.push_back(*l);
  // One database: the literals (caseless, each reported once) and the two
  // escape starts (every place, case kept).
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags, ids;
  auto add = [&](const std::string& text, unsigned f) {
    exprs.push_back(text.data());
    lens.push_back(text.size());
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(ids.size()));
  };
  static const std::string k_escape_u = "\\u", k_escape_slash = "\\/";
  for (const auto& l : literals_) add(l, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
  add(k_escape_u, 0);
  add(k_escape_slash, 0);
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(exprs.size()),
                           HS_MODE_BLOCK, nullptr, &db_, &err) != HS_SUCCESS) {
    why_ = std::string("vectorscan could not compile the literals: ") + (err && err->message ? err->message : "?");
    if (err) hs_free_compile_error(err);
    db_ = nullptr;
    literals_.clear();
    return;
  }
  serial_ = next_serial.fetch_add(1);
  active_ = true;
}

prefilter::~prefilter() {
  if (db_) hs_free_database(db_);
}

bool prefilter::keep(std::string_view raw) const {
  if (!active_) return true;
  // Each thread's scratch, grown for the newest prefilter it scanned with.
  struct scratch {
    std::uint64_t serial = 0;
    ::hs_scratch* s = nullptr;
    ~scratch() {
      if (s) hs_free_scratch(s);
    }
  };
  thread_local scratch local;
  if (local.serial != serial_) {
    if (hs_alloc_scratch(db_, &local.s) != HS_SUCCESS) return true;
    local.serial = serial_;
  }
  if (raw.size() > UINT32_MAX - detail::k_scan_pad) return true;
  // A copy with NUL bytes after it (detail::k_scan_pad); NUL is in no
  // literal and in no escape start.
  thread_local std::string padded;
  padded.assign(raw);
  padded.append(detail::k_scan_pad, '\0');
  scan_state st{padded.data(), static_cast<std::uint32_t>(literals_.size())};
  if (hs_scan(db_, padded.data(), static_cast<unsigned>(padded.size()), 0, local.s, on_match, &st) ==
          HS_SCAN_TERMINATED ||
      st.keep)
    return true;
  if (!is_ascii(raw)) return true;  // non-ASCII: may fold differently
  return number_literals_ && exponent_like(raw);
}

}  // namespace ariadne::match
