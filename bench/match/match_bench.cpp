// Hypothesis: with the reference evaluator (issue 2), hunting is dominated by
// rule evaluation, not JSON parsing. Scenarios: parse + normalize only
// (baseline), and parse + normalize + match with the whole SigmaHQ tree, on
// the 168 SigmaHQ regression events (attack-heavy, ~130 KB) replicated in
// memory. Reports events/s and bytes/s. Issue 4 adds the large-corpus
// benchmark and the prefilter.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "ariadne/rules/collection.hpp"

namespace {
namespace fs = std::filesystem;
using namespace ariadne;

std::string regression_json() {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(ARIADNE_SHARED_DATA "/sigma/regression")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
    all += "\n";
  }
  return all;
}

const sigma::rule_set& tree() {
  static sigma::rule_set set = sigma::load_rules(
      {ARIADNE_SHARED_DATA "/sigma/rules-tree/rules", ARIADNE_SHARED_DATA "/sigma/rules-tree/rules-emerging-threats",
       ARIADNE_SHARED_DATA "/sigma/rules-tree/rules-threat-hunting",
       ARIADNE_SHARED_DATA "/sigma/rules-tree/rules-placeholder"},
      {});
  return set;
}

void run(benchmark::State& state, bool match) {
  static const std::string text = regression_json();
  simdjson::padded_string padded(text);
  match::engine eng(tree().rules);
  std::vector<match::hit> hits;
  std::uint64_t events = 0;
  for (auto _ : state) {
    ingest::json_reader reader;
    event_batch batch;
    std::vector<ingest::input_problem> problems;
    auto flush = [&](event_batch& b) {
      if (match) eng.match_batch(b, hits);
      hits.clear();
      b.clear();
    };
    auto st = reader.read("bench", padded, 0, batch,
                          [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); }, flush, problems);
    flush(batch);
    events += st.events;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_ParseNormalize(benchmark::State& s) { run(s, false); }
void BM_ParseNormalizeMatchWholeTree(benchmark::State& s) { run(s, true); }
void BM_LoadWholeTree(benchmark::State& s) {
  for (auto _ : s) {
    auto set = sigma::load_rules({ARIADNE_SHARED_DATA "/sigma/rules-tree/rules"}, {});
    benchmark::DoNotOptimize(set.rules.size());
  }
}
BENCHMARK(BM_ParseNormalize);
BENCHMARK(BM_ParseNormalizeMatchWholeTree);
BENCHMARK(BM_LoadWholeTree)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
