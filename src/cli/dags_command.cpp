// The scheduler's commands: `sluice up` (scheduler + streaming query in one process),
// `sluice scheduler`, `sluice dags list|next|trigger|runs|pause|unpause|backfill` and
// `sluice tasks logs`. Every command but up and scheduler acts through the metadata
// database, so it works while a scheduler runs in another process: it writes its
// change (a run, a pause flag) and wakes that scheduler through its FIFO.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli_context.h"
#include "cli/signals.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "pipeline/pipeline.h"
#include "scheduler/dag.h"
#include "scheduler/dag_views.h"
#include "scheduler/meta_store.h"
#include "scheduler/scheduler.h"
#include "web/dashboard.h"
#include "web/server.h"

namespace sluice::cli {
namespace {

using namespace sluice::scheduler;

struct DagsFlags {
  std::string dag, run, task, from, to, trigger;
  std::vector<std::string> conf;
  int count = 5;
  int try_number = 0;
  bool wait = false, json = false, follow = false;
};

// What a task process needs to see the same configuration: the file and the overrides
// this command got (variables are inherited).
std::vector<std::string> child_args(const CliContext& ctx) {
  const auto& c = ctx.common;
  std::vector<std::string> a{"--config", c.config_file};
  auto top = [&](const std::string& v, const char* flag) {
    if (!v.empty()) a.insert(a.end(), {flag, v});
  };
  top(c.log, "--log");
  top(c.sink, "--sink");
  top(c.topic, "--topic");
  top(c.source, "--source");
  for (const auto& s : c.sets) a.insert(a.end(), {"--set", s});
  if (!c.log_level.empty()) a.insert(a.end(), {"--log-level", c.log_level});
  return a;
}

struct Env {
  config::Config cfg;
  std::vector<DagSpec> dags;
  std::string meta_path;
};

Env load_env(const CliContext& ctx) {
  auto cfg = load_config(ctx);
  auto dags = load_dags(cfg);
  auto meta = cfg.str("scheduler.metadata");
  return Env{std::move(cfg), std::move(dags), std::move(meta)};
}

SchedulerOptions scheduler_options(const CliContext& ctx, const config::Config& cfg) {
  SchedulerOptions o;
  o.sluice_exe = "/proc/self/exe";
  if (auto exe = std::filesystem::read_symlink("/proc/self/exe"); !exe.empty()) o.sluice_exe = exe.string();
  o.sluice_args = child_args(ctx);
  o.logs_dir = cfg.str("scheduler.logs");
  o.task_log_bytes = cfg.bytes("scheduler.task_log_bytes");
  o.kill_grace = cfg.duration("scheduler.kill_grace");
  o.parallelism = static_cast<int>(cfg.integer("scheduler.parallelism"));
  return o;
}

std::string conf_json(const std::vector<std::string>& conf) {
  JsonWriter w;
  w.begin_object();
  for (const auto& kv : conf) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--conf " + kv + ": expected KEY=VALUE");
    w.field(kv.substr(0, eq), kv.substr(eq + 1));
  }
  w.end_object();
  return w.take();
}

void print_run(const DagRun& r, const std::vector<TaskInstance>& tis) {
  std::cout << fmt::format("{}  {}  {}  interval [{}, {})", r.run_id, to_string(r.state), to_string(r.type),
                           when(r.interval_start_ms), when(r.interval_end_ms));
  if (r.first_task_start_ms > 0 && r.type == RunType::scheduled)
    std::cout << fmt::format("  delay {} ms", r.first_task_start_ms - r.due_ms);
  std::cout << "\n";
  for (const auto& t : tis) {
    std::cout << fmt::format("    {:<20} {:<16} try {}/{}", t.task_id, to_string(t.state), t.try_number, t.max_tries);
    if (t.records_produced >= 0) std::cout << fmt::format("  produced {}", t.records_produced);
    if (t.records_written >= 0) std::cout << fmt::format("  written {}", t.records_written);
    if (!t.error.empty()) std::cout << "  error: " << t.error;
    std::cout << "\n";
  }
  if (!r.note.empty()) std::cout << "    note: " << r.note << "\n";
}

// Runs the scheduler in this process for `runs` only, until each has ended (`dags
// trigger --wait` and `dags backfill` with no scheduler running). Waits for the lock if
// another one-shot holds it; returns early if a full scheduler finished the runs.
void run_here(CliContext& ctx, const Env& env, const std::set<std::pair<std::string, std::string>>& runs) {
  auto done = [&](MetaStore& store) {
    for (const auto& [dag, run] : runs) {
      auto r = store.run(dag, run);
      if (r && !is_finished(r->state)) return false;
    }
    return true;
  };
  auto store = MetaStore::open(env.meta_path);
  bool said = false;
  while (true) {
    if (done(store)) return;
    int holder = 0;
    auto lock = SchedulerLock::try_take(env.meta_path, &holder);
    if (lock) {
      std::cerr << "no scheduler is running: running the run(s) in this process, as `airflow dags test` does\n";
      ProcessRunner runner;
      Scheduler s(env.dags, store, runner, scheduler_options(ctx, env.cfg));
      s.only_runs(runs);
      ctx.signals->on_stop([&] { s.stop(); });
      s.recover();
      s.run([&] { return done(store); });
      ctx.signals->on_stop({});
      return;
    }
    if (!said) std::cerr << "waiting: the scheduler lock is held by pid " << holder << "\n";
    said = true;
    if (ctx.signals->signalled()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Waits until every run has ended (a scheduler elsewhere runs them); prints each end.
void wait_for_runs(CliContext& ctx, const Env& env, const std::set<std::pair<std::string, std::string>>& runs) {
  std::atomic<bool> stop{false};  // set on the signal watcher's thread
  ctx.signals->on_stop([&] { stop = true; });
  auto store = MetaStore::open(env.meta_path, true);
  while (!stop) {
    bool all = true;
    for (const auto& [dag, run] : runs) {
      auto r = store.run(dag, run);
      if (r && !is_finished(r->state)) all = false;
    }
    if (all) break;
    if (SchedulerLock::holder(env.meta_path) == 0) {  // the scheduler went away: run them here
      ctx.signals->on_stop({});
      run_here(ctx, env, runs);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ctx.signals->on_stop({});
}

int finish_runs(const Env& env, const std::set<std::pair<std::string, std::string>>& runs, bool json) {
  auto store = MetaStore::open(env.meta_path, true);
  bool ok = true;
  JsonWriter w;
  if (json) w.begin_array();
  for (const auto& [dag, id] : runs) {
    auto r = store.run(dag, id);
    if (!r) continue;
    if (r->state != RunState::success) ok = false;
    if (json) run_json(w, *r, store.tasks(dag, id));
    else print_run(*r, store.tasks(dag, id));
  }
  if (json) std::cout << w.end_array().str() << std::endl;
  return ok ? 0 : 1;
}

int trigger(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  const auto& dag = find_dag(env.dags, f.dag);
  auto conf = conf_json(f.conf);
  auto store = MetaStore::open(env.meta_path);
  DagRun r = insert_manual_run(store, dag, conf, wall_ms());
  bool woke = wake_scheduler(env.meta_path);
  if (!f.json) std::cout << "triggered " << dag.id << " " << r.run_id << "\n";
  if (store.dag(dag.id)->paused)
    std::cerr << "note: " << dag.id << " is paused; its run starts once it is unpaused (sluice dags unpause " << dag.id
              << ")\n";
  std::set<std::pair<std::string, std::string>> runs{{dag.id, r.run_id}};
  if (!f.wait) {
    if (!woke)
      std::cerr << "no scheduler is running: the run waits for one (sluice scheduler, or sluice up); "
                   "--wait runs it in this process\n";
    if (f.json) return finish_runs(env, runs, true), 0;
    return 0;
  }
  if (woke) wait_for_runs(ctx, env, runs);
  else run_here(ctx, env, runs);
  return finish_runs(env, runs, f.json);
}

int backfill(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  const auto& dag = find_dag(env.dags, f.dag);
  if (dag.schedule.kind() == Schedule::Kind::none)
    throw UsageError("DAG " + dag.id + " has no schedule (none), so it has no intervals to backfill");
  Instant from = parse_instant(f.from, dag.zone), to = parse_instant(f.to, dag.zone);
  if (to < from) throw UsageError("--to " + f.to + " is before --from " + f.from);
  auto store = MetaStore::open(env.meta_path);
  store.ensure_dag(dag.id, dag.paused_at_start);
  std::set<std::pair<std::string, std::string>> runs;
  int existing = 0;
  int64_t now = wall_ms();
  store.transaction([&] {
    for (auto iv = interval_from(dag, from); iv && iv->start <= to; iv = interval_from(dag, iv->end == iv->start ? iv->end + std::chrono::seconds(1) : iv->end)) {
      if (ms_of(iv->end) > now) break;  // an interval that has not ended yet is not data yet
      DagRun r;
      r.dag_id = dag.id;
      r.type = RunType::backfill;
      r.logical_ms = ms_of(iv->start);
      r.run_id = make_run_id(RunType::backfill, r.logical_ms);
      r.interval_start_ms = r.logical_ms;
      r.interval_end_ms = ms_of(iv->end);
      r.due_ms = now;
      r.queued_ms = now;
      if (store.insert_run(r)) runs.insert({dag.id, r.run_id});
      else ++existing;
    }
  });
  std::cout << fmt::format("backfill {}: {} run(s) created, {} logical date(s) already had a run\n", dag.id, runs.size(),
                           existing);
  if (runs.empty()) return 0;
  if (wake_scheduler(env.meta_path)) {
    if (!f.wait) return 0;
    wait_for_runs(ctx, env, runs);
  } else {
    run_here(ctx, env, runs);
  }
  return finish_runs(env, runs, f.json);
}

int list(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  std::optional<MetaStore> store;
  if (std::filesystem::exists(env.meta_path)) store.emplace(MetaStore::open(env.meta_path, true));
  JsonWriter w;
  if (f.json) w.begin_array();
  else std::cout << fmt::format("{:<22} {:<16} {:<18} {:<7} {:<26} {}\n", "DAG", "SCHEDULE", "TIMEZONE", "PAUSED", "NEXT RUN (UTC)", "LAST RUN");
  int64_t now = wall_ms();
  for (const auto& d : env.dags) {
    if (f.json) {
      dag_json(w, d, store ? &*store : nullptr, now);
      continue;
    }
    auto st = store ? store->dag(d.id) : std::nullopt;
    bool paused = st ? st->paused : d.paused_at_start;
    auto next = next_interval(d, st, now);
    auto runs = store ? store->runs(d.id, 1) : std::vector<DagRun>{};
    std::string last = runs.empty() ? "-" : std::string(to_string(runs[0].state)) + " " + runs[0].run_id;
    std::cout << fmt::format("{:<22} {:<16} {:<18} {:<7} {:<26} {}\n", d.id, d.schedule.text(), d.zone.name(),
                             paused ? "yes" : "no", next ? format_utc(next->end) : "-", last);
  }
  if (f.json) std::cout << w.end_array().str() << std::endl;
  return 0;
}

int next(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  const auto& d = find_dag(env.dags, f.dag);
  if (d.schedule.kind() == Schedule::Kind::none) {
    std::cout << d.id << " has no schedule (none): it runs only when triggered\n";
    return 0;
  }
  std::cout << fmt::format("{} ({} in {}; dst_gap {}, dst_repeat {})\n", d.id, d.schedule.text(), d.zone.name(),
                           d.dst.gap == DstPolicy::Gap::run_at_end ? "run_at_end" : "skip",
                           d.dst.overlap == DstPolicy::Overlap::once ? "once" : "twice");
  std::cout << fmt::format("{:<36} {:<22} {}\n", "RUNS AT (" + d.zone.name() + ")", "RUNS AT (UTC)", "DATA INTERVAL (UTC)");
  auto fires = next_fires(d, wall_ms(), f.count);
  for (const auto& i : fires)
    std::cout << fmt::format("{:<36} {:<22} [{}, {})\n", d.zone.format(i.end), format_utc(i.end), format_utc(i.start),
                             format_utc(i.end));
  size_t shown = fires.size();
  if (shown == 0) std::cout << "no more runs (end date or @once passed)\n";
  return 0;
}

int runs(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  const auto& d = find_dag(env.dags, f.dag);
  if (!std::filesystem::exists(env.meta_path)) {
    if (f.json) std::cout << "[]" << std::endl;
    else std::cout << "no runs of " << d.id << " yet\n";
    return 0;
  }
  auto store = MetaStore::open(env.meta_path, true);
  auto list = store.runs(d.id, f.count);
  JsonWriter w;
  if (f.json) w.begin_array();
  for (const auto& r : list) {
    if (f.json) run_json(w, r, store.tasks(d.id, r.run_id));
    else print_run(r, store.tasks(d.id, r.run_id));
  }
  if (f.json) std::cout << w.end_array().str() << std::endl;
  else if (list.empty()) std::cout << "no runs of " << d.id << " yet\n";
  return 0;
}

int set_paused(CliContext& ctx, const DagsFlags& f, bool paused) {
  auto env = load_env(ctx);
  const auto& d = find_dag(env.dags, f.dag);
  auto store = MetaStore::open(env.meta_path);
  store.set_paused(d.id, paused);
  wake_scheduler(env.meta_path);
  std::cout << d.id << (paused ? " paused\n" : " unpaused\n");
  return 0;
}

int logs(CliContext& ctx, const DagsFlags& f) {
  auto env = load_env(ctx);
  const auto& d = find_dag(env.dags, f.dag);
  if (!d.task(f.task)) throw UsageError("DAG " + d.id + " has no task \"" + f.task + "\"");
  auto store = MetaStore::open(env.meta_path, true);
  auto run = store.run(d.id, f.run);
  if (!run) throw UsageError("DAG " + d.id + " has no run \"" + f.run + "\" (sluice dags runs " + d.id + " lists them)");
  auto find_ti = [&]() -> std::optional<TaskInstance> {
    for (auto& t : store.tasks(d.id, f.run))
      if (t.task_id == f.task) return t;
    return std::nullopt;
  };
  auto ti = find_ti();
  if (!ti || ti->try_number == 0) {
    std::cerr << "task " << f.task << " of " << f.run << " has not started yet\n";
    return 1;
  }
  int try_number = f.try_number > 0 ? f.try_number : ti->try_number;
  if (try_number > ti->try_number)
    throw UsageError("--try " + std::to_string(try_number) + ": the task has had " + std::to_string(ti->try_number) +
                     " tries");
  std::string path = Scheduler::log_path(env.cfg.str("scheduler.logs"), {d.id, f.run, f.task}, try_number);
  std::atomic<bool> stop{false};  // set on the signal watcher's thread
  ctx.signals->on_stop([&] { stop = true; });
  std::ifstream in;
  std::streamoff pos = 0;
  bool ended = false;
  while (true) {
    in.close();
    in.clear();
    in.open(path, std::ios::binary);
    if (in) {
      in.seekg(0, std::ios::end);
      auto size = static_cast<std::streamoff>(in.tellg());
      if (size < pos) pos = 0;  // rewritten at its size bound: start again
      in.seekg(pos);
      std::string chunk(static_cast<size_t>(size - pos), '\0');
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      std::cout << chunk << std::flush;
      pos = size;
    } else if (!f.follow) {
      std::cerr << "no log file " << path << "\n";
      return 1;
    }
    if (!f.follow || stop || ended) break;
    // Once the try has ended, one more read takes what it wrote last, then stop.
    auto now = find_ti();
    ended = !now || now->try_number != try_number || now->state != TiState::running;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ctx.signals->on_stop({});
  return 0;
}

int run_scheduler(CliContext& ctx, bool with_stream, const std::string& trigger_flag, const std::string& listen = "") {
  std::vector<config::Override> extra;
  if (!trigger_flag.empty()) extra.push_back({"stream.trigger", trigger_flag, "--trigger"});
  if (!listen.empty()) extra.push_back({"web.listen", listen, "--listen"});
  auto cfg = load_config(ctx, extra);
  auto dags = load_dags(cfg);
  auto meta = cfg.str("scheduler.metadata");
  int holder = 0;
  auto lock = SchedulerLock::try_take(meta, &holder);
  if (!lock)
    throw FatalError("another scheduler (pid " + std::to_string(holder) + ") holds " + meta +
                     ".lock; one scheduler per metadata database");
  auto store = MetaStore::open(meta);
  ProcessRunner runner;
  metrics::Registry registry;
  Scheduler s(dags, store, runner, scheduler_options(ctx, cfg), {}, &registry);
  std::unique_ptr<pipeline::Pipeline> stream;
  std::thread stream_thread;
  if (with_stream) {
    auto options = pipeline::PipelineOptions::from_config(cfg);
    options.create_missing_topic = true;
    stream = std::make_unique<pipeline::Pipeline>(cfg, pipeline::Role::stream, options, &registry);
  }
  // `up` serves the dashboard over the same registry (the scheduler's and the query's series).
  std::unique_ptr<web::Dashboard> dash;
  std::unique_ptr<web::Server> server;
  if (with_stream) {
    auto web_options = web::WebOptions::from_config(cfg);
    dash = std::make_unique<web::Dashboard>(cfg, web::Mode::up, &registry);
    server = std::make_unique<web::Server>(*dash, web_options);
    dash->start_sampling();  // the first sample is taken before the first request can come
    server->start();
  }
  ctx.signals->on_stop([&] {
    s.stop();
    if (stream) stream->stop();
  });
  s.recover();
  spdlog::info("scheduler: {} DAG(s), metadata {}, task logs {}", dags.size(), meta, cfg.str("scheduler.logs"));
  for (const auto& d : dags) spdlog::info("  {}: {} ({})", d.id, d.schedule.text(), d.zone.name());
  int rc = 0;
  if (stream) {
    stream_thread = std::thread([&] {
      auto q = stream->stream();
      if (q.failed) {
        spdlog::error("the streaming query failed: {}", q.error);
        rc = 1;
        s.stop();
      }
    });
  }
  s.run();
  if (stream) {
    stream->stop();
    stream_thread.join();
  }
  if (server) server->stop();
  if (dash) dash->stop_sampling();
  ctx.signals->on_stop({});
  spdlog::info("scheduler stopped");
  return rc;
}

}  // namespace

void add_dags_command(CLI::App& app, CliContext& ctx) {
  auto up_trigger = std::make_shared<std::string>();
  auto* up = app.add_subcommand(
      "up", "Run the whole seed system until Ctrl-C: the scheduler firing the config's DAGs and the streaming query "
            "(the role of docker-compose up)");
  up->fallthrough();
  auto up_listen = std::make_shared<std::string>();
  up->add_option("--trigger", *up_trigger, "The query's trigger (stream.trigger)")->type_name("TRIGGER");
  up->add_option("--listen", *up_listen, "The dashboard's HOST:PORT (web.listen; default 127.0.0.1:8080)")->type_name("HOST:PORT");
  up->callback([&ctx, up_trigger, up_listen] {
    ctx.action = [&ctx, up_trigger, up_listen] { return run_scheduler(ctx, true, *up_trigger, *up_listen); };
  });

  auto* sch = app.add_subcommand("scheduler", "Run the scheduler alone until Ctrl-C (the stream runs elsewhere)");
  sch->fallthrough();
  sch->callback([&ctx] { ctx.action = [&ctx] { return run_scheduler(ctx, false, ""); }; });

  auto* dags = app.add_subcommand("dags", "List, trigger, pause and inspect the config's DAGs (Airflow's `airflow dags`)");
  dags->require_subcommand(1);
  dags->fallthrough();
  auto add = [&](const char* name, const char* help, auto fn, auto setup) {
    auto f = std::make_shared<DagsFlags>();
    auto* sub = dags->add_subcommand(name, help);
    sub->fallthrough();
    setup(sub, *f);
    sub->callback([&ctx, f, fn] { ctx.action = [&ctx, f, fn] { return fn(ctx, *f); }; });
  };
  auto dag_arg = [](CLI::App* sub, DagsFlags& f) { sub->add_option("dag", f.dag, "DAG id")->required(); };
  add("list", "Each DAG: its schedule, zone, paused or not, the next run and the last run's state", list,
      [](CLI::App* sub, DagsFlags& f) { sub->add_flag("--json", f.json, "One JSON array"); });
  add("next", "The next fire times of a DAG, in its zone and in UTC", next, [&](CLI::App* sub, DagsFlags& f) {
    dag_arg(sub, f);
    sub->add_option("-n,--count", f.count, "How many")->capture_default_str();
  });
  add("trigger", "Create a manual run of a DAG now", trigger, [&](CLI::App* sub, DagsFlags& f) {
    dag_arg(sub, f);
    sub->add_option("--conf", f.conf, "KEY=VALUE stored with the run (repeatable)")->type_name("KEY=VALUE");
    sub->add_flag("--wait", f.wait,
                  "Return when the run ends: exit 0 on success, 1 otherwise (with no scheduler running, runs it here)");
    sub->add_flag("--json", f.json, "Print the run as JSON");
  });
  add("runs", "A DAG's runs, newest first, with their task instances", runs, [&](CLI::App* sub, DagsFlags& f) {
    dag_arg(sub, f);
    f.count = 20;
    sub->add_option("-n,--count", f.count, "How many")->capture_default_str();
    sub->add_flag("--json", f.json, "One JSON array");
  });
  add("pause", "Pause a DAG: no new runs are created or started", [](CliContext& c, const DagsFlags& f) { return set_paused(c, f, true); },
      dag_arg);
  add("unpause", "Unpause a DAG", [](CliContext& c, const DagsFlags& f) { return set_paused(c, f, false); }, dag_arg);
  add("backfill", "Create (and, with no scheduler running, run) the runs of every interval from --from to --to",
      backfill, [&](CLI::App* sub, DagsFlags& f) {
        dag_arg(sub, f);
        sub->add_option("--from", f.from, "First logical date (2023-09-03, wall time in the DAG's zone)")->required();
        sub->add_option("--to", f.to, "Last logical date")->required();
        sub->add_flag("--wait", f.wait, "With a scheduler running: wait for the runs to end");
        sub->add_flag("--json", f.json, "Print the runs as JSON");
      });

  auto* tasks = app.add_subcommand("tasks", "Task instances (Airflow's `airflow tasks`)");
  tasks->require_subcommand(1);
  tasks->fallthrough();
  auto lf = std::make_shared<DagsFlags>();
  auto* lg = tasks->add_subcommand("logs", "Print a task try's log");
  lg->fallthrough();
  lg->add_option("dag", lf->dag, "DAG id")->required();
  lg->add_option("run", lf->run, "Run id (sluice dags runs DAG)")->required();
  lg->add_option("task", lf->task, "Task id")->required();
  lg->add_option("--try", lf->try_number, "Try number (default: the latest)");
  lg->add_flag("-f,--follow", lf->follow, "Keep printing while the try runs");
  lg->callback([&ctx, lf] { ctx.action = [&ctx, lf] { return logs(ctx, *lf); }; });
}

}  // namespace sluice::cli
