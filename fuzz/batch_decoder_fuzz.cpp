// Feeds arbitrary bytes to the embedded log's batch decoder, as a reader meets them in
// a damaged segment file: it must say incomplete or corrupt, or decode records within
// the bytes, never crash or read past them.
#include <cstdint>
#include <string>
#include <vector>

#include "log/embedded/batch_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::log::embedded;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  BatchHeader h;
  decode_header(bytes, h);
  if (check_batch(bytes, h) == DecodeStatus::ok) {
    std::vector<sluice::log::Message> out;
    decode_records(std::string_view(bytes).substr(0, h.total_size()), h, "t", 0, h.base_offset, out);
  }
  // Also past the CRC: the record decoder itself must be bounded.
  if (decode_header(bytes, h) == DecodeStatus::ok && h.total_size() <= bytes.size()) {
    std::vector<sluice::log::Message> out;
    decode_records(std::string_view(bytes).substr(0, h.total_size()), h, "t", 0, 0, out);
  }
  return 0;
}
