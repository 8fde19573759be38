#include "cql/result_response.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"

namespace sluice::cql {

RowsResult read_rows(WireReader& r, int version) {
  RowsResult rows;
  rows.metadata = read_result_metadata(r, version);
  rows.row_count = r.read_int();
  if (rows.row_count < 0) r.fail(Errc::bad_value, fmt::format("Rows result with {} rows", rows.row_count));
  // Every cell is at least its 4-byte length: refuse counts the body cannot hold
  // before reserving anything.
  uint64_t n = static_cast<uint64_t>(rows.row_count) * static_cast<uint64_t>(rows.metadata.column_count);
  r.check_count(n, 4, "cells of a Rows result");
  rows.cells.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) rows.cells.push_back(r.read_bytes());
  return rows;
}

PreparedResult read_prepared(WireReader& r, int version) {
  PreparedResult p;
  p.id = r.read_short_bytes();
  if (version >= 5) p.result_metadata_id = r.read_short_bytes();
  p.variables = read_prepared_metadata(r, version);
  p.result = read_result_metadata(r, version);
  return p;
}

}  // namespace sluice::cql
