// libFuzzer target: text that comes from logs or files others wrote, read by
// small parsers: a command line's PowerShell -EncodedCommand (decoded for
// traces), Base64, and a baseline file (hunt --baseline). None may crash or
// read out of bounds; a baseline that parses is written back and must parse
// to the same text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ariadne/core/text.hpp"
#include "ariadne/graph/baseline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ariadne::decode_powershell_command(text);
  if (auto bytes = ariadne::base64_decode(text)) {
    if (!bytes->empty() && ariadne::base64_decode(ariadne::base64_encode(*bytes)) != bytes) std::abort();
  }
  auto b = ariadne::graph::baseline::parse(text, "fuzz");
  if (b) {
    std::string again = b->to_text();
    auto back = ariadne::graph::baseline::parse(again, "again");
    if (!back || back->to_text() != again) std::abort();
  }
  return 0;
}
