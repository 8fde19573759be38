// The scheduler's decisions on a fake clock with a fake task runner: which runs it
// creates (catchup on and off, max_active_runs, overlap, pause, a logical date never
// twice), the order it starts tasks in, retries with the backoff, and recovery.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <map>

#include "config/config.h"
#include "support/scratch_dir.h"

namespace sluice::scheduler {
namespace {

using sluice::testing::ScratchDir;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

int64_t ms(std::string_view utc) { return std::chrono::duration_cast<std::chrono::milliseconds>(parse_instant(utc, TimeZone::utc()).time_since_epoch()).count(); }

class FakeRunner : public TaskRunner {
 public:
  Handle start(const TaskKey& key, const SuperviseOptions& o) override {
    running_[key] = o;
    started.push_back({key, o});
    return {next_pid_++, 42};
  }
  bool adopt(const TaskKey& key, int pid, uint64_t, const std::string&) override {
    if (!alive.count(pid)) return false;
    running_[key] = {};
    adopted.push_back(key);
    return true;
  }
  std::vector<int> fds() override { return {}; }
  std::vector<std::pair<TaskKey, TaskResult>> reap() override { return std::exchange(ended_, {}); }
  size_t running() const override { return running_.size(); }
  void terminate_all() override {}

  // Ends a running try with `exit_code`.
  void finish(const TaskKey& key, int exit_code, bool timed_out = false) {
    ASSERT_TRUE(running_.count(key)) << key.dag_id << " " << key.run_id << " " << key.task_id << " is not running";
    running_.erase(key);
    TaskResult r;
    r.exit_code = exit_code;
    r.timed_out = timed_out;
    ended_.emplace_back(key, r);
  }
  void finish_all(int exit_code) {
    auto keys = running_;
    for (auto& [k, o] : keys) finish(k, exit_code);
  }
  std::vector<std::pair<TaskKey, SuperviseOptions>> started;
  std::set<int> alive;
  std::vector<TaskKey> adopted;

 private:
  int next_pid_ = 1000;
  std::map<TaskKey, SuperviseOptions> running_;
  std::vector<std::pair<TaskKey, TaskResult>> ended_;
};

struct Harness {
  ScratchDir dir;
  std::vector<DagSpec> dags;
  std::optional<MetaStore> store;
  FakeRunner runner;
  int64_t now = 0;
  std::unique_ptr<Scheduler> s;

  explicit Harness(const std::string& yaml, int64_t start_now) : now(start_now) {
    auto cfg = config::Config::parse(yaml, "test.yaml");
    dags = load_dags(cfg);
    store.emplace(MetaStore::open((dir.path() / "meta.db").string()));
    restart();
  }
  void restart() {
    SchedulerOptions o;
    o.logs_dir = (dir.path() / "logs").string();
    o.sluice_exe = "/bin/sluice";
    o.sluice_args = {"--config", "c.yaml"};
    s = std::make_unique<Scheduler>(dags, *store, runner, o, [this] { return now; });
  }
  std::vector<DagRun> runs(const std::string& dag) {
    auto r = store->runs(dag);
    std::reverse(r.begin(), r.end());  // oldest first
    return r;
  }
};

std::string one_task_dag(const std::string& schedule, bool catchup, int max_active = 16, const std::string& extra = "") {
  return "dags:\n  d:\n    schedule: \"" + schedule + "\"\n    start_date: 2026-01-01\n    catchup: " +
         (catchup ? "true" : "false") + "\n    max_active_runs: " + std::to_string(max_active) + "\n" + extra +
         "    tasks:\n      t:\n        kind: command\n        command: [echo, \"{logical_date}\", \"{data_interval_end}\", \"{try_number}\"]\n        retries: 2\n        retry_delay: 1m\n";
}

TEST(SchedulerTest, DailyRunForDayDCoversDToDPlusOneAndStartsAtMidnightAfter) {
  Harness h(one_task_dag("@daily", true), ms("2026-01-01T23:59:59Z"));
  int64_t wake = h.s->tick();
  EXPECT_TRUE(h.runs("d").empty());
  EXPECT_EQ(wake, ms("2026-01-02T00:00:00Z"));
  h.now = wake;
  h.s->tick();
  auto runs = h.runs("d");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "scheduled__2026-01-01T00:00:00+00:00");
  EXPECT_EQ(runs[0].interval_start_ms, ms("2026-01-01"));
  EXPECT_EQ(runs[0].interval_end_ms, ms("2026-01-02"));
  EXPECT_EQ(runs[0].state, RunState::running);
  ASSERT_EQ(h.runner.started.size(), 1u);
  const auto& argv = h.runner.started[0].second.argv;
  ASSERT_EQ(argv.size(), 4u);
  EXPECT_EQ(argv[1], "2026-01-01T00:00:00+00:00");
  EXPECT_EQ(argv[2], "2026-01-02T00:00:00+00:00");
  EXPECT_EQ(argv[3], "1");
  h.runner.finish_all(0);
  h.s->tick();
  runs = h.runs("d");
  EXPECT_EQ(runs[0].state, RunState::success);
  EXPECT_EQ(runs[0].first_task_start_ms - runs[0].due_ms, 0);
}

TEST(SchedulerTest, CatchupOnCreatesEveryMissedIntervalWithinMaxActiveRuns) {
  Harness h(one_task_dag("@daily", true, 3), ms("2026-01-10T12:00:00Z"));  // 9 intervals have ended
  h.s->tick();
  EXPECT_EQ(h.runs("d").size(), 3u) << "bounded by max_active_runs";
  for (int round = 0; round < 10; ++round) {
    h.runner.finish_all(0);
    h.s->tick();
  }
  auto runs = h.runs("d");
  ASSERT_EQ(runs.size(), 9u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].logical_ms, ms("2026-01-01") + static_cast<int64_t>(i) * kDay);
    EXPECT_EQ(runs[i].state, RunState::success) << runs[i].run_id;
  }
}

