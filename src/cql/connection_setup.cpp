// Connection::open: the handshake of connection.h, run on the caller's thread before
// the I/O thread exists. Requests go one at a time on stream 0; each waits for its
// answer within the connect deadline.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cql/connection.h"
#include "cql/protocol_error.h"

namespace sluice::cql {
namespace {

// The server answered our first v5 request with a protocol error: ask again with v4.
struct VersionRefused {
  std::string message;
};

[[noreturn]] void fail(ClientErrc c, std::string message) { throw CqlError(ClientError{c, std::move(message), {}}); }

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

class ConnectionSetup {
 public:
  ConnectionSetup(Connection& c, int version)
      : c_(c), version_(version), deadline_(Connection::Clock::now() + c.opts_.connect_timeout) {}

  void run() {
    const auto& o = c_.opts_;
    c_.version_ = version_;
    c_.transport_ = Transport::connect(c_.endpoint_, o.tls, deadline_);
    c_.decoder_ = FrameDecoder(DecoderOptions{o.max_body_bytes, Compression::none, version_ >= 5});

    Response r = roundtrip(OptionsRequest{}, "OPTIONS", true);
    if (auto* s = std::get_if<SupportedResponse>(&r)) c_.supported_ = s->options;
    else unexpected("OPTIONS", r);
    Compression comp = o.compression;
    if (comp == Compression::lz4) {
      auto it = c_.supported_.find("COMPRESSION");
      bool offered = it != c_.supported_.end() && std::ranges::find(it->second, "lz4") != it->second.end();
      if (!offered) {
        spdlog::warn("{}: the server does not offer lz4 compression; using none", c_.endpoint_.str());
        comp = Compression::none;
      }
    }
    c_.compression_ = comp;
    // Compressed frames (v4) or segments (v5) may come from the answer to STARTUP on.
    c_.decoder_ = FrameDecoder(DecoderOptions{o.max_body_bytes, comp, version_ >= 5});
    c_.segments_ = SegmentEncoder(comp);

    StartupRequest startup;
    startup.compression = comp;
    startup.driver_name = "sluice";
    startup.driver_version = "0.1";
    r = roundtrip(startup, "STARTUP", false);
    if (auto* a = std::get_if<AuthenticateResponse>(&r)) authenticate(a->authenticator);
    else if (!std::holds_alternative<ReadyResponse>(r)) unexpected("STARTUP", r);

    if (!o.keyspace.empty()) {
      QueryRequest use;
      use.query = "USE " + quote_identifier(o.keyspace);
      r = roundtrip(use, "USE", false);
      if (!std::holds_alternative<SetKeyspaceResult>(r)) unexpected("USE", r);
    }
  }

 private:
  void authenticate(const std::string& authenticator) {
    const auto& o = c_.opts_;
    const std::string host = c_.endpoint_.str();
    if (o.user.empty())
      fail(ClientErrc::authentication,
           fmt::format("{} requires authentication ({}); give a user in the URI (cassandra://USER@host/keyspace) and "
                       "a password (cassandra.password_env or cassandra.password_file)",
                       host, authenticator));
    // SASL PLAIN is what PasswordAuthenticator speaks; other authenticators that accept
    // it (DSE's, Scylla's) work too, the rest refuse with their own message.
    Response r;
    try {
      r = roundtrip(AuthResponseRequest::plain(o.user, o.password), "AUTH_RESPONSE", false);
    } catch (const CqlError& e) {
      if (e.error().code != ClientErrc::authentication) throw;
      const auto& srv = e.error().server;
      fail(ClientErrc::authentication, fmt::format("{}: authentication failed for user {}: {}", host, o.user,
                                                   srv ? srv->message : e.error().message));
    }
    if (std::holds_alternative<AuthSuccessResponse>(r)) return;
    if (std::holds_alternative<AuthChallengeResponse>(r))
      fail(ClientErrc::authentication, fmt::format("{}: the authenticator {} sent a SASL challenge; sluice speaks "
                                                   "only SASL PLAIN (PasswordAuthenticator)",
                                                   host, authenticator));
    unexpected("AUTH_RESPONSE", r);
  }

  [[noreturn]] void unexpected(const char* what, const Response& r) {
    static const char* names[] = {"ERROR",  "READY", "AUTHENTICATE", "SUPPORTED",     "AUTH_CHALLENGE", "AUTH_SUCCESS",
                                  "VOID",   "ROWS",  "SET_KEYSPACE", "PREPARED",      "SCHEMA_CHANGE",  "EVENT"};
    fail(ClientErrc::unexpected,
         fmt::format("{}: unexpected {} answer to {}", c_.endpoint_.str(), names[r.index()], what));
  }

  // Sends one request on stream 0 and waits for its answer. A server ERROR throws
  // CqlError (authentication errors as such), or VersionRefused for a protocol error to
  // the first request of a v5 attempt.
  Response roundtrip(const Request& req, const char* what, bool first) {
    const std::string host = c_.endpoint_.str();
    EncodeOptions eo;
    eo.compression = c_.compression_;
    std::string frame = encode_request(req, version_, 0, eo);
    if (c_.decoder_.in_segments()) {
      c_.segments_.add(frame);
      frame = c_.segments_.flush();
    }
    c_.transport_->write_all(frame.data(), frame.size(), deadline_);
    char buf[16384];
    std::vector<Frame> frames;
    while (frames.empty()) {
      if (!c_.transport_->wait_readable(deadline_))
        fail(ClientErrc::connect, fmt::format("{}: no answer to {} within {} ms", host, what,
                                              c_.opts_.connect_timeout.count()));
      size_t n = c_.transport_->read(buf, sizeof buf);
      try {
        frames = c_.decoder_.feed(std::string_view(buf, n));
      } catch (const ProtocolError& e) {
        if (first && version_ >= 5) throw VersionRefused{e.what()};
        fail(ClientErrc::connect, fmt::format("{}: protocol error in the answer to {}: {}", host, what, e.what()));
      }
    }
    Response r;
    try {
      r = decode_response(frames.front());
    } catch (const ProtocolError& e) {
      fail(ClientErrc::connect, fmt::format("{}: protocol error in the answer to {}: {}", host, what, e.what()));
    }
    if (auto* e = std::get_if<ErrorResponse>(&r)) {
      if (first && version_ >= 5 && e->code == ErrorCode::protocol_error) throw VersionRefused{e->message};
      ClientError err = server_error(*e, host);
      // USE keeps its server error (a missing keyspace is no connection trouble).
      if (err.code != ClientErrc::authentication && std::string_view(what) != "USE") {
        err.code = ClientErrc::connect;
        err.message = fmt::format("{}: {} failed: {}", host, what, describe(*e));
      }
      throw CqlError(std::move(err));
    }
    return r;
  }

  Connection& c_;
  int version_;
  Connection::Clock::time_point deadline_;
};

std::shared_ptr<Connection> Connection::open(const Endpoint& ep, const ConnectionOptions& o) {
  int version = std::clamp(o.max_version, 4, kMaxVersion);
  for (;;) {
    std::shared_ptr<Connection> c(new Connection(ep, o));
    try {
      ConnectionSetup(*c, version).run();
    } catch (const VersionRefused& v) {
      spdlog::debug("{}: protocol v{} refused ({}); trying v4", ep.str(), version, v.message);
      version = 4;
      continue;
    } catch (const ProtocolError& e) {  // a request the version cannot carry
      fail(ClientErrc::connect, fmt::format("{}: {}", ep.str(), e.what()));
    }
    c->start();
    return c;
  }
}

}  // namespace sluice::cql
