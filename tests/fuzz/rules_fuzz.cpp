// libFuzzer target: Sigma YAML (reader, modifiers, conditions) must never
// crash on any input; bad rules become diagnostics.
#include <cstdint>
#include <string>

#include "ariadne/rules/collection.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto set = ariadne::sigma::load_rules_from_texts({{"fuzz.yml", text}}, {});
  (void)set;
  return 0;
}
