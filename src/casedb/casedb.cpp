// SQLite case database (schema: docs/case-db.md).
#include "ariadne/casedb/casedb.hpp"

#include <sqlite3.h>

#include <filesystem>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "ariadne/graph/incident.hpp"
#include "ariadne/graph/narrative.hpp"

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
  event         TEXT NOT NULL,           -- the event's fields, JSON
  group_id      TEXT                     -- repeats of one rule, host and key fields share it (version 3)
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
-- Version 2: the entity graph around incidents, and the incidents.
CREATE TABLE IF NOT EXISTS entities (
  id           TEXT PRIMARY KEY,         -- stable: kind, host, identity
  kind         TEXT NOT NULL,            -- process, file, ip, domain, session, user, service, task, registry, script
  host         TEXT NOT NULL,
  key          TEXT NOT NULL,            -- identity within the host
  image        TEXT, command_line TEXT, user TEXT, name TEXT, source TEXT, workstation TEXT,
  logon_type   TEXT, logon_id TEXT,
  pid          INTEGER,
  start_ns     INTEGER, first_ns INTEGER, last_ns INTEGER,  -- ns since 1970 UTC
  hub          INTEGER NOT NULL,
  user_shell   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
  src     TEXT NOT NULL REFERENCES entities(id),
  dst     TEXT NOT NULL REFERENCES entities(id),
  kind    TEXT NOT NULL,                 -- spawned, executes, wrote, accessed, injected, logon, runs, ...
  time_ns INTEGER,                       -- first time seen
  count   INTEGER NOT NULL,
  port    INTEGER,                       -- an edge to an address: the destination port first seen (version 4)
  PRIMARY KEY (src, dst, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_entities (
  alert_id  TEXT PRIMARY KEY,            -- alerts.id or correlations.id
  entity_id TEXT NOT NULL REFERENCES entities(id),
  title     TEXT NOT NULL,
  level     TEXT NOT NULL,
  time_ns   INTEGER,
  host      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS incidents (
  id        TEXT PRIMARY KEY,            -- stable: a hash of its alert ids
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  first     TEXT, last TEXT,             -- RFC 3339 UTC
  score     REAL NOT NULL,
  severity  TEXT NOT NULL,
  headline  TEXT,
  root_id   TEXT REFERENCES entities(id),
  json      TEXT NOT NULL,               -- the JSON lines object (docs/output-schema.md)
  narrative TEXT,                        -- its story, short (version 4)
  narrative_long TEXT                    -- every step, as JSON with each fact's evidence (version 4)
);
CREATE TABLE IF NOT EXISTS incident_alerts (
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  alert_id    TEXT NOT NULL,
  PRIMARY KEY (incident_id, alert_id)
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

namespace {

// A path as an SQLite URI ("file:" + the path with %, ? and # escaped).
std::string file_uri(const std::string& path, const char* query) {
  std::string out = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out + "?" + query;
}

// The schema version of an open database: 0 with `present` false when it
// has no ariadne meta table (empty, or another program's database).
result<int> schema_version(sqlite3* db, bool& present, bool& has_tables) {
  present = false;
  has_tables = false;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*), sum(name = 'meta') FROM sqlite_master WHERE type = 'table'", -1, &st,
                         nullptr) != SQLITE_OK)
    return make_error(errc::io, sqlite3_errmsg(db));
  int tables = 0, meta = 0;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    tables = sqlite3_column_int(st, 0);
    meta = sqlite3_column_int(st, 1);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return make_error(errc::io, sqlite3_errmsg(db));
  has_tables = tables > 0;
  if (!meta) return 0;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, nullptr) != SQLITE_OK)
    return make_error(errc::io, sqlite3_errmsg(db));
  int version = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    present = true;
    version = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  return version;
}

}  // namespace

