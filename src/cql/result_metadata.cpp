#include "cql/result_metadata.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"

namespace sluice::cql {
namespace {

int32_t read_count(WireReader& r, const char* what) {
  int32_t n = r.read_int();
  if (n < 0) r.fail(Errc::bad_value, fmt::format("negative {} {}", what, n));
  return n;
}

std::vector<ColumnSpec> read_column_specs(WireReader& r, int32_t flags, int32_t count) {
  std::string ks, table;
  bool global = (flags & kMetaGlobalTableSpec) != 0;
  if (global) {
    ks = r.read_string();
    table = r.read_string();
  }
  // Each spec is at least a [string] name and a [short] type id (plus two [string]s).
  r.check_count(static_cast<uint64_t>(count), global ? 4 : 8, "column specs");
  std::vector<ColumnSpec> cols;
  cols.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    ColumnSpec c;
    if (global) {
      c.keyspace = ks;
      c.table = table;
    } else {
      c.keyspace = r.read_string();
      c.table = r.read_string();
    }
    c.name = r.read_string();
    c.type = read_data_type(r);
    cols.push_back(std::move(c));
  }
  return cols;
}

}  // namespace

ResultMetadata read_result_metadata(WireReader& r, int version) {
  ResultMetadata m;
  m.flags = r.read_int();
  m.column_count = read_count(r, "column count");
  if (m.flags & kMetaHasMorePages) m.paging_state = r.read_bytes();
  if (version >= 5 && (m.flags & kMetaMetadataChanged)) m.new_metadata_id = r.read_short_bytes();
  if (!(m.flags & kMetaNoMetadata)) m.columns = read_column_specs(r, m.flags, m.column_count);
  return m;
}

PreparedMetadata read_prepared_metadata(WireReader& r, int /*version*/) {
  PreparedMetadata m;
  m.flags = r.read_int();
  int32_t count = read_count(r, "bind marker count");
  int32_t pk_count = read_count(r, "partition key count");
  r.check_count(static_cast<uint64_t>(pk_count), 2, "partition key indexes");
  m.pk_indexes.reserve(static_cast<size_t>(pk_count));
  for (int32_t i = 0; i < pk_count; ++i) m.pk_indexes.push_back(r.read_short());
  m.columns = read_column_specs(r, m.flags, count);
  return m;
}

}  // namespace sluice::cql
