#include "cql/client_error.h"

#include <fmt/format.h>

namespace sluice::cql {

const char* client_errc_name(ClientErrc c) {
  switch (c) {
    case ClientErrc::connect: return "connect";
    case ClientErrc::authentication: return "authentication";
    case ClientErrc::timeout: return "timeout";
    case ClientErrc::closed: return "closed";
    case ClientErrc::server: return "server";
    case ClientErrc::protocol: return "protocol";
    case ClientErrc::unexpected: return "unexpected";
  }
  return "unknown";
}

bool ClientError::retryable_write() const {
  switch (code) {
    case ClientErrc::connect:
    case ClientErrc::timeout:
    case ClientErrc::closed: return true;
    case ClientErrc::server: return server && retryable_for_idempotent_write(*server);
    default: return false;
  }
}

namespace {

// What the user should understand from a code, when the server's own text is terse.
const char* hint(ErrorCode c) {
  switch (c) {
    case ErrorCode::unavailable: return "not enough replicas alive for the consistency level";
    case ErrorCode::overloaded: return "the coordinator is overloaded";
    case ErrorCode::is_bootstrapping: return "the node is still bootstrapping";
    case ErrorCode::write_timeout: return "replicas did not acknowledge the write in time";
    case ErrorCode::read_timeout: return "replicas did not answer the read in time";
    case ErrorCode::unauthorized: return "the user lacks a permission";
    case ErrorCode::authentication_error: return "authentication failed";
    case ErrorCode::config_error: return "the server's configuration refuses this";
    default: return nullptr;
  }
}

}  // namespace

ClientError server_error(const ErrorResponse& e, std::string_view host) {
  ClientError out;
  out.code = e.code == ErrorCode::authentication_error ? ClientErrc::authentication : ClientErrc::server;
  const char* h = hint(e.code);
  out.message = fmt::format("{} rejected the request{}{}: {}", host, h ? " (" : "", h ? h : "", h ? ")" : "");
  out.message += describe(e);
  out.server = e;
  return out;
}

Response& Result::value() {
  if (error) throw CqlError(*error);
  return response;
}

}  // namespace sluice::cql
