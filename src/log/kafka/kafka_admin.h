#pragma once
// The Kafka admin client (log::Admin over librdkafka): topics from the broker's
// metadata, watermarks per partition, topic creation (CreateTopics), and the groups
// that committed offsets for a topic (read with a KafkaConsumer of each group, which
// does not join it).
//
// Threading: single-threaded; every call waits for the broker's answer on the calling
// thread, up to kAdminTimeoutMs. No callbacks but librdkafka's log lines (its threads).
#include <string>
#include <string_view>
#include <vector>

#include "log/kafka/rdkafka_handles.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::kafka {

class KafkaAdmin : public Admin {
 public:
  // Throws UsageError for a bad kafka.* key.
  KafkaAdmin(const std::string& bootstrap, const LogSettings& settings);

  std::vector<std::string> list_topics() override;
  TopicDescription describe_topic(std::string_view topic) override;
  bool topic_exists(std::string_view topic) override;
  bool create_topic(std::string_view topic, int32_t partitions, int32_t replication_factor) override;
  std::vector<GroupOffsets> group_offsets(std::string_view topic) override;

 private:
  // The broker's metadata for one topic, or for all (`only` null). Throws FatalError
  // if the broker does not answer.
  MetadataHandle metadata(rd_kafka_topic_t* only);

  std::string bootstrap_;
  LogSettings settings_;
  ClientHandle rk_;
};

}  // namespace sluice::log::kafka
