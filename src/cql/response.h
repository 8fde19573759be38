#pragma once
// Decoding the message of a response frame into a typed Response.
//
//   for (Frame& f : decoder.feed(bytes)) {
//     Response r = decode_response(f);
//     if (auto* e = std::get_if<ErrorResponse>(&r)) ...
//   }
//
// The simple responses (spec v4/v5 4.2.2 to 4.2.4, 4.2.7, 4.2.8) are here; ERROR,
// RESULT and EVENT have their own files. Bytes after the message are ignored, as the
// spec asks ("clients should support extra informations at the end of the body").
#include <optional>
#include <string>
#include <variant>

#include "cql/error_response.h"
#include "cql/event_response.h"
#include "cql/frame.h"
#include "cql/result_response.h"
#include "cql/wire_types.h"

namespace sluice::cql {

struct ReadyResponse {};  // empty body

struct AuthenticateResponse {  // [string] the IAuthenticator class
  std::string authenticator;
};

struct SupportedResponse {  // [string multimap]: option -> supported values
  StringMultimap options;
};

struct AuthChallengeResponse {  // [bytes] SASL token
  Bytes token;
};

struct AuthSuccessResponse {  // [bytes] final SASL token
  Bytes token;
};

using Response = std::variant<ErrorResponse, ReadyResponse, AuthenticateResponse, SupportedResponse,
                              AuthChallengeResponse, AuthSuccessResponse, VoidResult, RowsResult, SetKeyspaceResult,
                              PreparedResult, SchemaChangeResult, EventResponse>;

// Decodes f.message() by f.header.opcode and f.header.version. Throws ProtocolError
// for a request opcode, an unknown RESULT kind or a truncated body; the message then
// starts with the opcode and stream ("RESULT on stream 3: truncated frame: ...").
// Thread-safe: no state.
Response decode_response(const Frame& f);

}  // namespace sluice::cql
