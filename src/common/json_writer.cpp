#include "common/json_writer.h"

#include <simdjson.h>

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <iterator>

#include "common/copy_bytes.h"

namespace sluice {
namespace {

// 0: copy as is; 1: needs escaping.
constexpr bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

// True if any of the 8 bytes of `v` is a control character, '"' or '\\' (SWAR: no
// branch per byte; bytes >= 0x80, UTF-8, never match).
inline bool any_special(uint64_t v) {
  constexpr uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return (x - ones) & ~x & high; };
  uint64_t below_space = (v - ones * 0x20) & ~v & high;
  return (below_space | has_zero(v ^ (ones * '"')) | has_zero(v ^ (ones * '\\'))) != 0;
}

namespace {

// The length of the prefix of `s` that needs no escaping (8 bytes a step while it can).
size_t plain_prefix(std::string_view s) {
  size_t first = 0;
  while (first + 8 <= s.size()) {
    uint64_t v;
    std::memcpy(&v, s.data() + first, 8);
    if (any_special(v)) break;
    first += 8;
  }
  while (first < s.size() && !needs_escape(static_cast<unsigned char>(s[first]))) ++first;
  return first;
}

// write_json_escaped() for a string whose first `first` bytes need no escaping.
char* write_escaped_from(char* out, std::string_view s, size_t first) {
  static constexpr char kHex[] = "0123456789abcdef";
  out = copy_bytes(out, s.data(), first);
  for (size_t i = first; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) {
      *out++ = static_cast<char>(c);
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '\n': *out++ = 'n'; break;
      case '\r': *out++ = 'r'; break;
      case '\t': *out++ = 't'; break;
      case '\b': *out++ = 'b'; break;
      case '\f': *out++ = 'f'; break;
      default: {
        const char u[5] = {'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out = copy_bytes(out, u, 5);
      }
    }
  }
  return out;
}

}  // namespace

char* write_json_escaped(char* out, std::string_view s) { return write_escaped_from(out, s, plain_prefix(s)); }

void append_json_escaped(std::string& out, std::string_view s) {
  size_t first = plain_prefix(s);
  if (first == s.size()) {  // most values need no escaping at all
    out.append(s);
    return;
  }
  size_t at = out.size();
  out.resize(at + 6 * s.size());
  out.resize(static_cast<size_t>(write_escaped_from(out.data() + at, s, first) - out.data()));
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace sluice

namespace sluice {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_.push_back(',');
  first_.back() = false;
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  append_json_string(out_, k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(double v, int decimals) {
  if (!std::isfinite(v)) return null();
  separate();
  if (decimals < 0) fmt::format_to(std::back_inserter(out_), "{}", v);
  else fmt::format_to(std::back_inserter(out_), "{:.{}f}", v, decimals);
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace sluice
