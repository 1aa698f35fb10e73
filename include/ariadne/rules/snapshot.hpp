// A loaded rule set as bytes, and loading through the on-disk cache.
//
// Reading the YAML of a large rule tree is most of the time of loading it
// (libfyaml, then every value parsed and lowered). `load_rules_cached`
// keeps a snapshot of the loaded set in the cache directory (core/cache.hpp)
// named by a hash of: the snapshot format, this executable (its size and
// times, so a rebuilt binary never reads an older one's snapshot), the load
// options (placeholders, strictness), and every path given with each rule
// file found under it (its path, size, inode, modification and change
// times). A rule file edited, added, removed or touched gives another name,
// so a stale snapshot is never read; a snapshot that cannot be read is
// ignored and the files are loaded as usual.
//
// A snapshot holds everything `load_rules` returns, diagnostics included.
// Field names and logsource values are stored as text and interned again on
// restore (ids keep their relative order); regexes are stored as patterns
// and compiled again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/rules/collection.hpp"

namespace ariadne::sigma {

[[nodiscard]] std::string save_snapshot(const rule_set& set);

// nullopt when the bytes are not a whole snapshot of this format (a
// truncated or corrupt file, another version).
[[nodiscard]] std::optional<rule_set> restore_snapshot(std::string_view bytes);

// load_rules(paths, opts), from the cache when a snapshot of exactly these
// files is there; otherwise loads them and stores a snapshot. With the cache
// off (ARIADNE_CACHE_DIR=off) this is load_rules.
//
// A file changed twice within one tick of the file system's clock keeps its
// times; if its size is kept too, its stat looks unchanged. So no snapshot
// is stored while a rule file was changed less than `settle_ms` before the
// load began (the next load after that stores it), as git does for its index.
//
// `on_digest`, if set, is called with the snapshot's name as soon as it is
// known, before the snapshot is read: a caller may start work keyed by it
// (reading its index back) meanwhile. The set's digest is that name only if
// the set came from or went to the cache (else it stays empty).
[[nodiscard]] rule_set load_rules_cached(const std::vector<std::string>& paths, const load_options& opts,
                                         bool* from_cache = nullptr, unsigned settle_ms = 2000,
                                         const std::function<void(std::string_view)>& on_digest = {});

}  // namespace ariadne::sigma
