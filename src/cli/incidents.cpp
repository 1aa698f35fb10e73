// `ariadne incidents CASE.db`: the incidents a hunt stored, as a table for
// people, JSON lines or CSV for tools; `ariadne incidents CASE.db show ID`:
// one incident with its alerts (repeats as one line with a count).
#include <fmt/format.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "ariadne/attack/attack.hpp"
#include "ariadne/casedb/casedb.hpp"
#include "ariadne/graph/narrative.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {
namespace {

struct incident_view {
  std::string id, first, last, severity, headline, root, json;
  double score = 0;
  std::vector<std::string> hosts, users, tactics, techniques, links, routine;
  std::vector<std::pair<std::string, double>> factors;
  std::size_t alerts = 0;
  std::size_t distinct = 0;  // a process both Sysmon and Security report counted once
};

// A field, or "" when it is missing or not a string (never throws).
using field = simdjson::simdjson_result<simdjson::dom::element>;
std::string str(field e) {
  std::string_view v;
  return e.get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

std::vector<std::string> strings(field e) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (e.get(a) != simdjson::SUCCESS) return out;
  for (auto x : a) out.push_back(str(field(simdjson::dom::element(x))));
  return out;
}

// "process powershell.exe (pid 6640)", "session 0x6793c of IE10WIN7\IEUser", "ip 10.0.0.5".
std::string root_label(simdjson::dom::element re) {
  if (re.is_null()) return "-";
  field r{simdjson::dom::element(re)};
  std::string kind = str(r["kind"]);
  std::string image = str(r["image"]);
  if (!image.empty()) {
    auto slash = image.find_last_of("\\/");
    std::string s = kind + " " + (slash == std::string::npos ? image : image.substr(slash + 1));
    std::int64_t pid = -1;
    if (r["pid"].get(pid) == simdjson::SUCCESS) s += fmt::format(" (pid {})", pid);
    return s;
  }
  for (const char* f : {"name", "path", "address", "logon_id"}) {
    std::string v = str(r[f]);
    if (v.empty()) continue;
    std::string s = kind + " " + v;
    if (std::string u = str(r["user"]); !u.empty() && std::string(f) == "logon_id") s += " of " + u;
    return s;
  }
  std::int64_t pid = -1;
  if (r["pid"].get(pid) == simdjson::SUCCESS) return fmt::format("{} (pid {})", kind, pid);
  return kind;
}

bool parse_view(simdjson::dom::parser& p, const std::string& json, incident_view& v) {
  simdjson::dom::element e;
  if (p.parse(json).get(e) != simdjson::SUCCESS) return false;
  v.json = json;
  v.id = str(e["id"]);
  v.first = str(e["first"]);
  v.last = str(e["last"]);
  v.severity = str(e["severity"]);
  v.headline = str(e["headline"]);
  double score = 0;
  if (e["score"].get(score) == simdjson::SUCCESS) v.score = score;
  v.hosts = strings(e["hosts"]);
  v.users = strings(e["users"]);
  v.tactics = strings(e["tactics"]);
  v.techniques = strings(e["techniques"]);
  simdjson::dom::array alerts;
  if (e["alerts"].get(alerts) == simdjson::SUCCESS) v.alerts = alerts.size();
  std::uint64_t distinct = 0;
  v.distinct = e["distinct_alerts"].get(distinct) == simdjson::SUCCESS ? distinct : v.alerts;
  simdjson::dom::element root;
  v.root = e["root"].get(root) == simdjson::SUCCESS ? root_label(root) : "-";
  simdjson::dom::object factors;
  if (e["score_factors"].get(factors) == simdjson::SUCCESS)
    for (auto [k, x] : factors) {
      double d = 0;
      if (x.get(d) == simdjson::SUCCESS) v.factors.emplace_back(std::string(k), d);
    }
  v.routine = strings(e["routine_rules"]);
  simdjson::dom::array links;
  if (e["links"].get(links) == simdjson::SUCCESS)
    for (auto l : links) v.links.push_back(str(field(simdjson::dom::element(l))["incident"]).substr(0, 12) + " (" + str(field(simdjson::dom::element(l))["via"]) + ")");
  return true;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string short_time(const std::string& rfc3339) {
  if (rfc3339.size() < 19) return "-";
  std::string s = rfc3339.substr(0, 19);
  s[10] = ' ';
  return s;
}

int open_db(const std::string& path, std::unique_ptr<casedb::database>& db) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::fprintf(stderr, "ariadne: no case database at %s (write one with 'ariadne hunt --case %s ...')\n", path.c_str(),
                 path.c_str());
    return k_exit_fatal;
  }
  auto d = casedb::database::open(path, casedb::open_mode::read_only);
  if (!d) {
    std::fprintf(stderr, "ariadne: %s\n", d.error().message.c_str());
    return k_exit_fatal;
  }
  db = std::move(*d);
  return k_exit_ok;
}

