#include "ariadne/match/engine.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <map>
#include <utility>

#include "ariadne/core/unicode.hpp"
#include "literals.hpp"

namespace ariadne::match {

namespace {

// Needles are case-folded at load time; the scan is case-insensitive over
// ASCII and sees the folded text of any non-ASCII value, so a needle is
// spelled as it is.
std::optional<std::string> value_literal(std::string_view needle) { return std::string(needle); }

}  // namespace

namespace {

// Compiles case-insensitive literals (each reported once per scan) into a
// block-mode database; null with `why` set on failure.
::hs_database* compile_literals(const std::vector<std::pair<const std::string*, std::uint32_t>>& lits, std::string& why) {
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags(lits.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH), ids;
  for (const auto& [text, id] : lits) {
    exprs.push_back(text->data());
    lens.push_back(text->size());
    ids.push_back(id);
  }
  ::hs_database* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(lits.size()),
                           HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    why = std::string("vectorscan could not compile the literals: ") + (err && err->message ? err->message : "?");
    if (err) hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

}  // namespace

literal_index::literal_index(const std::vector<sigma::rule>& rules)
    : indexed_(rules.size(), 0), keyword_rule_(rules.size(), 0) {
  std::map<std::pair<field_id, std::string>, std::uint32_t> ids;
  for (std::uint32_t r = 0; r < rules.size(); ++r) {
    auto set = detail::required_literals(rules[r], {value_literal, false});
    if (!set) continue;
    // A very short literal occurs in nearly every event and slows the whole
    // scan down: such a rule is evaluated on every event instead.
    bool short_lit = std::any_of(set->begin(), set->end(), [](const detail::literal& l) { return l.text.size() < k_min_literal; });
    if (short_lit) continue;
    indexed_[r] = 1;
    for (auto& l : *set) {
      if (l.field == k_no_field) keyword_rule_[r] = 1;
      auto [it, fresh] = ids.emplace(std::make_pair(l.field, std::move(l.text)), static_cast<std::uint32_t>(lit_rules_.size()));
      if (fresh) lit_rules_.emplace_back();
      auto& v = lit_rules_[it->second];
      if (v.empty() || v.back() != r) v.push_back(r);
    }
  }
  if (ids.empty()) {
    why_ = "no rule has a literal every match contains";
    return;
  }
  // One database per field (the map is ordered by field), and one for
  // keywords; compiled on all cores (largest first), as they are independent.
  std::vector<field_id> group_field;
  std::vector<std::vector<std::pair<const std::string*, std::uint32_t>>> groups;
  for (auto it = ids.begin(); it != ids.end(); ++it) {
    if (groups.empty() || group_field.back() != it->first.first) {
      group_field.push_back(it->first.first);
      groups.emplace_back();
    }
    groups.back().emplace_back(&it->first.second, it->second);
  }
  std::vector<std::size_t> order(groups.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return groups[a].size() > groups[b].size(); });
  dbs_.assign(groups.size(), nullptr);
  std::vector<std::string> whys(groups.size());
  std::atomic<std::size_t> next{0};
  auto compile_some = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < order.size();) dbs_[order[k]] = compile_literals(groups[order[k]], whys[order[k]]);
  };
  unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 8));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(compile_some);
  compile_some();
  for (auto& t : pool) t.join();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!dbs_[g]) {
      why_ = whys[g];
      std::fill(indexed_.begin(), indexed_.end(), 0);
      return;  // the destructor frees what was compiled
    }
    if (group_field[g] == k_no_field) {
      keyword_db_ = dbs_[g];
    } else {
      if (group_field[g] >= field_db_.size()) field_db_.resize(group_field[g] + 1, -1);
      field_db_[group_field[g]] = static_cast<std::int32_t>(g);
    }
  }
  active_ = true;
}

literal_index::~literal_index() {
  for (auto* db : dbs_)
    if (db) hs_free_database(db);
}

std::size_t literal_index::unindexed_rules() const {
  return static_cast<std::size_t>(std::count(indexed_.begin(), indexed_.end(), 0));
}

engine::engine(const std::vector<sigma::rule>& rules, engine_options o, std::shared_ptr<const literal_index> index)
    : rules_(rules), opts_(o), index_(std::move(index)), mark_(rules.size(), 0) {
  if (!opts_.use_index) return;
  if (!index_) index_ = std::make_shared<literal_index>(rules_);
  if (!index_->active()) return;
  for (auto* db : index_->dbs_)  // one scratch serves every database
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) {
      if (scratch_) hs_free_scratch(scratch_);
      scratch_ = nullptr;
      return;
    }
}

engine::~engine() {
  if (scratch_) hs_free_scratch(scratch_);
}

