// The hunt pipeline's executor (include/ariadne/pipeline/pipeline.hpp):
// reading, matching and rendering on the ordered pool, delivery in input
// order, then correlations and incidents.
#include "ariadne/pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>

#include "ariadne/attack/attack.hpp"
#include "ariadne/core/ordered_pool.hpp"
#include "ariadne/core/text.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "clock.hpp"

namespace ariadne::pipeline {

// What reporting a hit needs that depends only on its event and rule: the
// full alert (id, event JSON) when the sink stores or prints it, the id
// alone when correlations or the graph keep it, and the sink's rendering.
// Pure, so the workers make it in parallel.
struct executor::rendered_hit {
  std::optional<report::alert> alert;
  std::string line;
  std::string_view host;  // the event's host, in the batch
  std::string id;         // without `alert`: the alert's id, when correlations or the graph keep it
};

namespace {

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

}  // namespace

executor::executor(const std::vector<sigma::rule>& rules, const std::vector<sigma::correlation_rule>& correlations,
                   std::shared_ptr<const match::literal_index> index, const options& opts, sink& out)
    : rules_(rules), corrs_(correlations), opts_(opts), out_(out),
      norm_(opts.norm ? opts.norm : &normalizer::builtin()) {
  if (opts_.threads == 0) opts_.threads = 1;
  match::engine_options eo;
  eo.use_index = opts_.use_index;
  if (opts_.use_index && !index) index = std::make_shared<const match::literal_index>(rules_, opts_.threads);
  for (unsigned k = 0; k < opts_.threads; ++k) engines_.push_back(std::make_unique<match::engine>(rules_, eo, index));
  // The record prefilter skips records no rule can match; the entity graph
  // needs every record, so it is used only without incidents.
  if (opts_.prefilter && !opts_.incidents) pre_ = std::make_unique<match::prefilter>(rules_);
  if (!corrs_.empty()) corr_ = std::make_unique<correlate::engine>(corrs_, rules_);
  if (opts_.incidents) gb_ = std::make_unique<graph::builder>(graph::mapping::builtin());
}

executor::~executor() = default;

graph::alert_ref executor::graph_alert(std::vector<const graph::alert_rule*>& cache, std::size_t idx,
                                       const sigma::rule_header& r, std::string id, time_ns t) {
  if (cache.size() <= idx) cache.resize(idx + 1, nullptr);
  if (!cache[idx]) cache[idx] = gb_->rule(graph_rule(r));
  graph::alert_ref a;
  a.id = std::move(id);
  a.rule = cache[idx];
  a.time = t;
  return a;
}

void executor::progress(const std::string& status) { out_.on_progress(status); }

void executor::deliver_problems(std::vector<ingest::input_problem>& problems) {
  if (problems.empty()) return;
  out_.on_problems(problems);
  problems.clear();
}

// `event_json`, when given, is the event's JSON rendered for an earlier hit.
executor::rendered_hit executor::render_hit(const event_batch& batch, const match::hit& h,
                                            const std::string* event_json) const {
  rendered_hit out;
  const auto& r = rules_[h.rule_idx];
  const event& ev = batch.events()[h.event_idx];
  const std::string& src = sources_[ev.source.source_idx];
  std::string_view host = out.host = norm_->host(batch, ev);
  if (out_.wants_alert(r)) out.alert = report::make_alert(r, h.rule_idx, batch, ev, host, src, event_json);
  else if (gb_ || (corr_ && corr_->wants(h.rule_idx)))
    out.id = report::alert_id(r.id, report::event_identity(batch, ev, host));
  out.line = out_.render(hit_context{r, h.rule_idx, batch, ev, host, src}, out.alert ? &*out.alert : nullptr);
  return out;
}

void executor::render_hits(const event_batch& batch, const std::vector<match::hit>& hits,
                           std::vector<rendered_hit>& out) const {
  out.clear();
  out.reserve(hits.size());
  for (std::size_t k = 0; k < hits.size(); ++k) {
    // Hits come by event: several rules on one event render its JSON once.
    const std::string* event_json = nullptr;
    if (k && hits[k - 1].event_idx == hits[k].event_idx && out.back().alert) event_json = &out.back().alert->event_json;
    out.push_back(render_hit(batch, hits[k], event_json));
  }
}

// Reports a batch's hits in order; `rendered`, when given, holds
// render_hits() of them, made on a worker (else they are rendered here).
void executor::emit(event_batch& batch, const std::vector<match::hit>& hits, std::vector<rendered_hit>* rendered) {
  std::vector<rendered_hit> here;
  if (!rendered) {
    render_hits(batch, hits, here);
    rendered = &here;
  }
  std::vector<std::uint32_t> subjects;
  if (gb_) subjects = gb_->observe(batch, [&](const event& ev) { return norm_->host(batch, ev); });
  for (std::size_t k = 0; k < hits.size(); ++k) {
    const auto& h = hits[k];
    const auto& r = rules_[h.rule_idx];
    const event& ev = batch.events()[h.event_idx];
    rendered_hit made = std::move((*rendered)[k]);
    const report::alert* a = made.alert ? &*made.alert : nullptr;
    std::string_view host = made.host;
    bool feeds = corr_ && corr_->wants(h.rule_idx);
    // The id, when correlations or the graph keep the alert.
    std::string id;
    if (feeds || gb_) id = a ? a->id : std::move(made.id);
    if (feeds) corr_->add_hit(h.rule_idx, batch, ev, id);
    if (gb_) {
      if (r.standalone)
        gb_->attach(subjects[h.event_idx], graph_alert(graph_rules_, h.rule_idx, r, id, ev.time), host, feeds);
      else if (feeds)
        gb_->remember(subjects[h.event_idx], id, host);
    }
    if (!r.standalone) ++counts_.hidden_alerts;
    out_.on_alert(hit_context{r, h.rule_idx, batch, ev, host, sources_[ev.source.source_idx]}, a, made.line);
  }
  batch.clear();
  out_.on_batch_end();  // one commit per batch: a crash loses at most this batch
}

// Matches a batch on this thread, then reports it.
void executor::match_and_emit(event_batch& batch) {
  hits_.clear();
  engines_[0]->match_batch(batch, hits_);
  scope_hits(batch, hits_);
  emit(batch, hits_, nullptr);
}

bool executor::in_time(time_ns t) const {
  if (opts_.from == k_no_time && opts_.to == k_no_time) return true;
  return t != k_no_time && (opts_.from == k_no_time || t >= opts_.from) && (opts_.to == k_no_time || t <= opts_.to);
}

bool executor::in_hosts(const std::string& lower_host) const {
  if (opts_.hosts.empty()) return true;
  for (const auto& p : opts_.hosts)
    if (p == lower_host || ::fnmatch(p.c_str(), lower_host.c_str(), 0) == 0) return true;
  return false;
}

void executor::scope_hits(const event_batch& batch, std::vector<match::hit>& hits) const {
  if (!scoped() || hits.empty()) return;
  std::uint64_t time_out = 0, host_out = 0;
  std::erase_if(hits, [&](const match::hit& h) {
    const event& ev = batch.events()[h.event_idx];
    if (!in_time(ev.time)) return ++time_out, true;
    if (!opts_.hosts.empty() && !in_hosts(to_lower_ascii(norm_->host(batch, ev)))) return ++host_out, true;
    return false;
  });
  if (time_out) out_of_time_ += time_out;
  if (host_out) other_hosts_ += host_out;
}

// One segment of a JSON-lines input, read and matched on a worker.
struct executor::json_segment_out {
  event_batch batch;
  std::vector<match::hit> hits;
  std::vector<rendered_hit> rendered;
  std::vector<ingest::input_problem> problems;
  ingest::read_stats stats;
};

struct executor::json_worker {
  ingest::json_reader reader;
  match::engine* eng = nullptr;
};

void executor::count_json(const ingest::read_stats& stats) {
  counts_.events += stats.events + stats.filtered;
  counts_.records += stats.records;
  counts_.bad_records += stats.bad;
  counts_.filtered += stats.filtered;
  counts_.json_records += stats.records;
}

// A worker for JSON-lines segments: its own reader (one batch per segment)
// and the thread's matcher.
executor::json_worker executor::make_json_worker(unsigned index) {
  json_worker w;
  w.reader.batch_events = SIZE_MAX;
  if (pre_ && pre_->active()) w.reader.keep_record = [this](std::string_view raw) { return pre_->keep(raw); };
  w.eng = engines_[index].get();
  return w;
}

// A read segment's counts, problems and hits, in input order.
void executor::deliver_segment(json_segment_out& out) {
  count_json(out.stats);
  deliver_problems(out.problems);
  emit(out.batch, out.hits, &out.rendered);
}

// Reads a JSON-lines text in segments of 1 MiB on the thread pool: each
// worker parses, normalises and matches its segment; segments are reported
// in input order, so the output does not depend on the thread count. At
// most 4 segments per thread are in flight.
void executor::read_json_lines(const ingest::member& m, std::uint32_t source_idx, std::size_t body,
                               std::uint64_t body_line) {
  std::string_view text(m.data->data(), m.data->size());
  ingest::line_segmenter seg(text, body, body_line, std::size_t{1} << 20);
  const normalizer* norm = norm_;
  const clock_fix fix = learn_source_clock(m.name, *m.data, body);
  auto on_event = [this, norm, &fix](event_batch& b, event& ev) {
    norm->apply(b, ev);
    if (fix.active) count_clock(static_cast<int>(fix.apply(b, ev)));
  };
  std::uint64_t segments = 0;
  run_ordered<ingest::line_segment, json_segment_out>(
      opts_.threads, 4ULL * opts_.threads, [&](ingest::line_segment& s) { return seg.next(s); },
      [&](unsigned index) { return make_json_worker(index); },
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
        scope_hits(out.batch, out.hits);
        if (!numbered) seg.number(s, out.stats.newlines);
        if (out.problems.empty() && s.first_line != 1)
          for (event& ev : out.batch.events()) ev.source.record += s.first_line - 1;
        render_hits(out.batch, out.hits, out.rendered);
      },
      [&](ingest::line_segment& s, json_segment_out& out) {
        ingest::release_consumed(m, s.end);  // every earlier segment is done: keep memory flat
        deliver_segment(out);
        if (++segments % 64 == 0)  // large files: show progress inside the file too
          progress(fmt::format("{}/{} files, {:.0f}% of {}, {} events", counts_.files_done, total_files_,
                               100.0 * static_cast<double>(s.end) / static_cast<double>(text.size()), m.name,
                               counts_.events));
      });
}

