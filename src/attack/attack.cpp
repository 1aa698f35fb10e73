// ATT&CK knowledge, tag mapping, Navigator layers and group ranking
// (docs/attribution.md, docs/decisions/0003-attribution-ranking.md).
#include "ariadne/attack/attack.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <span>

#include "ariadne/core/text.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& attack_enterprise();
const std::vector<std::pair<std::string_view, std::string_view>>& attack_ics();
}  // namespace ariadne::embedded

namespace ariadne::attack {
namespace {

// Calls f(part) for each part of `text` between `sep`s (as split() gives
// them, without making a vector).
template <class F>
void each_part(std::string_view text, char sep, F&& f) {
  for (std::size_t at = 0;;) {
    std::size_t end = text.find(sep, at);
    f(text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) return;
    at = end + 1;
  }
}

// Calls f(cells) for each row of a TSV text after its header (blank lines
// skipped, a CR before the newline dropped); the cells view the text and
// one vector is reused, so a large table costs no allocation per row.
template <class F>
void each_row(std::string_view text, F&& f) {
  std::vector<std::string_view> cells;
  bool header = true;
  each_part(text, '\n', [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    if (header) {
      header = false;
      return;
    }
    cells.clear();
    each_part(line, '\t', [&](std::string_view cell) { cells.push_back(cell); });
    f(cells);
  });
}

std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

bool technique_like(std::string_view s) {  // t1234 or t1234.001
  if (s.size() < 5 || (s[0] != 't' && s[0] != 'T')) return false;
  for (std::size_t k = 1; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k])) && !(s[k] == '.' && k == 5)) return false;
  return true;
}

bool id_like(std::string_view s, char prefix) {  // g0016, s0002
  if (s.size() != 5 || std::tolower(static_cast<unsigned char>(s[0])) != prefix) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

knowledge load(const std::vector<std::pair<std::string_view, std::string_view>>& files, std::string_view domain) {
  auto r = knowledge::parse(files, domain);
  ARIADNE_ASSERT(r.has_value(), "the embedded ATT&CK tables are valid (a unit test loads them)");
  return std::move(*r);
}

}  // namespace

