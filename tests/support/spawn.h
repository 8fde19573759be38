#pragma once
// Internal to tests/support: starting /bin/sh with given stdio, shared by run_shell and
// Process. Not for tests.
#include <sys/types.h>

#include <string>

#include "support/paths.h"

namespace sluice::testing::detail {

struct SpawnRequest {
  std::string script;  // given to /bin/sh -c
  int out_fd = -1;     // becomes the child's stdout
  int err_fd = -1;     // becomes the child's stderr
  fs::path cwd;        // the child's working directory; inherited if empty
  bool own_group = false;  // lead a new process group
};

// Starts the child with stdin from /dev/null, an empty signal mask and the default action
// for the usual stop signals (whatever this process ignores or blocks). Returns its pid,
// or -1 with `error` set.
pid_t spawn_shell(const SpawnRequest& request, std::string& error);

// Waits for `pid` (retrying on EINTR); returns the waitpid status, or -1 on error.
int wait_status(pid_t pid);

// The exit code of a waitpid status, or 128 + N if signal N ended it.
int exit_code(int status);

}  // namespace sluice::testing::detail
