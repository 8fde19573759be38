// Feeds arbitrary bytes to the stream's row parser as a record value from the topic:
// a row or a reason, never a crash, a leak or a read past the value.
#include <cstdint>
#include <string>

#include "stream/row_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::stream;
  static const Schema schema = Schema::from_config(
      "users", {{"id", "uuid primary key"}, {"first_name", "text"}, {"n", "int"}, {"b", "bigint"}, {"x", "double"},
                {"ok", "boolean"}, {"at", "timestamp"}, {"email", "text required"}});
  static RowParser parser(schema, 1 << 16);
  static Arena arena;
  arena.reset();
  std::string value(reinterpret_cast<const char*>(data), size);
  Row row;
  parser.parse(value, row, arena);
  return 0;
}