result<knowledge> knowledge::parse(const std::vector<std::pair<std::string_view, std::string_view>>& files,
                                   std::string_view domain) {
  knowledge k;
  k.domain = std::string(domain);
  auto text_of = [&](std::string_view name) -> std::string_view {
    for (const auto& [path, text] : files) {
      auto base = path.substr(path.find_last_of('/') == std::string_view::npos ? 0 : path.find_last_of('/') + 1);
      if (base == name) return text;
    }
    return {};
  };
  // The first malformed row's message (the tables are walked to the end).
  std::string bad;
  auto need = [&](std::span<const std::string_view> r, std::size_t n, const char* what) {
    if (r.size() >= n) return true;
    if (bad.empty()) bad = what;
    return false;
  };
  using row = std::span<const std::string_view>;
  each_row(text_of("tactics.tsv"), [&](row r) {
    if (!need(r, 4, "tactics.tsv: a row needs 4 cells")) return;
    k.tactics.push_back({std::string(r[0]), std::string(r[1]), std::string(r[2]), static_cast<int>(parse_int64(r[3]).value_or(0))});
  });
  each_row(text_of("techniques.tsv"), [&](row r) {
    if (!need(r, 3, "techniques.tsv: a row needs 3 cells")) return;
    technique t{std::string(r[0]), std::string(r[1]), {}};
    for (auto s : split(r[2], ','))
      if (!s.empty()) t.tactics.emplace_back(s);
    k.technique_at_.emplace(t.id, static_cast<std::uint32_t>(k.techniques.size()));
    k.techniques.push_back(std::move(t));
  });
  each_row(text_of("retired.tsv"), [&](row r) {
    if (r.size() >= 2) k.retired_.emplace(std::string(r[0]), std::string(r[1]));
  });
  // SigmaHQ's v19 ids: the v18 id most rules were retagged from (pairs with
  // few rules are noise from rules that carry several tags).
  std::unordered_map<std::string, std::int64_t> best;
  each_row(text_of("crosswalk.tsv"), [&](row r) {
    if (r.size() < 3) return;
    auto n = parse_int64(r[2]).value_or(0);
    auto& b = best[std::string(r[0])];
    if (k.crosswalk_[std::string(r[0])].empty() || n > b) {
      k.crosswalk_[std::string(r[0])] = {std::string(r[1])};
      b = n;
    }
  });
  each_row(text_of("software.tsv"), [&](row r) {
    if (r.size() >= 2) k.software_.emplace(std::string(r[0]), std::string(r[1]));
  });
  each_row(text_of("groups.tsv"), [&](row r) {
    if (!need(r, 2, "groups.tsv: a row needs 2 cells")) return;
    group g{std::string(r[0]), std::string(r[1]), {}, {}};
    if (r.size() > 2)
      for (auto a : split(r[2], ';'))
        if (!trim(a).empty()) g.aliases.emplace_back(trim(a));
    k.group_at_.emplace(g.id, static_cast<std::uint32_t>(k.groups.size()));
    k.groups.push_back(std::move(g));
  });
  std::string key;  // one buffer for the lookups of every link
  each_row(text_of("group_techniques.tsv"), [&](row r) {
    if (!need(r, 3, "group_techniques.tsv: a row needs 3 cells")) return;
    key.assign(r[0]);
    auto g = k.group_at_.find(key);
    key.assign(r[1]);
    auto t = k.technique_at_.find(key);
    if (g == k.group_at_.end() || t == k.technique_at_.end()) return;
    group_link l;
    l.technique = t->second;
    each_part(r[2], ',', [&](std::string_view v) {  // the cell's refs
      if (v == "d") l.direct = true;
      else if (!v.empty() && v[0] == 'C') l.campaigns.emplace_back(v);
      else if (!v.empty() && v[0] == 'S') l.software.emplace_back(v);
    });
    k.groups[g->second].links.push_back(std::move(l));
  });
  if (!bad.empty()) return make_error(errc::parse, bad);
  if (k.techniques.empty() || k.tactics.empty()) return make_error(errc::parse, "ATT&CK tables are empty");
  return k;
}

const knowledge& knowledge::enterprise() {
  static const knowledge k = load(embedded::attack_enterprise(), "enterprise-attack");
  return k;
}

const knowledge& knowledge::ics() {
  static const knowledge k = load(embedded::attack_ics(), "ics-attack");
  return k;
}

const technique* knowledge::find_technique(std::string_view id) const {
  int i = technique_index(id);
  return i < 0 ? nullptr : &techniques[static_cast<std::size_t>(i)];
}

int knowledge::technique_index(std::string_view id) const {
  auto it = technique_at_.find(upper(id));
  return it == technique_at_.end() ? -1 : static_cast<int>(it->second);
}

bool knowledge::knows_software(std::string_view id) const { return software_.count(std::string(id)) != 0; }

const tactic* knowledge::find_tactic(std::string_view shortname) const {
  for (const auto& t : tactics)
    if (t.shortname == shortname) return &t;
  return nullptr;
}

const group* knowledge::find_group(std::string_view id) const {
  auto it = group_at_.find(upper(id));
  return it == group_at_.end() ? nullptr : &groups[it->second];
}

std::string knowledge::software_name(std::string_view id) const {
  auto it = software_.find(std::string(id));
  return it == software_.end() ? std::string(id) : it->second;
}

