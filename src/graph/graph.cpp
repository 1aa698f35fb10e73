// The entity graph: the mapping file, and the builder that turns events
// into entities and edges (docs/incidents.md).
#include "ariadne/graph/graph.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <unordered_set>

#include "ariadne/core/text.hpp"
#include "ariadne/core/yaml.hpp"

namespace ariadne::embedded {
const std::vector<std::pair<std::string_view, std::string_view>>& graph_data();
}

namespace ariadne::graph {
namespace {

constexpr std::array<std::string_view, k_entity_kinds> k_kind_names = {
    "process", "file", "ip", "domain", "session", "user", "service", "task", "registry", "script", "host", "object"};

// Attributes each kind accepts in the mapping file.
bool attr_allowed(entity_kind k, std::string_view a) {
  switch (k) {
    case entity_kind::process:
      return a == "guid" || a == "pid" || a == "image" || a == "command_line" || a == "user" || a == "logon_id";
    case entity_kind::file: return a == "path" || a == "origin";
    case entity_kind::ip: return a == "address" || a == "port" || a == "name";
    case entity_kind::domain: return a == "name";
    case entity_kind::session:
      return a == "logon_id" || a == "user" || a == "domain" || a == "logon_type" || a == "source" ||
             a == "workstation";
    case entity_kind::user: return a == "name" || a == "domain";
    case entity_kind::service: return a == "name" || a == "image";
    case entity_kind::task: return a == "name";
    case entity_kind::registry: return a == "key";
    case entity_kind::script: return a == "id";
    case entity_kind::host:
    case entity_kind::object: return a == "name";
  }
  return false;
}

std::vector<std::string> lowered(const yaml::node* n) {
  auto v = yaml::scalar_list(n);
  for (auto& s : v) s = to_lower_ascii(s);
  return v;
}

constexpr time_ns k_second = 1'000'000'000;

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string_view kind_name(entity_kind k) { return k_kind_names[static_cast<std::size_t>(k)]; }

bool parse_kind(std::string_view s, entity_kind& out) {
  for (std::size_t k = 0; k < k_kind_names.size(); ++k)
    if (k_kind_names[k] == s) {
      out = static_cast<entity_kind>(k);
      return true;
    }
  return false;
}

std::vector<std::string> tactics_from_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& tag : tags) {
    if (tag.size() < 8 || tag.compare(0, 7, "attack.") != 0) continue;
    std::string_view rest(tag);
    rest.remove_prefix(7);
    bool id_like = rest.size() >= 5 && (rest[0] == 't' || rest[0] == 'g' || rest[0] == 's') &&
                   std::isdigit(static_cast<unsigned char>(rest[1]));
    if (!id_like) out.emplace_back(rest);
  }
  return out;
}

std::string_view severity_name(int severity) {
  static constexpr std::string_view k_names[] = {"informational", "low", "medium", "high", "critical"};
  return k_names[std::clamp(severity, 0, 4)];
}

std::string base_name_lower(std::string_view path) {
  auto pos = path.find_last_of("\\/");
  if (pos != std::string_view::npos) path.remove_prefix(pos + 1);
  return to_lower_ascii(path);
}

std::int64_t parse_number(std::string_view s) {
  s = trim(s);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  std::int64_t v = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0 ? -1 : v;
}

// ------------------------------------------------------------------ graph

void graph::index() {
  out.assign(entities.size(), {});
  in.assign(entities.size(), {});
  alerts_of.assign(entities.size(), {});
  for (std::uint32_t k = 0; k < edges.size(); ++k) {
    out[edges[k].from].push_back(k);
    in[edges[k].to].push_back(k);
  }
  for (std::uint32_t k = 0; k < alerts.size(); ++k)
    if (alerts[k].entity != k_none) alerts_of[alerts[k].entity].push_back(k);
}

std::uint16_t graph::edge_kind(std::string_view name) {
  for (std::size_t k = 0; k < edge_kinds.size(); ++k)
    if (edge_kinds[k] == name) return static_cast<std::uint16_t>(k);
  edge_kinds.emplace_back(name);
  return static_cast<std::uint16_t>(edge_kinds.size() - 1);
}

int graph::tactic_rank(std::string_view tactic) const {
  for (std::size_t k = 0; k < tactic_order.size(); ++k)
    if (tactic_order[k] == tactic) return static_cast<int>(k);
  return -1;
}

