#pragma once
// Consumer lag over time, in records and in seconds: what the Kafka UIs show only as a
// number of now (their most requested feature is the history). A thread samples the
// topic's offsets and every group's committed offsets each `web.sample_interval`,
// keeps the latest sample for the API and /metrics, and appends each to the history
// on disk.
//
// Lag in seconds, per partition, is how long ago the oldest record the group has not
// committed was appended: found in the partition's end-offset history (the end offset
// passed the committed offset between two samples; interpolated between them), so it
// costs no read of the record. With no sample old enough it is the age of the oldest
// sample (a lower bound). 0 when caught up.
//
// Threading: start()/stop() from one thread; latest() from any.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "history/history_store.h"
#include "log/lag.h"
#include "log/log.h"
#include "metrics/registry.h"

namespace sluice::web {

// (time_ms, end offset) of one partition, oldest first.
using EndHistory = std::deque<std::pair<int64_t, int64_t>>;

// Seconds since the record at offset `committed` was appended (see above).
double time_lag_seconds(const EndHistory& history, int64_t committed, int64_t end_now, int64_t now_ms);

struct GroupLag {
  std::string group;
  log::TopicLag lag;
  std::map<int32_t, double> seconds;  // partition -> lag in seconds
  double max_seconds = 0;             // the topic's: its slowest partition's
};

struct TopicSample {
  int64_t time_ms = 0;
  log::TopicDescription topic;
  std::vector<GroupLag> groups;
  double rate = 0;  // records appended a second, over the last ~10 s
  std::string error;  // the log could not be read at this sample ("" if it could)
  const GroupLag* group(std::string_view name) const;
};

class LagTracker {
 public:
  struct Options {
    std::string topic;
    std::string own_group;  // the pipeline's group: its lag goes to /metrics
    log::StartFrom own_start = log::StartFrom::earliest;
    std::chrono::milliseconds interval{1000};
  };
  // `history` (optional) receives each sample; `registry` (optional) gets the gauges
  // sluice_log_{start,end}_offset and sluice_consumer_lag_{records,seconds} per partition.
  LagTracker(std::unique_ptr<log::Admin> admin, Options options, std::unique_ptr<history::HistoryStore> history,
             metrics::Registry* registry);
  ~LagTracker();

  void start();
  void stop();
  // Takes one sample now on the calling thread (tests; the first sample before start).
  void sample(int64_t now_ms);
  std::optional<TopicSample> latest() const;

 private:
  void loop();
  void publish_metrics(const TopicSample& s);

  std::unique_ptr<log::Admin> admin_;
  Options opt_;
  std::unique_ptr<history::HistoryStore> history_;
  metrics::Registry* registry_;
  std::map<int32_t, EndHistory> ends_;  // the sampling thread's
  std::deque<std::pair<int64_t, int64_t>> totals_;  // (time_ms, sum of end offsets), for the rate
  bool history_failing_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::optional<TopicSample> latest_;
  std::thread thread_;
};

}  // namespace sluice::web