// A JSON-lines archive member read as it is decompressed: cut into
// segments of about 1 MiB of whole lines on this thread (each numbered by
// the newlines before it), parsed, matched and rendered on the workers,
// delivered in order. Memory holds the segments in flight, not the member.
struct executor::stream_segment {
  stream_segment() : text() {}
  simdjson::padded_string text;
  std::uint64_t first_line = 1;
};

void executor::read_json_stream(ingest::member_stream& ms, std::uint32_t source_idx) {
  constexpr std::size_t k_target = std::size_t{1} << 20;
  std::string_view head = ms.head;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);  // a byte-order mark
  std::string carry(head);  // bytes read but not yet cut into a segment
  bool eof = false;
  std::uint64_t next_line = 1;
  counts_.bytes += ms.head.size();
  auto more = [&] {  // reads about 1 MiB more into `carry`
    const std::size_t old = carry.size();
    carry.resize(old + k_target);
    const std::size_t n = ms.read(carry.data() + old, k_target);
    carry.resize(old + n);
    counts_.bytes += n;
    if (n == 0) eof = true;
  };
  const normalizer* norm = norm_;
  // The clock of the stream is learned from its first 16 MiB.
  while (!eof && carry.size() < k_clock_stream_bytes) more();
  clock_fix fix;
  {
    simdjson::padded_string ahead(carry.data(), carry.size());
    fix = learn_source_clock(ms.name, ahead, 0);
  }
  auto on_event = [this, norm, &fix](event_batch& b, event& ev) {
    norm->apply(b, ev);
    if (fix.active) count_clock(static_cast<int>(fix.apply(b, ev)));
  };
  run_ordered<stream_segment, json_segment_out>(
      opts_.threads, 4ULL * opts_.threads,
      [&](stream_segment& seg) {
        while (!eof && carry.size() < k_target) more();
        // Whole lines only; a line longer than what is read waits for its end.
        std::size_t cut = carry.size();
        if (!eof) {
          std::size_t nl = carry.rfind('\n');
          while (nl == std::string::npos && !eof) {
            const std::size_t from = carry.size();
            more();
            nl = carry.find('\n', from);
            if (nl != std::string::npos) nl = carry.rfind('\n');
          }
          cut = nl == std::string::npos ? carry.size() : nl + 1;
        }
        if (cut == 0) return false;
        seg.text = simdjson::padded_string(carry.data(), cut);
        seg.first_line = next_line;
        next_line += static_cast<std::uint64_t>(std::count(carry.data(), carry.data() + cut, '\n'));
        carry.erase(0, cut);
        return true;
      },
      [&](unsigned index) { return make_json_worker(index); },
      [&](json_worker& w, stream_segment& seg, json_segment_out& out) {
        out.batch.clear();
        out.problems.clear();
        out.stats = w.reader.read_lines(ms.name, seg.text, 0, seg.text.size(), seg.first_line, source_idx, out.batch,
                                        on_event, nullptr, out.problems);
        out.hits.clear();
        w.eng->match_batch(out.batch, out.hits);
        scope_hits(out.batch, out.hits);
        render_hits(out.batch, out.hits, out.rendered);
      },
      [&](stream_segment& seg, json_segment_out& out) {
        deliver_segment(out);
        seg.text = simdjson::padded_string();
      });
}

