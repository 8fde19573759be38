#pragma once
// What can go wrong with a request, seen from the client (connection.h, session.h).
//
// A request ends in a Result: a response (RESULT, READY, SUPPORTED...) or a ClientError.
// The server's ERROR responses become ClientErrc::server with the decoded ErrorResponse
// kept, so callers can ask retryable_for_idempotent_write() or look for Unprepared.
// Messages are one line for users and name the host and the cause, e.g.
//   "127.0.0.1:9042: authentication failed for user cassandra: Provided username
//    cassandra and/or password are incorrect"
// and never contain a password.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cql/error_response.h"
#include "cql/response.h"

namespace sluice::cql {

enum class ClientErrc : uint8_t {
  connect,         // no connection: resolve, TCP, TLS or a handshake failure (not credentials)
  authentication,  // the server refused the credentials, or asks for some we do not have
  timeout,         // no response within the request timeout: the outcome is unknown
  closed,          // the connection closed with the request in flight: the outcome is unknown
  server,          // the server answered ERROR (see ClientError::server)
  protocol,        // the server's bytes broke the protocol, or a request could not be encoded
  unexpected,      // a well-formed response of the wrong kind (ROWS to a PREPARE...)
};

const char* client_errc_name(ClientErrc c);

struct ClientError {
  ClientErrc code = ClientErrc::connect;
  std::string message;
  std::optional<ErrorResponse> server;  // set iff code == server

  bool is(ErrorCode c) const { return server && server->code == c; }
  // True when sending the same idempotent write again may succeed: connection trouble
  // (connect, timeout, closed) and the server errors of retryable_for_idempotent_write().
  bool retryable_write() const;
};

// A server ERROR as a ClientError whose message names the host and says what it means,
//   "127.0.0.1:9042 rejected the request: Invalid (0x2200): unconfigured table users".
ClientError server_error(const ErrorResponse& e, std::string_view host);

// The exception of the synchronous calls (Connection::open, Session::query...).
class CqlError : public std::runtime_error {
 public:
  explicit CqlError(ClientError e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const ClientError& error() const { return error_; }
  ClientErrc code() const { return error_.code; }

 private:
  ClientError error_;
};

// The outcome of one request: exactly one of `error` and a useful `response`.
struct Result {
  std::optional<ClientError> error;
  Response response = VoidResult{};

  bool ok() const { return !error; }
  static Result fail(ClientErrc c, std::string message) { return {ClientError{c, std::move(message), {}}, {}}; }
  // Throws CqlError if the request failed; returns the response otherwise.
  Response& value();
};

}  // namespace sluice::cql
