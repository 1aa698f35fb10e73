// The entity graph: processes, files, addresses, logon sessions, users,
// services, tasks, registry keys, scripts and named objects, linked by what the events say
// one did to the other (cause -> effect). Built while hunting, one event at a
// time, from a mapping that is data (data/graph/windows.yml); alerts attach
// to the entities their events concern. docs/incidents.md has the model.
//
//   graph::builder b(graph::mapping::builtin());
//   auto subjects = b.observe(batch, host_of);          // per event of the batch
//   alert_ref a{id, b.rule(rule_info), time};           // per alert; rules interned once
//   b.attach(subjects[hit.event_idx], a, host);
//   graph::graph g = b.finish();                         // hubs, service starts
//   auto incs = graph::find_incidents(g, opts);          // see incident.hpp
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/core/time.hpp"
#include "ariadne/event/event.hpp"

namespace ariadne::graph {

enum class entity_kind : std::uint8_t {
  process, file, ip, domain, session, user, service, task, registry, script, host,
  object,  // a named object a privileged operation or share event names (a printer, a share)
};
inline constexpr std::size_t k_entity_kinds = 12;

[[nodiscard]] std::string_view kind_name(entity_kind k);
[[nodiscard]] bool parse_kind(std::string_view s, entity_kind& out);

inline constexpr std::uint32_t k_none = UINT32_MAX;

// One thing the logs mention. Attributes are filled from the events that
// mention it (first value seen wins); unused ones stay empty.
struct entity {
  entity_kind kind = entity_kind::process;
  std::string id;    // stable: a hash of kind, host and key
  std::string host;  // lower case
  std::string key;   // identity within the host (guid, pid@start, path, address, logon id, name)
  std::string image;         // process: image path; service: image path / command
  std::string command_line;  // process
  std::string user;          // process, session: DOMAIN\name
  std::string name;          // file path, address, domain, user, service, task, registry key, script id
  std::string source;        // session: the source address of a remote logon; file: the URL it was downloaded from
  std::string workstation;   // session: the source workstation of a logon
  std::string logon_type;    // session
  std::string logon_id;      // process: its session
  std::int64_t pid = -1;     // process
  time_ns start = k_no_time;  // process start, session logon
  time_ns first = k_no_time, last = k_no_time;
  bool hub = false;         // never glues activity together
  bool user_shell = false;  // a process the user works in (explorer.exe)
  bool written = false;     // file: its writing is in the logs
};

struct edge {
  std::uint32_t from = k_none, to = k_none;
  std::uint16_t kind = 0;  // index into graph::edge_kinds
  time_ns time = k_no_time;  // first time seen
  std::uint32_t count = 1;
  std::uint16_t port = 0;    // an edge to an address: the destination port first seen (0: none)
};

// What the graph keeps of a rule, once per rule (alerts point at it).
struct alert_rule {
  std::string id;
  std::string title;
  std::string level;  // sigma level name
  int severity = 0;   // 0 informational .. 4 critical
  std::vector<std::string> tactics;     // from the rule's attack.* tags, as spelled
  std::vector<std::string> techniques;  // ATT&CK technique ids from its tags (resolved by the caller)
};

// An alert as the graph sees it. Rule and host are shared, so an alert
// costs about 100 bytes however many there are.
struct alert_ref {
  std::string id;
  const alert_rule* rule = nullptr;  // owned by the graph (builder::rule())
  time_ns time = k_no_time;
  std::string_view host;  // owned by the graph
  bool correlation = false;
  std::vector<std::uint32_t> candidates;  // entities it concerns, most specific first
  std::uint32_t entity = k_none;          // chosen at finish(): first candidate that is not a hub
};

struct graph {
  graph() = default;
  graph(graph&&) = default;  // moves keep alert_ref's pointers into rules and hosts valid
  graph& operator=(graph&&) = default;
  graph(const graph&) = delete;
  graph& operator=(const graph&) = delete;

  std::vector<entity> entities;
  std::vector<edge> edges;
  std::vector<std::string> edge_kinds;
  std::vector<std::string> glue_edges;  // edge kinds that join alerts into one incident
  std::vector<alert_ref> alerts;
  std::deque<alert_rule> rules;   // stable addresses; alert_ref::rule points here
  std::deque<std::string> hosts;  // alert_ref::host points here
  std::vector<std::string> tactic_order;  // kill-chain order
  std::map<std::string, std::string> address_host;  // an address a host used -> that host
  // Built by index(): edges by endpoint, and alerts by entity.
  std::vector<std::vector<std::uint32_t>> out, in, alerts_of;

