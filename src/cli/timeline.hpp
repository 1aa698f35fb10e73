// The alert timeline `hunt` prints for people: alerts of one rule on one
// host with the same details key (report/details.hpp) are one row with a
// count, first and last time; rows are sorted by event time (then by the
// order they were first seen in, which does not depend on -j); columns fit
// the terminal. The CSV timeline keeps every alert, one row each, sorted by
// time, with Hayabusa's columns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ariadne/core/time.hpp"
#include "ariadne/rules/rule.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

// What a worker extracts from a hit for the timeline (packed into the
// string the pipeline hands back, see pack()/unpack()).
struct hit_extract {
  std::string details;
  std::string group;  // report::group_id
  std::string channel;
  std::string event_id;
  std::string line;  // the JSON line, for -f jsonl
};
[[nodiscard]] std::string pack(const hit_extract& h);
[[nodiscard]] hit_extract unpack(std::string_view packed);

struct timeline_row {
  time_ns first = k_no_time, last = k_no_time;
  std::uint64_t count = 0;
  std::uint64_t order = 0;  // when first seen
  sigma::level lvl = sigma::level::informational;
  std::string host, title, details, source;  // source: "file:record" of the first alert
  std::string channel, event_id, rule_path, alert_id, group_id;
};

struct table_layout {
  std::size_t width = 0;    // 0: no limit (every column, nothing cut)
  bool full_paths = false;  // source files as given, not their base names
  const palette* pal = nullptr;
};

class timeline {
 public:
  // One alert; `group` identifies its row (rule, host, details key).
  void add(const std::string& group, timeline_row row);
  [[nodiscard]] std::size_t rows() const { return rows_.size(); }
  [[nodiscard]] std::uint64_t alerts() const { return alerts_; }
  // The rows, sorted by time then first-seen order.
  [[nodiscard]] std::vector<const timeline_row*> sorted() const;
  // The table (header row first), each line ending in '\n'.
  [[nodiscard]] std::string table(const table_layout& layout) const;

 private:
  // Whether the alert is a process another channel reported already (Sysmon
  // 1 and Security 4688 of one process, within a second): counted once.
  bool seen_from_other_channel(const std::string& group, const timeline_row& row);

  std::vector<timeline_row> rows_;
  std::unordered_map<std::string, std::size_t> by_group_;
  std::unordered_map<std::string, std::string> process_seen_;  // group + second -> channel
  std::uint64_t alerts_ = 0;
};

// The CSV timeline (RFC 4180): every alert is added, then written sorted by
// time (stable: input order breaks ties).
class csv_timeline {
 public:
  void add(const timeline_row& alert);
  [[nodiscard]] std::string text(bool full_paths) const;
  [[nodiscard]] static std::string header();

 private:
  std::vector<timeline_row> alerts_;
};

// "file.evtx:12" for "logs/x/file.evtx:12" (archive members keep "a.zip!m").
[[nodiscard]] std::string short_source(std::string_view source);

}  // namespace ariadne::cli
