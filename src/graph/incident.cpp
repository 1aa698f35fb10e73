// Incidents from the entity graph, and traces back to the root cause and
// forward to the impact (docs/incidents.md).
#include "ariadne/graph/incident.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <span>
#include <cmath>
#include <cctype>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ariadne/core/text.hpp"

namespace ariadne::graph {
namespace {

constexpr time_ns k_second = 1'000'000'000;

constexpr double k_level_weight[] = {1, 3, 6, 12, 24};  // informational .. critical

struct union_find {
  std::vector<std::uint32_t> parent;
  explicit union_find(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0U); }
  std::uint32_t find(std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

int severity_of(const alert_ref& a) { return a.rule ? a.rule->severity : 0; }

time_ns entity_time(const entity& x) { return x.start != k_no_time ? x.start : x.first; }

// The first incoming edge of one of `kinds` whose source satisfies `ok`.
std::uint32_t incoming(const graph& g, std::uint32_t e, std::initializer_list<std::string_view> kinds,
                       bool want_non_hub, std::uint32_t* edge_out = nullptr) {
  std::uint32_t best = k_none, best_edge = k_none;
  for (auto k : kinds)
    for (auto ei : g.in[e]) {
      const edge& ed = g.edges[ei];
      if (g.edge_kind_name(ed.kind) != k) continue;
      if (want_non_hub && g.entities[ed.from].hub) continue;
      if (best == k_none || (ed.time != k_no_time && ed.time < g.edges[best_edge].time)) {
        best = ed.from;
        best_edge = ei;
      }
    }
  if (edge_out) *edge_out = best_edge;
  return best;
}

// The edge from `from` to `to` that best says how one led to the other.
std::string edge_between(const graph& g, std::uint32_t from, std::uint32_t to, time_ns* t = nullptr) {
  static constexpr std::string_view k_rank[] = {"spawned", "started", "created", "injected", "wrote",
                                                "executes", "runs", "logon", "ran", "loaded"};
  auto rank = [](std::string_view k) {
    for (std::size_t r = 0; r < std::size(k_rank); ++r)
      if (k_rank[r] == k) return r;
    return std::size(k_rank);
  };
  std::uint32_t best = k_none;
  for (auto ei : g.out[from])
    if (g.edges[ei].to == to &&
        (best == k_none || rank(g.edge_kind_name(g.edges[ei].kind)) < rank(g.edge_kind_name(g.edges[best].kind))))
      best = ei;
  if (best == k_none) return {};
  if (t) *t = g.edges[best].time;
  return std::string(g.edge_kind_name(g.edges[best].kind));
}

std::string short_time(time_ns t) {
  if (t == k_no_time) return "-";
  auto s = format_rfc3339(t);
  return s.substr(0, 10) + " " + s.substr(11, 12);
}

void append_time(std::string& out, time_ns t) {
  if (t == k_no_time) out += "null";
  else append_json_string(out, format_rfc3339(t));
}

}  // namespace

std::uint32_t pick_root(const graph& g, const std::map<std::uint32_t, int>& votes) {
  std::uint32_t best = k_none;
  for (const auto& [r, v] : votes) {
    if (best == k_none) {
      best = r;
      continue;
    }
    int cur = votes.at(best);
    time_ns tr = entity_time(g.entities[r]), tc = entity_time(g.entities[best]);
    if (v > cur || (v == cur && tr != k_no_time && (tc == k_no_time || tr < tc))) best = r;
  }
  return best;
}

std::vector<std::uint32_t> back_chain(const graph& g, std::uint32_t e, std::string* reason) {
  std::vector<std::uint32_t> chain{e};
  std::unordered_set<std::uint32_t> seen{e};
  std::string why;
  std::uint32_t cur = e;
  for (int step = 0; step < 64; ++step) {
    const entity& x = g.entities[cur];
    std::uint32_t next = k_none;
    switch (x.kind) {
      case entity_kind::process: {
        if (x.user_shell) {
          why = "the user's shell";
          break;
        }
        // A system process someone injected code into (meterpreter's
        // migrate) acts for the injector.
        std::uint32_t injector = incoming(g, cur, {"injected"}, true);
        if (x.hub && injector != k_none) {
          next = injector;
          break;
        }
        std::uint32_t parent = incoming(g, cur, {"spawned"}, false);
        if (parent != k_none && g.entities[parent].user_shell) {
          why = "started by the user from " + base_name_lower(g.entities[parent].image);
          break;
        }
        if (parent != k_none && (!g.entities[parent].hub || incoming(g, parent, {"injected"}, true) != k_none)) {
          next = parent;
          break;
        }
        next = incoming(g, cur, {"started"}, false);
        if (next == k_none) next = incoming(g, cur, {"injected"}, true);
        if (next == k_none) {
          // A process in a remote logon session came in over the network.
          for (auto ei : g.in[cur]) {
            const edge& ed = g.edges[ei];
            const entity& s = g.entities[ed.from];
            if (g.edge_kind_name(ed.kind) == "runs" && s.kind == entity_kind::session && !s.source.empty()) {
              next = ed.from;
              break;
            }
          }
        }
        if (next == k_none)
          why = parent != k_none ? "started by the system process " + base_name_lower(g.entities[parent].image)
                                 : "its parent is not in the logs";
        break;
      }
      case entity_kind::service:
      case entity_kind::task:
        // The process that created it says more than the session it ran in.
        for (auto ei : g.in[cur]) {
          const edge& ed = g.edges[ei];
          if (g.edge_kind_name(ed.kind) == "created" && !g.entities[ed.from].hub &&
              g.entities[ed.from].kind == entity_kind::process)
            next = ed.from;
        }
        if (next == k_none) next = incoming(g, cur, {"created"}, true);
        if (next == k_none) why = "created by an account or process not in the logs";
        break;
      case entity_kind::session:
        why = x.source.empty() ? (x.workstation.empty() ? "a logon session with no known source"
                                                        : "a logon from workstation " + x.workstation)
                               : "a remote logon from " + x.source;
        break;
      case entity_kind::script: next = incoming(g, cur, {"ran"}, true); break;
      case entity_kind::file: next = incoming(g, cur, {"wrote"}, true); break;
      default: break;
    }
    if (next == k_none || !seen.insert(next).second) {
      if (why.empty()) why = next == k_none ? "nothing in the logs caused it" : "a cycle";
      break;
    }
    chain.push_back(next);
    cur = next;
  }
  if (reason) *reason = why;
  return chain;
}

std::uint32_t root_cause(const graph& g, std::uint32_t e, std::string* reason) {
  return back_chain(g, e, reason).back();
}

namespace {

// ---- the incident score (docs/decisions/0004-incident-score.md) ----------------

// What a routine rule still counts for.
constexpr double k_routine_weight = 0.25;
// Tactics that mean the attacker reached for what they came for.
constexpr std::string_view k_objective_tactics[] = {"credential-access", "lateral-movement", "exfiltration", "impact"};
// Techniques on sensitive targets: credential dumping and stores, Kerberos
// tickets, a rogue domain controller, domain policy.
constexpr std::string_view k_sensitive_techniques[] = {"T1003", "T1555", "T1558", "T1207", "T1484", "T1552"};
// Housekeeping: headlines only when nothing else is there (a log clear
// that ends a capture).
constexpr std::string_view k_housekeeping_techniques[] = {"T1070.001"};

bool has_technique(const alert_rule& r, std::span<const std::string_view> list) {
  for (const auto& t : r.techniques)
    for (auto want : list)
      if (t == want || (t.size() > want.size() && t.compare(0, want.size(), want) == 0 && t[want.size()] == '.')) return true;
  return false;
}

using routine_key = std::pair<std::string, std::string>;  // rule id, lower-case host

// The (rule, host) pairs that are routine: alerts in k_routine_hours
// distinct hours or more, in this run and the baseline together (a rule is
// a job, not an intrusion, on a host where it fires all day).
std::set<routine_key> find_routine(const graph& g, const baseline* base) {
  constexpr std::int64_t k_hour = 3600 * k_second;
  std::map<routine_key, std::set<std::int64_t>> hours;  // this run's, at most k_routine_hours each
  for (const auto& a : g.alerts) {
    if (!a.rule || a.correlation || a.time == k_no_time) continue;
    auto& h = hours[{a.rule->id, to_lower_ascii(a.host)}];
    if (h.size() < k_routine_hours) h.insert(a.time >= 0 ? a.time / k_hour : (a.time - k_hour + 1) / k_hour);
  }
  std::set<routine_key> out;
  for (auto& [k, h] : hours) {
    if (base && h.size() < k_routine_hours)
      if (const auto* more = base->hours(k.first, k.second)) h.insert(more->begin(), more->end());
    if (h.size() >= k_routine_hours) out.insert(k);
  }
  return out;
}

// How surprising each process's start is: -log2 of the share of all parent
// -> child transitions (run and baseline) that are its own (same images and
// command-line shape); 0 for a process whose start is not in the logs.
// Computed once per run: one key per spawned edge.
std::vector<double> start_surprisal(const graph& g, const baseline* base) {
  std::vector<double> bits(g.entities.size(), 0.0);
  std::vector<std::pair<std::uint32_t, std::string>> starts;  // child, key
  std::unordered_map<std::string, std::uint64_t> counts;
  std::uint64_t total = 0;
  for (const auto& ed : g.edges) {
    const entity& p = g.entities[ed.from];
    const entity& c = g.entities[ed.to];
    if (p.kind != entity_kind::process || c.kind != entity_kind::process || c.image.empty() ||
        g.edge_kind_name(ed.kind) != "spawned")
      continue;
    std::string key = baseline::spawn_key(p, c);
    ++counts[key];
    ++total;
    starts.emplace_back(ed.to, std::move(key));
  }
  const double n = static_cast<double>(total + (base ? base->spawn_total() : 0));
  for (const auto& [e, key] : starts) {
    if (bits[e] != 0) continue;  // its first start only
    const double c = static_cast<double>(counts[key] + (base ? base->spawns(key) : 0));
    bits[e] = c > 0 && n > 0 ? std::log2((n + 1) / c) : 0;
  }
  return bits;
}

// Scores an incident: sets score, score_factors, routine_rules and headline.
void score_incident(const graph& g, incident& inc, const std::set<routine_key>& routine,
                    const std::vector<double>& start_bits, double typical_bits) {
  static const alert_rule k_no_rule;
  struct rule_part {
    const alert_rule* rule;
    double weight = 0;     // 1 or k_routine_weight
    std::size_t alerts = 0;
  };
  std::vector<rule_part> rules;
  std::map<const alert_rule*, std::size_t> at;
  for (auto ai : inc.alerts) {
    const auto& a = g.alerts[ai];
    const alert_rule* r = a.rule ? a.rule : &k_no_rule;
    auto [it, fresh] = at.try_emplace(r, rules.size());
    if (fresh) {
      bool is_routine = a.rule && routine.count({a.rule->id, to_lower_ascii(a.host)}) > 0;
      rules.push_back({r, is_routine ? k_routine_weight : 1.0, 0});
      if (is_routine) inc.routine_rules.push_back(r->title);
    }
    ++rules[it->second].alerts;
  }
  // Each part is computed twice: at full weight (the factor shown) and with
  // routine rules demoted; the difference is the `routine` factor.
  auto parts = [&](bool demote, std::map<std::string, double>& f) {
    auto w = [&](const rule_part& p) { return demote ? p.weight : 1.0; };
    // The most severe rule, then the others at half their level's weight.
    double best = 0;
    std::size_t best_k = 0;
    for (std::size_t k = 0; k < rules.size(); ++k) {
      double v = k_level_weight[std::clamp(rules[k].rule->severity, 0, 4)] * w(rules[k]);
      if (v > best) best = v, best_k = k;
    }
    f["severity"] = best;
    double others = 0;
    for (std::size_t k = 0; k < rules.size(); ++k)
      if (k != best_k) others += 0.5 * k_level_weight[std::clamp(rules[k].rule->severity, 0, 4)] * w(rules[k]);
    f["other_rules"] = others;
    // Kill-chain progression: a tactic counts as much as the most specific
    // rule naming it (a rule tagging eight tactics gives each an eighth).
    std::map<std::string, double> tactic;
    for (const auto& p : rules) {
      if (p.rule->tactics.empty()) continue;
      double share = w(p) / static_cast<double>(p.rule->tactics.size());
      for (const auto& t : p.rule->tactics) tactic[t] = std::max(tactic[t], share);
    }
    double effective = 0, objectives = 0;
    for (const auto& [t, v] : tactic) {
      effective += v;
      for (auto o : k_objective_tactics)
        if (t == o) objectives += v;
    }
    f["kill_chain"] = effective > 1 ? 8.0 * (effective - 1) : 0.0;
    f["objectives"] = 16.0 * std::min(objectives, 2.0);
    // Volume on a log scale: a brute force's thousand attempts count.
    double alerts = 0;
    for (const auto& p : rules) alerts += static_cast<double>(p.alerts) * w(p);
    double distinct_share = inc.alerts.empty() ? 1.0 : static_cast<double>(inc.distinct_alerts) / static_cast<double>(inc.alerts.size());
    f["volume"] = 4.0 * std::log2(1.0 + alerts * distinct_share);
    double sensitive = 0;
    for (const auto& p : rules)
      if (has_technique(*p.rule, k_sensitive_techniques)) sensitive = std::max(sensitive, 12.0 * w(p));
    f["sensitive_targets"] = sensitive;
    // Spread: each entity beyond the first as much as its least routine
    // alert (a job's hundred script hosts spread nothing), at most ten.
    std::map<std::uint32_t, double> entity_weight;
    for (auto ai : inc.alerts) {
      const auto& a = g.alerts[ai];
      if (a.entity == k_none) continue;
      const alert_rule* r = a.rule ? a.rule : &k_no_rule;
      double& ew = entity_weight[a.entity];
      ew = std::max(ew, w(rules[at.at(r)]));
    }
    std::vector<double> ews;
    for (const auto& [e, v] : entity_weight) ews.push_back(v);
    std::sort(ews.rbegin(), ews.rend());
    double spread = 0;
    for (std::size_t k = 1; k < ews.size() && k <= 10; ++k) spread += ews[k];
    f["spread"] = 2.0 * spread;
    // Rarity: the three most surprising process starts the alerts are on,
    // half a point per bit above the typical start's (the median of all
    // starts in the run; routine rules' processes weigh less).
    std::vector<double> bits;
    for (const auto& [e, ew] : entity_weight)
      if (g.entities[e].kind == entity_kind::process)
        bits.push_back(std::max(0.0, start_bits[e] - typical_bits) * ew);
    std::sort(bits.rbegin(), bits.rend());
    double top = 0;
    std::size_t n = std::min<std::size_t>(bits.size(), 3);
    for (std::size_t k = 0; k < n; ++k) top += bits[k];
    f["rarity"] = n ? 0.5 * top / static_cast<double>(n) : 0.0;
  };
  std::map<std::string, double> full, demoted;
  parts(false, full);
  parts(true, demoted);
  auto round1 = [](double v) { return std::round(v * 10.0) / 10.0; };
  double total_full = 0, total = 0;
  for (const char* name :
       {"severity", "other_rules", "kill_chain", "objectives", "volume", "sensitive_targets", "spread", "rarity"}) {
    double v = round1(full[name]);
    inc.score_factors.emplace_back(name, v);
    total_full += v;
    double d = 0;
    for (const auto& [k, x] : demoted)
      if (k == name) d = round1(x);
    total += d;
  }
  double routine_part = round1(total - total_full);
  if (routine_part != 0) inc.score_factors.emplace_back("routine", routine_part);
  inc.score = round1(total_full + routine_part);
  // Headline: the most severe alert (routine rules weigh less), then the most
  // specific (fewest tactics, then a sub-technique), the earliest if tied;
  // housekeeping only when nothing else is there.
  auto rank = [&](std::uint32_t ai) {
    const auto& a = g.alerts[ai];
    const alert_rule& r = a.rule ? *a.rule : k_no_rule;
    const double w = at.count(&r) ? rules[at[&r]].weight : 1.0;
    bool sub = false;
    for (const auto& t : r.techniques) sub = sub || t.find('.') != std::string::npos;
    return std::make_tuple(!has_technique(r, k_housekeeping_techniques), k_level_weight[std::clamp(r.severity, 0, 4)] * w,
                           -static_cast<int>(r.tactics.size()), sub);
  };
  inc.headline = k_none;
  for (auto ai : inc.alerts)
    if (inc.headline == k_none || rank(ai) > rank(inc.headline)) inc.headline = ai;
}

}  // namespace

// The techniques an incident's rules support. A rule that tags three or
// more sub-techniques of one parent (T1003.001-.005 for "credential dump
// tool dropped files") does not say which one happened: it gives those of
// them another rule of the incident names on its own, else the parent
// (issue 23).
std::set<std::string> observed_techniques(const std::vector<const alert_rule*>& rules) {
  constexpr std::size_t k_unspecific = 3;
  auto parent_of = [](const std::string& t) { return t.substr(0, t.find('.')); };
  std::set<std::string> specific, out;
  std::vector<std::pair<const alert_rule*, std::string>> vague;  // (rule, parent)
  for (const auto* r : rules) {
    if (!r) continue;
    std::map<std::string, std::size_t> subs;
    for (const auto& t : r->techniques)
      if (t.find('.') != std::string::npos) ++subs[parent_of(t)];
    for (const auto& t : r->techniques) {
      if (t.find('.') != std::string::npos && subs[parent_of(t)] >= k_unspecific) {
        vague.emplace_back(r, parent_of(t));
        continue;
      }
      specific.insert(t);
    }
  }
  out = specific;
  for (const auto& [r, parent] : vague) {
    bool named = false;
    for (const auto& t : r->techniques)
      if (parent_of(t) == parent && t != parent && specific.count(t)) named = true;
    if (!named) out.insert(parent);
  }
  return out;
}

std::vector<incident> find_incidents(const graph& g, const incident_options& opts) {
  const std::set<routine_key> routine = find_routine(g, opts.base);
  const std::vector<double> start_bits = start_surprisal(g, opts.base);
  // The typical process start's surprisal: the median over the run's starts.
  double typical_bits = 0;
  {
    std::vector<double> all;
    for (double b : start_bits)
      if (b > 0) all.push_back(b);
    if (!all.empty()) {
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2), all.end());
      typical_bits = all[all.size() / 2];
    }
  }
  const std::size_t n = g.entities.size();
  union_find uf(n);
  std::vector<char> glues(g.edge_kinds.size(), 0);
  for (std::size_t k = 0; k < g.edge_kinds.size(); ++k)
    glues[k] = std::find(g.glue_edges.begin(), g.glue_edges.end(), g.edge_kinds[k]) != g.glue_edges.end();
  auto joins = [&](std::uint32_t e) {
    const entity& x = g.entities[e];
    return !x.hub && (x.kind != entity_kind::file || x.written);
  };
  for (const auto& ed : g.edges)
    if (glues[ed.kind] && joins(ed.from) && joins(ed.to)) uf.unite(ed.from, ed.to);
  // Group alerts: by component; an alert on a hub process stays with that
  // process; one on any other hub (SYSTEM's session) goes with the alerts of
  // the same rule on that hub (repeats, not a story); one on nothing stays
  // alone.
  std::map<std::uint64_t, std::vector<std::uint32_t>> groups;
  std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> repeats;
  for (std::uint32_t k = 0; k < g.alerts.size(); ++k) {
    const auto& a = g.alerts[k];
    std::uint64_t key = n + k;
    if (a.entity != k_none) {
      const entity& x = g.entities[a.entity];
      if (!x.hub || x.kind == entity_kind::process) key = uf.find(a.entity);
      else key = repeats.emplace(std::make_pair(a.entity, a.rule ? a.rule->id : std::string()), n + k).first->second;
    }
    groups[key].push_back(k);
  }
  // Groups whose alerts lead back to the same root cause are one story
  // (the walk back crosses a system process only where code was injected
  // into it).
  std::vector<std::uint32_t> root_memo(n, k_none);  // each entity's root cause, walked once
  auto root_for = [&](std::uint32_t e) {
    if (root_memo[e] == k_none) root_memo[e] = root_cause(g, e);
    return root_memo[e];
  };
  auto root_of = [&](const std::vector<std::uint32_t>& members) {
    std::map<std::uint32_t, int> votes;
    for (auto ai : members)
      if (g.alerts[ai].entity != k_none) ++votes[root_for(g.alerts[ai].entity)];
    return pick_root(g, votes);
  };
  {
    std::map<std::uint32_t, std::uint64_t> by_root;
    std::vector<std::uint64_t> keys;
    for (const auto& [key, members] : groups) keys.push_back(key);
    for (auto key : keys) {
      auto r = root_of(groups[key]);
      if (r == k_none || g.entities[r].hub) continue;
      auto [it, fresh] = by_root.emplace(r, key);
      if (fresh) continue;
      auto& dst = groups[it->second];
      dst.insert(dst.end(), groups[key].begin(), groups[key].end());
      groups.erase(key);
    }
  }
  std::vector<incident> out;
  for (auto& [key, members] : groups) {
    std::stable_sort(members.begin(), members.end(),
                     [&](auto a, auto b) { return g.alerts[a].time < g.alerts[b].time; });
    std::size_t begin = 0;
    for (std::size_t k = 1; k <= members.size(); ++k) {
      bool split = k == members.size();
      if (!split) {
        time_ns prev = g.alerts[members[k - 1]].time, cur = g.alerts[members[k]].time;
        split = prev != k_no_time && cur != k_no_time && cur - prev > opts.max_gap;
      }
      if (!split) continue;
      incident inc;
      inc.alerts.assign(members.begin() + static_cast<std::ptrdiff_t>(begin), members.begin() + static_cast<std::ptrdiff_t>(k));
      begin = k;
      std::set<std::string> hosts, users, techniques;
      std::unordered_set<std::uint32_t> entities_seen;
      std::set<std::pair<int, std::string>> tactics;
      std::vector<std::string_view> ids;  // views of the alerts' own ids
      std::vector<const alert_rule*> rules_seen;
      std::map<std::pair<const void*, std::uint32_t>, time_ns> counted;  // (rule, entity) -> last counted time
      for (auto ai : inc.alerts) {
        const auto& a = g.alerts[ai];
        ids.push_back(a.id);
        {
          auto [it, fresh] = counted.try_emplace({a.rule, a.entity}, a.time);
          const bool repeat = !fresh && a.entity != k_none && g.entities[a.entity].kind == entity_kind::process &&
                              a.time != k_no_time && it->second != k_no_time && a.time - it->second <= k_second;
          if (!repeat) ++inc.distinct_alerts;
          if (!fresh && !repeat) it->second = a.time;
        }
        if (a.time != k_no_time) {
          if (inc.first == k_no_time || a.time < inc.first) inc.first = a.time;
          if (inc.last == k_no_time || a.time > inc.last) inc.last = a.time;
        }
        if (!a.host.empty()) hosts.insert(std::string(a.host));
        static const alert_rule k_no_rule;
        const alert_rule& ar = a.rule ? *a.rule : k_no_rule;
        if (std::find(rules_seen.begin(), rules_seen.end(), a.rule) == rules_seen.end()) rules_seen.push_back(a.rule);
        for (const auto& t : ar.tactics) {
          int r = g.tactic_rank(t);
          tactics.emplace(r < 0 ? 1000 : r, t);
        }
        inc.severity = std::max(inc.severity, ar.severity);
        if (a.entity != k_none && entities_seen.insert(a.entity).second) inc.entities.push_back(a.entity);
      }
      for (auto e : inc.entities) {
        const entity& x = g.entities[e];
        std::string u = x.kind == entity_kind::user ? x.name : x.user;
        if (!u.empty()) users.insert(u);
        if (x.kind == entity_kind::process && !x.logon_id.empty())
          for (auto ei : g.in[e])
            if (g.entities[g.edges[ei].from].kind == entity_kind::session && !g.entities[g.edges[ei].from].user.empty() &&
                !g.entities[g.edges[ei].from].hub)
              users.insert(g.entities[g.edges[ei].from].user);
      }
      inc.hosts.assign(hosts.begin(), hosts.end());
      techniques = observed_techniques(rules_seen);
      inc.techniques.assign(techniques.begin(), techniques.end());
      inc.users.assign(users.begin(), users.end());
      for (const auto& [r, t] : tactics) inc.tactics.push_back(t);
      // Score and headline from named factors (docs/decisions/0004-incident-score.md).
      score_incident(g, inc, routine, start_bits, typical_bits);
      std::sort(ids.begin(), ids.end());
      std::string joined = "incident";
      for (std::string_view id : ids) {
        joined += '\n';
        joined += id;
      }
      inc.id = stable_id_hex(joined);
      std::map<std::uint32_t, int> votes;
      for (auto e : inc.entities) ++votes[root_for(e)];
      inc.root = pick_root(g, votes);
      // The id names what the incident is: its root (or, without one, the
      // first entity its alerts are on) and hosts, so filters that keep the
      // root (--min-level, --exclude-rule) keep the id. Stories without any
      // entity keep the hash of their alerts.
      std::uint32_t anchor = inc.root;
      if (anchor == k_none)
        for (auto e : inc.entities)
          if (anchor == k_none || g.entities[e].id < g.entities[anchor].id) anchor = e;
      if (anchor != k_none) {
        std::string what = "incident\nroot\n" + g.entities[anchor].id;
        for (const auto& h : hosts) what += "\n" + to_lower_ascii(h);
        inc.id = stable_id_hex(what);
      }
      out.push_back(std::move(inc));
    }
  }
  // One story split by a quiet gap: the same root, several incidents; the
  // first in time keeps the id, the later ones are numbered (#2, #3...).
  {
    std::vector<std::size_t> order(out.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return out[a].first < out[b].first; });
    std::map<std::string, int> seen;
    for (auto k : order)
      if (int nth = ++seen[out[k].id]; nth > 1) out[k].id = stable_id_hex(out[k].id + "#" + std::to_string(nth));
  }
  std::sort(out.begin(), out.end(), [](const incident& a, const incident& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.first != b.first) return a.first < b.first;
    return a.id < b.id;
  });
  // Cross-host links: a remote logon into one incident's host from another
  // incident's host (within the link window), or from the same outside
  // address (docs/incidents.md).
  std::map<std::string, std::vector<std::size_t>> by_source;
  std::vector<std::set<std::string>> sources(out.size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    for (auto e : out[k].entities)
      for (auto c : back_chain(g, e))
        if (g.entities[c].kind == entity_kind::session && !g.entities[c].source.empty())
          sources[k].insert(g.entities[c].source);
    for (const auto& s : sources[k]) by_source[s].push_back(k);
  }
  auto near = [&](const incident& a, const incident& b) {
    if (a.first == k_no_time || b.first == k_no_time) return false;
    return a.first <= b.last + opts.link_window && b.first <= a.last + opts.link_window;
  };
  std::vector<std::vector<std::string>> lower_hosts(out.size());
  for (std::size_t k = 0; k < out.size(); ++k)
    for (const auto& h : out[k].hosts) lower_hosts[k].push_back(to_lower_ascii(h));
  auto add_link = [&](std::size_t a, std::size_t b, const std::string& via) {
    for (const auto& l : out[a].links)
      if (l.incident == b) return;
    out[a].links.push_back({b, via});
  };
  for (const auto& [src, incs] : by_source) {
    auto home = g.address_host.find(src);
    for (auto a : incs) {
      if (home != g.address_host.end()) {
        for (std::size_t b = 0; b < out.size(); ++b)
          if (b != a && lower_hosts[a] != lower_hosts[b] &&
              std::find(lower_hosts[b].begin(), lower_hosts[b].end(), home->second) != lower_hosts[b].end() &&
              near(out[a], out[b])) {
            add_link(a, b, "remote logon from " + home->second + " (" + src + ")");
            add_link(b, a, "remote logon to " + (out[a].hosts.empty() ? std::string("?") : out[a].hosts.front()) +
                               " from " + src);
          }
        continue;
      }
      // The same outside address: the same origin, whenever it came back;
      // the nearest in time first, a bounded number.
      std::vector<std::pair<time_ns, std::size_t>> cands;
      for (auto b : incs) {
        if (b == a || lower_hosts[a] == lower_hosts[b]) continue;
        time_ns gap = 0;
        if (out[a].first != k_no_time && out[b].first != k_no_time)
          gap = out[b].first > out[a].last ? out[b].first - out[a].last
                                           : out[a].first > out[b].last ? out[a].first - out[b].last : 0;
        else if (opts.same_source_window > 0)
          continue;
        if (opts.same_source_window > 0 && gap > opts.same_source_window) continue;
        cands.emplace_back(gap, b);
      }
      std::sort(cands.begin(), cands.end());
      for (std::size_t i = 0; i < cands.size() && i < opts.max_same_source_links; ++i)
        add_link(a, cands[i].second, "remote logons from the same source " + src);
    }
  }
  if (opts.narratives)
    for (auto& inc : out) inc.story = tell(g, out, inc, {});
  return out;
}

