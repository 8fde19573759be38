#include "cql/response.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"

namespace sluice::cql {
namespace {

Response read_result(WireReader& r, int version) {
  int32_t kind = r.read_int();
  switch (static_cast<ResultKind>(kind)) {
    case ResultKind::void_: return VoidResult{};
    case ResultKind::rows: return read_rows(r, version);
    case ResultKind::set_keyspace: return SetKeyspaceResult{r.read_string()};
    case ResultKind::prepared: return read_prepared(r, version);
    case ResultKind::schema_change: return SchemaChangeResult{read_schema_change(r)};
  }
  r.fail(Errc::bad_value, fmt::format("unknown RESULT kind 0x{:04x}", kind));
}

Response read_message(const Frame& f) {
  WireReader r(f.message());
  int version = f.header.version;
  switch (f.header.opcode) {
    case Opcode::error: return read_error(r, version);
    case Opcode::ready: return ReadyResponse{};
    case Opcode::authenticate: return AuthenticateResponse{r.read_string()};
    case Opcode::supported: return SupportedResponse{r.read_string_multimap()};
    case Opcode::result: return read_result(r, version);
    case Opcode::event: return read_event(r);
    case Opcode::auth_challenge: return AuthChallengeResponse{r.read_bytes()};
    case Opcode::auth_success: return AuthSuccessResponse{r.read_bytes()};
    default:
      throw ProtocolError(Errc::bad_frame, fmt::format("{} is a request opcode, not a response",
                                                       opcode_name(f.header.opcode)));
  }
}

}  // namespace

Response decode_response(const Frame& f) {
  try {
    return read_message(f);
  } catch (const ProtocolError& e) {
    throw ProtocolError(e.code(), fmt::format("{} on stream {}: {}", opcode_name(f.header.opcode), f.header.stream,
                                              e.what()));
  }
}

}  // namespace sluice::cql
