#include "cassandra/fake_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "cql/error_response.h"
#include "cql/frame.h"
#include "cql/result_metadata.h"
#include "cql/segment.h"
#include "cql/wire_reader.h"
#include "cql/wire_writer.h"

namespace sluice::testing {

using namespace sluice::cql;

namespace {

std::string frame_of(int version, int16_t stream, Opcode op, const std::string& body) {
  FrameHeader h;
  h.version = static_cast<uint8_t>(version);
  h.response = true;
  h.stream = stream;
  h.opcode = op;
  return encode_frame(h, body);
}

std::string error_body(ErrorCode code, const std::string& message, const std::string& unprepared_id = {}) {
  std::string b;
  WireWriter w(b);
  w.put_int(static_cast<int32_t>(code));
  w.put_string(message);
  if (code == ErrorCode::unprepared) w.put_short_bytes(unprepared_id);
  return b;
}

}  // namespace

FakeServer::FakeServer(Options o) : opts_(std::move(o)) {
  if (!opts_.tls_cert_file.empty()) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(tls_, opts_.tls_cert_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, opts_.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("fake server: cannot load the TLS certificate or key");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("fake server: cannot listen on 127.0.0.1");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("fake server: pipe");
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeServer::~FakeServer() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  [[maybe_unused]] auto n = ::write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lk(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  if (tls_) SSL_CTX_free(tls_);
}

void FakeServer::unprepare_all() {
  std::lock_guard lk(mu_);
  prepared_.clear();
}

void FakeServer::drop_connections() {
  std::lock_guard lk(mu_);
  for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
}

std::set<std::string> FakeServer::keys() const {
  std::lock_guard lk(mu_);
  return keys_;
}

std::vector<int> FakeServer::versions_seen() const {
  std::lock_guard lk(mu_);
  return versions_;
}

void FakeServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    ::poll(fds, 2, -1);
    if (fds[1].revents) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lk(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    ++connections_;
    client_fds_.insert(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

// One client connection: frames (then v5 segments after READY/AUTHENTICATE) in,
// answers out. Returns when the client or the test closes the socket.
void FakeServer::serve(int fd) {
  std::string in;
  bool segments = false;
  bool open = true;
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) open = false;  // e.g. the client refused our certificate
  }
  auto send_bytes = [&](const std::string& bytes) {
    size_t step = opts_.write_chunk ? opts_.write_chunk : bytes.size();
    for (size_t off = 0; off < bytes.size(); off += step) {
      size_t len = std::min(step, bytes.size() - off);
      if (ssl ? SSL_write(ssl, bytes.data() + off, static_cast<int>(len)) <= 0
              : ::send(fd, bytes.data() + off, len, MSG_NOSIGNAL) < 0)
        return;
      if (opts_.write_chunk) ::usleep(50);
    }
  };
  auto reply = [&](const std::string& frame) {
    if (!segments) return send_bytes(frame);
    SegmentEncoder enc;
    enc.add(frame);
    send_bytes(enc.flush());
  };
  // Answers one request frame; false closes the connection.
  auto handle = [&](const FrameHeader& h, std::string_view body) -> bool {
    const int v = h.version;
    {
      std::lock_guard lk(mu_);
      versions_.push_back(v);
    }
    if (v > opts_.max_version) {
      reply(frame_of(opts_.max_version, h.stream, Opcode::error,
                     error_body(ErrorCode::protocol_error, "Invalid or unsupported protocol version (" +
                                                               std::to_string(v) + "); supported versions are (4/v4)")));
      return false;
    }
    WireReader r(body);
    std::string out;
    WireWriter w(out);
    switch (h.opcode) {
      case Opcode::options:
        w.put_string_multimap({{"CQL_VERSION", {"3.4.7"}}, {"PROTOCOL_VERSIONS", {"4/v4", "5/v5"}}});
        reply(frame_of(v, h.stream, Opcode::supported, out));
        return true;
      case Opcode::startup:
        if (opts_.require_auth) {
          w.put_string("org.apache.cassandra.auth.PasswordAuthenticator");
          reply(frame_of(v, h.stream, Opcode::authenticate, out));
        } else {
          reply(frame_of(v, h.stream, Opcode::ready, ""));
        }
        segments = v >= 5;
        return true;
      case Opcode::auth_response: {
        auto token = r.read_bytes().value_or("");
        if (token == std::string("\0", 1) + opts_.user + std::string("\0", 1) + opts_.password) {
          w.put_bytes(Bytes{});
          reply(frame_of(v, h.stream, Opcode::auth_success, out));
        } else {
          reply(frame_of(v, h.stream, Opcode::error,
                         error_body(ErrorCode::authentication_error, "Provided username and/or password are incorrect")));
        }
        return true;
      }
      case Opcode::query: {
        std::string q = r.read_long_string();
        if (close_on_query.load() > 0 && close_on_query.fetch_sub(1) > 0) return false;
        if (q.starts_with("USE ")) {
          w.put_int(3);
          w.put_string(q.substr(4));
        } else {
          w.put_int(1);
        }
        reply(frame_of(v, h.stream, Opcode::result, out));
        return true;
      }
      case Opcode::prepare: {
        std::string q = r.read_long_string();
        std::string id = "id:" + std::to_string(std::hash<std::string>{}(q));
        {
          std::lock_guard lk(mu_);
          prepared_[id] = q;
        }
        ++prepares_;
        w.put_int(4);                  // Prepared
        w.put_short_bytes(id);         // id
        if (v >= 5) w.put_short_bytes("meta");
        w.put_int(0);                  // variables: flags, count, pk count
        w.put_int(0);
        w.put_int(0);
        w.put_int(kMetaNoMetadata);    // result metadata: none
        w.put_int(0);
        reply(frame_of(v, h.stream, Opcode::result, out));
        return true;
      }
      case Opcode::execute: {
        ++executes_;
        std::string id = r.read_short_bytes();
        if (v >= 5) r.read_short_bytes();
        r.read_short();  // consistency
        uint32_t flags = v >= 5 ? static_cast<uint32_t>(r.read_int()) : r.read_byte();
        std::string key;
        if ((flags & 1) && r.read_short() > 0) key = r.read_value().bytes;
        if (ignore_next.load() > 0 && ignore_next.fetch_sub(1) > 0) return true;
        if (close_on_execute.load() > 0 && close_on_execute.fetch_sub(1) > 0) return false;
        bool known;
        {
          std::lock_guard lk(mu_);
          known = prepared_.count(id) > 0;
        }
        if (!known) {
          ++unprepared_sent_;
          reply(frame_of(v, h.stream, Opcode::error, error_body(ErrorCode::unprepared, "Prepared query not found", id)));
        } else if (overload_next.load() > 0 && overload_next.fetch_sub(1) > 0) {
          reply(frame_of(v, h.stream, Opcode::error, error_body(ErrorCode::overloaded, "Too many requests in flight")));
        } else if (invalid_next.load() > 0 && invalid_next.fetch_sub(1) > 0) {
          reply(frame_of(v, h.stream, Opcode::error, error_body(ErrorCode::invalid, "Invalid value for this row")));
        } else {
          {
            std::lock_guard lk(mu_);
            keys_.insert(key);
          }
          w.put_int(1);
          reply(frame_of(v, h.stream, Opcode::result, out));
        }
        return true;
      }
      default:
        reply(frame_of(v, h.stream, Opcode::error, error_body(ErrorCode::protocol_error, "unsupported by the fake")));
        return true;
    }
  };
  char buf[65536];
  while (open) {
    ssize_t n = ssl ? SSL_read(ssl, buf, sizeof buf) : ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    try {
      while (open) {
        if (!segments) {
          if (in.size() < kFrameHeaderSize) break;
          FrameHeader h = decode_header(in);
          if (in.size() < kFrameHeaderSize + h.length) break;
          std::string body = in.substr(kFrameHeaderSize, h.length);
          in.erase(0, kFrameHeaderSize + h.length);
          open = handle(h, body);
        } else {
          Segment seg;
          size_t used = decode_segment(in, Compression::none, seg);
          if (used == 0) break;
          in.erase(0, used);
          std::string_view p = seg.payload;
          while (open && p.size() >= kFrameHeaderSize) {
            FrameHeader h = decode_header(p);
            open = handle(h, p.substr(kFrameHeaderSize, h.length));
            p.remove_prefix(kFrameHeaderSize + h.length);
          }
        }
      }
    } catch (const std::exception&) {
      break;
    }
  }
  if (ssl) SSL_free(ssl);
  std::lock_guard lk(mu_);
  client_fds_.erase(fd);
  ::close(fd);
}

}  // namespace sluice::testing
