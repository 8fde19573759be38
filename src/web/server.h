#pragma once
// The dashboard's HTTP server (cpp-httplib): the pages and their assets (built into the
// binary, assets.h), the JSON API of dashboard.h under /api/, server-sent events on
// /api/events, /metrics, /healthz and /readyz. The API's paths and answers are listed
// in the README.
//
// Access: with a login configured every path but /login, /healthz and /assets/ needs a
// session cookie (API: 401; pages: a redirect to /login), and /metrics takes either the
// session or web.metrics_token as a bearer token. Every POST needs the session's CSRF
// token in X-Sluice-Csrf, and an Origin header, if sent, must be this server's.
//
// Threading: start() and stop() from one thread; requests run on the server's pool.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "web/auth.h"
#include "web/dashboard.h"
#include "web/web_options.h"

namespace httplib {
class Server;
}

namespace sluice::web {

class Server {
 public:
  Server(Dashboard& dashboard, WebOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds web.listen (port 0: any free port) and serves on a thread of its own. Throws
  // FatalError naming the address when it cannot bind (in use, not an address here).
  void start();
  void stop();
  int port() const { return port_; }
  std::string url() const;

 private:
  void routes();
  Dashboard& dash_;
  WebOptions opt_;
  Auth auth_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex counter_mu_;  // sluice_web_requests_total's one writer at a time
  int port_ = 0;
};

}  // namespace sluice::web
