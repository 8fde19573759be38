#pragma once
// A bounded big-endian reader over a frame body: every read checks what is left and
// throws ProtocolError(Errc::truncated) instead of reading past the end, naming the
// notation it expected and where:
//   "truncated frame: expected 16 bytes for a [uuid], 7 left (at offset 21)".
// Counts read from the wire ([string list], [bytes map], rows) are checked against
// the bytes left before anything is reserved, so a hostile count cannot make us
// allocate more than the frame could hold.
//
// The reader does not own the bytes; views it returns (read_raw, read_bytes_view) point
// into them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/uuid.h"
#include "cql/protocol_error.h"
#include "cql/wire_types.h"

namespace sluice::cql {

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : data_(bytes) {}
  explicit WireReader(std::string&&) = delete;  // would read a temporary after it is gone

  size_t remaining() const { return data_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool empty() const { return pos_ == data_.size(); }
  std::string_view rest() const { return data_.substr(pos_); }

  uint8_t read_byte();          // [byte]
  uint16_t read_short();        // [short] (unsigned)
  int32_t read_int();           // [int]
  int64_t read_long();          // [long]
  std::string read_string();       // [string]
  std::string read_long_string();  // [long string]
  Uuid read_uuid();                // [uuid]
  std::vector<std::string> read_string_list();  // [string list]
  Bytes read_bytes();                           // [bytes]: nullopt for null
  // [bytes] without a copy: nullopt for null, else a view into the frame.
  std::optional<std::string_view> read_bytes_view();
  BindValue read_value();          // [value]: bytes, null (-1) or not set (-2)
  std::string read_short_bytes();  // [short bytes]
  Inet read_inet();                // [inet]: address and port
  Inet read_inetaddr();            // [inetaddr]: address only
  Consistency read_consistency();  // [consistency]
  StringMap read_string_map();            // [string map]
  StringMultimap read_string_multimap();  // [string multimap]
  BytesMap read_bytes_map();              // [bytes map]

  // `n` bytes as they are; `what` names the field for the error message.
  std::string_view read_raw(size_t n, const char* what);
  // Throws unless `count` items of at least `min_each` bytes each can fit in what is left.
  void check_count(uint64_t count, size_t min_each, const char* what) const;
  [[noreturn]] void fail(Errc code, const std::string& what) const;

 private:
  const char* take(size_t n, const char* what);

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace sluice::cql
