#pragma once
// Values to and from the serialisation formats of spec v4 section 6 / v5 section 5.
//
// bind() is strict where a mistake would corrupt data and lenient where nothing is
// lost: any integer kind binds to any integer column it fits (300 to a tinyint
// throws), an integer binds to a timestamp as milliseconds, a float binds to a double;
// text never binds to a number, a uuid binds to a timeuuid column only if it is a
// version 1 UUID. Mismatches throw ProtocolError(type_mismatch) naming both sides:
//   "cannot bind text to column age of type int".
//
// decode_cell() reads a Rows cell with its column type. A null cell, and the empty
// value a fixed-size type may carry for legacy reasons (spec "empty values"), decode
// as a null Value. A cell whose size is wrong for its type throws
// ProtocolError(bad_value).
#include <string>
#include <string_view>

#include "cql/data_type.h"
#include "cql/value.h"
#include "cql/wire_types.h"

namespace sluice::cql {

// The [value] for `v` in a column of type `t`; a null Value gives BindValue::null().
// `column` (optional) only names the column in error messages.
BindValue bind(const Value& v, const DataType& t, std::string_view column = {});
// The serialised bytes of a non-null value (no length prefix).
std::string serialize(const Value& v, const DataType& t, std::string_view column = {});

Value decode_cell(const Bytes& cell, const DataType& t);
Value deserialize(std::string_view bytes, const DataType& t);

}  // namespace sluice::cql
