// libFuzzer target: the JSON reader, the normalizer and the entity graph
// (built from every event, then grouped into incidents and traced) must
// never crash or hang on any input. Build with the `fuzz` preset; run:
//   build/fuzz/tests/fuzz/json_reader_fuzz tests/fuzz/corpus/json -dict=tests/fuzz/json.dict
#include <cstdint>
#include <vector>

#include "ariadne/graph/incident.hpp"
#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/normalize/normalizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ariadne;
  simdjson::padded_string text(reinterpret_cast<const char*>(data), size);
  ingest::json_reader reader;
  reader.batch_events = 64;
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  graph::builder gb(graph::mapping::builtin());
  auto observe = [&](event_batch& b) {
    auto subjects = gb.observe(b, [&](const event& ev) { return normalizer::builtin().host(b, ev); });
    for (std::size_t k = 0; k < subjects.size(); ++k) {  // an alert on every event
      graph::alert_rule r;
      r.id = "fuzz";
      r.tactics = {"execution"};
      graph::alert_ref a;
      a.id = std::to_string(k) + "@" + std::to_string(b.events()[k].source.record);
      a.rule = gb.rule(r);
      a.time = b.events()[k].time;
      gb.attach(subjects[k], std::move(a), normalizer::builtin().host(b, b.events()[k]));
    }
    b.clear();
  };
  (void)reader.read("fuzz", text, 0, batch, [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); },
                    observe, problems);
  observe(batch);
  auto g = gb.finish();
  auto incidents = graph::find_incidents(g, {});
  for (const auto& inc : incidents) {
    (void)graph::incident_to_jsonl(g, incidents, inc);
    auto s = graph::trace(g, inc.entities, true);
    (void)graph::story_text(g, s, false);
    (void)graph::story_dot(g, s);
  }
  return 0;
}
