#include "test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "ariadne/attack/attack.hpp"
#include "ariadne/core/cache.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"

namespace ariadne::test {

scoped_cache_dir::scoped_cache_dir() {
  static int serial = 0;
  root = std::filesystem::temp_directory_path() /
         ("ariadne-cache-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
  std::filesystem::remove_all(root);
  if (const char* v = std::getenv("ARIADNE_CACHE_DIR")) old_ = v;
  ::setenv("ARIADNE_CACHE_DIR", root.c_str(), 1);
  dir = cache::directory();
}

scoped_cache_dir::~scoped_cache_dir() {
  if (old_) ::setenv("ARIADNE_CACHE_DIR", old_->c_str(), 1);
  else ::unsetenv("ARIADNE_CACHE_DIR");
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

std::string shared(const std::string& rel) { return std::string(ARIADNE_SHARED_DATA) + "/" + rel; }
std::vector<std::string> expand(const std::string& path) {
  std::vector<ingest::input_problem> problems;
  return ingest::expand_paths({path}, problems);
}
bool shared_available() { return std::filesystem::exists(ARIADNE_SHARED_DATA); }
bool in_ci() {
  const char* v = std::getenv("CI");
  return v && std::string_view(v) == "true";
}

sigma::rule_set rules_from(const std::string& yaml, const sigma::load_options& opts) {
  return sigma::load_rules_from_texts({{"test.yml", yaml}}, opts);
}

namespace {
std::mutex shared_mu;
std::map<const sigma::rule_set*, std::shared_ptr<const match::literal_index>> shared_indexes;

std::shared_ptr<const match::literal_index> index_of(const sigma::rule_set& rules) {
  std::lock_guard lk(shared_mu);
  auto it = shared_indexes.find(&rules);
  return it == shared_indexes.end() ? nullptr : it->second;
}
}  // namespace

void share_index(const sigma::rule_set& rules) {
  auto ix = std::make_shared<const match::literal_index>(rules.rules);
  std::lock_guard lk(shared_mu);
  shared_indexes[&rules] = std::move(ix);
}

namespace {
void match_into(const sigma::rule_set& rules, simdjson::padded_string_view text, const std::string& name,
                run_result& out, const match::prefilter* pre = nullptr) {
  match::engine eng(rules.rules, {}, index_of(rules));
  ingest::json_reader reader;
  if (pre && pre->active()) reader.keep_record = [pre](std::string_view raw) { return pre->keep(raw); };
  event_batch batch;
  std::vector<match::hit> hits;
  auto flush = [&](event_batch& b) {
    hits.clear();
    eng.match_batch(b, hits);
    for (const auto& h : hits) {
      out.rule_ids.push_back(rules.rules[h.rule_idx].id);
      out.records.push_back(b.events()[h.event_idx].source.record);
    }
    b.clear();
  };
  auto stats = reader.read(
      name, text, 0, batch, [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); }, flush,
      out.problems);
  flush(batch);
  out.events += stats.events;
  out.filtered += stats.filtered;
}
}  // namespace

run_result run(const sigma::rule_set& rules, const std::string& json) {
  run_result out;
  simdjson::padded_string text(json);
  match_into(rules, text, "input.json", out);
  return out;
}

run_result run_file(const sigma::rule_set& rules, const std::string& path, bool prefilter) {
  run_result out;
  std::optional<match::prefilter> pre;
  if (prefilter) {
    pre.emplace(rules.rules);
    out.prefilter_active = pre->active();
  }
  ingest::for_each_member(
      path, [&](const ingest::member& m) { match_into(rules, *m.data, m.name, out, pre ? &*pre : nullptr); },
      out.problems);
  return out;
}

run_result run_evtx_file(const sigma::rule_set& rules, const std::string& path, unsigned threads) {
  run_result out;
  match::engine eng(rules.rules, {}, index_of(rules));
  std::vector<match::hit> hits;
  ingest::evtx::reader_options ro;
  ro.threads = threads;
  auto where = [&](const ingest::evtx::problem& p) { return ingest::evtx::describe(path, p); };
  ingest::evtx::read_events(
      {{path, path, {}}}, ro, 0, [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); },
      [&](ingest::evtx::chunk_output& o) {
        out.events += o.batch.size();
        hits.clear();
        eng.match_batch(o.batch, hits);
        for (const auto& h : hits) {
          out.rule_ids.push_back(rules.rules[h.rule_idx].id);
          out.records.push_back(o.batch.events()[h.event_idx].source.record);
        }
        for (const auto& p : o.problems) out.problems.push_back({where(p), p.reason, p.message});
      },
      [&](std::size_t, const ingest::evtx::file_stats&, const std::vector<ingest::evtx::problem>& ps) {
        for (const auto& p : ps) out.problems.push_back({where(p), p.reason, p.message});
      });
  return out;
}

bool matches(const std::string& yaml, const std::string& json) {
  auto set = rules_from(yaml);
  for (const auto& d : set.diagnostics)
    if (d.sev == sigma::severity::error) ADD_FAILURE() << "rule did not load: " << d.to_string();
  if (set.rules.size() != 1) {
    ADD_FAILURE() << "expected exactly one rule, got " << set.rules.size();
    return false;
  }
  auto r = run(set, json);
  if (r.events != 1) ADD_FAILURE() << "expected exactly one event, got " << r.events;
  return r.rule_ids.size() == 1;
}

std::multiset<std::string> field_set(const event_batch& batch, const event& ev) {
  std::multiset<std::string> s;
  std::string scratch;
  for (const auto& f : batch.fields(ev))
    s.insert(std::string(field_names().name(f.id)) + "=" + std::to_string(static_cast<int>(f.val.kind)) + ":" +
             std::string(value_text(f.val, scratch)));
  return s;
}

graph::graph hunt_graph(const sigma::rule_set& rules, const std::vector<std::string>& paths,
                        std::vector<std::uint32_t>* alert_rules) {
  match::engine eng(rules.rules, {}, index_of(rules));
  graph::builder gb(graph::mapping::builtin());
  const normalizer& norm = normalizer::builtin();
  std::vector<match::hit> hits;
  std::vector<std::string> sources;
  std::vector<const graph::alert_rule*> rule_cache;
  auto deliver = [&](event_batch& b, const std::vector<match::hit>& hs) {
    auto subjects = gb.observe(b, [&](const event& ev) { return norm.host(b, ev); });
    for (const auto& h : hs) {
      const auto& r = rules.rules[h.rule_idx];
      const event& ev = b.events()[h.event_idx];
      if (rule_cache.size() <= h.rule_idx) rule_cache.resize(h.rule_idx + 1, nullptr);
      if (!rule_cache[h.rule_idx]) {
        graph::alert_rule ar;
        ar.id = r.id;
        ar.title = r.title;
        ar.level = std::string(sigma::level_name(r.lvl));
        ar.severity = static_cast<int>(r.lvl);
        ar.tactics = graph::tactics_from_tags(r.tags);
        ar.techniques = attack::techniques_from_tags(r.tags);
        rule_cache[h.rule_idx] = gb.rule(ar);
      }
      graph::alert_ref a;
      a.id = r.id + "@" + sources[ev.source.source_idx] + ":" + std::to_string(ev.source.record);
      a.rule = rule_cache[h.rule_idx];
      a.time = ev.time;
      gb.attach(subjects[h.event_idx], std::move(a), norm.host(b, ev));
      if (alert_rules) alert_rules->push_back(h.rule_idx);
    }
  };
  auto normalise = [&](event_batch& b, event& ev) { norm.apply(b, ev); };
  std::vector<ingest::input_problem> problems;
  for (const auto& path : paths) {
    if (ingest::evtx::file_is_evtx(path)) {
      auto idx = static_cast<std::uint32_t>(sources.size());
      sources.push_back(path);
      ingest::evtx::reader_options ro;
      ro.threads = 1;
      ingest::evtx::read_events(
          {{path, path, {}}}, ro, idx, normalise,
          [&](ingest::evtx::chunk_output& o) {
            hits.clear();
            eng.match_batch(o.batch, hits);
            deliver(o.batch, hits);
          },
          [](std::size_t, const ingest::evtx::file_stats&, const std::vector<ingest::evtx::problem>&) {});
      continue;
    }
    ingest::for_each_member(
        path,
        [&](const ingest::member& m) {
          auto idx = static_cast<std::uint32_t>(sources.size());
          sources.push_back(m.name);
          ingest::json_reader reader;
          event_batch batch;
          auto flush = [&](event_batch& b) {
            hits.clear();
            eng.match_batch(b, hits);
            deliver(b, hits);
            b.clear();
          };
          (void)reader.read(m.name, *m.data, idx, batch, normalise, flush, problems);
          flush(batch);
        },
        problems);
  }
  return gb.finish();
}

event_batch one_field_events(field_id field, std::initializer_list<const char*> texts, ls_id product) {
  return one_field_events(field, std::vector<std::string>(texts.begin(), texts.end()), product);
}

event_batch one_field_events(field_id field, const std::vector<std::string>& texts, ls_id product) {
  event_batch batch;
  for (const auto& text : texts) {
    event& ev = batch.begin_event(0, batch.size() + 1);
    ev.logsource.product = product;
    batch.add_string(field, text);
    batch.end_event();
  }
  return batch;
}

void read_events(const std::string& json, event_batch& batch, std::vector<ingest::input_problem>& problems) {
  ingest::json_reader reader;
  reader.batch_events = SIZE_MAX;
  simdjson::padded_string text(json);
  (void)reader.read("input.json", text, 0, batch,
                    [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); }, nullptr, problems);
}

}  // namespace ariadne::test
