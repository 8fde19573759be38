#pragma once
// The launcher: a process forked from the scheduler when it starts, before it starts
// threads of its own, that forks the task supervisors on request. A supervisor started
// this way costs one fork of a small process (about 0.1 ms) instead of an exec of the
// sluice binary (about 12 ms of CPU in the dynamic loader for its 45 libraries, 2.5 s
// for 200 tasks due in the same second on 2 cores): it runs supervise_main() directly.
//
// The supervisors are the launcher's children, not the scheduler's (the launcher reaps
// them), so the scheduler watches every one through a pidfd, as it watches one it adopted
// after a restart: one code path. Each writes `<result_path>.pid` ("pid start_ticks") first
// thing, so a scheduler killed between the start and recording the pid finds it.
//
// The launcher holds no descriptor of the scheduler but its socket (so it never keeps the
// scheduler's lock file locked), dies with the scheduler (PR_SET_PDEATHSIG), and leaves
// running supervisors running when it goes.
//
// Threading: one thread (the scheduler's loop) uses a Launcher.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "scheduler/task_process.h"

namespace sluice::scheduler {

class Launcher {
 public:
  // Forks the launcher; throws FatalError if it cannot.
  static std::unique_ptr<Launcher> start();
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Starts a supervisor for `o`; returns its pid. Throws UsageError for invalid options,
  // FatalError if the launcher is gone or the fork failed.
  pid_t launch(const SuperviseOptions& o);
  // Starts several: all requests are sent ahead (a window at a time) and the replies read
  // after, so the launcher forks them back to back instead of waiting for the CPU once
  // per task. Per task: its pid and the wall time (ms) its reply came, or what failed.
  struct Launched {
    pid_t pid = 0;
    int64_t at_ms = 0;
    std::string error;  // empty: started
  };
  std::vector<Launched> launch_all(const std::vector<const SuperviseOptions*>& batch);
  pid_t pid() const { return pid_; }

 private:
  Launcher(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_;
  int fd_;
};

// The supervisor's pid and start ticks from `<result_path>.pid`, or {0, 0}.
std::pair<int, uint64_t> read_pid_file(const std::string& result_path);

}  // namespace sluice::scheduler