  void index();
  [[nodiscard]] std::uint16_t edge_kind(std::string_view name);
  [[nodiscard]] std::string_view edge_kind_name(std::uint16_t k) const { return edge_kinds[k]; }
  [[nodiscard]] int tactic_rank(std::string_view tactic) const;  // -1 if unknown
  // "process winx64_payload.exe (pid 1988)" and the like.
  [[nodiscard]] std::string label(std::uint32_t e) const;
};

struct hub_rules {
  std::vector<std::string> images, user_shells, logon_ids, users, local_addresses;
  std::uint32_t max_degree[k_entity_kinds] = {};
};

// The event -> entities/edges mapping (data/graph/windows.yml).
class mapping {
 public:
  struct value_spec {
    std::vector<field_id> fields;  // the first present wins
    std::string constant;
  };
  struct entity_spec {
    std::string name;
    entity_kind kind = entity_kind::process;
    std::vector<std::pair<std::string, value_spec>> attrs;
    bool start = false;
  };
  struct edge_spec {
    std::uint32_t from = 0, to = 0;  // indices into entities
    std::uint16_t kind = 0;          // index into mapping::edge_kinds
  };
  struct event_spec {
    std::string name;
    std::string channel;  // lower case; empty: any
    std::vector<std::int64_t> ids;  // empty: any not taken by a specific entry
    std::vector<entity_spec> entities;
    std::vector<edge_spec> edges;
    std::vector<std::uint32_t> subject;
    std::uint32_t remote_session = k_none, remote_source = k_none;
    std::vector<field_id> local_address;
  };

  static result<mapping> parse(std::string_view text, std::string_view file);
  static const mapping& builtin();

  // The entries of one channel (lower case): by event id, and channel-wide.
  struct channel_entries {
    std::unordered_map<std::int64_t, std::uint32_t> ids;
    std::uint32_t any = k_none;
  };
  // A channel's entries (nullptr if it has none). Look it up once per
  // channel, then find() per event.
  [[nodiscard]] const channel_entries* channel(const std::string& lower) const;
  // The entry for an event, or nullptr.
  [[nodiscard]] const event_spec* find(const channel_entries* ch, std::int64_t id) const;
  [[nodiscard]] const event_spec* find(const std::string& channel_lower, std::int64_t id) const {
    return find(channel(channel_lower), id);
  }

  std::vector<event_spec> events;
  std::vector<std::string> edge_kinds;  // the names edge_spec::kind indexes
  hub_rules hubs;
  std::vector<std::string> glue_edges;
  std::vector<std::string> tactics;

 private:
  std::unordered_map<std::string, channel_entries> channels_;
  std::uint32_t any_ = k_none;  // an entry for any channel
};

// Builds the graph from events in arrival order. Not thread-safe: call from
// the thread that delivers batches in order.
class builder {
 public:
  explicit builder(const mapping& m);
  ~builder();
  builder(const builder&) = delete;
  builder& operator=(const builder&) = delete;

  // Adds what each event of the batch says. Returns, per event, an index
  // into the builder's subject lists (k_none if the event maps to nothing),
  // for attach().
  std::vector<std::uint32_t> observe(const event_batch& batch,
                                     const std::function<std::string_view(const event&)>& host_of);
  // The graph's copy of a rule, interned by id: pass it in alert_ref::rule.
  const alert_rule* rule(const alert_rule& r);
  // Attaches an alert to the subject of its event (subject k_none: the
  // alert concerns no entity and stays alone). `host` is interned. With
  // `feeds_correlation`, its entities are kept for attach_correlation().
  void attach(std::uint32_t subject, alert_ref a, std::string_view host, bool feeds_correlation = false);
  // Attaches a correlation alert to the entities of the alerts it was made
  // from (and, if it has none, to the host of the first of them).
  void attach_correlation(alert_ref a, const std::vector<std::string>& member_alert_ids);
  // Interns a host name in the graph.
  std::string_view host(std::string_view name);
  // Remembers which entities an alert concerns without listing it as an
  // alert (rules that only feed correlations).
  void remember(std::uint32_t subject, const std::string& alert_id, std::string_view host);

  // Decides hubs, links services to the processes they started, picks each
  // alert's entity. The builder is empty afterwards.
  graph finish();

  // Bytes held, roughly (entities, edges, alerts, indexes), for the memory figure.
  [[nodiscard]] std::size_t memory_bytes() const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

// The ATT&CK tactics among Sigma tags: `attack.<name>` that is not a
// technique, group or software id ("attack.execution" -> "execution").
[[nodiscard]] std::vector<std::string> tactics_from_tags(const std::vector<std::string>& tags);
// "informational", "low", "medium", "high", "critical" for 0..4.
[[nodiscard]] std::string_view severity_name(int severity);

// Lower-cased base name of a Windows or POSIX path ("C:\\x\\A.exe" -> "a.exe").
[[nodiscard]] std::string base_name_lower(std::string_view path);
// A logon id or pid written in hex ("0x3e7") or decimal; -1 if neither.
[[nodiscard]] std::int64_t parse_number(std::string_view s);

}  // namespace ariadne::graph
