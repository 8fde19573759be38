#pragma once
// Helpers for the tests against the real Cassandra node of scripts/cassandra.sh:
// where it is (CASSANDRA_TEST_ADDRESS=host:port, else the test skips), starting and stopping
// it, running commands, waiting on conditions.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "cql/session.h"
#include "query/test_env.h"

namespace sluice::testing {

inline std::optional<cql::Endpoint> real_node() {
  const char* v = std::getenv("CASSANDRA_TEST_ADDRESS");
  if (!v || !*v) return std::nullopt;
  std::string s = v;
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return cql::Endpoint{s, 9042};
  return cql::Endpoint{s.substr(0, colon), static_cast<uint16_t>(std::stoi(s.substr(colon + 1)))};
}

#define REQUIRE_NODE()                                                                               \
  auto node_opt = ::sluice::testing::real_node();                                                    \
  if (!node_opt) GTEST_SKIP() << "CASSANDRA_TEST_ADDRESS is not set (e.g. 127.0.0.1:9042 after "           \
                                 "`bash scripts/cassandra.sh start`): no real Cassandra node to test"; \
  const ::sluice::cql::Endpoint node = *node_opt

inline std::string repo_root() { return std::string(SLUICE_FIXTURES) + "/../.."; }

// Runs a shell command, capturing stdout and stderr.
inline RunResult sh(const std::string& cmd) {
  auto dir = fs::temp_directory_path() / ("sluice_sh_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return run_shell(cmd, dir);
}

// scripts/cassandra.sh start|stop for the node under test, in the given auth mode.
inline RunResult node_script(const cql::Endpoint& node, const std::string& what, bool auth = false) {
  return sh("cd '" + repo_root() + "' && SLUICE_CASSANDRA_PORT=" + std::to_string(node.port) +
            " SLUICE_CASSANDRA_AUTH=" + (auth ? "1" : "0") + " timeout 240 bash scripts/cassandra.sh " + what);
}

inline bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

inline cql::SessionOptions node_session(const cql::Endpoint& node, const std::string& keyspace = {}) {
  cql::SessionOptions o;
  o.hosts = {node};
  o.connection.keyspace = keyspace;
  o.connection.request_timeout = std::chrono::seconds(30);  // DDL on a small test node
  return o;
}

// A command run by /bin/sh in the background; killed if still running at destruction.
class Background {
 public:
  explicit Background(const std::string& cmd) {
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The exit code, or -1 if it did not end within `limit` (then it is killed).
  int wait(std::chrono::milliseconds limit) {
    int status = 0;
    auto until = std::chrono::steady_clock::now() + limit;
    while (pid_ > 0) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (std::chrono::steady_clock::now() > until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// The sluice command line with the scratch directory's log and the given sink.
inline std::string sluice_cmd(const ScratchDir& d, const std::string& sink, const std::string& args) {
  return "cd '" + d.path().string() + "' && '" + std::string(SLUICE_BINARY) + "' --config '" + repo_config() +
         "' --log " + d.log_uri() + " --sink " + sink + " " + args;
}

inline void drop_keyspace(const cql::Endpoint& node, const std::string& ks) {
  cql::Session s(node_session(node));
  s.connect();
  s.query("DROP KEYSPACE IF EXISTS " + ks);
}

// Rows of SELECT count(*) on a table, or -1 if the node does not answer.
inline int64_t count_rows(const cql::Endpoint& node, const std::string& table) {
  try {
    cql::Session s(node_session(node));
    s.connect();
    auto r = s.query("SELECT count(*) FROM " + table);
    const auto& rows = std::get<cql::RowsResult>(r);
    const auto& cell = rows.cell(0, 0);
    int64_t n = 0;
    for (unsigned char c : *cell) n = n << 8 | c;
    return n;
  } catch (const std::exception&) {
    return -1;
  }
}

inline bool python_driver_available() { return sh("python3 -c 'import cassandra'").code == 0; }
inline std::string py_client() { return std::string(SLUICE_FIXTURES) + "/../cassandra/py_client.py"; }

}  // namespace sluice::testing
