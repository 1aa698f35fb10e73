// SQLite case database (schema: docs/case-db.md).
#include "ariadne/casedb/casedb.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>

#include "ariadne/core/text.hpp"
#include "ariadne/core/time.hpp"

namespace ariadne::casedb {

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id             INTEGER PRIMARY KEY,
  started_at     TEXT NOT NULL,
  ended_at       TEXT,
  status         TEXT NOT NULL,          -- running | done | failed
  command        TEXT NOT NULL,
  inputs         TEXT NOT NULL,          -- JSON array of paths as given
  ruleset_digest TEXT NOT NULL,
  rules          INTEGER NOT NULL,
  correlations   INTEGER NOT NULL,
  events         INTEGER,
  alerts         INTEGER,                -- alerts offered by this run
  new_alerts     INTEGER                 -- of which were new to the database
);
CREATE TABLE IF NOT EXISTS alerts (
  id            TEXT PRIMARY KEY,        -- deterministic: rule id, source file, record
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  rule_id       TEXT NOT NULL,
  rule_title    TEXT NOT NULL,
  level         TEXT NOT NULL,
  time          TEXT,                    -- RFC 3339 UTC, NULL when the event had none
  host          TEXT NOT NULL,
  source_file   TEXT NOT NULL,
  source_record INTEGER NOT NULL,        -- EVTX record id or 1-based line
  standalone    INTEGER NOT NULL,        -- 0: the rule only feeds correlations
  event         TEXT NOT NULL            -- the event's fields, JSON
);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time);
CREATE TABLE IF NOT EXISTS correlations (
  id           TEXT PRIMARY KEY,         -- deterministic: rule, group, window, members
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  rule_id      TEXT NOT NULL,
  rule_title   TEXT NOT NULL,
  level        TEXT NOT NULL,
  type         TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  group_json   TEXT NOT NULL,            -- {"field": "value", ...}
  value        REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS correlations_rule ON correlations(rule_id);
CREATE TABLE IF NOT EXISTS correlation_members (
  correlation_id TEXT NOT NULL REFERENCES correlations(id),
  member_id      TEXT NOT NULL,          -- alerts.id, or correlations.id for chained rules
  PRIMARY KEY (correlation_id, member_id)
) WITHOUT ROWID;
)sql";

std::string now_rfc3339() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  return format_rfc3339(ns.count());
}

void bind_text(sqlite3_stmt* st, int idx, std::string_view v) {
  sqlite3_bind_text(st, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

result<std::unique_ptr<database>> database::open(const std::string& path) {
  std::unique_ptr<database> d(new database());
  if (sqlite3_open_v2(path.c_str(), &d->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = d->db_ ? sqlite3_errmsg(d->db_) : "out of memory";
    return make_error(errc::io, "cannot open case database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(d->db_, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"})
    if (auto r = d->exec(pragma); !r) return make_error(errc::io, path + ": " + r.error().message);
  if (auto r = d->exec(k_schema); !r)
    return make_error(errc::io, path + ": not a usable case database: " + r.error().message);
  // Schema version: set on creation, checked afterwards.
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(d->db_, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, nullptr);
  int version = 0;
  bool present = false;
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    present = true;
    version = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  if (!present) {
    std::string sql = "INSERT INTO meta(key, value) VALUES('schema_version','" + std::to_string(k_schema_version) +
                      "'), ('created_by','ariadne')";
    if (auto r = d->exec(sql.c_str()); !r) return make_error(errc::io, path + ": " + r.error().message);
  } else if (version != k_schema_version) {
    return make_error(errc::unsupported, path + ": case database schema version " + std::to_string(version) +
                                             " (this ariadne reads version " + std::to_string(k_schema_version) + ")");
  }
  if (auto r = d->prepare(); !r) return make_error(errc::io, path + ": " + r.error().message);
  return d;
}

database::~database() {
  if (in_tx_) (void)exec("COMMIT");
  sqlite3_finalize(ins_alert_);
  sqlite3_finalize(ins_corr_);
  sqlite3_finalize(ins_member_);
  if (db_) sqlite3_close(db_);
}

result<void> database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return make_error(errc::io, msg);
  }
  return {};
}

result<void> database::prepare() {
  const char* a =
      "INSERT OR IGNORE INTO alerts(id, run_id, rule_id, rule_title, level, time, host, source_file, source_record, "
      "standalone, event) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
  const char* c =
      "INSERT OR IGNORE INTO correlations(id, run_id, rule_id, rule_title, level, type, window_start, window_end, "
      "group_json, value) VALUES(?,?,?,?,?,?,?,?,?,?)";
  const char* m = "INSERT OR IGNORE INTO correlation_members(correlation_id, member_id) VALUES(?,?)";
  if (sqlite3_prepare_v2(db_, a, -1, &ins_alert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, c, -1, &ins_corr_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, m, -1, &ins_member_, nullptr) != SQLITE_OK)
    return make_error(errc::io, sqlite3_errmsg(db_));
  return {};
}

result<std::int64_t> database::begin_run(const std::string& command, const std::vector<std::string>& inputs,
                                         const std::string& digest, std::size_t rules, std::size_t correlations) {
  std::string json = "[";
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (k) json.push_back(',');
    append_json_string(json, inputs[k]);
  }
  json.push_back(']');
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_,
                     "INSERT INTO runs(started_at, status, command, inputs, ruleset_digest, rules, correlations) "
                     "VALUES(?, 'running', ?, ?, ?, ?, ?)",
                     -1, &st, nullptr);
  bind_text(st, 1, now_rfc3339());
  bind_text(st, 2, command);
  bind_text(st, 3, json);
  bind_text(st, 4, digest);
  sqlite3_bind_int64(st, 5, static_cast<sqlite3_int64>(rules));
  sqlite3_bind_int64(st, 6, static_cast<sqlite3_int64>(correlations));
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return make_error(errc::io, std::string("cannot record the run: ") + sqlite3_errmsg(db_));
  run_ = sqlite3_last_insert_rowid(db_);
  return run_;
}

void database::step_insert(sqlite3_stmt* st) {
  if (!in_tx_) {
    if (exec("BEGIN")) in_tx_ = true;
  }
  if (sqlite3_step(st) == SQLITE_DONE) {
    if (st != ins_member_) {
      ++counts_.alerts;
      if (sqlite3_changes(db_) > 0) ++counts_.new_alerts;
    }
  } else {
    last_error_ = sqlite3_errmsg(db_);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

void database::add_alert(const report::alert& a, const sigma::rule& r, bool standalone) {
  sqlite3_stmt* st = ins_alert_;
  bind_text(st, 1, a.id);
  sqlite3_bind_int64(st, 2, run_);
  bind_text(st, 3, r.id);
  bind_text(st, 4, r.title);
  bind_text(st, 5, sigma::level_name(r.lvl));
  if (a.time == k_no_time) sqlite3_bind_null(st, 6);
  else bind_text(st, 6, format_rfc3339(a.time));
  bind_text(st, 7, a.host);
  bind_text(st, 8, a.source_file);
  sqlite3_bind_int64(st, 9, static_cast<sqlite3_int64>(a.record));
  sqlite3_bind_int(st, 10, standalone ? 1 : 0);
  bind_text(st, 11, a.event_json);
  step_insert(st);
}

void database::add_correlation(const correlate::result& res, const sigma::correlation_rule& c) {
  sqlite3_stmt* st = ins_corr_;
  std::string group = "{";
  for (std::size_t k = 0; k < res.group.size(); ++k) {
    if (k) group.push_back(',');
    append_json_string(group, res.group[k].first);
    group.push_back(':');
    append_json_string(group, res.group[k].second);
  }
  group.push_back('}');
  bind_text(st, 1, res.id);
  sqlite3_bind_int64(st, 2, run_);
  bind_text(st, 3, c.id);
  bind_text(st, 4, c.title);
  bind_text(st, 5, sigma::level_name(c.lvl));
  bind_text(st, 6, sigma::corr_type_name(c.type));
  bind_text(st, 7, format_rfc3339(res.start));
  bind_text(st, 8, format_rfc3339(res.end));
  bind_text(st, 9, group);
  sqlite3_bind_double(st, 10, res.value);
  step_insert(st);
  for (const auto& m : res.members) {
    bind_text(ins_member_, 1, res.id);
    bind_text(ins_member_, 2, m);
    step_insert(ins_member_);
  }
}

result<void> database::commit() {
  if (!last_error_.empty()) {
    std::string e = std::move(last_error_);
    last_error_.clear();
    if (in_tx_) (void)exec("ROLLBACK");
    in_tx_ = false;
    return make_error(errc::io, "case database: " + e);
  }
  if (!in_tx_) return {};
  in_tx_ = false;
  return exec("COMMIT");
}

result<void> database::end_run(std::int64_t run, const std::string& status, const run_counts& c) {
  if (auto r = commit(); !r) return r;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "UPDATE runs SET ended_at=?, status=?, events=?, alerts=?, new_alerts=? WHERE id=?", -1, &st,
                     nullptr);
  bind_text(st, 1, now_rfc3339());
  bind_text(st, 2, status);
  sqlite3_bind_int64(st, 3, static_cast<sqlite3_int64>(c.events));
  sqlite3_bind_int64(st, 4, static_cast<sqlite3_int64>(c.alerts));
  sqlite3_bind_int64(st, 5, static_cast<sqlite3_int64>(c.new_alerts));
  sqlite3_bind_int64(st, 6, run);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return make_error(errc::io, std::string("cannot close the run: ") + sqlite3_errmsg(db_));
  return {};
}

std::string ruleset_digest(const std::vector<sigma::rule>& rules, const std::vector<sigma::correlation_rule>& corrs) {
  std::vector<std::string> keys;
  for (const auto& r : rules)
    keys.push_back(r.id + "\t" + r.title + "\t" + std::string(sigma::level_name(r.lvl)) + "\t" + r.path + "\t" +
                   std::to_string(r.line));
  for (const auto& c : corrs) {
    std::string k = c.id + "\t" + c.title + "\t" + std::string(sigma::corr_type_name(c.type)) + "\t" + c.timespan_text;
    for (const auto& g : c.group_by) k += "\t" + g;
    for (const auto& t : c.condition) k += "\t" + std::string(sigma::cmp_op_name(t.op)) + std::to_string(t.value);
    keys.push_back(std::move(k));
  }
  std::sort(keys.begin(), keys.end());
  std::string all;
  for (const auto& k : keys) all += k + "\n";
  return stable_id_hex(all);
}

}  // namespace ariadne::casedb