story trace(const graph& g, const std::vector<std::uint32_t>& targets, bool forward, std::size_t max_forward) {
  story s;
  s.targets = targets;
  std::unordered_map<std::uint32_t, std::size_t> at;  // entity -> step
  auto add = [&](std::uint32_t e, std::uint32_t cause, bool impact) {
    if (auto it = at.find(e); it != at.end()) {
      if (s.steps[it->second].cause == k_none && cause != k_none) {
        s.steps[it->second].cause = cause;
        s.steps[it->second].relation = edge_between(g, cause, e, &s.steps[it->second].time);
      }
      return false;
    }
    story_step st;
    st.entity = e;
    st.cause = cause;
    st.impact = impact;
    st.time = entity_time(g.entities[e]);
    if (cause != k_none) {
      time_ns t = k_no_time;
      st.relation = edge_between(g, cause, e, &t);
      // The step happened when the edge did (a process accessed, injected or
      // connected to was there long before); a child is shown at its start.
      if (t != k_no_time &&
          (st.time == k_no_time || g.entities[e].kind != entity_kind::process || st.relation != "spawned"))
        st.time = t;
    }
    if (e < g.alerts_of.size()) st.alerts = g.alerts_of[e];
    at.emplace(e, s.steps.size());
    s.steps.push_back(std::move(st));
    return true;
  };
  std::map<std::uint32_t, int> votes;
  std::map<std::uint32_t, std::string> reasons;
  std::map<std::uint32_t, std::set<std::uint32_t>> reach;  // root -> the entities its chains pass
  for (auto t : targets) {
    std::string why;
    auto chain = back_chain(g, t, &why);
    ++votes[chain.back()];
    reasons[chain.back()] = why;
    reach[chain.back()].insert(chain.begin(), chain.end());
    for (std::size_t k = chain.size(); k-- > 0;) add(chain[k], k + 1 < chain.size() ? chain[k + 1] : k_none, false);
  }
  s.root = pick_root(g, votes);
  if (s.root != k_none) s.root_reason = reasons[s.root];
  {
    std::vector<std::pair<int, std::uint32_t>> by_votes;
    for (const auto& [r, n] : votes)
      if (r != k_none) by_votes.emplace_back(-n, r);
    std::sort(by_votes.begin(), by_votes.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      if (a.second == s.root || b.second == s.root) return a.second == s.root;
      return g.entities[a.second].id < g.entities[b.second].id;
    });
    // Roots whose chains meet (or where one's image was written by a
    // process on the other's chain: a download and the payload it ran) are
    // one story; each other group is a chain of its own.
    for (auto& [r, set] : reach) {
      if (r == k_none || g.entities[r].kind != entity_kind::process) continue;
      for (auto ei : g.out[r]) {
        if (g.edge_kind_name(g.edges[ei].kind) != "executes") continue;
        std::uint32_t writer = incoming(g, g.edges[ei].to, {"wrote"}, false, nullptr);
        if (writer == k_none) continue;
        auto wchain = back_chain(g, writer);
        set.insert(wchain.begin(), wchain.end());
      }
    }
    std::vector<std::uint32_t> kept;
    for (const auto& [n, r] : by_votes) {
      bool joined = false;
      for (auto k : kept) {
        const auto& a = reach[k];
        for (auto e : reach[r])
          if (a.count(e)) {
            joined = true;
            break;
          }
        if (joined) {
          reach[k].insert(reach[r].begin(), reach[r].end());
          break;
        }
      }
      if (!joined) kept.push_back(r);
    }
    s.roots = std::move(kept);
  }
  // Where the root came from: the image file it ran and who wrote it (the
  // browser that downloaded it, the process that dropped it).
  if (s.root != k_none && g.entities[s.root].kind == entity_kind::process)
    for (auto ei : g.out[s.root]) {
      const edge& ed = g.edges[ei];
      if (g.edge_kind_name(ed.kind) != "executes") continue;
      std::uint32_t wr_edge = k_none;
      std::uint32_t writer = incoming(g, ed.to, {"wrote"}, false, &wr_edge);
      if (writer == k_none) break;
      s.root_reason += "; its image " + g.entities[ed.to].name + " was written by " +
                       base_name_lower(g.entities[writer].image) + " at " + short_time(g.edges[wr_edge].time);
      add(writer, k_none, false);
      add(ed.to, writer, false);
      break;
    }
  if (forward) {
    static const std::set<std::string_view> k_forward = {"spawned", "wrote",  "connected", "resolved", "accessed",
                                                         "injected", "created", "started",  "set",      "ran"};
    std::vector<std::uint32_t> queue(targets.begin(), targets.end());
    std::size_t added = 0;
    for (std::size_t qi = 0; qi < queue.size() && added < max_forward; ++qi) {
      auto cur = queue[qi];
      if (g.entities[cur].hub && qi >= targets.size()) continue;  // hubs are shown, not followed
      std::vector<std::uint32_t> outs = g.out[cur];
      std::sort(outs.begin(), outs.end(), [&](auto a, auto b) { return g.edges[a].time < g.edges[b].time; });
      for (auto ei : outs) {
        const edge& ed = g.edges[ei];
        if (!k_forward.count(g.edge_kind_name(ed.kind))) continue;
        if (add(ed.to, cur, true)) {
          queue.push_back(ed.to);
          if (++added >= max_forward) break;
        }
      }
    }
  }
  // k_no_time is the smallest time: steps without one come first.
  std::stable_sort(s.steps.begin(), s.steps.end(),
                   [](const story_step& a, const story_step& b) { return a.time < b.time; });
  return s;
}