std::vector<std::string> knowledge::resolve_technique(std::string_view raw, std::string* how) const {
  std::string id = upper(raw);
  if (technique_at_.count(id)) return {id};
  if (auto it = crosswalk_.find(id); it != crosswalk_.end()) {
    if (how) *how = "SigmaHQ v19 id, read as " + fmt::format("{}", fmt::join(it->second, ", "));
    std::vector<std::string> out;
    for (const auto& v : it->second) {
      auto r = resolve_technique(v);
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }
  std::string cur = id;
  for (int hop = 0; hop < 8; ++hop) {
    auto it = retired_.find(cur);
    if (it == retired_.end()) break;
    if (it->second.empty()) {
      if (how) *how = "deprecated, no successor";
      return {};
    }
    cur = it->second;
    if (technique_at_.count(cur)) {
      if (how) *how = "revoked into " + cur;
      return {cur};
    }
  }
  // A v19 sub-technique of a crosswalked parent (T1685.001): its parent's mapping.
  if (auto dot = id.find('.'); dot != std::string::npos)
    if (auto it = crosswalk_.find(id.substr(0, dot)); it != crosswalk_.end()) {
      if (how) *how = "SigmaHQ v19 sub-technique, read as its parent's " + it->second.front();
      return resolve_technique(it->second.front());
    }
  return {};
}

tag_meaning resolve_tag(std::string_view tag) {
  tag_meaning m;
  std::string low = to_lower_ascii(trim(tag));
  if (low.rfind("attack.", 0) != 0) return m;  // other namespace
  std::string_view rest(low);
  rest.remove_prefix(7);
  const auto& ent = knowledge::enterprise();
  const auto& ics = knowledge::ics();
  if (technique_like(rest)) {
    m.k = tag_meaning::kind::technique;
    m.ids = ent.resolve_technique(rest, &m.how);
    if (m.ids.empty()) {
      m.ids = ics.resolve_technique(rest, &m.how);
      m.ics = !m.ids.empty();
    }
    if (m.ids.empty()) m.k = tag_meaning::kind::unknown;
    return m;
  }
  if (id_like(rest, 'g')) {
    m.k = ent.find_group(rest) || ics.find_group(rest) ? tag_meaning::kind::group : tag_meaning::kind::unknown;
    m.ids = {upper(rest)};
    return m;
  }
  if (id_like(rest, 's')) {
    bool known = ent.knows_software(upper(rest)) || ics.knows_software(upper(rest));
    m.k = known ? tag_meaning::kind::software : tag_meaning::kind::unknown;
    m.ids = {upper(rest)};
    return m;
  }
  std::string shortname(rest);
  std::replace(shortname.begin(), shortname.end(), '_', '-');
  if (shortname == "stealth" || shortname == "defense-impairment") {
    m.k = tag_meaning::kind::tactic;
    m.ids = {"defense-evasion"};
    m.how = "SigmaHQ's ATT&CK v19 tactic, part of defense-evasion in v18";
    return m;
  }
  if (ent.find_tactic(shortname)) {
    m.k = tag_meaning::kind::tactic;
    m.ids = {shortname};
    return m;
  }
  if (ics.find_tactic(shortname)) {
    m.k = tag_meaning::kind::tactic;
    m.ids = {shortname};
    m.ics = true;
    return m;
  }
  m.k = tag_meaning::kind::unknown;
  m.ids = {std::string(rest)};
  return m;
}

std::vector<std::string> techniques_from_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& tag : tags) {
    auto m = resolve_tag(tag);
    if (m.k != tag_meaning::kind::technique || m.ics) continue;
    for (auto& id : m.ids)
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
  }
  return out;
}

std::string navigator_layer(const knowledge& k, const std::string& name, const std::string& description,
                            const std::vector<layer_entry>& entries) {
  double max_score = 0;
  for (const auto& e : entries) max_score = std::max(max_score, e.score);
  std::string o = "{\"name\":";
  append_json_string(o, name);
  o += ",\"versions\":{\"attack\":";
  append_json_string(o, k.version);
  o += ",\"navigator\":\"4.9.1\",\"layer\":\"4.5\"},\"domain\":";
  append_json_string(o, k.domain);
  o += ",\"description\":";
  append_json_string(o, description);
  o += ",\"sorting\":3,\"hideDisabled\":false,\"techniques\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) o.push_back(',');
    o += "{\"techniqueID\":";
    append_json_string(o, entries[i].technique);
    o += fmt::format(",\"score\":{}", entries[i].score);
    o += ",\"enabled\":true";
    if (!entries[i].comment.empty()) {
      o += ",\"comment\":";
      append_json_string(o, entries[i].comment);
    }
    o += "}";
  }
  o += fmt::format("],\"gradient\":{{\"colors\":[\"#ffffffff\",\"#ff6666ff\"],\"minValue\":0,\"maxValue\":{}}},",
                   max_score > 0 ? max_score : 1);
  o += "\"legendItems\":[],\"metadata\":[{\"name\":\"generated by\",\"value\":\"ariadne\"}],"
       "\"showTacticRowBackground\":false,\"selectTechniquesAcrossTactics\":true,\"selectSubtechniquesWithParent\":false}";
  return o;
}

