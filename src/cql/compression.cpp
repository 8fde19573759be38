#include "cql/compression.h"

#include <lz4.h>

#include <fmt/format.h>

#include "cql/protocol_error.h"

namespace sluice::cql {

const char* compression_option(Compression c) { return c == Compression::lz4 ? "lz4" : nullptr; }

std::string lz4_compress_block(std::string_view data) {
  if (data.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
    throw ProtocolError(Errc::oversize, fmt::format("{} bytes are too many for one LZ4 block", data.size()));
  int bound = LZ4_compressBound(static_cast<int>(data.size()));
  std::string out(static_cast<size_t>(bound), '\0');
  int n = LZ4_compress_default(data.data(), out.data(), static_cast<int>(data.size()), bound);
  if (n <= 0) throw ProtocolError(Errc::compression, "LZ4 compression failed");
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string lz4_decompress_block(std::string_view block, size_t uncompressed_size) {
  if (block.size() > 0x7fffffff || uncompressed_size > 0x7fffffff)
    throw ProtocolError(Errc::oversize, "LZ4 block above 2 GiB");
  // An LZ4 block expands at most ~255x (a run length byte of 255 per input byte): a
  // larger announced size is a lie, refused before we allocate it.
  if (uncompressed_size > 255 * block.size() + 64)
    throw ProtocolError(Errc::compression, fmt::format("LZ4 block of {} bytes cannot decode to the announced {}",
                                                       block.size(), uncompressed_size));
  std::string out(uncompressed_size, '\0');
  int n = LZ4_decompress_safe(block.data(), out.data(), static_cast<int>(block.size()),
                              static_cast<int>(uncompressed_size));
  if (n < 0 || static_cast<size_t>(n) != uncompressed_size)
    throw ProtocolError(Errc::compression,
                        fmt::format("corrupt LZ4 block: {} compressed bytes do not decode to the announced {}",
                                    block.size(), uncompressed_size));
  return out;
}

std::string lz4_compress_body(std::string_view body) {
  std::string block = lz4_compress_block(body);
  auto n = static_cast<uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  out.append(block);
  return out;
}

std::string lz4_decompress_body(std::string_view compressed, uint32_t max_body) {
  if (compressed.size() < 4)
    throw ProtocolError(Errc::truncated, fmt::format("truncated frame: expected 4 bytes for the LZ4 uncompressed "
                                                     "length, {} left",
                                                     compressed.size()));
  auto p = reinterpret_cast<const uint8_t*>(compressed.data());
  uint32_t n = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  if (n > max_body)
    throw ProtocolError(Errc::oversize, fmt::format("compressed body announces {} bytes uncompressed, above the "
                                                    "limit of {}",
                                                    n, max_body));
  return lz4_decompress_block(compressed.substr(4), n);
}

}  // namespace sluice::cql