std::string entity_json(const graph& g, std::uint32_t e) {
  const entity& x = g.entities[e];
  std::string o = "{\"id\":";
  append_json_string(o, x.id);
  o += ",\"kind\":";
  append_json_string(o, kind_name(x.kind));
  o += ",\"host\":";
  append_json_string(o, x.host);
  auto field = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    o += ",\"";
    o += name;
    o += "\":";
    append_json_string(o, v);
  };
  field("image", x.image);
  field("command_line", x.command_line);
  field("user", x.user);
  field(x.kind == entity_kind::ip ? "address" : x.kind == entity_kind::file ? "path" : "name", x.name);
  field("source", x.source);
  field("workstation", x.workstation);
  field("logon_type", x.logon_type);
  field("logon_id", x.logon_id);
  if (x.pid >= 0) o += ",\"pid\":" + std::to_string(x.pid);
  if (x.start != k_no_time) {
    o += ",\"start\":";
    append_time(o, x.start);
  }
  if (x.hub) o += ",\"hub\":true";
  o += "}";
  return o;
}

std::string story_json(const graph& g, const story& s, const std::string& traced_id, const std::string& traced_kind) {
  std::string o = "{\"traced\":{\"id\":";
  append_json_string(o, traced_id);
  o += ",\"kind\":";
  append_json_string(o, traced_kind);
  o += "},\"root\":";
  o += s.root == k_none ? "null" : entity_json(g, s.root);
  o += ",\"root_reason\":";
  append_json_string(o, s.root_reason);
  o += ",\"steps\":[";
  for (std::size_t k = 0; k < s.steps.size(); ++k) {
    const auto& st = s.steps[k];
    if (k) o.push_back(',');
    o += "{\"time\":";
    append_time(o, st.time);
    o += ",\"entity\":" + entity_json(g, st.entity);
    o += ",\"cause\":";
    if (st.cause == k_none) o += "null";
    else append_json_string(o, g.entities[st.cause].id);
    o += ",\"relation\":";
    if (st.relation.empty()) o += "null";
    else append_json_string(o, st.relation);
    o += ",\"impact\":";
    o += st.impact ? "true" : "false";
    o += ",\"alerts\":[";
    for (std::size_t a = 0; a < st.alerts.size(); ++a) {
      if (a) o.push_back(',');
      append_json_string(o, g.alerts[st.alerts[a]].id);
    }
    o += "]}";
  }
  o += "]}";
  return o;
}

