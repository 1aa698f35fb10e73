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
#include <tuple>

#include "ariadne/casedb/casedb.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/correlate/correlate.hpp"
#include "ariadne/graph/anomaly.hpp"
#include "ariadne/graph/baseline.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/pipeline/pipeline.hpp"
#include "ariadne/report/alert.hpp"
#include "ariadne/report/details.hpp"
#include "commands.hpp"
#include "terminal.hpp"
#include "timeline.hpp"

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
  std::map<std::string, std::uint64_t> by_anomaly;  // rule title -> anomaly alerts
  std::uint64_t anomalies = 0;
  std::unique_ptr<casedb::database> db;
  std::int64_t run_id = 0;
  bool db_failed = false;
  sigma::rule_set loaded;
  std::unique_ptr<normalizer> custom_norm;
  std::unique_ptr<graph::baseline> base;  // --baseline
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
  time_ns first_alert = k_no_time, last_alert = k_no_time;
  time_ns from = k_no_time, to = k_no_time;  // --from/--to
  std::string rules_described;  // which rules were taken (resolve_rule_paths)
  std::size_t left_out_status = 0, left_out_placeholders = 0, left_out_excluded = 0, demoted = 0;
  timeline table;     // -f table: the rows, printed sorted once every alert is in
  csv_timeline csv;   // -f csv
  std::size_t width = 0;  // of the terminal the table goes to (0: not cut)
  std::size_t summary_width = 0;
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
  explicit hunt_sink(hunt_state& st)
      : st_(st), jsonl_(st.opts.format == "jsonl"), csv_(st.opts.format == "csv"), details_(report::details_profile::builtin()) {}

  [[nodiscard]] bool wants_alert(const sigma::rule& r) const override {
    return st_.db || (r.standalone && (jsonl_ || csv_));
  }

  // On a worker: the hit's details, group and (for JSON lines) its line.
  [[nodiscard]] std::string render(const pipeline::hit_context& h, const report::alert* a) const override {
    const auto& r = h.rule;
    if (!r.standalone && !st_.db) return {};
    hit_extract x;
    report::event_details d = details_.render(h.batch, h.ev);
    x.group = report::group_id(r.id, h.host, d.key);
    if (jsonl_) {
      if (r.standalone) {
        x.line = report::to_jsonl(*a, r, x.group);
        x.line.push_back('\n');
      }
      return pack(x);
    }
    x.details = std::move(d.text);
    static const field_id f_channel = field_names().intern("Channel"), f_event_id = field_names().intern("EventID");
    std::string scratch;
    if (const value* v = h.batch.find(h.ev, f_channel)) x.channel = std::string(value_text(*v, scratch));
    if (const value* v = h.batch.find(h.ev, f_event_id)) x.event_id = std::string(value_text(*v, scratch));
    return pack(x);
  }

  void on_alert(const pipeline::hit_context& h, const report::alert* a, std::string& rendered) override {
    const auto& r = h.rule;
    hit_extract x = unpack(rendered);
    if (st_.db) st_.db->add_alert(*a, r, r.standalone, x.group);
    if (!r.standalone) return;  // feeds correlations only
    ++st_.alerts;
    ++st_.by_level[r.lvl];
    ++st_.by_rule[h.rule_idx];
    ++st_.by_host[h.host.empty() ? std::string("(unknown)") : std::string(h.host)];
    note_time(h.ev.time);
    if (jsonl_) {
      st_.out.write(x.line);
      return;
    }
    timeline_row row;
    row.first = h.ev.time;
    row.lvl = r.lvl;
    row.host = std::string(h.host);
    row.title = r.title;
    row.details = std::move(x.details);
    row.source = h.source + ":" + std::to_string(h.ev.source.record);
    row.channel = std::move(x.channel);
    row.event_id = std::move(x.event_id);
    row.rule_path = r.path;
    row.group_id = x.group;
    if (a) row.alert_id = a->id;
    if (csv_) st_.csv.add(row);
    else st_.table.add(x.group, std::move(row));
  }

  void on_batch_end() override { commit_case(st_); }

  void on_problems(std::vector<ingest::input_problem>& problems) override { flush_problems(st_, problems); }

  void on_correlation(const correlate::result& res, const sigma::correlation_rule& c) override {
    if (st_.db) st_.db->add_correlation(res, c);
    if (!c.standalone) return;
    ++st_.corr_alerts;
    ++st_.by_corr[res.correlation];
    ++st_.by_level[c.lvl];
    note_time(res.end);
    if (jsonl_) {
      std::string line = report::correlation_to_jsonl(res, c);
      line.push_back('\n');
      st_.out.write(line);
      return;
    }
    std::string group;
    for (const auto& [f, v] : res.group) group += (group.empty() ? "" : " \xC2\xA6 ") + f + ": " + v;
    timeline_row row;
    row.first = res.end;
    row.lvl = c.lvl;
    row.host = "(correlation)";
    row.title = c.title;
    row.details = fmt::format("{} {:g} from {}{}{}", sigma::corr_type_name(c.type), res.value,
                              format_rfc3339(res.start).substr(0, 19) + "Z", group.empty() ? "" : " \xC2\xA6 ", group);
    row.rule_path = c.path;
    row.alert_id = res.id;
    row.group_id = res.id;
    if (csv_) st_.csv.add(row);
    else st_.table.add("correlation\x1e" + res.id, std::move(row));
  }

  void on_anomalies(const graph::graph& g, const std::vector<graph::anomaly>& found) override {
    for (const auto& a : found) {
      const graph::alert_ref& al = g.alerts[a.alert];
      auto lvl = static_cast<sigma::level>(al.rule->severity);
      ++st_.anomalies;
      ++st_.by_anomaly[al.rule->title];
      ++st_.by_level[lvl];
      ++st_.by_host[al.host.empty() ? std::string("(unknown)") : std::string(al.host)];
      note_time(al.time);
      if (st_.db) st_.db->add_anomaly(g, a);
      if (jsonl_) {
        std::string line = graph::anomaly_to_jsonl(g, a);
        line.push_back('\n');
        st_.out.write(line);
        continue;
      }
      timeline_row row;
      row.first = al.time;
      row.lvl = lvl;
      row.host = std::string(al.host);
      row.title = al.rule->title;
      row.details = a.detail;
      row.source = "(anomaly)";
      row.rule_path = "anomaly:" + a.kind;
      row.alert_id = al.id;
      row.group_id = al.id;
      if (csv_) st_.csv.add(row);
      else st_.table.add("anomaly\x1e" + al.id, std::move(row));
    }
    commit_case(st_);
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
  void note_time(time_ns t) {
    if (t == k_no_time) return;
    if (st_.first_alert == k_no_time || t < st_.first_alert) st_.first_alert = t;
    if (st_.last_alert == k_no_time || t > st_.last_alert) st_.last_alert = t;
  }

  hunt_state& st_;
  bool jsonl_, csv_;
  const report::details_profile& details_;
};