std::string graph::label(std::uint32_t e) const {
  const entity& x = entities[e];
  std::string s(kind_name(x.kind));
  s += ' ';
  switch (x.kind) {
    case entity_kind::process: {
      s += x.image.empty() ? std::string("(image unknown)") : x.image;
      if (x.pid >= 0) s += " (pid " + std::to_string(x.pid) + ")";
      break;
    }
    case entity_kind::session: {
      s += x.logon_id;
      if (!x.user.empty()) s += " of " + x.user;
      if (!x.source.empty()) s += " from " + x.source;
      else if (!x.workstation.empty()) s += " from workstation " + x.workstation;
      if (!x.logon_type.empty()) s += " (logon type " + x.logon_type + ")";
      break;
    }
    case entity_kind::service: {
      s += x.name;
      if (!x.image.empty()) s += ": " + x.image;
      break;
    }
    default: s += x.name; break;
  }
  return s;
}

// ---------------------------------------------------------------- mapping

result<mapping> mapping::parse(std::string_view text, std::string_view file) {
  auto docs = yaml::parse(text, file);
  if (!docs) return unexpected(docs.error());
  auto err = [&](std::uint32_t line, std::string msg) {
    return make_error(errc::parse, std::move(msg), {std::string(file), line});
  };
  if (docs->empty() || !docs->front().root.is_mapping()) return err(1, "graph mapping must be a YAML mapping");
  const auto& root = docs->front().root;
  auto& fields = field_names();
  mapping m;
  m.tactics = lowered(root.find("tactics"));
  m.glue_edges = yaml::scalar_list(root.find("glue_edges"));
  if (const auto* h = root.find("hubs"); h && h->is_mapping()) {
    m.hubs.images = lowered(h->find("images"));
    m.hubs.user_shells = lowered(h->find("user_shells"));
    m.hubs.logon_ids = lowered(h->find("logon_ids"));
    m.hubs.users = lowered(h->find("users"));
    m.hubs.local_addresses = lowered(h->find("local_addresses"));
    if (const auto* md = h->find("max_degree"); md && md->is_mapping())
      for (std::size_t k = 0; k < md->map_size(); ++k) {
        entity_kind kind{};
        if (!parse_kind(md->key(k).text, kind)) return err(md->key(k).line, "unknown entity kind '" + md->key(k).text + "'");
        auto n = parse_int64(md->val(k).text);
        if (!n || *n < 0) return err(md->val(k).line, "max_degree needs a number");
        m.hubs.max_degree[static_cast<std::size_t>(kind)] = static_cast<std::uint32_t>(*n);
      }
  }
  const auto* evs = root.find("events");
  if (!evs || !evs->is_sequence()) return err(root.line, "graph mapping needs an 'events' list");
  for (const auto& e : evs->items) {
    if (!e.is_mapping()) return err(e.line, "each event entry must be a mapping");
    event_spec spec;
    if (const auto* n = e.find("name")) spec.name = n->text;
    if (const auto* c = e.find("channel")) spec.channel = to_lower_ascii(c->text);
    for (const auto& id : yaml::scalar_list(e.find("ids"))) {
      auto n = parse_int64(id);
      if (!n) return err(e.line, "event ids must be numbers: '" + id + "'");
      spec.ids.push_back(*n);
    }
    const auto* ents = e.find("entities");
    if (!ents || !ents->is_mapping()) return err(e.line, "event entry '" + spec.name + "' needs 'entities'");
    for (std::size_t k = 0; k < ents->map_size(); ++k) {
      entity_spec es;
      es.name = ents->key(k).text;
      const auto& body = ents->val(k);
      if (!body.is_mapping()) return err(body.line, "entity '" + es.name + "' must be a mapping");
      const auto* kind = body.find("kind");
      if (!kind || !parse_kind(kind->text, es.kind))
        return err(body.line, "entity '" + es.name + "' needs a known kind (process, file, ip, domain, session, user, "
                              "service, task, registry, script, host)");
      for (std::size_t a = 0; a < body.map_size(); ++a) {
        const auto& an = body.key(a).text;
        if (an == "kind") continue;
        if (an == "start") {
          es.start = body.val(a).text == "true";
          continue;
        }
        if (!attr_allowed(es.kind, an))
          return err(body.key(a).line, "a " + std::string(kind_name(es.kind)) + " has no attribute '" + an + "'");
        value_spec vs;
        for (const auto& f : yaml::scalar_list(&body.val(a))) vs.fields.push_back(fields.intern(f));
        es.attrs.emplace_back(an, std::move(vs));
      }
      spec.entities.push_back(std::move(es));
    }
    auto entity_index = [&](std::string_view name, std::uint32_t& out) {
      for (std::uint32_t k = 0; k < spec.entities.size(); ++k)
        if (spec.entities[k].name == name) {
          out = k;
          return true;
        }
      return false;
    };
    if (const auto* eds = e.find("edges"); eds && eds->is_sequence())
      for (const auto& ed : eds->items) {
        edge_spec s;
        const auto* from = ed.find("from");
        const auto* to = ed.find("to");
        const auto* kind = ed.find("kind");
        if (!from || !to || !kind || !entity_index(from->text, s.from) || !entity_index(to->text, s.to))
          return err(ed.line, "an edge needs 'from' and 'to' naming entities of its entry, and a 'kind'");
        auto at = std::find(m.edge_kinds.begin(), m.edge_kinds.end(), kind->text);
        s.kind = static_cast<std::uint16_t>(at - m.edge_kinds.begin());
        if (at == m.edge_kinds.end()) m.edge_kinds.push_back(kind->text);
        spec.edges.push_back(s);
      }
    for (const auto& name : yaml::scalar_list(e.find("subject"))) {
      std::uint32_t idx = 0;
      if (!entity_index(name, idx)) return err(e.line, "subject '" + name + "' is not an entity of its entry");
      spec.subject.push_back(idx);
    }
    if (const auto* rl = e.find("remote_logon"); rl && rl->is_mapping()) {
      const auto* s = rl->find("session");
      const auto* src = rl->find("source");
      if (!s || !src || !entity_index(s->text, spec.remote_session) || !entity_index(src->text, spec.remote_source))
        return err(rl->line, "remote_logon needs 'session' and 'source' naming entities of its entry");
    }
    for (const auto& f : yaml::scalar_list(e.find("local_address"))) spec.local_address.push_back(fields.intern(f));
    auto idx = static_cast<std::uint32_t>(m.events.size());
    if (spec.ids.empty() && spec.channel.empty()) {
      if (m.any_ == k_none) m.any_ = idx;
    } else {
      auto& ch = m.channels_[spec.channel];
      if (spec.ids.empty() && ch.any == k_none) ch.any = idx;
      for (auto id : spec.ids) ch.ids.emplace(id, idx);
    }
    m.events.push_back(std::move(spec));
  }
  return m;
}

