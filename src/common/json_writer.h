#pragma once
// Appending JSON text to a std::string: compact output, UTF-8 passed through as is,
// '"', '\\' and control characters escaped. The mapper's hot path; no allocation
// beyond the growth of the target string.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

namespace sluice {

// Builds one JSON document: every --json output, progress line and summary goes
// through it, so every string is escaped and commas come right by construction.
//
//   JsonWriter w;
//   w.begin_object().field("topic", topic).field("produced", n).key("source").begin_object()...
//   w.end_object();
//   std::cout << w.str();
//
// Numbers: integers as they are; doubles with `decimals` digits after the point (-1:
// the shortest text that reads back exactly); NaN and infinities become null.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v, int decimals = -1);
  JsonWriter& null();
  // Text that already is one JSON value (another writer's output).
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  JsonWriter& field(std::string_view k, double v, int decimals) {
    key(k);
    return value(v, decimals);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();  // the comma before a value or key, unless it follows a key or opens

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace sluice
