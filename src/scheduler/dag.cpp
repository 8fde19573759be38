#include "scheduler/dag.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "common/error.h"

namespace sluice::scheduler {
namespace {

constexpr std::string_view kPlaceholders[] = {"data_interval_start", "data_interval_end", "logical_date", "run_id",
                                              "try_number",          "dag_id",            "task_id"};

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Calls `on(name, begin, end)` for every `{word}` of text.
template <typename F>
void each_placeholder(std::string_view text, F&& on) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    size_t j = i + 1;
    while (j < text.size() && is_word(text[j])) ++j;
    if (j > i + 1 && j < text.size() && text[j] == '}') {
      on(text.substr(i + 1, j - i - 1), i, j + 1);
      i = j;
    }
  }
}

class Problems {
 public:
  explicit Problems(const config::Config& cfg) : cfg_(cfg) {}
  void add(const std::string& path, const std::string& text) { list_.push_back(cfg_.origin(path) + ": " + path + ": " + text); }
  void raise() const {
    if (list_.empty()) return;
    std::string msg = list_.size() == 1 ? "invalid DAG configuration: " + list_[0]
                                        : "invalid DAG configuration (" + std::to_string(list_.size()) + " problems):";
    if (list_.size() > 1)
      for (const auto& p : list_) msg += "\n  " + p;
    throw UsageError(msg);
  }

 private:
  const config::Config& cfg_;
  std::vector<std::string> list_;
};

// Orders the tasks so that each comes after those it waits for; reports a cycle by its
// tasks (a -> b -> a) and an `after` naming no task of the DAG.
void order_tasks(DagSpec& dag, const std::string& prefix, Problems& problems) {
  std::map<std::string, const TaskSpec*> by_id;
  for (const auto& t : dag.tasks) by_id[t.id] = &t;
  bool unknown = false;
  for (const auto& t : dag.tasks)
    for (const auto& a : t.after)
      if (!by_id.count(a)) {
        problems.add(prefix + ".tasks." + t.id + ".after", "no task \"" + a + "\" in DAG " + dag.id);
        unknown = true;
      } else if (a == t.id) {
        problems.add(prefix + ".tasks." + t.id + ".after", "a task cannot wait for itself");
        unknown = true;
      }
  if (unknown) return;
  // Depth-first, in file order, so that the order is the file's wherever it may be.
  std::vector<TaskSpec> ordered;
  std::map<std::string, int> mark;  // 1 visiting, 2 done
  std::vector<std::string> path;
  bool cycle = false;
  std::function<void(const TaskSpec&)> visit = [&](const TaskSpec& t) {
    if (cycle || mark[t.id] == 2) return;
    if (mark[t.id] == 1) {
      auto from = std::find(path.begin(), path.end(), t.id);
      std::string text;
      for (auto it = from; it != path.end(); ++it) text += *it + " -> ";
      problems.add(prefix + ".tasks", "the tasks' `after` lists form a cycle: " + text + t.id);
      cycle = true;
      return;
    }
    mark[t.id] = 1;
    path.push_back(t.id);
    for (const auto& a : t.after) visit(*by_id[a]);
    path.pop_back();
    mark[t.id] = 2;
    if (!cycle) ordered.push_back(t);
  };
  for (const auto& t : dag.tasks) visit(t);
  if (!cycle) dag.tasks = std::move(ordered);
}

}  // namespace

std::string_view to_string(TaskKind k) {
  switch (k) {
    case TaskKind::produce: return "produce";
    case TaskKind::stream: return "stream";
    case TaskKind::command: return "command";
  }
  return "?";
}

std::string_view to_string(Overlap o) {
  switch (o) {
    case Overlap::allow: return "allow";
    case Overlap::skip: return "skip";
    case Overlap::queue: return "queue";
  }
  return "?";
}

const TaskSpec* DagSpec::task(std::string_view task_id) const {
  for (const auto& t : tasks)
    if (t.id == task_id) return &t;
  return nullptr;
}