const mapping& mapping::builtin() {
  static const mapping m = [] {
    const auto& files = embedded::graph_data();
    ARIADNE_ASSERT(files.size() == 1, "exactly one graph mapping is embedded (src/CMakeLists.txt)");
    auto r = parse(files[0].second, files[0].first);
    ARIADNE_ASSERT(r.has_value(), "the embedded graph mapping is valid (a unit test loads it)");
    return std::move(*r);
  }();
  return m;
}

const mapping::channel_entries* mapping::channel(const std::string& lower) const {
  auto it = channels_.find(lower);
  return it == channels_.end() ? nullptr : &it->second;
}

const mapping::event_spec* mapping::find(const channel_entries* ch, std::int64_t id) const {
  if (ch) {
    if (auto it = ch->ids.find(id); it != ch->ids.end()) return &events[it->second];
    if (ch->any != k_none) return &events[ch->any];
  }
  return any_ == k_none ? nullptr : &events[any_];
}

// ---------------------------------------------------------------- builder

struct builder::impl {
  explicit impl(const mapping& mp) : m(mp) {
    reset_graph();
    f_channel = field_names().intern("Channel");
    f_event_id = field_names().intern("EventID");
  }
  const mapping& m;
  graph g;
  field_id f_channel, f_event_id;
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> keys;  // kind|host|key -> entity
  std::unordered_map<std::string, std::vector<std::uint32_t>, string_hash, std::equal_to<>> by_pid;  // host|pid -> processes
  std::vector<std::string> guids;                                      // per entity (processes)
  std::unordered_map<std::uint64_t, std::uint32_t> edge_at;            // from<<32|to -> first edge
  std::vector<std::uint32_t> edge_next;                                // same pair, other kind
  std::vector<std::uint32_t> pool;                                     // subjects of the current batch
  struct remembered {
    std::vector<std::uint32_t> entities;
    std::string_view host;  // interned in the graph
  };
  std::unordered_map<std::string, remembered> alert_entities;  // alerts that feed correlations
  std::unordered_map<std::string, const alert_rule*> rule_at;
  std::unordered_map<std::string_view, std::string_view> host_at;
  // The last channel and host seen, resolved (most events repeat them).
  std::string last_channel_raw, last_host_raw, last_host;
  const mapping::channel_entries* last_channel = nullptr;

  void reset_graph() {
    g = graph{};
    g.tactic_order = m.tactics;
    g.glue_edges = m.glue_edges;
    g.edge_kinds = m.edge_kinds;
  }

  // The event being observed: its fields, indexed by id (an entity spec
  // asks for many fields of one event).
  std::span<const field_entry> cur_fields;
  field_spans spans;

  // Texts of numbers are rendered into these, in turn, so that the few
  // texts one entity asks for stay valid together.
  std::array<std::string, 8> number_texts;
  std::size_t next_number_text = 0;