result<std::unique_ptr<database>> database::open(const std::string& path, open_mode mode) {
  std::unique_ptr<database> d(new database());
  const bool read_only = mode == open_mode::read_only;
  auto fail_open = [&](const std::string& what) {
    std::string msg = d->db_ ? sqlite3_errmsg(d->db_) : "out of memory";
    if (d->db_) sqlite3_close(d->db_);
    d->db_ = nullptr;
    return make_error(errc::io, what + path + ": " + msg);
  };
  // Evidence may sit on read-only media, and a viewer must leave no trace:
  // a database whose write-ahead log is folded in (no -wal file: no hunt
  // is writing it) opens as immutable, which creates no -wal or -shm file
  // beside it; one that a hunt may be writing opens read-only through its
  // log. Nothing is created, migrated or written.
  std::error_code ec;
  const bool has_wal = std::filesystem::exists(path + "-wal", ec);
  if (read_only) {
    if (sqlite3_open_v2(file_uri(path, has_wal ? "mode=ro" : "immutable=1").c_str(), &d->db_,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
      return fail_open("cannot open case database ");
  } else if (sqlite3_open_v2(path.c_str(), &d->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr) != SQLITE_OK) {
    return fail_open("cannot open case database ");
  }
  sqlite3_busy_timeout(d->db_, 5000);
  bool present = false, has_tables = false;
  auto version = schema_version(d->db_, present, has_tables);
  if (!version && read_only && has_wal) {  // the log cannot be read here (read-only folder): the file alone
    sqlite3_close(d->db_);
    d->db_ = nullptr;
    if (sqlite3_open_v2(file_uri(path, "immutable=1").c_str(), &d->db_,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
      return fail_open("cannot open case database ");
    version = schema_version(d->db_, present, has_tables);
  }
  if (!version) return with_context(version.error(), path + ": not a readable SQLite database");
  if (!present && has_tables)
    return make_error(errc::unsupported, path + ": an SQLite database, but not an ariadne case database; left as it is");
  if (read_only) {
    if (!present) return make_error(errc::io, path + ": an empty database, not an ariadne case database");
    if (*version >= 1 && *version < k_schema_version)
      return make_error(errc::unsupported, path + ": case database schema version " + std::to_string(*version) +
                                               ", from an older ariadne; 'ariadne hunt --case' upgrades it");
    if (*version != k_schema_version)
      return make_error(errc::unsupported, path + ": case database schema version " + std::to_string(*version) +
                                               " (this ariadne reads version " + std::to_string(k_schema_version) + ")");
    return d;
  }
  if (present && (*version < 1 || *version > k_schema_version))
    return make_error(errc::unsupported, path + ": case database schema version " + std::to_string(*version) +
                                             " (this ariadne reads version " + std::to_string(k_schema_version) + ")");
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"})
    ARIADNE_TRY_VOID(d->exec(pragma), path);
  ARIADNE_TRY_VOID(d->exec(k_schema), path + ": not a usable case database");
  if (!present) {
    std::string sql = "INSERT INTO meta(key, value) VALUES('schema_version','" + std::to_string(k_schema_version) +
                      "'), ('created_by','ariadne')";
    ARIADNE_TRY_VOID(d->exec(sql.c_str()), path);
  } else if (*version < k_schema_version) {
    // Version 1 had no graph tables (the schema above has just added them);
    // versions 1 and 2 had no alert groups; versions 1 to 3 no edge ports
    // and no narratives.
    auto has = [&](const char* probe_sql) {
      sqlite3_stmt* probe = nullptr;
      bool ok = sqlite3_prepare_v2(d->db_, probe_sql, -1, &probe, nullptr) == SQLITE_OK;
      sqlite3_finalize(probe);
      return ok;
    };
    if (!has("SELECT group_id FROM alerts LIMIT 0"))
      ARIADNE_TRY_VOID(d->exec("ALTER TABLE alerts ADD COLUMN group_id TEXT"), path);
    if (!has("SELECT port FROM edges LIMIT 0")) ARIADNE_TRY_VOID(d->exec("ALTER TABLE edges ADD COLUMN port INTEGER"), path);
    if (!has("SELECT narrative FROM incidents LIMIT 0"))
      ARIADNE_TRY_VOID(d->exec("ALTER TABLE incidents ADD COLUMN narrative TEXT"), path);
    if (!has("SELECT narrative_long FROM incidents LIMIT 0"))
      ARIADNE_TRY_VOID(d->exec("ALTER TABLE incidents ADD COLUMN narrative_long TEXT"), path);
    std::string sql = "UPDATE meta SET value='" + std::to_string(k_schema_version) + "' WHERE key='schema_version'";
    ARIADNE_TRY_VOID(d->exec(sql.c_str()), path);
  }
  ARIADNE_TRY_VOID(d->prepare(), path);
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
      "standalone, event, group_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";
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
  std::string json;
  append_json_string_list(json, inputs);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO runs(started_at, status, command, inputs, ruleset_digest, rules, correlations) "
                         "VALUES(?, 'running', ?, ?, ?, ?, ?)",
                         -1, &st, nullptr) != SQLITE_OK)
    return make_error(errc::io, std::string("cannot record the run: ") + sqlite3_errmsg(db_));
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

void database::note_error(const char* what) {
  if (!last_error_.empty()) return;  // the first error says why; later ones follow from it
  const int code = sqlite3_extended_errcode(db_);
  last_error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_FULL) last_error_ += " (the disk is full)";
  else if ((code & 0xff) == SQLITE_IOERR) last_error_ += " (I/O error)";
}

bool database::begin() {
  if (in_tx_) return true;
  if (auto r = exec("BEGIN"); !r) {
    note_error("cannot begin a transaction");
    return false;
  }
  in_tx_ = true;
  return true;
}

void database::step_insert(sqlite3_stmt* st) {
  if (!begin()) return;
  if (sqlite3_step(st) == SQLITE_DONE) {
    if (st != ins_member_) {
      ++counts_.alerts;
      if (sqlite3_changes(db_) > 0) ++counts_.new_alerts;
    }
  } else {
    note_error("cannot store");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

void database::add_alert(const report::alert& a, const sigma::rule& r, bool standalone, std::string_view group) {
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
  if (group.empty()) sqlite3_bind_null(st, 12);
  else bind_text(st, 12, group);
  step_insert(st);
}

void database::add_anomaly(const graph::graph& g, const graph::anomaly& a) {
  const graph::alert_ref& al = g.alerts[a.alert];
  sqlite3_stmt* st = ins_alert_;
  bind_text(st, 1, al.id);
  sqlite3_bind_int64(st, 2, run_);
  bind_text(st, 3, al.rule->id);
  bind_text(st, 4, al.rule->title);
  bind_text(st, 5, al.rule->level);
  if (al.time == k_no_time) sqlite3_bind_null(st, 6);
  else bind_text(st, 6, format_rfc3339(al.time));
  bind_text(st, 7, al.host);
  bind_text(st, 8, "(anomaly)");
  sqlite3_bind_int64(st, 9, 0);
  sqlite3_bind_int(st, 10, 1);
  bind_text(st, 11, graph::anomaly_to_jsonl(g, a));
  bind_text(st, 12, al.id);
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
  if (auto r = exec("COMMIT"); !r) {
    const int code = sqlite3_extended_errcode(db_);
    (void)exec("ROLLBACK");
    return make_error(errc::io, "case database: cannot commit: " + r.error().message +
                                    ((code & 0xff) == SQLITE_FULL ? " (the disk is full)" : ""));
  }
  return {};
}

result<void> database::end_run(std::int64_t run, const std::string& status, const run_counts& c) {
  if (auto r = commit(); !r) return r;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "UPDATE runs SET ended_at=?, status=?, events=?, alerts=?, new_alerts=? WHERE id=?", -1,
                         &st, nullptr) != SQLITE_OK)
    return make_error(errc::io, std::string("cannot close the run: ") + sqlite3_errmsg(db_));
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

namespace {

void bind_opt_text(sqlite3_stmt* st, int idx, const std::string& v) {
  if (v.empty()) sqlite3_bind_null(st, idx);
  else bind_text(st, idx, v);
}
void bind_time(sqlite3_stmt* st, int idx, time_ns t) {
  if (t == k_no_time) sqlite3_bind_null(st, idx);
  else sqlite3_bind_int64(st, idx, t);
}
std::string column_text(sqlite3_stmt* st, int idx) {
  const auto* p = sqlite3_column_text(st, idx);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, idx)))
           : std::string();
}
time_ns column_time(sqlite3_stmt* st, int idx) {
  return sqlite3_column_type(st, idx) == SQLITE_NULL ? k_no_time : sqlite3_column_int64(st, idx);
}

struct statement {
  sqlite3_stmt* st = nullptr;
  statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &st, nullptr); }
  ~statement() { sqlite3_finalize(st); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
};

}  // namespace

