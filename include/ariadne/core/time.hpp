// Event time: nanoseconds since the Unix epoch, UTC.
//
//   auto t = ariadne::parse_timestamp("2020-10-21 12:19:01.088");  // UTC assumed
//   std::string s = ariadne::format_rfc3339(*t);  // "2020-10-21T12:19:01.088000000Z"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ariadne {

using time_ns = std::int64_t;
inline constexpr time_ns k_no_time = INT64_MIN;

// Accepts "YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm]" (fraction up to 9
// digits; no zone means UTC) and a bare integer of epoch milliseconds.
[[nodiscard]] std::optional<time_ns> parse_timestamp(std::string_view text);

// RFC 3339 in UTC with nanoseconds: "2020-10-21T12:19:01.088000000Z".
[[nodiscard]] std::string format_rfc3339(time_ns t);

// Days since 1970-01-01 for a proleptic Gregorian date, and back.
[[nodiscard]] std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

// Seconds since 1970 (UTC, negative allowed) as calendar date and time of day.
struct civil_time {
  std::int64_t year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
};
[[nodiscard]] civil_time civil_from_seconds(std::int64_t secs);

}  // namespace ariadne