  // The first non-empty text of fields `fs` of the event being observed:
  // a view into the event, or into number_texts.
  std::string_view text_of(const std::vector<field_id>& fs) {
    for (auto f : fs) {
      const field_spans::span* at = spans.find(f);
      if (!at) continue;
      const value* v = &cur_fields[at->first].val;
      if (v->kind == value_kind::null) continue;
      std::string& buf = number_texts[next_number_text];
      auto t = trim(value_text(*v, buf));
      if (t.empty()) continue;
      if (v->kind != value_kind::string) next_number_text = (next_number_text + 1) % number_texts.size();
      return t;
    }
    return {};
  }

  std::string key_buf, lower_buf;  // make()'s and process()'s key buffers

  // `text` lower-cased (ASCII) into lower_buf.
  std::string_view lowered(std::string_view text) {
    assign_lower_ascii(lower_buf, text);
    return lower_buf;
  }

  // The entity kind|host|key, made if new (`created`).
  std::uint32_t make(entity_kind k, std::string_view host, std::string_view key, bool& created) {
    key_buf.clear();
    key_buf += kind_name(k);
    key_buf += '|';
    key_buf += host;
    key_buf += '|';
    key_buf += key;
    if (auto it = keys.find(std::string_view(key_buf)); it != keys.end()) {
      created = false;
      return it->second;
    }
    auto it = keys.emplace(key_buf, static_cast<std::uint32_t>(g.entities.size())).first;
    created = true;
    entity e;
    e.kind = k;
    e.host = std::string(host);
    e.key = std::string(key);
    e.id = stable_id_hex(key_buf);
    g.entities.push_back(std::move(e));
    guids.emplace_back();
    return it->second;
  }

  std::string guid_buf;

  // host|pid
  static std::string pid_key_of(std::string_view host, std::int64_t pid) {
    std::string k;
    k.reserve(host.size() + 21);
    k += host;
    k += '|';
    k += std::to_string(pid);
    return k;
  }

  std::uint32_t process(std::string_view host, std::string_view guid_raw, std::int64_t pid, time_ns t, bool start) {
    std::string& guid = guid_buf;
    assign_lower_ascii(guid, guid_raw);
    if (guid.find_first_not_of("{}0-") == std::string::npos) guid.clear();  // all-zero guid: none
    std::string pid_key;
    if (!guid.empty()) {
      key_buf.assign("process|");
      key_buf += host;
      key_buf += "|g:";
      key_buf += guid;
      if (auto it = keys.find(std::string_view(key_buf)); it != keys.end()) {
        auto e = it->second;
        if (start && g.entities[e].start == k_no_time) g.entities[e].start = t;
        if (pid >= 0 && g.entities[e].pid < 0) {
          g.entities[e].pid = pid;
          by_pid[pid_key_of(host, pid)].push_back(e);
        }
        return e;
      }
    }
    static const std::vector<std::uint32_t> k_no_candidates;
    if (pid >= 0) {
      pid_key = pid_key_of(host, pid);
      auto at = by_pid.find(std::string_view(pid_key));
      const auto& cands = at == by_pid.end() ? k_no_candidates : at->second;
      std::uint32_t found = k_none;
      time_ns best = INT64_MIN;
      for (auto c : cands) {
        const entity& x = g.entities[c];
        if (!guid.empty() && !guids[c].empty() && guids[c] != guid) continue;
        if (start) {
          if (x.start != k_no_time && t != k_no_time && std::llabs(x.start - t) <= 2 * k_second) found = c;
          else if (x.start == k_no_time && (t == k_no_time || x.first == k_no_time || x.first >= t - 2 * k_second)) found = c;
          if (found != k_none) break;
        } else {
          if (x.start != k_no_time && (t == k_no_time || x.start <= t + 2 * k_second)) {
            if (x.start > best) {
              best = x.start;
              found = c;
            }
          } else if (x.start == k_no_time && found == k_none) {
            found = c;
          }
        }
      }
      if (found != k_none) {
        entity& x = g.entities[found];
        if (start && x.start == k_no_time) x.start = t;
        if (!guid.empty() && guids[found].empty()) {
          guids[found] = guid;
          keys.emplace("process|" + std::string(host) + "|g:" + guid, found);
        }
        return found;
      }
    }
    if (guid.empty() && pid < 0) return k_none;
    std::string key = !guid.empty() ? "g:" + guid
                                    : "pid:" + std::to_string(pid) + (start ? "@" : "~") + std::to_string(t == k_no_time ? 0 : t);
    bool created = false;
    auto e = make(entity_kind::process, host, key, created);
    if (created) {
      g.entities[e].pid = pid;
      if (start) g.entities[e].start = t;
      guids[e] = guid;
      if (pid >= 0) by_pid[pid_key].push_back(e);
    }
    return e;
  }

