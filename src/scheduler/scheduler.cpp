#include "scheduler/scheduler.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <spdlog/spdlog.h>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "metrics/metrics.h"

namespace sluice::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t to_ms(Instant t) { return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count(); }
Instant from_ms(int64_t ms) { return Instant(std::chrono::duration_cast<seconds>(milliseconds(ms))); }

std::string iso_ms(int64_t ms) {
  auto s = format_utc(from_ms(ms));  // 2026-03-29T01:00:00Z
  int64_t frac = ((ms % 1000) + 1000) % 1000;
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  if (frac) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    s += buf;
  }
  return s + "+00:00";
}

// The lines of the last `bytes` of a try's log (the first may be cut), or none.
std::vector<std::string> log_tail_lines(const std::string& log_path, int64_t bytes) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto size = static_cast<int64_t>(in.tellg());
  int64_t from = std::max<int64_t>(0, size - bytes);
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::vector<std::string> out;
  std::istringstream lines(tail);
  for (std::string line; std::getline(lines, line);) out.push_back(std::move(line));
  return out;
}

// The value of "key": N on the last JSON line of a sluice command's output (its --json
// summary), or -1.
int64_t summary_number(const std::string& log_path, std::string_view key) {
  std::string last = Scheduler::summary_line(log_path);
  std::string needle = "\"" + std::string(key) + "\":";
  auto p = last.find(needle);
  if (p == std::string::npos) return -1;
  return std::strtoll(last.c_str() + p + needle.size(), nullptr, 10);
}

// The last line of a try's log that is not empty (what a failing command said last),
// at most 300 bytes, or empty.
std::string last_log_line(const std::string& log_path) {
  std::string last;
  for (auto& line : log_tail_lines(log_path, 4096))
    if (line.find_first_not_of(" \t\r") != std::string::npos && !line.starts_with("Run with --help")) last = std::move(line);
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return last;
}

// A supervisor whose command line names `result_path`: a try started by a scheduler that
// crashed before it recorded the pid.
int find_supervisor(const std::string& result_path) {
  DIR* d = opendir("/proc");
  if (!d) return 0;
  int found = 0;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find("__supervise") != std::string::npos && cmd.find(result_path + '\0') != std::string::npos) {
      found = static_cast<int>(pid);
      break;
    }
  }
  closedir(d);
  return found;
}

}  // namespace

// ---- ProcessRunner

ProcessRunner::ProcessRunner() : launcher_(Launcher::start()) {}
ProcessRunner::~ProcessRunner() = default;

TaskRunner::Handle ProcessRunner::start(const TaskKey& key, const SuperviseOptions& options) {
  if (!launcher_) {
    auto p = TaskProcess::start(self_exe_, options);
    Handle h{p.pid(), p.start_ticks()};
    procs_.insert_or_assign(key, Proc{std::move(p), options.result_path});
    return h;
  }
  pid_t pid = launcher_->launch(options);
  uint64_t ticks = process_start_ticks(pid);
  auto p = ticks ? TaskProcess::adopt(pid, ticks) : std::nullopt;
  if (!p) {  // it ended already (the launcher reaped it): its result file says how
    ended_at_start_.emplace_back(key, options.result_path);
    return {pid, 0};
  }
  procs_.insert_or_assign(key, Proc{std::move(*p), options.result_path});
  return {pid, ticks};
}

std::vector<TaskRunner::Handle> TaskRunner::start_all(const std::vector<std::pair<TaskKey, SuperviseOptions>>& batch) {
  std::vector<Handle> out;
  for (const auto& [key, o] : batch) {
    try {
      out.push_back(start(key, o));
    } catch (const std::exception& e) {
      out.push_back(Handle{.error = e.what()});
    }
  }
  return out;
}

std::vector<TaskRunner::Handle> ProcessRunner::start_all(const std::vector<std::pair<TaskKey, SuperviseOptions>>& batch) {
  if (!launcher_) return TaskRunner::start_all(batch);
  std::vector<const SuperviseOptions*> options;
  for (const auto& [key, o] : batch) options.push_back(&o);
  auto launched = launcher_->launch_all(options);
  std::vector<Handle> out;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& l = launched[i];
    if (!l.error.empty()) {
      out.push_back(Handle{.error = l.error});
      continue;
    }
    uint64_t ticks = process_start_ticks(l.pid);
    auto p = ticks ? TaskProcess::adopt(l.pid, ticks) : std::nullopt;
    if (p) procs_.insert_or_assign(batch[i].first, Proc{std::move(*p), batch[i].second.result_path});
    else ended_at_start_.emplace_back(batch[i].first, batch[i].second.result_path);
    out.push_back(Handle{l.pid, ticks, l.at_ms, {}});
  }
  return out;
}

