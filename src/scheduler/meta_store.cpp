#include "scheduler/meta_store.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <utility>

#include "common/error.h"

namespace sluice::scheduler {
namespace {

// Version 1. A later version adds its steps to migrate() and bumps kSchemaVersion.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dags (
  dag_id TEXT PRIMARY KEY,
  paused INTEGER NOT NULL,
  next_start_ms INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE IF NOT EXISTS dag_runs (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  run_type TEXT NOT NULL,
  logical_ms INTEGER NOT NULL,
  interval_start_ms INTEGER NOT NULL,
  interval_end_ms INTEGER NOT NULL,
  due_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  queued_ms INTEGER NOT NULL DEFAULT 0,
  start_ms INTEGER NOT NULL DEFAULT 0,
  end_ms INTEGER NOT NULL DEFAULT 0,
  first_task_start_ms INTEGER NOT NULL DEFAULT 0,
  conf TEXT NOT NULL DEFAULT '{}',
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (dag_id, run_id),
  UNIQUE (dag_id, logical_ms)
);
CREATE INDEX IF NOT EXISTS dag_runs_state ON dag_runs (state);
CREATE INDEX IF NOT EXISTS dag_runs_dag_state ON dag_runs (dag_id, state);
CREATE TABLE IF NOT EXISTS task_instances (
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT NOT NULL,
  try_number INTEGER NOT NULL,
  max_tries INTEGER NOT NULL,
  queued_ms INTEGER NOT NULL DEFAULT 0,
  start_ms INTEGER NOT NULL DEFAULT 0,
  end_ms INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL DEFAULT 0,
  pid INTEGER NOT NULL DEFAULT 0,
  pid_ticks INTEGER NOT NULL DEFAULT 0,
  records_produced INTEGER NOT NULL DEFAULT -1,
  records_written INTEGER NOT NULL DEFAULT -1,
  exit_code INTEGER NOT NULL DEFAULT -1,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (dag_id, run_id, task_id)
);
CREATE INDEX IF NOT EXISTS task_instances_state ON task_instances (state);
)sql";

// A statement prepared once per connection (the scheduler runs the same few thousands
// of times a second under load), reset for its next use when this goes.
class Stmt {
 public:
  Stmt(sqlite3* db, std::map<std::string, sqlite3_stmt*, std::less<>>& cache, std::string_view sql) : db_(db) {
    auto it = cache.find(sql);
    if (it != cache.end()) {
      s_ = it->second;
      return;
    }
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
        SQLITE_OK)
      throw FatalError(std::string("metadata database: ") + sqlite3_errmsg(db));
    cache.emplace(std::string(sql), s_);
  }
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  Stmt& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  // SQLITE_ROW: true; SQLITE_DONE: false; a constraint: `constraint` set.
  bool step(bool* constraint = nullptr) {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if (constraint && (rc & 0xff) == SQLITE_CONSTRAINT) {
      *constraint = true;
      return false;
    }
    throw FatalError(std::string("metadata database: ") + sqlite3_errmsg(db_));
  }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  std::string text(int c) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, c))) : std::string();
  }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK) throw FatalError(std::string("metadata database: ") + sqlite3_errmsg(db_));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

template <typename E, size_t N>
E parse_enum(const std::string& text, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [name, e] : names)
    if (name == text) return e;
  throw FatalError("metadata database: unknown state \"" + text + "\" (written by a newer sluice?)");
}

constexpr std::pair<std::string_view, RunState> kRunStates[] = {{"queued", RunState::queued},
                                                                {"running", RunState::running},
                                                                {"success", RunState::success},
                                                                {"failed", RunState::failed},
                                                                {"skipped", RunState::skipped}};
constexpr std::pair<std::string_view, TiState> kTiStates[] = {
    {"queued", TiState::queued},       {"running", TiState::running},
    {"success", TiState::success},     {"failed", TiState::failed},
    {"up_for_retry", TiState::up_for_retry}, {"upstream_failed", TiState::upstream_failed},
    {"skipped", TiState::skipped}};
