#include "ariadne/report/alert.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <numeric>
#include <vector>

#include "ariadne/core/text.hpp"

namespace ariadne::report {

namespace {

// `,"rule":{"id":…,"title":…,"level":…,"tags":[…],"path":…` (left open for
// type-specific keys).
void append_rule_fields(std::string& out, const sigma::rule_header& h) {
  out += ",\"rule\":{\"id\":";
  append_json_string(out, h.id);
  out += ",\"title\":";
  append_json_string(out, h.title);
  out += ",\"level\":";
  append_json_string(out, sigma::level_name(h.lvl));
  out += ",\"tags\":";
  append_json_string_list(out, h.tags);
  out += ",\"path\":";
  append_json_string(out, h.path);
}

}  // namespace

std::string alert_id(std::string_view rule_id, std::string_view identity) {
  std::string key;
  key.reserve(rule_id.size() + identity.size() + 1);
  key.append(rule_id);
  key.push_back('\n');
  key.append(identity);
  return stable_id_hex(key);
}

namespace {

void append_value(std::string& out, const value& v) {
  switch (v.kind) {
    case value_kind::null: out += "null"; break;
    case value_kind::boolean: out += v.boolean ? "true" : "false"; break;
    case value_kind::integer: out += std::to_string(v.integer); break;
    case value_kind::floating: {
      char buf[64];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v.floating);
      out.append(buf, ptr);
      break;
    }
    case value_kind::string: append_json_string(out, v.text); break;
  }
}

}  // namespace

std::string event_to_json(const event_batch& batch, const event& ev) {
  auto fields = batch.fields(ev);
  // Values grouped by field id, fields in order of first appearance: the
  // positions sorted by id (stably, so each group starts with its first
  // value), then the groups by that first position.
  thread_local std::vector<std::uint32_t> by_id;
  thread_local std::vector<std::pair<std::uint32_t, std::uint32_t>> groups;  // (first position, start in by_id)
  by_id.resize(fields.size());
  std::iota(by_id.begin(), by_id.end(), 0U);
  std::stable_sort(by_id.begin(), by_id.end(), [&](std::uint32_t a, std::uint32_t b) { return fields[a].id < fields[b].id; });
  groups.clear();
  std::size_t text = 0;
  for (std::uint32_t k = 0; k < by_id.size(); ++k) {
    if (k == 0 || fields[by_id[k]].id != fields[by_id[k - 1]].id) groups.emplace_back(by_id[k], k);
    text += fields[by_id[k]].val.text.size();
  }
  std::sort(groups.begin(), groups.end());
  std::string out;
  out.reserve(text + 24 * fields.size() + 2);
  out.push_back('{');
  auto& names = field_names();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::uint32_t begin = groups[g].second;
    field_id id = fields[by_id[begin]].id;
    std::uint32_t end = begin + 1;
    while (end < by_id.size() && fields[by_id[end]].id == id) ++end;
    if (g) out.push_back(',');
    append_json_string(out, names.name(id));
    out.push_back(':');
    if (end - begin == 1) {
      append_value(out, fields[by_id[begin]].val);
    } else {
      out.push_back('[');
      for (std::uint32_t k = begin; k < end; ++k) {
        if (k > begin) out.push_back(',');
        append_value(out, fields[by_id[k]].val);
      }
      out.push_back(']');
    }
  }
  out.push_back('}');
  return out;
}

std::string event_identity(const event_batch& batch, const event& ev, std::string_view host,
                           const std::string* event_json) {
  static const field_id channel_id = field_names().intern("Channel");
  static const field_id record_id = field_names().intern("EventRecordID");
  const value* channel = batch.find(ev, channel_id);
  const value* record = batch.find(ev, record_id);
  std::string out;
  if (!host.empty() && channel && channel->kind == value_kind::string && record &&
      (record->kind == value_kind::integer || (record->kind == value_kind::string && !record->text.empty()))) {
    out.reserve(host.size() + channel->text.size() + 32);
    out += "record\x1f";
    out += host;
    out.push_back('\x1f');
    out += channel->text;
    out.push_back('\x1f');
    if (record->kind == value_kind::integer) out += std::to_string(record->integer);
    else out += trim(record->text);
    return out;
  }
  out = "content\x1f";
  out += stable_id_hex(event_json ? *event_json : event_to_json(batch, ev));
  return out;
}

