#include "common/json_writer.h"

#include <simdjson.h>

#include <cstring>

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

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Fast path: most values need no escaping at all; find the first byte that does.
  size_t first = 0;
  while (first + 8 <= s.size()) {
    uint64_t v;
    std::memcpy(&v, s.data() + first, 8);
    if (any_special(v)) break;
    first += 8;
  }
  while (first < s.size() && !needs_escape(static_cast<unsigned char>(s[first]))) ++first;
  if (first == s.size()) {
    out.append(s);
    return;
  }
  size_t start = 0;
  for (size_t i = first; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + start, i - start);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(buf, 6);
      }
    }
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace sluice
