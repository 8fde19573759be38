#pragma once
// Wall-clock time as record timestamps use it (Kafka's convention: milliseconds since
// the Unix epoch, UTC). Durations and deadlines use std::chrono::steady_clock instead.
#include <chrono>
#include <cstdint>

namespace sluice {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice
