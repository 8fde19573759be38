#include "mapping/mapping.h"

#include "common/error.h"
#include "common/json_writer.h"

namespace sluice::mapping {
namespace {

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = p.find('.', start);
    out.emplace_back(p.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool valid_path(const std::vector<std::string>& parts) {
  for (const auto& p : parts) {
    if (p.empty()) return false;
    for (char c : p)
      if (c == '"' || c == '\\' || c == ' ' || c == '(' || c == ')' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

Mapping Mapping::compile(const std::vector<std::pair<std::string, std::string>>& fields,
                         std::string_view key_field) {
  Mapping m;
  if (fields.empty()) throw UsageError("mapping.fields: no output fields configured");
  for (const auto& field : fields) {
    const std::string& name = field.first;  // not a structured binding: lambdas capture these
    const std::string& tmpl = field.second;
    auto fail = [&](const std::string& why) {
      throw UsageError("mapping.fields." + name + ": " + why + " in template \"" + tmpl + "\"");
    };
    Field f;
    f.name = name;
    f.json_prefix = m.fields_.empty() ? "{" : ",";
    append_json_string(f.json_prefix, name);
    f.json_prefix += ":\"";
    std::string text;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      char c = tmpl[i];
      if (c == '}') {
        if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
          text += '}';
          ++i;
          continue;
        }
        fail("unmatched '}' (write }} for a literal brace)");
      }
      if (c != '{') {
        text += c;
        continue;
      }
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
        text += '{';
        ++i;
        continue;
      }
      size_t close = tmpl.find('}', i + 1);
      if (close == std::string::npos) fail("unclosed '{'");
      std::string_view inner = std::string_view(tmpl).substr(i + 1, close - i - 1);
      if (!text.empty()) f.parts.push_back({Part::Kind::text, std::move(text), {}, 0}), text.clear();
      if (inner == "uuid4()") {
        f.parts.push_back({Part::Kind::uuid, {}, {}, 0});
      } else if (inner.find('(') != std::string_view::npos) {
        fail("unknown function {" + std::string(inner) + "} (known: {uuid4()})");
      } else {
        auto parts = split_path(inner);
        if (!valid_path(parts)) fail("bad placeholder {" + std::string(inner) + "}");
        size_t slot = m.paths_.size();
        for (size_t s = 0; s < m.paths_.size(); ++s)
          if (m.paths_[s] == parts) slot = s;
        if (slot == m.paths_.size()) m.paths_.push_back(parts);
        f.parts.push_back({Part::Kind::path, {}, {}, slot});
      }
      i = close;
    }
    if (!text.empty()) f.parts.push_back({Part::Kind::text, std::move(text), {}, 0});
    for (auto& p : f.parts)
      if (p.kind == Part::Kind::text) append_json_escaped(p.json_text, p.text);
    m.fields_.push_back(std::move(f));
  }
  // A path may not be both a value and the parent of another path ({a} and {a.b}).
  for (const auto& a : m.paths_)
    for (const auto& b : m.paths_)
      if (a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin()))
        throw UsageError("mapping.fields: {" + m.path_text(&a - m.paths_.data()) + "} is read as a value and as the parent of {" +
                         m.path_text(&b - m.paths_.data()) + "}");
  if (!key_field.empty()) {
    for (size_t i = 0; i < m.fields_.size(); ++i)
      if (m.fields_[i].name == key_field) m.key_field_ = static_cast<int>(i);
    if (m.key_field_ < 0)
      throw UsageError("produce.key: \"" + std::string(key_field) + "\" is not one of the mapping's fields");
  }
  return m;
}

std::string Mapping::path_text(size_t slot) const {
  std::string s;
  for (const auto& p : paths_[slot]) s += (s.empty() ? "" : ".") + p;
  return s;
}

}  // namespace sluice::mapping
