#include "timeline.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ariadne/core/text.hpp"

namespace ariadne::cli {
namespace {

std::string_view short_level(sigma::level l) {
  switch (l) {
    case sigma::level::critical: return "crit";
    case sigma::level::high: return "high";
    case sigma::level::medium: return "med";
    case sigma::level::low: return "low";
    default: return "info";
  }
}

std::string level_cell(const palette& pal, sigma::level l) {
  std::string s(short_level(l));
  s.resize(4, ' ');
  return pal.paint(s, l == sigma::level::critical ? "1;35"
                      : l == sigma::level::high   ? "1;31"
                      : l == sigma::level::medium ? "33"
                      : l == sigma::level::low    ? "36"
                                                  : "2");
}

void append_length_prefixed(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out.push_back(':');
  out.append(s);
}

}  // namespace

std::string pack(const hit_extract& h) {
  std::string out;
  for (const std::string* s : {&h.details, &h.group, &h.channel, &h.event_id, &h.line}) append_length_prefixed(out, *s);
  return out;
}

hit_extract unpack(std::string_view p) {
  hit_extract h;
  for (std::string* s : {&h.details, &h.group, &h.channel, &h.event_id, &h.line}) {
    auto colon = p.find(':');
    if (colon == std::string_view::npos) break;
    std::size_t n = 0;
    for (char c : p.substr(0, colon)) n = n * 10 + static_cast<std::size_t>(c - '0');
    *s = std::string(p.substr(colon + 1, n));
    p.remove_prefix(std::min(p.size(), colon + 1 + n));
  }
  return h;
}

std::string short_source(std::string_view source) {
  // The archive's own name is cut to its base name; a member keeps its path.
  auto bang = source.find('!');
  std::string_view file = source.substr(0, bang);
  auto slash = file.find_last_of('/');
  std::string out(slash == std::string_view::npos ? file : file.substr(slash + 1));
  if (bang != std::string_view::npos) out.append(source.substr(bang));
  return out;
}

bool timeline::seen_from_other_channel(const std::string& group, const timeline_row& row) {
  const bool sysmon = row.event_id == "1" && to_lower_ascii(row.channel) == "microsoft-windows-sysmon/operational";
  const bool security = row.event_id == "4688" && to_lower_ascii(row.channel) == "security";
  if ((!sysmon && !security) || row.first == k_no_time) return false;
  const std::int64_t sec = row.first / 1'000'000'000LL;
  const std::string mine = sysmon ? "sysmon" : "security";
  bool dup = false;
  for (std::int64_t s = sec - 1; s <= sec + 1 && !dup; ++s) {
    auto it = process_seen_.find(group + "\x1f" + std::to_string(s));
    dup = it != process_seen_.end() && it->second != mine;
  }
  if (dup) {  // consumed: a third report of the same second counts again
    for (std::int64_t s = sec - 1; s <= sec + 1; ++s) process_seen_.erase(group + "\x1f" + std::to_string(s));
  } else {
    process_seen_[group + "\x1f" + std::to_string(sec)] = mine;
  }
  return dup;
}

void timeline::add(const std::string& group, timeline_row row) {
  ++alerts_;
  if (seen_from_other_channel(group, row)) return;
  auto [it, fresh] = by_group_.try_emplace(group, rows_.size());
  if (fresh) {
    row.order = rows_.size();
    row.count = 1;
    row.last = row.first;
    rows_.push_back(std::move(row));
    return;
  }
  timeline_row& r = rows_[it->second];
  ++r.count;
  if (row.first != k_no_time) {
    if (r.first == k_no_time || row.first < r.first) {
      r.first = row.first;
      r.source = std::move(row.source);  // the earliest alert's event stands for the row
      r.details = std::move(row.details);
    }
    if (r.last == k_no_time || row.first > r.last) r.last = row.first;
  }
}

std::vector<const timeline_row*> timeline::sorted() const {
  std::vector<const timeline_row*> out;
  out.reserve(rows_.size());
  for (const auto& r : rows_) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const timeline_row* a, const timeline_row* b) {
    // Rows without a time go last.
    if ((a->first == k_no_time) != (b->first == k_no_time)) return b->first == k_no_time;
    if (a->first != b->first) return a->first < b->first;
    return a->order < b->order;
  });
  return out;
}