// ---------------------------------------------------------------- ranking

attributor_options calibrated_options() {
  attributor_options o;
  // Fitted by bench/attribution/run.sh (docs/decisions/0003): the
  // temperature makes the mean top-1 score match the top-1 accuracy; the
  // threshold keeps 95% of pure-noise observations "unknown".
  o.temperature = 0.9;
  o.unknown_below = 0.52;
  // Ranked by coverage (docs/decisions/0007): the top score is Platt-scaled
  // on the campaign harness (attribution_eval --fit-campaigns); "ranked"
  // needs a top score of at least 0.4.
  o.by_coverage = true;
  o.coverage_beta = 8.0;
  o.platt_a = -1.39;
  o.platt_b = 4.40;
  o.min_score = 0.4;
  return o;
}

attributor::attributor(const knowledge& k, attributor_options o) : k_(k), o_(o) {
  const std::size_t nt = k.techniques.size(), ng = k.groups.size();
  std::vector<std::uint32_t> df(nt, 0);
  w_.resize(ng);
  subs_.resize(ng);
  for (std::size_t g = 0; g < ng; ++g) {
    for (const auto& l : k.groups[g].links) {
      double w = l.direct ? o_.w_direct : !l.campaigns.empty() ? o_.w_campaign : o_.w_software;
      auto& cur = w_[g][l.technique];
      if (w > cur) cur = w;
    }
    for (const auto& [t, w] : w_[g]) {
      ++df[t];
      if (k.techniques[t].sub()) {
        auto& f = subs_[g][k.techniques[t].parent()];
        f = std::max(f, w);
      }
    }
  }
  idf_.resize(nt);
  double n = static_cast<double>(ng);
  double df_total = 0;
  for (std::size_t t = 0; t < nt; ++t) {
    idf_[t] = std::log((n + 1) / (df[t] + 1)) + 1;
    df_total += df[t];
  }
  background_.resize(nt);
  for (std::size_t t = 0; t < nt; ++t)
    background_[t] = (df[t] + 1.0) / (df_total + static_cast<double>(nt));
  mass_.assign(ng, 0);
  for (std::size_t g = 0; g < ng; ++g)
    for (const auto& [t, w] : w_[g]) mass_[g] += w * idf_[t];
  // A group known for a handful of techniques is not known to use only
  // those: its profile mass is at least the median group's, so one rare
  // match cannot outweigh a group that explains most of what was seen.
  if (ng > 0 && o_.mass_floor_quantile > 0) {
    std::vector<double> sorted = mass_;
    std::sort(sorted.begin(), sorted.end());
    double floor = sorted[static_cast<std::size_t>(o_.mass_floor_quantile * static_cast<double>(ng - 1))];
    for (auto& m : mass_) m = std::max(m, floor);
  }
}

double attributor::weight(std::uint32_t g, std::uint32_t t, bool* partial) const {
  if (partial) *partial = false;
  if (auto it = w_[g].find(t); it != w_[g].end()) return it->second;
  // Partial credit within a technique family: an observed sub-technique is
  // evidence of its parent, an observed parent of its sub-techniques; a
  // sibling sub-technique is weak evidence.
  const auto& tech = k_.techniques[t];
  double w = 0;
  if (tech.sub()) {
    int p = k_.technique_index(tech.parent());
    if (p >= 0)
      if (auto it = w_[g].find(static_cast<std::uint32_t>(p)); it != w_[g].end()) w = o_.w_family * it->second;
    if (auto it = subs_[g].find(tech.parent()); it != subs_[g].end()) w = std::max(w, o_.w_sibling * it->second);
  } else if (auto it = subs_[g].find(tech.id); it != subs_[g].end()) {
    w = o_.w_family * it->second;
  }
  if (partial) *partial = w > 0;
  return w;
}

