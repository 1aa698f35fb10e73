// Differential test on generated events: for each of many randomly chosen
// rules of the SigmaHQ tree, an event is built from the rule's own
// detection items (needles with random surroundings, glob gaps filled, case
// flipped, letters swapped for non-ASCII ones that fold to them, bytes
// dropped; sometimes a second value of the same field) plus the fields of
// another rule, so that most events come close to
// firing and many do. The engine with its literal index must report exactly
// what the reference path reports. Deterministic (fixed seed).
#include <gtest/gtest.h>

#include <random>

#include "ariadne/match/engine.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

const std::vector<std::string> k_tree = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                         "rules-placeholder"};

struct generator {
  std::mt19937_64 rng{20261126};
  field_id message = field_names().intern("Message");

  std::size_t pick(std::size_t n) { return n ? std::uniform_int_distribution<std::size_t>(0, n - 1)(rng) : 0; }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng); }

  std::string junk() {
    static const char* const bits[] = {"",      "a",  "C:\\Windows\\", " -x ", "\xc3\xa9", "\xe2\x84\xaa",
                                       "/tmp/", "42", "\\",            "*",    "?",        "\xd0\x96"};
    std::string s;
    for (std::size_t n = pick(3); n > 0; --n) s += bits[pick(std::size(bits))];
    return s;
  }

  // Case flips and look-alikes that fold back to the same letters.
  void mutate(std::string& s) {
    if (chance(0.3))
      for (auto& c : s)
        if (c >= 'a' && c <= 'z' && chance(0.5)) c = static_cast<char>(c - 32);
    if (chance(0.1)) {
      auto k = s.find('k');
      if (k != std::string::npos) s.replace(k, 1, "\xe2\x84\xaa");  // KELVIN SIGN folds to 'k'
    }
    if (chance(0.1)) {
      auto k = s.find('s');
      if (k != std::string::npos) s.replace(k, 1, "\xc5\xbf");  // LATIN SMALL LETTER LONG S folds to 's'
    }
    if (chance(0.05) && !s.empty()) s.erase(pick(s.size()), 1);
  }

  std::string of_test(const sigma::string_test& t) {
    using sigma::string_op;
    std::string s;
    switch (t.op) {
      case string_op::equals: s = t.needle; break;
      case string_op::prefix: s = t.needle + junk(); break;
      case string_op::suffix: s = junk() + t.needle; break;
      case string_op::contains: s = junk() + t.needle + junk(); break;
      case string_op::any: s = junk(); break;
      case string_op::glob:
        for (const auto& tok : t.tokens) {
          if (tok.k == sigma::glob_token::kind::literal) s += tok.text;
          else if (tok.k == sigma::glob_token::kind::any_one) s += chance(0.5) ? "x" : "\xc3\xa9";
          else s += junk();
        }
        break;
    }
    if (!t.cased) mutate(s);
    return s;
  }

  void add_matcher(event_batch& b, field_id f, const sigma::matcher& m) {
    using K = sigma::matcher::kind;
    field_id target = f == k_no_field ? message : f;
    switch (m.k) {
      case K::strings:
        if (m.alternatives.empty()) break;
        b.add_string(target, of_test(m.alternatives[pick(m.alternatives.size())]));
        // Sometimes a second value: the field becomes multi-valued, and a
        // needle may occur in one value while a test holds on the other.
        if (chance(0.15)) b.add_string(target, chance(0.5) ? junk() : of_test(m.alternatives[pick(m.alternatives.size())]));
        break;
      case K::number:
        if (chance(0.5) && m.number == static_cast<double>(static_cast<std::int64_t>(m.number)))
          b.add_value(target, value::make_int(static_cast<std::int64_t>(m.number) + (chance(0.2) ? 1 : 0)));
        else
          b.add_string(target, m.number_text);
        break;
      case K::boolean: b.add_value(target, chance(0.5) ? value::make_bool(m.flag) : value::make_string("True")); break;
      case K::cidr: b.add_string(target, chance(0.5) ? "10.1.2.3" : "fe80::1"); break;
      case K::null: if (chance(0.5)) b.add_value(target, value::make_null()); break;
      case K::exists: if (m.flag) b.add_string(target, junk()); break;
      default: b.add_string(target, junk()); break;
    }
  }

  void add_rule_fields(event_batch& b, const sigma::rule& r) {
    for (const auto& s : r.searches) {
      if (s.alternatives.empty() || chance(0.1)) continue;
      for (const auto& item : s.alternatives[pick(s.alternatives.size())]) {
        if (item.values.empty() || chance(0.05)) continue;
        if (item.all)
          for (const auto& m : item.values) add_matcher(b, item.field, m);
        else
          add_matcher(b, item.field, item.values[pick(item.values.size())]);
      }
    }
  }

  void event_for(event_batch& b, const std::vector<sigma::rule>& rules, std::uint64_t n) {
    const auto& r = rules[pick(rules.size())];
    event& ev = b.begin_event(0, n);
    if (r.source.product_id) ev.logsource.product = r.source.product_id;
    if (r.source.service_id) ev.logsource.service = r.source.service_id;
    if (r.source.category_id) ev.logsource.add_category(r.source.category_id);
    add_rule_fields(b, r);
    add_rule_fields(b, rules[pick(rules.size())]);
    b.end_event();
  }
};

TEST(Differential, IndexedEngineEqualsReferenceOnGeneratedEvents) {
  ARIADNE_REQUIRE_SHARED();
  std::vector<std::string> paths;
  for (const auto& dir : k_tree) paths.push_back(test::shared("sigma/rules-tree/" + dir));
  auto set = sigma::load_rules(paths, {});
  ASSERT_GT(set.rules.size(), 3000u);
  match::engine fast(set.rules);
  match::engine reference(set.rules, match::engine_options{false});
  generator gen;
  std::uint64_t hits = 0, events_hit = 0, differing = 0;
  constexpr std::uint64_t k_events = 12000;
  event_batch batch;
  std::vector<match::hit> a, b;
  for (std::uint64_t n = 0; n < k_events; ++n) {
    gen.event_for(batch, set.rules, n);
    if (batch.size() < 500 && n + 1 < k_events) continue;
    a.clear();
    b.clear();
    fast.match_batch(batch, a);
    reference.match_batch(batch, b);
    hits += b.size();
    for (std::size_t k = 0; k < b.size(); ++k) events_hit += k == 0 || b[k].event_idx != b[k - 1].event_idx;
    bool same = a.size() == b.size();
    for (std::size_t k = 0; same && k < a.size(); ++k)
      same = a[k].event_idx == b[k].event_idx && a[k].rule_idx == b[k].rule_idx;
    if (!same && ++differing <= 5) {
      ADD_FAILURE() << "batch ending at event " << n << ": indexed " << a.size() << " hits, reference " << b.size();
      for (const auto& h : b) {  // name the first rule the index missed
        bool found = false;
        for (const auto& x : a) found |= x.event_idx == h.event_idx && x.rule_idx == h.rule_idx;
        if (!found) {
          ADD_FAILURE() << "missed: rule '" << set.rules[h.rule_idx].title << "' on event " << h.event_idx;
          break;
        }
      }
    }
    batch.clear();
  }
  std::printf("generated: %llu events, %llu hit at least one rule, %llu hits\n",
              static_cast<unsigned long long>(k_events), static_cast<unsigned long long>(events_hit),
              static_cast<unsigned long long>(hits));
  EXPECT_EQ(differing, 0u);
  EXPECT_GT(events_hit, k_events / 5);  // the events come close enough to matter
}

}  // namespace
}  // namespace ariadne
