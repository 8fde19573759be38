#pragma once
// The Kafka backend of the log seam (URI kafka://host:port[,host:port...]), through
// librdkafka's C API (Debian's librdkafka 2.0.2). Every `kafka.*` config key is passed
// to librdkafka unchanged; a bad key or value is a UsageError with librdkafka's own
// message.
//
// Defaults sluice sets unless the user overrides them: the producer is idempotent
// (enable.idempotence=true, acks=all), lz4-compressed, lingers 5 ms, and uses
// partitioner=murmur2_random, Java's default, so a key lands on the same partition as
// on the embedded log. Keyed records are handed to librdkafka grouped by partition,
// picked with librdkafka's partitioner for the `partitioner` setting. The consumer
// never auto-commits: offsets move only by commit(), after the sink acknowledged the
// batch.
#include <memory>
#include <string>

#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::kafka {

class KafkaLog : public Log {
 public:
  // `bootstrap` is the host:port list of the URI. Throws UsageError for a bad
  // librdkafka property.
  KafkaLog(std::string bootstrap, LogSettings settings);
  std::unique_ptr<Producer> producer(const ProducerOptions& options = {}) override;
  std::unique_ptr<Consumer> consumer(const ConsumerOptions& options) override;
  std::unique_ptr<Admin> admin() override;
  std::string describe() const override { return "Kafka at " + bootstrap_; }

 private:
  std::string bootstrap_;
  LogSettings settings_;
};

}  // namespace sluice::log::kafka
