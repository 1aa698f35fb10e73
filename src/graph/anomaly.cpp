#include "ariadne/graph/anomaly.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "ariadne/core/text.hpp"
#include "ariadne/core/time.hpp"
#include "ariadne/core/yaml.hpp"
#include "ariadne/graph/incident.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& anomaly_data();
}

namespace ariadne::graph {
namespace {

int severity_of(std::string_view level) {
  static constexpr std::string_view k_levels[] = {"informational", "low", "medium", "high", "critical"};
  for (int k = 0; k < 5; ++k)
    if (level == k_levels[k]) return k;
  return -1;
}

// "attack.t1543.003" -> "T1543.003"; "" when the tag names no technique.
std::string technique_of(std::string_view tag) {
  if (tag.size() < 12 || tag.substr(0, 8) != "attack.t") return {};
  std::string id = "T";
  for (char c : tag.substr(8)) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) return {};
    id.push_back(c);
  }
  return id;
}

bool remote_logon_type(std::string_view t) { return t == "3" || t == "10"; }

// The account part of DOMAIN\name, lower case; "" for accounts that are not
// people's (machine accounts, anonymous, system).
std::string account_of(std::string_view user) {
  auto slash = user.rfind('\\');
  std::string name = to_lower_ascii(slash == std::string_view::npos ? user : user.substr(slash + 1));
  if (name.empty() || name == "-" || name.back() == '$' || name == "anonymous logon" || name == "system" ||
      name == "local service" || name == "network service")
    return {};
  return name;
}

// First sightings of (context, item) pairs with history around them: a
// context (a parent image, a process image) seen at least `min` times, at
// most `share` of them distinct items, meets an item it never met.
struct pair_history {
  std::unordered_map<std::string, std::uint64_t> seen, pairs, variety;  // context; context|item; context
  void add(const std::string& context, const std::string& item, std::uint64_t n) {
    if (n == 0) return;
    seen[context] += n;
    auto& p = pairs[context + "\x1f" + item];
    if (p == 0) ++variety[context];
    p += n;
  }
  // Counts the pair; true when it is a first sighting with history.
  // `before` receives how often the context was seen before.
  bool next(const std::string& context, const std::string& item, std::uint64_t min, double share, bool may_fire,
            std::uint64_t& before) {
    std::uint64_t& n = seen[context];
    std::uint64_t& p = pairs[context + "\x1f" + item];
    std::uint64_t& distinct = variety[context];
    before = n;
    bool fire = may_fire && p == 0 && n >= min && static_cast<double>(distinct) <= share * static_cast<double>(n);
    if (p++ == 0) ++distinct;
    ++n;
    return fire;
  }
};

struct found {
  time_ns time = k_no_time;
  std::uint32_t entity = k_none;
  std::size_t kind = 0;  // index into spec.kinds
  std::string detail;
  std::uint64_t seen_before = 0;
};

}  // namespace

std::string anomaly_logon_key(const entity& session) {
  if (session.kind != entity_kind::session || !remote_logon_type(session.logon_type) || session.source.empty())
    return {};
  std::string acct = account_of(session.user);
  if (acct.empty()) return {};
  return acct + "|" + to_lower_ascii(session.source);
}

std::string anomaly_service_key(const entity& service) {
  if (service.kind != entity_kind::service || service.name.empty()) return {};
  return baseline::shape(service.name) + "|" + baseline::shape(service.image);
}