TEST(SchedulerTest, CatchupOffCreatesOnlyTheLatestInterval) {
  Harness h(one_task_dag("@daily", false), ms("2026-01-10T12:00:00Z"));
  h.s->tick();
  auto runs = h.runs("d");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].logical_ms, ms("2026-01-09"));
  // Down for three days (no ticks), then back: again only the latest, none doubled.
  h.runner.finish_all(0);
  h.s->tick();
  h.now = ms("2026-01-13T06:00:00Z");
  h.restart();
  h.s->recover();
  h.s->tick();
  runs = h.runs("d");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].logical_ms, ms("2026-01-12"));
}

TEST(SchedulerTest, ALogicalDateNeverRunsTwiceAcrossRestartsAndBackfills) {
  Harness h(one_task_dag("@hourly", true, 100), ms("2026-01-01T05:30:00Z"));
  h.s->tick();
  EXPECT_EQ(h.runs("d").size(), 5u);
  for (int i = 0; i < 3; ++i) {  // restarts re-read the position from the store
    h.restart();
    h.s->recover();
    h.s->tick();
  }
  EXPECT_EQ(h.runs("d").size(), 5u);
  // A backfill-style insert of a logical date that has a run is refused by the store.
  DagRun dup = h.runs("d")[2];
  dup.run_id = "backfill__x";
  dup.type = RunType::backfill;
  EXPECT_FALSE(h.store->insert_run(dup));
  std::set<int64_t> dates;
  for (const auto& r : h.runs("d")) EXPECT_TRUE(dates.insert(r.logical_ms).second);
}

