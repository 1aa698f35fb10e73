#include "ariadne/match/engine.hpp"

#include <utility>

namespace ariadne::match {

engine::engine(const std::vector<sigma::rule>& rules) : rules_(rules) {}

const std::vector<std::uint32_t>& engine::candidates(const event_logsource& ls) {
  // Explicit key (no struct padding), categories sorted.
  std::uint16_t parts[2 + event_logsource::k_max_categories] = {ls.product, ls.service, 0, 0, 0, 0};
  for (std::uint8_t k = 0; k < ls.n_categories; ++k) parts[2 + k] = ls.categories[k];
  for (std::size_t a = 3; a < 2u + ls.n_categories; ++a)  // insertion sort of at most 4
    for (std::size_t b = a; b > 2 && parts[b - 1] > parts[b]; --b) std::swap(parts[b - 1], parts[b]);
  std::string key(reinterpret_cast<const char*>(parts), sizeof parts);
  auto it = by_logsource_.find(key);
  if (it != by_logsource_.end()) return it->second;
  std::vector<std::uint32_t> ids;
  for (std::uint32_t idx = 0; idx < rules_.size(); ++idx)
    if (rules_[idx].source.accepts(ls)) ids.push_back(idx);
  return by_logsource_.emplace(std::move(key), std::move(ids)).first->second;
}

void engine::match_batch(const event_batch& batch, std::vector<hit>& out) {
  auto events = batch.events();
  for (std::uint32_t ev_idx = 0; ev_idx < events.size(); ++ev_idx) {
    const event& ev = events[ev_idx];
    const auto& cands = candidates(ev.logsource);
    if (cands.empty()) continue;
    eval_.reset(batch, ev);
    for (std::uint32_t rule_idx : cands)
      if (eval_.matches(rules_[rule_idx])) out.push_back({ev_idx, rule_idx});
  }
}

}  // namespace ariadne::match
