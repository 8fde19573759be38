#pragma once
// Task processes: how the scheduler runs one task instance so that a crash of the
// scheduler (kill -9) neither kills the task nor makes it run twice.
//
// The scheduler never runs a task's argv itself. It starts a supervisor, the sluice
// binary's hidden `sluice __supervise ...` (TaskProcess::start), which:
//   - runs the task's argv (no shell) in a process group of its own, in the scheduler's
//     working directory, stdin /dev/null, stdout and stderr into one pipe;
//   - appends that output to a size-bounded log file (LogFile in task_process.cpp);
//   - enforces the timeout: SIGTERM to the task's process group, SIGKILL after kill_grace;
//   - on SIGTERM/SIGINT to itself does the same (error "terminated by the scheduler");
//   - writes a result file atomically (tmp + rename) when the task has ended;
//   - exits 0 if the task succeeded, 1 otherwise.
// The task gets PR_SET_PDEATHSIG(SIGKILL): a supervisor that dies abruptly takes its task
// with it. When the task ends, whatever it left running in its process group is killed, so
// nothing outlives its task instance.
//
// A new scheduler that finds a supervisor still alive (pid and start_ticks from its
// metadata) adopts it (TaskProcess::adopt) and watches its pidfd; when it ends, it reads the
// result file (read_result). A result file that is absent after the supervisor ended means
// the supervisor itself was killed (kill -9, OOM): the task's outcome is unknown.
//
// Each try of a task wants its own result_path: a result left by an earlier try would read
// as this one's. --env values are on the supervisor's command line (visible in ps): pass
// secrets otherwise.
//
// Signals: supervise_main() blocks SIGTERM and SIGINT in the calling thread and reads them
// from a signalfd. Another thread that takes them instead (the CLI's SignalWatcher) hands
// them over through supervise_main's `stop_fd` (see cli/supervise_command.cpp).
//
// Threading: a TaskProcess belongs to one thread (the scheduler's loop).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::scheduler {

struct SuperviseOptions {
  std::vector<std::string> argv;  // the task; argv[0] without '/' is looked up in PATH; no shell
  std::string log_path;           // stdout+stderr of the task appended (parent dirs created)
  // When the log passes this size it is rewritten as its head (the first quarter), a line
  // "[sluice: N bytes of output cut]" and the latest output (the last half): see LogFile.
  int64_t log_max_bytes = 10 << 20;
  // JSON written with tmp+rename when the task ends:
  // {"exit_code":N,"signal":S,"timed_out":bool,"started_ms":..,"ended_ms":..,"error":"..."}
  std::string result_path;
  std::chrono::milliseconds timeout{0};  // 0 = none
  std::chrono::milliseconds kill_grace{10000};
  std::vector<std::pair<std::string, std::string>> env;  // added to / replacing in the environment
};

// The flag names of `sluice __supervise`: one definition for supervise_args() and the CLI.
namespace supervise_flag {
inline constexpr const char* kCommand = "__supervise";
inline constexpr const char* kLog = "--log-file";
inline constexpr const char* kLogMax = "--log-max-bytes";
inline constexpr const char* kResult = "--result-file";
inline constexpr const char* kTimeout = "--timeout-ms";
inline constexpr const char* kGrace = "--grace-ms";
inline constexpr const char* kEnv = "--env";  // KEY=VALUE, repeatable
}  // namespace supervise_flag

// The arguments after "__supervise" that encode `o`:
//   --log-file P --log-max-bytes N --result-file P --timeout-ms N --grace-ms N [--env K=V]... -- argv...
std::vector<std::string> supervise_args(const SuperviseOptions& o);

// Checks `o` (argv not empty, paths set, sizes and durations in range, env keys well formed);
// throws UsageError naming the field.
void validate(const SuperviseOptions& o);

// The supervisor's body (runs in the supervisor process, on its main thread; see the
// signal contract above). Returns the process's exit code: 0 if the task succeeded, 1
// otherwise. A task argv that cannot be executed (not found, not executable) gives
// exit_code 127 and an error naming the program. On SIGTERM/SIGINT: SIGTERM to the task's
// group, SIGKILL after kill_grace (at once on a second stop), the result still written
// with error "terminated by the scheduler"; a stop that comes before the task started
// means it never starts. `stop_fd`, if not -1, is an eventfd whose count is the number of
// stop requests made by whoever else took SIGTERM/SIGINT in this process (the CLI's
// SignalWatcher): each counts as one of those signals. Throws UsageError on invalid options
// (nothing written then).
int supervise_main(const SuperviseOptions& o, int stop_fd = -1);

