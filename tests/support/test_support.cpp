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
#include "ariadne/core/text.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/graph/narrative.hpp"
#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/match/prefilter.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/pipeline/pipeline.hpp"

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

// ../shared/data, or $ARIADNE_SHARED_DATA (to run the tests against another
// copy, or to check that CI fails without it).
std::string shared_root() {
  const char* v = std::getenv("ARIADNE_SHARED_DATA");
  return v && *v ? std::string(v) : std::string(ARIADNE_SHARED_DATA);
}
std::string shared(const std::string& rel) { return shared_root() + "/" + rel; }
std::vector<std::string> expand(const std::string& path) {
  std::vector<ingest::input_problem> problems;
  return ingest::expand_paths({path}, problems);
}
bool shared_available() { return std::filesystem::exists(shared_root()); }
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

namespace {

// Collects what the product's pipeline finds, for the corpus tests.
class collect_sink final : public pipeline::sink {
 public:
  explicit collect_sink(run_result& out, std::vector<std::uint32_t>* standalone_rules = nullptr)
      : out_(out), standalone_rules_(standalone_rules) {}
  bool wants_alert(const sigma::rule&) const override { return false; }
  std::string render(const pipeline::hit_context&, const report::alert*) const override { return {}; }
  void on_alert(const pipeline::hit_context& h, const report::alert*, std::string&) override {
    out_.rule_ids.push_back(h.rule.id);
    out_.records.push_back(h.ev.source.record);
    if (standalone_rules_ && h.rule.standalone) standalone_rules_->push_back(h.rule_idx);
  }
  void on_problems(std::vector<ingest::input_problem>& ps) override {
    out_.problems.insert(out_.problems.end(), ps.begin(), ps.end());
  }
  void on_correlation(const correlate::result&, const sigma::correlation_rule&) override {}
  // Anomaly alerts follow the rules' alerts in the graph: they have no rule.
  void on_anomalies(const graph::graph&, const std::vector<graph::anomaly>& found) override {
    if (standalone_rules_) standalone_rules_->insert(standalone_rules_->end(), found.size(), k_no_rule);
  }
  void on_incidents(const graph::graph&, const std::vector<graph::incident>&) override {}

 private:
  run_result& out_;
  std::vector<std::uint32_t>* standalone_rules_;
};

std::vector<ingest::input_file> inputs_of(const std::vector<std::string>& paths) {
  std::vector<ingest::input_file> files;
  for (const auto& p : paths) files.push_back({p, p, true});
  return files;
}

const std::vector<sigma::correlation_rule>& no_correlations() {
  static const std::vector<sigma::correlation_rule> none;
  return none;
}

}  // namespace

run_result run_file(const sigma::rule_set& rules, const std::string& path, bool prefilter) {
  run_result out;
  collect_sink sink(out);
  pipeline::options o;
  o.prefilter = prefilter;
  o.incidents = false;
  pipeline::executor ex(rules.rules, no_correlations(), index_of(rules), o, sink);
  ex.read(inputs_of({path}));
  ex.finish();
  out.prefilter_active = prefilter && ex.prefilter() && ex.prefilter()->active();
  out.events = ex.stats().events - ex.stats().filtered;
  out.filtered = ex.stats().filtered;
  return out;
}

