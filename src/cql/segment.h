#pragma once
// Protocol v5 segments (the spec calls them "frames"; we keep "frame" for the 9-byte
// header + body unit of every version, which v5 calls an "envelope").
//
// After the STARTUP exchange of a v5 connection (READY or AUTHENTICATE, spec v5 2.3.1),
// every envelope travels inside segments. All integers here are little-endian.
//
// Uncompressed segment:
//   3 bytes  header: bits 0-16 payload length, bit 17 self-contained, bits 18-23 zero
//   3 bytes  crc24 of those 3 header bytes
//   n bytes  payload (at most 2^17 - 1 = 131071)
//   4 bytes  crc32 of the payload (segment_crc.h)
//
// LZ4 segment (when STARTUP asked for COMPRESSION=lz4):
//   5 bytes  header: bits 0-16 compressed length, bits 17-33 uncompressed length,
//            bit 34 self-contained, bits 35-39 zero
//   3 bytes  crc24 of those 5 header bytes
//   n bytes  payload: an LZ4 block of `compressed length` bytes; or, when the
//            uncompressed length is 0, the payload itself, sent as is
//   4 bytes  crc32 of the payload as sent
//
// A self-contained segment holds one or more whole envelopes. A large envelope (above
// the 131071 bytes a payload can hold) is cut into a run of segments that are not
// self-contained, each carrying a part of it and nothing else.
#include <cstdint>
#include <string>
#include <string_view>

#include "cql/compression.h"

namespace sluice::cql {

inline constexpr size_t kMaxSegmentPayload = (1u << 17) - 1;
inline constexpr size_t kSegmentHeaderSize = 6;            // uncompressed: 3 + crc24
inline constexpr size_t kCompressedSegmentHeaderSize = 8;  // lz4: 5 + crc24
inline constexpr size_t kSegmentTrailerSize = 4;

// Appends one segment carrying `payload` (at most kMaxSegmentPayload bytes) to `out`.
// With lz4, a payload that does not shrink is sent uncompressed (length 0 in the header).
void encode_segment(std::string_view payload, bool self_contained, Compression c, std::string& out);

// Packs whole envelopes (encoded frames) into segments, in the order added: small ones
// share a self-contained segment up to `max_payload` bytes; one larger than that is cut
// into its own run of non-self-contained segments. Not thread-safe: one per connection,
// used by its writer.
class SegmentEncoder {
 public:
  explicit SegmentEncoder(Compression c = Compression::none, size_t max_payload = kMaxSegmentPayload);
  void add(std::string_view envelope);
  // The wire bytes for everything added since the last flush (the open self-contained
  // segment is closed). Empty if nothing was added.
  std::string flush();

 private:
  void close_pending();

  Compression compression_;
  size_t max_payload_;
  std::string pending_;  // envelopes of the open self-contained segment
  std::string out_;
};

struct Segment {
  bool self_contained = false;
  std::string payload;  // uncompressed
};

// Decodes the segment at the start of `bytes`. Returns the bytes it used, or 0 if the
// segment is not complete yet (`out` untouched). The header CRC is checked as soon as
// the header is there, before waiting for the payload. Throws ProtocolError: bad_crc
// for either checksum, compression for a corrupt LZ4 block.
size_t decode_segment(std::string_view bytes, Compression c, Segment& out);

}  // namespace sluice::cql
