// Diagnostics collected while loading rules: every problem, with a code, a
// location and a hint, so a run can report all of them instead of stopping at
// the first one. Errors skip the rule; warnings keep it.
//
//   rules/proc.yml:14:9: error[unknown-modifier]: unknown modifier 'containz' (did you mean 'contains'?)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ariadne/core/result.hpp"

namespace ariadne::sigma {

enum class severity : std::uint8_t { warning, error };

struct diagnostic {
  severity sev = severity::error;
  std::string code;     // short stable slug, e.g. "unknown-modifier"
  std::string message;  // what was wrong and what was expected
  location where;
  std::string rule_id;     // when known
  std::string rule_title;  // when known

  [[nodiscard]] std::string to_string() const;
};

}  // namespace ariadne::sigma
