#pragma once
// The sink seam: where the streaming query's rows end up (Cassandra's role in the
// seed). Two backends sit behind it, picked by URI in sinks/factory/open_sink.h:
// `sqlite:FILE` (sinks/sqlite/) and `cassandra://...` (sinks/cassandra/). Reading the
// table back (`sluice query`) is sinks/table_reader.h.
//
// Contract (what exactly-once rests on): write() is an upsert by primary key of every
// row of the batch, and returns Ok only once every row is durable in the store. The
// stream commits its offsets only after Ok, so a replay after a crash rewrites the
// same rows and no row appears twice.
//
// Backpressure and retry are return values, not exceptions (Fluent Bit's FLB_OK |
// FLB_RETRY | FLB_ERROR): Retry means "nothing was lost, try the same batch again
// later" (store unreachable, busy, timed out); Error means the batch can never be
// written as is (e.g. a value the store rejects) and carries the reason.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "table/schema.h"

namespace sluice::sinks {

enum class WriteStatus { ok, retry, error };

struct WriteResult {
  WriteStatus status = WriteStatus::ok;
  std::string message;  // why, for retry and error
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Creates the keyspace/database and the table from the schema if missing; checks
  // an existing table has the schema's columns. Throws FatalError if it cannot.
  virtual void ensure_schema() = 0;
  // Upserts the rows; see the contract above. Rows' views must stay valid during the call.
  virtual WriteResult write(std::span<const table::Row> rows) = 0;
  virtual std::string describe() const = 0;  // e.g. "SQLite ./data/user_data.db, table users"
};

}  // namespace sluice::sinks
