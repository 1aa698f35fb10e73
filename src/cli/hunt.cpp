// `ariadne hunt`: load rules, read inputs, normalise, match, report.
// Steps run in order over one state struct; each returns an exit status.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>

#include "ariadne/attack/attack.hpp"
#include "ariadne/casedb/casedb.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/core/ordered_pool.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/correlate/correlate.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/report/alert.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {
namespace {

struct hunt_state {
  explicit hunt_state(const hunt_options& o) : opts(o) {}
  const hunt_options& opts;
  palette out_pal{false};
  palette err_pal{false};
  progress prog{false};
  std::vector<sigma::rule> rules;
  std::vector<sigma::correlation_rule> corrs;
  std::unique_ptr<correlate::engine> corr;
  std::vector<std::uint64_t> by_corr;
  std::uint64_t corr_alerts = 0, hidden_alerts = 0;
  std::unique_ptr<casedb::database> db;
  std::int64_t run_id = 0;
  bool db_failed = false;
  sigma::rule_set loaded;
  std::unique_ptr<normalizer> custom_norm;
  const normalizer* norm = nullptr;
  unsigned threads = 1;
  bool rules_from_cache = false;
  std::shared_ptr<const match::literal_index> index;
  std::vector<std::unique_ptr<match::engine>> engines;  // one per thread; [0] is this thread's
  std::unique_ptr<match::prefilter> pre;
  std::uint64_t filtered = 0;
  std::uint64_t json_records = 0;  // the prefilter applies to JSON records only
  output_file out;
  std::FILE* summary = stdout;
  std::vector<std::string> sources;
  ingest::input_spool spool;  // copies of piped inputs
  std::vector<ingest::input_file> files;
  std::vector<ingest::input_problem> problems;
  // Problems are counted by reason and the first few printed as they come
  // (flush_problems), then dropped: memory does not grow with bad input.
  std::map<std::string, std::uint64_t> problem_counts;
  std::uint64_t problems_total = 0;
  std::uint64_t events = 0, records = 0, bad_records = 0, bytes = 0, alerts = 0, unsupported_files = 0;
  std::size_t files_done = 0;
  std::map<sigma::level, std::uint64_t> by_level;
  std::vector<std::uint64_t> by_rule;
  std::map<std::string, std::uint64_t> by_host;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::vector<match::hit> hits;
  std::unique_ptr<graph::builder> gb;  // null with --no-incidents
  std::vector<const graph::alert_rule*> graph_rules, graph_corrs;  // interned per rule
  graph::graph g;
  std::vector<graph::incident> incidents;
  std::size_t graph_bytes = 0;
};

// The graph's view of a rule: level, ATT&CK tactics and techniques from the tags.
graph::alert_rule graph_rule(const sigma::rule_header& r) {
  graph::alert_rule a;
  a.id = r.id;
  a.title = r.title;
  a.level = std::string(sigma::level_name(r.lvl));
  a.severity = static_cast<int>(r.lvl);
  a.tactics = graph::tactics_from_tags(r.tags);
  a.techniques = attack::techniques_from_tags(r.tags);
  return a;
}

// An alert for the graph; the rule is interned once per rule.
graph::alert_ref graph_alert(hunt_state& st, std::vector<const graph::alert_rule*>& cache, std::size_t idx,
                             const sigma::rule_header& r, std::string id, time_ns t) {
  if (cache.size() <= idx) cache.resize(idx + 1, nullptr);
  if (!cache[idx]) cache[idx] = st.gb->rule(graph_rule(r));
  graph::alert_ref a;
  a.id = std::move(id);
  a.rule = cache[idx];
  a.time = t;
  return a;
}

// Flushes the alert output; k_exit_fatal (with a message) if any write failed.
int flush_output(hunt_state& st, const char* what) {
  if (std::fflush(st.out.get()) != 0 || std::ferror(st.out.get())) return st.out.commit(what);
  return k_exit_ok;
}

void flush_problems(hunt_state& st) {
  for (const auto& p : st.problems) {
    ++st.problem_counts[p.reason];
    if (++st.problems_total > st.opts.max_problems_shown) continue;
    st.prog.finish();
    std::fputs(fmt::format("ariadne: {}: {}: {}\n", st.err_pal.paint("warning", "33"), printable(p.where),
                           printable(p.message))
                   .c_str(),
               stderr);
  }
  st.problems.clear();
}

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
  if (!st.corrs.empty()) st.corr = std::make_unique<correlate::engine>(st.corrs, st.rules);
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
  match::engine_options eo;
  eo.use_index = use_index;
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
  for (unsigned k = 0; k < st.threads; ++k) st.engines.push_back(std::make_unique<match::engine>(st.rules, eo, st.index));
  // The record prefilter skips records no rule can match; the entity graph
  // needs every record, so it is used only without incidents.
  if (!st.opts.no_prefilter && st.opts.no_incidents) st.pre = std::make_unique<match::prefilter>(st.rules);
  if (!st.opts.no_incidents) st.gb = std::make_unique<graph::builder>(graph::mapping::builtin());
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

void commit_case(hunt_state& st) {
  if (!st.db || st.db_failed) return;
  if (auto r = st.db->commit(); !r) {
    std::fprintf(stderr, "ariadne: %s\n", r.error().message.c_str());
    st.db_failed = true;
  }
}

// Reports the hits of a matched batch (in order), then clears the batch.
// What reporting a hit needs that depends only on its event and rule: the
// full alert (id, event JSON) when something stores or prints it, and the
// output line of a standalone rule. Pure, so the workers make it in parallel.
struct rendered_hit {
  std::optional<report::alert> alert;
  std::string line;
  std::string_view host;  // the event's host, in the batch
  std::string id;         // without `alert`: the alert's id, when correlations or the graph keep it
};

// `event_json`, when given, is the event's JSON rendered for an earlier hit.
rendered_hit render_hit(const hunt_state& st, const event_batch& batch, const match::hit& h,
                        const std::string* event_json = nullptr) {
  rendered_hit out;
  const auto& r = st.rules[h.rule_idx];
  const event& ev = batch.events()[h.event_idx];
  const std::string& src = st.sources[ev.source.source_idx];
  std::string_view host = out.host = st.norm->host(batch, ev);
  if (st.db || (r.standalone && st.opts.format == "jsonl"))
    out.alert = report::make_alert(r, h.rule_idx, batch, ev, host, src, event_json);
  else if (st.gb || (st.corr && st.corr->wants(h.rule_idx)))
    out.id = report::alert_id(r.id, report::event_identity(batch, ev, host));
  if (!r.standalone) return out;
  if (st.opts.format == "jsonl") {
    out.line = report::to_jsonl(*out.alert, r);
    out.line.push_back('\n');
  } else {
    std::string t = ev.time == k_no_time ? std::string("-") : format_rfc3339(ev.time).substr(0, 19) + "Z";
    std::string lvl = std::string(sigma::level_name(r.lvl));
    std::string padded_lvl = lvl + std::string(lvl.size() < 13 ? 13 - lvl.size() : 0, ' ');
    out.line = fmt::format("{}  {}  {:<16}  {}  {}\n", t, st.out_pal.level(padded_lvl),
                           host.empty() ? std::string("-") : printable(host), printable(r.title),
                           st.out_pal.dim(printable(src) + ":" + std::to_string(ev.source.record)));
  }
  return out;
}

void render_hits(const hunt_state& st, const event_batch& batch, const std::vector<match::hit>& hits,
                 std::vector<rendered_hit>& out) {
  out.clear();
  out.reserve(hits.size());
  for (std::size_t k = 0; k < hits.size(); ++k) {
    // Hits come by event: several rules on one event render its JSON once.
    const std::string* event_json = nullptr;
    if (k && hits[k - 1].event_idx == hits[k].event_idx && out.back().alert) event_json = &out.back().alert->event_json;
    out.push_back(render_hit(st, batch, hits[k], event_json));
  }
}

// Reports a batch's hits in order; `rendered`, when given, holds
// render_hits() of them, made on a worker (else they are rendered here).
void emit_alerts(hunt_state& st, event_batch& batch, const std::vector<match::hit>& hits,
                 std::vector<rendered_hit>* rendered = nullptr) {
  std::vector<rendered_hit> here;
  if (!rendered) {
    render_hits(st, batch, hits, here);
    rendered = &here;
  }
  std::vector<std::uint32_t> subjects;
  if (st.gb) subjects = st.gb->observe(batch, [&](const event& ev) { return st.norm->host(batch, ev); });
  for (std::size_t k = 0; k < hits.size(); ++k) {
    const auto& h = hits[k];
    const auto& r = st.rules[h.rule_idx];
    const event& ev = batch.events()[h.event_idx];
    rendered_hit made = std::move((*rendered)[k]);
    const std::optional<report::alert>& a = made.alert;
    std::string_view host = made.host;
    bool feeds = st.corr && st.corr->wants(h.rule_idx);
    // The id, when correlations or the graph keep the alert.
    std::string id;
    if (feeds || st.gb) id = a ? a->id : std::move(made.id);
    if (feeds) st.corr->add_hit(h.rule_idx, batch, ev, id);
    if (st.gb) {
      if (r.standalone)
        st.gb->attach(subjects[h.event_idx], graph_alert(st, st.graph_rules, h.rule_idx, r, id, ev.time), host, feeds);
      else if (feeds)
        st.gb->remember(subjects[h.event_idx], id, host);
    }
    if (st.db) st.db->add_alert(*a, r, r.standalone);
    if (!r.standalone) {  // feeds correlations only
      ++st.hidden_alerts;
      continue;
    }
    ++st.alerts;
    ++st.by_level[r.lvl];
    ++st.by_rule[h.rule_idx];
    ++st.by_host[host.empty() ? std::string("(unknown)") : std::string(host)];
    st.out.write(made.line);
  }
  batch.clear();
  commit_case(st);  // one transaction per batch: a crash loses at most this batch
}

// Matches a batch on this thread, then reports it.
void match_and_emit(hunt_state& st, event_batch& batch) {
  st.hits.clear();
  st.engines[0]->match_batch(batch, st.hits);
  emit_alerts(st, batch, st.hits);
}

// One segment of a JSON-lines input, read and matched on a worker.
struct json_segment_out {
  event_batch batch;
  std::vector<match::hit> hits;
  std::vector<rendered_hit> rendered;
  std::vector<ingest::input_problem> problems;
  ingest::read_stats stats;
};

struct json_worker {
  ingest::json_reader reader;
  match::engine* eng = nullptr;
};

// Reads a JSON-lines text in segments of 1 MiB on the thread pool: each
// worker parses, normalises and matches its segment; segments are reported
// in input order, so the output does not depend on the thread count. At
// most 4 segments per thread are in flight.
void read_json_lines(hunt_state& st, const ingest::member& m, std::uint32_t source_idx, std::size_t body,
                     std::uint64_t body_line) {
  std::string_view text(m.data->data(), m.data->size());
  ingest::line_segmenter seg(text, body, body_line, std::size_t{1} << 20);
  const normalizer* norm = st.norm;
  auto on_event = [norm](event_batch& b, event& ev) { norm->apply(b, ev); };
  std::uint64_t segments = 0;
  run_ordered<ingest::line_segment, json_segment_out>(
      st.threads, 4ULL * st.threads, [&](ingest::line_segment& s) { return seg.next(s); },
      [&](unsigned index) {
        json_worker w;
        w.reader.batch_events = SIZE_MAX;  // one batch per segment
        if (st.pre && st.pre->active()) w.reader.keep_record = [&st](std::string_view raw) { return st.pre->keep(raw); };
        w.eng = st.engines[index].get();
        return w;
      },
      [&](json_worker& w, ingest::line_segment& s, json_segment_out& out) {
        // Read with the segment's lines numbered from 1; numbered in input
        // order from the newlines the read counted (no pass over the bytes
        // just to count them), and the events' line numbers then moved to
        // the segment's. Numbering waits for the earlier segments' reads:
        // if one is not done, this segment is matched first. A segment
        // with problems, whose messages name lines, is numbered at once
        // and read again (rare).
        auto read = [&](std::uint64_t first_line) {
          out.batch.clear();
          out.problems.clear();
          out.stats = w.reader.read_lines(m.name, *m.data, s.begin, s.end, first_line, source_idx, out.batch, on_event,
                                          nullptr, out.problems);
        };
        read(1);
        if (!out.problems.empty()) {
          seg.number(s, out.stats.newlines);
          if (s.first_line != 1) read(s.first_line);
        }
        const bool numbered = !out.problems.empty() || seg.try_number(s, out.stats.newlines);
        out.hits.clear();
        w.eng->match_batch(out.batch, out.hits);
        if (!numbered) seg.number(s, out.stats.newlines);
        if (out.problems.empty() && s.first_line != 1)
          for (event& ev : out.batch.events()) ev.source.record += s.first_line - 1;
        render_hits(st, out.batch, out.hits, out.rendered);
      },
      [&](ingest::line_segment& s, json_segment_out& out) {
        ingest::release_consumed(m, s.end);  // every earlier segment is done: keep memory flat
        st.problems.insert(st.problems.end(), out.problems.begin(), out.problems.end());
        st.events += out.stats.events + out.stats.filtered;
        st.records += out.stats.records;
        st.bad_records += out.stats.bad;
        st.filtered += out.stats.filtered;
        st.json_records += out.stats.records;
        emit_alerts(st, out.batch, out.hits, &out.rendered);
        flush_problems(st);
        if (++segments % 64 == 0)  // large files: show progress inside the file too
          st.prog.update(fmt::format("{}/{} files, {:.0f}% of {}, {} events, {} alerts", st.files_done, st.files.size(),
                                     100.0 * static_cast<double>(s.end) / static_cast<double>(text.size()), m.name,
                                     st.events, st.alerts));
      });
}

// Reads EVTX sources on the chunk pool; events are built, normalised and
// matched on the workers, and reported here in file order.
void read_evtx(hunt_state& st, const std::vector<ingest::evtx::source>& srcs) {
  const auto base = static_cast<std::uint32_t>(st.sources.size());
  for (const auto& s : srcs) st.sources.push_back(s.name);
  ingest::evtx::reader_options ro;
  ro.threads = st.threads;
  ro.on_parsed = [&st](ingest::evtx::chunk_output& o, unsigned worker) {
    thread_local std::vector<match::hit> hits;
    hits.clear();
    st.engines[worker]->match_batch(o.batch, hits);
    for (const auto& h : hits) o.hits.emplace_back(h.event_idx, h.rule_idx);
  };
  const normalizer* norm = st.norm;
  auto normalise = [norm](event_batch& b, event& ev) { norm->apply(b, ev); };
  auto problem = [&](const std::string& name, const ingest::evtx::problem& p) {
    st.problems.push_back({ingest::evtx::where(name, p), "evtx-" + p.reason, p.message});
  };
  std::uint64_t chunks = 0;
  ingest::evtx::read_events(
      srcs, ro, base, normalise,
      [&](ingest::evtx::chunk_output& o) {
        st.events += o.batch.size();
        for (const auto& p : o.problems) problem(srcs[o.source_idx].name, p);
        st.hits.clear();
        for (const auto& [e, r] : o.hits) st.hits.push_back({e, r});
        emit_alerts(st, o.batch, st.hits);
        flush_problems(st);
        if (++chunks % 64 == 0)  // large files: show progress inside the file too
          st.prog.update(fmt::format("{}/{} files, {} events, {} alerts", st.files_done, st.files.size(), st.events,
                                     st.alerts));
      },
      [&](std::size_t idx, const ingest::evtx::file_stats& fs, const std::vector<ingest::evtx::problem>& ps) {
        for (const auto& p : ps) problem(srcs[idx].name, p);
        st.records += fs.records + fs.bad_records;
        st.bad_records += fs.bad_records;
        if (!srcs[idx].path.empty()) {  // a whole input file (archive members count with their archive)
          ++st.files_done;
          flush_problems(st);
          st.prog.update(fmt::format("{}/{} files, {} events, {} alerts", st.files_done, st.files.size(), st.events,
                                     st.alerts));
        }
      });
}

int step_read(hunt_state& st) {
  ingest::json_reader reader;
  if (st.pre && st.pre->active()) reader.keep_record = [&st](std::string_view raw) { return st.pre->keep(raw); };
  event_batch batch;
  auto on_event = [&](event_batch& b, event& ev) { st.norm->apply(b, ev); };
  auto on_full = [&](event_batch& b) { match_and_emit(st, b); };
  // Consecutive EVTX files share one chunk pool (read with pread chunk by
  // chunk: memory stays flat for any file size), so many small files keep
  // every thread busy; alerts still come in path order.
  std::vector<ingest::evtx::source> evtx_run;
  auto flush_evtx = [&] {
    if (evtx_run.empty()) return;
    read_evtx(st, evtx_run);
    evtx_run.clear();
  };
  for (const auto& in : st.files) {
    if (ingest::evtx::file_is_evtx(in.path)) {
      std::error_code ec;
      auto size = std::filesystem::file_size(in.path, ec);
      if (!ec) st.bytes += size;
      evtx_run.push_back({in.name, in.path, {}});
      continue;
    }
    flush_evtx();
    {
      ingest::for_each_member(
          in.path,
          [&](const ingest::member& m) {
            std::string_view text(m.data->data(), m.data->size());
            st.bytes += text.size();
            std::span<const std::uint8_t> image(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
            if (ingest::evtx::sniff(image)) {
              read_evtx(st, {{m.name, {}, image}});
              return;
            }
            if (!ingest::json_reader::sniff(text)) {
              // Named on the command line: a warning. Found in a directory
              // walk (READMEs, metadata): counted in the summary only.
              if (in.named && !text.empty())
                st.problems.push_back({m.name, "unsupported-format", "not a JSON or EVTX log (unknown format); skipped"});
              else
                ++st.unsupported_files;
              return;
            }
            auto source_idx = static_cast<std::uint32_t>(st.sources.size());
            st.sources.push_back(m.name);
            std::size_t body = 0;
            std::uint64_t body_line = 0;
            if (ingest::json_reader::is_json_lines(text, body, body_line)) {
              read_json_lines(st, m, source_idx, body, body_line);
              return;
            }
            auto stats = reader.read(m.name, *m.data, source_idx, batch, on_event, on_full, st.problems);
            match_and_emit(st, batch);
            st.events += stats.events + stats.filtered;
            st.records += stats.records;
            st.bad_records += stats.bad;
            st.filtered += stats.filtered;
            st.json_records += stats.records;
          },
          st.problems, 4ULL << 30, in.name);
    }
    ++st.files_done;
    flush_problems(st);
    st.prog.update(fmt::format("{}/{} files, {} events, {} alerts", st.files_done, st.files.size(), st.events,
                               st.alerts));
  }
  flush_evtx();
  st.prog.finish();
  return flush_output(st, "alerts");
}

// Correlations run once every input is read: their inputs are sorted by
// event time, so the result does not depend on file order or threads.
int step_correlate(hunt_state& st) {
  if (!st.corr) return k_exit_ok;
  for (const auto& res : st.corr->run()) {
    const auto& c = st.corrs[res.correlation];
    if (st.db) st.db->add_correlation(res, c);
    if (!c.standalone) continue;
    if (st.gb) st.gb->attach_correlation(graph_alert(st, st.graph_corrs, res.correlation, c, res.id, res.end), res.members);
    ++st.corr_alerts;
    ++st.by_corr[res.correlation];
    ++st.by_level[c.lvl];
    std::string line;
    if (st.opts.format == "jsonl") {
      line = report::correlation_to_jsonl(res, c);
      line.push_back('\n');
    } else {
      std::string group;
      for (const auto& [f, v] : res.group) group += (group.empty() ? "" : " ") + f + "=" + v;
      std::string lvl = std::string(sigma::level_name(c.lvl));
      std::string padded_lvl = lvl + std::string(lvl.size() < 13 ? 13 - lvl.size() : 0, ' ');
      line = fmt::format("{}  {}  {:<16}  {}  {}\n", format_rfc3339(res.end).substr(0, 19) + "Z",
                         st.out_pal.level(padded_lvl), "(correlation)", printable(c.title),
                         st.out_pal.dim(fmt::format("{} {:g} in {}..{} {}", sigma::corr_type_name(c.type), res.value,
                                                    format_rfc3339(res.start).substr(11, 8),
                                                    format_rfc3339(res.end).substr(11, 8), printable(group))));
    }
    st.out.write(line);
  }
  commit_case(st);
  return flush_output(st, "alerts");
}

// Incidents once every alert (and correlation) is in: the graph is
// finished, alerts are grouped, incidents go to the output and the case.
int step_incidents(hunt_state& st) {
  if (!st.gb) return k_exit_ok;
  st.graph_bytes = st.gb->memory_bytes();
  st.g = st.gb->finish();
  st.gb.reset();
  graph::incident_options io;
  io.max_gap = static_cast<time_ns>(st.opts.incident_gap_minutes * 60e9);
  st.incidents = graph::find_incidents(st.g, io);
  if (st.opts.format == "jsonl") {
    for (const auto& inc : st.incidents) {
      std::string line = graph::incident_to_jsonl(st.g, st.incidents, inc);
      line.push_back('\n');
      st.out.write(line);
    }
  }
  if (st.db && !st.db_failed) {
    st.db->add_graph(st.g, st.incidents);
    commit_case(st);
  }
  return flush_output(st, "incidents");
}

int step_close_case(hunt_state& st) {
  if (!st.db) return k_exit_ok;
  casedb::run_counts c = st.db->counts();
  c.events = st.events;
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
  const palette& pal = st.summary == stdout ? st.out_pal : st.err_pal;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.start).count();
  std::string s;
  s += "\n" + pal.bold("Summary") + "\n";
  s += fmt::format("  inputs   {} files ({} sources), {:.1f} MB, {} records, {} events in {:.2f} s ({:.0f} events/s)\n",
                   st.files.size(), st.sources.size(), static_cast<double>(st.bytes) / 1e6, st.records, st.events, secs,
                   secs > 0 ? static_cast<double>(st.events) / secs : 0.0);
  s += fmt::format("  rules    {} active, {} correlation(s), {} skipped at load{}\n", st.rules.size(), st.corrs.size(),
                   st.loaded.skipped, st.rules_from_cache ? " (loaded from the cache)" : "");
  std::uint64_t evaluated = 0, by_logsource = 0, value_scans = 0, memo_hits = 0;
  for (const auto& e : st.engines) {
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
  else if (st.index && st.events > 0)
    s += fmt::format("  index off: {}\n", st.index->why_inactive());
  if (st.pre && !st.pre->active() && st.json_records > 0)
    s += fmt::format("  prefilter off: {}\n", st.pre->why_inactive());
  if (st.filtered)
    s += fmt::format("  prefilter {} record(s) held no literal any rule needs: not parsed or matched ({} literal(s))\n",
                     st.filtered, st.pre->literal_count());
  if (st.unsupported_files)
    s += fmt::format("  skipped  {} files of a format not read yet (found in directories)\n", st.unsupported_files);
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
    const auto& cs = st.corr->statistics();
    s += fmt::format("  {} alert(s) from {} correlation rule(s); {} hit(s) fed them ({} only fed them), "
                     "{} left out for a missing group-by field, {} for a missing event time\n",
                     st.corr_alerts, st.corrs.size(), cs.inputs, st.hidden_alerts, cs.missing_group, cs.missing_time);
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
    s += fmt::format("  {} incident(s) from {} alert(s); graph: {} entities, {} edges, {:.1f} MB\n", st.incidents.size(),
                     st.g.alerts.size(), st.g.entities.size(), st.g.edges.size(),
                     static_cast<double>(st.graph_bytes) / 1e6);
    for (std::size_t k = 0; k < st.incidents.size() && k < st.opts.incidents_shown; ++k) {
      const auto& inc = st.incidents[k];
      std::string lvl(graph::severity_name(inc.severity));
      lvl.resize(std::max<std::size_t>(lvl.size(), 13), ' ');
      std::string hosts;
      for (const auto& h : inc.hosts) hosts += (hosts.empty() ? "" : ",") + h;
      std::string tactics;
      for (const auto& t : inc.tactics) tactics += (tactics.empty() ? "" : " > ") + t;
      s += fmt::format("  {:>6.1f}  {}  {}  {}  {} ({} alert(s))\n", inc.score, pal.level(lvl),
                       inc.first == k_no_time ? std::string("-") : format_rfc3339(inc.first).substr(0, 19) + "Z",
                       hosts.empty() ? std::string("-") : printable(hosts),
                       printable(graph::title_of(st.g.alerts[inc.headline])),
                       inc.alerts.size());
      s += fmt::format("          {}  {}\n", pal.dim("id " + inc.id.substr(0, 12)), tactics);
      if (inc.root != graph::k_none) s += fmt::format("          root: {}\n", printable(st.g.label(inc.root)));
      for (const auto& l : inc.links)
        s += fmt::format("          linked: {} ({})\n", st.incidents[l.incident].id.substr(0, 12), printable(l.via));
    }
    if (st.incidents.size() > st.opts.incidents_shown)
      s += fmt::format("  ... and {} more (--incidents-shown N, or -f jsonl)\n",
                       st.incidents.size() - st.opts.incidents_shown);
    if (st.db) s += "  trace one: ariadne trace " + st.opts.case_db + " ID\n";
  }
  std::fputs(s.c_str(), st.summary);
  return st.summary == stdout ? finish_stdout() : k_exit_ok;
}

}  // namespace

int run_hunt(const hunt_options& opts) {
  auto owned = std::make_unique<hunt_state>(opts);
  hunt_state& st = *owned;
  for (auto step : {step_load_rules, step_setup, step_read, step_correlate, step_incidents, step_close_case,
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
