#pragma once
// Helpers for the tests against the real Cassandra node of scripts/cassandra.sh: where it
// is (CASSANDRA_TEST_ADDRESS=host:port, else the test skips), sessions on it, sluice with
// a Cassandra sink, counting rows. Running commands, background processes, waiting and the
// node's script are tests/support's.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "cql/session.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/servers.h"
#include "support/topics.h"
#include "support/wait.h"

namespace sluice::testing {

inline std::optional<cql::Endpoint> real_node() {
  auto a = cassandra_test_address();
  if (!a) return std::nullopt;
  return cql::Endpoint{a->host, a->port};
}

#define REQUIRE_NODE()                                                                               \
  auto node_opt = ::sluice::testing::real_node();                                                    \
  if (!node_opt) GTEST_SKIP() << "CASSANDRA_TEST_ADDRESS is not set (e.g. 127.0.0.1:9042 after "           \
                                 "`bash scripts/cassandra.sh start`): no real Cassandra node to test"; \
  const ::sluice::cql::Endpoint node = *node_opt

// scripts/cassandra.sh start|stop for the node under test, in the given auth mode.
inline RunResult node_script(const cql::Endpoint& node, const std::string& what, bool auth = false) {
  return cassandra_script(node.port, what, auth);
}

inline cql::SessionOptions node_session(const cql::Endpoint& node, const std::string& keyspace = {}) {
  cql::SessionOptions o;
  o.hosts = {node};
  o.connection.keyspace = keyspace;
  o.connection.request_timeout = std::chrono::seconds(30);  // DDL on a small test node
  return o;
}

// The sluice command line with the scratch directory's log and the given sink; run it in
// the scratch directory (d.shell(...)).
inline std::string sluice_cmd(const ScratchDir& d, const std::string& sink, const std::string& args) {
  return SluiceCommand{.log = d.log_uri(), .sink = sink}.command(args);
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

inline bool python_driver_available() { return run_shell("python3 -c 'import cassandra'").code == 0; }
inline std::string py_client() { return (repo_root() / "tests" / "cassandra" / "py_client.py").string(); }

}  // namespace sluice::testing
