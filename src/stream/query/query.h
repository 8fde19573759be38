#pragma once
// The streaming query: the seed's Spark Structured Streaming job. It reads a topic as
// a consumer group in micro-batches and, for each batch:
//
//   read -> parse + validate (schema, simdjson once per record) -> write (sink upsert)
//        -> flush dead letters -> commit offsets
//
// Exactly-once effect: offsets are committed only after the sink acknowledged every
// row of the batch and every bad record of it is acknowledged on the dead-letter
// topic. A crash anywhere replays from the last commit; upserts by primary key make
// the replay rewrite the same rows, so each record ends up in the table exactly once.
//
// Bad records (invalid JSON or UTF-8, schema violations, oversize values, rows the sink
// rejects) never stop the query under on_error=dlq: they go to the dead-letter topic
// with their original bytes and key, and headers naming the reason and the source
// partition and offset.
//
// Threading: run() on one thread; stop() and the accessors from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "log/log.h"
#include "metrics/registry.h"
#include "sinks/sink.h"
#include "stream/query/progress.h"
#include "stream/query/trigger.h"
#include "stream/row_parser.h"

namespace sluice::stream {

enum class OnError { dlq, fail, skip };

struct QueryOptions {
  std::string name = "user_data";  // the consumer group
  bool start_latest = false;       // a group with no committed offsets starts at the end
  std::string topic = "user_created";
  std::string dead_letter_topic = "user_created.dlq";
  Trigger trigger;
  size_t max_records_per_batch = 30'000;
  OnError on_error = OnError::dlq;
  size_t max_value_bytes = 1 << 20;
  std::chrono::milliseconds retry_backoff{100};       // first wait after a sink Retry
  std::chrono::milliseconds retry_backoff_max{5'000};
  // One JSON line per batch in the log (continuous: at most one a second), at info
  // level when true, else at debug level.
  bool log_progress = true;
};

// The totals of one run(), read from the query's series (moved since it started).
struct QuerySummary {
  uint64_t batches = 0;
  uint64_t input_rows = 0;
  uint64_t written_rows = 0;
  uint64_t dead_lettered = 0;
  uint64_t skipped = 0;
  double elapsed_s = 0;
  uint64_t sink_retries = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0;  // from the latency histogram
  bool failed = false;
  std::string error;  // why the query stopped, if failed
};

// What a query reads from and writes to; each must outlive the query. Built with
// designated initialisers: Query({.consumer = c, .dead_letters = d, .sink = s, ...}).
struct QueryParts {
  // Configured with the query's group; the query subscribes it.
  log::Consumer& consumer;
  // Used by the query's thread only, or shared through a lock (pipeline/).
  log::Producer& dead_letters;
  sinks::Sink& sink;
  const Schema& schema;
  // Tells once and available-now what "there now" is: the topic's end offsets when the
  // query starts, against the group's committed offsets. Without it they stop at the
  // first empty read, which on Kafka may come before the group got its partitions.
  log::Admin* admin = nullptr;
  // Receives every batch's progress (optional).
  ProgressHistory* history = nullptr;
  // Where the query's series live (null: a registry of its own):
  //   sluice_query_batches_total, sluice_query_records_total (read),
  //   sluice_query_rows_written_total, sluice_query_dead_letters_total{stage,kind},
  //   sluice_query_skipped_total, sluice_query_sink_retries_total,
  //   sluice_query_batch_duration_seconds, sluice_query_phase_seconds{phase},
  //   sluice_query_latency_seconds (record timestamp -> offsets committed).
  metrics::Registry* metrics = nullptr;
};

class Query {
 public:
  Query(QueryParts parts, QueryOptions options);
  ~Query();

  // Runs micro-batches until stop(), or the trigger's end (once, available-now), or a
  // failure under on_error=fail. Returns the totals.
  QuerySummary run();
  void stop();

  // Offsets committed so far (partition -> next offset), and running totals.
  std::map<int32_t, int64_t> committed() const;
  QuerySummary totals() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::stream
