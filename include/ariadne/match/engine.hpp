// The matching engine: runs a rule set over event batches.
//
// Rules are compiled once into an index:
//  - by logsource: an event only meets the rules whose logsource accepts it;
//  - by EventID: a rule whose every match needs EventID to be one of some
//    integers (derived from the condition tree like literals) only meets
//    events with one of them; an event whose EventID is not one integer
//    (several, or text that is no number) meets them all;
//  - by literal: for each rule, up to four sets of literals such that every
//    event it matches contains one literal of each set (derived from the
//    condition tree, see src/match/literals.hpp: where it ANDs parts, each
//    part gives a set), each tied to the field it must occur in (or to
//    none, for keywords);
//  - by needle: the needles of the rules' string tests (equals, prefix,
//    suffix, contains; 3 bytes or more, not `cased`).
// Each field has one vectorscan database of its literals and needles;
// keyword literals have one per set of them that a logsource's rules use
// (compiled when an engine first meets such a logsource, shared by all).
// Each value of a field that the logsource's rules test is scanned
// (case-insensitively; a non-ASCII value also as its case-folded text;
// padded with NUL bytes, as vectorscan 5.4.9 can miss a match near the end
// of a text) against its field's database, unless a per-thread memo of the
// values scanned before holds the ids that scan found. The ids mark the
// rules whose literals occur there and record which value each needle
// occurs in. When keyword rules apply, all values (those long enough to
// hold one of its literals) are scanned once more against the keyword
// database. A rule is marked once a literal of each of its sets has
// occurred. Only the marked rules, plus those with no literal (pure
// negations, numeric tests, regexes without atoms), are evaluated, by the
// reference evaluator, which asks the scan's record before reading a value:
// a needle the scan did not find in a value settles its test as false, one
// it found in an ASCII value settles `contains` as true.
// The index never changes a result, only how much work gives it: the
// differential tests compare it with `use_index = false`.
//
//   match::engine eng(set.rules);
//   std::vector<match::hit> hits;
//   eng.match_batch(batch, hits);   // hits in (event, rule) order
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ariadne/core/text.hpp"
#include "ariadne/event/event.hpp"
#include "ariadne/match/evaluator.hpp"
#include "ariadne/rules/rule.hpp"

struct hs_database;  // vectorscan
struct hs_scratch;

namespace ariadne::match {

struct hit {
  std::uint32_t event_idx;  // index in the batch
  std::uint32_t rule_idx;   // index in the engine's rule list
};

// The compiled literal index, shared (read-only) by the engines of all
// threads. Build it once per rule set.
class literal_index {
 public:
  static constexpr std::size_t k_min_literal = 3;  // bytes; rules with a shorter one are not indexed

  // Databases not in the cache are compiled on `threads` threads (0: one
  // per core, at most 8). `rules_digest` names the rules (see
  // sigma::rule_set::digest; the caller vouches that equal digests mean
  // equal rules): when given, the whole index is cached on disk under it, and
  // a later index over the same rules is read back instead of derived.
  explicit literal_index(const std::vector<sigma::rule>& rules, unsigned threads = 0,
                         std::string_view rules_digest = {});
  // The index cached under `rules_digest`, read back before the rules are
  // at hand (a caller restoring the rules meanwhile, on another thread);
  // null if there is none or it is damaged. Use it only if fits() the
  // rules it is for.
  [[nodiscard]] static std::shared_ptr<literal_index> cached(std::string_view rules_digest);
  // Whether a cached() index can serve these rules: as many of them, and
  // every string test's needle row within its tables (that it is their
  // index, the digest vouches).
  [[nodiscard]] bool fits(const std::vector<sigma::rule>& rules) const;
  ~literal_index();
  literal_index(const literal_index&) = delete;
  literal_index& operator=(const literal_index&) = delete;

