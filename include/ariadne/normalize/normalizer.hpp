// Normalisation: gives each event its Sigma logsource and the field names
// Sigma rules use. The mapping is data (data/normalize/windows.yml, embedded
// into the binary), not code.
//
//   auto norm = normalizer::builtin();          // or normalizer::from_file(path)
//   for (auto& ev : batch.events()) norm->apply(batch, ev);
//   std::string_view host = norm->host(batch, ev);
//
// apply() must run on the newest event of the batch (it may append alias
// fields), i.e. right after the reader closes the event.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/event/event.hpp"

namespace ariadne {

class normalizer {
 public:
  [[nodiscard]] static result<normalizer> from_yaml(std::string_view text, std::string_view name);
  [[nodiscard]] static result<normalizer> from_file(const std::string& path);
  // The mapping compiled into the binary.
  [[nodiscard]] static const normalizer& builtin();

  // Assigns logsource, time and alias fields. `ev` must be batch's last event.
  void apply(event_batch& batch, event& ev) const;

  // The host name of an event (first host field present), or "".
  [[nodiscard]] std::string_view host(const event_batch& batch, const event& ev) const;

  // Fields in which a record carries its own UTC time (Sysmon's UtcTime),
  // written by the logging program rather than by an export: where they
  // disagree with the export's time, they win (pipeline/clock.hpp).
  [[nodiscard]] const std::vector<field_id>& record_time_fields() const { return record_time_fields_; }

 private:
  struct category_rule {
    ls_id category = 0;
    std::vector<std::pair<field_id, std::vector<std::string>>> where;  // folded values
    std::vector<std::pair<field_id, field_id>> fields;                 // sigma name <- event field
  };
  std::vector<std::pair<field_id, std::vector<field_id>>> aliases_;
  std::vector<std::string> strip_prefixes_;
  std::vector<field_id> time_fields_;
  std::vector<field_id> record_time_fields_;
  std::vector<field_id> host_fields_;
  std::vector<field_id> windows_fields_;
  std::vector<std::string> linux_channels_;  // lower case
  std::unordered_map<std::string, ls_id> services_;  // lower-case channel -> service
  // "channel\x1f" + event id -> index into category_lists_ (an index, not a
  // pointer, so that the per-thread channel memo stays valid for copies).
  std::unordered_map<std::string, std::uint32_t> categories_;
  std::vector<std::vector<category_rule>> category_lists_;
  field_id channel_ = k_no_field, event_id_ = k_no_field;
  ls_id windows_ = 0, linux_ = 0;
  // Per-thread cache (apply() runs on many threads at once): field id ->
  // stripped-prefix alias id (k_no_field = none, UINT32_MAX-1 = unknown),
  // valid for the normalizer with this serial (copies share it: same rules).
  static std::uint64_t next_serial();
  std::uint64_t serial_ = next_serial();
  [[nodiscard]] std::vector<field_id>& strip_cache() const;
  // What a channel's text gives, worked out once for each of the last few
  // channels met (per thread, for this serial; logs interleave a handful of
  // channels): its folded text, service, whether it is a Linux channel, and
  // the category list of each event id met (k_no_list: none).
  static constexpr std::uint32_t k_no_list = UINT32_MAX;
  struct channel_memo {
    std::string raw, lower;
    ls_id service = 0;
    bool is_linux = false;
    std::vector<std::pair<std::int64_t, std::uint32_t>> lists;
  };
  [[nodiscard]] channel_memo& channel_of(std::string_view raw) const;
};

}  // namespace ariadne
