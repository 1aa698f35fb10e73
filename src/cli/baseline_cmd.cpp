// `ariadne baseline learn -o FILE PATHS`: hunts logs known to be ordinary
// (or older ones) with the same rules, readers and threads as `hunt`, and
// writes what is routine there (graph/baseline.hpp); `hunt --baseline FILE`
// then demotes those patterns in its incident scores.
#include <fmt/format.h>

#include <cstdio>

#include "ariadne/graph/baseline.hpp"
#include "ariadne/ingest/input.hpp"
#include "ariadne/pipeline/pipeline.hpp"
#include "ariadne/rules/collection.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace ariadne::cli {
namespace {

// Counts what the pipeline finds; prints input problems (the first few).
class learning_sink final : public pipeline::sink {
 public:
  [[nodiscard]] bool wants_alert(const sigma::rule&) const override { return false; }
  [[nodiscard]] std::string render(const pipeline::hit_context&, const report::alert*) const override { return {}; }
  void on_alert(const pipeline::hit_context& h, const report::alert*, std::string&) override {
    if (h.rule.standalone) ++alerts;
  }
  void on_problems(std::vector<ingest::input_problem>& found) override {
    for (const auto& p : found)
      if (++problems <= 10)
        std::fprintf(stderr, "ariadne: warning: %s: %s\n", printable(p.where).c_str(), printable(p.message).c_str());
    found.clear();
  }
  void on_correlation(const correlate::result&, const sigma::correlation_rule&) override {}
  void on_incidents(const graph::graph&, const std::vector<graph::incident>&) override {}
  std::uint64_t alerts = 0, problems = 0;
};

}  // namespace

int run_baseline_learn(const baseline_options& o) {
  if (!output_is_safe(o.output, o.inputs, false)) return k_exit_usage;
  auto set = load_rule_set(o.rules, clamp_threads(o.threads));
  if (!set) {
    std::fprintf(stderr, "ariadne: %s\n", set.error().to_string().c_str());
    return k_exit_fatal;
  }
  sigma::rule_selection sel;  // the rules hunt would run with the same noise controls
  if (int rc = make_selection("informational", o.statuses, o.exclude, o.exclude_files, {}, o.noisy_files, sel); rc != k_exit_ok)
    return rc;
  (void)sigma::select_rules(*set, sel);
  std::vector<ingest::input_problem> problems;
  ingest::input_spool spool;
  auto files = ingest::expand_inputs(o.inputs, problems, spool);
  for (const auto& p : problems)
    std::fprintf(stderr, "ariadne: warning: %s: %s\n", printable(p.where).c_str(), printable(p.message).c_str());
  if (files.empty()) {
    std::fprintf(stderr, "ariadne: no input files\n");
    return k_exit_fatal;
  }
  learning_sink sink;
  pipeline::options po;
  po.threads = clamp_threads(o.threads);
  po.incidents = true;
  po.anomalies = false;  // learning counts what is there; anomalies are for hunting
  pipeline::executor ex(set->rules, set->correlation_rules, nullptr, po, sink);
  ex.read(files);
  ex.finish();
  graph::baseline base;
  if (o.append) {
    auto old = graph::baseline::load(o.output);
    if (!old) {
      std::fprintf(stderr, "ariadne: %s\n", old.error().to_string().c_str());
      return k_exit_fatal;
    }
    base = std::move(*old);
  }
  std::size_t before = base.size();
  base.learn(ex.graph());
  if (int rc = write_output(o.output, base.to_text()); rc != k_exit_ok) return rc;
  std::fprintf(stderr, "ariadne: baseline %s: %zu rule/host pair(s) (%zu new) from %llu alerts in %llu events; %llu input problem(s)\n",
               o.output.c_str(), base.size(), base.size() - before, static_cast<unsigned long long>(sink.alerts),
               static_cast<unsigned long long>(ex.stats().events), static_cast<unsigned long long>(sink.problems));
  return k_exit_ok;
}

}  // namespace ariadne::cli
