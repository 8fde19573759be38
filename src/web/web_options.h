#pragma once
// The web server's settings from the config (`web.*`), checked at start: the address,
// the login and the scraper's token. A password is read from web.password (best set
// through SLUICE_WEB__PASSWORD) or the first line of web.password_file, and never
// appears in a message.
#include <chrono>
#include <string>

#include "config/config.h"

namespace sluice::web {

struct WebOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string user;      // empty: no login
  std::string password;  // secret
  std::string metrics_token;  // secret; lets a scraper read /metrics without the login
  std::string history;   // web.history (empty: none)
  std::chrono::milliseconds sample_interval{1000};

  bool login() const { return !user.empty(); }
  std::string url() const;  // http://host:port/

  // Throws UsageError: a malformed address, a user without a password (or the reverse),
  // an unreadable password file, or an address other than loopback without a login.
  static WebOptions from_config(const config::Config& cfg);
};

// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

}  // namespace sluice::web
