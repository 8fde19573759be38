#include "scheduler/dag_views.h"

#include <fmt/format.h>

#include "common/error.h"
#include "scheduler/scheduler.h"

namespace sluice::scheduler {

Instant instant_of_ms(int64_t ms) {
  return Instant(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::milliseconds(ms)));
}
int64_t ms_of(Instant t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }

std::string when(int64_t ms) {
  if (ms <= 0) return "-";
  auto s = format_utc(instant_of_ms(ms));
  if (ms % 1000 && s.ends_with("Z")) s.insert(s.size() - 1, fmt::format(".{:03}", ms % 1000));
  return s;
}

void run_json(JsonWriter& w, const DagRun& r, const std::vector<TaskInstance>& tis) {
  w.begin_object()
      .field("dag_id", r.dag_id)
      .field("run_id", r.run_id)
      .field("run_type", to_string(r.type))
      .field("state", to_string(r.state))
      .field("logical_date", when(r.logical_ms))
      .field("data_interval_start", when(r.interval_start_ms))
      .field("data_interval_end", when(r.interval_end_ms))
      .field("due", when(r.due_ms))
      .field("queued", when(r.queued_ms))
      .field("start", when(r.start_ms))
      .field("end", when(r.end_ms))
      .field("logical_ms", r.logical_ms)
      .field("interval_start_ms", r.interval_start_ms)
      .field("interval_end_ms", r.interval_end_ms)
      .field("due_ms", r.due_ms)
      .field("queued_ms", r.queued_ms)
      .field("start_ms", r.start_ms)
      .field("end_ms", r.end_ms);
  w.key("scheduling_delay_ms");
  if (r.first_task_start_ms > 0 && r.type == RunType::scheduled) w.value(r.first_task_start_ms - r.due_ms);
  else w.null();
  w.key("conf").raw(r.conf.empty() ? std::string_view("{}") : std::string_view(r.conf));
  if (!r.note.empty()) w.field("note", r.note);
  w.key("tasks").begin_array();
  for (const auto& t : tis) {
    w.begin_object()
        .field("task_id", t.task_id)
        .field("state", to_string(t.state))
        .field("try_number", t.try_number)
        .field("max_tries", t.max_tries)
        .field("start", when(t.start_ms))
        .field("end", when(t.end_ms))
        .field("start_ms", t.start_ms)
        .field("end_ms", t.end_ms);
    if (t.records_produced >= 0) w.field("records_produced", t.records_produced);
    if (t.records_written >= 0) w.field("records_written", t.records_written);
    if (t.exit_code >= 0) w.field("exit_code", t.exit_code);
    if (!t.error.empty()) w.field("error", t.error);
    if (t.pid) w.field("pid", t.pid);
    w.end_object();
  }
  w.end_array().end_object();
}

std::optional<Interval> next_interval(const DagSpec& d, const std::optional<DagState>& st, int64_t now_ms) {
  Instant from = st && st->next_start_ms >= 0 ? instant_of_ms(st->next_start_ms) : d.start;
  if (!d.catchup) {
    auto latest = latest_complete_interval(d, instant_of_ms(now_ms));
    if (latest && latest->start >= from) return latest;  // due now
  }
  return interval_from(d, from);
}

std::vector<Interval> next_fires(const DagSpec& d, int64_t now_ms, int count) {
  std::vector<Interval> out;
  if (d.schedule.kind() == Schedule::Kind::none) return out;
  Instant now = instant_of_ms(now_ms);
  Instant from = std::max(d.start, now);
  auto iv = latest_complete_interval(d, now);
  Instant cursor = iv ? iv->end : d.start;
  if (cursor < d.start) cursor = d.start;
  for (auto i = interval_from(d, cursor); i && static_cast<int>(out.size()) < count;
       i = interval_from(d, i->end == i->start ? i->end + std::chrono::seconds(1) : i->end)) {
    if (i->end < from && !(i->end == i->start)) continue;
    out.push_back(*i);
  }
  return out;
}

void dag_json(JsonWriter& w, const DagSpec& d, MetaStore* store, int64_t now_ms, int next_count) {
  auto st = store ? store->dag(d.id) : std::nullopt;
  bool paused = st ? st->paused : d.paused_at_start;
  auto next = next_interval(d, st, now_ms);
  auto runs = store ? store->runs(d.id, 1) : std::vector<DagRun>{};
  w.begin_object().field("dag_id", d.id).field("schedule", d.schedule.text()).field("timezone", d.zone.name());
  w.field("paused", paused).field("catchup", d.catchup).field("max_active_runs", d.max_active_runs);
  w.field("next_run", next ? format_utc(next->end) : std::string("-")).field("description", d.description);
  w.key("last_run");
  if (runs.empty()) w.null();
  else w.begin_object().field("run_id", runs[0].run_id).field("state", to_string(runs[0].state)).end_object();
  if (next_count > 0) {
    w.key("tasks").begin_array();
    for (const auto& t : d.tasks) w.value(t.id);
    w.end_array();
    w.key("next").begin_array();
    for (const auto& i : next_fires(d, now_ms, next_count))
      w.begin_object().field("local", d.zone.format(i.end)).field("utc", format_utc(i.end)).end_object();
    w.end_array();
  }
  w.end_object();
}

DagRun insert_manual_run(MetaStore& store, const DagSpec& dag, const std::string& conf, int64_t now_ms) {
  store.ensure_dag(dag.id, dag.paused_at_start);
  for (int i = 0;; ++i) {
    DagRun r = manual_run(dag, now_ms + i, conf);
    if (store.insert_run(r)) return r;
    if (i > 1000) throw FatalError("cannot create a run id for " + dag.id);
  }
}

}  // namespace sluice::scheduler
