// `ariadne attribute` and `ariadne rules coverage`: ATT&CK groups that fit
// an observation, and the techniques a rule set covers (docs/attribution.md).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "ariadne/attack/attack.hpp"
#include "ariadne/casedb/casedb.hpp"
#include "ariadne/core/text.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {
namespace {

// The technique ids of a stored incident (its JSON line's "techniques").
result<std::vector<std::string>> incident_techniques(const std::string& db_path, const std::string& id_prefix,
                                                     std::string& incident_id) {
  auto db = casedb::database::open(db_path, casedb::open_mode::read_only);
  if (!db) return unexpected(db.error());
  auto ids = (*db)->match_ids("incidents", id_prefix);
  if (!ids) return unexpected(ids.error());
  if (ids->empty()) return make_error(errc::usage, "no incident with id '" + id_prefix + "' in " + db_path);
  if (ids->size() > 1) return make_error(errc::usage, "'" + id_prefix + "' is the start of several incident ids");
  incident_id = ids->front();
  auto json = (*db)->incident_json(incident_id);
  if (!json) return unexpected(json.error());
  simdjson::dom::parser parser;
  simdjson::padded_string text(*json);
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return make_error(errc::parse, "incident " + incident_id + ": unreadable JSON");
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (!root["techniques"].get(arr))
    for (auto v : arr) {
      std::string_view s;
      if (!v.get(s)) out.emplace_back(s);
    }
  return out;
}

}  // namespace

int run_attribute(const attribute_options& opts) {
  std::vector<std::string> techniques;
  std::string subject;
  if (!opts.techniques.empty()) {
    for (auto t : split(opts.techniques, ','))
      if (!trim(t).empty()) techniques.emplace_back(trim(t));
    subject = "techniques " + opts.techniques;
  } else if (!opts.case_db.empty() && !opts.incident.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(opts.case_db, ec)) {
      std::fprintf(stderr, "ariadne: no case database at %s\n", opts.case_db.c_str());
      return k_exit_fatal;
    }
    std::string id;
    auto t = incident_techniques(opts.case_db, opts.incident, id);
    if (!t) {
      std::fprintf(stderr, "ariadne: %s\n", t.error().message.c_str());
      return t.error().code == errc::usage ? k_exit_usage : k_exit_fatal;
    }
    techniques = std::move(*t);
    subject = "incident " + id;
  } else {
    std::fprintf(stderr, "ariadne: attribute needs --techniques LIST, or a case database and an incident id\n");
    return k_exit_usage;
  }
  const auto& k = opts.domain == "ics" ? attack::knowledge::ics() : attack::knowledge::enterprise();
  attack::attributor attr(k);
  auto res = attr.rank(techniques, opts.top);
  std::string o;
  if (opts.format == "navigator") {
    std::vector<attack::layer_entry> entries;
    for (const auto& t : res.observed) {
      std::string comment;
      for (const auto& g : res.groups)
        if (std::find(g.matched_ids.begin(), g.matched_ids.end(), t) != g.matched_ids.end())
          comment += (comment.empty() ? "known for " : ", ") + k.groups[g.group].name;
      entries.push_back({t, 1, comment});
    }
    o = attack::navigator_layer(k, "ariadne: " + subject, "Techniques observed in " + subject, entries) + "\n";
    return write_output(opts.output, o);
  }
  if (opts.format == "json") {
    o = "{\"subject\":";
    append_json_string(o, subject);
    o += ",\"verdict\":";
    append_json_string(o, res.verdict);
    o += fmt::format(",\"strength\":{:.3f},\"threshold\":{:.3f},\"observed\":", res.strength, res.threshold);
    auto list = [&](const std::vector<std::string>& v) { append_json_string_list(o, v); };
    list(res.observed);
    o += ",\"ignored\":";
    list(res.ignored);
    o += ",\"groups\":[";
    for (std::size_t i = 0; i < res.groups.size(); ++i) {
      const auto& g = res.groups[i];
      if (i) o.push_back(',');
      o += "{\"id\":";
      append_json_string(o, k.groups[g.group].id);
      o += ",\"name\":";
      append_json_string(o, k.groups[g.group].name);
      o += ",\"aliases\":";
      list(k.groups[g.group].aliases);
      o += fmt::format(",\"score\":{:.4f},\"loglik\":{:.3f},\"matched\":", g.score, g.loglik);
      list(g.matched_ids);
      o += ",\"evidence\":";
      list(g.matched);
      o += ",\"partial\":";
      list(g.partial);
      o += ",\"distinguishing\":";
      list(g.distinguishing);
      o += "}";
    }
    o += "]}\n";
    return write_output(opts.output, o);
  }
  palette pal(!opts.no_color && (opts.output.empty() || opts.output == "-") && is_tty(stdout));
  o += fmt::format("{} {}: {} technique(s)", pal.bold("Attribution of"), subject, res.observed.size());
  if (!res.ignored.empty()) o += fmt::format(" ({} ignored: {})", res.ignored.size(), fmt::join(res.ignored, ", "));
  o += "\n";
  if (res.verdict == "unknown" && res.strength < res.threshold)
    o += fmt::format("verdict: {} (strength {:.2f} below {:.2f}: no group fits better than chance)\n",
                     pal.bold("unknown"), res.strength, res.threshold);
  else if (res.verdict == "unknown")
    o += fmt::format("verdict: {} (best score {:.2f}: many groups fit these techniques as well; scores assume one of "
                     "the known groups did it)\n",
                     pal.bold("unknown"), res.groups.empty() ? 0.0 : res.groups[0].score);
  else
    o += fmt::format("verdict: ranked (strength {:.2f}, threshold {:.2f})\n", res.strength, res.threshold);
  for (std::size_t i = 0; i < res.groups.size(); ++i) {
    const auto& g = res.groups[i];
    const auto& grp = k.groups[g.group];
    o += fmt::format("\n{:>2}. {} {}  score {:.3f}\n", i + 1, grp.id, pal.bold(grp.name), g.score);
    if (!grp.aliases.empty())
      o += fmt::format("    aka {}\n", fmt::join(grp.aliases.begin(),
                                                 grp.aliases.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(grp.aliases.size(), 5)),
                                                 ", "));
    o += fmt::format("    matched: {}\n", g.matched.empty() ? std::string("-") : fmt::format("{}", fmt::join(g.matched, ", ")));
    if (!g.partial.empty()) o += fmt::format("    related (parent or sibling known): {}\n", fmt::join(g.partial, ", "));
    if (!g.distinguishing.empty()) o += fmt::format("    also known for (rare): {}\n", fmt::join(g.distinguishing, ", "));
  }
  return write_output(opts.output, printable_text(o, pal.enabled()));
}

