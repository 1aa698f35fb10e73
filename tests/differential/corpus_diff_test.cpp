// Differential test on real data: the whole SigmaHQ tree over every event in
// ../shared/data/attacks/ and ../shared/data/sigma/regression/ (EVTX and
// JSON, archives included), matched twice per batch: by the engine with its
// literal index and by the reference path (every rule the logsource accepts,
// evaluated by the reference evaluator). The hit lists must be identical.
// Slow (the reference path evaluates ~80 rules per event): label `slow`.
#include <gtest/gtest.h>

#include <cstdlib>

#include <cstdio>

#include "ariadne/ingest/evtx.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/match/engine.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

const std::vector<std::string> k_tree = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                         "rules-placeholder"};

struct differ {
  explicit differ(const std::vector<sigma::rule>& r) : fast(r), reference(r, match::engine_options{false}) {}
  match::engine fast;
  match::engine reference;
  std::uint64_t events = 0, hits = 0, mismatched_batches = 0;
  std::vector<match::hit> a, b;

  void check(const event_batch& batch, const std::string& where) {
    a.clear();
    b.clear();
    fast.match_batch(batch, a);
    reference.match_batch(batch, b);
    events += batch.size();
    hits += b.size();
    bool same = a.size() == b.size();
    for (std::size_t k = 0; same && k < a.size(); ++k)
      same = a[k].event_idx == b[k].event_idx && a[k].rule_idx == b[k].rule_idx;
    if (same) return;
    if (++mismatched_batches <= 5)
      ADD_FAILURE() << where << ": indexed engine found " << a.size() << " hits, reference " << b.size()
                    << (a.size() == b.size() ? " (different ones)" : "");
  }
};

// ARIADNE_DIFF_SAMPLE=N reads every Nth file only: the sanitizer pass of
// scripts/test.sh runs this test on a third of the corpus (it takes six
// minutes whole under ASan); the ci pass reads it all.
std::size_t sample_every() {
  const char* v = std::getenv("ARIADNE_DIFF_SAMPLE");
  long n = v ? std::strtol(v, nullptr, 10) : 1;
  return n > 1 ? static_cast<std::size_t>(n) : 1;
}

void run_path(differ& d, const std::string& root) {
  std::vector<ingest::input_problem> problems;
  ingest::json_reader reader;
  event_batch batch;
  auto norm = [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); };
  std::size_t file_idx = 0;
  for (const auto& file : test::expand(root)) {
    if (file_idx++ % sample_every() != 0) continue;
    if (ingest::evtx::file_is_evtx(file)) {
      ingest::evtx::reader_options ro;
      ro.threads = 2;
      ingest::evtx::read_events(
          {{file, file, {}}}, ro, 0, norm, [&](ingest::evtx::chunk_output& o) { d.check(o.batch, file); },
          [](std::size_t, const ingest::evtx::file_stats&, const std::vector<ingest::evtx::problem>&) {});
      continue;
    }
    ingest::for_each_member(
        file,
        [&](const ingest::member& m) {
          std::string_view text(m.data->data(), m.data->size());
          std::span<const std::uint8_t> image(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
          if (ingest::evtx::sniff(image)) {
            ingest::evtx::reader_options ro;
            ingest::evtx::read_events(
                {{m.name, {}, image}}, ro, 0, norm, [&](ingest::evtx::chunk_output& o) { d.check(o.batch, m.name); },
                [](std::size_t, const ingest::evtx::file_stats&, const std::vector<ingest::evtx::problem>&) {});
            return;
          }
          if (!ingest::json_reader::sniff(text)) return;
          auto flush = [&](event_batch& b) {
            d.check(b, m.name);
            b.clear();
          };
          (void)reader.read(m.name, *m.data, 0, batch, norm, flush, problems);
          flush(batch);
        },
        problems);
  }
}

TEST(Differential, IndexedEngineEqualsReferenceOnAllAttackAndRegressionEvents) {
  ARIADNE_REQUIRE_SHARED();
  std::vector<std::string> paths;
  for (const auto& dir : k_tree) paths.push_back(test::shared("sigma/rules-tree/" + dir));
  auto set = sigma::load_rules(paths, {});
  ASSERT_GT(set.rules.size(), 3000u);
  differ d(set.rules);
  ASSERT_TRUE(d.fast.index() && d.fast.index()->active());
  run_path(d, test::shared("attacks"));
  run_path(d, test::shared("sigma/regression"));
  std::printf("differential: %llu events, %llu hits; the index evaluated %llu rules where the reference evaluated %llu\n",
              static_cast<unsigned long long>(d.events), static_cast<unsigned long long>(d.hits),
              static_cast<unsigned long long>(d.fast.evaluated()),
              static_cast<unsigned long long>(d.reference.evaluated()));
  EXPECT_EQ(d.mismatched_batches, 0u);
  // The data is what the test is about: it must have been read, and hit.
  const std::size_t part = 2 * sample_every();  // a sample holds about 1/N of the events; at least half that
  EXPECT_GT(d.events, sample_every() == 1 ? 450000u : 450000u / part);
  EXPECT_GT(d.hits, sample_every() == 1 ? 10000u : 10000u / part);
  EXPECT_LT(d.fast.evaluated() * 4, d.reference.evaluated());  // and the index must actually skip work
}

}  // namespace
}  // namespace ariadne
