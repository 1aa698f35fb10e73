// Alerts: a rule hit copied out of its batch, and their renderings.
//
// JSON lines schema (docs/output-schema.md), one object per alert:
//   {"type":"alert","id":"…","rule":{"id","title","level","tags","path"},
//    "time":"RFC 3339 UTC","host":"…","logsource":{"product","category"...},
//    "source":{"file":"…","record":N},"event":{field: value | [values]}}
//
//   auto a = report::make_alert(rule, batch, ev, host, source_name);
//   std::string line = report::to_jsonl(a, rule);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ariadne/correlate/correlate.hpp"
#include "ariadne/event/event.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::report {

struct alert {
  std::string id;  // alert_id(rule id, event_identity(...)): from the evidence, not the input's name
  std::uint32_t rule_idx = 0;
  time_ns time = k_no_time;
  std::string host;
  std::string source_file;
  std::uint64_t record = 0;
  event_logsource logsource;
  std::string event_json;  // the event's fields as one JSON object
};

// What an event is, whatever path, copy, pipe or stream delivered it:
// "record" + host, channel and record id where the event has all three
// (Windows events: Computer, Channel, EventRecordID, also under their
// aliases), else "content" + a hash of its fields (event_to_json, or
// `event_json` when that is made already).
[[nodiscard]] std::string event_identity(const event_batch& batch, const event& ev, std::string_view host,
                                         const std::string* event_json = nullptr);

// Deterministic alert id from the rule id and the event's identity, so
// `logs/`, `./logs/`, a copy and a pipe give the same ids.
[[nodiscard]] std::string alert_id(std::string_view rule_id, std::string_view identity);

// The event's fields as a JSON object; multi-valued fields become arrays,
// in order of first appearance.
[[nodiscard]] std::string event_to_json(const event_batch& batch, const event& ev);

// `event_json`, when given, is event_to_json(batch, ev) made already (for
// an earlier alert on the same event).
[[nodiscard]] alert make_alert(const sigma::rule& r, std::uint32_t rule_idx, const event_batch& batch, const event& ev,
                               std::string_view host, std::string_view source_file,
                               const std::string* event_json = nullptr);

// One JSON line (without the trailing newline). `group`, when given, is the
// alert's group id (details.hpp: the table shows a group as one row).
[[nodiscard]] std::string to_jsonl(const alert& a, const sigma::rule& r, std::string_view group = {});

// A correlation alert as one JSON line (docs/output-schema.md):
//   {"type":"correlation","id":"…","rule":{"id","title","level","tags","path","type"},
//    "time":"window end","window":{"start","end","timespan"},"group":{field: value},
//    "value":N,"condition":{"gte":5,...},"field":"…","alerts":["contributing alert ids"]}
[[nodiscard]] std::string correlation_to_jsonl(const correlate::result& r, const sigma::correlation_rule& c);

}  // namespace ariadne::report
