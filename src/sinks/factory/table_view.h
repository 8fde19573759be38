#pragma once
// The dashboard's Table page on whichever sink the config names: the row count, the
// latest rows and one row by primary key (its value bound, never spliced into the
// statement's text).
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "sinks/table_reader.h"
#include "table/row_text.h"
#include "table/schema.h"

namespace sluice::sinks {

int64_t count_rows(const config::Config& cfg, const table::Schema& schema);
// SQLite: the most recently inserted first; Cassandra: the first `limit` in token order.
QueryResult latest_rows(const config::Config& cfg, const table::Schema& schema, int limit);
// 0 or 1 row. Throws UsageError for a key that is not a value of the key's type.
QueryResult lookup_row(const config::Config& cfg, const table::Schema& schema, const std::string& key);
// Those of `keys` (primary key values as text; UUIDs canonical) that have a row, checked
// in chunks of bound values (SQLite 500 a statement, Cassandra 100 on one session).
// Every row of the table, columns in schema order as canonical text (table/row_text.h),
// one at a time.
void scan_rows(const config::Config& cfg, const table::Schema& schema, const std::function<void(table::Fields&)>& fn);
std::unordered_set<std::string> present_keys(const config::Config& cfg, const table::Schema& schema,
                                             const std::vector<std::string>& keys);

}  // namespace sluice::sinks
