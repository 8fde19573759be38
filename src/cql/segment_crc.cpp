#include "cql/segment_crc.h"

#include <zlib.h>

namespace sluice::cql {

uint32_t crc24(const void* data, size_t size) {
  // Headers are 3 or 5 bytes: a bitwise loop costs nothing worth a table.
  auto p = static_cast<const uint8_t*>(data);
  uint32_t crc = kCrc24Init;
  for (size_t i = 0; i < size; ++i) {
    crc ^= uint32_t{p[i]} << 16;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= kCrc24Poly;
    }
  }
  return crc & 0xffffff;
}

uint32_t segment_crc32(std::string_view payload) {
  static constexpr unsigned char kSeed[4] = {0xFA, 0x2D, 0x55, 0xCA};
  uLong crc = ::crc32(0L, kSeed, 4);
  // zlib takes uInt lengths; payloads are at most 128 KiB but stay safe for any size.
  const auto* p = reinterpret_cast<const Bytef*>(payload.data());
  size_t left = payload.size();
  while (left > 0) {
    auto n = static_cast<uInt>(left > (1u << 30) ? (1u << 30) : left);
    crc = ::crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace sluice::cql
