#pragma once
// The table of a cassandra:// sink, from the stream's schema: its CQL, the check of an
// existing table, and rows as bound values.
//
// Types: text -> TEXT, int -> INT, bigint -> BIGINT, double -> DOUBLE, boolean ->
// BOOLEAN, uuid -> UUID, timestamp -> TIMESTAMP. The primary key column is the
// partition key. For the seed's schema the statement is the seed's own:
//   CREATE TABLE IF NOT EXISTS user_data.users (id UUID PRIMARY KEY, first_name TEXT, ...)
// Names that CQL would fold or refuse (capitals, reserved words) are double-quoted.
#include <string>
#include <vector>

#include "cql/session.h"
#include "table/schema.h"

namespace sluice::sinks {

// The CQL type of a column: "TEXT", "INT"... (system_schema spells them in lower case).
const char* cassandra_type(table::ColumnType t);
// A name as a CQL identifier: as is when CQL keeps it so, else double-quoted.
std::string cql_identifier(const std::string& name);

std::string cassandra_create_keyspace(const std::string& keyspace, const std::string& replication);
std::string cassandra_create_table(const std::string& keyspace, const table::Schema& schema);
// INSERT INTO ks.t (c1, ...) VALUES (?, ...): an upsert in Cassandra, every value bound.
std::string cassandra_insert(const std::string& keyspace, const table::Schema& schema);

// Creates the keyspace and the table if missing (only what is missing, so a user
// without CREATE permission can write to existing ones), then checks the table: every
// schema column present with its type, the schema's key as the sole partition key and
// no clustering column. Throws FatalError naming the mismatch; CqlError from the
// server passes through.
void ensure_cassandra_table(cql::Session& s, const std::string& keyspace, const std::string& replication,
                            const table::Schema& schema);

// The row's values in schema order, serialised for their columns. Returns false with
// `why` if a value does not fit its column (the row parser normally prevents it).
bool bind_row(const table::Row& row, const table::Schema& schema, std::vector<cql::BindValue>& out,
              std::string& why);

}  // namespace sluice::sinks
