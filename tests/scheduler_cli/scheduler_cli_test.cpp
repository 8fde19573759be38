// The scheduler through the sluice binary: `dags trigger --wait` of the seed's DAG into
// the embedded log, retries and timeouts of real processes, kill -9 of the scheduler
// mid-task (adopted, never started twice; or failed and retried when its task died
// too), two triggers at once, and the read-only commands.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <fstream>
#include <thread>

#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using sluice::testing::Process;
using sluice::testing::run_shell;
using sluice::testing::shell_quote;
using sluice::testing::SluiceCommand;
using Result = sluice::testing::RunResult;

class SchedulerCliTest : public ::testing::Test {
 protected:
  // `sluice <args>` on this test's log, metadata and task logs, with `config` (the
  // shipped one if empty).
  std::string command(const std::string& args) const {
    SluiceCommand c{.log = "file:" + (dir_ / "log").string(), .sink = "sqlite:" + (dir_ / "users.db").string()};
    if (!config_.empty()) c.config = config_.string();
    return c.command("--set scheduler.metadata=" + shell_quote((dir_ / "meta.db").string()) +
                     " --set scheduler.logs=" + shell_quote((dir_ / "logs").string()) + " " + args);
  }
  Result sluice(const std::string& args) const { return run_shell(command(args), dir_); }

  void write_config(const std::string& dags_yaml) {
    config_ = dir_ / "dags.yaml";
    std::ofstream(config_) << dags_yaml;
  }

  // The runs of `dag` as JSON (newest first).
  simdjson::dom::element runs(const std::string& dag) {
    auto r = sluice("dags runs " + dag + " --json");
    EXPECT_EQ(r.code, 0) << r.err;
    runs_json_ = r.out;
    return parser_.parse(runs_json_);
  }

  sluice::testing::ScratchDir scratch_;
  const fs::path& dir_ = scratch_.path();
  fs::path config_;
  simdjson::dom::parser parser_;
  std::string runs_json_;
};