// A task's outcome, as the result file has it.
struct TaskResult {
  int exit_code = -1;  // the task's exit code; 128 + signal if a signal ended it; 127 not executable
  int signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;
  int64_t started_ms = 0, ended_ms = 0;  // wall clock, ms since the epoch
  std::string error;                     // empty, or what went wrong for a person
  bool ok() const { return exit_code == 0 && signal == 0 && !timed_out && error.empty(); }
};

// The result file's JSON text for `r` (one line, no newline).
std::string result_json(const TaskResult& r);
// The result file, or nullopt if it is absent, unreadable or not a result.
std::optional<TaskResult> read_result(const std::string& result_path);

// The scheduler's handle on one supervisor. Movable, not copyable; the destructor closes the
// pidfd and never signals: a scheduler that goes away leaves its supervisors running, for the
// next one to adopt. (A started supervisor that ends after its handle is gone stays a zombie
// until the scheduler process exits or reaps it.)
class TaskProcess {
 public:
  // posix_spawn (vfork-style) of `self_exe` ("/proc/self/exe" or a path) with "__supervise"
  // and supervise_args(o): an empty signal mask and default signal dispositions in the child
  // (the sluice CLI blocks SIGINT/SIGTERM in every thread), a process group of its own (a
  // Ctrl-C on the scheduler's terminal does not reach the tasks), stdin from /dev/null,
  // stdout and stderr inherited, no other descriptor of the scheduler. Throws UsageError for
  // invalid options, FatalError naming the cause if the spawn fails.
  static TaskProcess start(const std::string& self_exe, const SuperviseOptions& o);
  // Re-attaches to a supervisor started by an earlier scheduler: nullopt if `pid` is gone or
  // now belongs to another process (its start time, field 22 of /proc/<pid>/stat, differs
  // from `start_ticks`). An adopted process that has already ended (a zombie) is finished().
  static std::optional<TaskProcess> adopt(int pid, uint64_t start_ticks);

  TaskProcess(TaskProcess&& other) noexcept;
  TaskProcess& operator=(TaskProcess&& other) noexcept;
  TaskProcess(const TaskProcess&) = delete;
  TaskProcess& operator=(const TaskProcess&) = delete;
  ~TaskProcess();

  int pid() const { return pid_; }
  uint64_t start_ticks() const { return start_ticks_; }
  // A pidfd: readable (POLLIN) once the supervisor has ended, for the scheduler's poll set.
  int fd() const { return pidfd_; }
  // Non-blocking: true once the supervisor has ended. Reaps our own child (waitpid WNOHANG);
  // for an adopted one, polls the pidfd.
  bool finished();
  // Waits up to `limit` for the end; returns finished().
  bool wait_for(std::chrono::milliseconds limit);
  // The supervisor's exit code (0: the task succeeded) once finished(), for a child of ours;
  // nullopt for an adopted one (not our child) or before the end. The result file says more.
  std::optional<int> exit_code() const;
  // SIGTERM to the supervisor (it forwards it to the task and escalates to SIGKILL after
  // kill_grace). No-op once finished.
  void terminate();
  // SIGKILL to the task's process group and the supervisor's, at once. No result file is
  // written then. No-op once finished.
  void kill_now();

 private:
  TaskProcess(int pid, uint64_t start_ticks, int pidfd, bool own_child);
  void close_fd();

  int pid_ = -1;
  uint64_t start_ticks_ = 0;
  int pidfd_ = -1;
  bool own_child_ = false;  // our child: reaped by finished(); an adopted one is not
  bool ended_ = false;
  bool have_status_ = false;  // status_ holds (our child, reaped by us)
  int status_ = 0;            // its waitpid status
};

// The start time of process `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat);
// 0 if there is no such process. With the pid it identifies a process across pid reuse.
uint64_t process_start_ticks(int pid);

}  // namespace sluice::scheduler
