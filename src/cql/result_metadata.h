#pragma once
// Column metadata of RESULT messages (spec v4/v5 4.2.5.2 and 4.2.5.4).
//
// Rows <metadata>:
//   <flags: [int]><columns_count: [int]>[<paging_state: [bytes]>][<new_metadata_id: [short bytes]>]
//   [<global_table_spec>?<col_spec_1>...<col_spec_n>]
// Prepared <metadata> (the bind variables):
//   <flags: [int]><columns_count: [int]><pk_count: [int]>[<pk_index_i: [short]>...]
//   [<global_table_spec>?<col_spec_1>...<col_spec_n>]
// <global_table_spec> = <keyspace: [string]><table: [string]> (flag 0x0001);
// <col_spec_i> = [(<keyspace><table>) unless global]<name: [string]><type: [option]>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/data_type.h"

namespace sluice::cql {

class WireReader;

inline constexpr int32_t kMetaGlobalTableSpec = 0x0001;
inline constexpr int32_t kMetaHasMorePages = 0x0002;
inline constexpr int32_t kMetaNoMetadata = 0x0004;
inline constexpr int32_t kMetaMetadataChanged = 0x0008;  // v5

struct ColumnSpec {
  std::string keyspace;
  std::string table;
  std::string name;
  DataType type;
};

struct ResultMetadata {
  int32_t flags = 0;
  int32_t column_count = 0;
  std::optional<std::string> paging_state;     // with Has_more_pages (unless the server sent null)
  std::optional<std::string> new_metadata_id;  // v5, set iff Metadata_changed
  std::vector<ColumnSpec> columns;             // empty with No_metadata

  bool has_more_pages() const { return (flags & kMetaHasMorePages) != 0; }
  bool no_metadata() const { return (flags & kMetaNoMetadata) != 0; }
};

struct PreparedMetadata {
  int32_t flags = 0;
  std::vector<uint16_t> pk_indexes;  // bind marker index of each partition key column
  std::vector<ColumnSpec> columns;   // one per bind marker
};

ResultMetadata read_result_metadata(WireReader& r, int version);
PreparedMetadata read_prepared_metadata(WireReader& r, int version);

}  // namespace sluice::cql
