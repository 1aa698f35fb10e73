// `ariadne trace CASE.db ID`: the storyline of an alert or an incident,
// read from the case database that `hunt --case` wrote (docs/incidents.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "ariadne/casedb/casedb.hpp"
#include "ariadne/graph/incident.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {

int run_trace(const trace_options& opts) {
  std::error_code ec;
  if (!std::filesystem::exists(opts.case_db, ec)) {
    std::fprintf(stderr, "ariadne: no case database at %s (write one with 'ariadne hunt --case %s ...')\n",
                 opts.case_db.c_str(), opts.case_db.c_str());
    return k_exit_fatal;
  }
  auto db = casedb::database::open(opts.case_db, casedb::open_mode::read_only);
  if (!db) {
    std::fprintf(stderr, "ariadne: %s\n", db.error().message.c_str());
    return k_exit_fatal;
  }
  // The id: an incident, an alert or a correlation (a unique prefix will do).
  std::string kind, id;
  for (const char* table : {"incidents", "alert_entities"}) {
    auto ids = (*db)->match_ids(table, opts.id);
    if (!ids) {
      std::fprintf(stderr, "ariadne: %s\n", ids.error().message.c_str());
      return k_exit_fatal;
    }
    if (ids->size() > 1) {
      std::string list;
      for (const auto& i : *ids) list += "\n  " + i;
      std::fprintf(stderr, "ariadne: '%s' is the start of several ids; give more of it:%s\n", opts.id.c_str(),
                   list.c_str());
      return k_exit_usage;
    }
    if (ids->size() == 1) {
      kind = std::string(table) == "incidents" ? "incident" : "alert";
      id = ids->front();
      break;
    }
  }
  if (id.empty()) {
    for (const char* table : {"alerts", "correlations"}) {
      auto ids = (*db)->match_ids(table, opts.id);
      if (ids && !ids->empty()) {
        std::fprintf(stderr, "ariadne: %s %s is in the case database but on no entity of the graph "
                             "(its event names no process, session, service or other entity ariadne maps)\n",
                     table == std::string("alerts") ? "alert" : "correlation", ids->front().c_str());
        return k_exit_fatal;
      }
    }
    std::fprintf(stderr, "ariadne: no incident or alert with id '%s' in %s\n", opts.id.c_str(), opts.case_db.c_str());
    return k_exit_fatal;
  }
  auto g = (*db)->load_graph();
  if (!g) {
    std::fprintf(stderr, "ariadne: %s\n", g.error().message.c_str());
    return k_exit_fatal;
  }
  std::vector<std::string> alert_ids;
  if (kind == "incident") {
    auto a = (*db)->incident_alerts(id);
    if (!a) {
      std::fprintf(stderr, "ariadne: %s\n", a.error().message.c_str());
      return k_exit_fatal;
    }
    alert_ids = std::move(*a);
  } else {
    alert_ids.push_back(id);
  }
  std::vector<std::uint32_t> targets;
  for (const auto& a : g->alerts)
    if (std::find(alert_ids.begin(), alert_ids.end(), a.id) != alert_ids.end() &&
        std::find(targets.begin(), targets.end(), a.entity) == targets.end())
      targets.push_back(a.entity);
  if (targets.empty()) {
    std::fprintf(stderr, "ariadne: %s %s has no entity in the graph\n", kind.c_str(), id.c_str());
    return k_exit_fatal;
  }
  graph::story s = graph::trace(*g, targets, opts.forward);
  bool to_stdout = opts.output.empty() || opts.output == "-";
  std::string text;
  if (opts.format == "json") {
    text = graph::story_json(*g, s, id, kind) + "\n";
  } else if (opts.format == "dot") {
    text = graph::story_dot(*g, s);
  } else {
    bool color = !opts.no_color && to_stdout && is_tty(stdout) && color_allowed();
    graph::text_options to;
    to.color = color;
    to.width = to_stdout && !opts.wide ? terminal_width(stdout) : 0;
    text = fit(fmt::format("Trace of {} {}{}", kind, id,
                           opts.forward ? " (back to the root cause, forward to the impact)"
                                        : " (back to the root cause; --forward for the impact)"),
               to.width) +
           "\n\n";
    if (kind == "alert") to.traced_alert = id;
    if (kind == "incident")
      if (auto story = (*db)->incident_narrative(id, false); story && !story->empty())
        text += wrap(*story, to.width ? to.width : 100, "") + "\n\n";
    text += graph::story_text(*g, s, to);
    text = printable_text(text, color);  // names from the logs may hold escape sequences
  }
  return write_output(opts.output, text);
}

}  // namespace ariadne::cli
