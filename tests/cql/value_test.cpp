// Typed values: serialised forms of spec v4 section 6 / v5 section 5, round trips of
// every kind, and the errors of binding a value to the wrong column type.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "cql/hex.h"
#include "cql/hex_bytes.h"
#include "cql/protocol_error.h"
#include "cql/value_codec.h"

namespace sluice::cql {
namespace {

DataType T(TypeId id) { return DataType::of(id); }

struct Case {
  Value value;
  DataType type;
  const char* hex;  // the serialised form, worked out from the spec
};

std::vector<Case> cases() {
  Uuid u = *parse_uuid("109cc029-1c67-46d9-981a-8ac3dfeac5cd");
  Uuid tu = *parse_uuid("c0a6c2b0-a9e4-11ee-8c90-0242ac120002");  // version 1
  Inet v4;
  v4.size = 4;
  v4.bytes = {10, 0, 0, 1};
  DataType udt = DataType::of(TypeId::udt);
  udt.udt_keyspace = "ks";
  udt.udt_name = "addr";
  udt.field_names = {"street", "zip"};
  udt.params = {T(TypeId::varchar), T(TypeId::int_)};
  return {
      {Value::boolean(true), T(TypeId::boolean), "01"},
      {Value::boolean(false), T(TypeId::boolean), "00"},
      {Value::tinyint(-1), T(TypeId::tinyint), "ff"},
      {Value::smallint(-2), T(TypeId::smallint), "fffe"},
      {Value::int32(42), T(TypeId::int_), "0000002a"},
      {Value::bigint(-42), T(TypeId::bigint), "ffffffffffffffd6"},
      {Value::bigint(7), T(TypeId::counter), "0000000000000007"},
      {Value::float32(1.5f), T(TypeId::float_), "3fc00000"},              // IEEE 754: sign 0, exp 127, mantissa .1
      {Value::float64(-2.0), T(TypeId::double_), "c000000000000000"},
      {Value::text("héllo"), T(TypeId::varchar), "68c3a96c6c6f"},         // UTF-8 as is
      {Value::text("abc"), T(TypeId::ascii), "616263"},
      {Value::blob(H("cafe")), T(TypeId::blob), "cafe"},
      {Value::uuid_of(u), T(TypeId::uuid), "109cc0291c6746d9981a8ac3dfeac5cd"},
      {Value::timeuuid_of(tu), T(TypeId::timeuuid), "c0a6c2b0a9e411ee8c900242ac120002"},
      {Value::timestamp_ms(1704164645678), T(TypeId::timestamp), "0000018cc820db2e"},  // 2024-01-02 03:04:05.678
      {Value::date_days(0), T(TypeId::date), "80000000"},                 // 1970-01-01 is 2^31
      {Value::date_days(-1), T(TypeId::date), "7fffffff"},
      {Value::time_ns(3723000000001), T(TypeId::time), "00000362d417ae01"},  // 01:02:03.000000001
      {Value::inet(v4), T(TypeId::inet), "0a000001"},
      {Value::varint_bytes(H("0080")), T(TypeId::varint), "0080"},        // 128, the spec's example
      {Value::decimal_bytes(H("00000002 3039")), T(TypeId::decimal), "000000023039"},  // 123.45
      {Value::duration_bytes(H("02 04 06")), T(TypeId::duration), "020406"},  // 1mo 2d 3ns, zigzag vints
      {Value::list({Value::int32(1), Value::int32(2)}), DataType::list_of(T(TypeId::int_)),
       "00000002 00000004 00000001 00000004 00000002"},
      {Value::set({Value::text("a")}), DataType::set_of(T(TypeId::varchar)), "00000001 00000001 61"},
      {Value::map({{Value::text("k"), Value::int32(1)}}), DataType::map_of(T(TypeId::varchar), T(TypeId::int_)),
       "00000001 00000001 6b 00000004 00000001"},
      {Value::tuple({Value::int32(1), Value::null()}), DataType::tuple_of({T(TypeId::int_), T(TypeId::varchar)}),
       "00000004 00000001 ffffffff"},
      {Value::udt({Value::text("x"), Value::int32(5)}), udt, "00000001 78 00000004 00000005"},
  };
}

TEST(Values, SerialisedFormsAndRoundTrips) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(type_name(c.type) + " " + c.hex);
    std::string bytes = serialize(c.value, c.type);
    EXPECT_EQ(to_hex(bytes), to_hex(H(c.hex)));
    EXPECT_EQ(deserialize(bytes, c.type), c.value);
    BindValue b = bind(c.value, c.type);
    EXPECT_EQ(b.state, BindValue::State::set);
    EXPECT_EQ(decode_cell(b.bytes, c.type), c.value);
  }
}