std::string timeline::table(const table_layout& layout) const {
  const palette plain(false);
  const palette& pal = layout.pal ? *layout.pal : plain;
  auto rows = sorted();
  const bool wide = layout.width == 0;
  std::size_t host_w = 4, count_w = 1, title_w = 4, source_w = 6;
  std::vector<std::string> hosts, sources;
  hosts.reserve(rows.size());
  for (const auto* r : rows) {
    hosts.push_back(printable(r->host.empty() ? std::string("-") : r->host));
    sources.push_back(printable(layout.full_paths ? r->source : short_source(r->source)));
    host_w = std::max(host_w, display_width(hosts.back()));
    source_w = std::max(source_w, display_width(sources.back()));
    count_w = std::max(count_w, std::to_string(r->count).size());
    title_w = std::max(title_w, display_width(printable(r->title)));
  }
  std::size_t details_w = 0;  // 0: not cut
  if (wide) {
    title_w = std::min<std::size_t>(title_w, 72);
    source_w = std::min<std::size_t>(source_w, 48);
  } else {
    // time, level, host, count, rule, details; two spaces between. Narrow
    // terminals give the host less room, and share the rest between the
    // rule's title and the details.
    host_w = std::min<std::size_t>(host_w, layout.width < 120 ? 12 : 20);
    std::size_t fixed = 19 + 2 + 4 + 2 + host_w + 2 + count_w + 2;
    std::size_t rest = layout.width > fixed + 12 ? layout.width - fixed - 2 : 10;
    std::size_t want = std::min<std::size_t>(title_w, 48);
    title_w = rest >= want + 40 ? want : std::min(want, std::max<std::size_t>(rest / 2, 8));
    details_w = rest > title_w ? rest - title_w : 1;
  }
  std::string out;
  auto line = [&](std::string text) {
    if (!wide) text = fit(text, layout.width);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out.push_back('\n');
  };
  {
    std::string h = pad("TIME (UTC)", 19) + "  ";
    if (wide) h += pad("LAST", 19) + "  ";
    h += "LVL   " + pad("HOST", host_w) + "  " + fmt::format("{:>{}}", "N", count_w) + "  " + pad("RULE", title_w) + "  ";
    if (wide) h += pad("SOURCE", source_w) + "  ";
    h += "DETAILS";
    line(pal.bold(h));
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const timeline_row& r = *rows[k];
    std::string s = clock_text(r.first, std::string(19, '-')) + "  ";
    if (wide) s += (r.count > 1 && r.last != r.first ? clock_text(r.last, std::string(19, '-')) : pad("-", 19)) + "  ";
    s += level_cell(pal, r.lvl) + "  ";
    s += pad(fit(hosts[k], host_w), host_w) + "  ";
    s += fmt::format("{:>{}}", r.count, count_w) + "  ";
    s += pad(fit(printable(r.title), title_w), title_w) + "  ";
    if (wide) s += pad(fit(sources[k], source_w), source_w) + "  ";
    std::string details = printable(r.details);
    s += details_w ? fit(details, details_w) : details;
    line(std::move(s));
  }
  return out;
}

void csv_timeline::add(const timeline_row& alert) { alerts_.push_back(alert); }

std::string csv_timeline::header() {
  return "Timestamp,Computer,Channel,EventID,Level,RuleTitle,Details,RuleFile,SourceFile,Record,AlertID,GroupID\r\n";
}

std::string csv_timeline::text(bool full_paths) const {
  std::vector<const timeline_row*> order;
  order.reserve(alerts_.size());
  for (const auto& a : alerts_) order.push_back(&a);
  std::stable_sort(order.begin(), order.end(), [](const timeline_row* a, const timeline_row* b) {
    if ((a->first == k_no_time) != (b->first == k_no_time)) return b->first == k_no_time;
    return a->first < b->first;
  });
  std::string out = header();
  for (const auto* a : order) {
    auto colon = a->source.rfind(':');
    std::string file = a->source.substr(0, colon);
    std::string record = colon == std::string::npos ? std::string() : a->source.substr(colon + 1);
    auto rule_file = a->rule_path.substr(a->rule_path.find_last_of('/') == std::string::npos ? 0 : a->rule_path.find_last_of('/') + 1);
    std::string fields[] = {a->first == k_no_time ? std::string() : format_rfc3339(a->first),
                            a->host,
                            a->channel,
                            a->event_id,
                            std::string(sigma::level_name(a->lvl)),
                            a->title,
                            a->details,
                            full_paths ? a->rule_path : rule_file,
                            full_paths ? file : short_source(file),
                            record,
                            a->alert_id,
                            a->group_id};
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out.push_back(',');
      first = false;
      out += csv_field(f);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace ariadne::cli
