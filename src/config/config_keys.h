#pragma once
// The table of every configuration key sluice knows: its path, type, default and
// description. One table serves three purposes: validating the YAML file and the
// overrides, filling in defaults, and documenting the keys (`sluice config keys`).
//
// Paths are dotted (`http.batch_size`). In YAML they are nested maps; as environment
// variables they are `SLUICE_` + the path upper-cased with `.` joined as `__`
// (`SLUICE_HTTP__BATCH_SIZE`); as flags, `--set http.batch_size=1000`.
//
// Open sections accept keys the table does not list:
// - `kafka`: librdkafka properties, passed through unchanged (`kafka.linger.ms`).
// - `mapping.fields`: output field name -> template (order kept: it is the JSON order).
// - `schema.columns`: column name -> type spec (order kept: it is the table's order).
#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::config {

enum class KeyType {
  string,
  integer,    // int64, within [min, max]
  number,     // double, within [min, max]
  boolean,    // true/false (also yes/no, on/off as YAML 1.1 has them)
  duration,   // "100ms", "10s", "5m"; see common/units.h
  bytes,      // "64MiB", "4096"; -1 for unlimited where allowed (min = -1)
  choice,     // one of `choices`
};

struct KeySpec {
  std::string_view path;
  KeyType type;
  std::string_view default_value;
  std::string_view description;
  std::span<const std::string_view> choices = {};  // for KeyType::choice
  double min = -1e300;
  double max = 1e300;
};

struct OpenSection {
  std::string_view path;
  std::string_view description;
};

std::span<const KeySpec> known_keys();
std::span<const OpenSection> open_sections();
const KeySpec* find_key(std::string_view path);
// The open section `path` belongs to (its path is a proper prefix), or nullptr.
const OpenSection* find_open_section(std::string_view path);

}  // namespace sluice::config
