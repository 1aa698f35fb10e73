// The hunt pipeline: inputs -> decode -> normalise -> match -> correlate ->
// entity graph and incidents -> sinks. Every front end drives this one
// executor (`hunt` today; `stream` and `serve` next), and so do the tests.
//
// Shaped like a query engine's operators: EVTX chunks and 1 MiB segments of
// JSON-lines inputs are parsed, normalised, matched and rendered on worker
// threads (each with its own matcher and its sink's per-thread work,
// sink::render), then delivered to the sink on the calling thread in input
// order (sink::on_alert, on_batch_end), so the output is the same for any
// thread count. finish() runs the single-threaded finalise: correlations
// over every hit, sorted by event time, then the entity graph's incidents.
//
//   pipeline::options o;
//   o.threads = 2;
//   my_sink out;                                   // a pipeline::sink
//   pipeline::executor ex(rules, correlations, index, o, out);
//   ex.read(ingest::expand_inputs({"logs/"}, problems, spool));
//   ex.finish();
//
// The executor never prints or exits: what it finds goes to the sink.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/correlate/correlate.hpp"
#include "ariadne/event/event.hpp"
#include "ariadne/graph/anomaly.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/report/alert.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::pipeline {

struct clock_fix;

// One rule's hit on one event, as the sink sees it. Everything refers to
// the batch, valid for the call only.
struct hit_context {
  const sigma::rule& rule;
  std::uint32_t rule_idx;
  const event_batch& batch;
  const event& ev;
  std::string_view host;       // the event's host ("" when none)
  const std::string& source;   // the input's name (archive members: "x.zip!member")
};

// Where the pipeline's results go. render() and wants_alert() run on the
// worker threads, concurrently, and must not change shared state; every
// on_* call comes from the thread that called executor::read()/finish(), in
// input order.
class sink {
 public:
  virtual ~sink() = default;
  // Whether the hit needs the full alert (its id and event JSON), e.g. to
  // store or print it. Hits that correlations or the graph keep get an id
  // either way.
  [[nodiscard]] virtual bool wants_alert(const sigma::rule& rule) const = 0;
  // The sink's own rendering of a hit (an output line, or nothing), made on
  // a worker; handed back to on_alert().
  [[nodiscard]] virtual std::string render(const hit_context& hit, const report::alert* alert) const = 0;
  // A hit, in input order. `alert` is set when wants_alert() said so.
  // Rules that only feed correlations (not standalone) come here too.
  virtual void on_alert(const hit_context& hit, const report::alert* alert, std::string& rendered) = 0;
  // After each batch's alerts (a commit point for a database).
  virtual void on_batch_end() {}
  // Input problems, as they are found; the sink takes them (and may clear).
  virtual void on_problems(std::vector<ingest::input_problem>& problems) = 0;
  // A correlation alert (finish(), in the order of correlate::engine::run()).
  virtual void on_correlation(const correlate::result& result, const sigma::correlation_rule& rule) = 0;
  // The anomaly alerts (graph/anomaly.hpp), once the graph is finished and
  // before its incidents (finish(); only with incidents and anomalies on).
  virtual void on_anomalies(const graph::graph& /*g*/, const std::vector<graph::anomaly>& /*found*/) {}
  // The incidents, once the graph is finished (finish(); only with incidents on).
  virtual void on_incidents(const graph::graph& g, const std::vector<graph::incident>& incidents) = 0;
  // How far reading is, now and then (for a progress line).
  virtual void on_progress(std::string_view /*status*/) {}
};

struct options {
  unsigned threads = 1;
  const normalizer* norm = nullptr;  // null: normalizer::builtin()
  bool use_index = true;             // the literal index picks the rules to evaluate (false: the reference path)
  bool prefilter = true;             // skip JSON records no rule can match (only without incidents)
  bool incidents = true;             // build the entity graph and incidents
  double incident_gap_minutes = 60;
  const graph::baseline* baseline = nullptr;  // what is routine, learned before (may be null)
  bool anomalies = true;  // anomaly alerts from the graph's counts (with incidents)
  const graph::anomaly_spec* anomaly_spec = nullptr;  // null: graph::anomaly_spec::builtin()
  std::uint64_t max_member_bytes = 4ULL << 30;  // an archive member's limit
  // Scope: hits on events outside [from, to] (event time; an event without
  // one is outside any window that is set) or of other hosts (host names or
  // globs, case-insensitive; empty: every host) are dropped and counted.
  // The entity graph still sees every event, as context.
  time_ns from = k_no_time, to = k_no_time;
  std::vector<std::string> hosts;
};

// Counts of what was read.
struct counters {
  std::uint64_t events = 0, records = 0, bad_records = 0, bytes = 0;
  std::uint64_t filtered = 0;       // records the prefilter skipped
  std::uint64_t json_records = 0;   // the prefilter applies to JSON records only
  std::uint64_t unsupported_files = 0;  // found in a walk, of no format read
  std::size_t files_done = 0;
  std::size_t sources = 0;          // inputs and archive members read
  std::uint64_t hidden_alerts = 0;  // hits of rules that only feed correlations
  std::uint64_t out_of_time = 0;    // hits dropped by options::from/to
  std::uint64_t other_hosts = 0;    // hits dropped by options::hosts
  // Times you can trust (src/pipeline/clock.hpp): sources whose export
  // times disagree with their records' own UTC times, with the offset seen;
  // events that took their own time, and events shifted by the offset.
  std::vector<std::pair<std::string, time_ns>> clock_offsets;
  std::uint64_t times_own = 0, times_shifted = 0;
};