int list(const incidents_options& o, casedb::database& db) {
  auto rows = db.incidents_json();
  if (!rows) {
    std::fprintf(stderr, "ariadne: %s\n", rows.error().message.c_str());
    return k_exit_fatal;
  }
  simdjson::dom::parser p;
  std::vector<incident_view> views;
  for (const auto& j : *rows) {
    incident_view v;
    if (!parse_view(p, j, v)) continue;
    if (v.score < o.min_score) continue;
    views.push_back(std::move(v));
  }
  std::string out;
  if (o.format == "jsonl") {
    for (const auto& v : views) out += v.json + "\n";
  } else if (o.format == "csv") {
    out = "id,score,level,host,first,last,tactics,root,headline,alerts,distinct_alerts\r\n";
    for (const auto& v : views)
      out += fmt::format("{},{:.1f},{},{},{},{},{},{},{},{},{}\r\n", v.id, v.score, v.severity,
                         csv_field(join(v.hosts, ";")), v.first, v.last, csv_field(join(v.tactics, ";")), csv_field(v.root),
                         csv_field(v.headline), v.alerts, v.distinct);
  } else {
    const bool to_stdout = o.output.empty() || o.output == "-";
    palette pal(!o.no_color && to_stdout && is_tty(stdout));
    std::size_t width = to_stdout && !o.wide ? terminal_width(stdout) : 0;
    std::size_t host_w = 4;
    for (const auto& v : views) host_w = std::max(host_w, display_width(printable(join(v.hosts, ","))));
    host_w = std::min<std::size_t>(host_w, width && width < 120 ? 14 : 28);
    auto line = [&](const std::string& s) { out += fit(s, width) + "\n"; };
    line(pal.bold(fmt::format("{:<12}  {:>6}  {:<8}  {}  {}  {:>6}  {}", "ID", "SCORE", "LEVEL", pad("HOST", host_w),
                              pad("FIRST (UTC)", 19), "ALERTS", "HEADLINE / TACTICS / ROOT")));
    for (const auto& v : views) {
      std::string lvl = v.severity;
      lvl.resize(std::max<std::size_t>(lvl.size(), 8), ' ');
      line(fmt::format("{:<12}  {:>6.1f}  {}  {}  {}  {:>6}  {}", v.id.substr(0, 12), v.score, pal.level(lvl),
                       pad(fit(printable(join(v.hosts, ",")), host_w), host_w), short_time(v.first), v.distinct,
                       printable(v.headline)));
      std::string detail = join(v.tactics, " > ");
      if (v.root != "-") detail += (detail.empty() ? "root: " : "; root: ") + printable(v.root);
      if (!detail.empty()) line(std::string(12 + 2 + 6 + 2 + 8 + 2 + host_w + 2 + 19 + 2 + 6 + 2, ' ') + pal.dim(detail));
    }
    if (views.empty()) line("no incidents (hunt with --case and without --no-incidents to store them)");
    else line(fmt::format("{} incident(s); one in full: ariadne incidents {} show ID; its storyline: ariadne trace {} ID",
                          views.size(), printable(o.case_db), printable(o.case_db)));
  }
  return write_output(o.output, out);
}