  [[nodiscard]] bool active() const { return active_; }
  [[nodiscard]] const std::string& why_inactive() const { return why_; }
  // (field, text) literals that mark rules, and distinct texts scanned for
  // (literals and needles).
  [[nodiscard]] std::size_t literal_count() const { return lit_rules_.size(); }
  [[nodiscard]] std::size_t text_count() const { return post_begin_.empty() ? 0 : post_begin_.size() - 1; }
  // Field databases, and whether they came from the on-disk cache (that of
  // a large rule set is cached: see engine.cpp).
  [[nodiscard]] std::size_t database_count() const { return dbs_.size(); }
  [[nodiscard]] bool from_cache() const { return from_cache_; }
  // The whole index (not only its databases) was read from the cache.
  [[nodiscard]] bool restored() const { return restored_; }
  // Keyword databases compiled so far (one per distinct set of keyword
  // literals that the logsources met use, shared by every engine).
  [[nodiscard]] std::size_t keyword_database_count() const;
  // Of those, how many came from the on-disk cache.
  [[nodiscard]] std::size_t keyword_databases_from_cache() const;
  // Rules evaluated on every event of their logsource (no literal known).
  [[nodiscard]] std::size_t unindexed_rules() const;
  [[nodiscard]] bool indexed(std::uint32_t rule) const { return indexed_[rule] != 0; }
  // How many literal sets index the rule (a match needs one literal of
  // each); 0: not indexed.
  [[nodiscard]] std::size_t literal_sets(std::uint32_t rule) const { return indexed_[rule]; }
  [[nodiscard]] bool uses_keywords(std::uint32_t rule) const { return keyword_rule_[rule] != 0; }
  // Rules tied to EventID values (see above), and a rule's values (sorted;
  // empty: not tied).
  [[nodiscard]] std::size_t event_id_rules() const { return event_id_rules_; }
  [[nodiscard]] const std::vector<std::int64_t>& event_ids(std::uint32_t rule) const { return event_ids_[rule]; }

 private:
  friend class engine;
  struct posting {
    field_id field;    // the field the literal must occur in; k_no_field: any
    std::uint32_t lit;  // index into lit_rules_
  };
  // Derives the index from the rules (the constructor without a cached copy).
  void build(const std::vector<sigma::rule>& rules, unsigned threads);
  literal_index() = default;  // empty: for cached()
  // The cache file of the index over the rules `rules_digest` names.
  [[nodiscard]] static std::string cache_file(std::string_view rules_digest);
  // The index as bytes for the cache, and back; restore() is false (and
  // leaves the empty state, to rebuild from) when the bytes are damaged or
  // their databases are not in the cache. Whether they fit a rule set is
  // fits()'s to tell.
  [[nodiscard]] std::string save() const;
  bool restore(std::string_view bytes);
  void clear();  // back to the empty state

  // The needle ids of a matcher's alternatives, or null.
  [[nodiscard]] const std::uint32_t* needles(const sigma::matcher& m) const;
  // The keyword database of these keyword texts (sorted, unique), compiled
  // on first use and shared by every engine (thread-safe); null if
  // vectorscan refused it. Owned by the index.
  [[nodiscard]] ::hs_database* keyword_db(const std::vector<std::uint32_t>& texts) const;

