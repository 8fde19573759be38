// DAGs from the config: the typed `dags:` keys (defaults, lists, overrides), and the
// errors a user can make (a cycle, an unknown task, a bad schedule, a typo'd placeholder).
#include "scheduler/dag.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "config/config.h"

namespace sluice::scheduler {
namespace {

std::string load_error(const std::string& yaml, const std::vector<config::Override>& flags = {}) {
  try {
    load_dags(config::Config::parse(yaml, "t.yaml", flags));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(DagTest, TheShippedSeedDagLoads) {
  auto cfg = config::Config::load({.file = std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml"});
  auto dags = load_dags(cfg);
  ASSERT_EQ(dags.size(), 1u);
  const auto& d = dags[0];
  EXPECT_EQ(d.id, "user_automation");
  EXPECT_EQ(d.schedule.text(), "@daily");
  EXPECT_FALSE(d.catchup);
  ASSERT_EQ(d.tasks.size(), 1u);
  EXPECT_EQ(d.tasks[0].id, "stream_data");
  EXPECT_EQ(d.tasks[0].kind, TaskKind::produce);
  EXPECT_EQ(d.tasks[0].for_, "60s");
}

TEST(DagTest, DefaultsListsAndOverridesByFlag) {
  std::string yaml = R"(dags:
  a:
    schedule: "0 6 * * MON-FRI"
    timezone: Europe/Berlin
    start_date: 2026-01-01
    tasks:
      one:
        kind: command
        command: [sh, -c, "echo {run_id}"]
      two:
        kind: command
        command: [echo, "x y"]
        after: [one]
)";
  auto cfg = config::Config::parse(yaml, "t.yaml",
                                   {{"dags.a.tasks.two.command", "[printf, \"%s\\n\", '{logical_date}']", "--set"},
                                    {"dags.a.max_active_runs", "2", "--set"}});
  auto dags = load_dags(cfg);
  const auto& d = dags[0];
  EXPECT_EQ(d.max_active_runs, 2);
  EXPECT_EQ(d.overlap, Overlap::allow);
  EXPECT_EQ(d.zone.name(), "Europe/Berlin");
  EXPECT_EQ(d.tasks[0].command, (std::vector<std::string>{"sh", "-c", "echo {run_id}"}));
  EXPECT_EQ(d.tasks[1].command, (std::vector<std::string>{"printf", "%s\n", "{logical_date}"}));
  EXPECT_EQ(d.tasks[1].retries, 0);
  EXPECT_EQ(d.tasks[1].retry_delay, std::chrono::minutes(5));
}

TEST(DagTest, TasksAreOrderedUpstreamFirst) {
  std::string yaml = R"(dags:
  a:
    tasks:
      c: {kind: command, command: [true], after: [b]}
      b: {kind: command, command: [true], after: [a]}
      a: {kind: command, command: [true]}
)";
  auto dags = load_dags(config::Config::parse(yaml, "t.yaml"));
  std::vector<std::string> order;
  for (const auto& t : dags[0].tasks) order.push_back(t.id);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(DagTest, ACycleIsAnErrorNamingItsTasks) {
  std::string yaml = R"(dags:
  a:
    tasks:
      x: {kind: command, command: [true], after: [z]}
      y: {kind: command, command: [true], after: [x]}
      z: {kind: command, command: [true], after: [y]}
)";
  auto e = load_error(yaml);
  EXPECT_NE(e.find("cycle: x -> z -> y -> x"), std::string::npos) << e;
}

TEST(DagTest, EveryMistakeIsReportedWithItsKey) {
  std::string yaml = R"(dags:
  a:
    schedule: "0 25 * * *"
    timezone: Mars/Olympus
    tasks:
      x: {kind: command, after: [nope]}
      y: {kind: command, command: [echo, "{logical_dat}"]}
      p: {kind: produce, command: [echo]}
  b:
    schedule: "@daily"
    tasks: {}
)";
  auto e = load_error(yaml);
  for (auto want : {"dags.a.schedule", "hour", "dags.a.timezone", "Mars/Olympus",
                    "dags.a.tasks.x.command", "no task \"nope\"", "{logical_dat}", "dags.a.tasks.p.command",
                    "dags.b.start_date", "dags.b: a DAG needs at least one task"})
    EXPECT_NE(e.find(want), std::string::npos) << want << " in:\n" << e;
}

TEST(DagTest, UnknownDagKeysAreConfigErrorsWithASuggestion) {
  std::string yaml = "dags:\n  a:\n    shedule: \"@daily\"\n    tasks:\n      t: {kind: produce}\n";
  try {
    config::Config::parse(yaml, "t.yaml");
    FAIL() << "accepted an unknown key";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"dags.a.schedule\""), std::string::npos) << e.what();
  }
  try {
    config::Config::parse("dags:\n  a:\n    tasks:\n      t: {kind: sql}\n", "t.yaml");
    FAIL() << "accepted kind sql";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("produce, stream, command"), std::string::npos) << e.what();
  }
}

TEST(DagTest, PlaceholdersExpandAndOtherBracesStay) {
  TemplateValues v{"S", "E", "L", "R", "D", "T", 3};
  EXPECT_EQ(expand("{data_interval_start}..{data_interval_end} {logical_date} {run_id} {try_number} {dag_id}.{task_id}", v),
            "S..E L R 3 D.T");
  EXPECT_EQ(expand("{\"json\": 1} {} {not a word}", v), "{\"json\": 1} {} {not a word}");
  EXPECT_EQ(unknown_placeholder("a {run_id} {rnu_id}"), "rnu_id");
}

TEST(DagTest, IntervalsOfSchedules) {
  auto dags = load_dags(config::Config::parse(
      "dags:\n  a:\n    schedule: \"@daily\"\n    timezone: America/New_York\n    start_date: 2026-03-07\n"
      "    tasks:\n      t: {kind: produce}\n",
      "t.yaml"));
  const auto& d = dags[0];
  auto iv = interval_from(d, d.start);
  ASSERT_TRUE(iv);
  EXPECT_EQ(format_utc(iv->start), "2026-03-07T05:00:00Z");
  EXPECT_EQ(format_utc(iv->end), "2026-03-08T05:00:00Z");
  auto next = interval_from(d, iv->end);  // across the spring-forward day: 23 hours long
  EXPECT_EQ(format_utc(next->end), "2026-03-09T04:00:00Z");
  auto latest = latest_complete_interval(d, parse_instant("2026-03-09T12:00:00Z", TimeZone::utc()));
  EXPECT_EQ(*latest, *next);
}

}  // namespace
}  // namespace sluice::scheduler
