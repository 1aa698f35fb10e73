// JSON event reader: JSON lines, a JSON array of objects, or several JSON
// objects concatenated (pretty-printed, as evtx_dump writes them).
//
// Record shapes recognised by content:
//   - evtx-dump layout: {"Event": {"System": {...}, "EventData": {...}}} with
//     "#attributes"/"#text"; System attributes become Tag_Attribute
//     (Provider_Name, TimeCreated_SystemTime), EventData names lose their
//     spaces, unnamed <Data> items form the multi-valued field `Data`, and
//     UserData leaves go by their element names.
//   - anything else (flat exports such as OTRF, Winlogbeat/ECS): nested
//     objects flatten to dotted names ("winlog.event_data.Image"); arrays
//     give multi-valued fields. The normalizer maps these names further.
//
// Each event's source record is the 1-based line on which its JSON starts.
// A record that does not parse is reported (file:line and why), counted, and
// skipped; reading goes on with the next record.
//
//   ingest::json_reader reader;
//   reader.read(name, data, source_idx, batch, on_event, on_batch_full, problems);
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "ariadne/event/event.hpp"
#include "ariadne/ingest/input.hpp"

namespace ariadne::ingest {

struct read_stats {
  std::uint64_t records = 0;   // records seen (good and bad)
  std::uint64_t events = 0;    // events produced
  std::uint64_t bad = 0;       // records skipped as malformed
  std::uint64_t filtered = 0;  // records keep_record() ruled out: shape-checked, not parsed, no event
  std::uint64_t newlines = 0;  // line ends passed (read_lines: those of its segment)
};

class json_reader {
 public:
  // Called right after each event is closed (the normalizer runs here).
  using event_fn = std::function<void(event_batch&, event&)>;
  // Called when the batch holds `batch_events` events; the callee consumes and
  // clears it.
  using batch_fn = std::function<void(event_batch&)>;

  std::size_t batch_events = 4096;
  std::size_t max_depth = 64;  // deeper JSON is cut off (counted as a problem)
  // Larger records are skipped with a problem (docs/limits.md): a 200 MB
  // line would need gigabytes to parse.
  std::size_t max_record_bytes = std::size_t{64} << 20;
  // Values kept per record; the rest are dropped with a problem.
  std::size_t max_fields = 65536;
  // Optional: called with each record's raw text before it is parsed; false
  // means no rule can match it, so it is only checked to be one {...} object
  // and no event is built (match::prefilter).
  std::function<bool(std::string_view)> keep_record;

  // Reads all records of `text`. Returns counts; problems are appended.
  read_stats read(std::string_view name, simdjson::padded_string_view text, std::uint32_t source_idx,
                  event_batch& batch, const event_fn& on_event, const batch_fn& on_batch_full,
                  std::vector<input_problem>& problems);

  // True if `text` looks like JSON (first non-space byte is '{' or '[').
  [[nodiscard]] static bool sniff(std::string_view text);

  // True if `text` is JSON lines (its first record closes on its own line),
  // which can be cut at any line end; `body` and `body_line` give where the
  // first record starts (after a BOM and blank lines).
  [[nodiscard]] static bool is_json_lines(std::string_view text, std::size_t& body, std::uint64_t& body_line);

  // Reads the JSON-lines records of text[begin, end), whose first line has
  // number `first_line`. `text` is the whole (padded) input, so records near
  // `end` may be parsed in place. Several readers may read segments of one
  // text at once.
  read_stats read_lines(std::string_view name, simdjson::padded_string_view text, std::size_t begin, std::size_t end,
                        std::uint64_t first_line, std::uint32_t source_idx, event_batch& batch, const event_fn& on_event,
                        const batch_fn& on_batch_full, std::vector<input_problem>& problems);

 private:
  enum class outcome { event, filtered, bad };
  outcome parse_record(std::string_view name, const char* data, std::size_t len, std::uint64_t line,
                    std::uint32_t source_idx, event_batch& batch, const event_fn& on_event,
                    std::vector<input_problem>& problems);
  // parse_record(), then counts its outcome in `stats` and hands a full batch on.
  void take_record(std::string_view name, const char* data, std::size_t len, std::uint64_t line,
                   std::uint32_t source_idx, event_batch& batch, const event_fn& on_event, const batch_fn& on_batch_full,
                   read_stats& stats, std::vector<input_problem>& problems);
  void flatten(const simdjson::dom::element& el, std::string& path, event_batch& batch, std::size_t depth);
  void emit_scalar(field_id id, const simdjson::dom::element& el, event_batch& batch);
  void emit(std::string_view name, const simdjson::dom::element& el, event_batch& batch, std::size_t depth);
  void flatten_evtx(const simdjson::dom::object& ev, event_batch& batch);
  void flatten_leaves(const simdjson::dom::element& el, std::string_view parent, event_batch& batch, std::size_t depth);
  // The id of field `name`, emitted after the field last_id_ of the same
  // record: records of one source repeat their fields in the same order, so
  // the name that followed last_id_ last time is compared first (bytes in
  // this reader's cache) before the process-wide table is asked.
  field_id name_id(std::string_view name);

  struct successor {
    std::string name;
    field_id id = k_no_field;
  };
  std::vector<successor> next_;  // by previous field id + 1 (0: a record's first field)
  field_id last_id_ = k_no_field;

  simdjson::dom::parser parser_;
  std::string scratch_;
  bool truncated_depth_ = false;
  std::size_t fields_left_ = 0;  // values the current record may still add
};

// Cuts JSON-lines text into segments of about `target` bytes at line ends
// and numbers their first lines, for readers working in parallel. Cutting
// is cheap (one search for a newline) and done in order; numbering counts
// the segment's newlines and may run on any thread, for any segment
// (number() then waits until every earlier segment is numbered), so the
// pass over the bytes is spread over the readers:
//
//   while (seg.next(s)) { ... on a worker: seg.number(s); read s ... }
struct line_segment {
  std::size_t begin = 0, end = 0;
  std::uint64_t first_line = 1;  // set by number()
  std::uint64_t seq = 0;         // 0, 1, 2, ... in input order
};

class line_segmenter {
 public:
  line_segmenter(std::string_view text, std::size_t body, std::uint64_t body_line, std::size_t target)
      : text_(text), pos_(body), next_line_(body_line), target_(target ? target : 1) {}
  bool next(line_segment& seg);
  // Sets seg.first_line, given the segment's `newlines` (as its reader
  // counted them: read_lines' stats), so no pass over the bytes is made
  // for it. Thread-safe; each segment once; every earlier segment must be
  // numbered by some thread, or this waits forever.
  void number(line_segment& seg, std::uint64_t newlines);
  // As number(), unless an earlier segment is not numbered yet and `wait`
  // is false: then false, and the segment is still to be numbered.
  bool try_number(line_segment& seg, std::uint64_t newlines, bool wait = false);

 private:
  std::string_view text_;
  std::size_t pos_;
  std::uint64_t seq_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t numbered_ = 0;  // segments numbered so far
  std::uint64_t next_line_;     // the first line of segment `numbered_`
  std::size_t target_;
};

}  // namespace ariadne::ingest
