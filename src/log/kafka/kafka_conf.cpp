#include "log/kafka/kafka_conf.h"

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace sluice::log::kafka {

ConfHandle make_conf(const std::string& bootstrap, const std::map<std::string, std::string>& defaults,
                     const LogSettings& settings) {
  const std::map<std::string, std::string>& user = settings.kafka;
  ConfHandle conf(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& k, const std::string& v, bool from_user) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw UsageError(std::string(from_user ? "kafka." : "librdkafka setting ") + k + ": " + err);
  };
  set("bootstrap.servers", bootstrap, false);
  for (const auto& [k, v] : defaults)
    if (!user.count(k)) set(k, v, false);
  for (const auto& [k, v] : user) set(k, v, true);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  return conf;
}

ClientHandle make_client(rd_kafka_type_t type, ConfHandle conf) {
  char err[512];
  ClientHandle rk(rd_kafka_new(type, conf.get(), err, sizeof err));
  if (!rk) throw UsageError(std::string("Kafka client: ") + err);  // conf is still ours: its holder frees it
  (void)conf.release();  // the client owns it now
  return rk;
}

std::string conf_value(const rd_kafka_conf_t* conf, const char* name) {
  char buf[256];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK)
    throw FatalError(std::string("librdkafka has no setting ") + name);
  return buf;
}

void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (level <= 3) spdlog::error("librdkafka {}: {}", fac, buf);
  else if (level <= 5) spdlog::warn("librdkafka {}: {}", fac, buf);
  else spdlog::debug("librdkafka {}: {}", fac, buf);
}

}  // namespace sluice::log::kafka