  bool active_ = false;
  std::string why_;
  std::size_t rule_count_ = 0;  // of the rules it was derived from
  // Per rule: how many literal sets it is indexed by (0: none; a match
  // needs one literal of each), and whether one is of keywords.
  std::vector<std::uint8_t> indexed_, keyword_rule_;
  std::vector<std::vector<std::int64_t>> event_ids_;    // per rule
  std::size_t event_id_rules_ = 0;
  field_id event_id_field_ = k_no_field;
  // Literal id -> rule << k_set_bits | the rule's set it is in.
  std::vector<std::vector<std::uint32_t>> lit_rules_;
  static constexpr std::uint32_t k_set_bits = 2, k_set_mask = (1u << k_set_bits) - 1;
  static constexpr std::size_t k_max_sets = 1u << k_set_bits;
  static constexpr std::size_t k_max_rules = std::size_t{1} << (32 - k_set_bits);
  std::vector<std::uint32_t> post_begin_;               // text id -> first posting (texts + 1 entries)
  std::vector<posting> posts_;
  // Matcher -> offset of its row in needle_ids_ (asked for every string
  // test the evaluator meets): by matcher::ordinal when the rules' ordinals
  // are set and unique (a loaded rule set), one array read, with
  // needle_ids_.size() for none; else by the address of its alternatives.
  std::vector<std::uint32_t> needle_by_ordinal_;
  std::unordered_map<const void*, std::uint32_t> needle_at_;
  std::vector<std::uint32_t> needle_ids_;               // text ids, k_none where none
  std::vector<std::string> texts_;                      // text id -> text
  std::vector<std::vector<std::uint32_t>> keyword_texts_;  // rule -> its keyword literals' text ids
  std::vector<::hs_database*> dbs_;                     // owned
  bool from_cache_ = false, restored_ = false;
  std::string db_file_;                                 // the cache file of dbs_, or empty
  std::vector<std::vector<std::uint32_t>> db_texts_;    // per database, its text ids (sorted)
  std::vector<std::int32_t> field_db_;                  // field id -> index in dbs_, or -1
  mutable std::mutex keyword_mu_;
  mutable std::map<std::vector<std::uint32_t>, ::hs_database*> keyword_dbs_;  // owned
  mutable std::size_t keyword_dbs_from_cache_ = 0;
};

struct engine_options {
  bool use_index = true;  // false: every logsource candidate is evaluated (the reference path)
};

class engine : private needle_oracle {
 public:
  // `rules` (and `index`, when given) must outlive the engine. Without an
  // index, the engine builds its own (if options ask for one).
  explicit engine(const std::vector<sigma::rule>& rules, engine_options o = {},
                  std::shared_ptr<const literal_index> index = nullptr);
  ~engine() override;
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Appends every (event, rule) match of the batch to `out`, ordered by
  // event index then rule index. Not thread-safe: use one engine per thread.
  void match_batch(const event_batch& batch, std::vector<hit>& out);

  // Rules whose logsource accepts `ls` (cached per distinct logsource).
  [[nodiscard]] const std::vector<std::uint32_t>& candidates(const event_logsource& ls);

  [[nodiscard]] const std::vector<sigma::rule>& rules() const { return rules_; }
  [[nodiscard]] const std::shared_ptr<const literal_index>& index() const { return index_; }

  // Counters since construction: rules evaluated in full, and those the
  // logsource alone would have asked for.
  [[nodiscard]] std::uint64_t evaluated() const { return evaluated_; }
  [[nodiscard]] std::uint64_t logsource_candidates() const { return ls_candidates_; }
  // (logsource, EventID) plans held now (at most 4096).
  [[nodiscard]] std::size_t plan_count() const { return plans_.size(); }
  // Field values scanned against their field's database, and how many of
  // those scans the memo of values seen before answered (memo_entry below).
  [[nodiscard]] std::uint64_t value_scans() const { return value_scans_; }
  [[nodiscard]] std::uint64_t memo_hits() const { return memo_hits_; }

