#pragma once
// What every surface shows of DAGs and runs: the CLI's `sluice dags ... --json` and the
// dashboard's /api/dags are the same JSON, written here once; and the two actions both
// take (a manual run, the next intervals to fire).
#include <optional>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "scheduler/dag.h"
#include "scheduler/meta_store.h"

namespace sluice::scheduler {

Instant instant_of_ms(int64_t ms);
int64_t ms_of(Instant t);
// 2026-12-02T10:15:30Z, or 2026-12-02T10:15:30.123Z for a time with milliseconds (a
// manual run's logical date); "-" for none.
std::string when(int64_t ms);

// A run and its task instances: ISO times for people and *_ms for programs.
void run_json(JsonWriter& w, const DagRun& r, const std::vector<TaskInstance>& tis);

// The next interval the scheduler creates a run for (catchup off: the latest complete
// one if it is still to run), from the DAG's stored state (none: its start date).
std::optional<Interval> next_interval(const DagSpec& d, const std::optional<DagState>& st, int64_t now_ms);
// The next `count` fire times (a run starts at its interval's end), after now.
std::vector<Interval> next_fires(const DagSpec& d, int64_t now_ms, int count);

// One DAG as `sluice dags list --json` prints it (`store` may be null: no metadata yet);
// with `next_count` > 0 also its next fire times, local and UTC, and its task ids.
void dag_json(JsonWriter& w, const DagSpec& d, MetaStore* store, int64_t now_ms, int next_count = 0);

// Inserts a manual run of `dag` now (two in the same millisecond: the later takes the
// next one) with `conf` (a JSON object) and returns it. The caller wakes the scheduler.
DagRun insert_manual_run(MetaStore& store, const DagSpec& dag, const std::string& conf, int64_t now_ms);

}  // namespace sluice::scheduler