TEST(SchedulerTest, RetriesWaitTheBackoffThenFailAfterTheLastTry) {
  Harness h(one_task_dag("@daily", false), ms("2026-01-02T00:00:00Z"));
  h.s->tick();
  TaskKey key{"d", "scheduled__2026-01-01T00:00:00+00:00", "t"};
  h.runner.finish(key, 1);
  int64_t wake = h.s->tick();
  auto ti = h.store->tasks("d", key.run_id)[0];
  EXPECT_EQ(ti.state, TiState::up_for_retry);
  EXPECT_EQ(ti.try_number, 1);
  int64_t delay1 = ti.next_try_ms - h.now;
  EXPECT_GE(delay1, 30'000);  // at least half of retry_delay (1m)
  EXPECT_LE(delay1, 60'000);
  EXPECT_EQ(wake, ti.next_try_ms);
  h.now = ti.next_try_ms - 1;
  h.s->tick();
  EXPECT_EQ(h.runner.started.size(), 1u) << "not before its time";
  h.now = ti.next_try_ms;
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 2u);
  EXPECT_EQ(h.runner.started[1].second.argv[3], "2") << "{try_number}";
  EXPECT_NE(h.runner.started[1].second.log_path, h.runner.started[0].second.log_path) << "one log file per try";
  h.runner.finish(key, 1, true);
  h.s->tick();
  ti = h.store->tasks("d", key.run_id)[0];
  EXPECT_EQ(ti.state, TiState::up_for_retry);
  EXPECT_LE(ti.next_try_ms - h.now, 120'000) << "the ceiling doubles";
  EXPECT_NE(ti.error.find("timed out"), std::string::npos) << ti.error;
  h.now = ti.next_try_ms;
  h.s->tick();
  h.runner.finish(key, 3);
  h.s->tick();
  ti = h.store->tasks("d", key.run_id)[0];
  EXPECT_EQ(ti.state, TiState::failed);
  EXPECT_EQ(ti.try_number, 3);
  auto run = h.store->run("d", key.run_id);
  EXPECT_EQ(run->state, RunState::failed);
  EXPECT_NE(run->note.find("exited with code 3"), std::string::npos) << run->note;
}

TEST(SchedulerTest, TasksRunInDependencyOrderAndAFailureMarksDownstreamUpstreamFailed) {
  std::string yaml = R"(dags:
  d:
    schedule: none
    tasks:
      load:
        kind: command
        command: [false]
        after: [extract]
      extract:
        kind: command
        command: [true]
      report:
        kind: command
        command: [true]
        after: [load]
      side:
        kind: command
        command: [true]
        after: [extract]
)";
  Harness h(yaml, ms("2026-01-01T00:00:00Z"));
  auto run = manual_run(h.dags[0], h.now, "");
  ASSERT_TRUE(h.store->insert_run(run));
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 1u);
  EXPECT_EQ(h.runner.started[0].first.task_id, "extract");
  h.runner.finish({"d", run.run_id, "extract"}, 0);
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 3u);  // load and side, together
  h.runner.finish({"d", run.run_id, "load"}, 1);
  h.runner.finish({"d", run.run_id, "side"}, 0);
  h.s->tick();
  std::map<std::string, TiState> states;
  for (const auto& t : h.store->tasks("d", run.run_id)) states[t.task_id] = t.state;
  EXPECT_EQ(states["extract"], TiState::success);
  EXPECT_EQ(states["load"], TiState::failed);
  EXPECT_EQ(states["side"], TiState::success);
  EXPECT_EQ(states["report"], TiState::upstream_failed);
  EXPECT_EQ(h.store->run("d", run.run_id)->state, RunState::failed);
}

TEST(SchedulerTest, OverlapQueueWaitsAndSkipRecordsASkippedRun) {
  for (auto [policy, expect] : {std::pair{"queue", RunState::queued}, std::pair{"skip", RunState::skipped}}) {
    Harness h(one_task_dag("@hourly", false, 16, std::string("    overlap: ") + policy + "\n"), ms("2026-01-01T01:00:00Z"));
    h.s->tick();
    ASSERT_EQ(h.runner.started.size(), 1u);
    h.now += kHour;  // the next one is due while the first still runs
    h.s->tick();
    auto runs = h.runs("d");
    ASSERT_EQ(runs.size(), 2u) << policy;
    EXPECT_EQ(runs[1].state, expect) << policy;
    EXPECT_EQ(h.runner.started.size(), 1u) << policy;
    h.runner.finish_all(0);
    h.s->tick();
    EXPECT_EQ(h.runner.started.size(), std::string(policy) == "queue" ? 2u : 1u) << policy;
  }
}

TEST(SchedulerTest, APausedDagCreatesAndStartsNothingUntilUnpaused) {
  Harness h(one_task_dag("@hourly", true, 16, "    paused: true\n"), ms("2026-01-01T03:00:00Z"));
  h.s->tick();
  EXPECT_TRUE(h.runs("d").empty());
  auto manual = manual_run(h.dags[0], h.now, "{\"k\":\"v\"}");
  ASSERT_TRUE(h.store->insert_run(manual));
  h.s->tick();
  EXPECT_TRUE(h.runner.started.empty()) << "a paused DAG starts no run, manual ones included";
  h.store->set_paused("d", false);
  h.s->tick();
  EXPECT_EQ(h.runs("d").size(), 4u) << "3 scheduled (catchup) + 1 manual";
  EXPECT_EQ(h.runner.started.size(), 4u);
}

