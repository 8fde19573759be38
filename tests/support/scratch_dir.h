#pragma once
// A directory of the running test's own, for its files, logs and databases.
#include <string>

#include "support/shell.h"
#include "support/sluice.h"

namespace sluice::testing {

// <temp>/sluice_<suite>_<test>_<pid>: emptied when made, removed at destruction unless the
// test failed (then it stays, for a look at the logs and files). Make it inside a test or
// as a member of its fixture: it takes the running test's name.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }

  // An embedded log and a SQLite file in this directory, and sluice on both.
  std::string log_uri() const { return "file:" + (path_ / "log").string(); }
  std::string sink_uri() const { return "sqlite:" + (path_ / "user_data.db").string(); }
  SluiceCommand sluice() const { return {.log = log_uri(), .sink = sink_uri()}; }
  std::string command(const std::string& args) const { return sluice().command(args); }

  // sluice ARGS on this directory's log and sink, run here; `env` (e.g. "X=1") prefixes it.
  RunResult run(const std::string& args, const std::string& env = "") const;
  // Any shell command, run here.
  RunResult shell(const std::string& command) const { return run_shell(command, path_); }

 private:
  fs::path path_;
};

}  // namespace sluice::testing
