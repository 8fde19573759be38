#pragma once
// CRC32C (Castagnoli), the checksum of the embedded log's record batches (the same
// polynomial Kafka uses for its record batches). Uses the SSE4.2 crc32 instruction
// when the CPU has it, a slicing-by-8 table otherwise; both give the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice {

// Extends `crc` (0 to start) over `data`.
uint32_t crc32c(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(std::string_view data) { return crc32c(0, data.data(), data.size()); }

}  // namespace sluice
