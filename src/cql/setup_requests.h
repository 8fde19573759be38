#pragma once
// The requests of a connection's setup (spec v4/v5 4.1.1 to 4.1.3, 4.1.8):
//
//   STARTUP        [string map] of options: CQL_VERSION "3.0.0" (mandatory),
//                  COMPRESSION "lz4" (optional), DRIVER_NAME / DRIVER_VERSION (v5, optional)
//   AUTH_RESPONSE  [bytes] SASL token
//   OPTIONS        empty body
//   REGISTER       [string list] of event types
//
// STARTUP is never compressed and, in v5, never inside segments: encode_request() and
// the caller's framing take care of that.
#include <optional>
#include <string>
#include <vector>

#include "cql/compression.h"

namespace sluice::cql {

class WireWriter;

struct StartupRequest {
  Compression compression = Compression::none;
  std::string driver_name;     // shown by nodetool clientstats; empty: not sent
  std::string driver_version;  // idem
};

struct AuthResponseRequest {
  std::optional<std::string> token;

  // The SASL PLAIN token PasswordAuthenticator expects: "\0user\0password" (an empty
  // authorization id, then the user and the password, NUL-separated).
  static AuthResponseRequest plain(std::string_view user, std::string_view password);
};

struct OptionsRequest {};

// Event types of spec 4.2.6.
inline constexpr const char* kEventTopologyChange = "TOPOLOGY_CHANGE";
inline constexpr const char* kEventStatusChange = "STATUS_CHANGE";
inline constexpr const char* kEventSchemaChange = "SCHEMA_CHANGE";

struct RegisterRequest {
  std::vector<std::string> events;
};

void write_body(WireWriter& w, const StartupRequest& s, int version);
void write_body(WireWriter& w, const AuthResponseRequest& a, int version);
void write_body(WireWriter& w, const OptionsRequest& o, int version);
void write_body(WireWriter& w, const RegisterRequest& r, int version);

}  // namespace sluice::cql
