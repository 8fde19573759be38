#pragma once
// One connection to one Cassandra node: the handshake, then many requests in flight.
//
// open() runs the handshake on the caller's thread, blocking, within the connect timeout
// (connection_setup.cpp):
//   OPTIONS -> SUPPORTED          (the compressions the server offers)
//   STARTUP -> READY              (CQL_VERSION 3.0.0, COMPRESSION lz4 if asked and offered)
//           -> AUTHENTICATE -> AUTH_RESPONSE (SASL PLAIN "\0user\0password")
//                           -> AUTH_SUCCESS, or ERROR -> ClientErrc::authentication
//   USE keyspace (if one is set)
// Protocol v5 is tried first; a server that answers it with a protocol error is asked
// again with v4 on a new socket. After the handshake a v5 connection wraps every frame
// in segments (FrameDecoder switches by itself at READY/AUTHENTICATE).
//
// Then a dedicated I/O thread owns the socket: it writes what send() queued, reads and
// decodes responses, matches them to requests by stream id and runs their callbacks.
// Up to kMaxStreams requests are on the wire at once; more wait in a queue, in order,
// for a stream id to free up. A request that gets no response within the request
// timeout fails with ClientErrc::timeout; its stream id stays reserved until the late
// response arrives, so it is never matched to another request. A socket error, end of
// stream or undecodable byte closes the connection: every pending request fails with
// ClientErrc::closed and send() returns false from then on.
//
// Threading: send(), execute() and the accessors from any thread. Callbacks run on the
// I/O thread with no lock of the connection held; they may call send() on this or
// another connection, and must not block (nor destroy this connection).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cql/client_error.h"
#include "cql/compression.h"
#include "cql/frame_decoder.h"
#include "cql/request.h"
#include "cql/segment.h"
#include "cql/transport.h"

namespace sluice::cql {

inline constexpr char kPasswordAuthenticator[] = "org.apache.cassandra.auth.PasswordAuthenticator";

struct ConnectionOptions {
  int max_version = 5;  // 5: try v5, then v4; 4: v4 only
  Compression compression = Compression::none;
  std::string user;      // empty: no credentials (fine unless the server asks)
  std::string password;  // never logged nor put in messages
  std::string keyspace;  // USE after the handshake; empty: none
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  std::shared_ptr<TlsContext> tls;  // null: plain TCP
  uint32_t max_body_bytes = kDefaultMaxBodyBytes;
};

using Callback = std::function<void(Result&&)>;

class Connection {
 public:
  static constexpr int kMaxStreams = 4096;
  using Clock = std::chrono::steady_clock;

  // Connects and runs the handshake. Throws CqlError: authentication (wrong or missing
  // credentials, with the server's message), connect (anything else), naming `ep`.
  static std::shared_ptr<Connection> open(const Endpoint& ep, const ConnectionOptions& o);
  ~Connection();  // close()

  // Queues `r`; `cb` runs exactly once on the I/O thread with the response, the
  // server's error, a timeout or the close. Returns false, and never runs `cb`, if the
  // connection is closed already. `timeout` 0: the connection's request timeout.
  bool send(const Request& r, Callback cb, std::chrono::milliseconds timeout = {});
  // send() and wait. Never throws; a closed connection gives ClientErrc::closed.
  Result execute(const Request& r, std::chrono::milliseconds timeout = {});

  // Stops the I/O thread and fails what is pending (ClientErrc::closed). Idempotent.
  // Must not be called from a callback of this connection.
  void close();

  bool alive() const { return !closed_.load(std::memory_order_acquire); }
  std::string closed_reason() const;  // empty while alive
  int version() const { return version_; }
  Compression compression() const { return compression_; }
  const Endpoint& endpoint() const { return endpoint_; }
  const StringMultimap& supported() const { return supported_; }  // from SUPPORTED
  size_t in_flight() const;  // requests sent or queued, not answered yet

 private:
  struct Slot {
    Callback cb;
    Clock::time_point deadline;
    bool used = false;  // a request (or a timed-out one whose answer is due) holds the id
  };
  struct Waiting {
    std::string frame;  // encoded with stream 0; the id is patched in when one frees up
    Callback cb;
    Clock::time_point deadline;
  };

  Connection(const Endpoint& ep, const ConnectionOptions& o);
  friend class ConnectionSetup;
  void start();  // after the handshake: starts the I/O thread
  void run();    // the I/O thread
  void queue_locked(std::string frame, int16_t stream);
  void dispatch(std::vector<Frame>& frames);
  void expire(Clock::time_point now);
  void fail_all(const std::string& reason);
  void wake_locked();

  Endpoint endpoint_;
  ConnectionOptions opts_;
  int version_ = 4;
  Compression compression_ = Compression::none;
  StringMultimap supported_;
  std::unique_ptr<Transport> transport_;  // the I/O thread's once started
  FrameDecoder decoder_;                  // idem
  int wake_fd_ = -1;                      // eventfd: send() wakes the I/O thread
  std::thread io_;

  mutable std::mutex mu_;  // guards everything below
  std::vector<Slot> slots_;
  std::vector<int16_t> free_ids_;
  std::deque<Waiting> waiting_;
  size_t in_flight_ = 0;     // slots with a callback + waiting_
  std::string out_;          // v4: frames to write
  SegmentEncoder segments_;  // v5: frames to write, packed into segments
  bool wake_pending_ = false;
  bool stopping_ = false;
  std::string closed_why_;
  std::atomic<bool> closed_{false};
};

}  // namespace sluice::cql
