#pragma once
// Rows in one canonical text form, whatever held them: a record parsed with the schema
// (stream/row_parser.h) and a row read back from a sink's table compare equal exactly
// when their values are equal. `sluice verify` (verify/verify.h) compares in this form.
//
//   text       its bytes            int32, bigint  decimal
//   timestamp  ms since the epoch, decimal          float64  shortest round-trip text
//   boolean    true | false         uuid           canonical lowercase 8-4-4-4-12
//   null       no text (nullopt)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/schema.h"

namespace sluice::table {

using Fields = std::vector<std::optional<std::string>>;

std::optional<std::string> canonical(const Value& v);
std::string canonical_real(double v);

// Fields in one string (each: 'N' for null, or 'V', its length, ':' and its bytes) and back.
std::string encode_fields(const Fields& fields);
Fields decode_fields(std::string_view encoded);

}  // namespace sluice::table
