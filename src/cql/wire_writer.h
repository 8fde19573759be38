#pragma once
// Appends the native protocol notations to a byte string, big-endian, in the order the
// caller writes them (request encoders write fields in wire order, one call per field).
// A length that does not fit its prefix (a [string] over 65535 bytes, a [long string]
// over 2^31-1) throws ProtocolError(Errc::oversize) rather than wrapping around.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/uuid.h"
#include "cql/wire_types.h"

namespace sluice::cql {

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}

  void put_byte(uint8_t v);
  void put_short(uint16_t v);
  void put_int(int32_t v);
  void put_long(int64_t v);
  void put_string(std::string_view s);
  void put_long_string(std::string_view s);
  void put_uuid(const Uuid& u);
  void put_string_list(const std::vector<std::string>& l);
  void put_bytes(const Bytes& b);
  void put_bytes(std::string_view b);
  void put_value(const BindValue& v);
  void put_short_bytes(std::string_view b);
  void put_inet(const Inet& a);      // [inet]: size, address, port
  void put_inetaddr(const Inet& a);  // [inetaddr]: size, address
  void put_consistency(Consistency c) { put_short(static_cast<uint16_t>(c)); }
  void put_string_map(const StringMap& m);
  void put_string_multimap(const StringMultimap& m);
  void put_bytes_map(const BytesMap& m);
  void put_raw(std::string_view b) { out_.append(b); }

  size_t size() const { return out_.size(); }
  // Overwrites an [int] written earlier at `pos` (for lengths known only afterwards).
  void patch_int(size_t pos, int32_t v);

 private:
  uint16_t short_length(size_t n, const char* what);
  std::string& out_;
};

}  // namespace sluice::cql
