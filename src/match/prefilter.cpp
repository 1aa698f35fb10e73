// Literal prefilter (see prefilter.hpp for what it may and may not drop).
#include "ariadne/match/prefilter.hpp"

#include "literals.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

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

// Substring search: candidates where the needle's first and last bytes sit
// at the right distance, checked 16 positions at a time, then compared.
bool contains(const char* h, std::size_t n, const std::string& needle) {
  const std::size_t m = needle.size();
  if (m == 0) return true;
  if (m > n) return false;
  std::size_t k = 0;
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(needle[0]);
  const __m128i last = _mm_set1_epi8(needle[m - 1]);
  for (; k + m - 1 + 16 <= n; k += 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + k));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + k + m - 1));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    while (mask) {
      unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (std::memcmp(h + k + bit + 1, needle.data() + 1, m - 1) == 0) return true;
      mask &= mask - 1;
    }
  }
#endif
  return memmem(h + k, n - k, needle.data(), m) != nullptr;
}

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
  for (const std::string* l : kept) {
    bool letters = std::any_of(l->begin(), l->end(), [](char c) { return c >= 'a' && c <= 'z'; });
    (letters ? lettered_ : plain_).push_back(*l);
  }
  active_ = true;
}

bool prefilter::keep(std::string_view raw) const {
  if (!active_) return true;
  const char* p = raw.data();
  const std::size_t n = raw.size();
  // A \u or \/ escape may spell a value differently from its text: keep.
  // (Every backslash in JSON starts an escape pair, so pairs are skipped.)
  for (std::size_t i = 0; i < n;) {
    const void* b = std::memchr(p + i, '\\', n - i);
    if (!b) break;
    std::size_t j = static_cast<std::size_t>(static_cast<const char*>(b) - p);
    if (j + 1 < n && (p[j + 1] == 'u' || p[j + 1] == '/')) return true;
    i = j + 2;
  }
  for (const auto& l : plain_)  // no letters: case does not matter
    if (contains(p, n, l)) return true;
  if (!lettered_.empty()) {
    thread_local std::string lower;
    lower.resize(n);
    unsigned char high = 0;
    for (std::size_t k = 0; k < n; ++k) {  // branch-free, vectorised
      auto c = static_cast<unsigned char>(p[k]);
      high |= c;
      lower[k] = static_cast<char>(c | ((static_cast<unsigned>(c - 'A') < 26u) << 5));
    }
    if (high & 0x80) return true;  // non-ASCII: may fold differently
    for (const auto& l : lettered_)
      if (contains(lower.data(), n, l)) return true;
  }
  return number_literals_ && exponent_like(raw);
}

}  // namespace ariadne::match
