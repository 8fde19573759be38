#pragma once
// The scheduler: creates the DAGs' runs when they are due, starts each task instance
// as a child process once its upstream tasks succeeded, retries failed tries with the
// one backoff, and records all of it in the metadata store. Airflow's semantics:
//
// - A scheduled run covers a data interval [start, end) of its DAG's schedule and is due
//   at `end`; its logical date is `start` (a @daily run for day D runs at D+1 00:00).
// - catchup on: a run for every interval since the start date (or since the last one
//   created), at most max_active_runs of them queued or running at once; catchup off:
//   only the latest interval that has ended. A logical date never gets two runs (the
//   store's unique key), manual runs included: a manual run's logical date is its
//   trigger time, its data interval the last complete one before it.
// - overlap: a run due while another run of the DAG is running starts alongside it
//   (allow, up to max_active_runs), waits for it (queue) or is recorded as skipped.
// - A paused DAG creates no runs and starts none; tasks already running finish.
//
// Time: the loop sleeps in poll() until the next due time, a retry time, a task's end
// (each running try's pidfd is in the poll set) or a wake-up (the CLI writes to the
// FIFO `<metadata>.wake` after changing the store; stop() writes to it too). It never
// polls on a short interval. The clock is injectable (tests drive tick() with a fake
// time and a fake TaskRunner).
//
// Crash recovery (recover(), called once at start): a task instance left `running`
// whose supervisor is still alive is adopted (its pidfd watched, its result file read
// when it ends), never started twice; one whose supervisor is gone takes its result
// file if the try ended meanwhile, else is failed ("the scheduler stopped while it
// ran") and retried per its policy.
//
// Threading: one thread calls recover(), tick() and run(); stop() may be called from any.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "metrics/registry.h"
#include "scheduler/dag.h"
#include "scheduler/launcher.h"
#include "scheduler/meta_store.h"
#include "scheduler/task_process.h"

namespace sluice::scheduler {

struct TaskKey {
  std::string dag_id, run_id, task_id;
  auto operator<=>(const TaskKey&) const = default;
};

// How a try's process is started and watched: real processes (ProcessRunner) or, in
// tests, a fake that ends tries when told.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  struct Handle {
    int pid = 0;
    uint64_t ticks = 0;
    int64_t started_ms = 0;  // when its process started (0: the caller's clock decides)
    std::string error;       // start_all: empty if it started
  };
  virtual Handle start(const TaskKey& key, const SuperviseOptions& options) = 0;
  // Starts several tries at once; one Handle per entry, in order, with `error` set for
  // those that could not start.
  virtual std::vector<Handle> start_all(const std::vector<std::pair<TaskKey, SuperviseOptions>>& batch);
  // Re-attaches to a try started by an earlier scheduler; false if its process is gone.
  virtual bool adopt(const TaskKey& key, int pid, uint64_t ticks, const std::string& result_path) = 0;
  // Descriptors that become readable when a try ends (poll set).
  virtual std::vector<int> fds() = 0;
  // Tries that ended since the last call, with their results.
  virtual std::vector<std::pair<TaskKey, TaskResult>> reap() = 0;
  virtual size_t running() const = 0;
  // True if reap() has results now without waiting on fds() (a try that ended at once).
  virtual bool results_ready() const { return false; }
  // Asks every running try to stop (graceful stop of the scheduler).
  virtual void terminate_all() = 0;
};

// TaskRunner over real supervisors: forked by a Launcher (the default; create the runner
// before the process starts threads), or, with `self_exe` given, each spawned as the
// sluice binary's `__supervise` (an exec per task: slower, but needs no launcher).
class ProcessRunner : public TaskRunner {
 public:
  ProcessRunner();
  explicit ProcessRunner(std::string self_exe) : self_exe_(std::move(self_exe)) {}
  ~ProcessRunner() override;
  Handle start(const TaskKey& key, const SuperviseOptions& options) override;
  std::vector<Handle> start_all(const std::vector<std::pair<TaskKey, SuperviseOptions>>& batch) override;
  bool adopt(const TaskKey& key, int pid, uint64_t ticks, const std::string& result_path) override;
  std::vector<int> fds() override;
  std::vector<std::pair<TaskKey, TaskResult>> reap() override;
  size_t running() const override { return procs_.size(); }
  bool results_ready() const override { return !ended_at_start_.empty(); }
  void terminate_all() override;