int show(const incidents_options& o, casedb::database& db) {
  auto ids = db.match_ids("incidents", o.id);
  if (!ids) {
    std::fprintf(stderr, "ariadne: %s\n", ids.error().message.c_str());
    return k_exit_fatal;
  }
  if (ids->empty()) {
    std::fprintf(stderr, "ariadne: no incident '%s' in %s ('ariadne incidents %s' lists them)\n", o.id.c_str(),
                 o.case_db.c_str(), o.case_db.c_str());
    return k_exit_usage;
  }
  if (ids->size() > 1) {
    std::fprintf(stderr, "ariadne: '%s' is the start of several incident ids; give more of it:%s\n", o.id.c_str(),
                 ("\n  " + join(*ids, "\n  ")).c_str());
    return k_exit_usage;
  }
  const std::string& id = ids->front();
  auto json = db.incident_json(id);
  if (!json) {
    std::fprintf(stderr, "ariadne: %s\n", json.error().message.c_str());
    return k_exit_fatal;
  }
  if (o.format == "jsonl") return write_output(o.output, *json + "\n");
  simdjson::dom::parser p;
  incident_view v;
  if (!parse_view(p, *json, v)) {
    std::fprintf(stderr, "ariadne: the stored incident %s is not valid JSON\n", id.c_str());
    return k_exit_fatal;
  }
  auto rows = db.incident_alert_rows(id);
  if (!rows) {
    std::fprintf(stderr, "ariadne: %s\n", rows.error().message.c_str());
    return k_exit_fatal;
  }
  const bool to_stdout = o.output.empty() || o.output == "-";
  palette pal(!o.no_color && to_stdout && is_tty(stdout));
  std::size_t width = to_stdout && !o.wide ? terminal_width(stdout) : 0;
  std::string out;
  auto line = [&](const std::string& s) { out += fit(s, width) + "\n"; };
  line(pal.bold(fmt::format("Incident {}", id)) + fmt::format("  {} (score {:.1f})", pal.level(v.severity), v.score));
  line("  headline    " + printable(v.headline));
  line("  hosts       " + printable(join(v.hosts, ", ")));
  if (!v.users.empty()) line("  users       " + printable(join(v.users, ", ")));
  line("  time        " + short_time(v.first) + " .. " + short_time(v.last) + " UTC");
  if (!v.tactics.empty()) line("  tactics     " + join(v.tactics, " > "));
  if (!v.techniques.empty()) line("  techniques  " + join(v.techniques, ", "));
  line("  root        " + printable(v.root));
  if (!v.factors.empty()) {
    std::string f;
    for (const auto& [k, x] : v.factors)
      if (x != 0) f += fmt::format("{}{} {:.1f}", f.empty() ? "" : (x < 0 ? " - " : " + "), k, x < 0 && !f.empty() ? -x : x);
    line(fmt::format("  score       {:.1f} = {}", v.score, f));
  }
  if (!v.routine.empty()) line("  routine     " + printable(join(v.routine, ", ")) + " (demoted: fires in many hours on this host)");
  for (const auto& l : v.links) line("  linked      " + printable(l));
  // Its story: the short one stored with the incident, or every step.
  {
    std::string story;
    if (o.long_form) {
      auto j = db.incident_narrative(id, true);
      simdjson::dom::parser jp;
      simdjson::dom::element e;
      if (j && !j->empty() && jp.parse(*j).get(e) == simdjson::SUCCESS) story = str(field(simdjson::dom::element(e))["text"]);
    } else if (auto t = db.incident_narrative(id, false); t) {
      story = *t;
    }
    // What ariadne makes of who did it (docs/attribution.md): a judgement,
    // not a fact of the logs, so it is said last and not stored.
    if (!story.empty() && !v.techniques.empty()) {
      attack::attributor attr(attack::knowledge::enterprise());
      auto res = attr.rank(v.techniques, 1);
      const auto& groups = attack::knowledge::enterprise().groups;
      std::string verdict =
          res.groups.empty() || res.strength < res.threshold
              ? "unknown (no ATT&CK group fits its techniques better than chance)"
          : res.verdict == "unknown"
              ? fmt::format("unknown (many ATT&CK groups fit its techniques about as well; the best, {} {}, scores "
                            "{:.2f})",
                            groups[res.groups[0].group].id, groups[res.groups[0].group].name, res.groups[0].score)
              : fmt::format("of the ATT&CK groups, {} {} fits its techniques best (score {:.2f}), which alone does not "
                            "say who did it ('ariadne attribute' shows the evidence)",
                            attack::knowledge::enterprise().groups[res.groups[0].group].id,
                            attack::knowledge::enterprise().groups[res.groups[0].group].name, res.groups[0].score);
      const auto& tpl = graph::narrative_templates::builtin().sentences;
      if (auto it = tpl.find("attribution"); it != tpl.end()) {
        std::string sentence = it->second;
        if (auto at = sentence.find("{verdict}"); at != std::string::npos) sentence.replace(at, 9, verdict);
        story += " " + sentence;
      }
    }
    if (!story.empty()) {
      out += "\n";
      line(pal.bold("Story"));
      out += wrap(printable(story), width ? width : 100, "  ") + "\n";
    } else if (o.long_form) {
      line("  (no stored story: the incident was stored by an older ariadne; hunt again with --case)");
    }
  }
  // Alerts: repeats (one group) as one line with a count, by first time.
  struct grouped {
    casedb::alert_row first;
    std::size_t count = 0;
    std::string last;
  };
  std::vector<grouped> groups;
  std::map<std::string, std::size_t> by_group;
  for (auto& r : *rows) {
    std::string key = r.group.empty() ? r.id : r.group;
    auto [it, fresh] = by_group.try_emplace(key, groups.size());
    if (fresh) groups.push_back({r, 0, r.time});
    auto& gr = groups[it->second];
    ++gr.count;
    gr.last = r.time;
  }
  out += "\n";
  line(pal.bold(fmt::format("Alerts ({} in {} lines)", rows->size(), groups.size())));
  for (const auto& gr : groups) {
    std::string lvl = gr.first.level;
    lvl.resize(std::max<std::size_t>(lvl.size(), 8), ' ');
    std::string src = gr.first.source_file;
    if (auto slash = src.find_last_of('/'); slash != std::string::npos && src.find('!') == std::string::npos)
      src = src.substr(slash + 1);
    line(fmt::format("  {}  {}  {:>5}  {}  {}", short_time(gr.first.time), pal.level(lvl),
                     gr.count > 1 ? fmt::format("x{}", gr.count) : std::string(), printable(gr.first.title),
                     pal.dim(printable(src) + ":" + std::to_string(gr.first.record))));
  }
  if (rows->size() < v.alerts)
    line(fmt::format("  ({} correlation alert(s) or alerts of an earlier run not listed)", v.alerts - rows->size()));
  out += "\n";
  line("storyline: ariadne trace " + printable(o.case_db) + " " + id.substr(0, 12) + " --forward");
  return write_output(o.output, out);
}

}  // namespace

int run_incidents(const incidents_options& o) {
  std::unique_ptr<casedb::database> db;
  if (int rc = open_db(o.case_db, db); rc != k_exit_ok) return rc;
  return o.id.empty() ? list(o, *db) : show(o, *db);
}

}  // namespace ariadne::cli
