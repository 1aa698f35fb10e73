// Incidents (alerts connected through the entity graph within a time
// window, hubs excluded) and traces (the storyline from an entity back to
// its root cause and forward to its impact). docs/incidents.md.
//
//   auto incs = graph::find_incidents(g, {});
//   graph::story s = graph::trace(g, {entity_idx}, /*forward=*/true);
//   std::string text = graph::story_text(g, s, /*color=*/false);
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ariadne/graph/baseline.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/graph/narrative.hpp"

namespace ariadne::graph {

struct incident_options {
  time_ns max_gap = 3600LL * 1'000'000'000;  // alerts further apart than this split an incident
  time_ns link_window = 24LL * 3600 * 1'000'000'000;  // host-to-host logon links within this time
  // Incidents on different hosts reached by remote logons from the same
  // outside address (no host in the logs) are linked whenever they happened
  // (0: no limit), at most `max_same_source_links` per incident, nearest first.
  time_ns same_source_window = 0;
  std::size_t max_same_source_links = 16;
  // What is routine in this environment, learned before (may be null).
  const baseline* base = nullptr;
  // Tell each incident's story (incident::story; graph/narrative.hpp).
  bool narratives = true;
};

struct incident_link {
  std::size_t incident = 0;  // index into the incident list
  std::string via;           // "remote logon from 10.0.0.5"
};

struct incident {
  std::string id;  // stable: a hash of its root entity and hosts (docs/incidents.md)
  time_ns first = k_no_time, last = k_no_time;
  std::vector<std::string> hosts, users, tactics;  // tactics in kill-chain order
  // ATT&CK technique ids its alerts support, sorted: a rule tagging three
  // or more sub-techniques of one parent gives those another rule names,
  // else the parent (observed_techniques).
  std::vector<std::string> techniques;
  std::vector<std::uint32_t> alerts;               // indices into graph::alerts, by time
  // Alerts counted once where one rule fired on one process within a
  // second (a process both Sysmon 1 and Security 4688 report).
  std::size_t distinct_alerts = 0;
  std::vector<std::uint32_t> entities;             // entities holding its alerts
  std::uint32_t root = k_none;                     // root-cause entity
  double score = 0;
  // The score's named parts, summing to `score` (docs/decisions/0004-incident-score.md).
  std::vector<std::pair<std::string, double>> score_factors;
  // Titles of the incident's rules found routine (demoted, not hidden).
  std::vector<std::string> routine_rules;
  int severity = 0;  // highest alert severity
  // Its most severe, most specific alert (housekeeping such as a log clear
  // only when nothing else is there; the first, if tied).
  std::uint32_t headline = k_none;
  std::vector<incident_link> links;
  // Its story in a few sentences, each fact citing its evidence (graph/narrative.hpp).
  narrative story;
};

// The title of an alert's rule ("" if it has none).
[[nodiscard]] inline const std::string& title_of(const alert_ref& a) {
  static const std::string k_none_title;
  return a.rule ? a.rule->title : k_none_title;
}

// The techniques a set of rules supports (incident::techniques).
[[nodiscard]] std::set<std::string> observed_techniques(const std::vector<const alert_rule*>& rules);

// Incidents, most severe first (score, then first time, then id).
[[nodiscard]] std::vector<incident> find_incidents(const graph& g, const incident_options& opts);

// One step of a storyline: an entity, how it came from the step before it
// (`cause`: the entity it came from, `relation`: the edge kind), and the
// alerts on it.
struct story_step {
  std::uint32_t entity = k_none;
  std::uint32_t cause = k_none;
  std::string relation;
  time_ns time = k_no_time;
  std::vector<std::uint32_t> alerts;  // indices into graph::alerts
  bool impact = false;                // reached walking forward
};

struct story {
  std::uint32_t root = k_none;
  // Every chain's root, most alerts first: more than one when the traced
  // alerts lie on chains the logs do not connect.
  std::vector<std::uint32_t> roots;
  std::vector<std::uint32_t> targets;  // what was traced (alert entities)
  std::vector<story_step> steps;       // in time order
  std::string root_reason;             // why the walk stopped there
};

// The chain from `e` back to its root cause.
[[nodiscard]] std::vector<std::uint32_t> back_chain(const graph& g, std::uint32_t e, std::string* reason = nullptr);
// The root cause of an entity (the last element of back_chain).
[[nodiscard]] std::uint32_t root_cause(const graph& g, std::uint32_t e, std::string* reason = nullptr);

// The root most votes name; ties: the earliest entity.
[[nodiscard]] std::uint32_t pick_root(const graph& g, const std::map<std::uint32_t, int>& votes);

// A storyline for a set of entities: their chains back to the root cause
// and, with `forward`, what they went on to do (children, files written,
// connections, processes accessed, services created), up to `max_forward`
// entities.
[[nodiscard]] story trace(const graph& g, const std::vector<std::uint32_t>& targets, bool forward,
                          std::size_t max_forward = 400);

// Renderings of a story. `color` adds ANSI colours (text only).
struct text_options {
  bool color = false;
  std::size_t width = 0;        // lines cut to this many columns (0: not cut)
  std::string traced_alert;     // this alert's line is marked
};
// Text for people: an indented tree; repeated leaf steps (same relation,
// kind, label shape and alerts) and repeated alerts on one step collapse to
// one line with a count; PowerShell -EncodedCommand is decoded beside the
// command line; several unconnected chains each name their root.
[[nodiscard]] std::string story_text(const graph& g, const story& s, const text_options& opts);
[[nodiscard]] std::string story_text(const graph& g, const story& s, bool color);
[[nodiscard]] std::string story_json(const graph& g, const story& s, const std::string& traced_id,
                                     const std::string& traced_kind);
[[nodiscard]] std::string story_dot(const graph& g, const story& s);

// An entity as a JSON object: {"id","kind","host",...attributes}.
[[nodiscard]] std::string entity_json(const graph& g, std::uint32_t e);

// One incident as a JSON line (without newline): {"type":"incident","id",...}.
[[nodiscard]] std::string incident_to_jsonl(const graph& g, const std::vector<incident>& all, const incident& inc);

}  // namespace ariadne::graph
