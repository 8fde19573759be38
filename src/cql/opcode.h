#pragma once
// The message opcodes of the native protocol (spec v4 section 2.4, v5 2.4.1.4).
// There is no 0x04: it was CREDENTIALS in protocol v1.
#include <cstdint>

namespace sluice::cql {

enum class Opcode : uint8_t {
  error = 0x00,
  startup = 0x01,
  ready = 0x02,
  authenticate = 0x03,
  options = 0x05,
  supported = 0x06,
  query = 0x07,
  result = 0x08,
  prepare = 0x09,
  execute = 0x0A,
  register_ = 0x0B,
  event = 0x0C,
  batch = 0x0D,
  auth_challenge = 0x0E,
  auth_response = 0x0F,
  auth_success = 0x10,
};

// "QUERY", "AUTH_CHALLENGE"; "0x04" style for a byte that is no opcode.
const char* opcode_name(Opcode op);
bool is_known_opcode(uint8_t op);
// True for the opcodes a server sends (ERROR, READY, AUTHENTICATE, SUPPORTED, RESULT,
// EVENT, AUTH_CHALLENGE, AUTH_SUCCESS).
bool is_response_opcode(Opcode op);

}  // namespace sluice::cql