result<anomaly_spec> anomaly_spec::parse(std::string_view text, std::string_view file) {
  auto docs = yaml::parse(text, file);
  if (!docs) return unexpected(docs.error());
  if (docs->size() != 1 || !(*docs)[0].root.is_mapping())
    return make_error(errc::parse, "an anomaly file is one YAML mapping", {std::string(file), 1});
  const yaml::node& root = (*docs)[0].root;
  auto fail = [&](const yaml::node& n, const std::string& msg) {
    return make_error(errc::parse, msg, {std::string(file), n.line, n.column});
  };
  anomaly_spec s;
  const yaml::node* kinds = root.find("kinds");
  if (!kinds || !kinds->is_mapping()) return fail(root, "'kinds' must be a mapping of anomaly kinds");
  for (std::size_t k = 0; k < kinds->map_size(); ++k) {
    const yaml::node& body = kinds->val(k);
    if (!body.is_mapping()) return fail(body, "an anomaly kind must be a mapping");
    kind x;
    x.name = kinds->key(k).text;
    static constexpr std::string_view k_known[] = {"rare_spawn", "rare_destination", "new_logon_source", "new_service",
                                                   "rare_lsass_access"};
    if (std::find(std::begin(k_known), std::end(k_known), x.name) == std::end(k_known))
      return fail(kinds->key(k), "unknown anomaly kind '" + x.name + "'");
    auto id = yaml::scalar_list(body.find("id"));
    auto title = yaml::scalar_list(body.find("title"));
    auto level = yaml::scalar_list(body.find("level"));
    if (id.size() != 1 || title.size() != 1 || level.size() != 1)
      return fail(body, "anomaly kind '" + x.name + "' needs one id, title and level");
    x.rule.id = id[0];
    x.rule.title = title[0];
    x.rule.level = level[0];
    x.rule.severity = severity_of(level[0]);
    if (x.rule.severity < 0) return fail(*body.find("level"), "unknown level '" + level[0] + "'");
    auto tags = yaml::scalar_list(body.find("tags"));
    x.rule.tactics = tactics_from_tags(tags);
    for (const auto& t : tags)
      if (auto tech = technique_of(t); !tech.empty()) x.rule.techniques.push_back(tech);
    s.kinds.push_back(std::move(x));
  }
  if (const yaml::node* th = root.find("thresholds")) {
    if (!th->is_mapping()) return fail(*th, "'thresholds' must be a mapping");
    for (std::size_t k = 0; k < th->map_size(); ++k) {
      const auto& key = th->key(k).text;
      const auto& v = th->val(k);
      if (!v.is_scalar()) return fail(v, "threshold '" + key + "' must be a number");
      if (key == "parent_variety" || key == "image_variety") {
        double d = -1;
        auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (ec != std::errc{} || end != v.text.data() + v.text.size() || !(d >= 0 && d <= 1))
          return fail(v, key + " must be a share from 0 to 1");
        (key == "parent_variety" ? s.parent_variety : s.image_variety) = d;
        continue;
      }
      auto n = parse_int64(v.text);
      if (!n || *n < 0) return fail(v, "threshold '" + key + "' must be a count");
      if (key == "parent_starts") s.parent_starts = static_cast<std::uint64_t>(*n);
      else if (key == "account_logons") s.account_logons = static_cast<std::uint64_t>(*n);
      else if (key == "image_contacts") s.image_contacts = static_cast<std::uint64_t>(*n);
      else return fail(th->key(k), "unknown threshold '" + key + "'");
    }
  }
  for (const auto& img : yaml::scalar_list(root.find("lsass_expected"))) s.lsass_expected.push_back(to_lower_ascii(img));
  return s;
}

const anomaly_spec& anomaly_spec::builtin() {
  static const anomaly_spec s = [] {
    const auto& files = embedded::anomaly_data();
    ARIADNE_ASSERT(files.size() == 1, "exactly one anomaly file is embedded (src/CMakeLists.txt)");
    auto r = parse(files[0].second, files[0].first);
    ARIADNE_ASSERT(r.has_value(), "the embedded anomaly file is valid (a unit test loads it)");
    return std::move(*r);
  }();
  return s;
}

const anomaly_spec::kind* anomaly_spec::find(std::string_view name) const {
  for (const auto& k : kinds)
    if (k.name == name) return &k;
  return nullptr;
}

