#pragma once
// A CQL value, for binding parameters and reading cells: null, a scalar, or a
// collection / tuple / UDT of values.
//
// One plain struct rather than a variant, so that values nest (a list of tuples) and
// compare with ==. Which field holds the payload depends on the kind:
//   i      boolean (0/1), tinyint, smallint, int, bigint, counter, timestamp (ms since
//          the epoch), date (days since 1970-01-01, may be negative), time (ns since midnight)
//   f      float, double
//   uuid   uuid, timeuuid
//   bytes  text (UTF-8), blob, inet (4 or 16 address bytes), varint and decimal as
//          their raw wire bytes, duration as its three raw [vint]s
//   items  list, set, tuple and UDT (fields in type order); map as key, value, key, value...
// The CQL type is not part of the value: bind() checks a value against the column's
// DataType, decode_cell() reads a cell with it (value_codec.h).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/uuid.h"
#include "cql/wire_types.h"

namespace sluice::cql {

enum class ValueKind : uint8_t {
  null,
  boolean,
  tinyint,
  smallint,
  int_,
  bigint,  // also counter
  float_,
  double_,
  text,  // text, varchar, ascii
  blob,
  uuid,
  timeuuid,
  timestamp,
  date,
  time,
  inet,
  varint,
  decimal,
  duration,
  list,
  set,
  map,
  tuple,
  udt,
};

const char* kind_name(ValueKind k);

struct Value {
  ValueKind kind = ValueKind::null;
  int64_t i = 0;
  double f = 0;
  Uuid uuid{};
  std::string bytes;
  std::vector<Value> items;

  static Value null() { return {}; }
  static Value boolean(bool b) { return integral(ValueKind::boolean, b ? 1 : 0); }
  static Value tinyint(int8_t v) { return integral(ValueKind::tinyint, v); }
  static Value smallint(int16_t v) { return integral(ValueKind::smallint, v); }
  static Value int32(int32_t v) { return integral(ValueKind::int_, v); }
  static Value bigint(int64_t v) { return integral(ValueKind::bigint, v); }
  static Value float32(float v) { return floating(ValueKind::float_, v); }
  static Value float64(double v) { return floating(ValueKind::double_, v); }
  static Value text(std::string s) { return raw(ValueKind::text, std::move(s)); }
  static Value blob(std::string b) { return raw(ValueKind::blob, std::move(b)); }
  static Value uuid_of(const Uuid& u) { return id(ValueKind::uuid, u); }
  static Value timeuuid_of(const Uuid& u) { return id(ValueKind::timeuuid, u); }
  static Value timestamp_ms(int64_t ms) { return integral(ValueKind::timestamp, ms); }
  static Value date_days(int64_t days_since_epoch) { return integral(ValueKind::date, days_since_epoch); }
  static Value time_ns(int64_t ns_since_midnight) { return integral(ValueKind::time, ns_since_midnight); }
  static Value inet(const Inet& a);
  // Two's complement big-endian bytes, as on the wire (spec "varint").
  static Value varint_bytes(std::string b) { return raw(ValueKind::varint, std::move(b)); }
  // [int] scale then the unscaled varint, as on the wire.
  static Value decimal_bytes(std::string b) { return raw(ValueKind::decimal, std::move(b)); }
  static Value duration_bytes(std::string b) { return raw(ValueKind::duration, std::move(b)); }
  static Value list(std::vector<Value> v) { return nested(ValueKind::list, std::move(v)); }
  static Value set(std::vector<Value> v) { return nested(ValueKind::set, std::move(v)); }
  static Value map(std::vector<std::pair<Value, Value>> entries);
  static Value tuple(std::vector<Value> v) { return nested(ValueKind::tuple, std::move(v)); }
  static Value udt(std::vector<Value> fields) { return nested(ValueKind::udt, std::move(fields)); }

  bool is_null() const { return kind == ValueKind::null; }
  bool operator==(const Value&) const = default;

 private:
  static Value integral(ValueKind k, int64_t v) {
    Value x;
    x.kind = k;
    x.i = v;
    return x;
  }
  static Value floating(ValueKind k, double v) {
    Value x;
    x.kind = k;
    x.f = v;
    return x;
  }
  static Value raw(ValueKind k, std::string b) {
    Value x;
    x.kind = k;
    x.bytes = std::move(b);
    return x;
  }
  static Value id(ValueKind k, const Uuid& u) {
    Value x;
    x.kind = k;
    x.uuid = u;
    return x;
  }
  static Value nested(ValueKind k, std::vector<Value> v) {
    Value x;
    x.kind = k;
    x.items = std::move(v);
    return x;
  }
};

}  // namespace sluice::cql
