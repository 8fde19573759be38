#include "cql/segment.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/segment_crc.h"

namespace sluice::cql {
namespace {

void put_le(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get_le(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

constexpr uint64_t kLengthMask = (1u << 17) - 1;

}  // namespace

void encode_segment(std::string_view payload, bool self_contained, Compression c, std::string& out) {
  if (payload.size() > kMaxSegmentPayload)
    throw ProtocolError(Errc::oversize, fmt::format("segment payload of {} bytes, above the {} a segment can carry",
                                                    payload.size(), kMaxSegmentPayload));
  size_t start = out.size();
  int header_bytes;
  std::string compressed;
  std::string_view wire = payload;
  if (c == Compression::none) {
    header_bytes = 3;
    put_le(out, payload.size() | uint64_t{self_contained} << 17, 3);
  } else {
    header_bytes = 5;
    compressed = lz4_compress_block(payload);
    uint64_t uncompressed_length = payload.size();
    if (compressed.size() < payload.size()) {
      wire = compressed;
    } else {
      uncompressed_length = 0;  // "use the payload as is"
    }
    put_le(out, wire.size() | uncompressed_length << 17 | uint64_t{self_contained} << 34, 5);
  }
  put_le(out, crc24(out.data() + start, static_cast<size_t>(header_bytes)), 3);
  out.append(wire);
  put_le(out, segment_crc32(wire), 4);
}

SegmentEncoder::SegmentEncoder(Compression c, size_t max_payload)
    : compression_(c), max_payload_(max_payload == 0 || max_payload > kMaxSegmentPayload ? kMaxSegmentPayload
                                                                                          : max_payload) {}

void SegmentEncoder::close_pending() {
  if (pending_.empty()) return;
  encode_segment(pending_, true, compression_, out_);
  pending_.clear();
}

void SegmentEncoder::add(std::string_view envelope) {
  if (envelope.size() > max_payload_) {
    close_pending();  // keep the wire order of envelopes
    for (size_t off = 0; off < envelope.size(); off += max_payload_)
      encode_segment(envelope.substr(off, max_payload_), false, compression_, out_);
    return;
  }
  if (pending_.size() + envelope.size() > max_payload_) close_pending();
  pending_.append(envelope);
}

std::string SegmentEncoder::flush() {
  close_pending();
  std::string out;
  out.swap(out_);
  return out;
}

size_t decode_segment(std::string_view bytes, Compression c, Segment& out) {
  const int header_bytes = c == Compression::none ? 3 : 5;
  const size_t header_size = c == Compression::none ? kSegmentHeaderSize : kCompressedSegmentHeaderSize;
  if (bytes.size() < header_size) return 0;
  uint64_t h = get_le(bytes.data(), header_bytes);
  auto want = static_cast<uint32_t>(get_le(bytes.data() + header_bytes, 3));
  uint32_t got = crc24(bytes.data(), static_cast<size_t>(header_bytes));
  if (want != got)
    throw ProtocolError(Errc::bad_crc, fmt::format("corrupt v5 segment header: CRC24 is 0x{:06x}, the header says "
                                                   "0x{:06x}",
                                                   got, want));
  // The padding bits above the flag are ignored, as the spec says ("can be discarded").
  size_t wire_length = h & kLengthMask;
  size_t uncompressed_length = 0;
  bool self_contained;
  if (c == Compression::none) {
    self_contained = (h >> 17) & 1;
  } else {
    uncompressed_length = (h >> 17) & kLengthMask;
    self_contained = (h >> 34) & 1;
  }
  size_t total = header_size + wire_length + kSegmentTrailerSize;
  if (bytes.size() < total) return 0;
  std::string_view wire = bytes.substr(header_size, wire_length);
  auto want32 = static_cast<uint32_t>(get_le(bytes.data() + header_size + wire_length, 4));
  uint32_t got32 = segment_crc32(wire);
  if (want32 != got32)
    throw ProtocolError(Errc::bad_crc, fmt::format("corrupt v5 segment payload ({} bytes): CRC32 is 0x{:08x}, the "
                                                   "trailer says 0x{:08x}",
                                                   wire_length, got32, want32));
  out.self_contained = self_contained;
  if (c == Compression::lz4 && uncompressed_length != 0)
    out.payload = lz4_decompress_block(wire, uncompressed_length);
  else
    out.payload.assign(wire);
  return total;
}

}  // namespace sluice::cql
