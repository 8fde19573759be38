#pragma once
// An in-process fake CQL server for unit tests that inject protocol-level trouble a
// real node cannot be asked for on demand: Unprepared, Overloaded, responses split into
// one-byte TCP writes, a socket closed in the middle of a request, no answer at all,
// a server that refuses protocol v5. Never a stand-in for the real node in the
// integration tests (node_test.cpp and after).
//
// It speaks v4 and v5 (segments, uncompressed; SUPPORTED offers no compression),
// answers OPTIONS, STARTUP, AUTH_RESPONSE (SASL PLAIN), QUERY (USE -> Set_keyspace,
// anything else -> Void), PREPARE and EXECUTE (stores the first bound value of each
// EXECUTE as a row key), over TLS if given a certificate. One thread accepts, one
// thread per connection.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace sluice::testing {

struct FakeServerOptions {
  int max_version = 5;          // a higher version gets a protocol error, then the socket closes
  bool require_auth = false;    // PasswordAuthenticator with user/password below
  std::string user = "cassandra";
  std::string password = "cassandra";
  size_t write_chunk = 0;       // > 0: every response goes out in pieces of this many bytes
  std::string tls_cert_file;    // PEM: serve TLS with this certificate and key
  std::string tls_key_file;
};

class FakeServer {
 public:
  using Options = FakeServerOptions;

  // What to do with the next EXECUTEs (each counter is consumed one per EXECUTE).
  std::atomic<int> overload_next{0};      // answer Overloaded
  std::atomic<int> invalid_next{0};       // answer Invalid (a row the server rejects)
  std::atomic<int> close_on_execute{0};   // close the socket instead of answering
  std::atomic<int> ignore_next{0};        // never answer (request timeouts)
  std::atomic<int> close_on_query{0};     // the same for QUERY

  explicit FakeServer(Options o = {});
  ~FakeServer();
  uint16_t port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }

  // Forgets every prepared id: the next EXECUTE of each gets Unprepared.
  void unprepare_all();
  // Closes every open client socket (the node "restarts"); new connections are accepted.
  void drop_connections();

  int connections() const { return connections_.load(); }
  int prepares() const { return prepares_.load(); }
  int executes() const { return executes_.load(); }
  int unprepared_sent() const { return unprepared_sent_.load(); }
  std::set<std::string> keys() const;
  std::vector<int> versions_seen() const;

 private:
  void accept_loop();
  void serve(int fd);

  Options opts_;
  SSL_CTX* tls_ = nullptr;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<int> connections_{0}, prepares_{0}, executes_{0}, unprepared_sent_{0};

  mutable std::mutex mu_;  // guards everything below
  std::vector<std::thread> workers_;
  std::set<int> client_fds_;
  std::map<std::string, std::string> prepared_;  // id -> query
  std::set<std::string> keys_;
  std::vector<int> versions_;
  bool stopping_ = false;
};

}  // namespace sluice::testing
