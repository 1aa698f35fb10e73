// Times you can trust in JSON exports (docs/cli.md "Times"). Some exports
// mangle their time fields (OTRF's LSASS campaign 02: TimeCreated and
// @timestamp are 19 hours behind the Sysmon UtcTime of the same records).
// One rule per source: where records carry their own UTC time
// (normalizer::record_time_fields) and it disagrees with the export's time
// by a minute or more, consistently, the record's own time wins, and the
// offset seen is applied to the source's other records, so its Security
// and Sysmon events line up.
#pragma once

#include <simdjson.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "ariadne/event/event.hpp"
#include "ariadne/normalize/normalizer.hpp"

namespace ariadne::pipeline {

struct clock_fix {
  bool active = false;
  time_ns offset = 0;  // record's own time minus the export's
  const normalizer* norm = nullptr;

  enum class outcome { untouched, own_time, shifted };
  // After normalisation: the event's own time when it has one, else its
  // time moved by the offset.
  outcome apply(const event_batch& batch, event& ev) const;
};

// Learns a source's fix from up to 32 records that carry their own time,
// found by scanning text[begin, begin + limit).
[[nodiscard]] clock_fix learn_clock(std::string_view name, simdjson::padded_string_view text, std::size_t begin,
                                    std::size_t limit, const normalizer& norm);

}  // namespace ariadne::pipeline
