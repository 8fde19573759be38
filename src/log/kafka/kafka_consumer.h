#pragma once
// The Kafka consumer (log::Consumer over librdkafka's high-level consumer): group
// subscription with eager rebalancing, or assign() outside any group; offsets move only
// by commit() (no auto-commit, no auto offset store); a committed offset the broker no
// longer holds is data loss (check_data_loss); keep_alive() pauses the assignment and
// serves the group protocol while the sink is down.
//
// Threading: single-threaded. The rebalance callback (on_rebalance, and check_data_loss
// from it) is served by rd_kafka_consumer_poll, so on the thread calling poll() or
// keep_alive(), and by rd_kafka_consumer_close in the destructor; librdkafka's log
// callback runs on its own threads.
#include <deque>
#include <string>
#include <vector>

#include "log/kafka/rdkafka_handles.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::kafka {

class KafkaConsumer : public Consumer {
 public:
  // Throws UsageError for a bad kafka.* key.
  KafkaConsumer(const std::string& bootstrap, const LogSettings& settings, const ConsumerOptions& options);
  // librdkafka holds `this` as its opaque: the consumer never moves.
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;
  // Leaves the group (rd_kafka_consumer_close, which may serve a revoke on this thread),
  // then destroys the client.
  ~KafkaConsumer() override;

  void subscribe(const std::vector<std::string>& topics) override;
  void assign(const std::vector<TopicPartitionOffset>& parts) override;
  std::vector<Message> poll(size_t max, std::chrono::milliseconds timeout) override;
  void keep_alive() override;
  std::vector<TopicPartitionOffset> commit(const std::vector<TopicPartitionOffset>& offsets) override;
  std::vector<TopicPartitionOffset> committed() override;

  // The group's committed offsets for these partitions (fills the list's offsets);
  // false if the broker did not answer. KafkaAdmin reads other groups' offsets with it.
  bool committed_for(rd_kafka_topic_partition_list_t* list);

 private:
  static Message to_message(const rd_kafka_message_t* m);
  void set_paused(bool pause);
  void check_data_loss(rd_kafka_topic_partition_list_t* parts);
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque);

  std::string group_;
  ConsumerOptions options_;
  bool paused_ = false;       // keep_alive() paused the assignment
  std::string data_loss_;     // set by check_data_loss under fail_on_data_loss
  std::deque<Message> held_;  // fetched during keep_alive(), served first by poll()
  ClientHandle rk_;           // last: destroyed first, while the callback's state lives
};

}  // namespace sluice::log::kafka
