// A small YAML document tree with source positions, built on libfyaml's
// event parser. Rules and mapping files are read through it so every
// diagnostic can name file:line:column, and scalars keep their original text
// and quoting style (Sigma needs both: a plain `00000429` is text under the
// YAML 1.1 rules SigmaHQ is validated with, a quoted `'4688'` is a string).
//
//   auto docs = yaml::parse(text, "rules/x.yml");
//   if (!docs) report(docs.error());
//   const yaml::node* det = (*docs)[0].find("detection");
//
// Duplicate mapping keys are rejected. Aliases refer to their anchor's node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ariadne/core/result.hpp"

namespace ariadne::yaml {

enum class node_kind : std::uint8_t { scalar, sequence, mapping };
enum class scalar_style : std::uint8_t { plain, single_quoted, double_quoted, literal, folded };

struct node {
  node_kind kind = node_kind::scalar;
  scalar_style style = scalar_style::plain;
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based
  std::string text;          // scalars only
  std::vector<node> items;   // sequences; for mappings: key, value, key, value...

  [[nodiscard]] bool is_scalar() const { return kind == node_kind::scalar; }
  [[nodiscard]] bool is_sequence() const { return kind == node_kind::sequence; }
  [[nodiscard]] bool is_mapping() const { return kind == node_kind::mapping; }
  // A plain scalar that YAML 1.1 reads as null: empty, `~`, `null`.
  [[nodiscard]] bool is_null() const;
  [[nodiscard]] std::size_t map_size() const { return items.size() / 2; }
  [[nodiscard]] const node& key(std::size_t idx) const { return items[2 * idx]; }
  [[nodiscard]] const node& val(std::size_t idx) const { return items[2 * idx + 1]; }
  // Value for a scalar key in a mapping, or nullptr.
  [[nodiscard]] const node* find(std::string_view key) const;
};

// The text of a scalar, or of each scalar item of a sequence (a single
// value or a list of them, as rule and mapping files allow); null: none.
[[nodiscard]] std::vector<std::string> scalar_list(const node* n);

struct document {
  node root;
  std::uint32_t line = 1;  // where the document starts
};

// Parses every document in `text`. `file` is used only in error locations.
[[nodiscard]] result<std::vector<document>> parse(std::string_view text, std::string_view file);

}  // namespace ariadne::yaml