// Reads EVTX sources on the chunk pool; events are built, normalised and
// matched on the workers, and reported here in file order.
void executor::read_evtx(const std::vector<ingest::evtx::source>& srcs) {
  const auto base = static_cast<std::uint32_t>(sources_.size());
  for (const auto& s : srcs) sources_.push_back(s.name);
  counts_.sources = sources_.size();
  ingest::evtx::reader_options ro;
  ro.threads = opts_.threads;
  ro.on_parsed = [this](ingest::evtx::chunk_output& o, unsigned worker) {
    thread_local std::vector<match::hit> hits;
    hits.clear();
    engines_[worker]->match_batch(o.batch, hits);
    scope_hits(o.batch, hits);
    for (const auto& h : hits) o.hits.emplace_back(h.event_idx, h.rule_idx);
  };
  const normalizer* norm = norm_;
  auto normalise = [norm](event_batch& b, event& ev) { norm->apply(b, ev); };
  auto report_problems = [&](const std::string& name, const std::vector<ingest::evtx::problem>& ps) {
    for (const auto& p : ps) problems_.push_back({ingest::evtx::where(name, p), "evtx-" + p.reason, p.message});
    deliver_problems(problems_);
  };
  std::uint64_t chunks = 0;
  ingest::evtx::read_events(
      srcs, ro, base, normalise,
      [&](ingest::evtx::chunk_output& o) {
        counts_.events += o.batch.size();
        report_problems(srcs[o.source_idx].name, o.problems);
        hits_.clear();
        for (const auto& [e, r] : o.hits) hits_.push_back({e, r});
        emit(o.batch, hits_, nullptr);
        if (++chunks % 64 == 0)  // large files: show progress inside the file too
          progress(fmt::format("{}/{} files, {} events", counts_.files_done, total_files_, counts_.events));
      },
      [&](std::size_t idx, const ingest::evtx::file_stats& fs, const std::vector<ingest::evtx::problem>& ps) {
        report_problems(srcs[idx].name, ps);
        counts_.records += fs.records + fs.bad_records;
        counts_.bad_records += fs.bad_records;
        if (!srcs[idx].path.empty()) {  // a whole input file (archive members count with their archive)
          ++counts_.files_done;
          progress(fmt::format("{}/{} files, {} events", counts_.files_done, total_files_, counts_.events));
        }
      });
}

