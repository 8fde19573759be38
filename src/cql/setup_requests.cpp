#include "cql/setup_requests.h"

#include "cql/wire_writer.h"

namespace sluice::cql {

AuthResponseRequest AuthResponseRequest::plain(std::string_view user, std::string_view password) {
  std::string token;
  token.reserve(user.size() + password.size() + 2);
  token.push_back('\0');
  token.append(user);
  token.push_back('\0');
  token.append(password);
  return {std::move(token)};
}

void write_body(WireWriter& w, const StartupRequest& s, int /*version*/) {
  StringMap options{{"CQL_VERSION", "3.0.0"}};
  if (const char* c = compression_option(s.compression)) options["COMPRESSION"] = c;
  if (!s.driver_name.empty()) options["DRIVER_NAME"] = s.driver_name;
  if (!s.driver_version.empty()) options["DRIVER_VERSION"] = s.driver_version;
  w.put_string_map(options);
}

void write_body(WireWriter& w, const AuthResponseRequest& a, int /*version*/) { w.put_bytes(a.token); }

void write_body(WireWriter& /*w*/, const OptionsRequest& /*o*/, int /*version*/) {}

void write_body(WireWriter& w, const RegisterRequest& r, int /*version*/) { w.put_string_list(r.events); }

}  // namespace sluice::cql
