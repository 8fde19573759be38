#pragma once
// Appending JSON text to a std::string: compact output, UTF-8 passed through as is,
// '"', '\\' and control characters escaped. The mapper's hot path; no allocation
// beyond the growth of the target string.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

// Appends the escaped form of `s` without surrounding quotes.
void append_json_escaped(std::string& out, std::string_view s);
// Writes the escaped form of `s` at `out`, which must have room for 6 * s.size()
// bytes (the longest escape, \u00XX); returns the end of what it wrote.
char* write_json_escaped(char* out, std::string_view s);
// Appends "s" (quoted and escaped).
inline void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}
// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace sluice
