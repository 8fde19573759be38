#pragma once
// Owning holders for librdkafka's C handles: each one is a std::unique_ptr whose
// deleter is the handle's *_destroy function, so a handle is freed on every path out of
// its scope, a throw included. No code in log/kafka/ calls a *_destroy function itself.
//
// Handles librdkafka takes over are given up with release() right after the call that
// takes them succeeds: rd_kafka_new (the conf), rd_kafka_producev (the headers).
//
// Order matters in two places, which the owners state: a client's topic handles are
// destroyed before the client (KafkaProducer), and a consumer is closed with
// rd_kafka_consumer_close before its client is destroyed (KafkaConsumer).
//
// Threading: none of its own; a holder is used by the thread that owns it.
#include <librdkafka/rdkafka.h>

#include <memory>

namespace sluice::log::kafka {

// Calls Destroy on a non-null handle (std::unique_ptr never calls it for null).
template <auto Destroy>
struct RdkDeleter {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Destroy(handle);
  }
};

template <typename T, auto Destroy>
using RdkHandle = std::unique_ptr<T, RdkDeleter<Destroy>>;

using ClientHandle = RdkHandle<rd_kafka_t, &rd_kafka_destroy>;
using ConfHandle = RdkHandle<rd_kafka_conf_t, &rd_kafka_conf_destroy>;
using TopicHandle = RdkHandle<rd_kafka_topic_t, &rd_kafka_topic_destroy>;
using PartitionListHandle = RdkHandle<rd_kafka_topic_partition_list_t, &rd_kafka_topic_partition_list_destroy>;
using MetadataHandle = RdkHandle<const rd_kafka_metadata_t, &rd_kafka_metadata_destroy>;
using GroupListHandle = RdkHandle<const rd_kafka_group_list, &rd_kafka_group_list_destroy>;
using MessageHandle = RdkHandle<rd_kafka_message_t, &rd_kafka_message_destroy>;
using HeadersHandle = RdkHandle<rd_kafka_headers_t, &rd_kafka_headers_destroy>;
using QueueHandle = RdkHandle<rd_kafka_queue_t, &rd_kafka_queue_destroy>;
using EventHandle = RdkHandle<rd_kafka_event_t, &rd_kafka_event_destroy>;
using NewTopicHandle = RdkHandle<rd_kafka_NewTopic_t, &rd_kafka_NewTopic_destroy>;
using AdminOptionsHandle = RdkHandle<rd_kafka_AdminOptions_t, &rd_kafka_AdminOptions_destroy>;

}  // namespace sluice::log::kafka