TEST_F(SchedulerCliTest, TriggerWaitRunsTheSeedDagIntoTheEmbeddedLog) {
  auto r = sluice("dags trigger user_automation --wait --json --set dags.user_automation.tasks.stream_data.for=2s "
                  "--set dags.user_automation.tasks.stream_data.retries=0 "
                  "--set produce.rate=2000");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("no scheduler is running"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  simdjson::dom::element triggered = p.parse(r.out);
  simdjson::dom::element run = triggered.at(0);
  EXPECT_EQ(std::string_view(run["state"]), "success");
  EXPECT_EQ(std::string_view(run["run_type"]), "manual");
  simdjson::dom::element task = run["tasks"].at(0);
  EXPECT_EQ(std::string_view(task["task_id"]), "stream_data");
  EXPECT_EQ(std::string_view(task["state"]), "success");
  int64_t produced = task["records_produced"];
  EXPECT_GT(produced, 1000);

  // The history has it, and the topic holds what the task said it produced.
  auto h = runs("user_automation");
  EXPECT_EQ(std::string_view(h.at(0)["run_id"]), std::string_view(run["run_id"]));
  auto d = sluice("topics describe user_created --json");
  ASSERT_EQ(d.code, 0) << d.err;
  simdjson::dom::parser pd;
  int64_t in_topic = 0;
  for (auto part : pd.parse(d.out)["partitions"].get_array()) in_topic += int64_t(part["end_offset"]);
  EXPECT_EQ(in_topic, produced) << d.out;

  // Its log, through the CLI.
  auto logs = sluice("tasks logs user_automation " + shell_quote(std::string(std::string_view(run["run_id"]))) +
                     " stream_data");
  ASSERT_EQ(logs.code, 0) << logs.err;
  EXPECT_NE(logs.out.find("\"produced\":" + std::to_string(produced)), std::string::npos) << logs.out;
}

TEST_F(SchedulerCliTest, FailingTasksAreRetriedAndHangingOnesTimeOut) {
  write_config(R"(dags:
  d:
    tasks:
      flaky:
        kind: command
        command: [sh, -c, "if [ -f marker ]; then echo second try {try_number}; else touch marker; echo failing; exit 7; fi"]
        retries: 2
        retry_delay: 1s
      hang:
        kind: command
        command: [sh, -c, "trap '' TERM; sleep 60"]
        timeout: 1s
      after_hang:
        kind: command
        command: [echo, never]
        after: [hang]
scheduler:
  kill_grace: 1s
)");
  auto start = std::chrono::steady_clock::now();
  auto r = sluice("dags trigger d --wait --json");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_LT(took, 30s);
  simdjson::dom::parser p;
  simdjson::dom::element run = p.parse(r.out).at(0);
  EXPECT_EQ(std::string_view(run["state"]), "failed");
  std::map<std::string, simdjson::dom::element> tasks;
  for (auto t : run["tasks"].get_array()) tasks[std::string(std::string_view(t["task_id"]))] = t;
  EXPECT_EQ(std::string_view(tasks["flaky"]["state"]), "success");
  EXPECT_EQ(int64_t(tasks["flaky"]["try_number"]), 2);
  EXPECT_EQ(std::string_view(tasks["hang"]["state"]), "failed");
  EXPECT_NE(std::string_view(tasks["hang"]["error"]).find("timed out"), std::string_view::npos);
  EXPECT_EQ(std::string_view(tasks["after_hang"]["state"]), "upstream_failed");
  std::string run_id{std::string_view(run["run_id"])};
  auto try1 = sluice("tasks logs d " + shell_quote(run_id) + " flaky --try 1");
  EXPECT_NE(try1.out.find("failing"), std::string::npos) << try1.out;
  auto try2 = sluice("tasks logs d " + shell_quote(run_id) + " flaky");
  EXPECT_NE(try2.out.find("second try 2"), std::string::npos) << try2.out;
}

// A DAG whose one task appends a line to a file each time it starts, then sleeps.
std::string counting_dag(const fs::path& dir) {
  return "dags:\n  d:\n    tasks:\n      slow:\n        kind: command\n        command: [sh, -c, \"echo start >> " +
         (dir / "starts").string() + "; sleep 3; echo done\"]\n        retries: 1\n        retry_delay: 1s\n";
}

int count_lines(const fs::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

TEST_F(SchedulerCliTest, KillNineOfTheSchedulerMidTaskAdoptsTheTaskInsteadOfStartingItTwice) {
  write_config(counting_dag(dir_));
  Process scheduler(command("scheduler"), {.output = dir_ / "scheduler1.out"});
  ASSERT_TRUE(sluice::testing::wait_for([&] { return fs::exists(dir_ / "meta.db.wake"); }, 10s, "the scheduler"));
  auto t = sluice("dags trigger d");
  ASSERT_EQ(t.code, 0) << t.err;
  ASSERT_TRUE(sluice::testing::wait_for([&] { return count_lines(dir_ / "starts") == 1; }, 10s, "the task to start"));
  // The task can write its line before the scheduler stored its supervisor's pid.
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] {
        auto r = runs("d");
        return r.get_array().size() == 1 && r.at(0)["tasks"].get_array().size() == 1 &&
               !r.at(0)["tasks"].at(0)["pid"].error();
      },
      10s, "the supervisor's pid in the metadata"));
  scheduler.signal(SIGKILL);
  scheduler.wait(5s);
  Process again(command("scheduler"), {.output = dir_ / "scheduler2.out"});
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] { return std::string_view(runs("d").at(0)["state"]) == "success"; }, 20s, "the run to succeed"));
  EXPECT_EQ(count_lines(dir_ / "starts"), 1) << "started twice";
  auto run = runs("d").at(0);
  EXPECT_EQ(int64_t(run["tasks"].at(0)["try_number"]), 1);
  EXPECT_NE(again.output().find("adopted"), std::string::npos) << again.output();
}

TEST_F(SchedulerCliTest, ATaskThatDiedWithTheSchedulerIsFailedAndRetried) {
  write_config(counting_dag(dir_));
  Process scheduler(command("scheduler"), {.output = dir_ / "scheduler1.out"});
  ASSERT_TRUE(sluice::testing::wait_for([&] { return fs::exists(dir_ / "meta.db.wake"); }, 10s, "the scheduler"));
  ASSERT_EQ(sluice("dags trigger d").code, 0);
  ASSERT_TRUE(sluice::testing::wait_for([&] { return count_lines(dir_ / "starts") == 1; }, 10s, "the task to start"));
  // The task can write its line before the scheduler stored its supervisor's pid.
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] {
        auto r = runs("d");
        return r.get_array().size() == 1 && r.at(0)["tasks"].get_array().size() == 1 &&
               !r.at(0)["tasks"].at(0)["pid"].error();
      },
      10s, "the supervisor's pid in the metadata"));
  scheduler.signal(SIGKILL);
  scheduler.wait(5s);
  // The machine "rebooted": the supervisor and its task die too.
  int64_t pid = runs("d").at(0)["tasks"].at(0)["pid"];
  ASSERT_GT(pid, 0);
  ::kill(-static_cast<pid_t>(pid), SIGKILL);
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  ASSERT_TRUE(sluice::testing::wait_for([&] { return ::kill(static_cast<pid_t>(pid), 0) != 0; }, 5s, "the supervisor to die"));
  Process again(command("scheduler"), {.output = dir_ / "scheduler2.out"});
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] { return std::string_view(runs("d").at(0)["state"]) == "success"; }, 20s, "the retried run to succeed"));
  auto task = runs("d").at(0)["tasks"].at(0);
  EXPECT_EQ(int64_t(task["try_number"]), 2);
  EXPECT_EQ(count_lines(dir_ / "starts"), 2);
}