 private:
  // An event's EventID as the index sees it.
  struct event_id_key {
    enum class state : std::uint8_t { unknown, absent, one } s = state::unknown;
    std::int64_t value = 0;
  };
  [[nodiscard]] event_id_key event_id_of(const event_batch& batch, const event& ev) const;
  // What a logsource alone decides, found once for all its plans.
  struct base {
    std::vector<std::uint32_t> rules;  // the rules it accepts
    // The keyword literals of its indexed rules, if any (the index's), and
    // the bytes of the shortest.
    ::hs_database* keyword_db = nullptr;
    std::size_t keyword_min = SIZE_MAX;
  };
  // What a logsource and an EventID decide.
  struct plan {
    const base* ls = nullptr;              // the logsource's (bases_ nodes do not move)
    std::vector<std::uint32_t> all;        // every rule the logsource and EventID accept
    std::vector<std::uint32_t> unindexed;  // of those, the ones without literals
    std::vector<std::uint8_t> accepts;     // per rule
    // Per field id: does a rule here test the field? Only those values are
    // scanned against their field's database (other rules' literals there
    // mark nothing here, and their needles are never asked for).
    std::vector<std::uint8_t> tested;
  };
  const plan& plan_for(const event_logsource& ls, event_id_key eid);
  void scan_event(const event_batch& batch, const event& ev, const plan& p);
  static int on_field_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                            void* self);
  static int on_keyword_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                              void* self);
  void mark_rules(std::uint32_t lit);
  [[nodiscard]] const std::uint32_t* needles(const sigma::matcher& m) const override { return index_->needles(m); }
  [[nodiscard]] int occurs(std::uint32_t needle, std::uint32_t field_idx) const override;

  const std::vector<sigma::rule>& rules_;
  engine_options opts_;
  std::shared_ptr<const literal_index> index_;
  ::hs_scratch* scratch_ = nullptr;  // null until a database needs one
  bool indexing_ = false;            // the index is in use
  static constexpr std::size_t k_max_plans = 4096;  // (logsource, EventID) plans kept at once
  std::unordered_map<std::string, plan, string_hash, std::equal_to<>> plans_;
  std::unordered_map<std::string, base, string_hash, std::equal_to<>> bases_;
  reference_evaluator eval_;
  std::uint32_t epoch_ = 0;  // per event
  // The scan of the current event: the value being scanned, and per value
  // 0 (not scanned against its field's database), 1 (scanned, ASCII) or
  // 2 (scanned with its case-folded text); the keyword text (values apart
  // by NUL bytes).
  std::uint32_t scan_val_ = 0;
  std::vector<std::uint8_t> scanned_;
  std::string buf_, folded_tmp_, text_tmp_, pad_;
  std::span<const field_entry> fields_;
  const plan* plan_ = nullptr;
  // Per text id: the epoch it was last seen in, and the value it was seen
  // in (k_multi: more than one).
  std::vector<std::uint32_t> hit_epoch_, hit_val_;
  static constexpr std::uint32_t k_multi = UINT32_MAX;
  std::vector<std::uint32_t> mark_;  // per rule: epoch of the last event that marked it
  std::vector<std::uint8_t> sets_;   // per rule: of its literal sets, those that event marked (bits)
  std::vector<std::uint32_t> marked_, order_;
  std::uint64_t evaluated_ = 0, ls_candidates_ = 0;

  // Field values repeat (the same image paths, providers, access masks and
  // call traces event after event), and a scan of a short value costs
  // vectorscan's set-up more than its bytes. So the texts an engine scanned
  // against a field database are remembered with the text ids found, in a
  // direct-mapped table: a value met again replays those ids instead of
  // being scanned. The text is compared whole, so the result is the scan's.
  struct memo_entry {
    std::uint64_t hash = 0;
    std::int32_t db = -1;
    std::string text;
    std::vector<std::uint32_t> ids;
  };
  static constexpr std::size_t k_memo_slots = 16384;  // per engine (thread): about 2 MB
  static constexpr std::size_t k_memo_max_text = 512;
  // Longer values have a memo of their own, used for a field while it
  // answers at least one scan in eight (call traces and script payloads
  // repeat; a PowerShell ContextInfo, with its sequence number, never
  // does, and hashing and copying it would only add work). Values longer
  // still are scanned every time. At most 16 MB per engine.
  static constexpr std::size_t k_long_memo_slots = 2048;
  static constexpr std::size_t k_long_memo_max_text = 8192;
  static constexpr std::uint32_t k_long_memo_trial = 256;  // scans of a field before it is judged
  std::vector<memo_entry> memo_, long_memo_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> long_memo_use_;  // per database: tries, hits
  [[nodiscard]] bool long_memo_pays(std::int32_t db) const {
    const auto& [tries, hits] = long_memo_use_[static_cast<std::size_t>(db)];
    return tries < k_long_memo_trial || hits >= tries / 8;
  }
  memo_entry* recording_ = nullptr;  // the entry a scan's matches go to, if any
  std::uint64_t value_scans_ = 0, memo_hits_ = 0;
  void scan_value(std::int32_t db_idx, std::string_view text);
  static int on_field_match_recorded(unsigned int id, unsigned long long from, unsigned long long to,
                                     unsigned int flags, void* self);
};

}  // namespace ariadne::match
