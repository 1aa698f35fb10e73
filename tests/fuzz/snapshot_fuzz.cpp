// libFuzzer target: a rule-set snapshot read from the cache directory may be
// cut short or damaged; restoring it must refuse it or give a rule set, never
// crash or read out of bounds. A restored set is saved again and must
// restore to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ariadne/rules/snapshot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto set = ariadne::sigma::restore_snapshot(bytes);
  if (set) {
    std::string again = ariadne::sigma::save_snapshot(*set);
    auto back = ariadne::sigma::restore_snapshot(again);
    if (!back || ariadne::sigma::save_snapshot(*back) != again) std::abort();
  }
  return 0;
}
