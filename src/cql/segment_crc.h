#pragma once
// The two checksums of protocol v5 segments (spec v5 section 2.1; parameters of the
// CRC32 from Cassandra's implementation, see below).
//
// crc24: guards the segment header. A plain (non-reflected) CRC-24 over the header
//   bytes in wire order, each byte most significant bit first: register initialised to
//   0x875060, polynomial 0x1974F0B (x^24 + ..., the 0x1000000 bit is the x^24 term),
//   no final xor. The result is written after the header as 3 little-endian bytes.
//
// crc32: guards the payload. The common CRC-32 (IEEE 802.3, reflected polynomial
//   0xEDB88320, initial value and final xor 0xFFFFFFFF; zlib's crc32()), computed over
//   the four bytes FA 2D 55 CA followed by the payload. The spec says only "CRC32";
//   those four seed bytes are what Cassandra's server (org.apache.cassandra.net.Crc)
//   feeds first, so a checksum without them is refused. Written as 4 little-endian bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::cql {

inline constexpr uint32_t kCrc24Init = 0x875060;
inline constexpr uint32_t kCrc24Poly = 0x1974F0B;

uint32_t crc24(const void* data, size_t size);
uint32_t segment_crc32(std::string_view payload);

}  // namespace sluice::cql
