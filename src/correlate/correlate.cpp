// Correlation windows on event time. The rules are in docs/correlation.md;
// in short:
//   - event_count, value_count, temporal and temporal_ordered with only
//     lower bounds (gt, gte): a sliding window [t - timespan, t] per group,
//     checked at every event; a match fires at once and consumes the
//     group's events, so one burst gives one alert;
//   - every other condition (an upper bound, eq, neq) and value_sum/avg/
//     percentile/median: a window opened by a group's first event and
//     evaluated once when it closes (timespan after that event, or the end
//     of input); the next event opens the next window.
#include "ariadne/correlate/correlate.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "ariadne/core/text.hpp"

namespace ariadne::correlate {

namespace {

using sigma::corr_type;

bool lower_bounds_only(const sigma::correlation_rule& c) {
  for (const auto& t : c.condition)
    if (t.op != sigma::cmp_op::gt && t.op != sigma::cmp_op::gte) return false;
  return true;
}

bool sliding(const sigma::correlation_rule& c) {
  switch (c.type) {
    case corr_type::event_count:
    case corr_type::value_count:
    case corr_type::temporal:
    case corr_type::temporal_ordered: return lower_bounds_only(c);
    default: return false;
  }
}

// Number of referenced rules matched in order (equal times may come in any
// order), for temporal_ordered.
std::size_t ordered_prefix(const std::deque<const input*>& entries, std::size_t nrules) {
  std::size_t matched = 0;
  std::size_t used = SIZE_MAX;
  time_ns last = INT64_MIN;
  while (matched < nrules) {
    std::size_t found = SIZE_MAX;
    for (std::size_t k = 0; k < entries.size(); ++k) {
      if (k == used || entries[k]->time < last) continue;
      if (entries[k]->rule_pos == matched) {
        found = k;
        break;
      }
    }
    if (found == SIZE_MAX) break;
    last = entries[found]->time;
    used = found;
    ++matched;
  }
  return matched;
}

double aggregate(const sigma::correlation_rule& c, const std::deque<const input*>& entries) {
  switch (c.type) {
    case corr_type::event_count: return static_cast<double>(entries.size());
    case corr_type::value_count: {
      std::set<std::string_view> distinct;
      for (const auto* e : entries)
        if (!e->value.empty()) distinct.insert(e->value);
      return static_cast<double>(distinct.size());
    }
    case corr_type::temporal: {
      std::set<std::uint16_t> rules;
      for (const auto* e : entries) rules.insert(e->rule_pos);
      return static_cast<double>(rules.size());
    }
    case corr_type::temporal_ordered: return static_cast<double>(ordered_prefix(entries, c.refs.size()));
    case corr_type::value_sum:
    case corr_type::value_avg:
    case corr_type::value_percentile:
    case corr_type::value_median: {
      std::vector<double> nums;
      for (const auto* e : entries)
        if (auto n = parse_number(e->value)) nums.push_back(*n);
      if (nums.empty()) return std::nan("");
      if (c.type == corr_type::value_sum || c.type == corr_type::value_avg) {
        double sum = 0;
        for (double n : nums) sum += n;
        return c.type == corr_type::value_sum ? sum : sum / static_cast<double>(nums.size());
      }
      // Nearest-rank percentile.
      std::sort(nums.begin(), nums.end());
      auto rank = static_cast<std::size_t>(std::ceil(c.percentile / 100.0 * static_cast<double>(nums.size())));
      return nums[std::clamp<std::size_t>(rank, 1, nums.size()) - 1];
    }
  }
  return std::nan("");
}

bool holds(const sigma::correlation_rule& c, double v) {
  if (std::isnan(v)) return false;
  for (const auto& t : c.condition)
    if (!t.holds(v)) return false;
  return true;
}

std::string group_key(const std::vector<std::string>& values) {
  std::string k;
  for (const auto& v : values) {
    k += v;
    k.push_back('\x1f');
  }
  return k;
}

result make_result(const sigma::correlation_rule& c, std::uint32_t idx, const std::deque<const input*>& entries,
                   double v) {
  result r;
  r.correlation = idx;
  r.start = entries.front()->time;
  r.end = entries.back()->time;
  r.value = v;
  for (std::size_t k = 0; k < c.group_by.size(); ++k)
    r.group.emplace_back(c.group_by[k], k < entries.front()->group.size() ? entries.front()->group[k] : "");
  std::string basis = c.id + "\n" + group_key(entries.front()->group) + "\n" + std::to_string(r.start) + "\n" +
                      std::to_string(r.end);
  for (const auto* e : entries) {
    r.members.push_back(e->alert_id);
    basis += "\n" + e->alert_id;
  }
  r.id = stable_id_hex(basis);
  return r;
}

}  // namespace

std::vector<result> evaluate(const sigma::correlation_rule& c, std::uint32_t corr_idx, std::vector<input> inputs,
                             stats& st) {
  std::sort(inputs.begin(), inputs.end(), [](const input& a, const input& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.alert_id < b.alert_id;
  });
  const bool slide = sliding(c);
  const time_ns span = c.timespan_ns;
  std::vector<result> out;
  std::unordered_map<std::string, std::deque<const input*>> groups;
  std::size_t since_sweep = 0;
  auto close = [&](std::deque<const input*>& entries) {
    if (entries.empty()) return;
    double v = aggregate(c, entries);
    if (holds(c, v)) out.push_back(make_result(c, corr_idx, entries, v));
    entries.clear();
  };
  for (const auto& in : inputs) {
    auto& entries = groups[group_key(in.group)];
    if (slide) {
      while (!entries.empty() && entries.front()->time < in.time - span) entries.pop_front();
      entries.push_back(&in);
      double v = aggregate(c, entries);
      if (holds(c, v)) {
        out.push_back(make_result(c, corr_idx, entries, v));
        entries.clear();
      }
    } else {
      if (!entries.empty() && in.time - entries.front()->time > span) close(entries);
      entries.push_back(&in);
    }
    st.peak_window = std::max<std::uint64_t>(st.peak_window, entries.size());
    st.peak_groups = std::max<std::uint64_t>(st.peak_groups, groups.size());
    // Drop groups with nothing left in their window (state stays bounded by
    // the events inside one timespan); anchored windows that ended are closed
    // now: no later input can join them, inputs being in time order.
    if (++since_sweep >= 4096) {
      since_sweep = 0;
      for (auto it = groups.begin(); it != groups.end();) {
        auto& e = it->second;
        if (slide) {
          while (!e.empty() && e.front()->time < in.time - span) e.pop_front();
        } else if (!e.empty() && in.time - e.front()->time > span) {
          close(e);
        }
        it = e.empty() ? groups.erase(it) : std::next(it);
      }
    }
  }
  if (!slide) {
    // The end of input closes the windows still open (in key order, for a
    // stable output).
    std::map<std::string, std::deque<const input*>*> ordered;
    for (auto& [k, e] : groups) ordered.emplace(k, &e);
    for (auto& [k, e] : ordered) close(*e);
  }
  return out;
}

engine::engine(const std::vector<sigma::correlation_rule>& corrs, const std::vector<sigma::rule>& rules)
    : corrs_(corrs), inputs_(corrs.size()) {
  consumers_.resize(rules.size());
  for (std::uint32_t ci = 0; ci < corrs.size(); ++ci) {
    const auto& c = corrs[ci];
    for (std::size_t pos = 0; pos < c.refs.size(); ++pos) {
      const auto& ref = c.refs[pos];
      if (ref.is_correlation || ref.index >= rules.size()) continue;
      const auto& r = rules[ref.index];
      consumer k;
      k.correlation = ci;
      k.rule_pos = static_cast<std::uint16_t>(pos);
      for (const auto& g : c.group_by) k.group_fields.push_back(field_names().intern(c.resolve_field(g, r.name)));
      if (!c.field.empty()) k.value_field = field_names().intern(c.resolve_field(c.field, r.name));
      consumers_[ref.index].push_back(std::move(k));
    }
  }
}

void engine::add_hit(std::uint32_t rule_idx, const event_batch& batch, const event& ev, std::string_view alert_id) {
  if (!wants(rule_idx)) return;
  if (ev.time == k_no_time) {  // cannot be placed in a window
    stats_.missing_time += consumers_[rule_idx].size();
    return;
  }
  std::string scratch;
  for (const auto& k : consumers_[rule_idx]) {
    input in;
    in.time = ev.time;
    in.alert_id = alert_id;
    in.rule_pos = k.rule_pos;
    bool complete = true;
    for (field_id f : k.group_fields) {
      const value* v = batch.find(ev, f);
      if (!v || v->kind == value_kind::null) {
        complete = false;
        break;
      }
      in.group.emplace_back(value_text(*v, scratch));
    }
    if (!complete) {
      ++stats_.missing_group;
      continue;
    }
    if (k.value_field != k_no_field)
      if (const value* v = batch.find(ev, k.value_field); v && v->kind != value_kind::null)
        in.value = std::string(value_text(*v, scratch));
    ++stats_.inputs;
    inputs_[k.correlation].push_back(std::move(in));
  }
}

std::vector<result> engine::run() {
  std::vector<result> all;
  // Correlations come in dependency order: when one runs, every correlation
  // it refers to has run and fed it.
  for (std::uint32_t ci = 0; ci < corrs_.size(); ++ci) {
    auto res = evaluate(corrs_[ci], ci, std::move(inputs_[ci]), stats_);
    inputs_[ci].clear();
    for (std::uint32_t up = ci + 1; up < corrs_.size(); ++up) {
      const auto& u = corrs_[up];
      for (std::size_t pos = 0; pos < u.refs.size(); ++pos) {
        if (!u.refs[pos].is_correlation || u.refs[pos].index != ci) continue;
        for (const auto& r : res) {
          input in;
          in.time = r.end;
          in.alert_id = r.id;
          in.rule_pos = static_cast<std::uint16_t>(pos);
          bool complete = true;
          auto lookup = [&](std::string_view field, std::string& out) {
            for (const auto& [f, v] : r.group)
              if (f == field) {
                out = v;
                return true;
              }
            return false;
          };
          for (const auto& g : u.group_by) {
            std::string v;
            if (!lookup(u.resolve_field(g, corrs_[ci].name), v)) {
              complete = false;
              break;
            }
            in.group.push_back(std::move(v));
          }
          if (!complete) {
            ++stats_.missing_group;
            continue;
          }
          if (!u.field.empty() && !lookup(u.resolve_field(u.field, corrs_[ci].name), in.value))
            in.value = std::to_string(r.value);
          ++stats_.inputs;
          inputs_[up].push_back(std::move(in));
        }
      }
    }
    for (auto& r : res) all.push_back(std::move(r));
  }
  std::sort(all.begin(), all.end(), [](const result& a, const result& b) {
    if (a.end != b.end) return a.end < b.end;
    if (a.correlation != b.correlation) return a.correlation < b.correlation;
    return a.id < b.id;
  });
  return all;
}

}  // namespace ariadne::correlate
