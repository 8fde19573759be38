#pragma once
// The Cassandra sink (URI cassandra://[user@]host[:port][,...]/keyspace): the seed's
// table user_data.users, written through the project's own CQL client (src/cql/).
//
// ensure_schema(): connects (a wrong password or an unreachable cluster is a
// FatalError naming the cause, once), creates the keyspace (replication from
// cassandra.replication) and the table if missing, checks an existing table, prepares
// the INSERT.
//
// write(): one prepared INSERT per row (an upsert by primary key; values always bound,
// never spliced into CQL), at most cassandra.max_in_flight on the wire at once, each
// with a client-side timestamp fixed for the call so that a retried row keeps its
// first timestamp. Rows that fail with a transient error (timeout, closed connection,
// Unavailable, Overloaded, Write_timeout...) are sent again a few times with backoff
// inside the call (sluice::Backoff: full jitter from retry_backoff, doubling up to
// retry_backoff_max; a bounded wait that nothing interrupts, see the .cpp). The answer
// follows the Sink contract:
//   Ok     every row acknowledged at the configured consistency;
//   Error  the server rejected a row (Invalid, a value that does not fit): the query
//          then isolates the bad row by writing one at a time;
//   Retry  anything else (cluster unreachable or overloaded, credentials refused on a
//          reconnect, a permission missing): nothing is lost, the stream backs off.
// write() never throws.
//
// Closing the sink logs the rows it wrote and their write latency p50/p99.
//
// Threading: one thread calls ensure_schema(), write() and describe(), as the Sink
// seam says. The CQL callbacks run on connection I/O threads and touch only a
// per-call Round (see the .cpp).
#include <chrono>
#include <memory>
#include <string>

#include "common/backoff.h"
#include "cql/session.h"
#include "sinks/cassandra/cassandra_settings.h"
#include "metrics/registry.h"
#include "sinks/sink.h"

namespace sluice::sinks {

struct CassandraSinkOptions {
  std::string replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}";
  size_t max_in_flight = 256;
  int attempts = 4;  // sends of a row within one write() call
  // The wait before the k-th resend (k = 0, 1, ...) of a call is random in
  // [0, min(retry_backoff_max, retry_backoff * 2^k)]. With 4 attempts the cap is not
  // reached (100, 200, 400 ms); it bounds the in-call wait if attempts grows.
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1'000};
};

class CassandraSink : public Sink {
 public:
  CassandraSink(CassandraUri uri, cql::SessionOptions session, CassandraSinkOptions options,
                const table::Schema& schema, metrics::Registry* metrics = nullptr);
  ~CassandraSink() override;
  void ensure_schema() override;
  WriteResult write(std::span<const table::Row> rows) override;
  std::string describe() const override;

 private:
  struct Round;
  std::optional<WriteResult> ready();
  void send_round(std::span<const table::Row> rows, const std::vector<uint32_t>& todo,
                  const std::vector<int64_t>& timestamps, const std::shared_ptr<Round>& round);

  CassandraUri uri_;
  cql::SessionOptions session_options_;
  CassandraSinkOptions opts_;
  const table::Schema& schema_;
  std::string insert_cql_;
  std::unique_ptr<cql::Session> session_;
  cql::PreparedPtr insert_;
  int64_t last_timestamp_us_ = 0;
  Backoff retry_backoff_;  // write()'s in-call resends; the writer thread only
  uint64_t acked_ = 0;
  std::unique_ptr<metrics::Registry> own_registry_;  // when the caller gave none
  // Per-row write latency (EXECUTE sent -> acknowledged), merged once per round.
  metrics::Histogram& write_seconds_;
};

// From the config's `sink` URI and cassandra.* keys. Throws UsageError.
// `metrics` (optional) receives sluice_sink_write_seconds{sink="cassandra"}.
std::unique_ptr<Sink> open_cassandra_sink(const config::Config& cfg, const table::Schema& schema,
                                          metrics::Registry* metrics = nullptr);

}  // namespace sluice::sinks
