#include "cql/wire_reader.h"

#include <cstring>

#include <fmt/format.h>

#include "cql/protocol_error.h"

namespace sluice::cql {

void WireReader::fail(Errc code, const std::string& what) const {
  throw ProtocolError(code, fmt::format("{} (at offset {})", what, pos_));
}

const char* WireReader::take(size_t n, const char* what) {
  if (n > remaining())
    fail(Errc::truncated, fmt::format("truncated frame: expected {} bytes for {}, {} left", n, what, remaining()));
  const char* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

void WireReader::check_count(uint64_t count, size_t min_each, const char* what) const {
  if (min_each > 0 && count > remaining() / min_each)
    fail(Errc::truncated, fmt::format("truncated frame: {} {} need at least {} bytes, {} left", count, what,
                                      count * min_each, remaining()));
}

uint8_t WireReader::read_byte() { return static_cast<uint8_t>(*take(1, "a [byte]")); }

uint16_t WireReader::read_short() {
  auto p = reinterpret_cast<const uint8_t*>(take(2, "a [short]"));
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

int32_t WireReader::read_int() {
  auto p = reinterpret_cast<const uint8_t*>(take(4, "an [int]"));
  return static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]);
}

int64_t WireReader::read_long() {
  auto p = reinterpret_cast<const uint8_t*>(take(8, "a [long]"));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return static_cast<int64_t>(v);
}

std::string WireReader::read_string() {
  uint16_t n = read_short();
  return std::string(take(n, "a [string]"), n);
}

std::string WireReader::read_long_string() {
  int32_t n = read_int();
  if (n < 0) fail(Errc::bad_value, fmt::format("[long string] with negative length {}", n));
  return std::string(take(static_cast<size_t>(n), "a [long string]"), static_cast<size_t>(n));
}

Uuid WireReader::read_uuid() {
  Uuid u;
  std::memcpy(u.data(), take(16, "a [uuid]"), 16);
  return u;
}

std::vector<std::string> WireReader::read_string_list() {
  uint16_t n = read_short();
  check_count(n, 2, "[string]s of a [string list]");
  std::vector<std::string> out;
  out.reserve(n);
  for (uint16_t i = 0; i < n; ++i) out.push_back(read_string());
  return out;
}

std::optional<std::string_view> WireReader::read_bytes_view() {
  int32_t n = read_int();
  if (n < 0) return std::nullopt;
  return std::string_view(take(static_cast<size_t>(n), "a [bytes]"), static_cast<size_t>(n));
}

Bytes WireReader::read_bytes() {
  auto v = read_bytes_view();
  if (!v) return std::nullopt;
  return std::string(*v);
}

BindValue WireReader::read_value() {
  int32_t n = read_int();
  if (n == -1) return BindValue::null();
  if (n == -2) return BindValue::unset();
  if (n < 0) fail(Errc::bad_value, fmt::format("[value] with length {} (only -1 null and -2 not set are valid)", n));
  return BindValue::of(std::string(take(static_cast<size_t>(n), "a [value]"), static_cast<size_t>(n)));
}

std::string WireReader::read_short_bytes() {
  uint16_t n = read_short();
  return std::string(take(n, "a [short bytes]"), n);
}

Inet WireReader::read_inetaddr() {
  Inet a;
  a.size = read_byte();
  if (a.size != 4 && a.size != 16)
    fail(Errc::bad_value, fmt::format("[inet] address of {} bytes (expected 4 or 16)", a.size));
  std::memcpy(a.bytes.data(), take(a.size, "an [inet] address"), a.size);
  return a;
}

Inet WireReader::read_inet() {
  Inet a = read_inetaddr();
  a.port = read_int();
  return a;
}

Consistency WireReader::read_consistency() { return static_cast<Consistency>(read_short()); }

StringMap WireReader::read_string_map() {
  uint16_t n = read_short();
  check_count(n, 4, "entries of a [string map]");
  StringMap out;
  for (uint16_t i = 0; i < n; ++i) {
    std::string k = read_string();
    out[std::move(k)] = read_string();
  }
  return out;
}

StringMultimap WireReader::read_string_multimap() {
  uint16_t n = read_short();
  check_count(n, 4, "entries of a [string multimap]");
  StringMultimap out;
  for (uint16_t i = 0; i < n; ++i) {
    std::string k = read_string();
    out[std::move(k)] = read_string_list();
  }
  return out;
}

BytesMap WireReader::read_bytes_map() {
  uint16_t n = read_short();
  check_count(n, 6, "entries of a [bytes map]");
  BytesMap out;
  for (uint16_t i = 0; i < n; ++i) {
    std::string k = read_string();
    out[std::move(k)] = read_bytes();
  }
  return out;
}

std::string_view WireReader::read_raw(size_t n, const char* what) { return std::string_view(take(n, what), n); }

}  // namespace sluice::cql
