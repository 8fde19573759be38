#include "table/row_text.h"

#include <charconv>
#include <cstdlib>

namespace sluice::table {

std::string canonical_real(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  return std::string(buf, r.ptr);
}

std::optional<std::string> canonical(const Value& v) {
  using K = Value::Kind;
  switch (v.kind) {
    case K::null: return std::nullopt;
    case K::text: return std::string(v.text);
    case K::integer:
    case K::timestamp: return std::to_string(v.integer);
    case K::real: return canonical_real(v.real);
    case K::boolean: return v.boolean ? "true" : "false";
    case K::uuid: return format_uuid(v.uuid);
  }
  return std::nullopt;
}

std::string encode_fields(const Fields& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!f) {
      out += 'N';
      continue;
    }
    out += 'V';
    out += std::to_string(f->size());
    out += ':';
    out += *f;
  }
  return out;
}

Fields decode_fields(std::string_view s) {
  Fields out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == 'N') {
      out.emplace_back();
      ++i;
      continue;
    }
    size_t colon = s.find(':', i);
    if (s[i] != 'V' || colon == std::string_view::npos) break;  // not ours: stop
    size_t n = std::strtoull(std::string(s.substr(i + 1, colon - i - 1)).c_str(), nullptr, 10);
    out.emplace_back(std::string(s.substr(colon + 1, n)));
    i = colon + 1 + n;
  }
  return out;
}

}  // namespace sluice::table
