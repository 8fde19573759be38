#pragma once
// `sluice query` on a cassandra:// sink: cqlsh's role. Runs one CQL statement in the
// sink's keyspace (USE keyspace on connect, so `SELECT count(*) FROM users` works),
// follows the pages of a SELECT to the end, and returns the rows as display text:
// cqlsh's formatting (format_cell) for the table view; for `--json`, numbers and
// booleans as JSON literals (doubles with every digit needed to read them back
// exactly), everything else as cqlsh prints it.
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "cql/wire_types.h"
#include "sinks/table_reader.h"
#include "table/row_text.h"
#include "table/schema.h"

namespace sluice::sinks {

// Throws UsageError for a bad URI, a keyspace that does not exist or a statement the
// server refuses (syntax, invalid), with the server's message; FatalError when the
// cluster cannot be reached or refuses the credentials.
// `values` are bound to the statement's ? markers, never spliced into it.
QueryResult cassandra_query(const config::Config& cfg, const std::string& cql, bool json,
                            std::vector<cql::BindValue> values = {});

// The row whose primary key is `key` (text of a uuid or text key; bound, never spliced).
// Throws UsageError for a key of another type.
QueryResult cassandra_lookup(const config::Config& cfg, const table::Schema& schema, const std::string& key);

// Those of `keys` (texts of uuid or text keys) that have a row: one session, IN queries
// of 100 bound values. The texts come back as cqlsh prints them (UUIDs canonical).
// Every row of the schema's table, columns in schema order as canonical text
// (table/row_text.h), page by page (bounded memory).
void cassandra_scan(const config::Config& cfg, const table::Schema& schema, const std::function<void(table::Fields&)>& fn);

std::unordered_set<std::string> cassandra_present_keys(const config::Config& cfg, const table::Schema& schema,
                                                       const std::vector<std::string>& keys);

}  // namespace sluice::sinks
