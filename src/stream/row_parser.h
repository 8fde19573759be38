#pragma once
// Turns one record's JSON value into a typed Row of the schema, or the reason it
// cannot (which goes to the dead-letter topic's `error.reason` header). Each value is
// parsed once, with simdjson On-Demand, in one pass over its fields.
//
// Reasons start with a stable phrase: "invalid JSON", "invalid UTF-8",
// "value is not a JSON object", "value of N bytes exceeds", "missing required field X",
// "field X is null", "field X is not a UUID", "field X: expected <type>".
// Conversions follow Spark's from_json for a string column: a JSON number or boolean
// in a text column becomes its JSON text.
//
// Text values point into the record's own bytes when the JSON string has no escapes
// (no copy); otherwise into the Arena. Rows are valid while the record and the arena
// are. One RowParser per thread.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/bad_record.h"

#include "table/schema.h"

namespace sluice::stream {

// The stream turns records into rows of the table model (table/schema.h); its code
// names those types without the table:: prefix.
using table::Column;
using table::ColumnType;
using table::Row;
using table::Schema;
using table::Value;

// Bump allocator for unescaped strings of one micro-batch; addresses stay stable.
class Arena {
 public:
  std::string_view copy(std::string_view s);
  void reset();  // keeps the first block for reuse

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = 0, capacity_ = 0;
};

struct ParseOutcome {
  std::string reason;  // empty: the row is good
  BadRecord kind = BadRecord::invalid_json;  // what was wrong, when reason is not empty
  bool ok() const { return reason.empty(); }
};

class RowParser {
 public:
  RowParser(const Schema& schema, size_t max_value_bytes);
  ~RowParser();
  ParseOutcome parse(std::string_view value, Row& row, Arena& arena);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "1981-10-20T18:46:45.926Z" or with an offset (+05:30) -> ms since the epoch (UTC).
bool parse_iso8601(std::string_view s, int64_t& ms);

}  // namespace sluice::stream
