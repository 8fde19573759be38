#pragma once
// A small client for a Cassandra cluster: a pool of connections, prepared statements,
// paging. What the sink and `sluice query` need, no more (no token awareness, no
// speculative execution, no schema events).
//
// Pool: `connections_per_host` connections to each host of the list, used round robin.
// A connection that closes is replaced lazily: the next request that picks its slot
// after the slot's backoff reconnects it on the caller's thread. The backoff is
// sluice::Backoff (common/backoff.h): failure k in a row (k = 0, 1, ...) waits a random
// time in [0, min(reconnect_max, reconnect_min * 2^k)] (full jitter); a success starts
// over from reconnect_min. While no connection is alive requests fail at once
// with ClientErrc::connect naming each host's last error, so a cluster that is down
// costs about one connect attempt per host per backoff period, never a storm. A slot
// whose last attempt failed on credentials reports ClientErrc::authentication.
//
// Prepared statements are cached by CQL text. An EXECUTE answered with Unprepared (the
// node restarted, or evicted it) is prepared again on the same connection and sent once
// more, transparently.
//
// Threading: every method from any thread. Callbacks run on a connection's I/O thread,
// or on the calling thread before execute() returns when no connection is available;
// so a caller must not hold a lock its callback takes while calling execute(). The
// Session must outlive its callbacks: its destructor closes every connection, which
// runs the pending callbacks with ClientErrc::closed.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "cql/connection.h"

namespace sluice::cql {

struct SessionOptions {
  std::vector<Endpoint> hosts;
  int connections_per_host = 1;
  ConnectionOptions connection;  // credentials, keyspace (USE on every connection), TLS, timeouts
  Consistency consistency = Consistency::local_quorum;
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{10'000};
};

struct Prepared {
  std::string query;
  std::string id;
  std::string result_metadata_id;  // v5
  PreparedMetadata variables;      // the bind markers, with their types
  ResultMetadata result;
};
using PreparedPtr = std::shared_ptr<const Prepared>;

class Session {
 public:
  explicit Session(SessionOptions o);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Opens every connection of the pool. Throws CqlError: authentication at the first
  // refusal (no other host is tried: the credentials are the cluster's), server when
  // the USE of the keyspace fails, connect if no host could be reached. Hosts that fail
  // are retried later, as in the pool above.
  void connect();

  // Synchronous calls; throw CqlError.
  Response query(const std::string& cql, std::vector<BindValue> values = {});
  PreparedPtr prepare(const std::string& cql);
  // Runs a SELECT page by page (`page_size` rows each), calling `on_page` for every
  // page of rows; a statement that returns no rows calls it never.
  void for_each_page(const std::string& cql, std::vector<BindValue> values, int32_t page_size,
                     const std::function<void(const RowsResult&)>& on_page);

  // Asynchronous EXECUTE at the session's consistency; `timestamp_us` (optional) is the
  // write's client-side timestamp, so a retried write keeps the timestamp of the first.
  // `cb` runs exactly once (see Threading above).
  void execute(const PreparedPtr& p, std::vector<BindValue> values, Callback cb,
               std::optional<int64_t> timestamp_us = {});
  Result execute_sync(const PreparedPtr& p, std::vector<BindValue> values);

  // The protocol version of a live connection (0 if none).
  int protocol_version();
  Consistency consistency() const { return opts_.consistency; }
  const SessionOptions& options() const { return opts_; }

 private:
  struct Slot {
    Endpoint endpoint;
    std::shared_ptr<Connection> conn;
    bool connecting = false;
    Connection::Clock::time_point next_attempt{};
    Backoff backoff;  // under mu_ (so one caller at a time, as Backoff requires)
    std::optional<ClientError> last_error;
  };
  struct Call;

  // A live connection, round robin; reconnects a due slot first. Null with `why` set
  // when none is alive.
  std::shared_ptr<Connection> pick(ClientError& why);
  void reconnect(size_t slot);
  Result run_sync(const Request& r);
  void send_execute(const std::shared_ptr<Call>& call);
  void on_execute_result(const std::shared_ptr<Call>& call, Result&& r);
  PreparedPtr remember(const std::string& cql, const PreparedResult& p);

  SessionOptions opts_;
  std::mutex mu_;  // guards slots_, rr_, prepared_
  std::vector<Slot> slots_;
  size_t rr_ = 0;
  std::map<std::string, PreparedPtr, std::less<>> prepared_;
};

}  // namespace sluice::cql
