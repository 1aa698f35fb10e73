#include "literals.hpp"

#include <algorithm>

namespace ariadne::match::detail {

namespace {

using sigma::condition_node;
using sigma::matcher;
using sigma::string_op;

// The walk both derivations share, over the condition tree: an item ORs
// its values' sets (under `all`, the best one value's set will do); a
// search ORs its alternatives, each an AND of items; an AND keeps its best
// child; an OR needs every child and unites them; `not` and constants give
// nothing. `Derived` says what a value gives (of_matcher), which set is
// better (better) and which items count (takes).
template <class Derived, class T>
struct condition_walk {
  using set = std::optional<std::vector<T>>;

  const Derived& self() const { return static_cast<const Derived&>(*this); }

  void keep_best(set& best, set&& s) const {
    if (s && (!best || self().better(*s, *best))) best = std::move(s);
  }

  set of_item(const sigma::detection_item& item) const {
    if (item.negate || item.values.empty() || !self().takes(item)) return std::nullopt;
    set out;
    if (item.all) {  // every value must match: any one value's set suffices
      for (const auto& v : item.values) keep_best(out, self().of_matcher(v));
    } else {
      std::vector<T> any;  // one of the values matches
      for (const auto& v : item.values) {
        auto s = self().of_matcher(v);
        if (!s) return std::nullopt;
        any.insert(any.end(), s->begin(), s->end());
      }
      out = std::move(any);
    }
    if (out) self().tie(*out, item);
    return out;
  }

  set of_search(const sigma::search& s) const {
    std::vector<T> any;  // OR over alternatives; each an AND of items
    for (const auto& alt : s.alternatives) {
      set best;
      for (const auto& item : alt) keep_best(best, of_item(item));
      if (!best) return std::nullopt;
      any.insert(any.end(), best->begin(), best->end());
    }
    if (any.empty()) return std::nullopt;
    return any;
  }

  set of_condition(const condition_node& n, const sigma::rule& r) const {
    switch (n.k) {
      case condition_node::kind::search_ref:
        return n.search_idx < r.searches.size() ? of_search(r.searches[n.search_idx]) : std::nullopt;
      case condition_node::kind::op_and: {
        set best;
        for (const auto& k : n.kids) keep_best(best, of_condition(k, r));
        return best;
      }
      case condition_node::kind::op_or: {
        std::vector<T> any;
        for (const auto& k : n.kids) {
          auto s = of_condition(k, r);
          if (!s) return std::nullopt;
          any.insert(any.end(), s->begin(), s->end());
        }
        return any;
      }
      default: return std::nullopt;  // not, constants
    }
  }
};

struct deriver : condition_walk<deriver, literal> {
  explicit deriver(const literal_policy& policy) : p(policy) {}
  const literal_policy& p;

  literal_set of_string_test(const sigma::string_test& t) const {
    std::string_view needle;
    switch (t.op) {
      case string_op::equals:
      case string_op::prefix:
      case string_op::suffix:
      case string_op::contains: needle = t.needle; break;
      case string_op::glob:
        for (const auto& tok : t.tokens)
          if (tok.k == sigma::glob_token::kind::literal && tok.text.size() > needle.size()) needle = tok.text;
        break;
      case string_op::any: return std::nullopt;
    }
    if (needle.empty()) return std::nullopt;
    return spelled(needle, false);
  }

  // One text as the policy spells it.
  literal_set spelled(std::string_view text, bool number) const {
    auto l = p.spell(text);
    if (!l || l->empty()) return std::nullopt;
    return std::vector<literal>{{std::move(*l), number}};
  }

  literal_set of_matcher(const matcher& m) const {
    switch (m.k) {
      case matcher::kind::strings: {
        std::vector<literal> all;
        for (const auto& t : m.alternatives) {
          auto s = of_string_test(t);
          if (!s) return std::nullopt;
          all.insert(all.end(), s->begin(), s->end());
        }
        if (all.empty()) return std::nullopt;
        return all;
      }
      case matcher::kind::number: {
        if (!p.numbers || m.op != sigma::cmp_op::eq) return std::nullopt;
        return spelled(m.number_text, true);
      }
      case matcher::kind::boolean: return std::vector<literal>{{m.flag ? "true" : "false", false}};
      case matcher::kind::regex: {
        if (m.re_atoms.empty()) return std::nullopt;
        std::vector<literal> all;
        for (const auto& a : m.re_atoms) {
          auto l = spelled(a, false);
          if (!l) return std::nullopt;
          all.push_back(std::move(l->front()));
        }
        return all;
      }
      default: return std::nullopt;
    }
  }