TEST(SchedulerTest, RecoveryAdoptsALiveTryAndRetriesALostOne) {
  std::string yaml = R"(dags:
  d:
    schedule: none
    tasks:
      a:
        kind: command
        command: [sleep, "1"]
        retries: 1
        retry_delay: 10s
      b:
        kind: command
        command: [sleep, "1"]
)";
  Harness h(yaml, ms("2026-01-01T00:00:00Z"));
  auto run = manual_run(h.dags[0], h.now, "");
  ASSERT_TRUE(h.store->insert_run(run));
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 2u);
  // The scheduler dies; a's supervisor (pid 1000 or 1001) lives on, b's is gone.
  int pid_a = 0;
  for (const auto& t : h.store->tasks("d", run.run_id))
    if (t.task_id == "a") pid_a = t.pid;
  ASSERT_NE(pid_a, 0);
  FakeRunner fresh;
  fresh.alive = {pid_a};
  std::swap(h.runner.alive, fresh.alive);
  h.runner = FakeRunner();
  h.runner.alive = {pid_a};
  h.restart();
  h.s->recover();
  ASSERT_EQ(h.runner.adopted.size(), 1u);
  EXPECT_EQ(h.runner.adopted[0].task_id, "a");
  std::map<std::string, TaskInstance> tis;
  for (const auto& t : h.store->tasks("d", run.run_id)) tis[t.task_id] = t;
  EXPECT_EQ(tis["a"].state, TiState::running) << "adopted, not started again";
  EXPECT_EQ(tis["b"].state, TiState::failed) << "b has no retries left";
  EXPECT_NE(tis["b"].error.find("gone"), std::string::npos) << tis["b"].error;
  h.s->tick();
  EXPECT_TRUE(h.runner.started.empty()) << "nothing started twice";
  h.runner.finish({"d", run.run_id, "a"}, 0);
  h.s->tick();
  EXPECT_EQ(h.store->tasks("d", run.run_id)[0].state, TiState::success);
  EXPECT_EQ(h.store->run("d", run.run_id)->state, RunState::failed);
}

TEST(SchedulerTest, EveryIntervalIsAnchoredAtTheStartDate) {
  Harness h(one_task_dag("@every 90s", true, 100), ms("2026-01-01T00:10:00Z"));
  h.s->tick();
  auto runs = h.runs("d");
  ASSERT_EQ(runs.size(), 6u);  // [0, 90), ..., [450, 540) ended by 600 s
  for (size_t i = 0; i < runs.size(); ++i)
    EXPECT_EQ(runs[i].interval_start_ms, ms("2026-01-01") + static_cast<int64_t>(i) * 90'000);
}

TEST(SchedulerTest, ProduceTaskRunsSluiceProduceWithTheSchedulersConfig) {
  std::string yaml = R"(dags:
  d:
    schedule: none
    tasks:
      p:
        kind: produce
        for: 5s
        args: [--seed, "{try_number}"]
      s:
        kind: stream
        after: [p]
)";
  Harness h(yaml, ms("2026-01-01T00:00:00Z"));
  auto run = manual_run(h.dags[0], h.now, "");
  ASSERT_TRUE(h.store->insert_run(run));
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 1u);
  EXPECT_EQ(h.runner.started[0].second.argv,
            (std::vector<std::string>{"/bin/sluice", "--config", "c.yaml", "produce", "--for", "5s", "--json", "--seed", "1"}));
  h.runner.finish({"d", run.run_id, "p"}, 0);
  h.s->tick();
  ASSERT_EQ(h.runner.started.size(), 2u);
  EXPECT_EQ(h.runner.started[1].second.argv,
            (std::vector<std::string>{"/bin/sluice", "--config", "c.yaml", "stream", "--trigger", "available-now", "--json"}));
}

}  // namespace
}  // namespace sluice::scheduler
