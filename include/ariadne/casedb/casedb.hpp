// The case database: one SQLite file (WAL) that collects hunts over time.
// Schema and guarantees: docs/case-db.md.
//
//   auto db = casedb::database::open("case.db");           // creates or checks the schema
//   auto run = db->begin_run(command, inputs, digest);      // committed at once
//   db->add_alert(alert, rule, standalone);                 // buffered
//   db->commit();                                           // one transaction per batch
//   db->add_correlation(result, correlation);
//   db->add_graph(graph, incidents);                       // version 2
//   db->end_run(run, "done", counts);
//
// Alert and correlation ids are deterministic, so hunting the same input into
// the same database again adds nothing (INSERT OR IGNORE). Every batch is one
// transaction: a crash (even kill -9) loses at most the batch in flight, and
// the file stays consistent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ariadne/core/result.hpp"
#include "ariadne/correlate/correlate.hpp"
#include "ariadne/graph/anomaly.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/report/alert.hpp"
#include "ariadne/rules/rule.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ariadne::casedb {

inline constexpr int k_schema_version = 4;

struct run_counts {
  std::uint64_t events = 0;
  std::uint64_t alerts = 0;        // alerts and correlation alerts offered to the database
  std::uint64_t new_alerts = 0;    // of which were not there yet
};

// An alert as the case database lists it.
struct alert_row {
  std::string id, time, level, title, host, source_file, group;
  std::uint64_t record = 0;
};

// write: create or open for a run (and upgrade an older ariadne schema).
// read_only: for viewers (trace, attribute): nothing is created, migrated
// or written, so evidence on read-only media opens too.
enum class open_mode { write, read_only };

class database {
 public:
  // Opens `path`. Errors: not an SQLite file, another program's database
  // (never changed), a schema from a newer ariadne, or (read_only) an
  // empty or older one.
  static result<std::unique_ptr<database>> open(const std::string& path, open_mode mode = open_mode::write);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // Records the start of a run (status "running") and commits it.
  result<std::int64_t> begin_run(const std::string& command, const std::vector<std::string>& inputs,
                                 const std::string& ruleset_digest, std::size_t rules, std::size_t correlations);
  // Buffered in the current transaction (opened on first use).
  // `group`: the alert's group id (report/details.hpp), "" when none.
  void add_alert(const report::alert& a, const sigma::rule& r, bool standalone, std::string_view group = {});
  void add_correlation(const correlate::result& res, const sigma::correlation_rule& c);
  // An anomaly alert (graph/anomaly.hpp) as a row of `alerts`: source_file
  // "(anomaly)", record 0, and its JSON line as the event.
  void add_anomaly(const graph::graph& g, const graph::anomaly& a);
  // Stores the incidents and the part of the graph their traces need
  // (buffered; commit() after). Returns how many entities were stored.
  std::size_t add_graph(const graph::graph& g, const std::vector<graph::incident>& incidents);
  // The stored graph, indexed, with the alerts attached to its entities.
  result<graph::graph> load_graph();
  // Ids in `table` (alerts, correlations, incidents, alert_entities) that start with `prefix` (at most 5).
  result<std::vector<std::string>> match_ids(const std::string& table, const std::string& prefix);
  result<std::vector<std::string>> incident_alerts(const std::string& incident_id);
  // The stored JSON line of an incident.
  result<std::string> incident_json(const std::string& incident_id);
  // Its narrative: the short text, or (long_form) every step as JSON with
  // each fact's evidence ("" when an older ariadne stored the incident).
  result<std::string> incident_narrative(const std::string& incident_id, bool long_form);
  // Every incident's JSON line, highest score first (then first time, id).
  result<std::vector<std::string>> incidents_json();
  // An incident's alerts that the database holds, by time.
  result<std::vector<alert_row>> incident_alert_rows(const std::string& incident_id);
  // Commits the current transaction. False (with message) on error.
  result<void> commit();
  result<void> end_run(std::int64_t run, const std::string& status, const run_counts& counts);

  [[nodiscard]] const run_counts& counts() const { return counts_; }

 private:
  database() = default;
  result<void> exec(const char* sql);
  result<void> prepare();
  void step_insert(sqlite3_stmt* st);
  bool begin();  // opens a transaction if none is; false (error noted) on failure
  void note_error(const char* what);  // keeps the first error only

  sqlite3* db_ = nullptr;
  sqlite3_stmt* ins_alert_ = nullptr;
  sqlite3_stmt* ins_corr_ = nullptr;
  sqlite3_stmt* ins_member_ = nullptr;
  bool in_tx_ = false;
  std::int64_t run_ = 0;
  run_counts counts_;
  std::string last_error_;
};

// Digest of a rule set (ids, titles, levels, paths and correlation
// parameters), to tell runs made with different rules apart.
[[nodiscard]] std::string ruleset_digest(const std::vector<sigma::rule>& rules,
                                         const std::vector<sigma::correlation_rule>& corrs);

}  // namespace ariadne::casedb
