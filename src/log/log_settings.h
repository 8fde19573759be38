#pragma once
// The log backends' settings: which log (the URI), the defaults for topics this
// process creates, and each backend's knobs. Kept out of the seam (log/log.h), so a
// new knob recompiles the backends and the factory, not every stage. Filled from the
// configuration by log_settings() in log/factory/open_log.h.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace sluice::log {

// Settings of the embedded log (config keys under `embedded_log:`).
enum class FsyncPolicy { interval, always, never };

struct EmbeddedLogOptions {
  int64_t segment_bytes = 64ll << 20;        // roll the active segment past this size
  int64_t index_interval_bytes = 4096;       // one sparse index entry per this many log bytes
  int64_t retention_bytes = -1;              // per partition; -1: unlimited
  std::chrono::milliseconds retention{7ll * 24 * 3600 * 1000};  // by age of a segment's newest record; 0: forever
  FsyncPolicy fsync = FsyncPolicy::interval;
  std::chrono::milliseconds fsync_interval{100};
  int64_t batch_bytes = 256 << 10;           // producer writes a partition's batch past this size
  std::chrono::milliseconds linger{5};       // ...or once its oldest record is this old
};

struct LogSettings {
  std::string uri;                 // file:./data/log | kafka://host:port[,host:port]
  int32_t partitions = 3;          // for topics this process creates
  int32_t replication_factor = 1;
  EmbeddedLogOptions embedded;
  std::map<std::string, std::string> kafka;  // passed to librdkafka unchanged
};

}  // namespace sluice::log
