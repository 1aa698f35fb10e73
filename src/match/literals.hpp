// Necessary literals of a rule: a set of strings one of which occurs in
// every event (or record) the rule matches. Shared by the JSON record
// prefilter and the literal index of the engine; each spells the literals
// its own way (`literal_policy`).
//
// Derivation over the condition tree: a value gives its needle (the longest
// fixed run of a glob), a regex its atoms (matcher::re_atoms); an item ORs
// its values (or, under `all`, any one value will do); an AND keeps its
// most selective child; an OR needs every child and unites them; `not`,
// CIDRs, field references, null and exists tests and regexes without atoms
// give nothing, and nothing spreads upwards through an OR. The engine keeps
// several such sets per rule where the condition ANDs parts
// (required_literal_groups); the prefilter, which looks at whole records,
// one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/rules/rule.hpp"

namespace ariadne::match::detail {

// vectorscan 5.4.9 (Debian 12) can miss a literal of a small set (".vbs"
// with ".bat") that ends in the last 24 or so bytes of a subject longer than
// 64 bytes; with 32 bytes of padding 1.2M random scans miss nothing. So
// every subject is scanned with this many NUL bytes after it, a margin
// (bench/vectorscan/tail_check.cpp; tests:
// LiteralIndex.SmallSetMatchesAtTheEndOfALongValue,
// Prefilter.FindsALiteralAtTheVeryEndOfALongRecord).
inline constexpr std::size_t k_scan_pad = 64;

struct literal {
  std::string text;
  bool number = false;             // the text of a number (the event may spell it differently)
  field_id field = k_no_field;     // the field it must occur in; k_no_field: any (keywords)
};
using literal_set = std::optional<std::vector<literal>>;  // nullopt: none known

struct literal_policy {
  // How a needle appears in the scanned text; nullopt when it cannot be
  // said (the value then gives no literal).
  std::function<std::optional<std::string>(std::string_view needle)> spell;
  bool numbers = false;  // numeric equality gives its canonical text
};

[[nodiscard]] literal_set required_literals(const sigma::rule& r, const literal_policy& p);

// Sets of literals all of which every match needs (one literal of each
// occurs), most selective first: where the condition ANDs parts (an `and`,
// the items of one map, the values of an item under `all`), each part's
// set is kept, not only the best one. nullopt: none known.
using literal_groups = std::optional<std::vector<std::vector<literal>>>;
[[nodiscard]] literal_groups required_literal_groups(const sigma::rule& r, const literal_policy& p);

// The integers one of which `field` equals in every event the rule matches
// (sorted, unique), derived as above: equality with an integral number, or
// with the text of one (digits, no leading zero), under no `not`; nullopt
// when no such set is known. Used for EventID.
[[nodiscard]] std::optional<std::vector<std::int64_t>> required_integers(const sigma::rule& r, field_id field);
// Integers from 0 up to this (exact in a double, as numeric tests compare).
inline constexpr std::int64_t k_max_required_integer = std::int64_t{1} << 40;

}  // namespace ariadne::match::detail