void executor::read(const std::vector<ingest::input_file>& files) {
  total_files_ += files.size();
  ingest::json_reader reader;
  if (pre_ && pre_->active()) reader.keep_record = [this](std::string_view raw) { return pre_->keep(raw); };
  event_batch batch;
  clock_fix member_fix;  // of the JSON member being read whole
  auto on_event = [this, &member_fix](event_batch& b, event& ev) {
    norm_->apply(b, ev);
    if (member_fix.active) count_clock(static_cast<int>(member_fix.apply(b, ev)));
  };
  auto on_full = [this](event_batch& b) { match_and_emit(b); };
  // Consecutive EVTX files share one chunk pool (read with pread chunk by
  // chunk: memory stays flat for any file size), so many small files keep
  // every thread busy; alerts still come in path order.
  std::vector<ingest::evtx::source> evtx_run;
  auto flush_evtx = [&] {
    if (evtx_run.empty()) return;
    read_evtx(evtx_run);
    evtx_run.clear();
  };
  for (const auto& in : files) {
    if (ingest::evtx::file_is_evtx(in.path)) {
      std::error_code ec;
      auto size = std::filesystem::file_size(in.path, ec);
      if (!ec) counts_.bytes += size;
      evtx_run.push_back({in.name, in.path, {}});
      continue;
    }
    flush_evtx();
    ingest::for_each_member(
        in.path,
        [&](const ingest::member& m) {
          std::string_view text(m.data->data(), m.data->size());
          counts_.bytes += text.size();
          std::span<const std::uint8_t> image(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
          if (ingest::evtx::sniff(image)) {
            deliver_problems(problems_);
            read_evtx({{m.name, {}, image}});
            return;
          }
          if (!ingest::json_reader::sniff(text)) {
            // Named on the command line: a problem. Found in a directory
            // walk (READMEs, metadata): counted only.
            if (in.named && !text.empty())
              problems_.push_back({m.name, "unsupported-format", "not a JSON or EVTX log (unknown format); skipped"});
            else
              ++counts_.unsupported_files;
            return;
          }
          auto source_idx = static_cast<std::uint32_t>(sources_.size());
          sources_.push_back(m.name);
          counts_.sources = sources_.size();
          std::size_t body = 0;
          std::uint64_t body_line = 0;
          if (ingest::json_reader::is_json_lines(text, body, body_line)) {
            deliver_problems(problems_);
            read_json_lines(m, source_idx, body, body_line);
            return;
          }
          member_fix = learn_source_clock(m.name, *m.data, 0);
          auto stats = reader.read(m.name, *m.data, source_idx, batch, on_event, on_full, problems_);
          member_fix = {};
          match_and_emit(batch);
          count_json(stats);
        },
        problems_, opts_.max_member_bytes, in.name,
        // A JSON-lines member of an archive is read as it is decompressed.
        [](std::string_view head) {
          std::span<const std::uint8_t> image(reinterpret_cast<const std::uint8_t*>(head.data()), head.size());
          std::size_t body = 0;
          std::uint64_t line = 0;
          return !ingest::evtx::sniff(image) && ingest::json_reader::sniff(head) &&
                 ingest::json_reader::is_json_lines(head, body, line);
        },
        [&](ingest::member_stream& ms) {
          deliver_problems(problems_);
          auto source_idx = static_cast<std::uint32_t>(sources_.size());
          sources_.push_back(ms.name);
          counts_.sources = sources_.size();
          read_json_stream(ms, source_idx);
        });
    deliver_problems(problems_);
    ++counts_.files_done;
    progress(fmt::format("{}/{} files, {} events", counts_.files_done, total_files_, counts_.events));
  }
  flush_evtx();
  counts_.out_of_time = out_of_time_.load();
  counts_.other_hosts = other_hosts_.load();
  counts_.times_own = times_own_.load();
  counts_.times_shifted = times_shifted_.load();
}

clock_fix executor::learn_source_clock(const std::string& name, simdjson::padded_string_view text, std::size_t begin) {
  clock_fix fix = learn_clock(name, text, begin, k_clock_file_bytes, *norm_);
  if (fix.active) counts_.clock_offsets.emplace_back(name, fix.offset);
  return fix;
}

void executor::count_clock(int outcome) const {
  if (outcome == static_cast<int>(clock_fix::outcome::own_time)) times_own_.fetch_add(1, std::memory_order_relaxed);
  else if (outcome == static_cast<int>(clock_fix::outcome::shifted)) times_shifted_.fetch_add(1, std::memory_order_relaxed);
}

void executor::finish() {
  // Correlations run once every input is read: their inputs are sorted by
  // event time, so the result does not depend on file order or threads.
  if (corr_) {
    for (const auto& res : corr_->run()) {
      const auto& c = corrs_[res.correlation];
      if (c.standalone && gb_)
        gb_->attach_correlation(graph_alert(graph_corrs_, res.correlation, c, res.id, res.end), res.members);
      out_.on_correlation(res, c);
    }
    out_.on_batch_end();
  }
  // Incidents once every alert (and correlation) is in: the graph is
  // finished and alerts are grouped.
  if (gb_) {
    graph_bytes_ = gb_->memory_bytes();
    g_ = gb_->finish();
    gb_.reset();
    if (opts_.anomalies) {
      // Anomalies outside the scope (from/to, hosts) are left out, like hits.
      auto in_scope = [&](time_ns t, std::string_view host) { return in_time(t) && in_hosts(std::string(host)); };
      anomalies_ = graph::add_anomalies(g_, opts_.baseline,
                                        opts_.anomaly_spec ? *opts_.anomaly_spec : graph::anomaly_spec::builtin(),
                                        in_scope);
      out_.on_anomalies(g_, anomalies_);
    }
    graph::incident_options io;
    io.max_gap = static_cast<time_ns>(opts_.incident_gap_minutes * 60e9);
    io.base = opts_.baseline;
    incidents_ = graph::find_incidents(g_, io);
    out_.on_incidents(g_, incidents_);
  }
}

}  // namespace ariadne::pipeline