  std::uint32_t resolve(const mapping::entity_spec& es, const event& ev, std::string_view host) {
    // Views into the event or number_texts, valid through this call.
    auto attr = [&](std::string_view name) -> std::string_view {
      for (const auto& [an, vs] : es.attrs)
        if (an == name) return text_of(vs.fields);
      return {};
    };
    std::uint32_t e = k_none;
    bool created = false;
    switch (es.kind) {
      case entity_kind::process: {
        e = process(host, attr("guid"), parse_number(attr("pid")), ev.time, es.start);
        if (e == k_none) return e;
        entity& x = g.entities[e];
        if (x.image.empty()) x.image = std::string(attr("image"));
        if (x.command_line.empty()) x.command_line = std::string(attr("command_line"));
        if (x.user.empty()) x.user = std::string(attr("user"));
        if (x.logon_id.empty()) {
          auto lid = parse_number(attr("logon_id"));
          if (lid > 0) x.logon_id = fmt_hex(lid);
        }
        break;
      }
      case entity_kind::file: {
        auto p = attr("path");
        if (p.empty() || p == "-") return k_none;
        e = make(es.kind, host, lowered(p), created);
        if (created) g.entities[e].name = std::string(p);
        // A download's Zone.Identifier stream (Sysmon 15) names where the
        // file came from: its HostUrl (else ReferrerUrl) goes on the file.
        constexpr std::string_view k_zone = ":zone.identifier";
        if (auto origin = attr("origin"); !origin.empty() && p.size() > k_zone.size() &&
                                          to_lower_ascii(p.substr(p.size() - k_zone.size())) == k_zone) {
          // The HostUrl (the file's own address) wins over a ReferrerUrl seen before.
          std::string_view url;
          bool host_url = false;
          for (std::string_view key : {"HostUrl=", "ReferrerUrl="})
            if (auto at = origin.find(key); url.empty() && at != std::string_view::npos) {
              url = origin.substr(at + key.size());
              url = url.substr(0, url.find_first_of(" \t\r\n"));
              host_url = key == "HostUrl=";
            }
          if (!url.empty() && url != "about:internet") {
            std::string_view base = p.substr(0, p.size() - k_zone.size());
            bool made = false;
            auto f = make(es.kind, host, lowered(base), made);
            if (made) g.entities[f].name = std::string(base);
            if (g.entities[f].source.empty() || host_url) g.entities[f].source = std::string(url);
          }
        }
        break;
      }
      case entity_kind::ip: {
        std::string_view low = lowered(attr("address"));
        if (low.rfind("::ffff:", 0) == 0) low.remove_prefix(7);
        if (contains(m.hubs.local_addresses, low)) return k_none;
        e = make(es.kind, host, low, created);
        if (created) g.entities[e].name = std::string(low);
        break;
      }
      case entity_kind::session: {
        auto lid = parse_number(attr("logon_id"));
        if (lid < 0) return k_none;
        e = make(es.kind, host, fmt_hex(lid), created);
        entity& x = g.entities[e];
        if (created) x.logon_id = x.key;
        if (x.user.empty()) {
          auto u = attr("user");
          auto d = attr("domain");
          if (!u.empty() && u != "-")
            x.user = d.empty() || d == "-" || u.find('\\') != std::string_view::npos ? std::string(u)
                                                                                     : std::string(d) + "\\" + std::string(u);
        }
        if (x.logon_type.empty()) x.logon_type = std::string(attr("logon_type"));
        if (x.workstation.empty()) {
          auto w = attr("workstation");
          if (w != "-") x.workstation = std::string(w);
        }
        if (x.start == k_no_time && !x.logon_type.empty()) x.start = ev.time;
        break;
      }
      case entity_kind::user: {
        auto u = attr("name");
        if (u.empty() || u == "-") return k_none;
        auto d = attr("domain");
        std::string name = d.empty() || d == "-" ? std::string(u) : std::string(d) + "\\" + std::string(u);
        e = make(es.kind, host, lowered(name), created);
        if (created) g.entities[e].name = name;
        break;
      }
      case entity_kind::object: {
        // "\\\\*\\Kiwi Printer", "\\\\fs03\\Kiwi Printer" and "...\\Connections\\,,fs03,Kiwi Printer"
        // all name the printer "Kiwi Printer": the last part after '\\' or ','.
        std::string_view n = attr("name");
        auto cut = n.find_last_of("\\,");
        if (cut != std::string_view::npos) n.remove_prefix(cut + 1);
        n = trim(n);
        if (n.empty() || n == "-") return k_none;
        e = make(es.kind, host, lowered(n), created);
        if (created) g.entities[e].name = std::string(n);
        break;
      }
      case entity_kind::service:
      case entity_kind::task:
      case entity_kind::domain:
      case entity_kind::registry:
      case entity_kind::script:
      case entity_kind::host: {
        std::string_view n = es.kind == entity_kind::registry ? attr("key") : es.kind == entity_kind::script ? attr("id") : attr("name");
        if (n.empty() || n == "-") return k_none;
        e = make(es.kind, host, lowered(n), created);
        entity& x = g.entities[e];
        if (created) x.name = std::string(n);
        if (es.kind == entity_kind::service && x.image.empty()) x.image = std::string(attr("image"));
        break;
      }
    }
    entity& x = g.entities[e];
    if (ev.time != k_no_time) {
      if (x.first == k_no_time || ev.time < x.first) x.first = ev.time;
      if (x.last == k_no_time || ev.time > x.last) x.last = ev.time;
    }
    return e;
  }