  // More selective first: a longer shortest literal (up to 32 bytes, past
  // which length tells little), then fewer literals. An exact short value
  // (`EventType: SetValue`) is met by whole classes of events; a long path
  // or file name is rare: with lengths counted only up to 8 bytes, the two
  // tied and the first item won, and the SigmaHQ tree made 249,398 rule
  // evaluations on the OTRF datasets instead of 169,895.
  static bool better(const std::vector<literal>& a, const std::vector<literal>& b) {
    auto shortest = [](const std::vector<literal>& s) {
      std::size_t m = SIZE_MAX;
      for (const auto& l : s) m = std::min(m, l.text.size());
      return m;
    };
    std::size_t sa = std::min<std::size_t>(shortest(a), 32), sb = std::min<std::size_t>(shortest(b), 32);
    if (sa != sb) return sa > sb;
    return a.size() < b.size();
  }
  static bool takes(const sigma::detection_item&) { return true; }
  static void tie(std::vector<literal>& out, const sigma::detection_item& item) {
    for (auto& l : out) l.field = item.field;
  }
};

// The same walk for the integer values a field must equal.
struct integer_deriver : condition_walk<integer_deriver, std::int64_t> {
  explicit integer_deriver(field_id f) : field(f) {}
  field_id field;

  static std::optional<std::int64_t> of_text(std::string_view t) {
    if (t.empty() || t.size() > 12 || (t.size() > 1 && t[0] == '0')) return std::nullopt;
    std::int64_t v = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v >= k_max_required_integer) return std::nullopt;
    return v;
  }

  static set of_matcher(const matcher& m) {
    switch (m.k) {
      case matcher::kind::number: {
        if (m.op != sigma::cmp_op::eq || !(m.number >= 0 && m.number < static_cast<double>(k_max_required_integer)))
          return std::nullopt;
        auto v = static_cast<std::int64_t>(m.number);
        if (static_cast<double>(v) != m.number) return std::nullopt;
        return std::vector<std::int64_t>{v};
      }
      case matcher::kind::strings: {
        std::vector<std::int64_t> all;
        for (const auto& t : m.alternatives) {
          if (t.op != string_op::equals) return std::nullopt;
          auto v = of_text(t.needle);
          if (!v) return std::nullopt;
          all.push_back(*v);
        }
        if (all.empty()) return std::nullopt;
        return all;
      }
      default: return std::nullopt;
    }
  }

  // Fewer values are more selective.
  static bool better(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) { return a.size() < b.size(); }
  bool takes(const sigma::detection_item& item) const { return item.field == field; }
  static void tie(std::vector<std::int64_t>&, const sigma::detection_item&) {}
};

// Several sets, all of which a match needs (one of each set's literals
// occurs): the walk above gives one set where a condition ANDs several;
// this one keeps them all. An AND (of nodes, of a search's items, or of an
// item's values under `all`) concatenates its parts' sets; anything else
// gives the one set of the walk above.
struct group_deriver {
  const deriver& d;

  void add(literal_groups& out, literal_groups&& more) const {
    if (!more) return;
    if (!out) out.emplace();
    for (auto& g : *more) out->push_back(std::move(g));
  }

  literal_groups one(literal_set&& s) const {
    if (!s) return std::nullopt;
    return std::vector<std::vector<literal>>{std::move(*s)};
  }

  literal_groups of_item(const sigma::detection_item& item) const {
    if (!item.all || item.negate || item.values.size() < 2) return one(d.of_item(item));
    literal_groups out;  // every value must match: each value's set is needed
    for (const auto& v : item.values) {
      auto s = d.of_matcher(v);
      if (!s) continue;
      d.tie(*s, item);
      add(out, one(std::move(s)));
    }
    return out;
  }

  literal_groups of_search(const sigma::search& s) const {
    if (s.alternatives.size() != 1) return one(d.of_search(s));
    literal_groups out;  // one AND of items
    for (const auto& item : s.alternatives.front()) add(out, of_item(item));
    return out;
  }

  literal_groups of_condition(const condition_node& n, const sigma::rule& r) const {
    switch (n.k) {
      case condition_node::kind::search_ref:
        return n.search_idx < r.searches.size() ? of_search(r.searches[n.search_idx]) : std::nullopt;
      case condition_node::kind::op_and: {
        literal_groups out;
        for (const auto& k : n.kids) add(out, of_condition(k, r));
        return out;
      }
      default: return one(d.of_condition(n, r));
    }
  }
};

}  // namespace

literal_groups required_literal_groups(const sigma::rule& r, const literal_policy& p) {
  deriver d(p);
  auto out = group_deriver{d}.of_condition(r.condition, r);
  if (!out) return out;
  // Most selective first; a set that another one repeats is dropped.
  std::stable_sort(out->begin(), out->end(), [](const auto& a, const auto& b) { return deriver::better(a, b); });
  std::vector<std::vector<literal>> unique;
  for (auto& g : *out) {
    auto same = [&](const std::vector<literal>& u) {
      return u.size() == g.size() && std::equal(u.begin(), u.end(), g.begin(), [](const literal& x, const literal& y) {
               return x.text == y.text && x.field == y.field && x.number == y.number;
             });
    };
    if (std::none_of(unique.begin(), unique.end(), same)) unique.push_back(std::move(g));
  }
  return unique;
}

literal_set required_literals(const sigma::rule& r, const literal_policy& p) {
  return deriver(p).of_condition(r.condition, r);
}

std::optional<std::vector<std::int64_t>> required_integers(const sigma::rule& r, field_id field) {
  auto s = integer_deriver(field).of_condition(r.condition, r);
  if (s) {
    std::sort(s->begin(), s->end());
    s->erase(std::unique(s->begin(), s->end()), s->end());
  }
  return s;
}

}  // namespace ariadne::match::detail
