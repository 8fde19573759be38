#pragma once
// Reading a sink's table back: what `sluice query` (and the web Table page) shows.
// Each backend runs one statement in its own language (sinks/sqlite: SQL on the
// database file; sinks/cassandra: CQL in the sink's keyspace) and returns a
// QueryResult; sinks/factory/open_sink.h picks the backend from the config's `sink`
// URI, so callers never look at the scheme.
#include <optional>
#include <string>
#include <vector>

namespace sluice::sinks {

// A statement's result as display text: column names, then each row's cells in column
// order (nullopt for NULL; UUIDs as canonical text).
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<bool> numeric;  // per column: integer/real values print as JSON numbers
  std::vector<std::vector<std::optional<std::string>>> rows;
};

}  // namespace sluice::sinks
