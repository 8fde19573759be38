#include "cql/value_codec.h"

#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"
#include "cql/wire_writer.h"

namespace sluice::cql {
namespace {

constexpr int64_t kDateEpoch = int64_t{1} << 31;  // a date is days since 1970 plus 2^31, unsigned

bool is_integer(ValueKind k) {
  return k == ValueKind::tinyint || k == ValueKind::smallint || k == ValueKind::int_ || k == ValueKind::bigint;
}

[[noreturn]] void mismatch(const Value& v, const DataType& t, std::string_view column, std::string_view why = {}) {
  std::string col = column.empty() ? "a column" : fmt::format("column {}", column);
  throw ProtocolError(Errc::type_mismatch, fmt::format("cannot bind {} to {} of type {}{}{}", kind_name(v.kind), col,
                                                       type_name(t), why.empty() ? "" : ": ", why));
}

void put_be(std::string& out, uint64_t v, int n) {
  for (int k = n - 1; k >= 0; --k) out.push_back(static_cast<char>(v >> (8 * k)));
}

std::string integer_bytes(const Value& v, const DataType& t, std::string_view column, int size) {
  if (!is_integer(v.kind)) mismatch(v, t, column);
  int64_t lo = size == 8 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (8 * size - 1));
  int64_t hi = size == 8 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (8 * size - 1)) - 1;
  if (v.i < lo || v.i > hi) mismatch(v, t, column, fmt::format("{} is out of its range", v.i));
  std::string out;
  put_be(out, static_cast<uint64_t>(v.i), size);
  return out;
}

// The shortest two's complement form (spec "varint": 128 is 00 80, -129 is FF 7F).
std::string varint_of(int64_t v) {
  std::string out;
  put_be(out, static_cast<uint64_t>(v), 8);
  size_t skip = 0;
  while (skip < 7) {
    auto b0 = static_cast<uint8_t>(out[skip]), b1 = static_cast<uint8_t>(out[skip + 1]);
    if ((b0 == 0x00 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80)))
      ++skip;
    else
      break;
  }
  return out.substr(skip);
}

void check_params(const DataType& t) {
  size_t want = t.id == TypeId::map ? 2 : 1;
  if (t.params.size() != want)
    throw ProtocolError(Errc::bad_value, fmt::format("{} type with {} parameters", type_name(t), t.params.size()));
}

std::string collection_bytes(const Value& v, const DataType& t, std::string_view column) {
  check_params(t);
  std::string out;
  WireWriter w(out);
  size_t per_entry = t.id == TypeId::map ? 2 : 1;
  w.put_int(static_cast<int32_t>(v.items.size() / per_entry));
  for (size_t k = 0; k < v.items.size(); ++k) {
    const DataType& et = t.params[per_entry == 2 ? k % 2 : 0];
    if (v.items[k].is_null()) mismatch(v, t, column, "a collection cannot hold null");
    w.put_bytes(std::string_view(serialize(v.items[k], et, column)));
  }
  return out;
}

std::string fields_bytes(const Value& v, const DataType& t, std::string_view column) {
  if (v.items.size() > t.params.size())
    mismatch(v, t, column, fmt::format("{} values for {} fields", v.items.size(), t.params.size()));
  std::string out;
  WireWriter w(out);
  for (size_t k = 0; k < v.items.size(); ++k) {
    if (v.items[k].is_null())
      w.put_int(-1);
    else
      w.put_bytes(std::string_view(serialize(v.items[k], t.params[k], column)));
  }
  return out;
}

}  // namespace

