// `ariadne hunt`: load rules, set up the output and inputs, run the pipeline
// executor (src/pipeline) with a sink that writes the alerts (a table or
// JSON lines) and the case database, then print the summary. Steps run in
// order over one state struct; each returns an exit status.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>

#include "ariadne/casedb/casedb.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/correlate/correlate.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/pipeline/pipeline.hpp"
#include "ariadne/report/alert.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {
namespace {

class hunt_sink;

struct hunt_state {
  explicit hunt_state(const hunt_options& o) : opts(o) {}
  const hunt_options& opts;
  palette out_pal{false};
  palette err_pal{false};
  progress prog{false};
  std::vector<sigma::rule> rules;
  std::vector<sigma::correlation_rule> corrs;
  std::vector<std::uint64_t> by_corr;
  std::uint64_t corr_alerts = 0;
  std::unique_ptr<casedb::database> db;
  std::int64_t run_id = 0;
  bool db_failed = false;
  sigma::rule_set loaded;
  std::unique_ptr<normalizer> custom_norm;
  const normalizer* norm = nullptr;
  unsigned threads = 1;
  bool rules_from_cache = false;
  std::shared_ptr<const match::literal_index> index;
  output_file out;
  std::FILE* summary = stdout;
  ingest::input_spool spool;  // copies of piped inputs
  std::vector<ingest::input_file> files;
  std::vector<ingest::input_problem> problems;  // found before reading (the walk)
  // Problems are counted by reason and the first few printed as they come
  // (flush_problems), then dropped: memory does not grow with bad input.
  std::map<std::string, std::uint64_t> problem_counts;
  std::uint64_t problems_total = 0;
  std::uint64_t alerts = 0;
  std::map<sigma::level, std::uint64_t> by_level;
  std::vector<std::uint64_t> by_rule;
  std::map<std::string, std::uint64_t> by_host;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::unique_ptr<hunt_sink> sink;
  std::unique_ptr<pipeline::executor> exec;
};

// Flushes the alert output; k_exit_fatal (with a message) if any write failed.
int flush_output(hunt_state& st, const char* what) {
  if (std::fflush(st.out.get()) != 0 || std::ferror(st.out.get())) return st.out.commit(what);
  return k_exit_ok;
}

void flush_problems(hunt_state& st, std::vector<ingest::input_problem>& problems) {
  for (const auto& p : problems) {
    ++st.problem_counts[p.reason];
    if (++st.problems_total > st.opts.max_problems_shown) continue;
    st.prog.finish();
    std::fputs(fmt::format("ariadne: {}: {}: {}\n", st.err_pal.paint("warning", "33"), printable(p.where),
                           printable(p.message))
                   .c_str(),
               stderr);
  }
  problems.clear();
}
void flush_problems(hunt_state& st) { flush_problems(st, st.problems); }

void commit_case(hunt_state& st) {
  if (!st.db || st.db_failed) return;
  if (auto r = st.db->commit(); !r) {
    std::fprintf(stderr, "ariadne: %s\n", r.error().message.c_str());
    st.db_failed = true;
  }
}

// The pipeline's results for hunt: alert lines (a table for people or JSON
// lines), the case database, and the counts the summary shows.
class hunt_sink final : public pipeline::sink {
 public:
  explicit hunt_sink(hunt_state& st) : st_(st), jsonl_(st.opts.format == "jsonl") {}

  [[nodiscard]] bool wants_alert(const sigma::rule& r) const override { return st_.db || (r.standalone && jsonl_); }

  // On a worker: the output line of a standalone rule's hit.
  [[nodiscard]] std::string render(const pipeline::hit_context& h, const report::alert* a) const override {
    const auto& r = h.rule;
    if (!r.standalone) return {};
    if (jsonl_) {
      std::string line = report::to_jsonl(*a, r);
      line.push_back('\n');
      return line;
    }
    const event& ev = h.ev;
    std::string t = ev.time == k_no_time ? std::string("-") : format_rfc3339(ev.time).substr(0, 19) + "Z";
    std::string lvl = std::string(sigma::level_name(r.lvl));
    std::string padded_lvl = lvl + std::string(lvl.size() < 13 ? 13 - lvl.size() : 0, ' ');
    return fmt::format("{}  {}  {:<16}  {}  {}\n", t, st_.out_pal.level(padded_lvl),
                       h.host.empty() ? std::string("-") : printable(h.host), printable(r.title),
                       st_.out_pal.dim(printable(h.source) + ":" + std::to_string(ev.source.record)));
  }

