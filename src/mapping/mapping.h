#pragma once
// The seed's format_data(), made declarative: each output field is a template of
// literal text and placeholders, compiled once from the config's `mapping.fields`.
//
//   address: "{location.street.number} {location.street.name}, {location.city}"
//   id:      "{uuid4()}"
//
// Placeholders: {a.b.c} reads the value at that path of the API's user record (a
// string as is; a number or boolean as its JSON text, e.g. postcode 61735 -> "61735");
// {uuid4()} is a fresh random UUID. {{ and }} are literal braces. Every output value
// is a JSON string, as in the seed.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::mapping {

struct Part {
  enum class Kind { text, path, uuid };
  Kind kind = Kind::text;
  std::string text;       // kind == text: the literal text, unescaped
  std::string json_text;  // kind == text: the same, escaped for a JSON string
  size_t slot = 0;   // kind == path: index into Mapping::paths()
};

struct Field {
  std::string name;
  std::string json_prefix;  // `{"name":"` for the first field, `,"name":"` after
  std::vector<Part> parts;
};

// A compiled mapping: immutable, shared by every Mapper (one per thread).
class Mapping {
 public:
  // Throws UsageError naming the field and the problem (unbalanced brace, empty
  // placeholder, unknown function, no fields, key field not among the fields).
  // `key_field` empty: records have no key.
  static Mapping compile(const std::vector<std::pair<std::string, std::string>>& fields,
                         std::string_view key_field);

  const std::vector<Field>& fields() const { return fields_; }
  // Distinct JSON paths the templates read, each split into its components.
  const std::vector<std::vector<std::string>>& paths() const { return paths_; }
  std::string path_text(size_t slot) const;
  int key_field() const { return key_field_; }  // index into fields(), -1: none

 private:
  std::vector<Field> fields_;
  std::vector<std::vector<std::string>> paths_;
  int key_field_ = -1;
};

}  // namespace sluice::mapping
