// Sigma condition expressions.
//
// Grammar (keywords lower case only; loosest to tightest: or, and, not,
// "x of", parentheses; binary operators left-associative):
//
//   expr    := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | primary
//   primary := "(" expr ")" | quant "of" pattern | ident
//   quant   := "1" | "any" | "all"
//   pattern := "them" | name-with-'*'-wildcards
//
// Identifiers are any run of characters other than whitespace and
// parentheses (SigmaHQ has `filter_main_mdadm.conf` and
// `select_tree_execution|endswith`). A " | " outside a name is the legacy
// aggregation syntax and is rejected here. `them` and patterns skip names
// that start with '_' (unless the pattern does). A pattern that matches no
// name is an error.
//
//   std::vector<std::string> names{"selection", "filter_a", "filter_b"};
//   auto tree = sigma::parse_condition("selection and not 1 of filter_*", names);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/rules/rule.hpp"

namespace ariadne::sigma {

// Parses `text` against the search identifier `names`. Errors carry the
// 1-based column in `error::where.column`.
[[nodiscard]] result<condition_node> parse_condition(std::string_view text, const std::vector<std::string>& names);

// True if `name` matches `pattern` ('*' = any run of characters).
[[nodiscard]] bool name_matches(std::string_view pattern, std::string_view name);

}  // namespace ariadne::sigma