class executor {
 public:
  // `rules` and `correlations` must outlive the executor. `index` may be
  // null: then one is derived here, shared by the threads, when
  // options::use_index says so.
  executor(const std::vector<sigma::rule>& rules, const std::vector<sigma::correlation_rule>& correlations,
           std::shared_ptr<const match::literal_index> index, const options& opts, sink& out);
  ~executor();
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  // Reads the inputs in order (consecutive EVTX files share one chunk pool).
  void read(const std::vector<ingest::input_file>& files);
  // Correlations, then the graph and its incidents. Once, after read().
  void finish();

  [[nodiscard]] const counters& stats() const { return counts_; }
  [[nodiscard]] const std::vector<std::unique_ptr<match::engine>>& engines() const { return engines_; }
  [[nodiscard]] const match::prefilter* prefilter() const { return pre_.get(); }
  [[nodiscard]] const correlate::engine* correlations() const { return corr_.get(); }
  [[nodiscard]] const graph::graph& graph() const { return g_; }
  // The graph, moved out (after finish(); graph() is then empty).
  [[nodiscard]] graph::graph take_graph() { return std::move(g_); }
  [[nodiscard]] const std::vector<graph::incident>& incidents() const { return incidents_; }
  [[nodiscard]] const std::vector<graph::anomaly>& anomalies() const { return anomalies_; }
  [[nodiscard]] std::size_t graph_bytes() const { return graph_bytes_; }
  [[nodiscard]] const std::vector<std::string>& sources() const { return sources_; }

 private:
  struct rendered_hit;
  struct json_segment_out;
  struct json_worker;
  struct stream_segment;
  void read_json_stream(ingest::member_stream& ms, std::uint32_t source_idx);
  json_worker make_json_worker(unsigned index);
  void count_json(const ingest::read_stats& stats);
  void deliver_segment(json_segment_out& out);
  void read_json_lines(const ingest::member& m, std::uint32_t source_idx, std::size_t body, std::uint64_t body_line);
  void read_evtx(const std::vector<ingest::evtx::source>& srcs);
  void render_hits(const event_batch& batch, const std::vector<match::hit>& hits, std::vector<rendered_hit>& out) const;
  rendered_hit render_hit(const event_batch& batch, const match::hit& h, const std::string* event_json) const;
  void emit(event_batch& batch, const std::vector<match::hit>& hits, std::vector<rendered_hit>* rendered);
  void match_and_emit(event_batch& batch);
  // A JSON source's clock: learned from its first k_clock_file_bytes (a
  // stream's first k_clock_stream_bytes), noted in the counters.
  static constexpr std::size_t k_clock_file_bytes = std::size_t{64} << 20, k_clock_stream_bytes = std::size_t{16} << 20;
  clock_fix learn_source_clock(const std::string& name, simdjson::padded_string_view text, std::size_t begin);
  void count_clock(int outcome) const;  // a clock_fix::outcome
  // Whether a time is inside options::from/to, a lower-case host among options::hosts.
  [[nodiscard]] bool in_time(time_ns t) const;
  [[nodiscard]] bool in_hosts(const std::string& lower_host) const;
  // Drops the hits options::from/to/hosts leave out (counted in emit()).
  void scope_hits(const event_batch& batch, std::vector<match::hit>& hits) const;
  [[nodiscard]] bool scoped() const { return opts_.from != k_no_time || opts_.to != k_no_time || !opts_.hosts.empty(); }
  graph::alert_ref graph_alert(std::vector<const graph::alert_rule*>& cache, std::size_t idx,
                               const sigma::rule_header& r, std::string id, time_ns t);
  void progress(const std::string& status);
  void deliver_problems(std::vector<ingest::input_problem>& problems);  // to the sink, then cleared

  const std::vector<sigma::rule>& rules_;
  const std::vector<sigma::correlation_rule>& corrs_;
  options opts_;
  sink& out_;
  const normalizer* norm_;
  std::vector<std::unique_ptr<match::engine>> engines_;  // one per thread; [0] is the caller's
  std::unique_ptr<match::prefilter> pre_;
  std::unique_ptr<correlate::engine> corr_;
  std::unique_ptr<graph::builder> gb_;
  std::vector<const graph::alert_rule*> graph_rules_, graph_corrs_;
  graph::graph g_;
  std::vector<graph::incident> incidents_;
  std::vector<graph::anomaly> anomalies_;
  std::size_t graph_bytes_ = 0;
  std::vector<std::string> sources_;
  std::vector<ingest::input_problem> problems_;
  std::vector<match::hit> hits_;
  mutable std::atomic<std::uint64_t> out_of_time_{0}, other_hosts_{0};
  mutable std::atomic<std::uint64_t> times_own_{0}, times_shifted_{0};  // scope_hits() runs on the workers
  std::size_t total_files_ = 0;
  counters counts_;
};

}  // namespace ariadne::pipeline