constexpr std::pair<std::string_view, RunType> kRunTypes[] = {
    {"scheduled", RunType::scheduled}, {"manual", RunType::manual}, {"backfill", RunType::backfill}};

template <typename E, size_t N>
std::string_view name_of(E e, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [name, v] : names)
    if (v == e) return name;
  return "?";
}

constexpr const char* kRunColumns =
    "dag_id, run_id, run_type, logical_ms, interval_start_ms, interval_end_ms, due_ms, state, queued_ms, start_ms, "
    "end_ms, first_task_start_ms, conf, note";

DagRun read_run(const Stmt& s) {
  DagRun r;
  r.dag_id = s.text(0);
  r.run_id = s.text(1);
  r.type = parse_enum(s.text(2), kRunTypes);
  r.logical_ms = s.i64(3);
  r.interval_start_ms = s.i64(4);
  r.interval_end_ms = s.i64(5);
  r.due_ms = s.i64(6);
  r.state = parse_enum(s.text(7), kRunStates);
  r.queued_ms = s.i64(8);
  r.start_ms = s.i64(9);
  r.end_ms = s.i64(10);
  r.first_task_start_ms = s.i64(11);
  r.conf = s.text(12);
  r.note = s.text(13);
  return r;
}

constexpr const char* kTiColumns =
    "dag_id, run_id, task_id, state, try_number, max_tries, queued_ms, start_ms, end_ms, next_try_ms, pid, "
    "pid_ticks, records_produced, records_written, exit_code, error";

TaskInstance read_ti(const Stmt& s) {
  TaskInstance t;
  t.dag_id = s.text(0);
  t.run_id = s.text(1);
  t.task_id = s.text(2);
  t.state = parse_enum(s.text(3), kTiStates);
  t.try_number = static_cast<int>(s.i64(4));
  t.max_tries = static_cast<int>(s.i64(5));
  t.queued_ms = s.i64(6);
  t.start_ms = s.i64(7);
  t.end_ms = s.i64(8);
  t.next_try_ms = s.i64(9);
  t.pid = static_cast<int>(s.i64(10));
  t.pid_ticks = static_cast<uint64_t>(s.i64(11));
  t.records_produced = s.i64(12);
  t.records_written = s.i64(13);
  t.exit_code = static_cast<int>(s.i64(14));
  t.error = s.text(15);
  return t;
}

}  // namespace

std::string_view to_string(RunState s) { return name_of(s, kRunStates); }
std::string_view to_string(TiState s) { return name_of(s, kTiStates); }
std::string_view to_string(RunType t) { return name_of(t, kRunTypes); }
bool is_finished(RunState s) { return s == RunState::success || s == RunState::failed || s == RunState::skipped; }
bool is_finished(TiState s) {
  return s == TiState::success || s == TiState::failed || s == TiState::upstream_failed || s == TiState::skipped;
}

MetaStore::MetaStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
MetaStore::MetaStore(MetaStore&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)), stmts_(std::move(o.stmts_)) {
  o.stmts_.clear();
}
MetaStore& MetaStore::operator=(MetaStore&& o) noexcept {
  std::swap(db_, o.db_);
  std::swap(path_, o.path_);
  std::swap(stmts_, o.stmts_);
  return *this;
}
MetaStore::~MetaStore() {
  for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
  if (db_) sqlite3_close(db_);
}

MetaStore MetaStore::open(const std::string& path, bool read_only) {
  if (read_only && !std::filesystem::exists(path))
    throw UsageError("no scheduler metadata at " + path + " (no DAG has run yet; `sluice scheduler` or `sluice up` "
                     "creates it)");
  if (!read_only) {
    auto dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw FatalError("cannot open the scheduler metadata " + path + ": " + why);
  }
  MetaStore store(db, path);
  sqlite3_busy_timeout(db, 10'000);
  if (!read_only) {
    // Switching to WAL needs the database to itself and does not wait on the busy
    // handler: two commands creating the file at once (two `dags trigger`) retry it.
    for (int i = 0;; ++i) {
      int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if ((rc & 0xff) != SQLITE_BUSY || i >= 1000) store.exec("PRAGMA journal_mode=WAL");  // throws, naming why
      usleep(10'000);
    }
    store.exec("PRAGMA synchronous=NORMAL");
  }
  store.migrate(read_only);
  return store;
}

void MetaStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    throw FatalError("metadata database " + path_ + ": " + why);
  }
}

