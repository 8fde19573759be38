#pragma once
// LZ4, the one compression both protocol v4 and v5 offer (snappy, v4 only, is left out:
// Cassandra 4 dropped it by default and lz4 is faster).
//
// v3/v4 compress each frame body (frame flag 0x01) as
//   [int] uncompressed length, then one LZ4 block
// (spec v4 section 5). v5 compresses whole segments instead and carries the
// uncompressed length in the segment header, so there the payload is a bare LZ4 block.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::cql {

enum class Compression : uint8_t { none, lz4 };

// The STARTUP "COMPRESSION" option value: "lz4"; nullptr for none.
const char* compression_option(Compression c);

// v4 body: big-endian [int] length prefix + block.
std::string lz4_compress_body(std::string_view body);
// Throws ProtocolError: oversize if the announced length is above `max_body` (checked
// before allocating), compression if the block is corrupt or decodes to another size.
std::string lz4_decompress_body(std::string_view compressed, uint32_t max_body);

// Bare blocks, for v5 segments.
std::string lz4_compress_block(std::string_view data);
std::string lz4_decompress_block(std::string_view block, size_t uncompressed_size);

}  // namespace sluice::cql
