#pragma once
// The produce task: the seed's Airflow task `stream_data` (fetch users, format_data,
// publish to `user_created`), run for a duration or a record count at an optional rate.
//
// Two threads: a fetcher pulls responses from the Source into a small bounded queue
// (so HTTP waits or generation overlap with mapping), and the caller's thread maps
// each response and sends the records. Records the mapping cannot use go to the
// dead-letter topic with their reason in headers; each kind of reason is logged once.
//
// Counting follows the log's contract: `produced` moves only when the log
// acknowledged a record (Producer::DeliveryStats::acked).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "log/log.h"
#include "mapping/mapping.h"
#include "metrics/registry.h"
#include "sources/source.h"

namespace sluice::produce {

struct ProduceOptions {
  std::string topic = "user_created";
  std::string dead_letter_topic = "user_created.dlq";
  std::chrono::milliseconds duration{60'000};  // 0: no time limit
  // The limit and the rate count the records taken from the source: published, or
  // refused by the mapping and dead-lettered.
  uint64_t max_records = 0;                    // 0: no record limit
  double rate = 0;                             // records per second; 0: unlimited
  uint32_t batch_size = 500;                   // records asked of the source per response
  std::chrono::milliseconds flush_timeout{30'000};
};

// What one run of the job did: read from the metrics registry (counters moved since
// the run started), so the CLI summary, the progress line and /metrics agree.
struct ProduceStats {
  uint64_t produced = 0;       // acknowledged by the log on the topic
  uint64_t sent = 0;           // handed to the producer (acknowledged or not yet)
  uint64_t dead_lettered = 0;  // acknowledged on the dead-letter topic
  uint64_t map_failures = 0;   // records the mapping rejected (sent to the DLQ)
  uint64_t delivery_failures = 0;  // records the log refused for good
  uint64_t bytes = 0;          // value bytes sent to the topic
  double elapsed_s = 0;
  std::string last_delivery_error;
  std::string log_unreachable;  // non-empty while the log cannot be reached (why)
  sources::SourceStats source;
  std::map<std::string, uint64_t> map_failure_kinds;  // BadRecord kind name -> count
  // Per partition of the topic, its end offset before the run and after it: the range
  // the run's records went to (with others' if another producer wrote meanwhile). Set
  // by the pipeline (pipeline/pipeline.h), which reads the log's offsets; empty if it
  // could not.
  std::map<int32_t, std::pair<int64_t, int64_t>> topic_offsets;
};

class ProduceJob {
 public:
  // `source`, `mapping`, both producers and `metrics` must outlive the job.
  // `dlq_producer` may be the same object as `producer`. The job registers its series
  // in `metrics` (null: a registry of its own):
  //   sluice_produce_sent_total, sluice_produce_records_total (acknowledged),
  //   sluice_produce_bytes_total, sluice_produce_dead_letters_total{stage,kind} (sent to
  //   the dead-letter topic), sluice_produce_dead_letters_acked_total,
  //   sluice_log_delivery_failures_total. The source moves its own sluice_source_*
  //   series (sources/source.h); ProduceStats::source is what source.stats() moved
  //   during the run.
  ProduceJob(sources::Source& source, const mapping::Mapping& mapping, log::Producer& producer,
             log::Producer& dlq_producer, ProduceOptions options, metrics::Registry* metrics = nullptr);
  ~ProduceJob();

  // Runs until the duration or record limit is reached, the source is exhausted, or
  // stop() is called; then flushes the producers and returns the final figures.
  // `on_progress` (optional) is called from the running thread about every
  // `progress_every`.
  ProduceStats run(const std::function<void(const ProduceStats&)>& on_progress = {},
                   std::chrono::milliseconds progress_every = std::chrono::milliseconds(500));
  // Asks run() to finish soon (flushing what it has). Safe from any thread or a
  // signal-watching thread; not async-signal-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::produce
