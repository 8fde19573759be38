#include "cql/transport.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "cql/client_error.h"

namespace sluice::cql {
namespace {

[[noreturn]] void fail(ClientErrc c, std::string message) { throw CqlError(ClientError{c, std::move(message), {}}); }

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

int ms_left(Transport::Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Transport::Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1'000'000));
}

bool wait_fd(int fd, short events, Transport::Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, ms_left(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool is_ip_literal(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, host.c_str(), &a4) == 1 || inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// One non-blocking connect to one address, within the deadline. Returns the fd or -1
// with `why` set.
int connect_one(const addrinfo* ai, Transport::Clock::time_point deadline, std::string& why) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!wait_fd(fd, POLLOUT, deadline)) {
    why = "connect timed out";
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    why = std::strerror(err);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string Endpoint::str() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::shared_ptr<TlsContext> TlsContext::create(const TlsOptions& o) {
  // OpenSSL writes to the socket with write(): a peer that went away must not kill the
  // process with SIGPIPE (plain sockets use MSG_NOSIGNAL instead).
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!t->ctx_) fail(ClientErrc::connect, "TLS: " + openssl_error());
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  t->verify_ = o.verify;
  if (o.verify) {
    int ok = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(t->ctx_)
                               : SSL_CTX_load_verify_locations(t->ctx_, o.ca_file.c_str(), nullptr);
    if (ok != 1) fail(ClientErrc::connect, fmt::format("TLS: cannot load the CA certificates {}: {}", o.ca_file, openssl_error()));
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_NONE, nullptr);
  }
  return t;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Transport> Transport::connect(const Endpoint& ep, const std::shared_ptr<TlsContext>& tls,
                                              Clock::time_point deadline) {
  std::unique_ptr<Transport> t(new Transport());
  t->peer_ = ep.str();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  if (int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    fail(ClientErrc::connect, fmt::format("{}: cannot resolve {}: {}", t->peer_, ep.host, gai_strerror(rc)));
  std::string why = "no address";
  for (addrinfo* ai = res; ai && t->fd_ < 0; ai = ai->ai_next) t->fd_ = connect_one(ai, deadline, why);
  ::freeaddrinfo(res);
  if (t->fd_ < 0) fail(ClientErrc::connect, fmt::format("{}: {}", t->peer_, why));
  if (!tls) return t;

  t->tls_ = tls;
  t->ssl_ = SSL_new(tls->get());
  if (!t->ssl_ || SSL_set_fd(t->ssl_, t->fd_) != 1) fail(ClientErrc::connect, t->peer_ + ": TLS: " + openssl_error());
  if (is_ip_literal(ep.host)) {
    if (tls->verify()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl_), ep.host.c_str());
  } else {
    SSL_set_tlsext_host_name(t->ssl_, ep.host.c_str());
    if (tls->verify()) SSL_set1_host(t->ssl_, ep.host.c_str());
  }
  for (;;) {
    int rc = SSL_connect(t->ssl_);
    if (rc == 1) break;
    int e = SSL_get_error(t->ssl_, rc);
    short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) {
      long v = SSL_get_verify_result(t->ssl_);
      std::string reason = v != X509_V_OK ? std::string("certificate verify failed: ") + X509_verify_cert_error_string(v)
                                          : openssl_error();
      fail(ClientErrc::connect, fmt::format("{}: TLS handshake failed: {}", t->peer_, reason));
    }
    if (!wait_fd(t->fd_, events, deadline)) fail(ClientErrc::connect, t->peer_ + ": TLS handshake timed out");
  }
  return t;
}

Transport::~Transport() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

size_t Transport::tls_io(int rc, const char* what) {
  want_write_ = false;
  if (rc > 0) return static_cast<size_t>(rc);
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ: return 0;
    case SSL_ERROR_WANT_WRITE: want_write_ = true; return 0;
    case SSL_ERROR_ZERO_RETURN: fail(ClientErrc::closed, peer_ + ": connection closed by the server (TLS close)");
    case SSL_ERROR_SYSCALL:
      fail(ClientErrc::closed, fmt::format("{}: TLS {} failed: {}", peer_, what,
                                           errno ? std::strerror(errno) : "connection closed by the server"));
    default: fail(ClientErrc::closed, fmt::format("{}: TLS {} failed: {}", peer_, what, openssl_error()));
  }
}

size_t Transport::read(char* buf, size_t n) {
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    return tls_io(SSL_read(ssl_, buf, static_cast<int>(n)), "read");
  }
  for (;;) {
    ssize_t rc = ::recv(fd_, buf, n, 0);
    if (rc > 0) return static_cast<size_t>(rc);
    if (rc == 0) fail(ClientErrc::closed, peer_ + ": connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    fail(ClientErrc::closed, fmt::format("{}: read failed: {}", peer_, std::strerror(errno)));
  }
}

size_t Transport::write(const char* p, size_t n) {
  if (n == 0) return 0;
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    return tls_io(SSL_write(ssl_, p, static_cast<int>(std::min<size_t>(n, 1 << 30))), "write");
  }
  for (;;) {
    ssize_t rc = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (rc >= 0) return static_cast<size_t>(rc);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    fail(ClientErrc::closed, fmt::format("{}: write failed: {}", peer_, std::strerror(errno)));
  }
}

void Transport::write_all(const char* p, size_t n, Clock::time_point deadline) {
  while (n > 0) {
    size_t w = write(p, n);
    p += w;
    n -= w;
    if (n > 0 && w == 0 && !wait_fd(fd_, POLLOUT, deadline))
      fail(ClientErrc::timeout, peer_ + ": timed out writing to the server");
  }
}

bool Transport::wait_readable(Clock::time_point deadline) {
  if (ssl_ && SSL_pending(ssl_) > 0) return true;
  return wait_fd(fd_, want_write_ ? POLLOUT : POLLIN, deadline);
}

}  // namespace sluice::cql