int run_rules_coverage(const rules_coverage_options& opts) {
  auto set = load_rule_set(opts.rules);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  const auto& k = attack::knowledge::enterprise();
  std::map<std::string, std::size_t> by_technique;  // current id -> rules
  std::map<std::string, std::size_t> by_tactic;     // shortname -> rules
  std::set<std::string> raw_ids, unknown, remapped;
  std::size_t tagged_rules = 0, ics_tags = 0;
  auto visit = [&](const sigma::rule_header& r) {
    std::set<std::string> techs, tacs;
    for (const auto& tag : r.tags) {
      auto m = attack::resolve_tag(tag);
      using kind = attack::tag_meaning::kind;
      if (m.k == kind::technique) {
        raw_ids.insert(to_lower_ascii(tag));
        if (m.ics) {
          ++ics_tags;
          continue;
        }
        if (!m.how.empty()) remapped.insert(tag + " -> " + fmt::format("{}", fmt::join(m.ids, ",")));
        techs.insert(m.ids.begin(), m.ids.end());
      } else if (m.k == kind::tactic) {
        tacs.insert(m.ids.begin(), m.ids.end());
      } else if (m.k == kind::unknown) {
        unknown.insert(tag);
      }
    }
    for (const auto& t : techs) {
      ++by_technique[t];
      if (const auto* tech = k.find_technique(t))
        for (const auto& ta : tech->tactics) tacs.insert(ta);
    }
    for (const auto& ta : tacs) ++by_tactic[ta];
    if (!techs.empty()) ++tagged_rules;
  };
  for (const auto& r : set->rules) visit(r);
  for (const auto& c : set->correlation_rules) visit(c);
  std::size_t total = set->rules.size() + set->correlation_rules.size();
  std::size_t parents = 0;
  for (const auto& [t, n] : by_technique)
    if (t.find('.') == std::string::npos) ++parents;
  // Per tactic, in kill-chain order: rules tagged with it (or with one of its
  // techniques), and its techniques covered out of all.
  struct tactic_count {
    std::size_t rules = 0, covered = 0, all = 0;
  };
  std::vector<tactic_count> per_tactic(k.tactics.size());
  for (std::size_t i = 0; i < k.tactics.size(); ++i) {
    const auto& ta = k.tactics[i];
    if (auto it = by_tactic.find(ta.shortname); it != by_tactic.end()) per_tactic[i].rules = it->second;
    for (const auto& t : k.techniques)
      if (std::find(t.tactics.begin(), t.tactics.end(), ta.shortname) != t.tactics.end()) {
        ++per_tactic[i].all;
        if (by_technique.count(t.id)) ++per_tactic[i].covered;
      }
  }
  if (opts.format == "navigator") {
    std::vector<attack::layer_entry> entries;
    for (const auto& [t, n] : by_technique) entries.push_back({t, static_cast<double>(n), fmt::format("{} rule(s)", n)});
    return write_output(opts.output, attack::navigator_layer(k, "ariadne rule coverage",
                                                          fmt::format("{} rules, {} techniques", total, by_technique.size()),
                                                          entries) +
                                      "\n");
  }
  if (opts.format == "json") {
    std::string o = fmt::format("{{\"rules\":{},\"rules_with_techniques\":{},\"technique_tags\":{},\"techniques\":{},"
                                "\"ics_technique_tags\":{},\"unknown_tags\":",
                                total, tagged_rules, raw_ids.size(), by_technique.size(), ics_tags);
    append_json_string_list(o, std::vector<std::string>(unknown.begin(), unknown.end()));
    o += ",\"tactics\":[";
    bool first = true;
    for (std::size_t i = 0; i < k.tactics.size(); ++i) {
      if (!first) o.push_back(',');
      first = false;
      const auto& ta = k.tactics[i];
      o += fmt::format("{{\"shortname\":\"{}\",\"id\":\"{}\",\"rules\":{},\"techniques\":{},\"of\":{}}}", ta.shortname, ta.id,
                       per_tactic[i].rules, per_tactic[i].covered, per_tactic[i].all);
    }
    o += "],\"by_technique\":[";
    first = true;
    for (const auto& [t, n] : by_technique) {
      if (!first) o.push_back(',');
      first = false;
      o += "{\"id\":";
      append_json_string(o, t);
      o += ",\"name\":";
      const auto* tech = k.find_technique(t);
      append_json_string(o, tech ? tech->name : std::string());
      o += fmt::format(",\"rules\":{}}}", n);
    }
    o += "]}\n";
    return write_output(opts.output, o);
  }
  palette pal(!opts.no_color && (opts.output.empty() || opts.output == "-") && is_tty(stdout));
  std::string o = pal.bold("ATT&CK coverage") + fmt::format(" (ATT&CK v{} {})\n", k.version, k.domain);
  o += fmt::format("  rules        {} ({} tagged with a technique)\n", total, tagged_rules);
  o += fmt::format("  techniques   {} distinct technique tags -> {} current techniques ({} techniques, {} sub-techniques) "
                   "of {}\n",
                   raw_ids.size(), by_technique.size(), parents, by_technique.size() - parents, k.techniques.size());
  if (!remapped.empty()) o += fmt::format("  remapped     {} retired or v19 tags read as current techniques\n", remapped.size());
  if (ics_tags) o += fmt::format("  ics          {} ICS technique tags\n", ics_tags);
  o += fmt::format("  unknown      {} tag(s) naming nothing in ATT&CK{}\n", unknown.size(),
                   unknown.empty() ? "" : " ('ariadne rules check -w' lists them)");
  o += "\n" + pal.bold("By tactic") + " (kill-chain order: rules, techniques covered of all)\n";
  for (std::size_t i = 0; i < k.tactics.size(); ++i)
    o += fmt::format("  {:<22} {:>6}  {:>4} / {}\n", k.tactics[i].shortname, per_tactic[i].rules, per_tactic[i].covered,
                     per_tactic[i].all);
  std::vector<std::pair<std::size_t, std::string>> top;
  for (const auto& [t, n] : by_technique) top.emplace_back(n, t);
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  o += "\n" + pal.bold("Most covered") + "\n";
  for (std::size_t i = 0; i < top.size() && i < 10; ++i) {
    const auto* tech = k.find_technique(top[i].second);
    o += fmt::format("  {:>6}  {:<10} {}\n", top[i].first, top[i].second, tech ? tech->name : "");
  }
  return write_output(opts.output, printable_text(o, pal.enabled()));
}

}  // namespace ariadne::cli
