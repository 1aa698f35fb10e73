// Anomaly alerts: low-level alerts for what rules miss, from the counts the
// entity graph keeps of a run and of a baseline (issue 22): a process start
// never seen for its parent, a destination never contacted by its image, a
// remote logon from a source never seen for its account, a service never
// installed before, a rare process reading LSASS.
// Each kind is a rule of its own (data/graph/anomalies.yml) with the ATT&CK
// technique its event kind implies; the alerts join incidents like any alert.
// docs/decisions/0005-anomaly-alerts.md has the method and its constants.
//
//   graph::graph g = builder.finish();
//   auto found = graph::add_anomalies(g, base, graph::anomaly_spec::builtin());
//   auto incs = graph::find_incidents(g, opts);   // anomalies are alerts now
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/graph/baseline.hpp"
#include "ariadne/graph/graph.hpp"

namespace ariadne::graph {

struct anomaly_spec {
  struct kind {
    std::string name;  // rare_spawn, rare_destination, new_logon_source, new_service, rare_lsass_access
    alert_rule rule;   // id, title, level, tactics, techniques
  };
  std::vector<kind> kinds;
  std::uint64_t parent_starts = 10;  // rare_spawn: starts the parent made before
  double parent_variety = 0.5;       // rare_spawn: at most this share of them distinct children
  std::uint64_t account_logons = 3;  // new_logon_source: remote logons the account made before
  std::uint64_t image_contacts = 20;  // rare_destination: connections and queries the image made before
  double image_variety = 0.25;        // rare_destination: at most this share of them distinct destinations
  std::vector<std::string> lsass_expected;  // images expected to read LSASS (lower-case base names)

  [[nodiscard]] static result<anomaly_spec> parse(std::string_view text, std::string_view file);
  [[nodiscard]] static const anomaly_spec& builtin();
  [[nodiscard]] const kind* find(std::string_view name) const;
};

struct anomaly {
  std::string kind;               // anomaly_spec::kind::name
  std::uint32_t alert = k_none;   // index into graph::alerts
  std::uint32_t entity = k_none;  // the process, session or service it concerns
  std::string detail;             // "explorer.exe started happy_image.jpeg.exe, first of its 41 starts"
  std::uint64_t seen_before = 0;  // how often the context was seen before (starts, logons, ...)
};

// The keys the counts use (baseline::see): "account|source" for a remote
// logon session (account lower case without its domain; "" for sessions
// that are not remote, or of machine and system accounts), "name|image"
// shapes for a service (baseline::shape). Destinations are
// "image|address-or-domain" (lower case).
[[nodiscard]] std::string anomaly_logon_key(const entity& session);
[[nodiscard]] std::string anomaly_service_key(const entity& service);

// Finds the anomalies of a finished graph and adds each as an alert (its
// rule interned in the graph), then re-indexes the graph. `base` may be
// null. The alerts' ids are stable (kind and entity id). In time order.
// `in_scope`, when given, keeps only anomalies it accepts (time, lower-case
// host); the counts still see everything.
std::vector<anomaly> add_anomalies(graph& g, const baseline* base, const anomaly_spec& spec,
                                   const std::function<bool(time_ns, std::string_view)>& in_scope = {});

// One anomaly as a JSON line (without newline), docs/output-schema.md:
//   {"type":"anomaly","id","rule":{"id","title","level","tags"},"kind","time",
//    "host","detail","seen_before","entity":{...}}
[[nodiscard]] std::string anomaly_to_jsonl(const graph& g, const anomaly& a);

}  // namespace ariadne::graph
