#pragma once
// A native protocol frame (called an "envelope" in v5): a 9-byte header and a body.
//
//   off size field
//    0   1   version   protocol version (3, 4, 5); bit 0x80 set on responses
//    1   1   flags     kFlag* below
//    2   2   stream    [short], signed: requests >= 0, server events -1
//    4   1   opcode    Opcode
//    5   4   length    body length; the spec caps it at 256 MiB
//    9   ... body      [tracing id][warnings][custom payload] message
//
// Big-endian throughout. Versions 1 and 2 had an 8-byte header (1-byte stream); we do
// not speak them and reject their frames by the version byte.
//
// On responses the flags announce what precedes the message in the body, in this
// order: a [uuid] tracing id (tracing), a [string list] of warnings (warning, v4+), a
// [bytes map] custom payload (custom payload, v4+). read_body_prefix() parses them into
// the Frame and leaves message() pointing at the message proper. In v3 and v4 the
// compression flag means the body is compressed (compression.h); in v5 it is ignored
// because the segments carry the compression.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/uuid.h"
#include "cql/opcode.h"
#include "cql/wire_types.h"

namespace sluice::cql {

inline constexpr size_t kFrameHeaderSize = 9;
inline constexpr uint8_t kResponseBit = 0x80;
inline constexpr int kMinVersion = 3;
inline constexpr int kMaxVersion = 5;
// The spec's limit on a body; FrameDecoder takes a lower one if the caller wants.
inline constexpr uint32_t kDefaultMaxBodyBytes = 256u << 20;

inline constexpr uint8_t kFlagCompression = 0x01;
inline constexpr uint8_t kFlagTracing = 0x02;
inline constexpr uint8_t kFlagCustomPayload = 0x04;
inline constexpr uint8_t kFlagWarning = 0x08;
inline constexpr uint8_t kFlagBeta = 0x10;  // v5: the client opts in to a protocol version in beta

struct FrameHeader {
  uint8_t version = 4;  // without the response bit
  bool response = false;
  uint8_t flags = 0;
  int16_t stream = 0;
  Opcode opcode = Opcode::options;
  uint32_t length = 0;
};

// Writes the 9 header bytes to out[0..9).
void encode_header(const FrameHeader& h, char* out);
// Parses the 9 bytes at the start of `bytes` (the caller checked there are 9). Throws
// ProtocolError: bad_frame for a version outside 3..5 or an unknown opcode, oversize
// for a length above `max_body` (before anyone allocates it).
FrameHeader decode_header(std::string_view bytes, uint32_t max_body = kDefaultMaxBodyBytes);
// Header and body as one string; sets the header's length from the body.
std::string encode_frame(FrameHeader h, std::string_view body);

struct Frame {
  FrameHeader header;
  std::string body;            // uncompressed
  size_t message_offset = 0;   // start of the message in `body`, after the prefix below
  std::optional<Uuid> tracing_id;
  std::vector<std::string> warnings;
  BytesMap custom_payload;

  std::string_view message() const { return std::string_view(body).substr(message_offset); }
};

// Parses the tracing id, warnings and custom payload a response's flags announce, and
// sets message_offset past them. Throws ProtocolError if the body is too short.
void read_body_prefix(Frame& f);

}  // namespace sluice::cql
