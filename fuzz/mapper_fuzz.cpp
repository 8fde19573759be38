// Feeds arbitrary bytes to the mapper as if an API response: it must report
// malformed input or map what it can, never crash or read past the buffer.
#include <simdjson.h>

#include <cstdint>
#include <string>

#include "mapping/mapper.h"

namespace {

struct Discard : sluice::mapping::RecordHandler {
  size_t n = 0;
  void on_record(bool, std::string_view k, std::string_view v) override { n += k.size() + v.size(); }
  void on_error(std::string_view raw, std::string_view reason) override { n += raw.size() + reason.size(); }
};

const sluice::mapping::Mapping& seed_mapping() {
  static const auto m = sluice::mapping::Mapping::compile(
      {{"id", "{uuid4()}"},
       {"first_name", "{name.first}"},
       {"address", "{location.street.number} {location.street.name}, {location.city}"},
       {"post_code", "{location.postcode}"},
       {"email", "{email}"}},
      "id");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::mapping::Mapper mapper(seed_mapping());
  std::string body(reinterpret_cast<const char*>(data), size);
  body.reserve(size + simdjson::SIMDJSON_PADDING);
  Discard d;
  mapper.map_response(body, d);
  return 0;
}
