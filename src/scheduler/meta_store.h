#pragma once
// The scheduler's metadata in SQLite (`scheduler.metadata`, the role of the seed's
// Postgres): the DAGs' pause state and schedule position, DAG runs and task instances
// with every try. The scheduler is its one writer of runs' and tasks' progress, under
// the lock file beside it (SchedulerLock); the CLI only inserts runs (trigger,
// backfill) and flips pause flags, each in one short transaction, and any number of
// processes read it (WAL mode, so readers never wait for the writer).
//
// Times are milliseconds since the Unix epoch, UTC. The schema carries a version
// (table meta, key schema_version); open() creates the schema, migrates an older one
// and refuses a newer one, naming both versions.
//
// Threading: a MetaStore belongs to one thread.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::scheduler {

enum class RunState { queued, running, success, failed, skipped };
enum class TiState { queued, running, success, failed, up_for_retry, upstream_failed, skipped };
enum class RunType { scheduled, manual, backfill };

std::string_view to_string(RunState s);
std::string_view to_string(TiState s);
std::string_view to_string(RunType t);
bool is_finished(RunState s);
bool is_finished(TiState s);  // success, failed, upstream_failed, skipped

struct DagRun {
  std::string dag_id, run_id;
  RunType type = RunType::scheduled;
  int64_t logical_ms = 0;
  int64_t interval_start_ms = 0, interval_end_ms = 0;
  int64_t due_ms = 0;  // when it was due to start (the interval's end; a manual run: its trigger time)
  RunState state = RunState::queued;
  int64_t queued_ms = 0, start_ms = 0, end_ms = 0;
  int64_t first_task_start_ms = 0;  // scheduling delay = first_task_start_ms - due_ms
  std::string conf;                 // JSON object of --conf k=v
  std::string note;                 // why it failed or was skipped
};

struct TaskInstance {
  std::string dag_id, run_id, task_id;
  TiState state = TiState::queued;
  int try_number = 0;  // the try running or last run (1-based); 0: not started yet
  int max_tries = 1;
  int64_t queued_ms = 0, start_ms = 0, end_ms = 0;
  int64_t next_try_ms = 0;  // up_for_retry: not before this
  int pid = 0;              // the supervisor of the running try
  uint64_t pid_ticks = 0;   // its start time (/proc/<pid>/stat), against pid reuse
  int64_t records_produced = -1, records_written = -1;  // -1: not a task that reports them
  int exit_code = -1;
  std::string error;
};

struct DagState {
  std::string dag_id;
  bool paused = false;
  int64_t next_start_ms = -1;  // start of the next scheduled interval to create (-1: from the start date)
};

class MetaStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (and creates, with its directory) the database. `read_only`: fails if absent.
  static MetaStore open(const std::string& path, bool read_only = false);
  MetaStore(MetaStore&&) noexcept;
  MetaStore& operator=(MetaStore&&) noexcept;
  ~MetaStore();
  const std::string& path() const { return path_; }

  // Runs `fn` in one transaction (BEGIN IMMEDIATE; committed unless it throws).
  void transaction(const std::function<void()>& fn);

  // The DAG's state, inserted (with `paused`) when the DAG is new.
  DagState ensure_dag(const std::string& dag_id, bool paused);
  std::optional<DagState> dag(const std::string& dag_id);
  void set_paused(const std::string& dag_id, bool paused);
  void set_next_start(const std::string& dag_id, int64_t next_start_ms);

  // False (and nothing written) if the DAG has a run with that run id or logical date.
  bool insert_run(const DagRun& run);
  void update_run(const DagRun& run);
  std::optional<DagRun> run(const std::string& dag_id, const std::string& run_id);
  // The DAG's runs, newest logical date first (all DAGs: dag_id empty).
  std::vector<DagRun> runs(const std::string& dag_id, int limit = 1000);
  // The DAG's runs queued or running (or running only).
  int count_active(const std::string& dag_id, bool running_only = false);
  // Runs queued or running, oldest logical date first.
  std::vector<DagRun> active_runs();
  int64_t count_runs(const std::string& dag_id);

  void upsert_task(const TaskInstance& ti);
  std::vector<TaskInstance> tasks(const std::string& dag_id, const std::string& run_id);
  std::vector<TaskInstance> tasks_in_state(TiState state);

 private:
  MetaStore(sqlite3* db, std::string path);
  void exec(const char* sql);
  void migrate(bool read_only);
  sqlite3* db_ = nullptr;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> stmts_;  // prepared once (see Stmt)
};

}  // namespace sluice::scheduler
