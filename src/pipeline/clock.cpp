#include "clock.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ariadne/ingest/json_reader.hpp"

namespace ariadne::pipeline {
namespace {

constexpr time_ns k_minute = 60'000'000'000LL;

std::optional<time_ns> own_time(const event_batch& batch, const event& ev, const normalizer& norm) {
  for (field_id f : norm.record_time_fields())
    if (const value* v = batch.find(ev, f); v && v->kind == value_kind::string)
      if (auto t = parse_timestamp(v->text)) return t;
  return std::nullopt;
}

}  // namespace

clock_fix::outcome clock_fix::apply(const event_batch& batch, event& ev) const {
  if (!active) return outcome::untouched;
  if (auto t = own_time(batch, ev, *norm)) {
    if (*t == ev.time) return outcome::untouched;
    ev.time = *t;
    return outcome::own_time;
  }
  if (ev.time == k_no_time) return outcome::untouched;
  ev.time += offset;
  return outcome::shifted;
}

clock_fix learn_clock(std::string_view name, simdjson::padded_string_view text, std::size_t begin, std::size_t limit,
                      const normalizer& norm) {
  clock_fix fix;
  fix.norm = &norm;
  if (norm.record_time_fields().empty() || begin >= text.size()) return fix;
  const std::size_t end = std::min(text.size(), begin + limit);
  std::vector<std::string> needles;
  for (field_id f : norm.record_time_fields()) needles.push_back("\"" + std::string(field_names().name(f)) + "\"");
  ingest::json_reader reader;
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  auto on_event = [&](event_batch& b, event& ev) { norm.apply(b, ev); };
  std::vector<time_ns> diffs;
  std::size_t at = begin;
  while (diffs.size() < 32 && at < end) {
    // The next record naming a record-time field.
    const char* hit = nullptr;
    for (const auto& n : needles) {
      auto* h = static_cast<const char*>(::memmem(text.data() + at, end - at, n.data(), n.size()));
      if (h && (!hit || h < hit)) hit = h;
    }
    if (!hit) break;
    std::size_t pos = static_cast<std::size_t>(hit - text.data());
    std::size_t line_begin = std::string_view(text.data(), pos).rfind('\n');
    line_begin = line_begin == std::string_view::npos ? begin : std::max(begin, line_begin + 1);
    std::size_t line_end = std::string_view(text.data(), text.size()).find('\n', pos);
    line_end = line_end == std::string_view::npos ? text.size() : line_end + 1;
    at = line_end;
    batch.clear();
    problems.clear();
    (void)reader.read_lines(name, text, line_begin, line_end, 1, 0, batch, on_event, nullptr, problems);
    for (const event& ev : batch.events()) {
      auto own = own_time(batch, ev, norm);
      if (own && ev.time != k_no_time) diffs.push_back(*own - ev.time);
    }
  }
  if (diffs.size() < 3) return fix;
  std::sort(diffs.begin(), diffs.end());
  const time_ns median = diffs[diffs.size() / 2];
  if (median > -k_minute && median < k_minute) return fix;  // the export's times agree
  const auto agree = std::count_if(diffs.begin(), diffs.end(), [&](time_ns d) { return d - median <= k_minute && median - d <= k_minute; });
  if (static_cast<std::size_t>(agree) * 4 < diffs.size() * 3) return fix;  // no one offset: leave the times alone
  fix.active = true;
  fix.offset = median;
  return fix;
}

}  // namespace ariadne::pipeline
