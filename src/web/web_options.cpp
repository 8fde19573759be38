#include "web/web_options.h"

#include <fstream>

#include "common/error.h"

namespace sluice::web {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::string WebOptions::url() const {
  bool v6 = host.find(':') != std::string::npos && !host.starts_with("[");
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/";
}

WebOptions WebOptions::from_config(const config::Config& cfg) {
  WebOptions o;
  const auto& listen = cfg.str("web.listen");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
    throw UsageError(cfg.origin("web.listen") + ": web.listen \"" + listen + "\": expected HOST:PORT, e.g. 127.0.0.1:8080");
  o.host = listen.substr(0, colon);
  if (o.host.starts_with("[") && o.host.ends_with("]")) o.host = o.host.substr(1, o.host.size() - 2);
  try {
    size_t used = 0;
    o.port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || o.port < 0 || o.port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    throw UsageError(cfg.origin("web.listen") + ": web.listen \"" + listen + "\": the port must be a number 0-65535");
  }
  o.user = cfg.str("web.user");
  o.password = cfg.str("web.password");
  if (const auto& file = cfg.str("web.password_file"); !file.empty()) {
    if (!o.password.empty())
      throw UsageError("web.password and web.password_file are both set; set one (" + cfg.origin("web.password_file") + ")");
    std::ifstream in(file);
    if (!in) throw UsageError(cfg.origin("web.password_file") + ": cannot read the password file " + file);
    std::getline(in, o.password);
    if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
    if (o.password.empty()) throw UsageError("the password file " + file + " is empty");
  }
  if (!o.user.empty() && o.password.empty())
    throw UsageError("web.user is set but no password: set web.password (SLUICE_WEB__PASSWORD) or web.password_file");
  if (o.user.empty() && !o.password.empty())
    throw UsageError("a web password is set but no web.user: set both for a login");
  o.metrics_token = cfg.str("web.metrics_token");
  if (!o.metrics_token.empty() && o.user.empty())
    throw UsageError("web.metrics_token is set but there is no login (web.user): /metrics is open without one");
  if (!is_loopback(o.host) && !o.login())
    throw UsageError("web.listen " + listen +
                     " is not a loopback address, and no login is configured: anyone who can reach it could "
                     "trigger runs and redrive records. Set web.user and web.password (or web.password_file), "
                     "or listen on 127.0.0.1");
  o.history = cfg.str("web.history");
  o.sample_interval = cfg.duration("web.sample_interval");
  if (o.sample_interval < std::chrono::milliseconds(100)) o.sample_interval = std::chrono::milliseconds(100);
  return o;
}

}  // namespace sluice::web
