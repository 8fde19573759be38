#pragma once
// Cells as text, the way cqlsh shows them (for `sluice query` against Cassandra):
//
//   null       null                         boolean    True / False
//   text       as is (quoted inside collections, ' doubled: 'it''s')
//   uuid       8-4-4-4-12 lower case        blob       0x0a1b2c
//   timestamp  2024-01-02 03:04:05.678000+0000 (UTC; outside years 1-9999 the raw ms)
//   date       2024-01-02 (outside years 1-9999 the raw day count)
//   time       03:04:05.678000000           inet       10.0.0.1 / 2001:db8::1
//   float      5 significant digits, double 12 (cqlsh's float/double_precision),
//              with more digits left of the point kept; NaN, Infinity, -Infinity
//   varint     decimal digits               decimal    123.45 / 1.2E+7 (Python's Decimal str)
//   duration   1y2mo3d4h5m6s7ms8us9ns       list [1, 2]   set {1, 2}   map {'k': 1}
//   tuple      (1, 'a')                     udt  {name: 'a', age: 3}
//
// Inside collections, tuples and UDTs, values print as CQL literals: text, timestamps,
// dates, times and inets in single quotes; numbers, uuids, blobs and durations bare.
#include <string>

#include "cql/data_type.h"
#include "cql/value.h"
#include "cql/wire_types.h"

namespace sluice::cql {

std::string format_value(const Value& v, const DataType& t);
// decode_cell + format_value; a cell that does not decode shows as its blob form
// rather than throwing, so one bad cell does not hide a whole result.
std::string format_cell(const Bytes& cell, const DataType& t);

// The parts, for other callers (logs, the query printer).
std::string format_timestamp(int64_t ms_since_epoch);
std::string format_date(int64_t days_since_epoch);
std::string format_time(int64_t ns_since_midnight);
std::string format_varint(std::string_view twos_complement);
std::string format_decimal(std::string_view scale_and_unscaled);
std::string format_duration(std::string_view vints);

}  // namespace sluice::cql
