// Incident narratives: every incident told as a short, exact story (issue
// 30), generated from its storyline in the entity graph, not from a
// language model. Sentences come from templates in a data file
// (data/graph/narrative.yml), one per step kind; every name, address, time
// and count in them is a fact that cites the entities and alerts it comes
// from, so a test (or a reader) can check each one against the events.
//
//   auto incs = graph::find_incidents(g, {});
//   graph::narrative n = graph::tell(g, incs, incs[0], {});
//   std::puts(n.text().c_str());                 // "On acct01..., PANDALAB\\nora ran ..."
//   std::string json = graph::narrative_json(n);  // with each sentence's facts
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/graph/graph.hpp"

namespace ariadne::graph {

struct incident;

// One fact of a sentence: a value as written, what it is, and where it
// comes from. `field` says how to check it against its evidence:
//   host, user, image (base name of a process image), file (base name of a
//   file's path), destination ("address" or "address:port": an edge from
//   process evidence[0] to address evidence[1]), domain (the same, a DNS
//   query), url (a file's download URL), source (a logon session's source
//   address), logon_type, service (its name), service_image (its image, or
//   a prefix of it ending in an ellipsis), task, time
//   (an entity's start, an alert's time, or the time of an edge from
//   evidence[0] to evidence[1]; "YYYY-MM-DD hh:mm:ss UTC"), alert (a rule
//   title), technique (an ATT&CK id of the evidence alerts' rules), count
//   (the number of evidence alerts), items (the number of items a short
//   list left out, each citing its evidence), incident ("<12 digits> on
//   host,host": a linked incident), via (how the incident evidence[0] is
//   linked), entity (an entity's label), verdict (given by the caller).
struct narrative_fact {
  std::string slot;
  std::string value;
  std::string field;
  std::vector<std::string> evidence;  // entity ids or alert ids
};

struct narrative_sentence {
  std::string kind;  // the template's name (data/graph/narrative.yml)
  std::string text;
  std::vector<narrative_fact> facts;
};

struct narrative {
  std::vector<narrative_sentence> sentences;
  [[nodiscard]] std::string text() const;  // the sentences, space-separated
};

// The templates (data/graph/narrative.yml).
struct narrative_templates {
  std::map<std::string, std::string> sentences;
  std::string and_word = "and", more = "{count} more", utc = "UTC";
  [[nodiscard]] static result<narrative_templates> parse(std::string_view text, std::string_view file);
  [[nodiscard]] static const narrative_templates& builtin();
};

struct narrative_options {
  bool long_form = false;          // every step and every item (default: at most ~8 sentences, short lists)
  std::size_t max_sentences = 8;   // short form
  std::size_t max_items = 4;       // short form: items per list
  std::string verdict;             // an attribution verdict to state ("" : none)
  const narrative_templates* templates = nullptr;  // null: builtin()
};

// Tells `inc` (one of `all`, for its links).
[[nodiscard]] narrative tell(const graph& g, const std::vector<incident>& all, const incident& inc,
                             const narrative_options& opts);

// {"text":"…","sentences":[{"kind","text","facts":[{"slot","value","field","evidence":[…]}]}]}
[[nodiscard]] std::string narrative_json(const narrative& n);

// A time as narratives write it: "2023-08-16 00:34:30 UTC".
[[nodiscard]] std::string narrative_time(time_ns t, std::string_view utc = "UTC");

}  // namespace ariadne::graph
