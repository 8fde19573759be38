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
#include "sinks/sink.h"
#include "stream/query/progress.h"
#include "stream/query/trigger.h"
#include "stream/schema.h"

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
  bool log_progress = true;  // one JSON line per batch (continuous: at most one a second)
};

struct QuerySummary {
  uint64_t batches = 0;
  uint64_t input_rows = 0;
  uint64_t written_rows = 0;
  uint64_t dead_lettered = 0;
  uint64_t skipped = 0;
  double elapsed_s = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0;  // over a sample of all batches
  bool failed = false;
  std::string error;  // why the query stopped, if failed
};

class Query {
 public:
  // The consumer must be configured with the query's group; the query subscribes it.
  // `history` (optional) receives every batch's progress.
  // `admin` (optional) tells once and available-now what "there now" is: the topic's
  // end offsets when the query starts, against the group's committed offsets. Without
  // it they stop at the first empty read, which on Kafka may come before the group
  // got its partitions.
  Query(log::Consumer& consumer, log::Producer& dead_letters, sinks::Sink& sink, const Schema& schema,
        QueryOptions options, ProgressHistory* history = nullptr, log::Admin* admin = nullptr);
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
