#pragma once
// A value found at one path of a user record: by the mapper, parsing an API response,
// or by a source that reads the paths itself (projection pushdown, sources/source.h).
#include <cstdint>
#include <string_view>

namespace sluice {

struct FieldValue {
  enum class State : uint8_t {
    missing,     // the record has no such path
    null,        // JSON null
    not_scalar,  // an object or array
    value,       // `text` holds it
  };
  // A string's text (unescaped), or a number's or boolean's JSON text ("61735", "true").
  std::string_view text;
  State state = State::missing;
  bool plain = false;  // true: `text` is known to need no escaping in a JSON string
};

}  // namespace sluice