std::string unknown_placeholder(std::string_view text) {
  std::string found;
  each_placeholder(text, [&](std::string_view name, size_t, size_t) {
    if (found.empty() && std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) == std::end(kPlaceholders))
      found = std::string(name);
  });
  return found;
}

std::string expand(std::string_view text, const TemplateValues& v) {
  std::string out;
  size_t copied = 0;
  each_placeholder(text, [&](std::string_view name, size_t begin, size_t end) {
    const std::string* value = nullptr;
    std::string number;
    if (name == "data_interval_start") value = &v.data_interval_start;
    else if (name == "data_interval_end") value = &v.data_interval_end;
    else if (name == "logical_date") value = &v.logical_date;
    else if (name == "run_id") value = &v.run_id;
    else if (name == "dag_id") value = &v.dag_id;
    else if (name == "task_id") value = &v.task_id;
    else if (name == "try_number") value = &(number = std::to_string(v.try_number));
    if (!value) return;
    out.append(text.substr(copied, begin - copied));
    out += *value;
    copied = end;
  });
  out.append(text.substr(copied));
  return out;
}

std::vector<DagSpec> load_dags(const config::Config& cfg) {
  Problems problems(cfg);
  std::vector<DagSpec> dags;
  for (const auto& id : cfg.names("dags")) {
    const std::string p = "dags." + id;
    DagSpec d;
    d.id = id;
    d.description = cfg.str(p + ".description");
    try {
      d.schedule = Schedule::parse(cfg.str(p + ".schedule"));
    } catch (const UsageError& e) {
      problems.add(p + ".schedule", e.what());
    }
    try {
      d.zone = TimeZone::locate(cfg.str(p + ".timezone"));
    } catch (const UsageError& e) {
      problems.add(p + ".timezone", e.what());
    }
    d.dst.gap = cfg.choice<DstPolicy::Gap>(p + ".dst_gap", {{"run_at_end", DstPolicy::Gap::run_at_end},
                                                             {"skip", DstPolicy::Gap::skip}});
    d.dst.overlap = cfg.choice<DstPolicy::Overlap>(p + ".dst_repeat", {{"once", DstPolicy::Overlap::once},
                                                                        {"twice", DstPolicy::Overlap::twice}});
    const auto& start = cfg.str(p + ".start_date");
    if (!start.empty()) {
      try {
        d.start = parse_instant(start, d.zone);
      } catch (const UsageError& e) {
        problems.add(p + ".start_date", e.what());
      }
    } else if (d.schedule.kind() != Schedule::Kind::none) {
      problems.add(p + ".start_date", "a DAG on a schedule needs a start date (e.g. start_date: 2023-09-03)");
    }
    const auto& end = cfg.str(p + ".end_date");
    if (!end.empty()) {
      try {
        d.end = parse_instant(end, d.zone);
        if (!start.empty() && *d.end < d.start) problems.add(p + ".end_date", "is before start_date");
      } catch (const UsageError& e) {
        problems.add(p + ".end_date", e.what());
      }
    }
    d.catchup = cfg.boolean(p + ".catchup");
    d.max_active_runs = static_cast<int>(cfg.integer(p + ".max_active_runs"));
    d.paused_at_start = cfg.boolean(p + ".paused");
    d.overlap = cfg.choice<Overlap>(p + ".overlap",
                                    {{"allow", Overlap::allow}, {"skip", Overlap::skip}, {"queue", Overlap::queue}});
    auto task_ids = cfg.names(p + ".tasks");
    if (task_ids.empty()) problems.add(p, "a DAG needs at least one task (dags." + id + ".tasks.<task>.kind: ...)");
    for (const auto& tid : task_ids) {
      const std::string tp = p + ".tasks." + tid;
      TaskSpec t;
      t.id = tid;
      t.kind = cfg.choice<TaskKind>(tp + ".kind",
                                    {{"produce", TaskKind::produce}, {"stream", TaskKind::stream}, {"command", TaskKind::command}});
      t.after = cfg.list(tp + ".after");
      t.command = cfg.list(tp + ".command");
      t.args = cfg.list(tp + ".args");
      t.for_ = cfg.str(tp + ".for");
      t.records = cfg.str(tp + ".records");
      t.rate = cfg.str(tp + ".rate");
      t.retries = static_cast<int>(cfg.integer(tp + ".retries"));
      t.retry_delay = cfg.duration(tp + ".retry_delay");
      t.max_retry_delay = cfg.duration(tp + ".max_retry_delay");
      t.timeout = cfg.duration(tp + ".timeout");
      if (t.kind == TaskKind::command && t.command.empty())
        problems.add(tp + ".command", "a command task needs its argv, e.g. command: [sh, -c, \"echo hi\"]");
      if (t.kind != TaskKind::command && !t.command.empty())
        problems.add(tp + ".command", "only a task of kind command runs a command (this one is " +
                                          std::string(to_string(t.kind)) + "; use args for more flags)");
      if (t.kind != TaskKind::produce && (!t.for_.empty() || !t.records.empty() || !t.rate.empty()))
        problems.add(tp, "for, records and rate are options of kind produce");
      if (t.kind == TaskKind::command && !t.args.empty())
        problems.add(tp + ".args", "args are flags of a produce or stream task; put them in command");
      for (const auto* list : {&t.command, &t.args})
        for (const auto& item : *list)
          if (auto bad = unknown_placeholder(item); !bad.empty())
            problems.add(tp + (list == &t.command ? ".command" : ".args"),
                         "unknown placeholder {" + bad + "} (known: {data_interval_start}, {data_interval_end}, "
                         "{logical_date}, {run_id}, {try_number}, {dag_id}, {task_id})");
      d.tasks.push_back(std::move(t));
    }
    order_tasks(d, p, problems);
    dags.push_back(std::move(d));
  }
  problems.raise();
  return dags;
}

