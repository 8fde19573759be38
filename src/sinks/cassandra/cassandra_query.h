#pragma once
// `sluice query` on a cassandra:// sink: cqlsh's role. Runs one CQL statement in the
// sink's keyspace (USE keyspace on connect, so `SELECT count(*) FROM users` works),
// follows the pages of a SELECT to the end, and returns the rows as display text:
// cqlsh's formatting (format_cell) for the table view; for `--json`, numbers and
// booleans as JSON literals (doubles with every digit needed to read them back
// exactly), everything else as cqlsh prints it.
#include <string>

#include "config/config.h"
#include "sinks/table_reader.h"

namespace sluice::sinks {

// Throws UsageError for a bad URI, a keyspace that does not exist or a statement the
// server refuses (syntax, invalid), with the server's message; FatalError when the
// cluster cannot be reached or refuses the credentials.
QueryResult cassandra_query(const config::Config& cfg, const std::string& cql, bool json);

}  // namespace sluice::sinks