std::string serialize(const Value& v, const DataType& t, std::string_view column) {
  if (v.is_null()) mismatch(v, t, column, "null has no serialised form");
  std::string out;
  switch (t.id) {
    case TypeId::ascii:
      if (v.kind != ValueKind::text) mismatch(v, t, column);
      for (char c : v.bytes)
        if (static_cast<uint8_t>(c) > 0x7f) mismatch(v, t, column, "the text is not ASCII");
      return v.bytes;
    case TypeId::varchar:
      if (v.kind != ValueKind::text) mismatch(v, t, column);
      return v.bytes;
    case TypeId::blob:
    case TypeId::custom:
      if (v.kind != ValueKind::blob) mismatch(v, t, column);
      return v.bytes;
    case TypeId::boolean:
      if (v.kind != ValueKind::boolean) mismatch(v, t, column);
      return std::string(1, v.i ? '\1' : '\0');
    case TypeId::tinyint: return integer_bytes(v, t, column, 1);
    case TypeId::smallint: return integer_bytes(v, t, column, 2);
    case TypeId::int_: return integer_bytes(v, t, column, 4);
    case TypeId::bigint:
    case TypeId::counter: return integer_bytes(v, t, column, 8);
    case TypeId::timestamp:
      if (v.kind == ValueKind::timestamp || is_integer(v.kind)) {
        put_be(out, static_cast<uint64_t>(v.i), 8);
        return out;
      }
      mismatch(v, t, column);
    case TypeId::double_: {
      if (v.kind != ValueKind::double_ && v.kind != ValueKind::float_) mismatch(v, t, column);
      uint64_t bits;
      std::memcpy(&bits, &v.f, 8);
      put_be(out, bits, 8);
      return out;
    }
    case TypeId::float_: {
      if (v.kind != ValueKind::float_ && v.kind != ValueKind::double_) mismatch(v, t, column);
      auto f = static_cast<float>(v.f);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put_be(out, bits, 4);
      return out;
    }
    case TypeId::uuid:
    case TypeId::timeuuid:
      if (v.kind != ValueKind::uuid && v.kind != ValueKind::timeuuid) mismatch(v, t, column);
      if (t.id == TypeId::timeuuid && (v.uuid[6] >> 4) != 1)
        mismatch(v, t, column, fmt::format("a timeuuid must be a version 1 UUID, this one is version {}",
                                           v.uuid[6] >> 4));
      return std::string(reinterpret_cast<const char*>(v.uuid.data()), 16);
    case TypeId::date:
      if (v.kind != ValueKind::date) mismatch(v, t, column);
      if (v.i < -kDateEpoch || v.i >= kDateEpoch) mismatch(v, t, column, "the day is out of range");
      put_be(out, static_cast<uint64_t>(v.i + kDateEpoch), 4);
      return out;
    case TypeId::time:
      if (v.kind != ValueKind::time) mismatch(v, t, column);
      if (v.i < 0 || v.i >= 86'400'000'000'000) mismatch(v, t, column, "a time is 0 to 86399999999999 ns");
      put_be(out, static_cast<uint64_t>(v.i), 8);
      return out;
    case TypeId::inet:
      if (v.kind != ValueKind::inet || (v.bytes.size() != 4 && v.bytes.size() != 16)) mismatch(v, t, column);
      return v.bytes;
    case TypeId::varint:
      if (is_integer(v.kind)) return varint_of(v.i);
      if (v.kind != ValueKind::varint || v.bytes.empty()) mismatch(v, t, column);
      return v.bytes;
    case TypeId::decimal:
      if (v.kind != ValueKind::decimal || v.bytes.size() < 5) mismatch(v, t, column);
      return v.bytes;
    case TypeId::duration:
      if (v.kind != ValueKind::duration) mismatch(v, t, column);
      return v.bytes;
    case TypeId::list:
    case TypeId::set:
      if (v.kind != ValueKind::list && v.kind != ValueKind::set) mismatch(v, t, column);
      return collection_bytes(v, t, column);
    case TypeId::map:
      if (v.kind != ValueKind::map || v.items.size() % 2) mismatch(v, t, column);
      return collection_bytes(v, t, column);
    case TypeId::tuple:
      if (v.kind != ValueKind::tuple) mismatch(v, t, column);
      return fields_bytes(v, t, column);
    case TypeId::udt:
      if (v.kind != ValueKind::udt) mismatch(v, t, column);
      return fields_bytes(v, t, column);
  }
  mismatch(v, t, column);
}

BindValue bind(const Value& v, const DataType& t, std::string_view column) {
  if (v.is_null()) return BindValue::null();
  return BindValue::of(serialize(v, t, column));
}

Value decode_cell(const Bytes& cell, const DataType& t) {
  if (!cell) return Value::null();
  return deserialize(*cell, t);
}

