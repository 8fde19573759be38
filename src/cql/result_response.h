#pragma once
// The RESULT response (spec v4/v5 4.2.5): <kind: [int]> then the kind's body.
//
//   0x0001 Void
//   0x0002 Rows          <metadata><rows_count: [int]><rows_count * columns_count [bytes]>
//   0x0003 Set_keyspace  <keyspace: [string]>
//   0x0004 Prepared      <id: [short bytes]>[v5: <result_metadata_id: [short bytes]>]
//                        <bind variable metadata><result metadata>
//   0x0005 Schema_change <change_type><target><options> (event_response.h)
//
// Cells of a Rows result stay raw [bytes] (nullopt for null); decode_cell() and
// format_cell() (value_codec.h, value_format.h) read them with the column's type.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/event_response.h"
#include "cql/result_metadata.h"
#include "cql/wire_types.h"

namespace sluice::cql {

class WireReader;

enum class ResultKind : int32_t { void_ = 1, rows = 2, set_keyspace = 3, prepared = 4, schema_change = 5 };

struct VoidResult {};

struct RowsResult {
  ResultMetadata metadata;
  int32_t row_count = 0;
  std::vector<Bytes> cells;  // row-major: row r, column c at r * column_count + c

  int32_t column_count() const { return metadata.column_count; }
  const Bytes& cell(int32_t row, int32_t column) const {
    return cells[static_cast<size_t>(row) * static_cast<size_t>(metadata.column_count) + static_cast<size_t>(column)];
  }
};

struct SetKeyspaceResult {
  std::string keyspace;
};

struct PreparedResult {
  std::string id;
  std::string result_metadata_id;  // v5
  PreparedMetadata variables;      // the bind markers
  ResultMetadata result;           // the columns an EXECUTE returns (may be No_metadata)
};

struct SchemaChangeResult {
  SchemaChange change;
};

RowsResult read_rows(WireReader& r, int version);
PreparedResult read_prepared(WireReader& r, int version);

}  // namespace sluice::cql