  void on_alert(const pipeline::hit_context& h, const report::alert* a, std::string& line) override {
    const auto& r = h.rule;
    if (st_.db) st_.db->add_alert(*a, r, r.standalone);
    if (!r.standalone) return;  // feeds correlations only
    ++st_.alerts;
    ++st_.by_level[r.lvl];
    ++st_.by_rule[h.rule_idx];
    ++st_.by_host[h.host.empty() ? std::string("(unknown)") : std::string(h.host)];
    st_.out.write(line);
  }

  void on_batch_end() override { commit_case(st_); }

  void on_problems(std::vector<ingest::input_problem>& problems) override { flush_problems(st_, problems); }

  void on_correlation(const correlate::result& res, const sigma::correlation_rule& c) override {
    if (st_.db) st_.db->add_correlation(res, c);
    if (!c.standalone) return;
    ++st_.corr_alerts;
    ++st_.by_corr[res.correlation];
    ++st_.by_level[c.lvl];
    std::string line;
    if (jsonl_) {
      line = report::correlation_to_jsonl(res, c);
      line.push_back('\n');
    } else {
      std::string group;
      for (const auto& [f, v] : res.group) group += (group.empty() ? "" : " ") + f + "=" + v;
      std::string lvl = std::string(sigma::level_name(c.lvl));
      std::string padded_lvl = lvl + std::string(lvl.size() < 13 ? 13 - lvl.size() : 0, ' ');
      line = fmt::format("{}  {}  {:<16}  {}  {}\n", format_rfc3339(res.end).substr(0, 19) + "Z",
                         st_.out_pal.level(padded_lvl), "(correlation)", printable(c.title),
                         st_.out_pal.dim(fmt::format("{} {:g} in {}..{} {}", sigma::corr_type_name(c.type), res.value,
                                                     format_rfc3339(res.start).substr(11, 8),
                                                     format_rfc3339(res.end).substr(11, 8), printable(group))));
    }
    st_.out.write(line);
  }

  void on_incidents(const graph::graph& g, const std::vector<graph::incident>& incidents) override {
    if (jsonl_) {
      for (const auto& inc : incidents) {
        std::string line = graph::incident_to_jsonl(g, incidents, inc);
        line.push_back('\n');
        st_.out.write(line);
      }
    }
    if (st_.db && !st_.db_failed) {
      st_.db->add_graph(g, incidents);
      commit_case(st_);
    }
  }

  void on_progress(std::string_view status) override {
    st_.prog.update(fmt::format("{}, {} alerts", status, st_.alerts));
  }