TEST_F(SchedulerCliTest, TwoTriggersAtOnceGetTwoRunsAndBothSucceed) {
  write_config("dags:\n  d:\n    tasks:\n      t:\n        kind: command\n        command: [sh, -c, \"sleep 1; echo {run_id}\"]\n");
  auto both = run_shell("(" + command("dags trigger d --wait") + ") > a.out 2>&1 & (" + command("dags trigger d --wait") +
                            ") > b.out 2>&1 & wait %1; a=$?; wait %2; b=$?; echo $a $b",
                        dir_);
  auto slurp = [&](const char* name) {
    std::ifstream in(dir_ / name);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(both.out, "0 0\n") << both.err << "\nfirst:\n" << slurp("a.out") << "\nsecond:\n" << slurp("b.out");
  auto r = runs("d");
  ASSERT_EQ(r.get_array().size(), 2u);
  EXPECT_NE(std::string_view(r.at(0)["run_id"]), std::string_view(r.at(1)["run_id"]));
  EXPECT_NE(std::string_view(r.at(0)["logical_date"]), std::string_view(r.at(1)["logical_date"]));
  for (auto run : r.get_array()) EXPECT_EQ(std::string_view(run["state"]), "success");
}

TEST_F(SchedulerCliTest, ListNextPauseAndUnpause) {
  auto l = sluice("dags list");
  ASSERT_EQ(l.code, 0) << l.err;
  EXPECT_NE(l.out.find("user_automation"), std::string::npos);
  EXPECT_NE(l.out.find("@daily"), std::string::npos);
  auto n = sluice("dags next user_automation -n 3");
  ASSERT_EQ(n.code, 0) << n.err;
  size_t count = 0;
  for (size_t p = 0; (p = n.out.find("T00:00:00Z   [", p)) != std::string::npos; ++p) ++count;
  EXPECT_EQ(count, 3u) << n.out;
  EXPECT_EQ(sluice("dags pause user_automation").code, 0);
  auto lj = sluice("dags list --json");
  EXPECT_NE(lj.out.find("\"paused\":true"), std::string::npos) << lj.out;
  EXPECT_EQ(sluice("dags unpause user_automation").code, 0);
  EXPECT_NE(sluice("dags list --json").out.find("\"paused\":false"), std::string::npos);
  auto bad = sluice("dags next nope");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("no DAG \"nope\""), std::string::npos) << bad.err;
}

TEST_F(SchedulerCliTest, ASecondSchedulerIsRefused) {
  write_config("dags:\n  d:\n    tasks:\n      t: {kind: command, command: [true]}\n");
  Process first(command("scheduler"), {.output = dir_ / "first.out"});
  ASSERT_TRUE(sluice::testing::wait_for([&] { return fs::exists(dir_ / "meta.db.wake"); }, 10s, "the scheduler"));
  auto second = sluice("scheduler");
  EXPECT_EQ(second.code, 1);
  EXPECT_NE(second.err.find("another scheduler (pid " + std::to_string(first.pid()) + ")"), std::string::npos)
      << second.err;
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(10s), 0);
}

}  // namespace

namespace {

TEST_F(SchedulerCliTest, UpFiresTheDagsAndStreamsWhatTheyProduceUntilStopped) {
  // The seed's config with its DAG on a short schedule: every run produces for 1 s.
  auto start = sluice::testing::run_shell("date -u -d '+2 sec' +%Y-%m-%dT%H:%M:%SZ").out;
  start.pop_back();
  Process up(command("up --trigger 500ms --listen 127.0.0.1:0 --set dags.user_automation.schedule='@every 2s' --set "
                     "dags.user_automation.start_date=" + start +
                     " --set dags.user_automation.tasks.stream_data.for=1s --set produce.rate=500"),
             {.output = dir_ / "up.out"});
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] {
        auto r = sluice("dags runs user_automation --json");
        return r.out.find("\"state\":\"success\"") != std::string::npos;
      },
      30s, "a scheduled run to succeed"));
  // The streaming query of the same process writes what the task produced.
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] {
        auto q = sluice("query \"SELECT count(*) FROM users\"");
        return q.code == 0 && q.out.find_first_of("123456789") != std::string::npos;
      },
      20s, "rows in the table"));
  up.signal(SIGINT);
  EXPECT_EQ(up.wait(30s), 0) << up.output();
  auto h = runs("user_automation");
  for (auto run : h.get_array()) {
    EXPECT_EQ(std::string_view(run["run_type"]), "scheduled");
    EXPECT_TRUE(run["scheduling_delay_ms"].is_int64());
  }
}

}  // namespace