  static std::string fmt_hex(std::int64_t v) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string s;
    auto u = static_cast<std::uint64_t>(v);
    do {
      s.push_back(k_digits[u & 15]);
      u >>= 4;
    } while (u);
    s += "x0";
    std::reverse(s.begin(), s.end());
    return s;
  }

  void add_edge(std::uint32_t from, std::uint32_t to, std::uint16_t kind, time_ns t, std::uint16_t port = 0) {
    if (from == to) return;
    std::uint64_t pair = (static_cast<std::uint64_t>(from) << 32) | to;
    auto idx = static_cast<std::uint32_t>(g.edges.size());
    auto [it, fresh] = edge_at.try_emplace(pair, idx);  // one lookup
    if (!fresh) {
      for (std::uint32_t k = it->second; k != k_none; k = edge_next[k])
        if (g.edges[k].kind == kind) {
          auto& ed = g.edges[k];
          ++ed.count;
          if (t != k_no_time && (ed.time == k_no_time || t < ed.time)) {
            ed.time = t;
            if (port) ed.port = port;
          } else if (!ed.port) {
            ed.port = port;
          }
          return;
        }
    }
    g.edges.push_back({from, to, kind, t, 1, port});
    edge_next.push_back(fresh ? k_none : it->second);
    it->second = idx;
  }
};

builder::builder(const mapping& m) : p_(std::make_unique<impl>(m)) {}
builder::~builder() = default;

std::vector<std::uint32_t> builder::observe(const event_batch& batch,
                                            const std::function<std::string_view(const event&)>& host_of) {
  auto& s = *p_;
  s.pool.clear();
  std::vector<std::uint32_t> handles(batch.size(), k_none);
  std::vector<std::uint32_t> ents;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const event& ev = batch.events()[i];
    const value* ch = batch.find(ev, s.f_channel);
    if (!ch || ch->kind != value_kind::string) continue;
    std::int64_t id = -1;
    if (const value* v = batch.find(ev, s.f_event_id)) {
      if (v->kind == value_kind::integer) id = v->integer;
      else if (v->kind == value_kind::string) id = parse_number(v->text);
    }
    if (ch->text != s.last_channel_raw) {
      s.last_channel_raw = std::string(ch->text);
      s.last_channel = s.m.channel(to_lower_ascii(ch->text));
    }
    const auto* spec = s.m.find(s.last_channel, id);
    if (!spec) continue;
    if (auto raw = host_of(ev); raw != s.last_host_raw) {
      s.last_host_raw = std::string(raw);
      s.last_host = to_lower_ascii(raw);
    }
    const std::string& host = s.last_host;
    s.cur_fields = batch.fields(ev);
    s.spans.reset(s.cur_fields);
    ents.assign(spec->entities.size(), k_none);
    for (std::size_t k = 0; k < spec->entities.size(); ++k) ents[k] = s.resolve(spec->entities[k], ev, host);
    for (const auto& ed : spec->edges)
      if (ents[ed.from] != k_none && ents[ed.to] != k_none) {
        std::uint16_t port = 0;
        if (spec->entities[ed.to].kind == entity_kind::ip)
          for (const auto& [an, vs] : spec->entities[ed.to].attrs)
            if (an == "port") {
              auto n = parse_number(s.text_of(vs.fields));
              if (n > 0 && n <= 65535) port = static_cast<std::uint16_t>(n);
            }
        s.add_edge(ents[ed.from], ents[ed.to], ed.kind, ev.time, port);
      }
    if (spec->remote_session != k_none && ents[spec->remote_session] != k_none && ents[spec->remote_source] != k_none) {
      entity& sess = s.g.entities[ents[spec->remote_session]];
      if (sess.source.empty()) sess.source = s.g.entities[ents[spec->remote_source]].name;
    }
    if (!spec->local_address.empty()) {
      auto a = to_lower_ascii(s.text_of(spec->local_address));
      if (!a.empty() && !contains(s.m.hubs.local_addresses, a)) s.g.address_host.emplace(a, host);
    }
    handles[i] = static_cast<std::uint32_t>(s.pool.size());
    std::uint32_t n = 0;
    s.pool.push_back(0);
    for (auto sub : spec->subject)
      if (ents[sub] != k_none) {
        s.pool.push_back(ents[sub]);
        ++n;
      }
    s.pool[handles[i]] = n;
  }
  return handles;
}

