#pragma once
// The Kafka producer (log::Producer over librdkafka): stages plain records in chunks of
// a StagingPool and hands them to librdkafka a batch at a time, keyed records grouped by
// partition (a stable counting sort, partitions picked with librdkafka's own
// partitioner from the partition count last read); records with headers, a partition
// or a timestamp of their own go one at a time, copied by librdkafka. Keeps the
// topics' handles and partition counts (read again every
// topic.metadata.refresh.interval.ms), and counts deliveries.
//
// Threading: single-threaded, as the Producer seam is (SharedProducer adds a lock).
// Delivery reports (on_delivery) and client errors (on_error) are served by
// rd_kafka_poll/rd_kafka_flush, so on the thread calling send() (while it waits for
// room), poll(), flush() or the destructor. Only librdkafka's log callback runs on its
// own threads.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "log/kafka/rdkafka_handles.h"
#include "log/kafka/staging_pool.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::kafka {

class KafkaProducer : public Producer {
 public:
  // Builds the configuration only: the client starts with the first record. Throws
  // UsageError for a bad kafka.* key.
  KafkaProducer(const std::string& bootstrap, const LogSettings& settings);
  // librdkafka holds `this` as its opaque: the producer never moves.
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;
  // Hands over what is staged (one try), waits up to 10 s for deliveries, then
  // destroys the topic handles and the client, in that order.
  ~KafkaProducer() override;

  void send(const OutRecord& r) override;
  DeliveryStats poll() override;
  DeliveryStats flush(std::chrono::milliseconds timeout) override;

 private:
  using Clock = std::chrono::steady_clock;
  using Partitioner = int32_t (*)(const rd_kafka_topic_t*, const void*, size_t, int32_t, void*, void*);

  static constexpr size_t kStageRecords = 1024;

  // A record staged in open_: where its key and value start in the chunk.
  struct Staged {
    size_t key_at = 0, key_len = 0, value_at = 0, value_len = 0;
    bool has_key = false;
  };

  // A topic's handle, kept for the producer's life, and its partition count as last
  // read (0: unknown).
  struct TopicState {
    TopicHandle rkt;
    int32_t partitions = 0;
    Clock::time_point refresh_at{};
  };

  bool open_chunk();
  void wait_for_room(std::optional<Clock::time_point>& waiting_since);
  [[noreturn]] void fail(rd_kafka_resp_err_t err);
  bool send_staged(std::optional<Clock::time_point> deadline = std::nullopt);
  int32_t grouping_partitions();
  void fill(rd_kafka_message_t& m, const Staged& st) const;
  size_t produce_run(int32_t partition, size_t begin, size_t end, std::optional<Clock::time_point> deadline);
  void send_one(const OutRecord& r);
  TopicState& topic_state(const std::string& topic);
  void read_partition_count(TopicState& t, std::chrono::milliseconds timeout);
  static Partitioner keyed_partitioner(const std::string& name);
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque);
  DeliveryStats stats();

  // Declared before rk_ so that they outlive the client: the callbacks' state, and the
  // staging chunks whose bytes librdkafka reads until it is destroyed.
  std::atomic<uint64_t> acked_{0}, failed_{0};
  std::atomic<bool> warned_full_{false};
  bool warned_pinned_ = false;  // said once that every chunk is held
  std::atomic<bool> unreachable_flag_{false};
  std::mutex mu_;  // guards last_error_ and unreachable_
  std::string last_error_;
  std::string unreachable_;
  StagingPool pool_;
  StagingPool::Chunk* open_ = nullptr;  // the chunk staged_ records are in (its writer's reference)

  ConfHandle conf_;  // until the client starts
  ClientHandle rk_;
  Partitioner partitioner_ = nullptr;  // for keyed records; none: librdkafka partitions
  std::chrono::milliseconds refresh_every_{300'000};
  std::string topic_;          // of the last record sent
  TopicState* cur_ = nullptr;  // topic_'s
  std::map<std::string, TopicState> topics_;  // their handles go before rk_ (the destructor says so too)
  std::vector<Staged> staged_;  // records not yet handed to librdkafka, their bytes in open_
  std::vector<Staged> left_;    // those send_staged() could not hand over
  std::vector<rd_kafka_message_t> batch_;
  std::vector<int32_t> part_of_;   // each staged record's group (its partition, or 0)
  std::vector<size_t> order_;      // order_[at]: the staged record in batch_[at]
  std::vector<size_t> group_end_;  // where each partition's records end in batch_
};

}  // namespace sluice::log::kafka
