#pragma once
// The DAGs of a pipeline config (`dags:`): each DAG's schedule, zone, dates and run
// policy, and its tasks in an order where every task comes after the tasks it waits
// for. load_dags() checks all of it at once and reports every problem with the key and
// where its value came from, as the config does; a cycle names its tasks.
//
// Templates: `command` items and produce/stream `args` may hold {data_interval_start},
// {data_interval_end}, {logical_date}, {run_id}, {try_number}, {dag_id}, {task_id}.
// A `{word}` that names none of them is a config error (a typo would otherwise run
// with the braces in it); any other brace is text.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "scheduler/schedule.h"
#include "scheduler/time_zone.h"

namespace sluice::scheduler {

enum class TaskKind { produce, stream, command };
enum class Overlap { allow, skip, queue };

std::string_view to_string(TaskKind k);
std::string_view to_string(Overlap o);

struct TaskSpec {
  std::string id;
  TaskKind kind = TaskKind::produce;
  std::vector<std::string> after;    // task ids of the same DAG
  std::vector<std::string> command;  // kind command: argv (templated)
  std::vector<std::string> args;     // kind produce/stream: extra flags (templated)
  std::string for_, records, rate;   // kind produce: flag values; empty: the config's
  int retries = 0;
  std::chrono::milliseconds retry_delay{300'000};
  std::chrono::milliseconds max_retry_delay{3'600'000};
  std::chrono::milliseconds timeout{0};  // 0: none
};

struct DagSpec {
  std::string id;
  std::string description;
  Schedule schedule;
  TimeZone zone;
  DstPolicy dst;
  Instant start{};                  // meaningful when the schedule is not none
  std::optional<Instant> end;
  bool catchup = false;
  int max_active_runs = 16;
  bool paused_at_start = false;
  Overlap overlap = Overlap::allow;
  std::vector<TaskSpec> tasks;      // upstream tasks first

  const TaskSpec* task(std::string_view task_id) const;
};

// Throws UsageError listing every problem.
std::vector<DagSpec> load_dags(const config::Config& cfg);
// The DAG `id`, or UsageError naming the DAGs there are.
const DagSpec& find_dag(const std::vector<DagSpec>& dags, std::string_view id);

struct TemplateValues {
  std::string data_interval_start, data_interval_end, logical_date, run_id, dag_id, task_id;
  int try_number = 1;
};
// `text` with its placeholders replaced.
std::string expand(std::string_view text, const TemplateValues& v);
// The first `{word}` of `text` that is no placeholder, or empty.
std::string unknown_placeholder(std::string_view text);

// A run's data interval [start, end): a scheduled run is due at `end`.
struct Interval {
  Instant start{};
  Instant end{};
  bool operator==(const Interval&) const = default;
};
// The first scheduled interval whose start is at or after `from` (and not after the
// DAG's end date), or nullopt (schedule none, @once already given, past the end).
// @once: [start, start]. @every d: [start + k d, start + (k+1) d). Cron: from one fire
// time to the next.
std::optional<Interval> interval_from(const DagSpec& dag, Instant from);
// The latest interval that has ended at `now` (end <= now), or nullopt: what a DAG with
// catchup off runs when it was behind.
std::optional<Interval> latest_complete_interval(const DagSpec& dag, Instant now);

}  // namespace sluice::scheduler
