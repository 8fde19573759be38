#pragma once
// The real servers the integration suites run against, on 127.0.0.1, through the repo's
// scripts (scripts/kafka.sh, scripts/cassandra.sh). Whoever runs the suite starts the
// server and names it in the environment (scripts/test.sh does both); without it the
// suite skips. Tests that stop and start the server use the functions below, so that the
// script acts on that server and no other.
#include <cstdint>
#include <optional>
#include <string>

#include "support/shell.h"

namespace sluice::testing {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "host:port" -> {host, port}; `default_port` when there is no ":port".
HostPort parse_host_port(const std::string& s, uint16_t default_port);

// KAFKA_TEST_BOOTSTRAP (host:port), or "" when unset.
std::string kafka_bootstrap();

// `scripts/kafka.sh ARGS` (start, stop, status, topics ...) for the broker at
// kafka_bootstrap(): its port is passed as KAFKA_SH_PORT; KAFKA_SH_HOME (where the
// broker's data and pid file are) comes from the environment, as for the script that
// started it. Limited to 240 s.
RunResult kafka_script(const std::string& args);

// CASSANDRA_TEST_ADDRESS (host:port, port 9042 if omitted), or nothing when unset.
std::optional<HostPort> cassandra_test_address();

// `scripts/cassandra.sh WHAT` (start, stop, status) for the node on `port`, in
// PasswordAuthenticator mode if `auth` (passed as CASSANDRA_SH_PORT and CASSANDRA_SH_AUTH);
// CASSANDRA_SH_HOME and the storage port come from the environment. Limited to 240 s.
RunResult cassandra_script(uint16_t port, const std::string& what, bool auth = false);

}  // namespace sluice::testing