const engine::plan& engine::plan_for(const event_logsource& ls) {
  // Explicit key (no struct padding), categories sorted.
  std::uint16_t parts[2 + event_logsource::k_max_categories] = {ls.product, ls.service, 0, 0, 0, 0};
  for (std::uint8_t k = 0; k < ls.n_categories; ++k) parts[2 + k] = ls.categories[k];
  for (std::size_t a = 3; a < 2u + ls.n_categories; ++a)  // insertion sort of at most 4
    for (std::size_t b = a; b > 2 && parts[b - 1] > parts[b]; --b) std::swap(parts[b - 1], parts[b]);
  std::string key(reinterpret_cast<const char*>(parts), sizeof parts);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  plan p;
  p.accepts.assign(rules_.size(), 0);
  for (std::uint32_t idx = 0; idx < rules_.size(); ++idx) {
    if (!rules_[idx].source.accepts(ls)) continue;
    p.all.push_back(idx);
    p.accepts[idx] = 1;
    if (!scratch_ || !index_->indexed(idx)) p.unindexed.push_back(idx);
    else if (index_->uses_keywords(idx)) p.keywords = true;
  }
  return plans_.emplace(std::move(key), std::move(p)).first->second;
}

const std::vector<std::uint32_t>& engine::candidates(const event_logsource& ls) { return plan_for(ls).all; }

namespace {

struct scan_ctx {
  const std::vector<std::vector<std::uint32_t>>* lit_rules;
  const std::vector<std::uint8_t>* accepts;
  std::vector<std::uint32_t>* mark;
  std::uint32_t epoch;
  std::vector<std::uint32_t>* marked;
};

int on_literal(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* p) {
  auto& c = *static_cast<scan_ctx*>(p);
  for (std::uint32_t r : (*c.lit_rules)[id]) {
    if (!(*c.accepts)[r] || (*c.mark)[r] == c.epoch) continue;
    (*c.mark)[r] = c.epoch;
    c.marked->push_back(r);
  }
  return 0;
}

bool is_ascii(std::string_view s) {
  unsigned char high = 0;
  for (char ch : s) high |= static_cast<unsigned char>(ch);
  return (high & 0x80) == 0;
}

}  // namespace

// Marks the indexed rules whose literals occur in the event's values: the
// text every string test and keyword of the evaluator looks at (a value's
// text; for a non-ASCII value its case-folded text as well). Each value is
// scanned against its field's literals; for keywords, all values, kept apart
// by a NUL byte no literal contains, are scanned once more.
void engine::collect_marked(const event_batch& batch, const event& ev, const plan& p) {
  marked_.clear();
  if (++epoch_ == 0) {  // wrapped: forget every old mark
    std::fill(mark_.begin(), mark_.end(), 0);
    epoch_ = 1;
  }
  buf_.clear();
  scan_ctx ctx{&index_->lit_rules_, &p.accepts, &mark_, epoch_, &marked_};
  const auto& field_db = index_->field_db_;
  auto scan = [&](::hs_database* db, std::string_view t) {
    hs_scan(db, t.data(), static_cast<unsigned>(std::min<std::size_t>(t.size(), UINT32_MAX)), 0, scratch_, on_literal,
            &ctx);
  };
  for (const field_entry& f : batch.fields(ev)) {
    if (f.val.kind == value_kind::null) continue;
    ::hs_database* db = f.id < field_db.size() && field_db[f.id] >= 0 ? index_->dbs_[static_cast<std::size_t>(field_db[f.id])] : nullptr;
    if (!db && !p.keywords) continue;
    std::string_view t = value_text(f.val, text_tmp_);
    bool ascii = is_ascii(t);
    if (!ascii) {
      folded_tmp_.clear();
      fold_case_append(t, folded_tmp_);
    }
    if (db) {
      scan(db, t);
      if (!ascii) scan(db, folded_tmp_);
    }
    if (p.keywords) {
      buf_.append(t);
      buf_.push_back('\0');
      if (!ascii) {
        buf_.append(folded_tmp_);
        buf_.push_back('\0');
      }
    }
  }
  if (p.keywords && index_->keyword_db_) scan(index_->keyword_db_, buf_);
}

void engine::match_batch(const event_batch& batch, std::vector<hit>& out) {
  auto events = batch.events();
  for (std::uint32_t ev_idx = 0; ev_idx < events.size(); ++ev_idx) {
    const event& ev = events[ev_idx];
    const plan& p = plan_for(ev.logsource);
    if (p.all.empty()) continue;
    ls_candidates_ += p.all.size();
    const std::vector<std::uint32_t>* todo = &p.all;
    if (scratch_) {
      collect_marked(batch, ev, p);
      if (marked_.empty()) {
        todo = &p.unindexed;
      } else {
        std::sort(marked_.begin(), marked_.end());
        order_.clear();
        std::merge(marked_.begin(), marked_.end(), p.unindexed.begin(), p.unindexed.end(), std::back_inserter(order_));
        todo = &order_;
      }
    }
    if (todo->empty()) continue;
    evaluated_ += todo->size();
    eval_.reset(batch, ev);
    for (std::uint32_t rule_idx : *todo)
      if (eval_.matches(rules_[rule_idx])) out.push_back({ev_idx, rule_idx});
  }
}

}  // namespace ariadne::match