void attributor::score(const std::vector<std::uint32_t>& observed, std::vector<double>& per_group,
                       double& background) const {
  per_group.assign(k_.groups.size(), 0);
  background = 0;
  for (auto t : observed) background += std::log(background_[t]);
  // Jelinek-Mercer smoothing: a group's profile (evidence weight x IDF,
  // normalised) mixed with how common each technique is across all groups,
  // so a technique no group explains costs every group the same.
  for (std::size_t g = 0; g < k_.groups.size(); ++g) {
    double s = 0;
    for (auto t : observed) {
      double w = weight(static_cast<std::uint32_t>(g), t, nullptr);
      double profile = mass_[g] > 0 ? w * idf_[t] / mass_[g] : 0;
      s += std::log(o_.lambda * profile + (1 - o_.lambda) * background_[t]);
    }
    per_group[g] = s;
  }
}

double attributor::explained(std::uint32_t group, const std::vector<std::uint32_t>& observed) const {
  double got = 0, all = 0;
  for (auto t : observed) {
    all += idf_[t];
    got += idf_[t] * std::min(1.0, weight(group, t, nullptr) / o_.w_direct);
  }
  return all > 0 ? got / all : 0;
}

void attributor::ordered(const std::vector<std::uint32_t>& observed, std::vector<std::uint32_t>& order,
                         std::vector<double>& prob, top_features* features) const {
  std::vector<double> ll;
  double bg = 0;
  score(observed, ll, bg);
  order.resize(ll.size());
  std::iota(order.begin(), order.end(), 0U);
  prob.assign(ll.size(), 0);
  if (ll.empty()) return;
  if (!o_.by_coverage) {
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return ll[a] > ll[b]; });
    double best = ll[order.front()], z = 0;
    for (double v : ll) z += std::exp((v - best) / o_.temperature);
    for (std::size_t g = 0; g < ll.size(); ++g) prob[g] = std::exp((ll[g] - best) / o_.temperature) / z;
    return;
  }
  std::vector<double> cov(ll.size());
  for (std::uint32_t g = 0; g < cov.size(); ++g) cov[g] = explained(g, observed);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
    if (cov[a] != cov[b]) return cov[a] > cov[b];
    return ll[a] > ll[b];
  });
  double best = cov[order.front()], z = 0;
  for (double c : cov) z += std::exp(o_.coverage_beta * (c - best));
  for (std::size_t g = 0; g < cov.size(); ++g) prob[g] = std::exp(o_.coverage_beta * (cov[g] - best)) / z;
  top_features f;
  std::size_t tied = 0;
  while (tied < order.size() && cov[order[tied]] >= best - 1e-12) ++tied;
  f.ties = static_cast<double>(tied);
  f.margin = tied < order.size() ? best - cov[order[tied]] : best;
  if (features) *features = f;
  if (o_.platt_a == 0 && o_.platt_b == 0) return;
  double block = 1.0 / (1.0 + std::exp(-(o_.platt_a + o_.platt_b * f.margin)));
  double rest = 0;
  for (std::size_t i = tied; i < order.size(); ++i) rest += prob[order[i]];
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto g = order[i];
    prob[g] = i < tied ? block / f.ties : (rest > 0 ? prob[g] / rest * (1.0 - block) : 0.0);
  }
  // A group below the top never scores above it (its share is capped).
  for (std::size_t i = tied; i < order.size(); ++i) prob[order[i]] = std::min(prob[order[i]], block / f.ties);
}