 private:
  struct Proc {
    TaskProcess process;
    std::string result_path;
  };
  std::string self_exe_;
  std::unique_ptr<Launcher> launcher_;
  std::map<TaskKey, Proc> procs_;
  std::vector<std::pair<TaskKey, std::string>> ended_at_start_;  // gone before we watched them
};

struct SchedulerOptions {
  // The command line of a produce or stream task: sluice's binary, then these (the
  // config file and the overrides the scheduler itself got), then the subcommand.
  std::string sluice_exe = "/proc/self/exe";
  std::vector<std::string> sluice_args;
  std::string logs_dir = "./data/logs";
  int64_t task_log_bytes = 10 << 20;
  std::chrono::milliseconds kill_grace{10'000};
  int parallelism = 32;
};

class Scheduler {
 public:
  Scheduler(std::vector<DagSpec> dags, MetaStore& store, TaskRunner& runner, SchedulerOptions options,
            std::function<int64_t()> now_ms = {}, metrics::Registry* registry = nullptr);
  ~Scheduler();

  void recover();
  // One pass at now(): creates due runs, starts what may start, records ended tries.
  // Returns the wall time (ms) of the next thing due, or INT64_MAX.
  int64_t tick();
  // tick() and sleep until stop(); with `until` set, returns once it says true (checked
  // after every tick: `sluice dags trigger --wait` without a scheduler).
  void run(const std::function<bool()>& until = {});
  // Safe from any thread.
  void stop();
  // When stopping: ask running tries to end (they are recorded failed and retried by the
  // next scheduler); without it they are left running, to be adopted.
  void set_terminate_on_stop(bool on) { terminate_on_stop_ = on; }
  // Restricts the scheduler to these runs (no scheduled runs created): a one-shot run.
  void only_runs(std::set<std::pair<std::string, std::string>> runs);

  // File names of a try: <logs>/<dag>/<run>/<task>/<try>.log and .result.json.
  static std::string log_path(const std::string& logs_dir, const TaskKey& k, int try_number);
  static std::string result_path(const std::string& logs_dir, const TaskKey& k, int try_number);
  // The last line of a try's log that is a JSON object (a sluice task's --json summary),
  // or "" if there is none.
  static std::string summary_line(const std::string& log_path);

 private:
  struct Pending;
  void create_scheduled_runs(const DagSpec& dag, int64_t now, int64_t& wake);
  void advance_run(const DagSpec& dag, DagRun& run, int64_t now, int64_t& wake, std::vector<Pending>& to_start);
  void record_result(const TaskKey& key, const TaskResult& result, int64_t now);
  SuperviseOptions launch_options(const DagSpec& dag, const TaskSpec& task, const DagRun& run, int try_number) const;
  const DagSpec* dag(const std::string& id) const;

  std::vector<DagSpec> dags_;
  MetaStore& store_;
  TaskRunner& runner_;
  SchedulerOptions options_;
  std::function<int64_t()> now_;
  std::optional<std::set<std::pair<std::string, std::string>>> only_;
  int wake_fd_ = -1;  // the FIFO (or, without a path, a pipe) the loop polls
  int wake_write_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool terminate_on_stop_ = true;
  std::map<std::string, int64_t> next_due_;  // per DAG: the next scheduled run's due time (cache)
  metrics::Counter* runs_created_ = nullptr;
  metrics::Counter* tries_started_ = nullptr;
  metrics::Histogram* delay_ = nullptr;
};

// Opens the wake-up FIFO of the metadata database `meta_path` for writing and writes a
// byte: true if a scheduler is listening.
bool wake_scheduler(const std::string& meta_path);

// The lock that makes one process the scheduler of a metadata database: a lock file
// beside it holding the owner's pid.
class SchedulerLock {
 public:
  // Takes the lock; nullopt if another process holds it (`holder` gets its pid).
  static std::optional<SchedulerLock> try_take(const std::string& meta_path, int* holder = nullptr);
  // The pid holding the lock, or 0.
  static int holder(const std::string& meta_path);
  SchedulerLock(SchedulerLock&& o) noexcept;
  SchedulerLock& operator=(SchedulerLock&&) = delete;
  ~SchedulerLock();

 private:
  explicit SchedulerLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Run ids: scheduled__2023-09-04T00:00:00+00:00, manual__2026-12-02T10:15:30.123+00:00.
std::string make_run_id(RunType type, int64_t logical_ms);
// A manual run of `dag` triggered at `now_ms` (logical date now, the data interval the
// last complete one before it, or [now, now] for a DAG without a schedule).
DagRun manual_run(const DagSpec& dag, int64_t now_ms, std::string conf);

}  // namespace sluice::scheduler