bool ProcessRunner::adopt(const TaskKey& key, int pid, uint64_t ticks, const std::string& result_path) {
  auto p = TaskProcess::adopt(pid, ticks);
  if (!p) return false;
  procs_.insert_or_assign(key, Proc{std::move(*p), result_path});
  return true;
}

std::vector<int> ProcessRunner::fds() {
  std::vector<int> out;
  for (auto& [k, p] : procs_) out.push_back(p.process.fd());
  return out;
}

std::vector<std::pair<TaskKey, TaskResult>> ProcessRunner::reap() {
  std::vector<std::pair<TaskKey, TaskResult>> out;
  for (auto& [key, path] : std::exchange(ended_at_start_, {})) {
    auto r = read_result(path);
    if (!r) {
      r = TaskResult{};
      r->error = "the task's supervisor ended without a result (killed?)";
    }
    out.emplace_back(key, *r);
  }
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (!it->second.process.finished()) {
      ++it;
      continue;
    }
    auto r = read_result(it->second.result_path);
    if (!r) {
      r = TaskResult{};
      r->exit_code = -1;
      r->error = "the task's supervisor ended without a result (killed?)";
    }
    out.emplace_back(it->first, *r);
    it = procs_.erase(it);
  }
  return out;
}

void ProcessRunner::terminate_all() {
  for (auto& [k, p] : procs_) p.process.terminate();
}

// ---- names

std::string make_run_id(RunType type, int64_t logical_ms) { return std::string(to_string(type)) + "__" + iso_ms(logical_ms); }

DagRun manual_run(const DagSpec& dag, int64_t now_ms, std::string conf) {
  DagRun r;
  r.dag_id = dag.id;
  r.type = RunType::manual;
  r.logical_ms = now_ms;
  r.run_id = make_run_id(RunType::manual, now_ms);
  r.due_ms = now_ms;
  r.queued_ms = now_ms;
  r.interval_start_ms = r.interval_end_ms = now_ms;
  if (dag.schedule.kind() == Schedule::Kind::cron || dag.schedule.kind() == Schedule::Kind::every)
    if (auto iv = latest_complete_interval(dag, from_ms(now_ms))) {
      r.interval_start_ms = to_ms(iv->start);
      r.interval_end_ms = to_ms(iv->end);
    }
  r.conf = conf.empty() ? "{}" : std::move(conf);
  return r;
}

std::string Scheduler::log_path(const std::string& logs_dir, const TaskKey& k, int try_number) {
  return logs_dir + "/" + k.dag_id + "/" + k.run_id + "/" + k.task_id + "/" + std::to_string(try_number) + ".log";
}

std::string Scheduler::summary_line(const std::string& log_path) {
  std::string last;
  for (auto& line : log_tail_lines(log_path, 64 * 1024))
    if (line.starts_with("{")) last = std::move(line);
  return last;
}

std::string Scheduler::result_path(const std::string& logs_dir, const TaskKey& k, int try_number) {
  return logs_dir + "/" + k.dag_id + "/" + k.run_id + "/" + k.task_id + "/" + std::to_string(try_number) + ".result.json";
}

// ---- lock and wake-up

