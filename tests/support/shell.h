#pragma once
// Running a shell command to its end and capturing what it printed.
#include <string>

#include "support/paths.h"

namespace sluice::testing {

struct RunResult {
  int code = -1;  // the exit code; 128 + N if signal N ended the shell
  std::string out, err;
};

// Runs `command` with /bin/sh -c in `cwd` (the test's own working directory if empty),
// stdin from /dev/null, and waits for it, however long it takes (ctest's timeout is the
// limit; use Process for anything that may hang). stdout and stderr go to temporary files,
// not pipes, so a server the command starts in the background cannot hold the call up by
// keeping them open. Safe from any thread.
RunResult run_shell(const std::string& command, const fs::path& cwd = {});

}  // namespace sluice::testing
