#pragma once
// What the three Kafka clients (producer, consumer, admin) share: building a librdkafka
// configuration from the log settings, starting a client from it, reading a setting
// back, and routing librdkafka's log lines to spdlog.
//
// Threading: the functions are called by the thread that builds a client; log_cb is
// called by librdkafka's own threads (spdlog is thread-safe).
#include <map>
#include <string>

#include "log/kafka/rdkafka_handles.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::kafka {

// How long a request that waits for the broker's answer (metadata, watermarks,
// committed offsets, group list, topic creation) may take.
constexpr int kAdminTimeoutMs = 10'000;

// A librdkafka configuration: bootstrap servers, sluice's `defaults` for this client,
// then the user's `kafka.*` keys (settings.kafka), which win; librdkafka's log lines go
// to spdlog. Throws UsageError naming the key for a bad key or value.
ConfHandle make_conf(const std::string& bootstrap, const std::map<std::string, std::string>& defaults,
                     const LogSettings& settings);

// A client of `type` from `conf`, which it takes over on success (and frees on
// failure). Throws UsageError with librdkafka's reason.
ClientHandle make_client(rd_kafka_type_t type, ConfHandle conf);

// A configuration value librdkafka holds (its default if unset). Throws FatalError if
// librdkafka has no such setting.
std::string conf_value(const rd_kafka_conf_t* conf, const char* name);

// librdkafka's log callback: its lines go through spdlog (they may name brokers, never
// secrets). Called on librdkafka's threads.
void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

}  // namespace sluice::log::kafka
