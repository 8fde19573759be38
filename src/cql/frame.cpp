#include "cql/frame.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"

namespace sluice::cql {

const char* opcode_name(Opcode op) {
  switch (op) {
    case Opcode::error: return "ERROR";
    case Opcode::startup: return "STARTUP";
    case Opcode::ready: return "READY";
    case Opcode::authenticate: return "AUTHENTICATE";
    case Opcode::options: return "OPTIONS";
    case Opcode::supported: return "SUPPORTED";
    case Opcode::query: return "QUERY";
    case Opcode::result: return "RESULT";
    case Opcode::prepare: return "PREPARE";
    case Opcode::execute: return "EXECUTE";
    case Opcode::register_: return "REGISTER";
    case Opcode::event: return "EVENT";
    case Opcode::batch: return "BATCH";
    case Opcode::auth_challenge: return "AUTH_CHALLENGE";
    case Opcode::auth_response: return "AUTH_RESPONSE";
    case Opcode::auth_success: return "AUTH_SUCCESS";
  }
  return "unknown opcode";
}

bool is_known_opcode(uint8_t op) { return op <= 0x10 && op != 0x04; }

bool is_response_opcode(Opcode op) {
  switch (op) {
    case Opcode::error:
    case Opcode::ready:
    case Opcode::authenticate:
    case Opcode::supported:
    case Opcode::result:
    case Opcode::event:
    case Opcode::auth_challenge:
    case Opcode::auth_success: return true;
    default: return false;
  }
}

void encode_header(const FrameHeader& h, char* out) {
  out[0] = static_cast<char>(h.version | (h.response ? kResponseBit : 0));
  out[1] = static_cast<char>(h.flags);
  auto s = static_cast<uint16_t>(h.stream);
  out[2] = static_cast<char>(s >> 8);
  out[3] = static_cast<char>(s);
  out[4] = static_cast<char>(h.opcode);
  out[5] = static_cast<char>(h.length >> 24);
  out[6] = static_cast<char>(h.length >> 16);
  out[7] = static_cast<char>(h.length >> 8);
  out[8] = static_cast<char>(h.length);
}

FrameHeader decode_header(std::string_view bytes, uint32_t max_body) {
  auto p = reinterpret_cast<const uint8_t*>(bytes.data());
  FrameHeader h;
  h.response = (p[0] & kResponseBit) != 0;
  h.version = p[0] & 0x7f;
  if (h.version < kMinVersion || h.version > kMaxVersion)
    throw ProtocolError(Errc::bad_frame, fmt::format("frame with protocol version {} (byte 0x{:02x}); sluice speaks v{} to v{}",
                                                     h.version, p[0], kMinVersion, kMaxVersion));
  h.flags = p[1];
  h.stream = static_cast<int16_t>(static_cast<uint16_t>(p[2] << 8 | p[3]));
  if (!is_known_opcode(p[4]))
    throw ProtocolError(Errc::bad_frame, fmt::format("frame with unknown opcode 0x{:02x} on stream {}", p[4], h.stream));
  h.opcode = static_cast<Opcode>(p[4]);
  h.length = uint32_t{p[5]} << 24 | uint32_t{p[6]} << 16 | uint32_t{p[7]} << 8 | p[8];
  if (h.length > max_body)
    throw ProtocolError(Errc::oversize, fmt::format("{} frame on stream {} announces a body of {} bytes, above the limit of {}",
                                                    opcode_name(h.opcode), h.stream, h.length, max_body));
  return h;
}

std::string encode_frame(FrameHeader h, std::string_view body) {
  if (body.size() > kDefaultMaxBodyBytes)
    throw ProtocolError(Errc::oversize, fmt::format("{} body of {} bytes is above the protocol's 256 MiB",
                                                    opcode_name(h.opcode), body.size()));
  h.length = static_cast<uint32_t>(body.size());
  std::string out(kFrameHeaderSize, '\0');
  encode_header(h, out.data());
  out.append(body);
  return out;
}

void read_body_prefix(Frame& f) {
  f.message_offset = 0;
  if (!f.header.response) return;  // on requests the tracing flag only asks for tracing
  uint8_t flags = f.header.flags;
  if (!(flags & (kFlagTracing | kFlagWarning | kFlagCustomPayload))) return;
  WireReader r(f.body);
  if (flags & kFlagTracing) f.tracing_id = r.read_uuid();
  if (flags & kFlagWarning) f.warnings = r.read_string_list();
  if (flags & kFlagCustomPayload) f.custom_payload = r.read_bytes_map();
  f.message_offset = r.offset();
}

}  // namespace sluice::cql
