#include "ariadne/graph/narrative.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_set>

#include "ariadne/core/text.hpp"
#include "ariadne/core/time.hpp"
#include "ariadne/core/yaml.hpp"
#include "ariadne/graph/incident.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& narrative_data();
}

namespace ariadne::graph {
namespace {

struct item {
  std::string value, field;
  std::vector<std::string> evidence;
};

// Fills one template: each {slot} with a value or a list of them.
class sentence_builder {
 public:
  sentence_builder(const narrative_templates& t, std::string kind, const narrative_options& o)
      : t_(t), o_(o), kind_(std::move(kind)) {}

  sentence_builder& one(const std::string& slot, std::string value, std::string field, std::vector<std::string> evidence) {
    if (value.empty()) return *this;
    slots_[slot] = value;
    facts_.push_back({slot, std::move(value), std::move(field), std::move(evidence)});
    return *this;
  }
  // "a, b and c"; in the short form at most o.max_items, then "N more".
  sentence_builder& list(const std::string& slot, std::vector<item> items) {
    if (items.empty()) return *this;
    std::size_t shown = o_.long_form ? items.size() : std::min(items.size(), o_.max_items);
    std::vector<std::string> parts;
    for (std::size_t k = 0; k < shown; ++k) {
      parts.push_back(items[k].value);
      facts_.push_back({slot, items[k].value, items[k].field, items[k].evidence});
    }
    if (shown < items.size()) {
      std::vector<std::string> rest;
      for (std::size_t k = shown; k < items.size(); ++k)
        rest.insert(rest.end(), items[k].evidence.begin(), items[k].evidence.end());
      std::string n = std::to_string(items.size() - shown);
      std::string more = t_.more;
      if (auto at = more.find("{count}"); at != std::string::npos) more.replace(at, 7, n);
      parts.push_back(more);
      // The count is of items the logs name: each left-out item cites its evidence.
      facts_.push_back({slot, n, "items", rest});
    }
    std::string joined;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (k) joined += k + 1 == parts.size() ? " " + t_.and_word + " " : ", ";
      joined += parts[k];
    }
    slots_[slot] = joined;
    return *this;
  }
  // The sentence, or one with empty text when its template is missing or
  // names a slot nothing filled.
  narrative_sentence build() {
    narrative_sentence s;
    s.kind = kind_;
    auto it = t_.sentences.find(kind_);
    if (it == t_.sentences.end()) return s;
    // {slot}: a value; a [segment] is left out when a slot in it has none;
    // outside segments a slot without a value leaves the sentence out.
    const std::string& tpl = it->second;
    std::string out, segment;
    bool in_segment = false, segment_ok = true;
    std::set<std::string> told, segment_slots;
    for (std::size_t k = 0; k < tpl.size();) {
      char c = tpl[k];
      if (c == '[' && !in_segment) {
        in_segment = true;
        segment_ok = true;
        segment.clear();
        ++k;
        continue;
      }
      if (c == ']' && in_segment) {
        if (segment_ok) {
          out += segment;
          told.insert(segment_slots.begin(), segment_slots.end());
        }
        segment_slots.clear();
        in_segment = false;
        ++k;
        continue;
      }
      std::string& into = in_segment ? segment : out;
      if (c == '{') {
        auto close = tpl.find('}', k);
        if (close == std::string::npos) return s;
        auto slot = slots_.find(tpl.substr(k + 1, close - k - 1));
        if (slot == slots_.end()) {
          if (!in_segment) return s;
          segment_ok = false;
        } else {
          into += slot->second;
          (in_segment ? segment_slots : told).insert(slot->first);
        }
        k = close + 1;
        continue;
      }
      into.push_back(c);
      ++k;
    }
    s.text = std::move(out);
    // Facts of slots the text left out (an optional segment) are not told.
    for (auto& f : facts_)
      if (told.count(f.slot)) s.facts.push_back(std::move(f));
    return s;
  }

