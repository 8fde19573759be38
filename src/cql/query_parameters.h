#pragma once
// <query_parameters>, shared by QUERY and EXECUTE (spec v4 4.1.4, v5 4.1.4):
//
//   <consistency><flags>[<n>[name_1]<value_1>...][<result_page_size>][<paging_state>]
//   [<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]
//
// <flags> is a [byte] in v3/v4 and an [int] in v5; each optional field is present iff
// its flag is set, and the encoder sets the flags from which fields are filled in.
// keyspace and now_in_seconds exist only in v5: asking for them on v4 throws
// ProtocolError(unsupported) rather than silently dropping them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/wire_types.h"

namespace sluice::cql {

class WireWriter;

inline constexpr uint32_t kQueryFlagValues = 0x0001;
inline constexpr uint32_t kQueryFlagSkipMetadata = 0x0002;
inline constexpr uint32_t kQueryFlagPageSize = 0x0004;
inline constexpr uint32_t kQueryFlagPagingState = 0x0008;
inline constexpr uint32_t kQueryFlagSerialConsistency = 0x0010;
inline constexpr uint32_t kQueryFlagDefaultTimestamp = 0x0020;
inline constexpr uint32_t kQueryFlagValueNames = 0x0040;
inline constexpr uint32_t kQueryFlagKeyspace = 0x0080;      // v5
inline constexpr uint32_t kQueryFlagNowInSeconds = 0x0100;  // v5

struct QueryParameters {
  Consistency consistency = Consistency::local_one;
  std::vector<BindValue> values;
  // Empty, or one name per value: binds by marker name (QUERY with named markers).
  std::vector<std::string> value_names;
  bool skip_metadata = false;  // EXECUTE: the prepared result metadata is known already
  std::optional<int32_t> page_size;
  std::optional<std::string> paging_state;  // from the previous page's Rows result
  std::optional<Consistency> serial_consistency;
  std::optional<int64_t> default_timestamp_us;  // microseconds since the epoch
  std::optional<std::string> keyspace;          // v5
  std::optional<int32_t> now_in_seconds;        // v5, for tests of TTLs

  // The flags these fields ask for.
  uint32_t flags() const;
};

void write_query_parameters(WireWriter& w, const QueryParameters& p, int version);

}  // namespace sluice::cql
