#include "cql/wire_writer.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"

namespace sluice::cql {
namespace {

int32_t int_length(size_t n, const char* what) {
  if (n > 0x7fffffff) throw ProtocolError(Errc::oversize, fmt::format("{} of {} bytes does not fit an [int] length", what, n));
  return static_cast<int32_t>(n);
}

}  // namespace

uint16_t WireWriter::short_length(size_t n, const char* what) {
  if (n > 0xffff) throw ProtocolError(Errc::oversize, fmt::format("{} of {} items/bytes does not fit a [short] length", what, n));
  return static_cast<uint16_t>(n);
}

void WireWriter::put_byte(uint8_t v) { out_.push_back(static_cast<char>(v)); }

void WireWriter::put_short(uint16_t v) {
  out_.push_back(static_cast<char>(v >> 8));
  out_.push_back(static_cast<char>(v));
}

void WireWriter::put_int(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
  out_.append(b, 4);
}

void WireWriter::put_long(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(u >> (56 - 8 * i));
  out_.append(b, 8);
}

void WireWriter::put_string(std::string_view s) {
  put_short(short_length(s.size(), "[string]"));
  out_.append(s);
}

void WireWriter::put_long_string(std::string_view s) {
  put_int(int_length(s.size(), "[long string]"));
  out_.append(s);
}

void WireWriter::put_uuid(const Uuid& u) { out_.append(reinterpret_cast<const char*>(u.data()), u.size()); }

void WireWriter::put_string_list(const std::vector<std::string>& l) {
  put_short(short_length(l.size(), "[string list]"));
  for (const auto& s : l) put_string(s);
}

void WireWriter::put_bytes(std::string_view b) {
  put_int(int_length(b.size(), "[bytes]"));
  out_.append(b);
}

void WireWriter::put_bytes(const Bytes& b) {
  if (!b) return put_int(-1);
  put_bytes(std::string_view(*b));
}

void WireWriter::put_value(const BindValue& v) {
  switch (v.state) {
    case BindValue::State::null: return put_int(-1);
    case BindValue::State::not_set: return put_int(-2);
    case BindValue::State::set:
      put_int(int_length(v.bytes.size(), "[value]"));
      out_.append(v.bytes);
  }
}

void WireWriter::put_short_bytes(std::string_view b) {
  put_short(short_length(b.size(), "[short bytes]"));
  out_.append(b);
}

void WireWriter::put_inetaddr(const Inet& a) {
  if (a.size != 4 && a.size != 16)
    throw ProtocolError(Errc::bad_value, fmt::format("[inet] address of {} bytes (expected 4 or 16)", a.size));
  put_byte(a.size);
  out_.append(reinterpret_cast<const char*>(a.bytes.data()), a.size);
}

void WireWriter::put_inet(const Inet& a) {
  put_inetaddr(a);
  put_int(a.port);
}

void WireWriter::put_string_map(const StringMap& m) {
  put_short(short_length(m.size(), "[string map]"));
  for (const auto& [k, v] : m) {
    put_string(k);
    put_string(v);
  }
}

void WireWriter::put_string_multimap(const StringMultimap& m) {
  put_short(short_length(m.size(), "[string multimap]"));
  for (const auto& [k, v] : m) {
    put_string(k);
    put_string_list(v);
  }
}

void WireWriter::put_bytes_map(const BytesMap& m) {
  put_short(short_length(m.size(), "[bytes map]"));
  for (const auto& [k, v] : m) {
    put_string(k);
    put_bytes(v);
  }
}

void WireWriter::patch_int(size_t pos, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  out_[pos] = static_cast<char>(u >> 24);
  out_[pos + 1] = static_cast<char>(u >> 16);
  out_[pos + 2] = static_cast<char>(u >> 8);
  out_[pos + 3] = static_cast<char>(u);
}

}  // namespace sluice::cql
