#include "ariadne/core/time.hpp"

#include <cstdio>

#include "ariadne/core/text.hpp"

namespace ariadne {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm (public domain).
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<time_ns> parse_timestamp(std::string_view text) {
  text = trim(text);
  if (auto ms = parse_int64(text)) {
    // Epoch milliseconds, 1973..2255 (beyond that, nanoseconds overflow 64 bits).
    if (*ms > 100000000000LL && *ms < 9000000000000LL) return *ms * 1000000;
    return std::nullopt;
  }
  int year, mon, day, hh, mm, ss;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, mon) ||
      text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != ' ') ||
      !digits(text, 11, 2, hh) || text[13] != ':' || !digits(text, 14, 2, mm) || text[16] != ':' ||
      !digits(text, 17, 2, ss))
    return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    std::int64_t scale = 100000000;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale > 0) frac_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (pos < text.size()) {
    char z = text[pos];
    if (z == 'Z' || z == 'z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      int oh, om = 0;
      if (!digits(text, pos + 1, 2, oh)) return std::nullopt;
      std::size_t next = pos + 3;
      if (next < text.size() && text[next] == ':') ++next;
      if (next < text.size()) {
        if (!digits(text, next, 2, om)) return std::nullopt;
        next += 2;
      }
      offset_s = (oh * 3600 + om * 60) * (z == '+' ? 1 : -1);
      pos = next;
    } else if (z == ' ' && trim(text.substr(pos)) == "UTC") {
      pos = text.size();
    }
  }
  if (pos != text.size()) return std::nullopt;
  std::int64_t days = days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  // Nanoseconds since 1970 in 64 bits cover 1677-09-21 .. 2262-04-11.
  constexpr std::int64_t k_max_secs = INT64_MAX / 1000000000LL - 1;
  if (secs > k_max_secs || secs < -k_max_secs) return std::nullopt;
  return secs * 1000000000LL + frac_ns;
}

civil_time civil_from_seconds(std::int64_t secs) {
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  civil_time c;
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = static_cast<unsigned>(rem / 3600);
  c.minute = static_cast<unsigned>((rem / 60) % 60);
  c.second = static_cast<unsigned>(rem % 60);
  return c;
}

std::string format_rfc3339(time_ns t) {
  if (t == k_no_time) return {};
  std::int64_t secs = t / 1000000000LL;
  std::int64_t ns = t % 1000000000LL;
  if (ns < 0) {
    ns += 1000000000LL;
    --secs;
  }
  civil_time c = civil_from_seconds(secs);
  if (c.year < 0 || c.year > 9999) {  // rare: the general format
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lldZ", static_cast<long long>(c.year), c.month,
                  c.day, c.hour, c.minute, c.second, static_cast<long long>(ns));
    return buf;
  }
  // Digits written in place: every alert is stamped, and snprintf is slow.
  std::string out = "0000-00-00T00:00:00.000000000Z";
  auto put = [&out](std::size_t end, std::uint64_t v, int digits) {
    for (int k = 0; k < digits; ++k, v /= 10) out[end - static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
  };
  put(3, static_cast<std::uint64_t>(c.year), 4);
  put(6, c.month, 2);
  put(9, c.day, 2);
  put(12, c.hour, 2);
  put(15, c.minute, 2);
  put(18, c.second, 2);
  put(28, static_cast<std::uint64_t>(ns), 9);
  return out;
}

}  // namespace ariadne