namespace {

TEST_F(SchedulerCliTest, ProduceThenStreamTasksReconcileProducedAndWritten) {
  // A second DAG beside the shipped config's, from flags alone (a named section's keys
  // can be set like any other).
  const std::string dag =
      "--set dags.pipeline.tasks.produce.kind=produce --set dags.pipeline.tasks.produce.records=3000 "
      "--set dags.pipeline.tasks.produce.rate=0 --set dags.pipeline.tasks.load.kind=stream "
      "--set dags.pipeline.tasks.load.after=[produce] ";
  auto failing = sluice(dag + "--set dags.pipeline.tasks.load.args=[--group] dags trigger pipeline --wait");
  EXPECT_EQ(failing.code, 1);
  EXPECT_NE(failing.out.find("--group: 1 required"), std::string::npos) << "the error names the cause: " << failing.out;
  auto r = sluice(dag + "dags trigger pipeline --wait --json");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  simdjson::dom::parser p;
  std::map<std::string, simdjson::dom::element> tasks;
  for (auto t : p.parse(r.out).at(0)["tasks"].get_array()) tasks[std::string(std::string_view(t["task_id"]))] = t;
  EXPECT_EQ(int64_t(tasks["produce"]["records_produced"]), 3000);
  EXPECT_EQ(int64_t(tasks["load"]["records_written"]), 6000) << "the failed run's 3000, then these";
  auto q = sluice("query \"SELECT count(*) FROM users\"");
  EXPECT_NE(q.out.find("6000"), std::string::npos) << q.out;
}

TEST_F(SchedulerCliTest, BackfillCreatesEachIntervalOnceAndRunsThem) {
  write_config(R"(dags:
  daily:
    schedule: "@daily"
    timezone: Europe/Berlin
    start_date: 2026-01-01
    tasks:
      t:
        kind: command
        command: [echo, "{logical_date}", "{data_interval_end}"]
)");
  auto r = sluice("dags backfill daily --from 2026-01-01 --to 2026-01-03 --json");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 run(s) created, 0 logical date(s) already had a run"), std::string::npos) << r.out;
  auto h = runs("daily");
  ASSERT_EQ(h.get_array().size(), 3u);
  // Berlin's midnight is 23:00 UTC in winter; newest first.
  EXPECT_EQ(std::string_view(h.at(0)["run_id"]), "backfill__2026-01-02T23:00:00+00:00");
  EXPECT_EQ(std::string_view(h.at(2)["data_interval_start"]), "2025-12-31T23:00:00Z");
  for (auto run : h.get_array()) EXPECT_EQ(std::string_view(run["state"]), "success");
  auto again = sluice("dags backfill daily --from 2026-01-01 --to 2026-01-03");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 run(s) created, 3 logical date(s) already had a run"), std::string::npos) << again.out;
  EXPECT_EQ(runs("daily").get_array().size(), 3u);
}

}  // namespace

namespace {

TEST_F(SchedulerCliTest, TasksLogsFollowsARunningTryToItsEnd) {
  write_config(R"(dags:
  d:
    tasks:
      t:
        kind: command
        command: [sh, -c, "for i in 1 2 3 4; do echo line $i; sleep 0.4; done"]
)");
  Process scheduler(command("scheduler"), {.output = dir_ / "scheduler.out"});
  ASSERT_TRUE(sluice::testing::wait_for([&] { return fs::exists(dir_ / "meta.db.wake"); }, 10s, "the scheduler"));
  ASSERT_EQ(sluice("dags trigger d").code, 0);
  std::string run_id;
  ASSERT_TRUE(sluice::testing::wait_for(
      [&] {
        auto r = runs("d");
        if (r.get_array().size() == 0) return false;
        auto tasks = r.at(0)["tasks"];
        if (tasks.get_array().size() == 0 || std::string_view(tasks.at(0)["state"]) != "running") return false;
        run_id = std::string(std::string_view(r.at(0)["run_id"]));
        return true;
      },
      10s, "the try to run"));
  auto start = std::chrono::steady_clock::now();
  auto f = sluice("tasks logs d " + shell_quote(run_id) + " t --follow");
  EXPECT_EQ(f.code, 0) << f.err;
  for (auto line : {"line 1", "line 2", "line 3", "line 4"}) EXPECT_NE(f.out.find(line), std::string::npos) << f.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "--follow returns once the try ended";
  scheduler.signal(SIGTERM);
  EXPECT_EQ(scheduler.wait(10s), 0);
}

}  // namespace