const alert_rule* builder::rule(const alert_rule& r) {
  auto& s = *p_;
  auto it = s.rule_at.find(r.id);
  if (it != s.rule_at.end()) return it->second;
  s.g.rules.push_back(r);
  const alert_rule* p = &s.g.rules.back();
  s.rule_at.emplace(r.id, p);
  return p;
}

std::string_view builder::host(std::string_view name) {
  auto& s = *p_;
  if (auto it = s.host_at.find(name); it != s.host_at.end()) return it->second;
  s.g.hosts.emplace_back(name);
  std::string_view v = s.g.hosts.back();
  s.host_at.emplace(v, v);
  return v;
}

void builder::remember(std::uint32_t subject, const std::string& alert_id, std::string_view host_name) {
  auto& s = *p_;
  impl::remembered r;
  if (subject != k_none)
    for (std::uint32_t k = 0; k < s.pool[subject]; ++k) r.entities.push_back(s.pool[subject + 1 + k]);
  r.host = host(host_name);
  s.alert_entities[alert_id] = std::move(r);
}

void builder::attach(std::uint32_t subject, alert_ref a, std::string_view host_name, bool feeds_correlation) {
  auto& s = *p_;
  if (subject != k_none)
    for (std::uint32_t k = 0; k < s.pool[subject]; ++k) a.candidates.push_back(s.pool[subject + 1 + k]);
  a.host = host(host_name);
  if (feeds_correlation) s.alert_entities[a.id] = {a.candidates, a.host};
  s.g.alerts.push_back(std::move(a));
}

void builder::attach_correlation(alert_ref a, const std::vector<std::string>& member_alert_ids) {
  auto& s = *p_;
  std::unordered_set<std::uint32_t> seen;
  for (const auto& id : member_alert_ids)
    if (auto it = s.alert_entities.find(id); it != s.alert_entities.end()) {
      for (auto e : it->second.entities)
        if (seen.insert(e).second) a.candidates.push_back(e);
      if (a.host.empty()) a.host = it->second.host;  // the first member's host
    }
  a.correlation = true;
  s.g.alerts.push_back(std::move(a));
}

std::size_t builder::memory_bytes() const {
  const auto& s = *p_;
  std::size_t n = s.g.entities.capacity() * sizeof(entity) + s.g.edges.capacity() * sizeof(edge);
  for (const auto& e : s.g.entities)
    n += e.id.capacity() + e.host.capacity() + e.key.capacity() + e.image.capacity() + e.command_line.capacity() +
         e.user.capacity() + e.name.capacity();
  n += s.keys.size() * 96 + s.by_pid.size() * 80 + s.edge_at.size() * 32 + s.edge_next.capacity() * 4;
  n += s.g.alerts.capacity() * sizeof(alert_ref);
  for (const auto& a : s.g.alerts) n += a.id.capacity() + a.candidates.capacity() * sizeof(std::uint32_t);
  n += s.alert_entities.size() * 160;
  return n;
}

