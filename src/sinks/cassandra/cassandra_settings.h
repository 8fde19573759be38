#pragma once
// Where a cassandra:// sink is and how to talk to it: the URI and the cassandra.* keys.
//
//   cassandra://[user[:password]@]host[:port][,host[:port]...]/keyspace
//
// The port defaults to 9042; an IPv6 address goes in brackets ([::1]:9042); user and
// password may be percent-encoded (%40 for @). A password in the URI shows in process
// lists and shell history: cassandra.password_env (the name of an environment
// variable) or cassandra.password_file are the better places, and giving it in more
// than one place is an error. The password never appears in describe(), messages or
// logs: redacted() and redact_uri() (common/uri.h) drop it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "cql/session.h"

namespace sluice::sinks {

struct CassandraUri {
  std::string user;
  std::optional<std::string> password;
  std::vector<cql::Endpoint> hosts;
  std::string keyspace;

  // "cassandra://cassandra@127.0.0.1:9042/user_data": the URI without the password.
  std::string redacted() const;
};

// Throws UsageError naming what is wrong (quoting the URI only without its password).
CassandraUri parse_cassandra_uri(std::string_view uri);

// Session options from the URI and the cassandra.* keys: hosts, credentials (password
// from the URI, cassandra.password_env or cassandra.password_file), keyspace for USE
// (when `use_keyspace`), consistency, pool size, timeouts, TLS, compression. Throws
// UsageError naming the key for a password that cannot be read.
cql::SessionOptions cassandra_session_options(const config::Config& cfg, const CassandraUri& uri, bool use_keyspace);

}  // namespace sluice::sinks
