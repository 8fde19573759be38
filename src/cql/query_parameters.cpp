#include "cql/query_parameters.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_writer.h"

namespace sluice::cql {

uint32_t QueryParameters::flags() const {
  uint32_t f = 0;
  if (!values.empty()) f |= kQueryFlagValues;
  if (skip_metadata) f |= kQueryFlagSkipMetadata;
  if (page_size) f |= kQueryFlagPageSize;
  if (paging_state) f |= kQueryFlagPagingState;
  if (serial_consistency) f |= kQueryFlagSerialConsistency;
  if (default_timestamp_us) f |= kQueryFlagDefaultTimestamp;
  if (!values.empty() && !value_names.empty()) f |= kQueryFlagValueNames;
  if (keyspace) f |= kQueryFlagKeyspace;
  if (now_in_seconds) f |= kQueryFlagNowInSeconds;
  return f;
}

void write_query_parameters(WireWriter& w, const QueryParameters& p, int version) {
  uint32_t f = p.flags();
  if (version < 5 && (f & (kQueryFlagKeyspace | kQueryFlagNowInSeconds)))
    throw ProtocolError(Errc::unsupported, fmt::format("a per-query keyspace or now_in_seconds needs protocol v5, "
                                                       "this connection speaks v{}",
                                                       version));
  if (!p.value_names.empty() && p.value_names.size() != p.values.size())
    throw ProtocolError(Errc::bad_value, fmt::format("{} value names for {} values", p.value_names.size(),
                                                     p.values.size()));
  if (p.values.size() > 0xffff)
    throw ProtocolError(Errc::oversize, fmt::format("{} bound values, the protocol allows 65535", p.values.size()));

  w.put_consistency(p.consistency);  // <consistency>
  if (version >= 5)
    w.put_int(static_cast<int32_t>(f));  // <flags> [int]
  else
    w.put_byte(static_cast<uint8_t>(f));  // <flags> [byte]
  if (f & kQueryFlagValues) {
    w.put_short(static_cast<uint16_t>(p.values.size()));  // <n>
    for (size_t i = 0; i < p.values.size(); ++i) {
      if (f & kQueryFlagValueNames) w.put_string(p.value_names[i]);  // [name_i]
      w.put_value(p.values[i]);                                       // <value_i>
    }
  }
  if (p.page_size) w.put_int(*p.page_size);                           // <result_page_size>
  if (p.paging_state) w.put_bytes(std::string_view(*p.paging_state));  // <paging_state>
  if (p.serial_consistency) w.put_consistency(*p.serial_consistency);  // <serial_consistency>
  if (p.default_timestamp_us) w.put_long(*p.default_timestamp_us);    // <timestamp>
  if (p.keyspace) w.put_string(*p.keyspace);                          // <keyspace>
  if (p.now_in_seconds) w.put_int(*p.now_in_seconds);                 // <now_in_seconds>
}

}  // namespace sluice::cql
