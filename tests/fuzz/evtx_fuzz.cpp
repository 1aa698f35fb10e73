// libFuzzer target for the EVTX reader. An input that starts with the file
// signature is read as a whole file image (header checks, chunk slots);
// anything else is parsed as one chunk (the seeds are real chunks cut after
// their last whole record). Every record is rendered as JSON, XML and event
// fields, so the renderers see whatever the parser accepts.
#include <cstdint>
#include <cstring>
#include <string>

#include "ariadne/ingest/evtx.hpp"

using namespace ariadne;
using namespace ariadne::ingest;

namespace {

void render_all(const evtx::record& r) {
  std::string out;
  evtx::render_stats st;
  evtx::render_json(r, out, &st);
  evtx::render_xml(r, out, &st);
  event_batch b;
  b.begin_event(0, r.record_id);
  (void)evtx::emit_fields(r, b, &st);
  b.end_event();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  if (size >= 8 && std::memcmp(data, "ElfFile", 8) == 0) {
    evtx::reader_options o;
    evtx::read_sources(
        {{"fuzz.evtx", {}, in}}, o, [](const evtx::record& r, evtx::chunk_output&) { render_all(r); },
        [](evtx::chunk_output&) {}, [](std::size_t, const evtx::file_stats&, const std::vector<evtx::problem>&) {});
    return 0;
  }
  static evtx::chunk_parser parser;  // reused, as the reader reuses one per worker
  std::vector<evtx::problem> problems;
  (void)parser.parse(in, 0, [](const evtx::record& r) { render_all(r); }, problems);
  return 0;
}