std::optional<SchedulerLock> SchedulerLock::try_take(const std::string& meta_path, int* holder_pid) {
  auto dir = std::filesystem::path(meta_path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  std::string path = meta_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw FatalError("cannot open the scheduler lock " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    if (holder_pid) *holder_pid = holder(meta_path);
    return std::nullopt;
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    spdlog::warn("cannot write the pid into {}: {}", path, std::strerror(errno));
  return SchedulerLock(fd);
}

int SchedulerLock::holder(const std::string& meta_path) {
  std::string path = meta_path + ".lock";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int pid = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {  // held: read who holds it
    char buf[32] = {};
    if (pread(fd, buf, sizeof buf - 1, 0) > 0) pid = std::atoi(buf);
    if (pid <= 0) pid = -1;
  }
  ::close(fd);
  return pid;
}

SchedulerLock::SchedulerLock(SchedulerLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
SchedulerLock::~SchedulerLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool wake_scheduler(const std::string& meta_path) {
  std::string path = meta_path + ".wake";
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;  // ENXIO: no reader, ENOENT: never created
  char b = 1;
  bool ok = ::write(fd, &b, 1) == 1 || errno == EAGAIN;  // a full FIFO is awake already
  ::close(fd);
  return ok;
}

// ---- the scheduler

struct Scheduler::Pending {
  TaskKey key;
  const DagSpec* dag;
  const TaskSpec* task;
  DagRun run;
  int try_number;
};

Scheduler::Scheduler(std::vector<DagSpec> dags, MetaStore& store, TaskRunner& runner, SchedulerOptions options,
                     std::function<int64_t()> now_ms, metrics::Registry* registry)
    : dags_(std::move(dags)), store_(store), runner_(runner), options_(std::move(options)), now_(std::move(now_ms)) {
  if (!now_) now_ = [] { return wall_ms(); };
  std::string fifo = store_.path() + ".wake";
  if (mkfifo(fifo.c_str(), 0600) != 0 && errno != EEXIST)
    spdlog::warn("cannot make the wake-up FIFO {}: {}; CLI changes wait for the next due time", fifo, std::strerror(errno));
  // O_RDWR: the FIFO always has a writer (us), so poll never reports a hang-up.
  wake_fd_ = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (wake_fd_ >= 0) wake_write_fd_ = ::dup(wake_fd_);
  if (wake_fd_ < 0) {
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) throw FatalError(std::string("pipe: ") + std::strerror(errno));
    wake_fd_ = p[0];
    wake_write_fd_ = p[1];
  }
  if (registry) {
    runs_created_ = &registry->counter("sluice_scheduler_runs_created_total", "DAG runs created (scheduled, manual and backfill)");
    tries_started_ = &registry->counter("sluice_scheduler_task_tries_started_total", "Task tries started");
    delay_ = &registry->histogram("sluice_scheduler_delay_seconds",
                                  "Due time of a run to its first task's process started (Airflow's "
                                  "dagrun.first_task_scheduling_delay)",
                                  metrics::latency_seconds_buckets());
  }
}

Scheduler::~Scheduler() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (wake_write_fd_ >= 0) ::close(wake_write_fd_);
}

const DagSpec* Scheduler::dag(const std::string& id) const {
  for (const auto& d : dags_)
    if (d.id == id) return &d;
  return nullptr;
}

void Scheduler::only_runs(std::set<std::pair<std::string, std::string>> runs) { only_ = std::move(runs); }

void Scheduler::stop() {
  stopping_ = true;
  char b = 0;
  if (::write(wake_write_fd_, &b, 1) < 0) { /* full: awake already */ }
}

void Scheduler::recover() {
  int64_t now = now_();
  for (auto& ti : store_.tasks_in_state(TiState::running)) {
    TaskKey key{ti.dag_id, ti.run_id, ti.task_id};
    std::string result = result_path(options_.logs_dir, key, ti.try_number);
    int pid = ti.pid;
    uint64_t ticks = ti.pid_ticks;
    if (pid == 0) {  // started but not recorded: its pid file, or its command line
      std::tie(pid, ticks) = read_pid_file(result);
      if (pid == 0) {
        pid = find_supervisor(result);
        ticks = pid ? process_start_ticks(pid) : 0;
      }
    }
    if (pid && runner_.adopt(key, pid, ticks, result)) {
      spdlog::info("adopted {} {} {} try {} (pid {}), still running", ti.dag_id, ti.run_id, ti.task_id, ti.try_number, pid);
      if (ti.pid != pid) {
        ti.pid = pid;
        ti.pid_ticks = ticks;
        store_.upsert_task(ti);
      }
      continue;
    }
    if (auto r = read_result(result)) {
      spdlog::info("{} {} {} try {} ended while no scheduler ran", ti.dag_id, ti.run_id, ti.task_id, ti.try_number);
      record_result(key, *r, now);
      continue;
    }
    TaskResult lost;
    lost.exit_code = -1;
    lost.error = "its process was gone when the scheduler restarted (the scheduler or the machine stopped while it ran)";
    spdlog::warn("{} {} {} try {}: {}", ti.dag_id, ti.run_id, ti.task_id, ti.try_number, lost.error);
    record_result(key, lost, now);
  }
}

void Scheduler::record_result(const TaskKey& key, const TaskResult& r, int64_t now) {
  auto tis = store_.tasks(key.dag_id, key.run_id);
  auto it = std::find_if(tis.begin(), tis.end(), [&](const TaskInstance& t) { return t.task_id == key.task_id; });
  if (it == tis.end() || it->state != TiState::running) return;
  TaskInstance& ti = *it;
  const DagSpec* d = dag(key.dag_id);
  const TaskSpec* spec = d ? d->task(key.task_id) : nullptr;
  ti.end_ms = now;
  // The supervisor knows when the task's process really started (the launcher's reply
  // only says the supervisor exists): the run's scheduling delay is measured to that.
  if (r.started_ms > 0 && r.started_ms >= ti.start_ms) {
    if (auto run = store_.run(key.dag_id, key.run_id); run && run->first_task_start_ms == ti.start_ms && ti.try_number == 1) {
      if (delay_ && run->type == RunType::scheduled)
        delay_->observe(static_cast<double>(r.started_ms - run->due_ms) / 1e3);
      run->first_task_start_ms = r.started_ms;
      store_.update_run(*run);
    }
    ti.start_ms = r.started_ms;
  }
  ti.exit_code = r.exit_code;
  ti.pid = 0;
  ti.pid_ticks = 0;
  std::string log = log_path(options_.logs_dir, key, ti.try_number);
  if (spec && spec->kind == TaskKind::produce) ti.records_produced = summary_number(log, "produced");
  if (spec && spec->kind == TaskKind::stream) ti.records_written = summary_number(log, "written_rows");
  if (r.ok()) {
    ti.state = TiState::success;
    ti.error.clear();
    spdlog::debug("{} {} {} try {}: success", key.dag_id, key.run_id, key.task_id, ti.try_number);
  } else {
    ti.error = !r.error.empty()                ? r.error
               : r.timed_out                  ? "timed out"
               : r.signal                     ? "killed by signal " + std::to_string(r.signal)
                                              : "exited with code " + std::to_string(r.exit_code);
    if (r.timed_out && r.error.find("time") == std::string::npos) ti.error = "timed out: " + ti.error;
    if (auto said = last_log_line(log); !said.empty() && !r.timed_out) ti.error += " (its log ends: " + said + ")";
    if (ti.try_number < ti.max_tries && spec) {
      // The one backoff, seeded by the task instance so a restarted scheduler computes
      // the same delay: try n waits within [0, min(max, delay * 2^(n-1))].
      Backoff b({spec->retry_delay, spec->max_retry_delay},
                std::hash<std::string>{}(key.dag_id + "/" + key.run_id + "/" + key.task_id));
      milliseconds wait{0};
      for (int i = 0; i < ti.try_number; ++i) wait = b.next();
      // Airflow's retry_delay is a floor users rely on; the jitter goes on top of half of it.
      wait = std::max(wait, spec->retry_delay / 2);
      ti.state = TiState::up_for_retry;
      ti.next_try_ms = now + wait.count();
    } else {
      ti.state = TiState::failed;
    }
    spdlog::warn("{} {} {} try {}/{}: {}{}", key.dag_id, key.run_id, key.task_id, ti.try_number, ti.max_tries, ti.error,
                 ti.state == TiState::up_for_retry ? " (up for retry in " + std::to_string((ti.next_try_ms - now) / 1000) + " s)"
                                                   : std::string());
  }
  store_.upsert_task(ti);
}

SuperviseOptions Scheduler::launch_options(const DagSpec& d, const TaskSpec& t, const DagRun& run, int try_number) const {
  TemplateValues v;
  v.data_interval_start = iso_ms(run.interval_start_ms);
  v.data_interval_end = iso_ms(run.interval_end_ms);
  v.logical_date = iso_ms(run.logical_ms);
  v.run_id = run.run_id;
  v.dag_id = d.id;
  v.task_id = t.id;
  v.try_number = try_number;
  SuperviseOptions o;
  TaskKey key{d.id, run.run_id, t.id};
  o.log_path = log_path(options_.logs_dir, key, try_number);
  o.result_path = result_path(options_.logs_dir, key, try_number);
  o.log_max_bytes = options_.task_log_bytes;
  o.timeout = t.timeout;
  o.kill_grace = options_.kill_grace;
  if (t.kind == TaskKind::command) {
    for (const auto& a : t.command) o.argv.push_back(expand(a, v));
  } else {
    o.argv.push_back(options_.sluice_exe);
    o.argv.insert(o.argv.end(), options_.sluice_args.begin(), options_.sluice_args.end());
    if (t.kind == TaskKind::produce) {
      o.argv.push_back("produce");
      if (!t.for_.empty()) o.argv.insert(o.argv.end(), {"--for", t.for_});
      if (!t.records.empty()) o.argv.insert(o.argv.end(), {"--records", t.records});
      if (!t.rate.empty()) o.argv.insert(o.argv.end(), {"--rate", t.rate});
    } else {
      o.argv.insert(o.argv.end(), {"stream", "--trigger", "available-now"});
    }
    o.argv.push_back("--json");
    for (const auto& a : t.args) o.argv.push_back(expand(a, v));
  }
  o.env = {{"AIRFLOW_CTX_DAG_ID", d.id},
           {"AIRFLOW_CTX_TASK_ID", t.id},
           {"AIRFLOW_CTX_DAG_RUN_ID", run.run_id},
           {"AIRFLOW_CTX_EXECUTION_DATE", v.logical_date},
           {"AIRFLOW_CTX_TRY_NUMBER", std::to_string(try_number)}};
  return o;
}

void Scheduler::create_scheduled_runs(const DagSpec& d, int64_t now, int64_t& wake) {
  if (d.schedule.kind() == Schedule::Kind::none) return;
  auto cached = next_due_.find(d.id);
  if (cached != next_due_.end() && cached->second > now) {  // nothing due yet
    wake = std::min(wake, cached->second);
    return;
  }
  auto st = store_.ensure_dag(d.id, d.paused_at_start);
  if (st.paused) {
    next_due_.erase(d.id);
    return;
  }
  Instant from = st.next_start_ms < 0 ? d.start : from_ms(st.next_start_ms);
  auto active = [&] { return store_.count_active(d.id); };
  auto create = [&](const Interval& iv) {
    DagRun r;
    r.dag_id = d.id;
    r.type = RunType::scheduled;
    r.logical_ms = to_ms(iv.start);
    r.run_id = make_run_id(RunType::scheduled, r.logical_ms);
    r.interval_start_ms = to_ms(iv.start);
    r.interval_end_ms = to_ms(iv.end);
    r.due_ms = to_ms(iv.end);
    r.queued_ms = now;
    r.state = RunState::queued;
    if (d.overlap == Overlap::skip && store_.count_active(d.id, true) > 0) {
      for (const auto& other : store_.runs(d.id, 16))
        if (other.state == RunState::running) {
          r.state = RunState::skipped;
          r.end_ms = now;
          r.note = "skipped: run " + other.run_id + " was still running (overlap: skip)";
          break;
        }
    }
    if (store_.insert_run(r)) {
      if (runs_created_) runs_created_->add();
      spdlog::info("{} {}: {} (data interval [{}, {}))", d.id, r.run_id, to_string(r.state), iso_ms(r.interval_start_ms),
                   iso_ms(r.interval_end_ms));
    } else {
      spdlog::info("{}: a run for logical date {} exists already; not creating another", d.id, iso_ms(r.logical_ms));
    }
  };
  std::optional<Interval> iv;
  if (d.catchup) {
    while ((iv = interval_from(d, from)) && to_ms(iv->end) <= now) {
      if (active() >= d.max_active_runs) break;  // more once one ends (its pidfd wakes us)
      create(*iv);
      from = iv->end == iv->start ? iv->end + seconds(1) : iv->end;
    }
  } else {
    auto latest = latest_complete_interval(d, from_ms(now));
    if (latest && latest->start >= from && active() < d.max_active_runs) {
      create(*latest);
      from = latest->end == latest->start ? latest->end + seconds(1) : latest->end;
    }
  }
  if (st.next_start_ms != to_ms(from)) store_.set_next_start(d.id, to_ms(from));
  iv = interval_from(d, from);
  int64_t due = iv ? to_ms(iv->end) : INT64_MAX;
  next_due_[d.id] = due;
  if (due <= now) due = now + 1000;  // blocked by max_active_runs: a run's end wakes us sooner
  wake = std::min(wake, due);
}

void Scheduler::advance_run(const DagSpec& d, DagRun& run, int64_t now, int64_t& wake, std::vector<Pending>& to_start) {
  auto tis = store_.tasks(run.dag_id, run.run_id);
  auto find = [&](const std::string& id) -> TaskInstance* {
    for (auto& t : tis)
      if (t.task_id == id) return &t;
    return nullptr;
  };
  bool all_done = true, any_failed = false;
  for (const auto& t : d.tasks) {
    TaskInstance* ti = find(t.id);
    if (!ti) {
      bool ready = true, upstream_failed = false;
      for (const auto& a : t.after) {
        const TaskInstance* up = find(a);
        if (!up || up->state != TiState::success) ready = false;
        if (up && (up->state == TiState::failed || up->state == TiState::upstream_failed)) upstream_failed = true;
      }
      if (!upstream_failed && !ready) {
        all_done = false;
        continue;
      }
      TaskInstance fresh;
      fresh.dag_id = run.dag_id;
      fresh.run_id = run.run_id;
      fresh.task_id = t.id;
      fresh.max_tries = t.retries + 1;
      fresh.queued_ms = now;
      fresh.state = upstream_failed ? TiState::upstream_failed : TiState::queued;
      if (upstream_failed) fresh.end_ms = now;
      store_.upsert_task(fresh);
      tis.push_back(fresh);
      ti = &tis.back();
    }
    if (ti->state == TiState::queued || (ti->state == TiState::up_for_retry && ti->next_try_ms <= now)) {
      to_start.push_back(Pending{{run.dag_id, run.run_id, t.id}, &d, &t, run, ti->try_number + 1});
    } else if (ti->state == TiState::up_for_retry) {
      wake = std::min(wake, ti->next_try_ms);
    }
    if (!is_finished(ti->state)) all_done = false;
    if (ti->state == TiState::failed || ti->state == TiState::upstream_failed) any_failed = true;
  }
  if (all_done) {
    run.state = any_failed ? RunState::failed : RunState::success;
    run.end_ms = now;
    if (any_failed && run.note.empty()) {
      for (const auto& t : tis)
        if (t.state == TiState::failed) {
          run.note = "task " + t.task_id + " failed: " + t.error;
          break;
        }
    }
    store_.update_run(run);
    spdlog::info("{} {}: {}{}", run.dag_id, run.run_id, to_string(run.state), run.note.empty() ? "" : " (" + run.note + ")");
  }
}

int64_t Scheduler::tick() {
  int64_t now = now_();
  int64_t wake = INT64_MAX;
  auto ended = runner_.reap();
  std::vector<Pending> to_start;
  store_.transaction([&] {
    for (const auto& [key, result] : ended) record_result(key, result, now);
    if (!only_)
      for (const auto& d : dags_) create_scheduled_runs(d, now, wake);
    // Move the running runs on first (a run whose last task just ended frees its slot),
    // then start queued runs, per DAG in logical-date order, within max_active_runs and
    // the overlap policy.
    auto active = store_.active_runs();
    std::map<std::string, int> running;
    for (auto& r : active) {
      if (r.state != RunState::running || (only_ && !only_->count({r.dag_id, r.run_id}))) continue;
      const DagSpec* d = dag(r.dag_id);
      if (!d) continue;  // a DAG no longer in the config: its runs stay as they are
      advance_run(*d, r, now, wake, to_start);
      if (r.state == RunState::running) ++running[r.dag_id];
    }
    for (auto& r : active) {
      if (r.state != RunState::queued || (only_ && !only_->count({r.dag_id, r.run_id}))) continue;
      const DagSpec* d = dag(r.dag_id);
      if (!d) continue;
      auto st = store_.ensure_dag(d->id, d->paused_at_start);
      if (st.paused) continue;
      int& n = running[r.dag_id];
      if (n >= d->max_active_runs || (d->overlap == Overlap::queue && n > 0)) continue;
      r.state = RunState::running;
      r.start_ms = now;
      store_.update_run(r);
      ++n;
      advance_run(*d, r, now, wake, to_start);
    }
    // Mark the tries about to start as running before their processes exist: a crash
    // between the two leaves a `running` try that recover() finds by its command line,
    // never a `queued` one that would start a second time.
    int slots = options_.parallelism - static_cast<int>(runner_.running());
    if (static_cast<int>(to_start.size()) > slots) to_start.resize(static_cast<size_t>(std::max(0, slots)));
    for (auto& p : to_start) {
      auto tis = store_.tasks(p.key.dag_id, p.key.run_id);
      for (auto& ti : tis)
        if (ti.task_id == p.key.task_id) {
          ti.state = TiState::running;
          ti.try_number = p.try_number;
          ti.start_ms = now;
          ti.end_ms = 0;
          ti.pid = 0;
          store_.upsert_task(ti);
        }
    }
  });
  if (to_start.empty()) return wake;
  std::vector<std::pair<TaskKey, SuperviseOptions>> batch;
  for (auto& p : to_start) batch.emplace_back(p.key, launch_options(*p.dag, *p.task, p.run, p.try_number));
  int64_t before_start = now_();
  auto handles = runner_.start_all(batch);
  spdlog::debug("tick at {}: {} tries; recorded in {} ms, started in {} ms", now, to_start.size(), before_start - now,
                now_() - before_start);
  std::vector<std::pair<Pending*, TaskRunner::Handle>> started;
  std::vector<std::pair<Pending*, std::string>> failed;
  int64_t started_ms = now_();
  for (size_t i = 0; i < to_start.size(); ++i) {
    auto& h = handles[i];
    if (!h.error.empty()) {
      failed.emplace_back(&to_start[i], h.error);
      continue;
    }
    if (h.started_ms == 0) h.started_ms = started_ms;
    started.emplace_back(&to_start[i], h);
    if (tries_started_) tries_started_->add();
  }
  store_.transaction([&] {
    for (auto& [p, h] : started) {
      for (auto& ti : store_.tasks(p->key.dag_id, p->key.run_id))
        if (ti.task_id == p->key.task_id) {
          ti.pid = h.pid;
          ti.pid_ticks = h.ticks;
          ti.start_ms = h.started_ms;
          store_.upsert_task(ti);
        }
      if (auto run = store_.run(p->key.dag_id, p->key.run_id); run && run->first_task_start_ms == 0) {
        run->first_task_start_ms = h.started_ms;  // until the try's result says when its process started
        store_.update_run(*run);
      }
    }
    for (auto& [p, why] : failed) {
      TaskResult r;
      r.exit_code = -1;
      r.error = "could not start: " + why;
      record_result(p->key, r, started_ms);
    }
  });
  if (!failed.empty()) wake = std::min(wake, started_ms);  // move the runs on
  return wake;
}

void Scheduler::run(const std::function<bool()>& until) {
  while (!stopping_) {
    int64_t wake = tick();
    if (until && until()) break;
    int64_t now = now_();
    int timeout_ms = wake == INT64_MAX ? -1 : static_cast<int>(std::clamp<int64_t>(wake - now, 0, INT_MAX));
    if (runner_.results_ready()) timeout_ms = 0;
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (int fd : runner_.fds()) fds.push_back({fd, POLLIN, 0});
    if (timeout_ms != 0 && !stopping_) ::poll(fds.data(), fds.size(), timeout_ms);
    if (fds[0].revents & POLLIN) {
      char buf[256];
      while (::read(wake_fd_, buf, sizeof buf) > 0) {
      }
    }
  }
  if (stopping_ && terminate_on_stop_ && runner_.running() > 0) {
    spdlog::info("stopping: asking {} running task(s) to end", runner_.running());
    runner_.terminate_all();
    // Their supervisors forward SIGTERM and escalate to SIGKILL after the grace period.
    auto deadline = now_() + options_.kill_grace.count() + 5'000;
    while (runner_.running() > 0 && now_() < deadline) {
      std::vector<pollfd> fds;
      for (int fd : runner_.fds()) fds.push_back({fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 200);
      int64_t now = now_();
      auto ended = runner_.reap();
      store_.transaction([&] {
        for (const auto& [key, result] : ended) record_result(key, result, now);
      });
    }
  }
}

}  // namespace sluice::scheduler