std::vector<anomaly> add_anomalies(graph& g, const baseline* base, const anomaly_spec& spec,
                                   const std::function<bool(time_ns, std::string_view)>& in_scope) {
  std::vector<found> hits;
  auto kind_idx = [&](std::string_view name) -> std::size_t {
    const auto* k = spec.find(name);
    return k ? static_cast<std::size_t>(k - spec.kinds.data()) : SIZE_MAX;
  };
  const std::size_t k_spawn = kind_idx("rare_spawn"), k_logon = kind_idx("new_logon_source"),
                    k_service = kind_idx("new_service"), k_lsass = kind_idx("rare_lsass_access"),
                    k_dest = kind_idx("rare_destination");
  auto when = [](const entity& x, time_ns fallback) { return x.start != k_no_time ? x.start : (x.first != k_no_time ? x.first : fallback); };

  // rare_spawn: process starts in time order, counted per parent image (run
  // after baseline).
  if (k_spawn != SIZE_MAX) {
    pair_history h;
    if (base)
      for (const auto& [key, n] : base->spawn_counts()) {
        auto x = key.find('\x1f');
        auto y = x == std::string::npos ? x : key.find('\x1f', x + 1);
        if (y == std::string::npos) continue;
        std::string parent = key.substr(0, x), child = key.substr(x + 1, y - x - 1);
        if (parent != child) h.add(parent, child, n);  // copies of itself: below
      }
    struct spawn { time_ns t; std::uint32_t child; std::uint32_t parent; };
    std::vector<spawn> order;
    for (const auto& e : g.edges) {
      if (g.edge_kind_name(e.kind) != "spawned") continue;
      const entity& p = g.entities[e.from];
      const entity& c = g.entities[e.to];
      if (p.kind != entity_kind::process || c.kind != entity_kind::process || c.image.empty() || p.image.empty()) continue;
      // A process starting copies of itself (a browser's renderers, svchost)
      // says nothing of what else it starts: neither counted nor an anomaly.
      if (base_name_lower(p.image) == base_name_lower(c.image)) continue;
      order.push_back({when(c, e.time), e.to, e.from});
    }
    std::sort(order.begin(), order.end(), [&](const spawn& a, const spawn& b) {
      return std::tie(a.t, g.entities[a.child].id) < std::tie(b.t, g.entities[b.child].id);
    });
    for (const auto& s : order) {
      std::string parent = base_name_lower(g.entities[s.parent].image);
      std::string child = base_name_lower(g.entities[s.child].image);
      // System processes (the mapping's hub images) start from services
      // and shells all the time: counted, never an anomaly.
      std::uint64_t before = 0;
      if (h.next(parent, child, spec.parent_starts, spec.parent_variety, !g.entities[s.child].hub, before))
        hits.push_back({s.t, s.child, k_spawn,
                        fmt::format("{} started {}, a child it had not started in its {} starts before", parent, child, before),
                        before});
    }
  }

  // rare_destination: connections and DNS queries in time order, counted
  // per process image (run after baseline).
  if (k_dest != SIZE_MAX) {
    pair_history h;
    if (base)
      for (const auto& [key, n] : base->seen_counts("destination")) {
        auto bar = key.find('|');
        if (bar != std::string::npos) h.add(key.substr(0, bar), key.substr(bar + 1), n);
      }
    struct contact { time_ns t; std::uint32_t proc; std::uint32_t dest; };
    std::vector<contact> order;
    for (const auto& e : g.edges) {
      auto kind = g.edge_kind_name(e.kind);
      if (kind != "connected" && kind != "resolved") continue;
      const entity& p = g.entities[e.from];
      if (p.kind != entity_kind::process || p.image.empty() || g.entities[e.to].name.empty()) continue;
      order.push_back({e.time, e.from, e.to});
    }
    std::sort(order.begin(), order.end(), [&](const contact& a, const contact& b) {
      return std::tie(a.t, g.entities[a.proc].id, g.entities[a.dest].id) <
             std::tie(b.t, g.entities[b.proc].id, g.entities[b.dest].id);
    });
    for (const auto& c : order) {
      std::string image = base_name_lower(g.entities[c.proc].image);
      std::string dest = to_lower_ascii(g.entities[c.dest].name);
      std::uint64_t before = 0;
      if (h.next(image, dest, spec.image_contacts, spec.image_variety, true, before))
        hits.push_back({c.t, c.proc, k_dest,
                        fmt::format("{} {} {}, a destination it had not contacted in its {} contacts before", image,
                                    g.entities[c.dest].kind == entity_kind::domain ? "resolved" : "connected to",
                                    g.entities[c.dest].name, before),
                        before});
    }
  }

  // new_logon_source: remote logons in time order, per account.
  if (k_logon != SIZE_MAX) {
    std::unordered_map<std::string, std::uint64_t> logons, pairs;
    if (base)
      for (const auto& [key, n] : base->seen_counts("logon")) {
        logons[key.substr(0, key.find('|'))] += n;
        pairs[key] += n;
      }
    std::vector<std::pair<time_ns, std::uint32_t>> order;
    for (std::uint32_t k = 0; k < g.entities.size(); ++k)
      if (!anomaly_logon_key(g.entities[k]).empty()) order.emplace_back(when(g.entities[k], k_no_time), k);
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      return std::tie(a.first, g.entities[a.second].id) < std::tie(b.first, g.entities[b.second].id);
    });
    for (const auto& [t, k] : order) {
      const entity& s = g.entities[k];
      std::string key = anomaly_logon_key(s);
      std::string acct = key.substr(0, key.find('|'));
      std::uint64_t& before = logons[acct];
      std::uint64_t& seen = pairs[key];
      if (seen == 0 && before >= spec.account_logons)
        hits.push_back({t, k, k_logon,
                        fmt::format("{} logged on to {} from {} (logon type {}), a source not seen in its {} remote logons before",
                                    s.user, s.host, s.source, s.logon_type, before),
                        before});
      ++seen;
      ++before;
    }
  }

  // new_service: installed on one host of the run only, not in the
  // baseline. New installs on one host whose images start alike (their
  // first 48 characters, shaped) are one anomaly with a count: a script
  // installing hundreds of services is one finding, not hundreds.
  if (k_service != SIZE_MAX) {
    std::unordered_map<std::string, std::unordered_set<std::string>> hosts;
    std::unordered_map<std::string, std::uint32_t> first;
    for (std::uint32_t k = 0; k < g.entities.size(); ++k) {
      std::string key = anomaly_service_key(g.entities[k]);
      if (key.empty()) continue;
      hosts[key].insert(g.entities[k].host);
      auto [it, fresh] = first.emplace(key, k);
      if (!fresh && when(g.entities[k], k_no_time) < when(g.entities[it->second], k_no_time)) it->second = k;
    }
    std::map<std::pair<std::string, std::string>, std::vector<std::uint32_t>> groups;  // (host, image start) -> installs
    for (const auto& [key, k] : first) {
      if (hosts[key].size() > 1 || (base && base->seen("service", key) > 0)) continue;
      const entity& s = g.entities[k];
      groups[{s.host, baseline::shape(s.image).substr(0, 48)}].push_back(k);
    }
    for (auto& [where, ks] : groups) {
      std::sort(ks.begin(), ks.end(), [&](std::uint32_t a, std::uint32_t b) {
        return std::tie(g.entities[a].first, g.entities[a].id) < std::tie(g.entities[b].first, g.entities[b].id);
      });
      const entity& s = g.entities[ks.front()];
      std::string more = ks.size() > 1 ? fmt::format(" (and {} more new services with a like image)", ks.size() - 1) : "";
      hits.push_back({when(s, k_no_time), ks.front(), k_service,
                      fmt::format("service {} ({}) installed on {}, on no other host and not in the baseline{}", s.name,
                                  s.image.empty() ? "no image" : s.image, s.host, more),
                      ks.size() - 1});
    }
  }

  // rare_lsass_access: an image not expected to read LSASS, on one host of
  // the run only, not in the baseline; once per host and image.
  if (k_lsass != SIZE_MAX) {
    std::unordered_map<std::string, std::unordered_set<std::string>> hosts;
    std::map<std::pair<std::string, std::string>, std::pair<time_ns, std::uint32_t>> first;  // (image, host)
    for (const auto& e : g.edges) {
      if (g.edge_kind_name(e.kind) != "accessed") continue;
      const entity& src = g.entities[e.from];
      const entity& dst = g.entities[e.to];
      if (src.kind != entity_kind::process || dst.kind != entity_kind::process || src.image.empty() ||
          base_name_lower(dst.image) != "lsass.exe")
        continue;
      std::string img = base_name_lower(src.image);
      if (std::find(spec.lsass_expected.begin(), spec.lsass_expected.end(), img) != spec.lsass_expected.end()) continue;
      hosts[img].insert(src.host);
      auto [it, fresh] = first.try_emplace({img, src.host}, e.time, e.from);
      if (!fresh && e.time < it->second.first) it->second = {e.time, e.from};
    }
    for (const auto& [key, v] : first) {
      if (hosts[key.first].size() > 1 || (base && base->seen("lsass", key.first) > 0)) continue;
      hits.push_back({v.first, v.second, k_lsass,
                      fmt::format("{} read the memory of lsass.exe on {}, on no other host and not in the baseline",
                                  g.entities[v.second].image, key.second),
                      0});
    }
  }

  if (in_scope)
    std::erase_if(hits, [&](const found& h) { return !in_scope(h.time, g.entities[h.entity].host); });
  std::sort(hits.begin(), hits.end(), [&](const found& a, const found& b) {
    return std::tie(a.time, a.kind, g.entities[a.entity].id) < std::tie(b.time, b.kind, g.entities[b.entity].id);
  });
  std::vector<const alert_rule*> rules(spec.kinds.size(), nullptr);
  std::vector<anomaly> out;
  out.reserve(hits.size());
  for (auto& h : hits) {
    const auto& kind = spec.kinds[h.kind];
    if (!rules[h.kind]) {
      for (const auto& r : g.rules)
        if (r.id == kind.rule.id) rules[h.kind] = &r;
      if (!rules[h.kind]) rules[h.kind] = &g.rules.emplace_back(kind.rule);
    }
    const entity& x = g.entities[h.entity];
    alert_ref a;
    a.id = stable_id_hex("anomaly\n" + kind.name + "\n" + x.id);
    a.rule = rules[h.kind];
    a.time = h.time;
    auto host = std::find(g.hosts.begin(), g.hosts.end(), x.host);
    a.host = host != g.hosts.end() ? std::string_view(*host) : std::string_view(g.hosts.emplace_back(x.host));
    a.candidates = {h.entity};
    a.entity = h.entity;
    out.push_back({kind.name, static_cast<std::uint32_t>(g.alerts.size()), h.entity, std::move(h.detail), h.seen_before});
    g.alerts.push_back(std::move(a));
  }
  if (!out.empty()) g.index();
  return out;
}

std::string anomaly_to_jsonl(const graph& g, const anomaly& a) {
  const alert_ref& al = g.alerts[a.alert];
  std::string o = "{\"type\":\"anomaly\",\"id\":";
  append_json_string(o, al.id);
  o += ",\"rule\":{\"id\":";
  append_json_string(o, al.rule->id);
  o += ",\"title\":";
  append_json_string(o, al.rule->title);
  o += ",\"level\":";
  append_json_string(o, al.rule->level);
  o += ",\"tactics\":";
  append_json_string_list(o, al.rule->tactics);
  o += ",\"techniques\":";
  append_json_string_list(o, al.rule->techniques);
  o += "},\"kind\":";
  append_json_string(o, a.kind);
  o += ",\"time\":";
  if (al.time == k_no_time) o += "null";
  else append_json_string(o, format_rfc3339(al.time));
  o += ",\"host\":";
  append_json_string(o, al.host);
  o += ",\"detail\":";
  append_json_string(o, a.detail);
  o += fmt::format(",\"seen_before\":{},\"entity\":", a.seen_before);
  o += entity_json(g, a.entity);
  o.push_back('}');
  return o;
}

}  // namespace ariadne::graph
