// The details of an alert's event: its key fields, named per event kind by
// a profile (data/details/windows.yml, embedded), as one short line for the
// table and CSV timeline ("User: admin ¦ SrcIP: 10.0.0.5 ¦ Type: 3"), and
// the key that tells repeats apart (the table collapses alerts of one rule
// on one host with the same key into one row).
//
//   const auto& p = report::details_profile::builtin();
//   report::event_details d = p.render(batch, ev);
//   // d.text: "Cmd: whoami /all ¦ Proc: C:\...\whoami.exe"; d.key: for grouping
//
// render() is const and may run on many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/event/event.hpp"

namespace ariadne::report {

struct event_details {
  std::string text;  // "Label: value ¦ Label: value" (values on one line, whitespace runs as one space)
  std::string key;   // the key labels' values, '\x1f'-separated
};

class details_profile {
 public:
  // The profile compiled into the binary.
  [[nodiscard]] static const details_profile& builtin();
  // Parses a profile (format of data/details/windows.yml); `file` names it in errors.
  [[nodiscard]] static result<details_profile> parse(std::string_view text, std::string_view file);

  [[nodiscard]] event_details render(const event_batch& batch, const event& ev) const;

 private:
  struct column {
    std::string label;
    std::vector<field_id> fields;  // the first present is shown
    bool key = true;
  };
  struct entry {
    std::vector<column> columns;
  };
  const entry& pick(const event_batch& batch, const event& ev) const;

  std::vector<entry> entries_;  // [0]: the default
  std::map<std::string, std::map<std::int64_t, std::size_t>> by_channel_;  // lower-case channel -> id -> entry
  std::map<ls_id, std::size_t> by_category_;
  field_id f_channel_ = k_no_field, f_event_id_ = k_no_field;
};

// Alerts of one rule on one host with the same details key are one group:
// its id (16 hex digits), the same on every run and path.
[[nodiscard]] std::string group_id(std::string_view rule_id, std::string_view host, std::string_view key);

}  // namespace ariadne::report
