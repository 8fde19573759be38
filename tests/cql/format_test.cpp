// Cells as cqlsh shows them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/value_codec.h"
#include "cql/value_format.h"

namespace sluice::cql {
namespace {

DataType T(TypeId id) { return DataType::of(id); }

std::string cell(std::string_view hex, const DataType& t) { return format_cell(H(hex), t); }

TEST(Format, Scalars) {
  EXPECT_EQ(format_cell(std::nullopt, T(TypeId::int_)), "null");
  EXPECT_EQ(cell("01", T(TypeId::boolean)), "True");
  EXPECT_EQ(cell("00", T(TypeId::boolean)), "False");
  EXPECT_EQ(cell("ff", T(TypeId::tinyint)), "-1");
  EXPECT_EQ(cell("0000002a", T(TypeId::int_)), "42");
  EXPECT_EQ(cell("8000000000000000", T(TypeId::bigint)), "-9223372036854775808");
  EXPECT_EQ(cell("68c3a96c6c6f", T(TypeId::varchar)), "héllo");
  EXPECT_EQ(cell("cafe", T(TypeId::blob)), "0xcafe");
  EXPECT_EQ(cell("", T(TypeId::blob)), "0x");
  EXPECT_EQ(cell("109cc0291c6746d9981a8ac3dfeac5cd", T(TypeId::uuid)), "109cc029-1c67-46d9-981a-8ac3dfeac5cd");
  EXPECT_EQ(cell("0a000001", T(TypeId::inet)), "10.0.0.1");
  EXPECT_EQ(cell("20010db8000000000000000000000001", T(TypeId::inet)), "2001:db8::1");
}

TEST(Format, TimesInUtc) {
  EXPECT_EQ(cell("0000018cc820db2e", T(TypeId::timestamp)), "2024-01-02 03:04:05.678000+0000");
  EXPECT_EQ(cell("0000000000000000", T(TypeId::timestamp)), "1970-01-01 00:00:00.000000+0000");
  EXPECT_EQ(cell("ffffffffffffffff", T(TypeId::timestamp)), "1969-12-31 23:59:59.999000+0000");  // -1 ms
  EXPECT_EQ(format_timestamp(std::numeric_limits<int64_t>::max()), "9223372036854775807");  // beyond year 9999
  EXPECT_EQ(cell("80000000", T(TypeId::date)), "1970-01-01");
  EXPECT_EQ(cell("80004d0c", T(TypeId::date)), "2024-01-02");  // 2^31 + 19724 days
  EXPECT_EQ(cell("00000000", T(TypeId::date)), "-2147483648");  // -5877641-06-23: beyond what cqlsh prints
  EXPECT_EQ(cell("00000362d417ae01", T(TypeId::time)), "01:02:03.000000001");
  EXPECT_EQ(format_date(-719162), "0001-01-01");
  EXPECT_EQ(format_date(2932896), "9999-12-31");
}

TEST(Format, FloatingPointLikeCqlsh) {
  EXPECT_EQ(format_value(Value::float64(1234.5678), T(TypeId::double_)), "1234.5678");
  EXPECT_EQ(format_value(Value::float64(0.1), T(TypeId::double_)), "0.1");
  EXPECT_EQ(format_value(Value::float64(0), T(TypeId::double_)), "0");
  EXPECT_EQ(format_value(Value::float64(1e20), T(TypeId::double_)), "1e+20");
  EXPECT_EQ(format_value(Value::float32(1.1f), T(TypeId::float_)), "1.1");
  EXPECT_EQ(format_value(Value::float32(123456.0f), T(TypeId::float_)), "1.2346e+05");
  EXPECT_EQ(format_value(Value::float64(std::nan("")), T(TypeId::double_)), "NaN");
  EXPECT_EQ(format_value(Value::float64(-INFINITY), T(TypeId::double_)), "-Infinity");
}

TEST(Format, VarintAndDecimal) {
  const std::pair<const char*, const char*> varints[] = {{"00", "0"},     {"7f", "127"},  {"0080", "128"},
                                                         {"ff", "-1"},    {"80", "-128"}, {"ff7f", "-129"},
                                                         {"0100000000000000000000", "1208925819614629174706176"}};
  for (auto [hex, text] : varints) EXPECT_EQ(cell(hex, T(TypeId::varint)), text) << hex;
  EXPECT_EQ(cell("00000002 3039", T(TypeId::decimal)), "123.45");       // 12345 scale 2
  EXPECT_EQ(cell("00000002 cfc7", T(TypeId::decimal)), "-123.45");      // -12345
  EXPECT_EQ(cell("00000000 00", T(TypeId::decimal)), "0");
  EXPECT_EQ(cell("00000005 01", T(TypeId::decimal)), "0.00001");        // 1E-5
  EXPECT_EQ(cell("00000008 01", T(TypeId::decimal)), "1E-8");           // Python's Decimal switches here
  EXPECT_EQ(cell("fffffffe 0c", T(TypeId::decimal)), "1.2E+3");         // 12 scale -2
}

TEST(Format, Duration) {
  EXPECT_EQ(cell("02 04 06", T(TypeId::duration)), "1mo2d3ns");
  // 14 months (zigzag 28), 0 days, 1h 1ms (3600001000000 ns, zigzag 7200002000000 = 0x68c618fc480 in 6 extra bytes).
  EXPECT_EQ(cell("1c 00 fc068c618fc480", T(TypeId::duration)), "1y2mo1h1ms");
  EXPECT_EQ(cell("01 00 00", T(TypeId::duration)), "-1mo");
}

TEST(Format, CollectionsQuoteTheirLiterals) {
  DataType list_text = DataType::list_of(T(TypeId::varchar));
  EXPECT_EQ(cell("00000002 00000001 61 00000004 69742773", list_text), "['a', 'it''s']");
  EXPECT_EQ(cell("00000002 00000004 00000001 00000004 00000002", DataType::set_of(T(TypeId::int_))), "{1, 2}");
  EXPECT_EQ(cell("00000001 00000001 6b 00000004 00000001", DataType::map_of(T(TypeId::varchar), T(TypeId::int_))),
            "{'k': 1}");
  EXPECT_EQ(cell("00000001 00000008 0000018cc820db2e", DataType::list_of(T(TypeId::timestamp))),
            "['2024-01-02 03:04:05.678000+0000']");
  EXPECT_EQ(cell("00000004 00000001 ffffffff", DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar)})),
            "(1, null)");
  DataType udt = DataType::of(TypeId::udt);
  udt.field_names = {"street", "zip"};
  udt.params = {T(TypeId::varchar), T(TypeId::int_)};
  EXPECT_EQ(cell("00000001 78 00000004 00000005", udt), "{street: 'x', zip: 5}");
  EXPECT_EQ(cell("00000000", list_text), "[]");
}

TEST(Format, UndecodableCellShowsItsBytes) {
  EXPECT_EQ(cell("000001", T(TypeId::int_)), "0x000001");
}

}  // namespace
}  // namespace sluice::cql