alert make_alert(const sigma::rule& r, std::uint32_t rule_idx, const event_batch& batch, const event& ev,
                 std::string_view host, std::string_view source_file, const std::string* event_json) {
  alert a;
  a.rule_idx = rule_idx;
  a.time = ev.time;
  a.host = std::string(host);
  a.source_file = std::string(source_file);
  a.record = ev.source.record;
  a.logsource = ev.logsource;
  a.event_json = event_json ? *event_json : event_to_json(batch, ev);
  a.id = alert_id(r.id, event_identity(batch, ev, host, &a.event_json));
  return a;
}

std::string to_jsonl(const alert& a, const sigma::rule& r, std::string_view group) {
  std::string out = "{\"type\":\"alert\",\"id\":";
  append_json_string(out, a.id);
  append_rule_fields(out, r);
  out += "},\"time\":";
  if (a.time == k_no_time) out += "null";
  else append_json_string(out, format_rfc3339(a.time));
  out += ",\"host\":";
  append_json_string(out, a.host);
  if (!group.empty()) {
    out += ",\"group\":";
    append_json_string(out, group);
  }
  out += ",\"logsource\":{";
  bool first = true;
  auto put = [&](std::string_view key, std::string_view v) {
    if (v.empty()) return;
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, v);
  };
  put("product", logsource_value_name(a.logsource.product));
  put("service", logsource_value_name(a.logsource.service));
  if (a.logsource.n_categories) {
    if (!first) out.push_back(',');
    out += "\"categories\":[";
    for (std::uint8_t k = 0; k < a.logsource.n_categories; ++k) {
      if (k) out.push_back(',');
      append_json_string(out, logsource_value_name(a.logsource.categories[k]));
    }
    out.push_back(']');
  }
  out += "},\"source\":{\"file\":";
  append_json_string(out, a.source_file);
  out += ",\"record\":" + std::to_string(a.record) + "},\"event\":";
  out += a.event_json;
  out.push_back('}');
  return out;
}

std::string correlation_to_jsonl(const correlate::result& r, const sigma::correlation_rule& c) {
  std::string out = "{\"type\":\"correlation\",\"id\":";
  append_json_string(out, r.id);
  append_rule_fields(out, c);
  out += ",\"type\":";
  append_json_string(out, sigma::corr_type_name(c.type));
  out += "},\"time\":";
  append_json_string(out, format_rfc3339(r.end));
  out += ",\"window\":{\"start\":";
  append_json_string(out, format_rfc3339(r.start));
  out += ",\"end\":";
  append_json_string(out, format_rfc3339(r.end));
  out += ",\"timespan\":";
  append_json_string(out, c.timespan_text);
  out += "},\"group\":{";
  for (std::size_t k = 0; k < r.group.size(); ++k) {
    if (k) out.push_back(',');
    append_json_string(out, r.group[k].first);
    out.push_back(':');
    append_json_string(out, r.group[k].second);
  }
  out += "},\"value\":";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", r.value);
  out += buf;
  out += ",\"condition\":{";
  for (std::size_t k = 0; k < c.condition.size(); ++k) {
    if (k) out.push_back(',');
    append_json_string(out, sigma::cmp_op_name(c.condition[k].op));
    std::snprintf(buf, sizeof buf, ":%.15g", c.condition[k].value);
    out += buf;
  }
  out += "}";
  if (!c.field.empty()) {
    out += ",\"field\":";
    append_json_string(out, c.field);
  }
  out += ",\"alerts\":";
  append_json_string_list(out, r.members);
  out += "}";
  return out;
}

}  // namespace ariadne::report