 private:
  const narrative_templates& t_;
  const narrative_options& o_;
  std::string kind_;
  std::map<std::string, std::string> slots_;
  std::vector<narrative_fact> facts_;
};

std::string base_of(std::string_view path) {
  auto cut = path.find_last_of("\\/");
  return std::string(cut == std::string_view::npos ? path : path.substr(cut + 1));
}

bool notable_file(std::string_view path) {
  static constexpr std::string_view k_ext[] = {".dmp", ".exe", ".dll", ".sys", ".ps1", ".bat", ".cmd", ".vbs", ".js",
                                               ".hta", ".scr", ".zip", ".7z", ".rar", ".kirbi", ".ccache"};
  std::string low = to_lower_ascii(path);
  for (auto e : k_ext)
    if (low.size() > e.size() && low.compare(low.size() - e.size(), e.size(), e) == 0) return true;
  return false;
}

time_ns when(const entity& x) { return x.start != k_no_time ? x.start : x.first; }

// At most `n` bytes of `s`, not cutting a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

std::string narrative::text() const {
  std::string out;
  for (const auto& s : sentences) {
    if (s.text.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += s.text;
  }
  return out;
}

std::string narrative_time(time_ns t, std::string_view utc) {
  if (t == k_no_time) return {};
  std::string s = format_rfc3339(t).substr(0, 19);
  s[10] = ' ';
  return s + " " + std::string(utc);
}

result<narrative_templates> narrative_templates::parse(std::string_view text, std::string_view file) {
  auto docs = yaml::parse(text, file);
  if (!docs) return unexpected(docs.error());
  if (docs->size() != 1 || !(*docs)[0].root.is_mapping())
    return make_error(errc::parse, "a narrative file is one YAML mapping", {std::string(file), 1});
  const yaml::node& root = (*docs)[0].root;
  narrative_templates t;
  auto word = [&](const char* key, std::string& out) -> result<void> {
    if (const yaml::node* n = root.find(key)) {
      if (!n->is_scalar()) return make_error(errc::parse, std::string("'") + key + "' must be text", {std::string(file), n->line, n->column});
      out = n->text;
    }
    return {};
  };
  if (auto r = word("and", t.and_word); !r) return unexpected(r.error());
  if (auto r = word("more", t.more); !r) return unexpected(r.error());
  if (auto r = word("utc", t.utc); !r) return unexpected(r.error());
  const yaml::node* s = root.find("sentences");
  if (!s || !s->is_mapping()) return make_error(errc::parse, "'sentences' must be a mapping of templates", {std::string(file), root.line, root.column});
  for (std::size_t k = 0; k < s->map_size(); ++k) {
    const auto& v = s->val(k);
    if (!v.is_scalar()) return make_error(errc::parse, "sentence '" + s->key(k).text + "' must be text", {std::string(file), v.line, v.column});
    std::size_t depth = 0;
    for (char c : v.text) {
      if (c == '{' && depth++ > 0) depth = 99;
      if (c == '}' && depth-- == 0) depth = 99;
    }
    if (depth != 0) return make_error(errc::parse, "sentence '" + s->key(k).text + "' has unbalanced braces", {std::string(file), v.line, v.column});
    t.sentences[s->key(k).text] = v.text;
  }
  return t;
}

const narrative_templates& narrative_templates::builtin() {
  static const narrative_templates t = [] {
    const auto& files = embedded::narrative_data();
    ARIADNE_ASSERT(files.size() == 1, "exactly one narrative file is embedded (src/CMakeLists.txt)");
    auto r = parse(files[0].second, files[0].first);
    ARIADNE_ASSERT(r.has_value(), "the embedded narrative file is valid (a unit test loads it)");
    return std::move(*r);
  }();
  return t;
}

narrative tell(const graph& g, const std::vector<incident>& all, const incident& inc, const narrative_options& opts) {
  const narrative_templates& T = opts.templates ? *opts.templates : narrative_templates::builtin();
  narrative n;
  std::vector<narrative_sentence> out;
  auto add = [&](narrative_sentence s) {
    if (!s.text.empty()) out.push_back(std::move(s));
  };
  auto b = [&](const char* kind) { return sentence_builder(T, kind, opts); };
  auto at = [&](time_ns t) { return narrative_time(t, T.utc); };
  auto eid = [&](std::uint32_t e) { return g.entities[e].id; };
  auto aid = [&](std::uint32_t a) { return g.alerts[a].id; };
  if (inc.alerts.empty()) return n;

  // One alert (or one alert's repeats on one process): one sentence.
  if (inc.distinct_alerts <= 1) {
    std::uint32_t a = inc.headline != k_none ? inc.headline : inc.alerts.front();
    const alert_ref& al = g.alerts[a];
    auto s = b(al.entity != k_none ? "single" : "single_alone");
    s.one("host", std::string(al.host), "host", {aid(a)})
        .one("time", at(al.time), "time", {aid(a)})
        .one("alert", title_of(al), "alert", {aid(a)});
    if (al.entity != k_none) s.one("entity", g.label(al.entity), "entity", {eid(al.entity)});
    add(s.build());
    n.sentences = std::move(out);
    return n;
  }

  // The chain: what the root led to (children, injections, services it
  // created and what they started, files it wrote and what ran them).
  const std::uint32_t root = inc.root;
  std::vector<std::uint32_t> chain;
  std::unordered_set<std::uint32_t> in_chain;
  std::map<std::uint32_t, std::uint32_t> injected_by;  // target -> injector
  // A system process (a hub) the chain injected code into is followed only
  // from the injection on; other hubs not at all (their children are not
  // the attack's). At most k_max_chain entities.
  constexpr std::size_t k_max_chain = 4096;
  std::map<std::uint32_t, time_ns> since;  // injected target -> injection time
  if (root != k_none) {
    chain.push_back(root);
    in_chain.insert(root);
    for (std::size_t k = 0; k < chain.size() && chain.size() < k_max_chain; ++k) {
      std::uint32_t e = chain[k];
      auto from = since.find(e);
      if (e != root && g.entities[e].hub && from == since.end()) continue;
      for (auto ei : g.out[e]) {
        const edge& ed = g.edges[ei];
        if (from != since.end() && (ed.time == k_no_time || ed.time < from->second)) continue;
        auto kind = g.edge_kind_name(ed.kind);
        const entity& to = g.entities[ed.to];
        bool follow = (kind == "spawned" || kind == "injected" || kind == "started" || kind == "runs") &&
                      to.kind == entity_kind::process;
        follow = follow || (kind == "created" && (to.kind == entity_kind::service || to.kind == entity_kind::task));
        if (follow && in_chain.insert(ed.to).second) {
          chain.push_back(ed.to);
          if (kind == "injected") {
            injected_by.emplace(ed.to, e);
            if (ed.time != k_no_time) since.emplace(ed.to, ed.time);
          }
        }
        if (kind == "wrote" && to.kind == entity_kind::file)
          for (auto back : g.in[ed.to])
            if (g.edge_kind_name(g.edges[back].kind) == "executes" && in_chain.insert(g.edges[back].from).second)
              chain.push_back(g.edges[back].from);
      }
    }
  }
  std::vector<std::uint32_t> procs;  // the chain's processes but the root, by start
  for (auto e : chain)
    if (e != root && g.entities[e].kind == entity_kind::process) procs.push_back(e);
  std::sort(procs.begin(), procs.end(), [&](auto x, auto y) {
    return std::pair(when(g.entities[x]), g.entities[x].id) < std::pair(when(g.entities[y]), g.entities[y].id);
  });
  // Items named by a base name, repeats merged (their evidence joined).
  auto by_name = [](std::vector<item>& items, std::map<std::string, std::size_t>& index, std::string name,
                    const char* field, std::string evidence) {
    if (name.empty()) return;
    auto [it, fresh] = index.emplace(name, items.size());
    if (fresh) items.push_back({std::move(name), field, {}});
    items[it->second].evidence.push_back(std::move(evidence));
  };

  // How it started.
  const alert_ref& head = g.alerts[inc.headline != k_none ? inc.headline : inc.alerts.front()];
  const entity* r = root != k_none ? &g.entities[root] : nullptr;
  if (r && r->kind == entity_kind::process && !r->image.empty()) {
    auto s = b(r->user.empty() ? "ran_nouser" : "ran");
    s.one("host", r->host, "host", {eid(root)})
        .one("user", r->user, "user", {eid(root)})
        .one("image", base_of(r->image), "image", {eid(root)})
        .one("time", at(when(*r)), "time", {eid(root)});
    add(s.build());
    // Where its program came from.
    bool has_parent = false;
    for (auto ei : g.in[root])
      if (g.edge_kind_name(g.edges[ei].kind) == "spawned") has_parent = true;
    bool told = false;
    for (auto ei : g.out[root]) {
      if (told || g.edge_kind_name(g.edges[ei].kind) != "executes") continue;
      std::uint32_t f = g.edges[ei].to;
      std::uint32_t writer = k_none;
      time_ns wrote_at = k_no_time;
      for (auto wi : g.in[f]) {
        const edge& w = g.edges[wi];
        if (g.edge_kind_name(w.kind) != "wrote" || g.entities[w.from].kind != entity_kind::process) continue;
        if (writer == k_none || (w.time != k_no_time && w.time < wrote_at)) {
          writer = w.from;
          wrote_at = w.time;
        }
      }
      if (writer == k_none) continue;
      const entity& file = g.entities[f];
      auto s2 = b(file.source.empty() ? "written" : "downloaded");
      s2.one("file", base_of(file.name), "file", {eid(f)})
          .one("writer", base_of(g.entities[writer].image), "image", {eid(writer)})
          .one("url", file.source, "url", {eid(f)})
          .one("time", at(wrote_at), "time", {eid(writer), eid(f)});
      add(s2.build());
      told = true;
    }
    if (!told && !has_parent && !r->user_shell) {
      auto s2 = b("no_origin");
      s2.one("image", base_of(r->image), "image", {eid(root)});
      add(s2.build());
    }
  } else if (r && r->kind == entity_kind::session && !r->source.empty()) {
    auto s = b("logon");
    s.one("host", r->host, "host", {eid(root)})
        .one("user", r->user, "user", {eid(root)})
        .one("source", r->source, "source", {eid(root)})
        .one("logon_type", r->logon_type, "logon_type", {eid(root)})
        .one("time", at(when(*r)), "time", {eid(root)});
    add(s.build());
  } else if (r && r->kind == entity_kind::session && !r->user.empty()) {
    auto s = b("session");
    s.one("host", r->host, "host", {eid(root)})
        .one("user", r->user, "user", {eid(root)})
        .one("time", at(when(*r)), "time", {eid(root)});
    add(s.build());
  } else {
    std::uint32_t h = inc.headline != k_none ? inc.headline : inc.alerts.front();
    auto s = b("began");
    s.one("host", std::string(head.host), "host", {aid(h)})
        .one("time", at(g.alerts[inc.alerts.front()].time), "time", {aid(inc.alerts.front())})
        .one("alert", title_of(g.alerts[inc.alerts.front()]), "alert", {aid(inc.alerts.front())});
    add(s.build());
    if (r) add(b("root_unknown").one("entity", g.label(root), "entity", {eid(root)}).build());
  }

  // What ran, and what it injected into.
  {
    std::vector<item> images;
    std::map<std::string, std::size_t> at_name;
    for (auto p : procs)
      if (!injected_by.count(p)) by_name(images, at_name, base_of(g.entities[p].image), "image", eid(p));
    if (!images.empty()) add(b("started").list("images", std::move(images)).build());
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<item>>> by_injector;
    std::map<std::string, std::map<std::string, std::size_t>> at_target;
    for (auto p : procs) {
      auto it = injected_by.find(p);
      if (it == injected_by.end()) continue;
      std::string who = base_of(g.entities[it->second].image);
      auto& slot = by_injector[who];
      slot.first.push_back(eid(it->second));
      by_name(slot.second, at_target[who], base_of(g.entities[p].image), "image", eid(p));
    }
    for (auto& [who, v] : by_injector)
      add(b("injected").one("image", who, "image", {v.first.front()}).list("targets", std::move(v.second)).build());
  }

  // Where it talked.
  auto per_image = [&](const char* edge_kind, auto&& accept) {
    // image -> (first time, destinations)
    std::map<std::string, std::pair<time_ns, std::vector<item>>> by;
    std::map<std::string, std::vector<std::string>> who;
    std::set<std::pair<std::string, std::string>> dup;
    for (auto p : chain) {
      if (g.entities[p].kind != entity_kind::process) continue;
      for (auto ei : g.out[p]) {
        const edge& ed = g.edges[ei];
        if (g.edge_kind_name(ed.kind) != edge_kind || !accept(g.entities[ed.to])) continue;
        std::string img = base_of(g.entities[p].image);
        std::string dest = g.entities[ed.to].name;
        if (g.entities[ed.to].kind == entity_kind::ip && ed.port) dest += ":" + std::to_string(ed.port);
        if (!dup.emplace(img, dest).second) continue;
        auto& slot = by[img];
        if (slot.second.empty() || (ed.time != k_no_time && ed.time < slot.first)) slot.first = ed.time;
        slot.second.push_back({dest, g.entities[ed.to].kind == entity_kind::ip ? "destination" : "domain", {eid(p), eid(ed.to)}});
        who[img].push_back(eid(p));
      }
    }
    std::vector<std::pair<time_ns, std::string>> order;
    for (const auto& [img, v] : by) order.emplace_back(v.first, img);
    std::sort(order.begin(), order.end());
    return std::make_tuple(std::move(by), std::move(who), std::move(order));
  };
  {
    // Per destination (address and port), the programs that reached it, by first contact.
    struct dest { time_ns first = k_no_time; std::uint32_t ip = k_none; std::uint16_t port = 0; std::vector<item> images;
                  std::map<std::string, std::size_t> at; };
    std::map<std::string, dest> dests;
    for (auto p : chain) {
      // A process the logs name no program for cannot be told (hostile or partial logs).
      if (g.entities[p].kind != entity_kind::process || g.entities[p].image.empty()) continue;
      for (auto ei : g.out[p]) {
        const edge& ed = g.edges[ei];
        if (g.edge_kind_name(ed.kind) != "connected" || g.entities[ed.to].kind != entity_kind::ip) continue;
        std::string where = g.entities[ed.to].name + (ed.port ? ":" + std::to_string(ed.port) : "");
        dest& d = dests[where];
        if (d.ip == k_none) d.ip = ed.to, d.port = ed.port;
        if (d.first == k_no_time || (ed.time != k_no_time && ed.time < d.first)) d.first = ed.time;
        by_name(d.images, d.at, base_of(g.entities[p].image), "image", eid(p));
      }
    }
    std::vector<std::pair<time_ns, std::string>> order;
    for (const auto& [where, d] : dests) order.emplace_back(d.first, where);
    std::sort(order.begin(), order.end());
    std::size_t told = 0;
    for (const auto& [t, where] : order) {
      dest& d = dests[where];
      if (d.images.empty() || d.images.front().evidence.empty()) continue;
      if (!opts.long_form && told++ >= 2) break;
      // The destination cites the first program that reached it and the address.
      std::string first_proc = d.images.front().evidence.front();
      add(b("connected")
              .list("images", std::move(d.images))
              .one("destination", where, "destination", {first_proc, eid(d.ip)})
              .build());
    }
  }
  if (opts.long_form) {
    auto [by, who, order] = per_image("resolved", [](const entity& x) { return x.kind == entity_kind::domain; });
    for (const auto& [t, img] : order)
      add(b("resolved").one("image", img, "image", {who[img].front()}).list("domains", by[img].second).build());
  }

  // What it touched: LSASS.
  {
    std::vector<std::uint32_t> readers = chain;
    for (auto e : inc.entities)
      if (!in_chain.count(e)) readers.push_back(e);
    std::vector<item> images;
    std::map<std::string, std::size_t> at_name;
    time_ns first = k_no_time;
    std::vector<std::string> first_ev;
    for (auto p : readers) {
      if (g.entities[p].kind != entity_kind::process) continue;
      for (auto ei : g.out[p]) {
        const edge& ed = g.edges[ei];
        if (g.edge_kind_name(ed.kind) != "accessed" || base_name_lower(g.entities[ed.to].image) != "lsass.exe") continue;
        by_name(images, at_name, base_of(g.entities[p].image), "image", eid(p));
        if (ed.time != k_no_time && (first == k_no_time || ed.time < first)) {
          first = ed.time;
          first_ev = {eid(p), eid(ed.to)};
        }
      }
    }
    if (!images.empty())
      add(b("lsass").list("images", std::move(images)).one("time", at(first), "time", first_ev).build());
  }

  // What it left: notable files, services, tasks.
  {
    // Writers of memory dumps first, then of programs and scripts; by time.
    struct writes { int rank = 2; time_ns first = k_no_time; std::uint32_t proc = k_none; std::vector<item> files;
                    std::map<std::string, std::size_t> at; };
    std::vector<writes> all_writes;
    for (auto p : chain) {
      if (g.entities[p].kind != entity_kind::process) continue;
      writes w;
      w.proc = p;
      for (auto ei : g.out[p]) {
        const edge& ed = g.edges[ei];
        const entity& f = g.entities[ed.to];
        if (g.edge_kind_name(ed.kind) != "wrote" || f.kind != entity_kind::file || !notable_file(f.name)) continue;
        by_name(w.files, w.at, base_of(f.name), "file", eid(ed.to));
        if (to_lower_ascii(f.name).ends_with(".dmp")) w.rank = 1;
        if (ed.time != k_no_time && (w.first == k_no_time || ed.time < w.first)) w.first = ed.time;
      }
      if (!w.files.empty()) all_writes.push_back(std::move(w));
    }
    std::sort(all_writes.begin(), all_writes.end(), [&](const writes& x, const writes& y) {
      return std::tie(x.rank, x.first, g.entities[x.proc].id) < std::tie(y.rank, y.first, g.entities[y.proc].id);
    });
    for (std::size_t k = 0; k < all_writes.size() && (opts.long_form || k < 2); ++k)
      add(b("wrote")
              .one("image", base_of(g.entities[all_writes[k].proc].image), "image", {eid(all_writes[k].proc)})
              .list("files", std::move(all_writes[k].files))
              .build());
    std::vector<std::uint32_t> actors = chain;
    for (auto e : inc.entities)
      if (!in_chain.count(e)) actors.push_back(e);
    std::set<std::uint32_t> done;
    for (auto a : actors)
      for (auto ei : g.out[a]) {
        const edge& ed = g.edges[ei];
        const entity& x = g.entities[ed.to];
        if (g.edge_kind_name(ed.kind) != "created" || !done.insert(ed.to).second) continue;
        if (x.kind != entity_kind::service && x.kind != entity_kind::task) continue;
        const entity& actor = g.entities[a];
        std::string who = actor.kind == entity_kind::process ? base_of(actor.image) : actor.user;
        const char* field = actor.kind == entity_kind::process ? "image" : "user";
        auto s = b(x.kind == entity_kind::service ? "service" : "task");
        s.one("actor", who, field, {eid(a)})
            .one(x.kind == entity_kind::service ? "service" : "task", x.name, x.kind == entity_kind::service ? "service" : "task",
                 {eid(ed.to)});
        // A long command line is cut (an exact prefix, marked with an ellipsis).
        if (!x.image.empty()) {
          std::string img = x.image;
          if (!opts.long_form && img.size() > 80) img = utf8_prefix(img, 77) + "\u2026";
          s.one("service_image", img, "service_image", {eid(ed.to)});
        }
        add(s.build());
      }
  }

  // How it spread: remote logons into it, and linked incidents.
  {
    std::size_t told = 0;
    std::set<std::tuple<std::string, std::string, std::string>> logons;
    for (auto e : inc.entities) {
      const entity& x = g.entities[e];
      if (e == root || x.kind != entity_kind::session || x.source.empty() || x.user.empty()) continue;
      if (r && r->kind == entity_kind::session && r->user == x.user && r->source == x.source) continue;  // told
      if (!logons.emplace(x.user, x.host, x.source).second) continue;  // the same logon again
      if (!opts.long_form && told++ >= 2) break;
      add(b("remote_logon")
              .one("user", x.user, "user", {eid(e)})
              .one("host", x.host, "host", {eid(e)})
              .one("source", x.source, "source", {eid(e)})
              .one("time", at(when(x)), "time", {eid(e)})
              .build());
    }
    std::map<std::string, std::vector<std::size_t>> by_via;
    for (const auto& l : inc.links) by_via[l.via].push_back(l.incident);
    for (const auto& [via, idx] : by_via) {
      std::vector<item> incs;
      for (auto k : idx) {
        std::string hosts;
        for (const auto& h : all[k].hosts) hosts += (hosts.empty() ? "" : ",") + h;
        incs.push_back({all[k].id.substr(0, 12) + " on " + hosts, "incident", {all[k].id}});
      }
      add(b("linked").list("incidents", std::move(incs)).one("via", via, "via", {inc.id}).build());
    }
  }

  // What it names, and repeats.
  {
    std::vector<item> techs;
    std::map<std::string, std::size_t> at_tech;
    for (auto a : inc.alerts) {
      const alert_rule* rule = g.alerts[a].rule;
      if (!rule) continue;
      for (const auto& t : rule->techniques) {
        auto [it, fresh] = at_tech.emplace(t, techs.size());
        if (fresh) techs.push_back({t, "technique", {}});
        auto& ev = techs[it->second].evidence;
        if (ev.empty() || ev.back() != aid(a)) ev.push_back(aid(a));
      }
    }
    if (!techs.empty()) add(b("techniques").list("techniques", std::move(techs)).build());
    std::map<const alert_rule*, std::vector<std::uint32_t>> by_rule;
    for (auto a : inc.alerts)
      if (g.alerts[a].rule) by_rule[g.alerts[a].rule].push_back(a);
    const std::vector<std::uint32_t>* most = nullptr;
    for (const auto& [rule, v] : by_rule)
      if (!most || v.size() > most->size()) most = &v;
    if (most && most->size() >= 5) {
      std::vector<std::string> ids;
      time_ns first = k_no_time, last = k_no_time;
      std::uint32_t fa = most->front(), la = most->front();
      for (auto a : *most) {
        ids.push_back(aid(a));
        time_ns t = g.alerts[a].time;
        if (t != k_no_time && (first == k_no_time || t < first)) first = t, fa = a;
        if (t != k_no_time && (last == k_no_time || t > last)) last = t, la = a;
      }
      add(b("repeated")
              .one("alert", title_of(g.alerts[most->front()]), "alert", {aid(most->front())})
              .one("count", std::to_string(most->size()), "count", ids)
              .one("first", at(first), "time", {aid(fa)})
              .one("last", at(last), "time", {aid(la)})
              .build());
    }
  }

  // What ariadne is unsure of: alerts on activity not connected to the root.
  if (root != k_none) {
    // What made the root's program (the browser that downloaded it, also
    // through the file's Zone.Identifier stream) is its origin, told above.
    if (r && r->kind == entity_kind::process)
      for (auto xi : g.out[root])
        if (g.edge_kind_name(g.edges[xi].kind) == "executes")
          for (auto wi : g.in[g.edges[xi].to])
            if (g.edge_kind_name(g.edges[wi].kind) == "wrote") in_chain.insert(g.edges[wi].from);
    std::vector<std::string> ids;
    std::vector<item> where;
    std::set<std::uint32_t> seen;
    for (auto a : inc.alerts) {
      std::uint32_t e = g.alerts[a].entity;
      if (e == k_none || in_chain.count(e)) continue;
      // Alerts on what the root's chain touched (a file it wrote, an address) are connected.
      bool touched = false;
      for (auto ei : g.in[e])
        if (in_chain.count(g.edges[ei].from)) touched = true;
      // Another logon from the root's source is the same story.
      const entity& x = g.entities[e];
      if (r && r->kind == entity_kind::session && x.kind == entity_kind::session && !r->source.empty() &&
          x.source == r->source)
        touched = true;
      if (touched) continue;
      ids.push_back(aid(a));
      if (seen.insert(e).second) where.push_back({g.label(e), "entity", {eid(e)}});
    }
    if (!ids.empty())
      add(b("unconnected").one("count", std::to_string(ids.size()), "count", ids).list("entities", std::move(where)).build());
  }
  if (!opts.verdict.empty()) add(b("attribution").one("verdict", opts.verdict, "verdict", {}).build());

  if (!opts.long_form && out.size() > opts.max_sentences) {
    out.resize(opts.max_sentences - 1);
    add(b("cut").build());
  }
  n.sentences = std::move(out);
  return n;
}

std::string narrative_json(const narrative& n) {
  std::string o = "{\"text\":";
  append_json_string(o, n.text());
  o += ",\"sentences\":[";
  for (std::size_t k = 0; k < n.sentences.size(); ++k) {
    const auto& s = n.sentences[k];
    if (k) o.push_back(',');
    o += "{\"kind\":";
    append_json_string(o, s.kind);
    o += ",\"text\":";
    append_json_string(o, s.text);
    o += ",\"facts\":[";
    for (std::size_t f = 0; f < s.facts.size(); ++f) {
      const auto& x = s.facts[f];
      if (f) o.push_back(',');
      o += "{\"slot\":";
      append_json_string(o, x.slot);
      o += ",\"value\":";
      append_json_string(o, x.value);
      o += ",\"field\":";
      append_json_string(o, x.field);
      o += ",\"evidence\":";
      append_json_string_list(o, x.evidence);
      o += "}";
    }
    o += "]}";
  }
  o += "]}";
  return o;
}

}  // namespace ariadne::graph