namespace {

// A label with its numbers masked ("session 0x6793c of X" -> "session # of X"),
// so steps that differ only by an id compare equal.
std::string label_shape(std::string_view label) {
  std::string out;
  for (std::size_t k = 0; k < label.size();) {
    if (label[k] >= '0' && label[k] <= '9') {
      while (k < label.size() && (std::isxdigit(static_cast<unsigned char>(label[k])) || label[k] == 'x')) ++k;
      out.push_back('#');
    } else {
      out.push_back(label[k++]);
    }
  }
  return out;
}

// Display columns of UTF-8 text without colour sequences.
std::size_t columns(std::string_view t) {
  std::size_t w = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] == '\x1b') {
      while (k < t.size() && t[k] != 'm') ++k;
      continue;
    }
    if ((static_cast<unsigned char>(t[k]) & 0xC0) != 0x80) ++w;
  }
  return w;
}

// `t` cut to `width` columns with an ellipsis (colour sequences kept whole
// and closed).
std::string cut(const std::string& t, std::size_t width) {
  if (width == 0 || columns(t) <= width) return t;
  std::string out;
  std::size_t w = 0;
  bool colored = false;
  for (std::size_t k = 0; k < t.size();) {
    if (t[k] == '\x1b') {
      std::size_t e = t.find('m', k);
      if (e == std::string::npos) break;
      colored = t.compare(k, e + 1 - k, "\x1b[0m") != 0;
      out.append(t, k, e + 1 - k);
      k = e + 1;
      continue;
    }
    if ((static_cast<unsigned char>(t[k]) & 0xC0) != 0x80) {
      if (w + 1 == width) break;
      ++w;
    }
    out.push_back(t[k++]);
  }
  out += "\xE2\x80\xA6";
  if (colored) out += "\x1b[0m";
  return out;
}

}  // namespace

