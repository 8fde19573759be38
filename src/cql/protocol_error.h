#pragma once
// The one exception type of the CQL codec.
//
// A ProtocolError means the bytes (or the request the caller asked for) do not follow
// the native protocol: a truncated or oversized frame, a bad CRC, an unknown opcode, a
// value that does not fit its column type. Decoding errors on the receive path end the
// connection (the byte stream can no longer be trusted); encoding errors end only the
// request that asked for them. The code says which kind it is, what() says where and
// what was expected, e.g.
//   "truncated frame: expected 16 bytes for a [uuid], 7 left (at offset 21)".
#include <cstdint>
#include <stdexcept>
#include <string>

namespace sluice::cql {

enum class Errc : uint8_t {
  truncated,         // fewer bytes than a field needs
  oversize,          // a length above the configured cap (checked before allocating)
  bad_crc,           // a v5 segment header or payload checksum does not match
  bad_frame,         // a frame or segment header that makes no sense (version, direction, lengths)
  bad_value,         // a field with an impossible value ([value] length -3, inet of 5 bytes, ...)
  compression,       // LZ4 failed, or a compressed frame without negotiated compression
  unsupported,       // valid per spec, but not for this protocol version (keyspace in v4 QUERY)
  type_mismatch,     // a Value bound to a column of another type, or out of its range
};

const char* errc_name(Errc c);

class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(Errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Errc code() const { return code_; }

 private:
  Errc code_;
};

}  // namespace sluice::cql