namespace {

[[noreturn]] void bad_size(const DataType& t, size_t got, const char* want) {
  throw ProtocolError(Errc::bad_value, fmt::format("{} cell of {} bytes (expected {})", type_name(t), got, want));
}

uint64_t get_be(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

int64_t signed_of(std::string_view b, const DataType& t, size_t size) {
  if (b.size() != size) bad_size(t, b.size(), size == 1 ? "1" : size == 2 ? "2" : size == 4 ? "4" : "8");
  uint64_t u = get_be(b);
  if (size < 8 && (u >> (8 * size - 1)) & 1) u |= ~uint64_t{0} << (8 * size);  // sign-extend
  return static_cast<int64_t>(u);
}

std::vector<Value> read_elements(WireReader& r, const DataType& t, size_t count, size_t per_entry) {
  std::vector<Value> items;
  items.reserve(count * per_entry);
  for (size_t k = 0; k < count * per_entry; ++k)
    items.push_back(decode_cell(r.read_bytes(), t.params[per_entry == 2 ? k % 2 : 0]));
  return items;
}

}  // namespace

Value deserialize(std::string_view b, const DataType& t) {
  switch (t.id) {
    case TypeId::ascii:
    case TypeId::varchar: return Value::text(std::string(b));
    case TypeId::blob:
    case TypeId::custom: return Value::blob(std::string(b));
    default: break;
  }
  if (b.empty() && t.id != TypeId::list && t.id != TypeId::set && t.id != TypeId::map && t.id != TypeId::tuple &&
      t.id != TypeId::udt)
    return Value::null();  // the legacy "empty" value of a fixed-size type
  switch (t.id) {
    case TypeId::boolean:
      if (b.size() != 1) bad_size(t, b.size(), "1");
      return Value::boolean(b[0] != 0);
    case TypeId::tinyint: return Value::tinyint(static_cast<int8_t>(signed_of(b, t, 1)));
    case TypeId::smallint: return Value::smallint(static_cast<int16_t>(signed_of(b, t, 2)));
    case TypeId::int_: return Value::int32(static_cast<int32_t>(signed_of(b, t, 4)));
    case TypeId::bigint:
    case TypeId::counter: return Value::bigint(signed_of(b, t, 8));
    case TypeId::timestamp: return Value::timestamp_ms(signed_of(b, t, 8));
    case TypeId::time: return Value::time_ns(signed_of(b, t, 8));
    case TypeId::date:
      if (b.size() != 4) bad_size(t, b.size(), "4");
      return Value::date_days(static_cast<int64_t>(get_be(b)) - kDateEpoch);
    case TypeId::double_: {
      uint64_t bits = static_cast<uint64_t>(signed_of(b, t, 8));
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::float64(d);
    }
    case TypeId::float_: {
      auto bits = static_cast<uint32_t>(signed_of(b, t, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      return Value::float32(f);
    }
    case TypeId::uuid:
    case TypeId::timeuuid: {
      if (b.size() != 16) bad_size(t, b.size(), "16");
      Uuid u;
      std::memcpy(u.data(), b.data(), 16);
      return t.id == TypeId::uuid ? Value::uuid_of(u) : Value::timeuuid_of(u);
    }
    case TypeId::inet: {
      if (b.size() != 4 && b.size() != 16) bad_size(t, b.size(), "4 or 16");
      Value v = Value::blob(std::string(b));
      v.kind = ValueKind::inet;
      return v;
    }
    case TypeId::varint: return Value::varint_bytes(std::string(b));
    case TypeId::decimal:
      if (b.size() < 5) bad_size(t, b.size(), "at least 5");
      return Value::decimal_bytes(std::string(b));
    case TypeId::duration: return Value::duration_bytes(std::string(b));
    default: break;
  }
  WireReader r(b);
  Value v;
  switch (t.id) {
    case TypeId::list:
    case TypeId::set:
    case TypeId::map: {
      int32_t n = r.read_int();
      size_t per_entry = t.id == TypeId::map ? 2 : 1;
      if (n < 0) r.fail(Errc::bad_value, fmt::format("{} with {} elements", type_name(t), n));
      check_params(t);
      r.check_count(static_cast<uint64_t>(n) * per_entry, 4, "collection elements");
      v.kind = t.id == TypeId::list ? ValueKind::list : t.id == TypeId::set ? ValueKind::set : ValueKind::map;
      v.items = read_elements(r, t, static_cast<size_t>(n), per_entry);
      return v;
    }
    case TypeId::tuple:
    case TypeId::udt:
      // Fields in type order; a UDT value may stop before its last fields (spec 7).
      v.kind = t.id == TypeId::tuple ? ValueKind::tuple : ValueKind::udt;
      for (size_t k = 0; k < t.params.size() && !r.empty(); ++k) v.items.push_back(decode_cell(r.read_bytes(), t.params[k]));
      return v;
    default: break;
  }
  throw ProtocolError(Errc::bad_value, fmt::format("cannot decode a cell of {}", type_name(t)));
}

}  // namespace sluice::cql
