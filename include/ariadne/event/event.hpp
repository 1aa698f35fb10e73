// The normalized event and the batch that owns its bytes.
//
// An event is a record in an event_batch: its time, a reference to where it
// came from (file and record/line number, so every alert points back to the
// raw record), its Sigma logsource, and a run of (field id, value) pairs.
// String values are views into memory owned by the batch: they stay valid
// until the batch is cleared or destroyed. Copy anything that must outlive
// the batch (alerts do, via report::alert).
//
//   event_batch batch;
//   auto& ev = batch.begin_event(source_idx, /*record=*/1);
//   batch.add_string(field_names().intern("Image"), "C:\\x.exe");
//   batch.end_event();
//   for (const auto& f : batch.fields(batch.events()[0])) ...
//
// A field may occur more than once in an event (JSON arrays, unnamed EVTX
// <Data> items): such a field is multi-valued, and a Sigma test on it holds
// if it holds for any of the values.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ariadne/core/time.hpp"

namespace ariadne {

using field_id = std::uint32_t;
inline constexpr field_id k_no_field = UINT32_MAX;

// Process-wide interning of field names to small integer ids. Thread-safe.
// Names are case-sensitive, as Sigma field names are.
class field_table {
 public:
  [[nodiscard]] field_id intern(std::string_view name);
  // k_no_field if the name was never interned.
  [[nodiscard]] field_id find(std::string_view name) const;
  // The returned view stays valid for the life of the process.
  [[nodiscard]] std::string_view name(field_id id) const;
  [[nodiscard]] std::size_t size() const;

  field_table();
  field_table(const field_table&) = delete;
  field_table& operator=(const field_table&) = delete;

 private:
  field_id intern_locked(std::string_view name);
  [[nodiscard]] std::string_view names_view(field_id id) const;

  std::uint64_t serial_;  // unique per table, for the per-thread caches
  mutable std::shared_mutex mu_;
  std::deque<std::string> names_;  // deque: stable addresses
  std::unordered_map<std::string_view, field_id> ids_;
};

// The one table every module shares.
field_table& field_names();

enum class value_kind : std::uint8_t { null, string, integer, floating, boolean };

struct value {
  enum : std::uint8_t { k_ascii_unknown, k_ascii, k_not_ascii };
  value_kind kind = value_kind::null;
  bool boolean = false;
  // Strings: whether every byte is ASCII, if the batch noted it on storing.
  std::uint8_t ascii = k_ascii_unknown;
  std::int64_t integer = 0;
  double floating = 0;
  std::string_view text;  // for strings; owned by the batch

  static value make_null() { return {}; }
  static value make_string(std::string_view s, std::uint8_t ascii = k_ascii_unknown) {
    return {value_kind::string, false, ascii, 0, 0, s};
  }
  static value make_int(std::int64_t v) { return {value_kind::integer, false, k_ascii_unknown, v, 0, {}}; }
  static value make_double(double v) { return {value_kind::floating, false, k_ascii_unknown, 0, v, {}}; }
  static value make_bool(bool v) { return {value_kind::boolean, v, k_ascii_unknown, 0, 0, {}}; }
};

// Renders a value as text the way Sigma string matching sees it: strings as
// is, integers in decimal, booleans as "true"/"false", null as "". `scratch`
// provides storage for non-string kinds; the result may point into it.
// (Strings, nearly every value, take no call: this runs per value scanned.)
std::string_view non_string_text(const value& v, std::string& scratch);
inline std::string_view value_text(const value& v, std::string& scratch) {
  return v.kind == value_kind::string ? v.text : non_string_text(v, scratch);
}
// Whether value_text(v) is all ASCII (the text of a number, a boolean or
// null always is); a string's noted answer when it has one.
bool value_text_is_ascii(const value& v);

struct field_entry {
  field_id id;
  value val;
};

// Interned logsource attribute values (lower case). 0 means "unset".
using ls_id = std::uint16_t;
ls_id intern_logsource_value(std::string_view v);
std::string_view logsource_value_name(ls_id id);

struct event_logsource {
  static constexpr std::size_t k_max_categories = 4;
  ls_id product = 0;
  ls_id service = 0;
  std::uint8_t n_categories = 0;
  ls_id categories[k_max_categories] = {0, 0, 0, 0};