TEST(Values, NullAndEmpty) {
  EXPECT_EQ(bind(Value::null(), T(TypeId::int_)), BindValue::null());
  EXPECT_TRUE(decode_cell(std::nullopt, T(TypeId::int_)).is_null());
  EXPECT_TRUE(decode_cell(std::string(), T(TypeId::int_)).is_null());     // legacy empty value
  EXPECT_EQ(decode_cell(std::string(), T(TypeId::varchar)), Value::text(""));  // an empty string is a value
}

TEST(Values, IntegersWidenWithinRange) {
  EXPECT_EQ(to_hex(serialize(Value::int32(5), T(TypeId::bigint))), "0000000000000005");
  EXPECT_EQ(to_hex(serialize(Value::bigint(-3), T(TypeId::tinyint))), "fd");
  EXPECT_EQ(to_hex(serialize(Value::int32(1000), T(TypeId::timestamp))), "00000000000003e8");
  EXPECT_EQ(to_hex(serialize(Value::float32(1.5f), T(TypeId::double_))), "3ff8000000000000");
  // varint from integers: the shortest two's complement, as the spec's table.
  const std::pair<int64_t, const char*> varints[] = {{0, "00"},     {1, "01"},   {127, "7f"},  {128, "0080"},
                                                     {129, "0081"}, {-1, "ff"},  {-128, "80"}, {-129, "ff7f"}};
  for (auto [v, hex] : varints) EXPECT_EQ(to_hex(serialize(Value::bigint(v), T(TypeId::varint))), hex) << v;
}

std::string mismatch_message(const Value& v, const DataType& t, std::string_view column = {}) {
  try {
    bind(v, t, column);
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), Errc::type_mismatch);
    return e.what();
  }
  return "no error";
}

TEST(Values, MismatchesNameBothSides) {
  EXPECT_EQ(mismatch_message(Value::text("x"), T(TypeId::int_), "age"), "cannot bind text to column age of type int");
  EXPECT_EQ(mismatch_message(Value::int32(1), T(TypeId::varchar)), "cannot bind int to a column of type text");
  EXPECT_EQ(mismatch_message(Value::int32(300), T(TypeId::tinyint)),
            "cannot bind int to a column of type tinyint: 300 is out of its range");
  EXPECT_EQ(mismatch_message(Value::text("é"), T(TypeId::ascii)),
            "cannot bind text to a column of type ascii: the text is not ASCII");
  Uuid v4 = *parse_uuid("109cc029-1c67-46d9-981a-8ac3dfeac5cd");
  EXPECT_EQ(mismatch_message(Value::uuid_of(v4), T(TypeId::timeuuid)),
            "cannot bind uuid to a column of type timeuuid: a timeuuid must be a version 1 UUID, this one is version 4");
  EXPECT_EQ(mismatch_message(Value::list({Value::null()}), DataType::list_of(T(TypeId::int_))),
            "cannot bind list to a column of type list<int>: a collection cannot hold null");
  EXPECT_EQ(mismatch_message(Value::blob("x"), T(TypeId::uuid)), "cannot bind blob to a column of type uuid");
  EXPECT_EQ(mismatch_message(Value::time_ns(-1), T(TypeId::time)),
            "cannot bind time to a column of type time: a time is 0 to 86399999999999 ns");
  EXPECT_EQ(mismatch_message(Value::tuple({Value::int32(1), Value::int32(2)}), DataType::tuple_of({T(TypeId::int_)})),
            "cannot bind tuple to a column of type tuple<int>: 2 values for 1 fields");
}

TEST(Values, CellsOfTheWrongSizeAreRefused) {
  EXPECT_THROW(deserialize(H("000001"), T(TypeId::int_)), ProtocolError);
  EXPECT_THROW(deserialize(H("0102"), T(TypeId::uuid)), ProtocolError);
  EXPECT_THROW(deserialize(H("0102"), T(TypeId::inet)), ProtocolError);
  EXPECT_THROW(deserialize(H("00000005 00000001 61"), DataType::list_of(T(TypeId::varchar))), ProtocolError);
  EXPECT_THROW(deserialize(H("7fffffff"), DataType::list_of(T(TypeId::varchar))), ProtocolError);
}

TEST(Values, UdtMayEndBeforeItsLastFields) {
  DataType udt = DataType::of(TypeId::udt);
  udt.params = {T(TypeId::int_), T(TypeId::int_)};
  udt.field_names = {"a", "b"};
  Value v = deserialize(H("00000004 00000001"), udt);
  EXPECT_EQ(v, Value::udt({Value::int32(1)}));
}

TEST(Values, NaNSurvives) {
  Value v = deserialize(serialize(Value::float64(std::nan("")), T(TypeId::double_)), T(TypeId::double_));
  EXPECT_TRUE(std::isnan(v.f));
}

}  // namespace
}  // namespace sluice::cql