graph builder::finish() {
  auto& s = *p_;
  graph& g = s.g;
  const auto& hubs = s.m.hubs;
  std::vector<std::uint32_t> degree(g.entities.size(), 0), children(g.entities.size(), 0);
  {
    // Distinct neighbours per entity: every edge's two ends in one array,
    // grouped by entity (entity k's in [at[k], at[k + 1])).
    const std::size_t n = g.entities.size();
    std::vector<std::uint32_t> at(n + 1, 0);
    std::uint16_t spawned = g.edge_kind("spawned");
    std::uint16_t wrote = g.edge_kind("wrote");
    for (const auto& e : g.edges) {
      ++at[e.from + 1];
      ++at[e.to + 1];
      if (e.kind == spawned) ++children[e.from];
      if (e.kind == wrote) g.entities[e.to].written = true;
    }
    for (std::size_t k = 0; k < n; ++k) at[k + 1] += at[k];
    std::vector<std::uint32_t> nb(at[n]), next(at.begin(), at.end() - 1);
    for (const auto& e : g.edges) {
      nb[next[e.from]++] = e.to;
      nb[next[e.to]++] = e.from;
    }
    for (std::size_t k = 0; k < n; ++k) {
      auto first = nb.begin() + at[k], last = nb.begin() + at[k + 1];
      std::sort(first, last);
      degree[k] = static_cast<std::uint32_t>(std::unique(first, last) - first);
    }
  }
  // A logon session the user's shell runs in is the desktop session: all
  // the user does runs in it, so it joins nothing.
  {
    std::uint16_t runs = g.edge_kind("runs");
    for (const auto& e : g.edges)
      if (e.kind == runs && g.entities[e.from].kind == entity_kind::session &&
          contains(hubs.user_shells, base_name_lower(g.entities[e.to].image)))
        g.entities[e.from].hub = true;
  }
  for (std::size_t k = 0; k < g.entities.size(); ++k) {
    entity& x = g.entities[k];
    std::uint32_t limit = hubs.max_degree[static_cast<std::size_t>(x.kind)];
    switch (x.kind) {
      case entity_kind::process: {
        auto base = base_name_lower(x.image);
        x.user_shell = contains(hubs.user_shells, base);
        x.hub = contains(hubs.images, base) || x.pid == 4 || (limit && children[k] > limit);
        break;
      }
      case entity_kind::session:
        x.hub = x.hub || contains(hubs.logon_ids, x.logon_id) || contains(hubs.users, to_lower_ascii(x.user)) ||
                (limit && degree[k] > limit);
        break;
      case entity_kind::user: {
        auto low = to_lower_ascii(x.name);
        auto bs = low.find('\\');
        x.hub = contains(hubs.users, low) || (bs != std::string::npos && contains(hubs.users, low.substr(bs + 1))) ||
                (!low.empty() && low.back() == '$') || (limit && degree[k] > limit);
        break;
      }
      default: x.hub = limit && degree[k] > limit; break;
    }
  }
  // Services -> the processes services.exe started for them: same host, the
  // executable of the service's image, started within two minutes after it
  // was installed.
  {
    std::uint16_t spawned = g.edge_kind("spawned");
    std::uint16_t started = g.edge_kind("started");
    std::unordered_map<std::string, std::vector<std::uint32_t>> procs;  // host|exe -> processes
    std::vector<std::uint32_t> parent(g.entities.size(), k_none);
    for (const auto& e : g.edges)
      if (e.kind == spawned) parent[e.to] = e.from;
    for (std::uint32_t k = 0; k < g.entities.size(); ++k) {
      const entity& x = g.entities[k];
      if (x.kind != entity_kind::process || x.start == k_no_time) continue;
      bool by_scm = parent[k] == k_none || base_name_lower(g.entities[parent[k]].image) == "services.exe";
      if (by_scm) procs[x.host + "|" + base_name_lower(x.image)].push_back(k);
    }
    for (std::uint32_t k = 0; k < g.entities.size(); ++k) {
      const entity& svc = g.entities[k];
      if (svc.kind != entity_kind::service || svc.image.empty() || svc.first == k_no_time) continue;
      std::string img = to_lower_ascii(trim(svc.image));
      for (std::string_view var : {"%comspec%", "%systemroot%\\system32\\cmd.exe", "%windir%\\system32\\cmd.exe"})
        if (img.rfind(var, 0) == 0) img = "cmd.exe" + img.substr(var.size());
      std::string exe;
      if (!img.empty() && img[0] == '"') {
        auto q = img.find('"', 1);
        exe = img.substr(1, q == std::string::npos ? std::string::npos : q - 1);
      } else {
        auto dot = img.find(".exe");
        exe = dot == std::string::npos ? img.substr(0, img.find(' ')) : img.substr(0, dot + 4);
      }
      exe = base_name_lower(exe);
      auto it = procs.find(svc.host + "|" + exe);
      if (it == procs.end()) continue;
      for (auto p : it->second) {
        time_ns d = g.entities[p].start - svc.first;
        if (d >= -k_second && d <= 120 * k_second) s.add_edge(k, p, started, g.entities[p].start);
      }
    }
  }
  for (auto& a : g.alerts) {
    a.entity = k_none;
    for (auto c : a.candidates)
      if (!g.entities[c].hub) {
        a.entity = c;
        break;
      }
    if (a.entity == k_none && !a.candidates.empty()) a.entity = a.candidates.front();
  }
  g.index();
  graph out = std::move(g);
  s.reset_graph();
  s.keys.clear();
  s.by_pid.clear();
  s.guids.clear();
  s.edge_at.clear();
  s.edge_next.clear();
  s.alert_entities.clear();
  s.rule_at.clear();
  s.host_at.clear();
  return out;
}

}  // namespace ariadne::graph
