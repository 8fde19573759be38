#pragma once
// What each micro-batch reports, after Spark's StreamingQueryProgress: one JSON line
// per batch in the log, and the recent ones kept in memory for the dashboard.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sluice::stream {

struct BatchProgress {
  uint64_t batch_id = 0;
  int64_t timestamp_ms = 0;       // when the batch started (wall clock)
  uint64_t input_rows = 0;        // records read
  uint64_t written_rows = 0;      // rows the sink acknowledged
  uint64_t dead_lettered = 0;     // records sent to the dead-letter topic
  uint64_t skipped = 0;           // bad records dropped under on_error: skip
  double input_rows_per_s = 0;    // input_rows / time since the previous batch started
  double processed_rows_per_s = 0;  // input_rows / this batch's duration
  double read_ms = 0, parse_ms = 0, write_ms = 0, commit_ms = 0, total_ms = 0;
  uint32_t write_retries = 0;     // sink answered Retry this many times
  // End-to-end latency, record timestamp -> offsets committed.
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
  std::map<int32_t, int64_t> end_offsets;  // partition -> next offset, as committed

  std::string to_json(const std::string& query_name) const;
};

// Latency samples of one batch -> quantiles (sorts in place).
void latency_quantiles(std::vector<double>& samples_ms, double& p50, double& p99, double& max);

// Thread-safe ring of the most recent batches (the dashboard reads it).
class ProgressHistory {
 public:
  explicit ProgressHistory(size_t capacity = 300) : capacity_(capacity) {}
  void add(const BatchProgress& p);
  std::vector<BatchProgress> recent() const;
  // Called by add() with each batch, on the adding thread, outside the lock (the
  // pipeline stores them on disk for the dashboard). Set before the first add().
  void set_listener(std::function<void(const BatchProgress&)> listener) { listener_ = std::move(listener); }

 private:
  size_t capacity_;
  std::function<void(const BatchProgress&)> listener_;
  mutable std::mutex mu_;
  std::deque<BatchProgress> items_;
};

}  // namespace sluice::stream
