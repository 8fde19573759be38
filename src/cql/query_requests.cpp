#include "cql/query_requests.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_writer.h"

namespace sluice::cql {

void write_body(WireWriter& w, const QueryRequest& q, int version) {
  w.put_long_string(q.query);                     // <query>
  write_query_parameters(w, q.params, version);  // <query_parameters>
}

void write_body(WireWriter& w, const PrepareRequest& p, int version) {
  w.put_long_string(p.query);  // <query>
  if (version >= 5) {
    w.put_int(p.keyspace ? static_cast<int32_t>(kPrepareFlagKeyspace) : 0);  // <flags>
    if (p.keyspace) w.put_string(*p.keyspace);                                // <keyspace>
  } else if (p.keyspace) {
    throw ProtocolError(Errc::unsupported,
                        fmt::format("PREPARE with a keyspace needs protocol v5, this connection speaks v{}", version));
  }
}

void write_body(WireWriter& w, const ExecuteRequest& e, int version) {
  w.put_short_bytes(e.id);                                      // <id>
  if (version >= 5) w.put_short_bytes(e.result_metadata_id);  // <result_metadata_id>
  write_query_parameters(w, e.params, version);                // <query_parameters>
}

}  // namespace sluice::cql
