#pragma once
// Encoding a request into the frame that goes on the wire.
//
//   std::string frame = encode_request(QueryRequest{...}, 4, stream);
//
// The frame is complete (header and body). A v5 connection past its handshake wraps it
// in segments (SegmentEncoder, segment.h); before that, and on v3/v4, it is written as
// is. Thread-safe: no state.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "cql/batch_request.h"
#include "cql/compression.h"
#include "cql/opcode.h"
#include "cql/query_requests.h"
#include "cql/setup_requests.h"
#include "cql/wire_types.h"

namespace sluice::cql {

using Request = std::variant<StartupRequest, AuthResponseRequest, OptionsRequest, QueryRequest, PrepareRequest,
                             ExecuteRequest, BatchRequest, RegisterRequest>;

Opcode opcode_of(const Request& r);

struct EncodeOptions {
  // v3/v4: compress the body with what STARTUP negotiated. Never applied to STARTUP
  // (the server does not know the algorithm yet) nor to an empty body, nor in v5, where
  // segments compress.
  Compression compression = Compression::none;
  bool tracing = false;  // ask the server to trace this request (QUERY, PREPARE, EXECUTE)
  bool beta = false;     // opt in to a protocol version the server has in beta (v5 on Cassandra 3.x)
  // Sent before the message (v4+). The spec allows it on QUERY, PREPARE, EXECUTE, BATCH only.
  std::optional<BytesMap> custom_payload;
};

// The frame for `r` as protocol `version` (3, 4 or 5) on `stream` (>= 0). Throws
// ProtocolError: bad_value for a bad version or a negative stream, unsupported for a
// field the version does not have, oversize for a field too long for its length prefix.
std::string encode_request(const Request& r, int version, int16_t stream, const EncodeOptions& opts = {});

}  // namespace sluice::cql
