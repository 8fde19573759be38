#pragma once
// A command running in the background, for tests that watch it, signal it, or wait for it
// with a limit.
#include <sys/types.h>

#include <chrono>
#include <source_location>
#include <string>

#include "support/paths.h"

namespace sluice::testing {

struct ProcessOptions {
  fs::path output;  // stdout and stderr are appended to this file (created if missing)
  fs::path errors;  // if set, stderr is appended here instead
  fs::path cwd;     // the working directory; the test's own if empty
};

// Runs `/bin/sh -c "exec COMMAND"`: when COMMAND is one program with its arguments (the
// usual case; no `;`, `&&` or leading `VAR=value`), pid() is that program and signal()
// reaches it directly, so a test can stop it with SIGINT or SIGTERM and see its own exit
// code. The process leads a process group of its own; the destructor (and a wait() whose
// limit passes) kills that whole group with SIGKILL, so nothing a test started outlives it.
//
// Owned and used by one thread. Movable: assigning over a running process kills it first.
class Process {
 public:
  Process(const std::string& command, ProcessOptions options);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // True until the process has ended (it is reaped then, and its status kept for wait()).
  bool running();
  // Sends `sig` to the process (not to its group); a no-op once it has ended.
  void signal(int sig);
  // Waits until the process ends and returns its exit code, or 128 + N if signal N killed
  // it. If `limit` passes first, records a test failure (at the caller's line) naming the
  // command and quoting the end of its output, kills the process group and returns -1.
  int wait(std::chrono::milliseconds limit, std::source_location where = std::source_location::current());
  // What it printed so far to `options.output`.
  std::string output() const;

 private:
  void kill_group();

  std::string command_;
  ProcessOptions options_;
  pid_t pid_ = -1;
  bool ended_ = false;
  int status_ = 0;  // waitpid status, once ended_
};

}  // namespace sluice::testing
