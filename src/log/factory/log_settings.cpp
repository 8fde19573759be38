#include "log/factory/open_log.h"

namespace sluice::log {

LogSettings log_settings(const config::Config& cfg) {
  LogSettings s;
  s.uri = cfg.str("log");
  s.partitions = static_cast<int32_t>(cfg.integer("topics.partitions"));
  s.replication_factor = static_cast<int32_t>(cfg.integer("topics.replication_factor"));
  auto& e = s.embedded;
  e.segment_bytes = cfg.bytes("embedded_log.segment_bytes");
  e.index_interval_bytes = cfg.bytes("embedded_log.index_interval_bytes");
  e.retention_bytes = cfg.bytes("embedded_log.retention_bytes");
  e.retention = cfg.duration("embedded_log.retention");
  e.fsync = cfg.choice<FsyncPolicy>("embedded_log.fsync", {{"interval", FsyncPolicy::interval},
                                                           {"always", FsyncPolicy::always},
                                                           {"never", FsyncPolicy::never}});
  e.fsync_interval = cfg.duration("embedded_log.fsync_interval");
  e.batch_bytes = cfg.bytes("embedded_log.batch_bytes");
  e.linger = cfg.duration("embedded_log.linger");
  for (auto& [k, v] : cfg.section("kafka")) s.kafka[k] = v;
  return s;
}

}  // namespace sluice::log
