#include "cql/value_format.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "common/uuid.h"
#include "cql/hex.h"
#include "cql/protocol_error.h"
#include "cql/value_codec.h"

namespace sluice::cql {
namespace {

// Days of 0001-01-01 and 9999-12-31 from the epoch: the years cqlsh can print.
constexpr int64_t kFirstDay = -719162;
constexpr int64_t kLastDay = 2932896;

struct Civil {
  int year;
  unsigned month, day;
};

Civil civil(int64_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// cqlsh: `'%.*g' % (precision, v)`, with the digits left of the point added to the
// precision when %g would not switch to an exponent anyway.
std::string format_floating(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (std::fabs(v) > 2.220446049250313e-16) {
    auto exponent = static_cast<int>(std::log10(std::fabs(v)));  // truncated, as Python's int()
    if (exponent >= -4 && exponent < precision) precision += exponent + 1;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// Decimal digits of a big-endian unsigned magnitude (repeated division by 10).
std::string magnitude_digits(std::string bytes) {
  std::string digits;
  size_t start = 0;
  while (start < bytes.size() && bytes[start] == 0) ++start;
  while (start < bytes.size()) {
    unsigned rem = 0;
    for (size_t k = start; k < bytes.size(); ++k) {
      unsigned cur = rem << 8 | static_cast<uint8_t>(bytes[k]);
      bytes[k] = static_cast<char>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
    while (start < bytes.size() && bytes[start] == 0) ++start;
  }
  if (digits.empty()) digits = "0";
  return std::string(digits.rbegin(), digits.rend());
}

// Sign and decimal digits of a two's complement varint.
std::pair<bool, std::string> varint_parts(std::string_view b) {
  if (b.empty()) return {false, "0"};
  bool negative = static_cast<uint8_t>(b[0]) & 0x80;
  std::string mag(b);
  if (negative) {  // magnitude = ~x + 1
    for (char& c : mag) c = static_cast<char>(~static_cast<uint8_t>(c));
    for (size_t k = mag.size(); k-- > 0;)
      if (++reinterpret_cast<uint8_t&>(mag[k]) != 0) break;
  }
  return {negative, magnitude_digits(std::move(mag))};
}

bool read_vint(std::string_view& b, int64_t& out) {
  if (b.empty()) return false;
  auto first = static_cast<uint8_t>(b[0]);
  int extra = 0;
  while (extra < 8 && (first & (0x80 >> extra))) ++extra;
  if (b.size() < static_cast<size_t>(1 + extra)) return false;
  uint64_t v = extra == 8 ? 0 : first & (0xff >> extra);
  for (int k = 1; k <= extra; ++k) v = v << 8 | static_cast<uint8_t>(b[static_cast<size_t>(k)]);
  b.remove_prefix(static_cast<size_t>(1 + extra));
  out = static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);  // zigzag
  return true;
}

bool quoted_in_collections(TypeId id) {
  return id == TypeId::ascii || id == TypeId::varchar || id == TypeId::timestamp || id == TypeId::date ||
         id == TypeId::time || id == TypeId::inet;
}

std::string format_nested(const Value& v, const DataType& t);

std::string join(const Value& v, const DataType& t, const char* open, const char* close) {
  std::string out = open;
  bool is_map = v.kind == ValueKind::map;
  for (size_t k = 0; k < v.items.size(); ++k) {
    if (k) out += is_map && k % 2 ? ": " : ", ";
    if (v.kind == ValueKind::udt && k < t.field_names.size()) out += t.field_names[k] + ": ";
    const DataType* et = nullptr;
    if (v.kind == ValueKind::list || v.kind == ValueKind::set) et = t.params.empty() ? nullptr : &t.params[0];
    if (is_map) et = t.params.size() < 2 ? nullptr : &t.params[k % 2];
    if (v.kind == ValueKind::tuple || v.kind == ValueKind::udt) et = k < t.params.size() ? &t.params[k] : nullptr;
    out += et ? format_nested(v.items[k], *et) : "?";
  }
  return out + close;
}

std::string format_nested(const Value& v, const DataType& t) {
  if (!v.is_null() && quoted_in_collections(t.id)) return quoted(format_value(v, t));
  return format_value(v, t);
}

}  // namespace

std::string format_timestamp(int64_t ms) {
  int64_t days = floor_div(ms, 86'400'000);
  if (days < kFirstDay || days > kLastDay) return std::to_string(ms);
  int64_t in_day = ms - days * 86'400'000;
  Civil c = civil(days);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}000+0000", c.year, c.month, c.day, in_day / 3'600'000,
                     in_day / 60'000 % 60, in_day / 1000 % 60, in_day % 1000);
}

std::string format_date(int64_t days) {
  if (days < kFirstDay || days > kLastDay) return std::to_string(days);
  Civil c = civil(days);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::string format_time(int64_t ns) {
  if (ns < 0 || ns >= 86'400'000'000'000) return std::to_string(ns);
  int64_t s = ns / 1'000'000'000;
  return fmt::format("{:02}:{:02}:{:02}.{:09}", s / 3600, s / 60 % 60, s % 60, ns % 1'000'000'000);
}

std::string format_varint(std::string_view b) {
  auto [negative, digits] = varint_parts(b);
  return (negative ? "-" : "") + digits;
}

// Python's str(Decimal): plain notation when the exponent is <= 0 and the number has
// no more than 6 leading zeros after the point, scientific otherwise.
std::string format_decimal(std::string_view b) {
  if (b.size() < 4) return "0x" + to_hex(b);
  auto scale = static_cast<int32_t>(uint32_t{static_cast<uint8_t>(b[0])} << 24 |
                                    uint32_t{static_cast<uint8_t>(b[1])} << 16 |
                                    uint32_t{static_cast<uint8_t>(b[2])} << 8 | static_cast<uint8_t>(b[3]));
  auto [negative, d] = varint_parts(b.substr(4));
  int64_t exponent = -int64_t{scale};
  int64_t n = static_cast<int64_t>(d.size());
  int64_t left = exponent + n;
  int64_t dot = exponent <= 0 && left > -6 ? left : 1;
  std::string s = negative ? "-" : "";
  if (dot <= 0)
    s += "0." + std::string(static_cast<size_t>(-dot), '0') + d;
  else if (dot >= n)
    s += d + std::string(static_cast<size_t>(dot - n), '0');
  else
    s += d.substr(0, static_cast<size_t>(dot)) + "." + d.substr(static_cast<size_t>(dot));
  if (left != dot) s += fmt::format("E{:+}", left - dot);
  return s;
}

// As Cassandra writes durations: the largest units first, zero units left out.
std::string format_duration(std::string_view b) {
  int64_t months, days, nanos;
  std::string_view rest = b;
  if (!read_vint(rest, months) || !read_vint(rest, days) || !read_vint(rest, nanos)) return "0x" + to_hex(b);
  std::string s = months < 0 || days < 0 || nanos < 0 ? "-" : "";
  auto part = [&](uint64_t& value, uint64_t unit, const char* name) {
    if (value >= unit) s += fmt::format("{}{}", value / unit, name);
    value %= unit;
  };
  uint64_t m = static_cast<uint64_t>(months < 0 ? -months : months);
  uint64_t d = static_cast<uint64_t>(days < 0 ? -days : days);
  uint64_t ns = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  part(m, 12, "y");
  part(m, 1, "mo");
  part(d, 1, "d");
  part(ns, 3'600'000'000'000, "h");
  part(ns, 60'000'000'000, "m");
  part(ns, 1'000'000'000, "s");
  part(ns, 1'000'000, "ms");
  part(ns, 1'000, "us");
  part(ns, 1, "ns");
  if (s.empty() || s == "-") s = "0s";
  return s;
}

std::string format_value(const Value& v, const DataType& t) {
  switch (v.kind) {
    case ValueKind::null: return "null";
    case ValueKind::boolean: return v.i ? "True" : "False";
    case ValueKind::tinyint:
    case ValueKind::smallint:
    case ValueKind::int_:
    case ValueKind::bigint: return std::to_string(v.i);
    case ValueKind::float_: return format_floating(v.f, 5);
    case ValueKind::double_: return format_floating(v.f, 12);
    case ValueKind::text: return v.bytes;
    case ValueKind::blob: return "0x" + to_hex(v.bytes);
    case ValueKind::uuid:
    case ValueKind::timeuuid: return format_uuid(v.uuid);
    case ValueKind::timestamp: return format_timestamp(v.i);
    case ValueKind::date: return format_date(v.i);
    case ValueKind::time: return format_time(v.i);
    case ValueKind::inet: {
      Inet a;
      a.size = static_cast<uint8_t>(v.bytes.size());
      for (size_t k = 0; k < v.bytes.size() && k < 16; ++k) a.bytes[k] = static_cast<uint8_t>(v.bytes[k]);
      return a.address();
    }
    case ValueKind::varint: return format_varint(v.bytes);
    case ValueKind::decimal: return format_decimal(v.bytes);
    case ValueKind::duration: return format_duration(v.bytes);
    case ValueKind::list: return join(v, t, "[", "]");
    case ValueKind::set: return join(v, t, "{", "}");
    case ValueKind::map: return join(v, t, "{", "}");
    case ValueKind::tuple: return join(v, t, "(", ")");
    case ValueKind::udt: return join(v, t, "{", "}");
  }
  return "?";
}

std::string format_cell(const Bytes& cell, const DataType& t) {
  try {
    return format_value(decode_cell(cell, t), t);
  } catch (const ProtocolError&) {
    return "0x" + to_hex(*cell);  // decode_cell throws only for a present cell
  }
}

}  // namespace sluice::cql
