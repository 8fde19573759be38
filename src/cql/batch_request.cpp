#include "cql/batch_request.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/query_parameters.h"
#include "cql/wire_writer.h"

namespace sluice::cql {

void write_body(WireWriter& w, const BatchRequest& b, int version) {
  uint32_t flags = 0;
  if (b.serial_consistency) flags |= kQueryFlagSerialConsistency;
  if (b.default_timestamp_us) flags |= kQueryFlagDefaultTimestamp;
  if (b.keyspace) flags |= kQueryFlagKeyspace;
  if (b.now_in_seconds) flags |= kQueryFlagNowInSeconds;
  if (version < 5 && (flags & (kQueryFlagKeyspace | kQueryFlagNowInSeconds)))
    throw ProtocolError(Errc::unsupported, fmt::format("a BATCH keyspace or now_in_seconds needs protocol v5, this "
                                                       "connection speaks v{}",
                                                       version));
  if (b.statements.size() > 0xffff)
    throw ProtocolError(Errc::oversize, fmt::format("BATCH of {} statements, the protocol allows 65535",
                                                    b.statements.size()));

  w.put_byte(static_cast<uint8_t>(b.type));                  // <type>
  w.put_short(static_cast<uint16_t>(b.statements.size()));  // <n>
  for (const auto& s : b.statements) {
    w.put_byte(s.prepared ? 1 : 0);  // <kind>
    if (s.prepared)
      w.put_short_bytes(s.query_or_id);  // <id>
    else
      w.put_long_string(s.query_or_id);  // <query>
    if (s.values.size() > 0xffff)
      throw ProtocolError(Errc::oversize, fmt::format("BATCH statement with {} values, the protocol allows 65535",
                                                      s.values.size()));
    w.put_short(static_cast<uint16_t>(s.values.size()));  // <n>
    for (const auto& v : s.values) w.put_value(v);        // <value_i>
  }
  w.put_consistency(b.consistency);  // <consistency>
  if (version >= 5)
    w.put_int(static_cast<int32_t>(flags));  // <flags> [int]
  else
    w.put_byte(static_cast<uint8_t>(flags));                            // <flags> [byte]
  if (b.serial_consistency) w.put_consistency(*b.serial_consistency);  // <serial_consistency>
  if (b.default_timestamp_us) w.put_long(*b.default_timestamp_us);    // <timestamp>
  if (b.keyspace) w.put_string(*b.keyspace);                          // <keyspace>
  if (b.now_in_seconds) w.put_int(*b.now_in_seconds);                 // <now_in_seconds>
}

}  // namespace sluice::cql