run_result run_evtx_file(const sigma::rule_set& rules, const std::string& path, unsigned threads) {
  run_result out;
  collect_sink sink(out);
  pipeline::options o;
  o.threads = threads;
  o.prefilter = false;
  o.incidents = false;
  pipeline::executor ex(rules.rules, no_correlations(), index_of(rules), o, sink);
  ex.read(inputs_of({path}));
  ex.finish();
  out.events = ex.stats().events;
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
  run_result out;
  collect_sink sink(out, alert_rules);  // a graph alert per standalone hit, in order
  pipeline::options o;
  o.incidents = true;
  pipeline::executor ex(rules.rules, no_correlations(), index_of(rules), o, sink);
  ex.read(inputs_of(paths));
  ex.finish();
  return ex.take_graph();
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

std::vector<std::string> narrative_problems(const graph::graph& g, const std::vector<graph::incident>& all,
                                            const graph::incident& inc, const graph::narrative& n) {
  std::map<std::string, std::uint32_t> entity_at, alert_at;
  for (std::uint32_t e = 0; e < g.entities.size(); ++e) entity_at.emplace(g.entities[e].id, e);
  for (auto a : inc.alerts) alert_at.emplace(g.alerts[a].id, a);
  std::set<std::string> hosts;
  for (const auto& h : inc.hosts) hosts.insert(to_lower_ascii(h));
  auto base = [](const std::string& p) {
    auto cut = p.find_last_of("\\/");
    return cut == std::string::npos ? p : p.substr(cut + 1);
  };
  auto edge_between = [&](std::uint32_t from, std::uint32_t to) -> const graph::edge* {
    for (auto ei : g.out[from])
      if (g.edges[ei].to == to) return &g.edges[ei];
    return nullptr;
  };
  std::vector<std::string> problems;
  for (const auto& s : n.sentences)
    for (const auto& f : s.facts) {
      auto bad = [&](const std::string& why) {
        problems.push_back(s.kind + "." + f.slot + " = '" + f.value + "' (" + f.field + "): " + why);
      };
      if (f.field == "verdict") continue;  // the caller's, not the logs'
      if (f.evidence.empty()) {
        bad("no evidence");
        continue;
      }
      // Every piece of evidence is of this incident: its alerts, or
      // entities on its hosts (or, for links, the incidents it links to).
      std::vector<const graph::entity*> ents;
      std::vector<const graph::alert_ref*> alerts;
      bool foreign = false;
      for (const auto& id : f.evidence) {
        if (auto e = entity_at.find(id); e != entity_at.end()) {
          if (!hosts.count(g.entities[e->second].host)) foreign = true;
          ents.push_back(&g.entities[e->second]);
        } else if (auto a = alert_at.find(id); a != alert_at.end()) {
          alerts.push_back(&g.alerts[a->second]);
        } else if (f.field != "incident" && f.field != "via") {
          foreign = true;
        }
      }
      if (foreign) {
        bad("evidence outside the incident");
        continue;
      }
      auto any_entity = [&](auto&& pred) { return std::any_of(ents.begin(), ents.end(), [&](auto* e) { return pred(*e); }); };
      auto all_entities = [&](auto&& pred) { return !ents.empty() && std::all_of(ents.begin(), ents.end(), [&](auto* e) { return pred(*e); }); };
      bool ok = false;
      const std::string& v = f.value;
      if (f.field == "host") {
        ok = any_entity([&](const graph::entity& e) { return e.host == to_lower_ascii(v); }) ||
             std::any_of(alerts.begin(), alerts.end(), [&](auto* a) { return to_lower_ascii(a->host) == to_lower_ascii(v); });
      } else if (f.field == "user") {
        ok = any_entity([&](const graph::entity& e) { return e.user == v; });
      } else if (f.field == "image") {
        ok = all_entities([&](const graph::entity& e) { return base(e.image) == v; });
      } else if (f.field == "file") {
        ok = all_entities([&](const graph::entity& e) { return e.kind == graph::entity_kind::file && base(e.name) == v; });
      } else if (f.field == "url") {
        ok = any_entity([&](const graph::entity& e) { return e.kind == graph::entity_kind::file && e.source == v; });
      } else if (f.field == "source") {
        ok = any_entity([&](const graph::entity& e) { return e.source == v; });
      } else if (f.field == "logon_type") {
        ok = any_entity([&](const graph::entity& e) { return e.logon_type == v; });
      } else if (f.field == "service" || f.field == "task") {
        ok = any_entity([&](const graph::entity& e) { return e.name == v; });
      } else if (f.field == "service_image") {
        // The image, or a prefix of it marked with an ellipsis.
        static const std::string k_ellipsis = "\u2026";
        bool cut = v.size() > k_ellipsis.size() && v.compare(v.size() - k_ellipsis.size(), k_ellipsis.size(), k_ellipsis) == 0;
        std::string prefix = cut ? v.substr(0, v.size() - k_ellipsis.size()) : v;
        ok = any_entity([&](const graph::entity& e) { return cut ? e.image.rfind(prefix, 0) == 0 : e.image == v; });
      } else if (f.field == "destination" || f.field == "domain") {
        if (f.evidence.size() == 2 && ents.size() == 2) {
          const auto* ed = edge_between(entity_at[f.evidence[0]], entity_at[f.evidence[1]]);
          std::string want = ents[1]->name + (ed && ed->port ? ":" + std::to_string(ed->port) : "");
          ok = ed && want == v;
        }
      } else if (f.field == "time") {
        auto fmt = [&](time_ns t) { return graph::narrative_time(t); };
        ok = any_entity([&](const graph::entity& e) { return fmt(e.start) == v || fmt(e.first) == v; }) ||
             std::any_of(alerts.begin(), alerts.end(), [&](auto* a) { return fmt(a->time) == v; });
        if (!ok && ents.size() == 2) {
          const auto* ed = edge_between(entity_at[f.evidence[0]], entity_at[f.evidence[1]]);
          ok = ed && fmt(ed->time) == v;
        }
      } else if (f.field == "alert") {
        ok = !alerts.empty() && std::all_of(alerts.begin(), alerts.end(), [&](auto* a) { return graph::title_of(*a) == v; });
      } else if (f.field == "technique") {
        ok = !alerts.empty() && std::all_of(alerts.begin(), alerts.end(), [&](auto* a) {
          return a->rule && std::find(a->rule->techniques.begin(), a->rule->techniques.end(), v) != a->rule->techniques.end();
        });
      } else if (f.field == "count") {
        ok = alerts.size() == f.evidence.size() && std::to_string(alerts.size()) == v;
      } else if (f.field == "items") {
        // Each left-out item cites at least one piece of evidence.
        auto n_items = parse_int64(v);
        ok = n_items && *n_items > 0 && static_cast<std::size_t>(*n_items) <= f.evidence.size();
      } else if (f.field == "entity") {
        ok = ents.size() == 1 && g.label(entity_at[f.evidence[0]]) == v;
      } else if (f.field == "incident") {
        ok = std::any_of(inc.links.begin(), inc.links.end(), [&](const graph::incident_link& l) {
          const auto& other = all[l.incident];
          std::string hs;
          for (const auto& h : other.hosts) hs += (hs.empty() ? "" : ",") + h;
          return other.id == f.evidence[0] && other.id.substr(0, 12) + " on " + hs == v;
        });
      } else if (f.field == "via") {
        ok = f.evidence[0] == inc.id &&
             std::any_of(inc.links.begin(), inc.links.end(), [&](const graph::incident_link& l) { return l.via == v; });
      } else {
        bad("unknown field");
        continue;
      }
      if (!ok) bad("not what its evidence says");
    }
  return problems;
}

void read_events(const std::string& json, event_batch& batch, std::vector<ingest::input_problem>& problems) {
  ingest::json_reader reader;
  reader.batch_events = SIZE_MAX;
  simdjson::padded_string text(json);
  (void)reader.read("input.json", text, 0, batch,
                    [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); }, nullptr, problems);
}

}  // namespace ariadne::test
