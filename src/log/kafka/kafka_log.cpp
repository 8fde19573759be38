// KafkaLog, the factory of the Kafka backend: one producer, consumer or admin client per
// call, each its own librdkafka client (kafka_producer.cpp, kafka_consumer.cpp,
// kafka_admin.cpp). Threading: any thread may call it; what it returns belongs to the
// caller's thread (see each class's header).
#include "log/kafka/kafka_log.h"

#include "log/kafka/kafka_admin.h"
#include "log/kafka/kafka_conf.h"
#include "log/kafka/kafka_consumer.h"
#include "log/kafka/kafka_producer.h"

namespace sluice::log::kafka {

KafkaLog::KafkaLog(std::string bootstrap, LogSettings settings)
    : bootstrap_(std::move(bootstrap)), settings_(std::move(settings)) {
  // Check every kafka.* key now, so that a bad one is a usage error before any work.
  make_conf(bootstrap_, {}, settings_);
}

std::unique_ptr<Producer> KafkaLog::producer(const ProducerOptions&) {
  return std::make_unique<KafkaProducer>(bootstrap_, settings_);
}

std::unique_ptr<Consumer> KafkaLog::consumer(const ConsumerOptions& options) {
  return std::make_unique<KafkaConsumer>(bootstrap_, settings_, options);
}

std::unique_ptr<Admin> KafkaLog::admin() { return std::make_unique<KafkaAdmin>(bootstrap_, settings_); }

}  // namespace sluice::log::kafka
