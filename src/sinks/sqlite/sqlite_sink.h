#pragma once
// The embedded sink (URI sqlite:FILE): Cassandra's role on one machine. The seed's
// keyspace `user_data` is the database file; the table comes from the schema.
//
// Storage: WAL journal, synchronous=NORMAL (a committed transaction survives a crash
// of the process, which is what the stream's exactly-once effect needs; an OS crash
// may lose the last transactions, which the stream then replays). uuid columns are
// 16-byte BLOBs with declared type UUID (smaller and faster keys than 36 characters;
// `sluice query` shows them as text, and the SQL functions uuid('...') and
// uuid_text(blob) convert); timestamp columns are INTEGER ms with declared type
// TIMESTAMP; booleans INTEGER 0/1 with declared type BOOLEAN.
//
// write(): one transaction per call; one prepared upsert
//   INSERT INTO t(...) VALUES(?...) ON CONFLICT(pk) DO UPDATE SET c=excluded.c, ...
// with every value bound, never spliced into the SQL text.
#include <sqlite3.h>

#include <functional>
#include <string>
#include <memory>
#include <vector>

#include "metrics/registry.h"
#include "sinks/sink.h"
#include "sinks/table_reader.h"
#include "table/row_text.h"

namespace sluice::sinks {

class SqliteSink : public Sink {
 public:
  // Opens (creating) the database file. Throws FatalError if it cannot. Each
  // acknowledged write() (one transaction) is timed in `metrics` (null: a registry of
  // its own) as sluice_sink_write_seconds{sink="sqlite"}.
  SqliteSink(std::string path, const table::Schema& schema, metrics::Registry* metrics = nullptr);
  ~SqliteSink() override;
  void ensure_schema() override;
  WriteResult write(std::span<const table::Row> rows) override;
  std::string describe() const override;

 private:
  WriteResult fail(int rc, const char* what);
  std::string path_;
  const table::Schema& schema_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  std::vector<uint32_t> order_;  // write order of the current batch's rows (by key)
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  std::unique_ptr<metrics::Registry> own_registry_;
  metrics::Histogram& write_seconds_;
};

// The CREATE TABLE statement for a schema (quoted identifiers).
std::string sqlite_create_table(const table::Schema& schema);

// Runs one SQL statement on a sink database for `sluice query` (`params` bound to its
// ?1.. as text, never spliced): column names, then
// each row as display text (nullopt for NULL; UUID blobs as canonical text). Throws
// UsageError with SQLite's message for bad SQL, FatalError if the file cannot open.
QueryResult sqlite_query(const std::string& path, const std::string& sql, const std::vector<std::string>& params = {});

// Every row of the schema's table, its columns in schema order as canonical text
// (table/row_text.h), one at a time (bounded memory). Throws UsageError if there is no
// database or table yet.
void sqlite_scan(const std::string& path, const table::Schema& schema, const std::function<void(table::Fields&)>& fn);

// Registers uuid(text) -> blob and uuid_text(blob) -> text on a connection.
void register_uuid_functions(sqlite3* db);

}  // namespace sluice::sinks