int step_load_rules(hunt_state& st) {
  // --threads bounds every step, rule loading included.
  st.threads = clamp_threads(st.opts.threads);
  sigma::rule_selection sel;
  if (int rc = make_selection(st.opts.min_level, st.opts.statuses, st.opts.exclude, st.opts.exclude_files, st.opts.noisy,
                              st.opts.noisy_files, sel);
      rc != k_exit_ok)
    return rc;
  // The literal index is cached under the digest of the rules hunted (the
  // set's, restricted to the level). With two threads or more, a cached
  // index is read back on one while the rule set is restored on the other
  // (its digest is known before it is read), and used if it fits.
  const bool use_index = !st.opts.no_prefilter;
  std::string early_key;
  std::future<std::shared_ptr<match::literal_index>> early;
  auto on_digest = [&](std::string_view digest) {
    if (!use_index || st.threads < 2) return;
    early_key = sigma::selection_digest(digest, sel);
    early = std::async(std::launch::async, [key = early_key] { return match::literal_index::cached(key); });
  };
  auto set = load_rule_set(st.opts.rules, st.threads, &st.rules_from_cache, on_digest, &st.rules_described);
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  st.loaded = std::move(*set);
  sigma::selection_counts picked = sigma::select_rules(st.loaded, sel);
  st.left_out_status = picked.by_status;
  st.left_out_excluded = picked.excluded;
  st.demoted = picked.demoted;
  for (const auto& d : st.loaded.diagnostics)
    if (d.code == "unresolved-placeholder" && d.sev == sigma::severity::error) ++st.left_out_placeholders;
  st.rules = std::move(st.loaded.rules);
  st.loaded.rules.clear();
  st.corrs = std::move(st.loaded.correlation_rules);
  st.loaded.correlation_rules.clear();
  st.by_corr.assign(st.corrs.size(), 0);
  if (st.loaded.skipped > st.left_out_placeholders)
    std::fputs(fmt::format("ariadne: {} rule(s) skipped while loading; 'ariadne rules check' lists why\n",
                           st.loaded.skipped - st.left_out_placeholders)
                   .c_str(),
               stderr);
  if (st.rules.empty()) {
    std::fprintf(stderr, "ariadne: no usable rules (at level %s or above, after --status and --exclude-rule)\n",
                 st.opts.min_level.c_str());
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
  for (const auto& [text, into, name] : {std::tuple{&st.opts.from, &st.from, "--from"}, std::tuple{&st.opts.to, &st.to, "--to"}}) {
    if (text->empty()) continue;
    const bool date_only = text->size() == 10;
    auto t = parse_timestamp(date_only ? *text + "T00:00:00" : *text);
    if (!t) {
      std::fprintf(stderr, "ariadne: %s: '%s' is not a time (YYYY-MM-DD[ hh:mm:ss[.fff]][Z|+hh:mm], UTC when no zone)\n",
                   name, text->c_str());
      return k_exit_usage;
    }
    // A bare date as --to means the whole day.
    *into = (name[2] == 't' && date_only) ? *t + 86'400'000'000'000LL - 1 : *t;
  }
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
  if (!st.opts.baseline.empty()) {
    auto b = graph::baseline::load(st.opts.baseline);
    if (!b) {
      std::fprintf(stderr, "ariadne: %s\n", b.error().to_string().c_str());
      return k_exit_fatal;
    }
    st.base = std::make_unique<graph::baseline>(std::move(*b));
  }
  bool to_stdout = st.opts.output.empty() || st.opts.output == "-";
  if (!output_is_safe(st.opts.output, st.opts.inputs, st.opts.output_in_input)) return k_exit_usage;
  if (!st.out.open(st.opts.output)) return k_exit_fatal;
  // With JSON lines on stdout, people-facing text goes to stderr.
  st.summary = (to_stdout && st.opts.format != "table") ? stderr : stdout;
  if (to_stdout) st.width = terminal_width(stdout);
  st.summary_width = st.opts.wide ? 0 : terminal_width(st.summary);
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
  po.baseline = st.base.get();
  {
    sigma::level min = sigma::level::informational;
    (void)sigma::parse_level(st.opts.min_level, min);
    po.anomalies = !st.opts.no_anomalies && min <= sigma::level::low;
  }
  po.from = st.from;
  po.to = st.to;
  for (const auto& h : st.opts.hosts) po.hosts.push_back(to_lower_ascii(h));
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
  if (st.opts.format == "table") {
    table_layout layout;
    layout.width = st.opts.wide ? 0 : st.width;
    layout.full_paths = st.opts.full_paths;
    layout.pal = &st.out_pal;
    if (st.table.rows()) st.out.write(st.table.table(layout));
  } else if (st.opts.format == "csv") {
    st.out.write(st.csv.text(st.opts.full_paths));
  }
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

// "3,561" for 3561.
std::string thousands(std::uint64_t n) {
  std::string d = std::to_string(n), out;
  for (std::size_t k = 0; k < d.size(); ++k) {
    if (k && (d.size() - k) % 3 == 0) out.push_back(',');
    out.push_back(d[k]);
  }
  return out;
}

// The engine's figures (--stats): what the index, the prefilter and the
// matcher did.
std::string engine_stats(const hunt_state& st, double secs) {
  const pipeline::executor& ex = *st.exec;
  const pipeline::counters& read = ex.stats();
  const match::prefilter* pre = ex.prefilter();
  std::string s;
  s += fmt::format("  inputs    {} files ({} sources), {:.1f} MB, {} records, {} events in {:.2f} s ({:.0f} events/s)\n",
                   st.files.size(), read.sources, static_cast<double>(read.bytes) / 1e6, read.records, read.events, secs,
                   secs > 0 ? static_cast<double>(read.events) / secs : 0.0);
  s += fmt::format("  rules     {} active, {} correlation(s), {} skipped at load{}\n", st.rules.size(), st.corrs.size(),
                   st.loaded.skipped, st.rules_from_cache ? " (loaded from the cache)" : "");
  std::uint64_t evaluated = 0, by_logsource = 0, value_scans = 0, memo_hits = 0;
  for (const auto& e : ex.engines()) {
    evaluated += e->evaluated();
    by_logsource += e->logsource_candidates();
    value_scans += e->value_scans();
    memo_hits += e->memo_hits();
  }
  if (st.index && st.index->active()) {
    s += fmt::format("  index     {} literals, {} distinct texts in {} databases{}, {} keyword databases ({} from the cache)\n",
                     st.index->literal_count(), st.index->text_count(), st.index->database_count(),
                     st.index->restored()     ? " (index and databases from the cache)"
                     : st.index->from_cache() ? " (from the cache)"
                                              : "",
                     st.index->keyword_database_count(), st.index->keyword_databases_from_cache());
    s += fmt::format("  matcher   {} rules tied to EventIDs, {} evaluated whenever their logsource allows; {} rule "
                     "evaluations of {} by logsource ({:.1f}%)\n",
                     st.index->event_id_rules(), st.index->unindexed_rules(), evaluated, by_logsource,
                     by_logsource ? 100.0 * static_cast<double>(evaluated) / static_cast<double>(by_logsource) : 0.0);
  }
  if (st.index && st.index->active() && value_scans)
    s += fmt::format("  scans     {} field values scanned, {} ({:.1f}%) answered by the memo of values seen before\n",
                     value_scans, memo_hits, 100.0 * static_cast<double>(memo_hits) / static_cast<double>(value_scans));
  else if (st.index && read.events > 0)
    s += fmt::format("  index off: {}\n", st.index->why_inactive());
  if (pre && !pre->active() && read.json_records > 0) s += fmt::format("  prefilter off: {}\n", pre->why_inactive());
  if (read.filtered)
    s += fmt::format("  prefilter {} record(s) held no literal any rule needs: not parsed or matched ({} literal(s))\n",
                     read.filtered, pre->literal_count());
  if (st.index || !st.opts.no_incidents)
    s += fmt::format("  graph     {} entities, {} edges, {:.1f} MB\n", ex.graph().entities.size(), ex.graph().edges.size(),
                     static_cast<double>(ex.graph_bytes()) / 1e6);
  return s;
}

int step_summary(hunt_state& st) {
  if (st.opts.quiet) return k_exit_ok;
  const pipeline::executor& ex = *st.exec;
  const pipeline::counters& read = ex.stats();
  const graph::graph& g = ex.graph();
  const auto& incidents = ex.incidents();
  const palette& pal = st.summary == stdout ? st.out_pal : st.err_pal;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count();
  std::string s;
  auto line = [&](const std::string& text) {
    s += fit(text, st.summary_width);
    s += '\n';
  };
  auto heading = [&](std::string_view h) { s += "\n" + pal.bold(h) + "\n"; };
  heading("Summary");
  line(fmt::format("  read      {} file(s), {} events in {:.2f} s", thousands(st.files.size()), thousands(read.events), secs));
  {
    std::string r = fmt::format("  rules     {} run", thousands(st.rules.size() + st.corrs.size()));
    if (st.left_out_status) r += fmt::format(", {} left out by status", thousands(st.left_out_status));
    if (st.left_out_placeholders) r += fmt::format(", {} with unresolved placeholders left out", thousands(st.left_out_placeholders));
    if (st.left_out_excluded) r += fmt::format(", {} excluded", thousands(st.left_out_excluded));
    if (st.demoted) r += fmt::format(", {} noisy demoted a level", thousands(st.demoted));
    line(r);
    if (!st.rules_described.empty()) line("  from      " + printable(st.rules_described));
    if (st.base) line(fmt::format("  baseline  {}: {} rule/host pair(s)", printable(st.opts.baseline), thousands(st.base->size())));
  }
  {
    std::string a = fmt::format("  alerts    {}", thousands(st.alerts + st.corr_alerts + st.anomalies));
    bool first = true;
    for (auto l : {sigma::level::critical, sigma::level::high, sigma::level::medium, sigma::level::low,
                   sigma::level::informational}) {
      auto it = st.by_level.find(l);
      if (it == st.by_level.end()) continue;
      a += first ? "  (" : ", ";
      first = false;
      a += pal.level(sigma::level_name(l)) + " " + thousands(it->second);
    }
    if (!first) a += ")";
    if (st.opts.format == "table" && st.table.rows()) a += fmt::format(" in {} rows", thousands(st.table.rows()));
    line(a);
  }
  if (st.first_alert != k_no_time)
    line(fmt::format("  span      {} .. {} UTC", clock_text(st.first_alert), clock_text(st.last_alert)));
  if (read.out_of_time || read.other_hosts)
    line(fmt::format("  scope     {} alert(s) outside --from/--to, {} on other hosts (--host) left out",
                     thousands(read.out_of_time), thousands(read.other_hosts)));
  if (!read.clock_offsets.empty()) {
    // "+19:00:00.000" for the first source's offset.
    time_ns off = read.clock_offsets.front().second;
    time_ns a = off < 0 ? -off : off;
    std::string shown = fmt::format("{}{:02}:{:02}:{:02}.{:03}", off < 0 ? "-" : "+", a / 3'600'000'000'000LL,
                                    a / 60'000'000'000LL % 60, a / 1'000'000'000LL % 60, a / 1'000'000LL % 1000);
    line(fmt::format("  times     {} source(s) whose export times disagree with the records' own UTC time ({}{}): "
                     "{} event(s) took their own, {} shifted",
                     read.clock_offsets.size(), shown, read.clock_offsets.size() > 1 ? " in the first" : "",
                     thousands(read.times_own), thousands(read.times_shifted)));
  }
  if (read.unsupported_files) line(fmt::format("  skipped   {} file(s) of a format not read yet", read.unsupported_files));
  flush_problems(st);
  if (st.problems_total) {
    std::string p = fmt::format("  problems  {} (", thousands(st.problems_total));
    bool first = true;
    for (const auto& [r, n] : st.problem_counts) {
      if (!first) p += ", ";
      first = false;
      p += r + " " + thousands(n);
    }
    p += ")";
    if (st.problems_total > st.opts.max_problems_shown) p += fmt::format("; first {} shown above", st.opts.max_problems_shown);
    line(p);
  }
  if (st.db) {
    const auto& c = st.db->counts();
    line(fmt::format("  case      {} (run {}): {} alert(s) recorded, {} new", printable(st.opts.case_db), st.run_id,
                     thousands(c.alerts), thousands(c.new_alerts)));
  }
  if (st.opts.stats) {
    heading("Engine");
    std::string e = engine_stats(st, secs);
    for (std::size_t from = 0; from < e.size();) {
      auto nl = e.find('\n', from);
      line(e.substr(from, nl - from));
      from = nl + 1;
    }
  }
  if (st.alerts) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> top;
    for (std::uint32_t k = 0; k < st.by_rule.size(); ++k)
      if (st.by_rule[k]) top.emplace_back(st.by_rule[k], k);
    std::stable_sort(top.begin(), top.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      return st.rules[a.second].lvl > st.rules[b.second].lvl;
    });
    heading("Top rules");
    for (std::size_t k = 0; k < top.size() && k < 10; ++k) {
      const auto& r = st.rules[top[k].second];
      std::string lvl(sigma::level_name(r.lvl));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      line(fmt::format("  {:>7}  {}  {}", thousands(top[k].first), pal.level(lvl), printable(r.title)));
    }
    if (top.size() > 10) line(fmt::format("  ... and {} more rules", top.size() - 10));
    std::vector<std::pair<std::uint64_t, std::string>> hosts;
    for (const auto& [h, n] : st.by_host) hosts.emplace_back(n, h);
    std::stable_sort(hosts.begin(), hosts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    heading("Hosts");
    for (std::size_t k = 0; k < hosts.size() && k < 10; ++k)
      line(fmt::format("  {:>7}  {}", thousands(hosts[k].first), printable(hosts[k].second)));
    if (hosts.size() > 10) line(fmt::format("  ... and {} more", hosts.size() - 10));
  }
  if (!st.corrs.empty() && st.corr_alerts) {
    heading("Correlations");
    for (std::size_t k = 0; k < st.corrs.size(); ++k) {
      if (!st.by_corr[k]) continue;
      std::string lvl(sigma::level_name(st.corrs[k].lvl));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      line(fmt::format("  {:>7}  {}  {} ({})", thousands(st.by_corr[k]), pal.level(lvl), printable(st.corrs[k].title),
                       sigma::corr_type_name(st.corrs[k].type)));
    }
    if (st.opts.stats) {
      const auto& cs = ex.correlations()->statistics();
      line(fmt::format("  {} hit(s) fed them ({} only fed them); {} left out for a missing group-by field, {} for a "
                       "missing event time",
                       cs.inputs, read.hidden_alerts, cs.missing_group, cs.missing_time));
    }
  }
  if (st.anomalies) {
    heading("Anomalies");
    for (const auto& [title, n] : st.by_anomaly) line(fmt::format("  {:>7}  {}", thousands(n), printable(title)));
  }
  if (!st.opts.no_incidents) {
    heading("Incidents");
    line(fmt::format("  {} incident(s) from {} alert(s)", incidents.size(), thousands(g.alerts.size())));
    for (std::size_t k = 0; k < incidents.size() && k < st.opts.incidents_shown; ++k) {
      const auto& inc = incidents[k];
      std::string lvl(graph::severity_name(inc.severity));
      lvl.resize(std::max<std::size_t>(lvl.size(), 8), ' ');
      std::string hosts;
      for (const auto& h : inc.hosts) hosts += (hosts.empty() ? "" : ",") + h;
      std::string tactics;
      for (const auto& t : inc.tactics) tactics += (tactics.empty() ? "" : " > ") + t;
      line(fmt::format("  {:>6.1f}  {}  {}  {}  {}", inc.score, pal.level(lvl), clock_text(inc.first),
                       hosts.empty() ? std::string("-") : printable(hosts), pal.dim(inc.id.substr(0, 12))));
      line(fmt::format("          {} ({} alert(s))", printable(graph::title_of(g.alerts[inc.headline])), inc.distinct_alerts));
      if (!tactics.empty()) line("          " + tactics);
      if (inc.root != graph::k_none) line(fmt::format("          root: {}", printable(g.label(inc.root))));
      for (const auto& l : inc.links)
        line(fmt::format("          linked: {} ({})", incidents[l.incident].id.substr(0, 12), printable(l.via)));
    }
    if (incidents.size() > st.opts.incidents_shown)
      line(fmt::format("  ... and {} more (--incidents-shown N; 'ariadne incidents CASE.db' with --case)",
                       incidents.size() - st.opts.incidents_shown));
    if (st.db) line("  list: ariadne incidents " + printable(st.opts.case_db) + "; trace one: ariadne trace " +
                    printable(st.opts.case_db) + " ID");
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