std::string story_text(const graph& g, const story& s, bool color) {
  text_options o;
  o.color = color;
  return story_text(g, s, o);
}

std::string story_text(const graph& g, const story& s, const text_options& opts) {
  const bool color = opts.color;
  auto paint = [&](const std::string& t, const char* code) {
    return color ? std::string("\x1b[") + code + "m" + t + "\x1b[0m" : t;
  };
  std::unordered_map<std::uint32_t, std::size_t> at;
  for (std::size_t k = 0; k < s.steps.size(); ++k) at.emplace(s.steps[k].entity, k);
  std::vector<std::vector<std::size_t>> kids(s.steps.size());
  std::vector<std::size_t> tops;
  for (std::size_t k = 0; k < s.steps.size(); ++k) {
    auto c = s.steps[k].cause;
    auto it = c == k_none ? at.end() : at.find(c);
    if (it == at.end() || it->second == k) tops.push_back(k);
    else kids[it->second].push_back(k);
  }
  std::string o;
  auto line = [&](const std::string& t) {
    o += cut(t, opts.width);
    o += '\n';
  };
  if (s.roots.size() > 1) {
    line(paint("Root causes", "1") + fmt::format(": {} chains the logs do not connect", s.roots.size()));
    for (auto r : s.roots) line("  " + g.label(r));
    if (!s.root_reason.empty()) line("  the first: " + s.root_reason);
    o += "\n";
  } else if (s.root != k_none) {
    line(paint("Root cause", "1") + ": " + g.label(s.root));
    if (!s.root_reason.empty()) line("  " + s.root_reason);
    o += "\n";
  }
  // The shape of a leaf step, for collapsing repeats among siblings.
  auto shape = [&](std::size_t k) {
    const auto& st = s.steps[k];
    std::string key = st.relation + "\x1f" + label_shape(g.label(st.entity)) + "\x1f" +
                      label_shape(g.entities[st.entity].command_line);
    for (auto ai : st.alerts) key += "\x1f" + title_of(g.alerts[ai]) + (g.alerts[ai].id == opts.traced_alert ? "*" : "");
    return key;
  };
  std::vector<bool> done(s.steps.size(), false);
  auto visit = [&](auto&& self, std::size_t k, int depth) -> void {
    if (done[k]) return;
    done[k] = true;
    const auto& st = s.steps[k];
    std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    std::string rel = st.relation.empty() ? "" : st.relation + " ";
    bool target = std::find(s.targets.begin(), s.targets.end(), st.entity) != s.targets.end();
    std::string label = g.label(st.entity);
    if (target) label = paint(label, "1");
    line(fmt::format("{}  {}{}{}", short_time(st.time), indent, paint(rel, "2"), label));
    const entity& x = g.entities[st.entity];
    const std::string pad(23, ' ');
    if (x.kind == entity_kind::process && !x.command_line.empty()) {
      line(fmt::format("{}  {}    {}", pad, indent, paint("> " + x.command_line, "2")));
      if (auto script = decode_powershell_command(x.command_line))
        line(fmt::format("{}  {}    {}", pad, indent, paint("> decoded: " + *script, "2")));
    }
    // Alerts, repeats of one rule as one line with a count.
    std::vector<std::pair<std::uint32_t, std::size_t>> shown;  // first alert, count
    for (auto ai : st.alerts) {
      bool merged = false;
      for (auto& [first, n] : shown)
        if (title_of(g.alerts[first]) == title_of(g.alerts[ai]) && g.alerts[ai].id != opts.traced_alert &&
            g.alerts[first].id != opts.traced_alert) {
          ++n;
          merged = true;
          break;
        }
      if (!merged) shown.emplace_back(ai, 1);
    }
    for (const auto& [ai, n] : shown) {
      const auto& a = g.alerts[ai];
      const char* code = severity_of(a) >= 3 ? "31" : severity_of(a) == 2 ? "33" : "36";
      std::string clock = a.time == k_no_time ? std::string("-") : short_time(a.time).substr(11);
      std::string mark = a.id == opts.traced_alert ? "  " + paint("<- traced", "1") : "";
      line(fmt::format("{}  {}    {} {} [{}] {}{}{}", pad, indent, paint("!", code), clock,
                       a.rule ? a.rule->level : std::string(), title_of(a), n > 1 ? fmt::format(" x{}", n) : "", mark));
    }
    // Children; leaves of the same shape in a row collapse to the first and a count.
    const auto& ch = kids[k];
    for (std::size_t i = 0; i < ch.size();) {
      std::size_t j = i + 1;
      if (kids[ch[i]].empty()) {
        std::string sh = shape(ch[i]);
        while (j < ch.size() && kids[ch[j]].empty() && shape(ch[j]) == sh) ++j;
      }
      self(self, ch[i], depth + 1);
      if (j - i > 1) {
        for (std::size_t r = i + 1; r < j; ++r) done[ch[r]] = true;
        line(fmt::format("{}  {}  {}", pad, indent,
                         paint(fmt::format("... x{} more like it, until {}", j - i - 1, short_time(s.steps[ch[j - 1]].time)),
                               "2")));
      }
      i = j;
    }
  };
  for (auto t : tops) visit(visit, t, 0);
  return o;
}

