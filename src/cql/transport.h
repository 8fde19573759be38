#pragma once
// The byte pipe under a Connection: a non-blocking TCP socket, optionally wrapped in
// TLS (OpenSSL). No protocol knowledge here.
//
// connect() resolves the host, connects and, with a TlsContext, completes the TLS
// handshake (certificate chain and host name or IP checked unless verify is off), all
// within the deadline. After that the socket is non-blocking: read() and write() move
// what they can and return 0 when they would block; the owner polls fd() for POLLIN,
// and for POLLOUT when it has bytes to write or when wants_write() says TLS needs it.
//
// Threading: a Transport belongs to one thread at a time (the connection's setup, then
// its I/O thread). A TlsContext is shared by every connection of a session.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace sluice::cql {

struct Endpoint {
  std::string host;  // a name or an address ("127.0.0.1", "::1", "cass1.example")
  uint16_t port = 9042;

  // "127.0.0.1:9042", "[::1]:9042".
  std::string str() const;
  bool operator==(const Endpoint&) const = default;
};

struct TlsOptions {
  std::string ca_file;  // PEM bundle of trusted CAs; empty: the system's default store
  bool verify = true;   // check the chain and that the certificate names the host
};

class TlsContext {
 public:
  // Throws CqlError(connect) if OpenSSL cannot load the CA file.
  static std::shared_ptr<TlsContext> create(const TlsOptions& o);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
};

class Transport {
 public:
  using Clock = std::chrono::steady_clock;

  // Throws CqlError(connect) naming the endpoint and the cause ("connection refused",
  // "timed out after 5000 ms", "TLS: certificate verify failed").
  static std::unique_ptr<Transport> connect(const Endpoint& ep, const std::shared_ptr<TlsContext>& tls,
                                            Clock::time_point deadline);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  int fd() const { return fd_; }
  // Bytes read (> 0), or 0 if nothing is available now. Throws CqlError(closed) on
  // end of stream ("closed by the server") or a socket/TLS error.
  size_t read(char* buf, size_t n);
  // Bytes written (may be fewer than n), or 0 if the socket is full. Throws like read().
  size_t write(const char* p, size_t n);
  // TLS only: the last read or write needs the socket to become writable first.
  bool wants_write() const { return want_write_; }

  // Blocking helpers for the handshake: all of `data`, or throw CqlError(timeout/closed).
  void write_all(const char* p, size_t n, Clock::time_point deadline);
  // Waits until the socket is readable (or the deadline passes: false).
  bool wait_readable(Clock::time_point deadline);

 private:
  Transport() = default;
  size_t tls_io(int rc, const char* what);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::shared_ptr<TlsContext> tls_;
  std::string peer_;
  bool want_write_ = false;
};

}  // namespace sluice::cql
