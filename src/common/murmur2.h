#pragma once
// Kafka's default partitioner: murmur2 of the key bytes (seed 0x9747b28c), sign bit
// cleared, modulo the partition count. A key lands on the same partition number on
// the embedded log as on a Kafka topic with the same partition count.
#include <cstdint>
#include <string_view>

namespace sluice {

int32_t murmur2(std::string_view key);
inline int32_t partition_for_key(std::string_view key, int32_t partitions) {
  return static_cast<int32_t>((static_cast<uint32_t>(murmur2(key)) & 0x7fffffffu) %
                              static_cast<uint32_t>(partitions));
}

}  // namespace sluice