std::size_t database::add_graph(const graph::graph& g, const std::vector<graph::incident>& incidents) {
  // What a trace of any incident or alert needs: each incident's entities,
  // their chains back to the root cause and their impact.
  std::vector<char> keep(g.entities.size(), 0);
  for (const auto& inc : incidents) {
    for (const auto& st : graph::trace(g, inc.entities, true).steps) keep[st.entity] = 1;
    if (inc.root != graph::k_none) keep[inc.root] = 1;
  }
  // And what caused each kept entity, one step back, so a trace read from
  // the database stops where and why the hunt's did ("started by the user
  // from explorer.exe").
  static constexpr std::string_view k_causes[] = {"spawned", "started", "created", "injected", "runs", "logon", "wrote", "ran"};
  std::vector<char> cause_kind(g.edge_kinds.size(), 0);
  for (std::size_t k = 0; k < g.edge_kinds.size(); ++k)
    cause_kind[k] = std::find(std::begin(k_causes), std::end(k_causes), g.edge_kinds[k]) != std::end(k_causes);
  std::vector<char> kept = keep;
  for (const auto& e : g.edges)
    if (kept[e.to] && cause_kind[e.kind]) keep[e.from] = 1;
  statement ent(db_,
                "INSERT OR IGNORE INTO entities(id, kind, host, key, image, command_line, user, name, source, "
                "workstation, logon_type, logon_id, pid, start_ns, first_ns, last_ns, hub, user_shell) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  statement edg(db_, "INSERT OR IGNORE INTO edges(src, dst, kind, time_ns, count, port) VALUES(?,?,?,?,?,?)");
  statement ae(db_, "INSERT OR IGNORE INTO alert_entities(alert_id, entity_id, title, level, time_ns, host) "
                    "VALUES(?,?,?,?,?,?)");
  // An incident's id names its root and hosts (graph/incident.hpp): a later
  // run over more or other evidence replaces what an earlier one stored.
  statement inc_st(db_, "INSERT OR REPLACE INTO incidents(id, run_id, first, last, score, severity, headline, root_id, "
                        "json, narrative, narrative_long) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  statement ia_clear(db_, "DELETE FROM incident_alerts WHERE incident_id = ?");
  statement ia(db_, "INSERT OR IGNORE INTO incident_alerts(incident_id, alert_id) VALUES(?,?)");
  if (!ent.st || !edg.st || !ae.st || !inc_st.st || !ia_clear.st || !ia.st) {
    last_error_ = sqlite3_errmsg(db_);
    return 0;
  }
  std::size_t stored = 0;
  auto run = [&](sqlite3_stmt* st) {
    if (!begin()) return;
    if (sqlite3_step(st) != SQLITE_DONE) note_error("cannot store the graph");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  };
  for (std::size_t k = 0; k < g.entities.size(); ++k) {
    if (!keep[k]) continue;
    const auto& x = g.entities[k];
    bind_text(ent.st, 1, x.id);
    bind_text(ent.st, 2, graph::kind_name(x.kind));
    bind_text(ent.st, 3, x.host);
    bind_text(ent.st, 4, x.key);
    bind_opt_text(ent.st, 5, x.image);
    bind_opt_text(ent.st, 6, x.command_line);
    bind_opt_text(ent.st, 7, x.user);
    bind_opt_text(ent.st, 8, x.name);
    bind_opt_text(ent.st, 9, x.source);
    bind_opt_text(ent.st, 10, x.workstation);
    bind_opt_text(ent.st, 11, x.logon_type);
    bind_opt_text(ent.st, 12, x.logon_id);
    if (x.pid >= 0) sqlite3_bind_int64(ent.st, 13, x.pid);
    bind_time(ent.st, 14, x.start);
    bind_time(ent.st, 15, x.first);
    bind_time(ent.st, 16, x.last);
    sqlite3_bind_int(ent.st, 17, x.hub ? 1 : 0);
    sqlite3_bind_int(ent.st, 18, x.user_shell ? 1 : 0);
    run(ent.st);
    ++stored;
  }
  for (const auto& e : g.edges) {
    if (!keep[e.from] || !keep[e.to]) continue;
    bind_text(edg.st, 1, g.entities[e.from].id);
    bind_text(edg.st, 2, g.entities[e.to].id);
    bind_text(edg.st, 3, g.edge_kind_name(e.kind));
    bind_time(edg.st, 4, e.time);
    sqlite3_bind_int64(edg.st, 5, e.count);
    if (e.port) sqlite3_bind_int(edg.st, 6, e.port);
    else sqlite3_bind_null(edg.st, 6);
    run(edg.st);
  }
  for (const auto& a : g.alerts) {
    if (a.entity == graph::k_none || !keep[a.entity]) continue;
    bind_text(ae.st, 1, a.id);
    bind_text(ae.st, 2, g.entities[a.entity].id);
    bind_text(ae.st, 3, graph::title_of(a));
    bind_text(ae.st, 4, a.rule ? a.rule->level : std::string("informational"));
    bind_time(ae.st, 5, a.time);
    bind_text(ae.st, 6, a.host);
    run(ae.st);
  }
  for (const auto& inc : incidents) {
    bind_text(inc_st.st, 1, inc.id);
    sqlite3_bind_int64(inc_st.st, 2, run_);
    if (inc.first == k_no_time) sqlite3_bind_null(inc_st.st, 3);
    else bind_text(inc_st.st, 3, format_rfc3339(inc.first));
    if (inc.last == k_no_time) sqlite3_bind_null(inc_st.st, 4);
    else bind_text(inc_st.st, 4, format_rfc3339(inc.last));
    sqlite3_bind_double(inc_st.st, 5, inc.score);
    bind_text(inc_st.st, 6, graph::severity_name(inc.severity));
    if (inc.headline == graph::k_none) sqlite3_bind_null(inc_st.st, 7);
    else bind_text(inc_st.st, 7, graph::title_of(g.alerts[inc.headline]));
    if (inc.root == graph::k_none) sqlite3_bind_null(inc_st.st, 8);
    else bind_text(inc_st.st, 8, g.entities[inc.root].id);
    bind_text(inc_st.st, 9, graph::incident_to_jsonl(g, incidents, inc));
    bind_text(inc_st.st, 10, inc.story.text());
    // The long story is told here only: a case database is where people come back to.
    graph::narrative_options lo;
    lo.long_form = true;
    bind_text(inc_st.st, 11, graph::narrative_json(graph::tell(g, incidents, inc, lo)));
    run(inc_st.st);
    bind_text(ia_clear.st, 1, inc.id);
    run(ia_clear.st);
    for (auto a : inc.alerts) {
      bind_text(ia.st, 1, inc.id);
      bind_text(ia.st, 2, g.alerts[a].id);
      run(ia.st);
    }
  }
  return stored;
}

result<graph::graph> database::load_graph() {
  graph::graph g;
  {
    statement st(db_, "SELECT id, kind, host, key, image, command_line, user, name, source, workstation, logon_type, "
                      "logon_id, pid, start_ns, first_ns, last_ns, hub, user_shell FROM entities ORDER BY rowid");
    if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
    while (sqlite3_step(st.st) == SQLITE_ROW) {
      graph::entity x;
      x.id = column_text(st.st, 0);
      if (!graph::parse_kind(column_text(st.st, 1), x.kind)) continue;
      x.host = column_text(st.st, 2);
      x.key = column_text(st.st, 3);
      x.image = column_text(st.st, 4);
      x.command_line = column_text(st.st, 5);
      x.user = column_text(st.st, 6);
      x.name = column_text(st.st, 7);
      x.source = column_text(st.st, 8);
      x.workstation = column_text(st.st, 9);
      x.logon_type = column_text(st.st, 10);
      x.logon_id = column_text(st.st, 11);
      x.pid = sqlite3_column_type(st.st, 12) == SQLITE_NULL ? -1 : sqlite3_column_int64(st.st, 12);
      x.start = column_time(st.st, 13);
      x.first = column_time(st.st, 14);
      x.last = column_time(st.st, 15);
      x.hub = sqlite3_column_int(st.st, 16) != 0;
      x.user_shell = sqlite3_column_int(st.st, 17) != 0;
      g.entities.push_back(std::move(x));
    }
  }
  std::unordered_map<std::string, std::uint32_t> at;
  for (std::uint32_t k = 0; k < g.entities.size(); ++k) at.emplace(g.entities[k].id, k);
  {
    statement st(db_, "SELECT src, dst, kind, time_ns, count, port FROM edges");
    if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
    while (sqlite3_step(st.st) == SQLITE_ROW) {
      auto a = at.find(column_text(st.st, 0));
      auto b = at.find(column_text(st.st, 1));
      if (a == at.end() || b == at.end()) continue;
      graph::edge e;
      e.from = a->second;
      e.to = b->second;
      e.kind = g.edge_kind(column_text(st.st, 2));
      e.time = column_time(st.st, 3);
      e.count = static_cast<std::uint32_t>(sqlite3_column_int64(st.st, 4));
      auto port = sqlite3_column_int64(st.st, 5);
      if (port > 0 && port <= 65535) e.port = static_cast<std::uint16_t>(port);
      g.edges.push_back(e);
    }
  }
  {
    statement st(db_, "SELECT alert_id, entity_id, title, level, time_ns, host FROM alert_entities ORDER BY time_ns");
    std::unordered_map<std::string, const graph::alert_rule*> rules;
    std::unordered_map<std::string, std::string_view> hosts;
    if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
    while (sqlite3_step(st.st) == SQLITE_ROW) {
      auto e = at.find(column_text(st.st, 1));
      if (e == at.end()) continue;
      graph::alert_ref a;
      a.id = column_text(st.st, 0);
      a.entity = e->second;
      // One rule per title and level (the table keeps no rule id).
      std::string title = column_text(st.st, 2), level = column_text(st.st, 3);
      auto key = title + "\n" + level;
      auto r = rules.find(key);
      if (r == rules.end()) {
        graph::alert_rule ar;
        ar.id = key;
        ar.title = title;
        ar.level = level;
        sigma::level lv{};
        if (sigma::parse_level(level, lv)) ar.severity = static_cast<int>(lv);
        g.rules.push_back(std::move(ar));
        r = rules.emplace(key, &g.rules.back()).first;
      }
      a.rule = r->second;
      a.time = column_time(st.st, 4);
      std::string host = column_text(st.st, 5);
      auto h = hosts.find(host);
      if (h == hosts.end()) {
        g.hosts.push_back(host);
        h = hosts.emplace(host, std::string_view(g.hosts.back())).first;
      }
      a.host = h->second;
      g.alerts.push_back(std::move(a));
    }
  }
  g.index();
  return g;
}

result<std::vector<std::string>> database::match_ids(const std::string& table, const std::string& prefix) {
  static const char* const k_tables[] = {"alerts", "correlations", "incidents", "alert_entities"};
  if (std::find(std::begin(k_tables), std::end(k_tables), table) == std::end(k_tables))
    return make_error(errc::usage, "no such table: " + table);
  std::string col = table == "alert_entities" ? "alert_id" : "id";
  std::string sql = "SELECT " + col + " FROM " + table + " WHERE " + col + " >= ? AND " + col + " < ? ORDER BY " +
                    col + " LIMIT 5";
  statement st(db_, sql.c_str());
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  std::string hi = prefix;
  hi.push_back('\x7f');
  bind_text(st.st, 1, prefix);
  bind_text(st.st, 2, hi);
  std::vector<std::string> out;
  while (sqlite3_step(st.st) == SQLITE_ROW) out.push_back(column_text(st.st, 0));
  return out;
}

result<std::vector<std::string>> database::incident_alerts(const std::string& incident_id) {
  statement st(db_, "SELECT alert_id FROM incident_alerts WHERE incident_id = ?");
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  bind_text(st.st, 1, incident_id);
  std::vector<std::string> out;
  while (sqlite3_step(st.st) == SQLITE_ROW) out.push_back(column_text(st.st, 0));
  return out;
}

result<std::vector<std::string>> database::incidents_json() {
  statement st(db_, "SELECT json FROM incidents ORDER BY score DESC, first, id");
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  std::vector<std::string> out;
  int rc = 0;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) out.push_back(column_text(st.st, 0));
  if (rc != SQLITE_DONE) return make_error(errc::io, sqlite3_errmsg(db_));
  return out;
}

result<std::vector<alert_row>> database::incident_alert_rows(const std::string& incident_id) {
  statement st(db_,
               "SELECT a.id, a.time, a.level, a.rule_title, a.host, a.source_file, a.source_record, "
               "COALESCE(a.group_id, '') FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id "
               "WHERE ia.incident_id = ? ORDER BY a.time, a.id");
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  bind_text(st.st, 1, incident_id);
  std::vector<alert_row> out;
  int rc = 0;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    alert_row r;
    r.id = column_text(st.st, 0);
    r.time = column_text(st.st, 1);
    r.level = column_text(st.st, 2);
    r.title = column_text(st.st, 3);
    r.host = column_text(st.st, 4);
    r.source_file = column_text(st.st, 5);
    r.record = static_cast<std::uint64_t>(sqlite3_column_int64(st.st, 6));
    r.group = column_text(st.st, 7);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return make_error(errc::io, sqlite3_errmsg(db_));
  return out;
}

result<std::string> database::incident_narrative(const std::string& incident_id, bool long_form) {
  statement st(db_, long_form ? "SELECT narrative_long FROM incidents WHERE id = ?" : "SELECT narrative FROM incidents WHERE id = ?");
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  bind_text(st.st, 1, incident_id);
  if (sqlite3_step(st.st) != SQLITE_ROW) return make_error(errc::usage, "no incident " + incident_id);
  return column_text(st.st, 0);
}

result<std::string> database::incident_json(const std::string& incident_id) {
  statement st(db_, "SELECT json FROM incidents WHERE id = ?");
  if (!st.st) return make_error(errc::io, sqlite3_errmsg(db_));
  bind_text(st.st, 1, incident_id);
  if (sqlite3_step(st.st) != SQLITE_ROW) return make_error(errc::usage, "no incident " + incident_id);
  return column_text(st.st, 0);
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
