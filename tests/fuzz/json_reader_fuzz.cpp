// libFuzzer target: the JSON reader and normalizer must never crash or hang
// on any input. Build with the `fuzz` preset; run:
//   build/fuzz/tests/fuzz/json_reader_fuzz tests/fuzz/corpus/json -dict=tests/fuzz/json.dict
#include <cstdint>
#include <vector>

#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/normalize/normalizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ariadne;
  simdjson::padded_string text(reinterpret_cast<const char*>(data), size);
  ingest::json_reader reader;
  reader.batch_events = 64;
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  (void)reader.read("fuzz", text, 0, batch, [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); },
                    [](event_batch& b) { b.clear(); }, problems);
  return 0;
}