void MetaStore::migrate(bool read_only) {
  int version = 0;
  {
    Stmt s(db_, stmts_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    s.step();
    if (s.i64(0) > 0) {
      Stmt v(db_, stmts_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (v.step()) version = std::stoi(v.text(0));
    }
  }
  if (version > kSchemaVersion)
    throw FatalError("the scheduler metadata " + path_ + " has schema version " + std::to_string(version) +
                     ", newer than this sluice's " + std::to_string(kSchemaVersion) + ": use a newer sluice");
  if (version == kSchemaVersion) return;
  if (read_only)
    throw FatalError("the scheduler metadata " + path_ + " has schema version " + std::to_string(version) +
                     "; a scheduler of this sluice migrates it to " + std::to_string(kSchemaVersion));
  transaction([&] {
    if (version < 1) exec(kSchemaV1);
    // Later versions: if (version < 2) exec(kMigrateV2); ...
    Stmt s(db_, stmts_, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)");
    s.bind(1, std::to_string(kSchemaVersion)).step();
  });
}

void MetaStore::transaction(const std::function<void()>& fn) {
  exec("BEGIN IMMEDIATE");
  try {
    fn();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  exec("COMMIT");
}

DagState MetaStore::ensure_dag(const std::string& dag_id, bool paused) {
  Stmt ins(db_, stmts_, "INSERT OR IGNORE INTO dags (dag_id, paused) VALUES (?, ?)");
  ins.bind(1, dag_id).bind(2, paused ? 1 : 0).step();
  return *dag(dag_id);
}

std::optional<DagState> MetaStore::dag(const std::string& dag_id) {
  Stmt s(db_, stmts_, "SELECT paused, next_start_ms FROM dags WHERE dag_id = ?");
  s.bind(1, dag_id);
  if (!s.step()) return std::nullopt;
  return DagState{dag_id, s.i64(0) != 0, s.i64(1)};
}

void MetaStore::set_paused(const std::string& dag_id, bool paused) {
  Stmt s(db_, stmts_, "INSERT INTO dags (dag_id, paused) VALUES (?1, ?2) ON CONFLICT (dag_id) DO UPDATE SET paused = ?2");
  s.bind(1, dag_id).bind(2, paused ? 1 : 0).step();
}

void MetaStore::set_next_start(const std::string& dag_id, int64_t next_start_ms) {
  Stmt s(db_, stmts_, "UPDATE dags SET next_start_ms = ? WHERE dag_id = ?");
  s.bind(1, next_start_ms).bind(2, dag_id).step();
}

bool MetaStore::insert_run(const DagRun& r) {
  std::string sql = std::string("INSERT INTO dag_runs (") + kRunColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(db_, stmts_, sql.c_str());
  s.bind(1, r.dag_id).bind(2, r.run_id).bind(3, to_string(r.type)).bind(4, r.logical_ms).bind(5, r.interval_start_ms);
  s.bind(6, r.interval_end_ms).bind(7, r.due_ms).bind(8, to_string(r.state)).bind(9, r.queued_ms).bind(10, r.start_ms);
  s.bind(11, r.end_ms).bind(12, r.first_task_start_ms).bind(13, r.conf.empty() ? "{}" : r.conf).bind(14, r.note);
  bool constraint = false;
  s.step(&constraint);
  return !constraint;
}

void MetaStore::update_run(const DagRun& r) {
  Stmt s(db_, stmts_,
         "UPDATE dag_runs SET state = ?, queued_ms = ?, start_ms = ?, end_ms = ?, first_task_start_ms = ?, note = ? "
         "WHERE dag_id = ? AND run_id = ?");
  s.bind(1, to_string(r.state)).bind(2, r.queued_ms).bind(3, r.start_ms).bind(4, r.end_ms);
  s.bind(5, r.first_task_start_ms).bind(6, r.note).bind(7, r.dag_id).bind(8, r.run_id).step();
}

std::optional<DagRun> MetaStore::run(const std::string& dag_id, const std::string& run_id) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM dag_runs WHERE dag_id = ? AND run_id = ?";
  Stmt s(db_, stmts_, sql.c_str());
  s.bind(1, dag_id).bind(2, run_id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<DagRun> MetaStore::runs(const std::string& dag_id, int limit) {
  // Two statements, so that one DAG's runs come off the (dag_id, logical_ms) index
  // instead of a scan of every run (an OR in the WHERE defeats the index).
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM dag_runs " +
                    (dag_id.empty() ? "ORDER BY logical_ms DESC LIMIT ?1" : "WHERE dag_id = ?2 ORDER BY logical_ms DESC LIMIT ?1");
  Stmt s(db_, stmts_, sql);
  s.bind(1, limit);
  if (!dag_id.empty()) s.bind(2, dag_id);
  std::vector<DagRun> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

int MetaStore::count_active(const std::string& dag_id, bool running_only) {
  Stmt s(db_, stmts_,
         running_only ? "SELECT count(*) FROM dag_runs WHERE dag_id = ? AND state = 'running'"
                      : "SELECT count(*) FROM dag_runs WHERE dag_id = ? AND state IN ('queued', 'running')");
  s.bind(1, dag_id).step();
  return static_cast<int>(s.i64(0));
}

std::vector<DagRun> MetaStore::active_runs() {
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM dag_runs WHERE state IN ('queued', 'running') ORDER BY logical_ms, run_id";
  Stmt s(db_, stmts_, sql.c_str());
  std::vector<DagRun> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

int64_t MetaStore::count_runs(const std::string& dag_id) {
  Stmt s(db_, stmts_, "SELECT count(*) FROM dag_runs WHERE dag_id = ?");
  s.bind(1, dag_id).step();
  return s.i64(0);
}

void MetaStore::upsert_task(const TaskInstance& t) {
  std::string sql = std::string("INSERT OR REPLACE INTO task_instances (") + kTiColumns +
                    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(db_, stmts_, sql.c_str());
  s.bind(1, t.dag_id).bind(2, t.run_id).bind(3, t.task_id).bind(4, to_string(t.state)).bind(5, t.try_number);
  s.bind(6, t.max_tries).bind(7, t.queued_ms).bind(8, t.start_ms).bind(9, t.end_ms).bind(10, t.next_try_ms);
  s.bind(11, t.pid).bind(12, static_cast<int64_t>(t.pid_ticks)).bind(13, t.records_produced);
  s.bind(14, t.records_written).bind(15, t.exit_code).bind(16, t.error).step();
}

std::vector<TaskInstance> MetaStore::tasks(const std::string& dag_id, const std::string& run_id) {
  std::string sql = std::string("SELECT ") + kTiColumns + " FROM task_instances WHERE dag_id = ? AND run_id = ?";
  Stmt s(db_, stmts_, sql.c_str());
  s.bind(1, dag_id).bind(2, run_id);
  std::vector<TaskInstance> out;
  while (s.step()) out.push_back(read_ti(s));
  return out;
}

std::vector<TaskInstance> MetaStore::tasks_in_state(TiState state) {
  std::string sql = std::string("SELECT ") + kTiColumns + " FROM task_instances WHERE state = ?";
  Stmt s(db_, stmts_, sql.c_str());
  s.bind(1, to_string(state));
  std::vector<TaskInstance> out;
  while (s.step()) out.push_back(read_ti(s));
  return out;
}

}  // namespace sluice::scheduler
