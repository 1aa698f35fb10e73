// Private: one YAML document to a rule or a meta-filter.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ariadne/rules/collection.hpp"
#include "ariadne/core/yaml.hpp"

namespace ariadne::sigma::detail {

struct filter_rule {
  std::string id;
  std::string title;
  logsource source;
  bool any_rule = false;
  std::vector<std::string> rule_refs;  // ids or names
  std::vector<search> searches;
  condition_node condition;
  std::string path;
  std::uint32_t line = 0;
};

enum class doc_kind { detection, filter, correlation, other };

struct read_result {
  doc_kind kind = doc_kind::other;
  std::optional<rule> detection;
  std::optional<filter_rule> filter;
  // A correlation document, or the correlation made from a legacy
  // aggregation condition (then `detection` is its base rule).
  std::optional<correlation_rule> correlation;
  bool failed = false;  // an error diagnostic was added
};

// What the rule-set cache notes of a rule file: size, inode and times.
struct file_stamp {
  bool ok = false;  // false: the file could not be stat'ed
  std::uint64_t size = 0, inode = 0;
  std::int64_t mtime_sec = 0, mtime_nsec = 0, ctime_sec = 0, ctime_nsec = 0;
};

// The stamp of a file (following links); ok false if it cannot be stat'ed.
file_stamp stamp_file(const char* path);

// The rule files a path names, sorted: the file itself, or every *.yml /
// *.yaml under a directory (symbolic links to files followed, to
// directories not; directories that may not be read skipped). False if the
// path does not exist; `problem` is set then, and when a directory could
// not be listed whole. With `stamps`, each file's stamp too (stat'ed
// relative to its directory, which costs less than by its whole path).
bool list_rule_files(const std::string& path, std::vector<std::string>& files, std::string& problem,
                     std::vector<file_stamp>* stamps = nullptr);

// A rule's regex as the reader compiles it (options included).
std::unique_ptr<const re2::RE2> compile_regex(const std::string& pattern);

read_result read_document(const yaml::document& doc, const std::string& path, const load_options& opts,
                          std::vector<diagnostic>& diags);

}  // namespace ariadne::sigma::detail
