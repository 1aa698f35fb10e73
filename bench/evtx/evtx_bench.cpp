// EVTX reader throughput, in process: EVTX -> JSON lines and EVTX -> events
// (the fields hunt matches on, no output), with 1 and 2 threads, over every
// EVTX file under ../shared/data/attacks (MANIFEST.tsv, format evtx).
// Reports bytes/s of input files and records/s. bench/evtx/run.sh runs this
// beside evtxexport and the CLI, and adds peak RSS.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ariadne/core/text.hpp"
#include "ariadne/ingest/evtx.hpp"

using namespace ariadne;
using namespace ariadne::ingest;

namespace {

struct corpus {
  std::vector<evtx::source> sources;
  std::uint64_t bytes = 0;
};

const corpus& files() {
  static const corpus c = [] {
    corpus out;
    std::string root = std::string(ARIADNE_SHARED_DATA) + "/attacks/";
    std::ifstream in(root + "MANIFEST.tsv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      auto cols = split(line, '\t');
      if (cols.size() < 5 || cols[4] != "evtx") continue;
      std::string path = root + std::string(cols[0]);
      out.sources.push_back({path, path, {}});
      out.bytes += std::filesystem::file_size(path);
    }
    return out;
  }();
  return c;
}

void run(benchmark::State& state, bool json) {
  const auto& c = files();
  if (c.sources.empty()) {
    state.SkipWithError("../shared/data/attacks not found");
    return;
  }
  evtx::reader_options o;
  o.threads = static_cast<unsigned>(state.range(0));
  std::uint64_t records = 0;
  for (auto _ : state) {
    std::uint64_t out_bytes = 0;
    auto on_chunk = [&](evtx::chunk_output& out) {
      out_bytes += out.text.size();
      records += json ? out.stats.records : out.batch.size();
    };
    auto on_source = [](std::size_t, const evtx::file_stats&, const std::vector<evtx::problem>&) {};
    if (json) {
      evtx::read_sources(
          c.sources, o,
          [](const evtx::record& r, evtx::chunk_output& out) {
            evtx::render_json(r, out.text, &out.render);
            out.text.push_back('\n');
          },
          on_chunk, on_source);
    } else {
      evtx::read_events(c.sources, o, 0, nullptr, on_chunk, on_source);
    }
    benchmark::DoNotOptimize(out_bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(c.bytes * state.iterations()));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["files"] = static_cast<double>(c.sources.size());
}

void BM_EvtxToJsonLines(benchmark::State& state) { run(state, true); }
void BM_EvtxToEvents(benchmark::State& state) { run(state, false); }

}  // namespace

// The machines are shared VMs: report the best of several repetitions (the
// least disturbed), beside the median.
double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
#define ARIADNE_EVTX_BENCH(fn)                                                                        \
  BENCHMARK(fn)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.5)->Repetitions(7) \
      ->ReportAggregatesOnly(true)->ComputeStatistics("min", min_of)
ARIADNE_EVTX_BENCH(BM_EvtxToJsonLines);
ARIADNE_EVTX_BENCH(BM_EvtxToEvents);

BENCHMARK_MAIN();
