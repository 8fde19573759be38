#pragma once
// Helpers for tests that run the sluice binary: a scratch directory per test, a
// command runner with exit code and output, and readers of topics and the table.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "log/log.h"

extern char** environ;

namespace sluice::testing {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string repo_config() { return std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml"; }

struct RunResult {
  int code = -1;
  std::string out, err;
};

// Runs a shell command in `dir`, its stdout and stderr captured in dir/out.txt and
// dir/err.txt.
inline RunResult run_shell(const std::string& cmd, const fs::path& dir) {
  std::string full = "cd '" + dir.string() + "' && (" + cmd + ") >'" + (dir / "out.txt").string() + "' 2>'" +
                     (dir / "err.txt").string() + "'";
  int status = std::system(full.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir / "out.txt");
  r.err = slurp(dir / "err.txt");
  return r;
}

class ScratchDir {
 public:
  ScratchDir() {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("sluice_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    if (!::testing::Test::HasFailure()) fs::remove_all(path_);
  }
  const fs::path& path() const { return path_; }
  std::string log_uri() const { return "file:" + (path_ / "log").string(); }
  std::string sink_uri() const { return "sqlite:" + (path_ / "user_data.db").string(); }

  // The sluice command line with this directory's log and sink, for system() or a shell.
  std::string command(const std::string& args) const {
    return "'" + std::string(SLUICE_BINARY) + "' --config '" + repo_config() + "' --log " + log_uri() + " --sink " +
           sink_uri() + " " + args;
  }

  RunResult run(const std::string& args, const std::string& env = "") const {
    return run_shell(env + " " + command(args), path_);
  }

 private:
  fs::path path_;
};

// Reads a column of every row of the SQLite table (UUID blobs as hex-free 16-byte strings).
inline std::vector<std::string> table_column(const fs::path& db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
      out.emplace_back(p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, 0))) : std::string());
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// Every message of a topic of the log at `log_uri` (all partitions, from the start),
// waiting up to `limit` for as many as the partitions' offsets say it holds.
inline std::vector<log::Message> read_topic(const std::string& log_uri, const std::string& topic,
                                            std::chrono::seconds limit = std::chrono::seconds(30)) {
  log::LogSettings s;
  s.uri = log_uri;
  auto l = log::open_log(s);
  auto admin = l->admin();
  if (!admin->topic_exists(topic)) return {};
  auto desc = admin->describe_topic(topic);
  std::vector<log::TopicPartitionOffset> a;
  int64_t total = 0;
  for (auto& p : desc.partitions) {
    a.push_back({topic, p.partition, p.start_offset});
    total += p.end_offset - p.start_offset;
  }
  auto c = l->consumer({});
  c->assign(a);
  std::vector<log::Message> out;
  auto end = std::chrono::steady_clock::now() + limit;
  while (static_cast<int64_t>(out.size()) < total && std::chrono::steady_clock::now() < end)
    for (auto& m : c->poll(10000, std::chrono::milliseconds(50))) out.push_back(std::move(m));
  return out;
}

inline std::vector<log::Message> read_topic(const ScratchDir& d, const std::string& topic) {
  return read_topic(d.log_uri(), topic);
}

// Starts `cmd` under /bin/sh with stdout and stderr appended to `out`.
inline pid_t spawn_shell(const std::string& cmd, const fs::path& out) {
  std::string full = "exec " + cmd + " >>'" + out.string() + "' 2>&1";
  const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  return pid;
}

// Kills the child when the test ends, whatever happened: no process outlives its test.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0 && ::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Polls `cond` every 20 ms until it holds or `limit` passes.
template <typename F>
bool wait_for(F cond, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace sluice::testing