 private:
  hunt_state& st_;
  bool jsonl_;
};

int step_load_rules(hunt_state& st) {
  // --threads bounds every step, rule loading included.
  st.threads = clamp_threads(st.opts.threads);
  sigma::level min = sigma::level::informational;
  (void)sigma::parse_level(st.opts.min_level, min);
  // The literal index is cached under the digest of the rules hunted (the
  // set's, restricted to the level). With two threads or more, a cached
  // index is read back on one while the rule set is restored on the other
  // (its digest is known before it is read), and used if it fits.
  const bool use_index = !st.opts.no_prefilter;
  std::string early_key;
  std::future<std::shared_ptr<match::literal_index>> early;
  auto on_digest = [&](std::string_view digest) {
    if (!use_index || st.threads < 2) return;
    early_key = sigma::restricted_digest(digest, min);
    early = std::async(std::launch::async, [key = early_key] { return match::literal_index::cached(key); });
  };
  auto set = load_rule_set(st.opts.rules, st.threads, &st.rules_from_cache, on_digest);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  st.loaded = std::move(*set);
  sigma::restrict_to_level(st.loaded, min);
  st.rules = std::move(st.loaded.rules);
  st.loaded.rules.clear();
  st.corrs = std::move(st.loaded.correlation_rules);
  st.loaded.correlation_rules.clear();
  st.by_corr.assign(st.corrs.size(), 0);
  if (st.loaded.skipped > 0)
    std::fputs(fmt::format("ariadne: {} rule(s) skipped while loading; 'ariadne rules check' lists why\n",
                           st.loaded.skipped)
                   .c_str(),
               stderr);
  if (st.rules.empty()) {
    std::fprintf(stderr, "ariadne: no usable rules (at level %s or above)\n", st.opts.min_level.c_str());
    return k_exit_fatal;
  }
  st.by_rule.assign(st.rules.size(), 0);
  if (use_index) {
    if (early.valid()) {
      auto ix = early.get();
      if (ix && st.loaded.digest == early_key && ix->fits(st.rules))  // early_key is never empty
        st.index = std::move(ix);
    }
    if (!st.index) st.index = std::make_shared<match::literal_index>(st.rules, st.threads, st.loaded.digest);
  }
  if (auto damaged = cache::damaged_files())
    std::fprintf(stderr, "ariadne: warning: %llu damaged cache file(s) found (checksum mismatch): not used, rebuilt from the rules\n",
                 static_cast<unsigned long long>(damaged));
  return k_exit_ok;
}

int step_setup(hunt_state& st) {
  if (!st.opts.mapping.empty()) {
    auto n = normalizer::from_file(st.opts.mapping);
    if (!n) {
      std::fprintf(stderr, "ariadne: %s\n", n.error().to_string().c_str());
      return k_exit_fatal;
    }
    st.custom_norm = std::make_unique<normalizer>(std::move(*n));
    st.norm = st.custom_norm.get();
  } else {
    st.norm = &normalizer::builtin();
  }
  bool to_stdout = st.opts.output.empty() || st.opts.output == "-";
  if (!output_is_safe(st.opts.output, st.opts.inputs, st.opts.output_in_input)) return k_exit_usage;
  if (!st.out.open(st.opts.output)) return k_exit_fatal;
  // With JSON lines on stdout, people-facing text goes to stderr.
  st.summary = (to_stdout && st.opts.format == "jsonl") ? stderr : stdout;
  st.out_pal = palette(!st.opts.no_color && to_stdout && is_tty(stdout));
  st.err_pal = palette(!st.opts.no_color && is_tty(stderr));
  st.prog = progress(is_tty(stderr));
  ingest::expand_options xo;
  if (!to_stdout) xo.exclude = {st.out.temp_path(), st.opts.output};  // never read back what this run writes
  st.files = ingest::expand_inputs(st.opts.inputs, st.problems, st.spool, xo);
  flush_problems(st);
  if (st.files.empty()) {
    std::fprintf(stderr, "ariadne: no input files\n");
    return k_exit_fatal;
  }
  if (!st.opts.case_db.empty()) {
    auto db = casedb::database::open(st.opts.case_db);
    if (!db) {
      std::fprintf(stderr, "ariadne: %s\n", db.error().message.c_str());
      return k_exit_fatal;
    }
    st.db = std::move(*db);
    auto run = st.db->begin_run(st.opts.command_line, st.opts.inputs, casedb::ruleset_digest(st.rules, st.corrs),
                                st.rules.size(), st.corrs.size());
    if (!run) {
      std::fprintf(stderr, "ariadne: %s\n", run.error().message.c_str());
      return k_exit_fatal;
    }
    st.run_id = *run;
  }
  return k_exit_ok;
}


int step_read(hunt_state& st) {
  pipeline::options po;
  po.threads = st.threads;
  po.norm = st.norm;
  po.use_index = !st.opts.no_prefilter;
  po.prefilter = !st.opts.no_prefilter;
  po.incidents = !st.opts.no_incidents;
  po.incident_gap_minutes = st.opts.incident_gap_minutes;
  st.sink = std::make_unique<hunt_sink>(st);
  st.exec = std::make_unique<pipeline::executor>(st.rules, st.corrs, st.index, po, *st.sink);
  st.exec->read(st.files);
  st.prog.finish();
  return flush_output(st, "alerts");
}

// Correlations (sorted by event time, so the result does not depend on
// file order or threads), then the incidents.
int step_finish(hunt_state& st) {
  st.exec->finish();
  return flush_output(st, "alerts");
}

int step_close_case(hunt_state& st) {
  if (!st.db) return k_exit_ok;
  casedb::run_counts c = st.db->counts();
  c.events = st.exec->stats().events;
  auto r = st.db->end_run(st.run_id, st.db_failed ? "failed" : "done", c);
  if (!r || st.db_failed) {
    if (!r) std::fprintf(stderr, "ariadne: %s\n", r.error().message.c_str());
    return k_exit_fatal;
  }
  return k_exit_ok;
}

// The alerts file is renamed into place only now, when it is whole.
int step_commit_output(hunt_state& st) { return st.out.commit("alerts"); }

int step_summary(hunt_state& st) {
  if (st.opts.quiet) return k_exit_ok;
  const pipeline::executor& ex = *st.exec;
  const pipeline::counters& read = ex.stats();
  const match::prefilter* pre = ex.prefilter();
  const graph::graph& g = ex.graph();
  const auto& incidents = ex.incidents();
  const palette& pal = st.summary == stdout ? st.out_pal : st.err_pal;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count();
  std::string s;
  s += "\n" + pal.bold("Summary") + "\n";
  s += fmt::format("  inputs   {} files ({} sources), {:.1f} MB, {} records, {} events in {:.2f} s ({:.0f} events/s)\n",
                   st.files.size(), read.sources, static_cast<double>(read.bytes) / 1e6, read.records, read.events, secs,
                   secs > 0 ? static_cast<double>(read.events) / secs : 0.0);
  s += fmt::format("  rules    {} active, {} correlation(s), {} skipped at load{}\n", st.rules.size(), st.corrs.size(),
                   st.loaded.skipped, st.rules_from_cache ? " (loaded from the cache)" : "");
  std::uint64_t evaluated = 0, by_logsource = 0, value_scans = 0, memo_hits = 0;
  for (const auto& e : ex.engines()) {
    evaluated += e->evaluated();
    by_logsource += e->logsource_candidates();
    value_scans += e->value_scans();
    memo_hits += e->memo_hits();
  }
  if (st.index && st.index->active())
    s += fmt::format("  index    {} literals, {} distinct texts scanned for in {} databases{} and {} keyword databases ({} from "
                     "the cache), {} rules tied to EventIDs, {} rules evaluated whenever their logsource and EventID allow; {} rule "
                     "evaluations of {} by logsource ({:.1f}%)\n",
                     st.index->literal_count(), st.index->text_count(), st.index->database_count(),
                     st.index->restored()     ? " (index and databases from the cache)"
                     : st.index->from_cache() ? " (from the cache)"
                                              : "",
                     st.index->keyword_database_count(),
                     st.index->keyword_databases_from_cache(), st.index->event_id_rules(), st.index->unindexed_rules(), evaluated,
                     by_logsource, by_logsource ? 100.0 * static_cast<double>(evaluated) / static_cast<double>(by_logsource) : 0.0);
  if (st.index && st.index->active() && value_scans)
    s += fmt::format("  scans    {} field values scanned, {} ({:.1f}%) answered by the memo of values seen before\n",
                     value_scans, memo_hits, 100.0 * static_cast<double>(memo_hits) / static_cast<double>(value_scans));
  else if (st.index && read.events > 0)
    s += fmt::format("  index off: {}\n", st.index->why_inactive());
  if (pre && !pre->active() && read.json_records > 0)
    s += fmt::format("  prefilter off: {}\n", pre->why_inactive());
  if (read.filtered)
    s += fmt::format("  prefilter {} record(s) held no literal any rule needs: not parsed or matched ({} literal(s))\n",
                     read.filtered, pre->literal_count());
  if (read.unsupported_files)
    s += fmt::format("  skipped  {} files of a format not read yet (found in directories)\n", read.unsupported_files);
  s += fmt::format("  alerts   {}", st.alerts + st.corr_alerts);
  if (st.alerts) {
    s += "  (";
    bool first = true;
    for (auto l : {sigma::level::critical, sigma::level::high, sigma::level::medium, sigma::level::low,
                   sigma::level::informational}) {
      auto it = st.by_level.find(l);
      if (it == st.by_level.end()) continue;
      if (!first) s += ", ";
      first = false;
      s += pal.level(sigma::level_name(l)) + " " + std::to_string(it->second);
    }
    s += ")";
  }
  s += "\n";
  flush_problems(st);
  const auto& reasons = st.problem_counts;
  if (st.problems_total) {
    s += fmt::format("  problems {} (", st.problems_total);
    bool first = true;
    for (const auto& [r, n] : reasons) {
      if (!first) s += ", ";
      first = false;
      s += r + " " + std::to_string(n);
    }
    s += ")";
    if (st.problems_total > st.opts.max_problems_shown)
      s += fmt::format("; first {} shown above", st.opts.max_problems_shown);
    s += "\n";
  }
  if (st.alerts) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> top;
    for (std::uint32_t k = 0; k < st.by_rule.size(); ++k)
      if (st.by_rule[k]) top.emplace_back(st.by_rule[k], k);
    std::stable_sort(top.begin(), top.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      return st.rules[a.second].lvl > st.rules[b.second].lvl;
    });
    s += "\n" + pal.bold("Top rules") + "\n";
    for (std::size_t k = 0; k < top.size() && k < 10; ++k) {
      const auto& r = st.rules[top[k].second];
      std::string lvl(sigma::level_name(r.lvl));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      s += fmt::format("  {:>7}  {}  {}\n", top[k].first, pal.level(lvl), printable(r.title));
    }
    std::vector<std::pair<std::uint64_t, std::string>> hosts;
    for (const auto& [h, n] : st.by_host) hosts.emplace_back(n, h);
    std::stable_sort(hosts.begin(), hosts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    s += "\n" + pal.bold("Hosts") + "\n";
    for (std::size_t k = 0; k < hosts.size() && k < 10; ++k)
      s += fmt::format("  {:>7}  {}\n", hosts[k].first, printable(hosts[k].second));
    if (hosts.size() > 10) s += fmt::format("  ... and {} more\n", hosts.size() - 10);
  }
  if (st.db) {
    const auto& c = st.db->counts();
    s += fmt::format("  case     {} (run {}): {} alert(s) recorded, {} new\n", st.opts.case_db, st.run_id, c.alerts,
                     c.new_alerts);
  }
  if (!st.corrs.empty()) {
    s += "\n" + pal.bold("Correlations") + "\n";
    const auto& cs = ex.correlations()->statistics();
    s += fmt::format("  {} alert(s) from {} correlation rule(s); {} hit(s) fed them ({} only fed them), "
                     "{} left out for a missing group-by field, {} for a missing event time\n",
                     st.corr_alerts, st.corrs.size(), cs.inputs, read.hidden_alerts, cs.missing_group, cs.missing_time);
    for (std::size_t k = 0; k < st.corrs.size(); ++k) {
      if (!st.by_corr[k]) continue;
      std::string lvl(sigma::level_name(st.corrs[k].lvl));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      s += fmt::format("  {:>7}  {}  {} ({})\n", st.by_corr[k], pal.level(lvl), printable(st.corrs[k].title),
                       sigma::corr_type_name(st.corrs[k].type));
    }
  }
  if (!st.opts.no_incidents) {
    s += "\n" + pal.bold("Incidents") + "\n";
    s += fmt::format("  {} incident(s) from {} alert(s); graph: {} entities, {} edges, {:.1f} MB\n", incidents.size(),
                     g.alerts.size(), g.entities.size(), g.edges.size(),
                     static_cast<double>(ex.graph_bytes()) / 1e6);
    for (std::size_t k = 0; k < incidents.size() && k < st.opts.incidents_shown; ++k) {
      const auto& inc = incidents[k];
      std::string lvl(graph::severity_name(inc.severity));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      std::string hosts;
      for (const auto& h : inc.hosts) hosts += (hosts.empty() ? "" : ",") + h;
      std::string tactics;
      for (const auto& t : inc.tactics) tactics += (tactics.empty() ? "" : " > ") + t;
      s += fmt::format("  {:>6.1f}  {}  {}  {}  {} ({} alert(s))\n", inc.score, pal.level(lvl),
                       inc.first == k_no_time ? std::string("-") : format_rfc3339(inc.first).substr(0, 19) + "Z",
                       hosts.empty() ? std::string("-") : printable(hosts),
                       printable(graph::title_of(g.alerts[inc.headline])),
                       inc.alerts.size());
      s += fmt::format("          {}  {}\n", pal.dim("id " + inc.id.substr(0, 12)), tactics);
      if (inc.root != graph::k_none) s += fmt::format("          root: {}\n", printable(g.label(inc.root)));
      for (const auto& l : inc.links)
        s += fmt::format("          linked: {} ({})\n", incidents[l.incident].id.substr(0, 12), printable(l.via));
    }
    if (incidents.size() > st.opts.incidents_shown)
      s += fmt::format("  ... and {} more (--incidents-shown N, or -f jsonl)\n",
                       incidents.size() - st.opts.incidents_shown);
    if (st.db) s += "  trace one: ariadne trace " + st.opts.case_db + " ID\n";
  }
  std::fputs(s.c_str(), st.summary);
  return st.summary == stdout ? finish_stdout() : k_exit_ok;
}

}  // namespace

int run_hunt(const hunt_options& opts) {
  auto owned = std::make_unique<hunt_state>(opts);
  hunt_state& st = *owned;
  for (auto step : {step_load_rules, step_setup, step_read, step_finish, step_close_case,
                    step_commit_output, step_summary}) {
    int rc = step(st);
    if (rc != k_exit_ok) return rc;
  }
  // Done: close the files, and leave the memory (rules, index, entity
  // graph: hundreds of thousands of small blocks, 10-25 ms to free one by
  // one on one thread) to the process's exit, as compilers do. It stays
  // reachable from `kept`, so leak checkers do not count it.
  st.db.reset();
  flush_problems(st);
  const bool problems = st.problems_total > 0;
  static auto* kept = new std::vector<hunt_state*>;
  kept->push_back(owned.release());
  return opts.strict && problems ? k_exit_problems : k_exit_ok;
}

}  // namespace ariadne::cli