  void add_category(ls_id c) {
    for (std::uint8_t k = 0; k < n_categories; ++k)
      if (categories[k] == c) return;
    if (n_categories < k_max_categories) categories[n_categories++] = c;
  }
  [[nodiscard]] bool has_category(ls_id c) const {
    for (std::uint8_t k = 0; k < n_categories; ++k)
      if (categories[k] == c) return true;
    return false;
  }
};

// Where an event came from. `record` is the EVTX record number or the 1-based
// line number of the record's first line in a text file.
struct source_ref {
  std::uint32_t source_idx = 0;  // index into the run's list of source names
  std::uint64_t record = 0;
};

struct event {
  time_ns time = k_no_time;
  source_ref source;
  event_logsource logsource;
  std::uint32_t field_begin = 0;
  std::uint32_t field_end = 0;
};

class event_batch {
 public:
  event& begin_event(std::uint32_t source_idx, std::uint64_t record);
  // Copies `s` into batch-owned storage.
  void add_string(field_id id, std::string_view s);
  // `s` must already be owned by this batch (from store()).
  void add_stored_string(field_id id, std::string_view s);
  void add_value(field_id id, value v);
  void end_event();
  // Drops the event begun last (a record that turned out to be malformed).
  void abandon_event();

  // Copies bytes into batch-owned storage and returns a view of the copy.
  std::string_view store(std::string_view s);
  // The same, noting whether every byte is ASCII.
  std::string_view store(std::string_view s, bool& ascii);

  [[nodiscard]] std::span<const event> events() const { return events_; }
  [[nodiscard]] std::span<event> events() { return events_; }
  [[nodiscard]] std::span<const field_entry> fields(const event& ev) const {
    return std::span<const field_entry>(fields_).subspan(ev.field_begin, ev.field_end - ev.field_begin);
  }
  // First value of a field, or nullptr.
  [[nodiscard]] const value* find(const event& ev, field_id id) const;
  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] bool empty() const { return events_.empty(); }
  void clear();

  // Adds an alias entry: every value of `from` is also visible as `to`.
  // The values of `from` lie at indices [first, last] of the event's fields
  // (all of them when not given; others may lie between).
  void alias_field(event& ev, field_id from, field_id to, std::uint32_t first = 0, std::uint32_t last = UINT32_MAX);

 private:
  std::vector<event> events_;
  std::vector<field_entry> fields_;
  // String storage: blocks kept across clear() and reused in order, so a
  // batch refilled again and again stops allocating once it has grown.
  struct block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  std::vector<block> blocks_;
  std::size_t block_idx_ = 0;  // block being filled (when blocks_ is not empty)
  std::size_t block_used_ = 0;
  bool open_ = false;
};

// Where each field's values lie in one event, by field id: built in one
// pass over the event, after which a lookup is one load. Kept from event to
// event (a stamp per id tells the current event's entries apart).
//
//   field_spans spans;
//   spans.reset(batch.fields(ev));
//   if (const auto* sp = spans.find(id)) ... sp->first, sp->last ...
class field_spans {
 public:
  struct span {
    std::uint32_t first = 0, last = 0;  // indices into the event's fields (others may lie between)
    bool any_null = false;
  };
  // Indexes an event's fields (as event_batch::fields() gives them).
  void reset(std::span<const field_entry> fields);
  // Records the value at `idx` (one appended to the event after reset()).
  void add(const field_entry& f, std::uint32_t idx);
  // The field's span in the event, or nullptr if it has no value of it.
  [[nodiscard]] const span* find(field_id id) const {
    return id < slots_.size() && slots_[id].epoch == epoch_ ? &slots_[id].at : nullptr;
  }

 private:
  struct slot {
    std::uint32_t epoch = 0;
    span at;
  };
  // Records f at idx in its slot (which the table has).
  void stamp(slot& sl, const field_entry& f, std::uint32_t idx) const;
  std::vector<slot> slots_;
  std::uint32_t epoch_ = 0;
};

}  // namespace ariadne