attribution attributor::rank(const std::vector<std::string>& techniques, std::size_t top) const {
  attribution out;
  out.threshold = o_.unknown_below;
  std::vector<std::uint32_t> obs;
  for (const auto& raw : techniques) {
    auto ids = k_.resolve_technique(trim(raw));
    if (ids.empty()) {
      out.ignored.push_back(std::string(trim(raw)));
      continue;
    }
    for (const auto& id : ids) {
      auto idx = static_cast<std::uint32_t>(k_.technique_index(id));
      if (std::find(obs.begin(), obs.end(), idx) == obs.end()) {
        obs.push_back(idx);
        out.observed.push_back(id);
      }
    }
  }
  if (obs.empty() || k_.groups.empty()) {
    out.verdict = "unknown";
    return out;
  }
  std::vector<double> ll;
  double bg = 0;
  score(obs, ll, bg);
  std::vector<std::uint32_t> order;
  std::vector<double> prob;
  ordered(obs, order, prob);
  out.strength = explained(order.front(), obs);
  out.verdict = out.strength >= o_.unknown_below && prob[order.front()] >= o_.min_score ? "ranked" : "unknown";
  for (std::size_t i = 0; i < order.size() && i < top; ++i) {
    auto g = order[i];
    ranked_group r;
    r.group = g;
    r.loglik = ll[g];
    r.score = prob[g];
    for (auto t : obs) {
      bool partial = false;
      double w = weight(g, t, &partial);
      if (w <= 0) continue;
      const auto& id = k_.techniques[t].id;
      if (partial) {
        r.partial.push_back(id);
        continue;
      }
      std::string via;
      for (const auto& l : k_.groups[g].links)
        if (l.technique == t) {
          if (l.direct) via = "direct";
          else if (!l.campaigns.empty()) via = "campaign " + l.campaigns.front();
          else if (!l.software.empty()) via = "software " + k_.software_name(l.software.front());
        }
      r.matched.push_back(id + " (" + via + ")");
      r.matched_ids.push_back(id);
    }
    // The group's rarest directly known techniques: what to look for next.
    std::vector<std::pair<double, std::uint32_t>> own;
    for (const auto& l : k_.groups[g].links)
      if (l.direct && std::find(obs.begin(), obs.end(), l.technique) == obs.end())
        own.emplace_back(idf_[l.technique], l.technique);
    std::sort(own.begin(), own.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first > b.first;
      return k_.techniques[a.second].id < k_.techniques[b.second].id;
    });
    for (std::size_t j = 0; j < own.size() && j < 5; ++j) r.distinguishing.push_back(k_.techniques[own[j].second].id);
    out.groups.push_back(std::move(r));
  }
  return out;
}

tfidf_baseline::tfidf_baseline(const knowledge& k) {
  const std::size_t ng = k.groups.size(), nt = k.techniques.size();
  std::vector<double> df(nt, 0);
  std::vector<std::unordered_map<std::uint32_t, double>> tf(ng);
  for (std::size_t g = 0; g < ng; ++g)
    for (const auto& l : k.groups[g].links)
      tf[g][l.technique] += (l.direct ? 1 : 0) + static_cast<double>(l.campaigns.size() + l.software.size());
  for (const auto& m : tf)
    for (const auto& [t, c] : m) df[t] += 1;
  idf_.resize(nt);
  for (std::size_t t = 0; t < nt; ++t) idf_[t] = df[t] > 0 ? std::log(static_cast<double>(ng) / df[t]) : 0.0;
  vec_.resize(ng);
  norm_.assign(ng, 0);
  for (std::size_t g = 0; g < ng; ++g) {
    for (const auto& [t, c] : tf[g]) {
      double v = c * idf_[t];
      vec_[g].emplace_back(t, v);
      norm_[g] += v * v;
    }
    norm_[g] = std::sqrt(norm_[g]);
  }
}

std::vector<std::uint32_t> tfidf_baseline::rank(const std::vector<std::uint32_t>& observed) const {
  std::unordered_map<std::uint32_t, double> q;
  for (auto t : observed) q[t] += 1;
  double qn = 0;
  for (auto& [t, v] : q) {
    v *= idf_[t];
    qn += v * v;
  }
  qn = std::sqrt(qn);
  std::vector<double> sim(vec_.size(), 0);
  for (std::size_t g = 0; g < vec_.size(); ++g) {
    double dot = 0;
    for (const auto& [t, v] : vec_[g])
      if (auto it = q.find(t); it != q.end()) dot += v * it->second;
    sim[g] = norm_[g] > 0 && qn > 0 ? dot / (norm_[g] * qn) : 0;
  }
  std::vector<std::uint32_t> order(vec_.size());
  std::iota(order.begin(), order.end(), 0U);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return sim[a] > sim[b]; });
  return order;
}

}  // namespace ariadne::attack