std::string story_dot(const graph& g, const story& s) {
  auto esc = [](std::string v) {
    std::string o;
    for (char c : v) {
      if (c == '"' || c == '\\') o.push_back('\\');
      o.push_back(c);
    }
    return o;
  };
  std::string o = "digraph trace {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& st : s.steps) {
    const entity& x = g.entities[st.entity];
    std::string label = esc(g.label(st.entity));
    for (auto ai : st.alerts) label += "\\n! " + esc(title_of(g.alerts[ai]));
    std::string style;
    if (st.entity == s.root) style = ", style=bold, color=red";
    else if (!st.alerts.empty()) style = ", color=orange";
    else if (x.hub) style = ", style=dashed";
    o += fmt::format("  \"{}\" [label=\"{}\"{}];\n", x.id, label, style);
  }
  for (const auto& st : s.steps)
    if (st.cause != k_none)
      o += fmt::format("  \"{}\" -> \"{}\" [label=\"{}\"];\n", g.entities[st.cause].id, g.entities[st.entity].id,
                       esc(st.relation));
  o += "}\n";
  return o;
}

std::string incident_to_jsonl(const graph& g, const std::vector<incident>& all, const incident& inc) {
  std::string o = "{\"type\":\"incident\",\"id\":";
  append_json_string(o, inc.id);
  o += ",\"first\":";
  append_time(o, inc.first);
  o += ",\"last\":";
  append_time(o, inc.last);
  o += ",\"severity\":";
  append_json_string(o, severity_name(inc.severity));
  o += fmt::format(",\"score\":{:.1f}", inc.score);
  o += ",\"headline\":";
  if (inc.headline == k_none) o += "null";
  else append_json_string(o, title_of(g.alerts[inc.headline]));
  o += ",\"hosts\":";
  append_json_string_list(o, inc.hosts);
  o += ",\"users\":";
  append_json_string_list(o, inc.users);
  o += ",\"tactics\":";
  append_json_string_list(o, inc.tactics);
  o += ",\"techniques\":";
  append_json_string_list(o, inc.techniques);
  o += ",\"alerts\":[";
  for (std::size_t k = 0; k < inc.alerts.size(); ++k) {
    if (k) o.push_back(',');
    append_json_string(o, g.alerts[inc.alerts[k]].id);
  }
  o += "],\"distinct_alerts\":" + std::to_string(inc.distinct_alerts);
  o += ",\"score_factors\":{";
  for (std::size_t k = 0; k < inc.score_factors.size(); ++k) {
    if (k) o.push_back(',');
    append_json_string(o, inc.score_factors[k].first);
    o += fmt::format(":{:.1f}", inc.score_factors[k].second);
  }
  o += "},\"routine_rules\":";
  append_json_string_list(o, inc.routine_rules);
  o += ",\"root\":";
  o += inc.root == k_none ? "null" : entity_json(g, inc.root);
  o += ",\"links\":[";
  for (std::size_t k = 0; k < inc.links.size(); ++k) {
    if (k) o.push_back(',');
    o += "{\"id\":";
    append_json_string(o, all[inc.links[k].incident].id);
    o += ",\"via\":";
    append_json_string(o, inc.links[k].via);
    o += "}";
  }
  o += "]";
  if (!inc.story.sentences.empty()) o += ",\"narrative\":" + narrative_json(inc.story);
  o += "}";
  return o;
}

}  // namespace ariadne::graph
