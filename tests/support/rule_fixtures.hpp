// Rule texts shared by the unit tests and the fuzz targets. Header-only and
// free of gtest: the fuzz targets are built without the test support
// library.
#pragma once

#include <string>

namespace ariadne::test {

// One Windows rule with 300 `contains` needles on CommandLine: a rule set
// large enough for the literal index and its databases to be cached.
inline std::string many_needles_rule() {
  std::string y =
      "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: windows\ndetection:\n  sel:\n"
      "    CommandLine|contains:\n";
  for (int k = 0; k < 300; ++k) y += "      - 'needle" + std::to_string(k) + "x'\n";
  y += "  condition: sel\n";
  return y;
}

}  // namespace ariadne::test