const DagSpec& find_dag(const std::vector<DagSpec>& dags, std::string_view id) {
  for (const auto& d : dags)
    if (d.id == id) return d;
  std::string known;
  for (const auto& d : dags) known += (known.empty() ? "" : ", ") + d.id;
  throw UsageError("no DAG \"" + std::string(id) + "\" in the config" +
                   (known.empty() ? std::string(" (it has no dags: section)") : " (its DAGs: " + known + ")"));
}

std::optional<Interval> interval_from(const DagSpec& dag, Instant from) {
  const auto& s = dag.schedule;
  if (s.kind() == Schedule::Kind::none) return std::nullopt;
  if (s.kind() == Schedule::Kind::once) {
    if (from > dag.start) return std::nullopt;
    return Interval{dag.start, dag.start};
  }
  // The first fire at or after `from` (and the start date), then the next one.
  auto first = s.next_after(std::max(from, dag.start) - std::chrono::seconds(1), dag.zone, dag.dst, dag.start);
  if (!first) return std::nullopt;
  if (dag.end && *first > *dag.end) return std::nullopt;
  auto second = s.next_after(*first, dag.zone, dag.dst, dag.start);
  if (!second) return std::nullopt;
  return Interval{*first, *second};
}

std::optional<Interval> latest_complete_interval(const DagSpec& dag, Instant now) {
  const auto& s = dag.schedule;
  if (s.kind() == Schedule::Kind::none) return std::nullopt;
  if (s.kind() == Schedule::Kind::once) {
    if (now < dag.start) return std::nullopt;
    return Interval{dag.start, dag.start};
  }
  auto end = s.latest_at_or_before(now, dag.zone, dag.dst, dag.start);
  if (!end) return std::nullopt;
  auto start = s.latest_at_or_before(*end - std::chrono::seconds(1), dag.zone, dag.dst, dag.start);
  if (!start) return std::nullopt;
  if (dag.end && *start > *dag.end) {
    // Past the end date: the last interval that starts by it, if it has ended.
    auto last = s.latest_at_or_before(*dag.end, dag.zone, dag.dst, dag.start);
    if (!last) return std::nullopt;
    auto last_end = s.next_after(*last, dag.zone, dag.dst, dag.start);
    if (!last_end || *last_end > now) return std::nullopt;
    return Interval{*last, *last_end};
  }
  return Interval{*start, *end};
}

}  // namespace sluice::scheduler
