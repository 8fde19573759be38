#include "common/murmur2.h"

#include <cstring>

namespace sluice {

// Same arithmetic as org.apache.kafka.common.utils.Utils.murmur2: 32-bit, little-endian
// 4-byte blocks, tail bytes mixed in the order 3,2,1.
int32_t murmur2(std::string_view key) {
  const uint32_t seed = 0x9747b28cu;
  const uint32_t m = 0x5bd1e995u;
  const int r = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t len = key.size();
  uint32_t h = seed ^ static_cast<uint32_t>(len);
  size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const unsigned char* p = data + i * 4;
    uint32_t k = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const unsigned char* tail = data + blocks * 4;
  switch (len % 4) {
    case 3: h ^= uint32_t(tail[2]) << 16; [[fallthrough]];
    case 2: h ^= uint32_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      h ^= uint32_t(tail[0]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

}  // namespace sluice
